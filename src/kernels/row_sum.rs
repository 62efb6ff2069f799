//! The sum $R$ of a row's exponentials without the max's own term: the
//! normalizer $S = 1 + R$ of every kernel, compensated, in vector registers
//! for long rows and in four scalar lanes for short ones.

use super::compensated::Compensated;
use super::dispatch::Kernel;
use super::float::KernelFloat;
use super::mul_add::MulAdd;
use pulp::Simd;

/// Rows shorter than this are summed in scalar lanes ([`row_sum`]) and done
/// a block of rows at a time by the row loop; longer rows in vectors, one
/// at a time.
pub(crate) const SHORT_ROW: usize = 64;

/// $R = \sum_{c:\\, z_c \ne m} e_c + (\\#\\{c : z_c = m\\} - 1)$ for one row:
/// the normalizer $S = 1 + R$ without the max's own term, so that no small
/// term is absorbed by it. Compensated (TwoSum), so the error is about one
/// rounding of the `f64` result for any row length; `f32` rows shorter than
/// 64 are summed plainly in `f64` (at most 63 roundings of `f64`, far below
/// one of `f32`). NaN if any $e_c$ is NaN.
///
/// ```math
/// R = \sum_{c:\, z_c < m} e_c + \bigl(\#\{c : z_c = m\} - 1\bigr)
/// ```
///
/// ```
/// use softmax_cross_entropy::fused::sum_without_max;
/// // e = e^{z − m}: the max's term 1 is left out, the tie counts once.
/// assert_eq!(sum_without_max(&[0.0_f64, -1.0, 0.0], &[1.0, 0.25, 1.0], 0.0), 1.25);
/// ```
// ANCHOR: sum_without_max
pub fn sum_without_max<T: KernelFloat>(z: &[T], e: &[T], m: T) -> f64 {
    let n = z.len().min(e.len());
    T::run_sum_without_max(&z[..n], &e[..n], m)
}

/// Vectors per block of [`long_row_sum`]: each lane adds at most 64 terms
/// before its sum and compensation are carried into `f64`.
const SUM_BLOCK: usize = 128;

/// [`sum_without_max`] of a long row, in vector registers: two accumulators
/// of TwoSum lanes in the row's own type (a sum and its running error), a
/// mask that leaves out the entries equal to the max and counts them, and
/// every [`SUM_BLOCK`] vectors the lanes carried into a compensated `f64`
/// total. In a lane, the compensated sum of $n$ terms is off by about
/// $n^2\varepsilon^2$ of the sum (Ogita, Rump and Oishi's Sum2); the blocks
/// keep $n \le 64$, so that stays far below one rounding whatever $C$.
#[inline(always)]
pub(crate) fn long_row_sum<T: KernelFloat, S: Simd>(
    simd: S,
    z: &[T],
    e: &[T],
    m: T,
    scale: f64,
) -> f64 {
    let (z_vectors, z_rest) = T::as_vectors::<S>(z);
    let (e_vectors, e_rest) = T::as_vectors::<S>(e);
    let (zero, one, max) = (
        T::vsplat(simd, T::zero()),
        T::vsplat(simd, T::one()),
        T::vsplat(simd, m),
    );
    let mut total = Compensated::default();
    let (mut error, mut ties) = (0.0_f64, 0.0_f64);
    // One step of a lane group: the masked entry, the tie count, TwoSum.
    let step = |[sum, err, count]: [T::V<S>; 3], z: T::V<S>, e: T::V<S>| {
        let top = T::vequal(simd, z, max);
        let x = T::vselect(simd, top, zero, e);
        let s = T::vadd(simd, sum, x);
        let x_virtual = T::vsub(simd, s, sum);
        let sum_virtual = T::vsub(simd, s, x_virtual);
        let lost = T::vadd(
            simd,
            T::vsub(simd, sum, sum_virtual),
            T::vsub(simd, x, x_virtual),
        );
        let count = T::vadd(simd, count, T::vselect(simd, top, one, zero));
        [s, T::vadd(simd, err, lost), count]
    };
    for (z_block, e_block) in z_vectors.chunks(SUM_BLOCK).zip(e_vectors.chunks(SUM_BLOCK)) {
        // Two independent groups, so that one's additions wait less on the other's.
        let (mut a, mut b) = ([zero; 3], [zero; 3]);
        let (z_pairs, e_pairs) = (z_block.chunks_exact(2), e_block.chunks_exact(2));
        if let (Some(&z), Some(&e)) = (z_pairs.remainder().first(), e_pairs.remainder().first()) {
            a = step(a, z, e);
        }
        for (z, e) in z_pairs.zip(e_pairs) {
            a = step(a, z[0], e[0]);
            b = step(b, z[1], e[1]);
        }
        for [sum, err, count] in [a, b] {
            for &s in T::lanes::<S>(&sum) {
                total.add(s.into());
            }
            error += T::lanes::<S>(&err).iter().map(|&x| x.into()).sum::<f64>();
            ties += T::lanes::<S>(&count).iter().map(|&x| x.into()).sum::<f64>();
        }
    }
    for (&z, &e) in z_rest.iter().zip(e_rest) {
        if z == m {
            ties += 1.0;
        } else {
            total.add(e.into());
        }
    }
    total.add(error);
    let mut total = total.scaled(scale);
    total.add(ties - 1.0);
    total.value()
}
// ANCHOR_END: sum_without_max

/// [`sum_without_max`] as a kernel of the dispatch.
pub(crate) struct SumWithoutMax<'a, T> {
    pub(crate) z: &'a [T],
    pub(crate) e: &'a [T],
    pub(crate) m: T,
}

impl<T: KernelFloat> Kernel for SumWithoutMax<'_, T> {
    type Output = f64;

    #[inline(always)]
    fn run<A: MulAdd, S: Simd>(self, simd: S) -> f64 {
        row_sum(simd, self.z, self.e, self.m, 1.0)
    }
}

/// [`sum_without_max`] with `simd`'s registers: rows of [`SHORT_ROW`]
/// entries or more in vectors ([`long_row_sum`]), shorter rows in four
/// scalar lanes with fixed indices, so that they stay in registers (the
/// last $C \bmod 4$ entries in lane 0); `f32` in `f64`, `f64` compensated.
#[inline(always)]
pub(crate) fn row_sum<T: KernelFloat, S: Simd>(simd: S, z: &[T], e: &[T], m: T, scale: f64) -> f64 {
    if z.len() >= SHORT_ROW {
        return long_row_sum(simd, z, e, m, scale);
    }
    let mut lanes = T::Lanes::default();
    let (zc, ec) = (z.chunks_exact(4), e.chunks_exact(4));
    let (z_rest, e_rest) = (zc.remainder(), ec.remainder());
    for (z, e) in zc.zip(ec) {
        T::accumulate(&mut lanes, 0, z[0] == m, e[0]);
        T::accumulate(&mut lanes, 1, z[1] == m, e[1]);
        T::accumulate(&mut lanes, 2, z[2] == m, e[2]);
        T::accumulate(&mut lanes, 3, z[3] == m, e[3]);
    }
    for (&z, &e) in z_rest.iter().zip(e_rest) {
        T::accumulate(&mut lanes, 0, z == m, e);
    }
    T::total(&lanes, scale)
}
