//! The explicit vector loops of the fast kernels: `f32` and `f64` as the
//! vector registers of `pulp`, behind one trait, so that a loop is written
//! once for both types and for every instruction set.
//!
//! The compiler vectorizes a plain loop whose body is one straight
//! expression, such as the exponential of [`crate::vector_math`]. It does not
//! vectorize a running maximum or a masked, compensated sum over lanes kept
//! in an array: it shuffles scalars in and out of registers instead, which
//! cost the kernels more than their exponentials. Those two loops are
//! written here with `pulp`'s vector types: 8 `f32` or 4 `f64` in an AVX2
//! register, one value in the portable fallback. `pulp` checks the processor
//! and holds the `unsafe` of the intrinsics; there is none in this crate.

use super::compensated::{Compensated, two_sum};
use pulp::Simd;

mod sealed {
    pub trait Sealed {}
    impl Sealed for f32 {}
    impl Sealed for f64 {}
}

/// `f32` or `f64` as a vector of `pulp`'s instruction set `S`: the few
/// operations the kernels' explicit loops use.
pub trait LaneFloat: Copy + PartialOrd + Into<f64> + sealed::Sealed + 'static {
    /// A vector of this type, as many lanes as `S` holds.
    type V<S: Simd>: Copy;
    /// A lane mask of `S`, the result of a comparison.
    type M<S: Simd>: Copy;
    /// The slice as whole vectors and the remaining entries.
    fn as_vectors<S: Simd>(x: &[Self]) -> (&[Self::V<S>], &[Self]);
    /// Every lane `x`.
    fn vsplat<S: Simd>(simd: S, x: Self) -> Self::V<S>;
    /// Lane-wise `a + b`.
    fn vadd<S: Simd>(simd: S, a: Self::V<S>, b: Self::V<S>) -> Self::V<S>;
    /// Lane-wise `a − b`.
    fn vsub<S: Simd>(simd: S, a: Self::V<S>, b: Self::V<S>) -> Self::V<S>;
    /// Lane-wise maximum. Where a lane is NaN the result is either lane (the
    /// instruction sets differ): the kernels send a row with a NaN to the
    /// reference functions whatever its maximum.
    fn vmax<S: Simd>(simd: S, a: Self::V<S>, b: Self::V<S>) -> Self::V<S>;
    /// Lane-wise minimum; NaN lanes as in [`LaneFloat::vmax`].
    fn vmin<S: Simd>(simd: S, a: Self::V<S>, b: Self::V<S>) -> Self::V<S>;
    /// Lane-wise `a == b`.
    fn vequal<S: Simd>(simd: S, a: Self::V<S>, b: Self::V<S>) -> Self::M<S>;
    /// Lane-wise `if mask { a } else { b }`.
    fn vselect<S: Simd>(simd: S, mask: Self::M<S>, a: Self::V<S>, b: Self::V<S>) -> Self::V<S>;
    /// The lanes of a vector, in order.
    fn lanes<S: Simd>(v: &Self::V<S>) -> &[Self];
}

macro_rules! lane_float {
    ($t:ty, $v:ident, $m:ident, $as:ident, $splat:ident, $add:ident, $sub:ident,
     $max:ident, $min:ident, $eq:ident, $select:ident) => {
        impl LaneFloat for $t {
            type V<S: Simd> = S::$v;
            type M<S: Simd> = S::$m;
            #[inline(always)]
            fn as_vectors<S: Simd>(x: &[$t]) -> (&[S::$v], &[$t]) {
                S::$as(x)
            }
            #[inline(always)]
            fn vsplat<S: Simd>(simd: S, x: $t) -> S::$v {
                simd.$splat(x)
            }
            #[inline(always)]
            fn vadd<S: Simd>(simd: S, a: S::$v, b: S::$v) -> S::$v {
                simd.$add(a, b)
            }
            #[inline(always)]
            fn vsub<S: Simd>(simd: S, a: S::$v, b: S::$v) -> S::$v {
                simd.$sub(a, b)
            }
            #[inline(always)]
            fn vmax<S: Simd>(simd: S, a: S::$v, b: S::$v) -> S::$v {
                simd.$max(a, b)
            }
            #[inline(always)]
            fn vmin<S: Simd>(simd: S, a: S::$v, b: S::$v) -> S::$v {
                simd.$min(a, b)
            }
            #[inline(always)]
            fn vequal<S: Simd>(simd: S, a: S::$v, b: S::$v) -> S::$m {
                simd.$eq(a, b)
            }
            #[inline(always)]
            fn vselect<S: Simd>(simd: S, mask: S::$m, a: S::$v, b: S::$v) -> S::$v {
                simd.$select(mask, a, b)
            }
            #[inline(always)]
            fn lanes<S: Simd>(v: &S::$v) -> &[$t] {
                pulp::bytemuck::cast_slice(std::slice::from_ref(v))
            }
        }
    };
}

lane_float!(
    f32,
    f32s,
    m32s,
    as_simd_f32s,
    splat_f32s,
    add_f32s,
    sub_f32s,
    max_f32s,
    min_f32s,
    equal_f32s,
    select_f32s
);
lane_float!(
    f64,
    f64s,
    m64s,
    as_simd_f64s,
    splat_f64s,
    add_f64s,
    sub_f64s,
    max_f64s,
    min_f64s,
    equal_f64s,
    select_f64s
);

/// The scalar lanes of a short row's sum (entry $c$ in lane $c \bmod 4$).
pub(crate) const LANES: usize = 4;

/// The scalar lanes of a short row's sum $R$: four running sums in `f64`
/// (compensated for `f64`) and the counts of ties, kept in registers.
pub trait ShortLanes: Copy + sealed::Sealed {
    /// The running sums, one per lane, of a row's exponentials.
    #[doc(hidden)]
    type Lanes: Default;
    /// Add $e_c$ to lane `j`, or count a tie if $z_c$ is the max (`top`).
    #[doc(hidden)]
    fn accumulate(lanes: &mut Self::Lanes, j: usize, top: bool, e: Self);
    /// The lanes' total $R$, the sum of the terms times `scale` (a power of
    /// two: 1, or $2^{-K}$ for terms computed times $2^K$).
    #[doc(hidden)]
    fn total(lanes: &Self::Lanes, scale: f64) -> f64;
}

impl ShortLanes for f32 {
    /// The sums, in `f64`, and the counts of ties, in `f32` (exact up to 2^24).
    type Lanes = ([f64; LANES], [f32; LANES]);
    #[inline(always)]
    fn accumulate(lanes: &mut Self::Lanes, j: usize, top: bool, e: f32) {
        // Arithmetic, not a branch: the max's position in a row is random,
        // and a mispredicted branch per row costs more than a short row.
        let keep = f32::from(u8::from(!top));
        lanes.0[j] += f64::from(e * keep);
        lanes.1[j] += 1.0 - keep;
    }
    #[inline(always)]
    fn total(lanes: &Self::Lanes, scale: f64) -> f64 {
        let sum: f64 = lanes.0.iter().sum();
        sum * scale + (f64::from(lanes.1.iter().sum::<f32>()) - 1.0)
    }
}

impl ShortLanes for f64 {
    /// The sums, their compensations, and the counts of ties.
    type Lanes = ([f64; LANES], [f64; LANES], [f64; LANES]);
    #[inline(always)]
    fn accumulate(lanes: &mut Self::Lanes, j: usize, top: bool, e: f64) {
        // Arithmetic, not a branch (as for f32).
        let keep = f64::from(u8::from(!top));
        let (s, err) = two_sum(lanes.0[j], e * keep);
        lanes.0[j] = s;
        lanes.1[j] += err;
        lanes.2[j] += 1.0 - keep;
    }
    #[inline(always)]
    fn total(lanes: &Self::Lanes, scale: f64) -> f64 {
        let mut total = Compensated::default();
        for &s in &lanes.0 {
            total.add(s);
        }
        total.add(lanes.1.iter().sum::<f64>());
        let mut total = total.scaled(scale);
        total.add(lanes.2.iter().sum::<f64>() - 1.0);
        total.value()
    }
}
