//! Fused batch kernels: softmax, log-softmax, and the cross-entropy with its
//! gradient in one call, over the rows of a row-major $N \times C$ batch, for
//! `f32` and `f64`.
//!
//! The functions of the earlier modules compute one formula each, one row at a
//! time, and check their input on every call; the batch loss and the batch
//! gradient each compute the softmax again. The kernels here compute the same
//! values in one pass over the data and in vector registers:
//!
//! - **One normalizer per row.** With $m = \max_d z_d$ and
//!   $R = \sum_{d:\, z_d < m} e^{z_d - m} + (\text{ties} - 1)$, the row's
//!   normalizer is $S = 1 + R$, and every output is a simple function of
//!   $e^{z_c - m}$, $S$ and $\log S = \operatorname{log1p}(R)$:
//!
//!   ```math
//!   y_c = \frac{e^{z_c - m}}{S}, \qquad
//!   \log y_c = (z_c - m) - \operatorname{log1p}(R), \qquad
//!   \frac{\partial \xi}{\partial z_c} = w\,(y_c - t_c)
//!   ```
//!
//!   where $w$ is 1 for [`Reduction::Sum`] and $1/N$ for [`Reduction::Mean`].
//!   The gradient needs nothing but $\mathbf y - \mathbf t$: that is the
//!   derivation's (8.4) at work, for targets that sum to one.
//! - **Accuracy where the plain forms lose it.** $R$ is summed without the
//!   max's own term 1 (so no small term is absorbed by it) and with
//!   compensation (TwoSum lanes, carried into `f64`); $\log S$ is
//!   $\operatorname{log1p}(R)$, so tiny losses keep their relative accuracy;
//!   the target entry of a one-hot gradient at the max is $-R/S$ rather than
//!   $y - 1$; and the rounding error of $z_c - m$ is carried into the
//!   exponential (TwoSum), so large logits do not amplify it.
//! - **Checks off the hot path.** Shapes and labels are checked once. A NaN
//!   or infinite logit makes the row's $R$ NaN, so the finite check of $R$ at
//!   the end of the row detects it at no cost; such a row, and a row whose
//!   targets do not pass a quick screen, is computed by the reference
//!   functions of the earlier modules, which return the same typed error (or
//!   the same result, for infinite logits) as always.
//! - **Vector speed, no `unsafe`.** The exponentials and the finishing steps
//!   are plain loops, which the compiler vectorizes; the row's max and the
//!   sum of $R$ are explicit loops over `pulp`'s vector registers
//!   (the private module `vector_lanes`), which it would not vectorize. `pulp` compiles
//!   the kernel a second time for AVX2 and FMA and picks that version at run
//!   time where the processor has them (the private module `dispatch`); the two
//!   versions round their multiply–adds differently, and both are measured.
//! - **No work a row does not need.** Where every $z_c - m$ of a row is at
//!   least $-86$ (`f32`) or $-700$ (`f64`), no $e^{z_c - m}$ is subnormal and
//!   the exponential skips its clamps and its two-step scaling
//!   ([`crate::vector_math::VectorExp::exp_normal_with_tail`], the same
//!   bits); no branch depends on where a row's max is.
//!
//! On error, the contents of `out` are unspecified (rows before the
//! offending one are written).

use crate::batch::Reduction;
use crate::cross_entropy::{cross_entropy_from_logits, cross_entropy_from_logits_class};
use crate::dispatch::Kernel;
use crate::gradient::cross_entropy_gradient_from_logits_into;
use crate::softmax::{log_softmax_into, softmax_into};
use crate::vector_lanes::LaneFloat;
use crate::vector_math::{MulAdd, VectorExp, ln_1p_f64};
use crate::{Result, check};
use num_traits::Float;
use pulp::Simd;

mod sealed {
    pub trait Sealed {}
    impl Sealed for f32 {}
    impl Sealed for f64 {}
}

/// The float types of the kernels, `f32` and `f64`: their vectorizable
/// exponential, their conversions to and from the `f64` in which each row's
/// normalizer is finished, and how a row's exponentials are summed.
pub trait KernelFloat: VectorExp + LaneFloat + Float + sealed::Sealed {
    /// The running sums, one per lane, of a row's exponentials.
    #[doc(hidden)]
    type Lanes: Default;
    /// The value as `f64` (exact).
    ///
    /// ```
    /// use softmax_cross_entropy::fused::KernelFloat;
    /// assert_eq!(0.1_f32.widen(), f64::from(0.1_f32));
    /// ```
    fn widen(self) -> f64;
    /// The `f64` rounded to this type.
    ///
    /// ```
    /// use softmax_cross_entropy::fused::KernelFloat;
    /// assert_eq!(f32::narrow(0.1), 0.1_f32);
    /// ```
    fn narrow(x: f64) -> Self;
    /// Add $e_c$ to lane `j`, or count a tie if $z_c$ is the max (`top`).
    #[doc(hidden)]
    fn accumulate(lanes: &mut Self::Lanes, j: usize, top: bool, e: Self);
    /// The lanes' total $R$.
    #[doc(hidden)]
    fn total(lanes: &Self::Lanes) -> f64;
    /// Run a kernel over the rows of `out` (the logits are `z`, or `out`
    /// itself). A method of the type, not a generic function, so that the
    /// kernels are compiled once, in this crate, rather than in every crate
    /// (and every doctest) that calls them.
    #[doc(hidden)]
    fn run_kernel(
        z: Option<&[Self]>,
        out: &mut [Self],
        classes: usize,
        job: Job<'_, Self>,
    ) -> Result<f64>;
    /// [`sum_without_max`], compiled in this crate (as [`KernelFloat::run_kernel`]).
    #[doc(hidden)]
    fn run_sum_without_max(z: &[Self], e: &[Self], m: Self) -> f64;
}

/// What a kernel computes from a row's exponentials: the argument of
/// [`KernelFloat::run_kernel`].
#[doc(hidden)]
pub enum Job<'a, T> {
    /// [`softmax_rows`].
    Softmax,
    /// [`log_softmax_rows`].
    LogSoftmax,
    /// [`loss_and_gradient_classes`].
    Classes {
        /// One class label per row.
        labels: &'a [usize],
        /// The reduction's weight, 1 or $1/N$.
        weight: f64,
    },
    /// [`loss_and_gradient`].
    Targets {
        /// The target distributions, row-major.
        targets: &'a [T],
        /// The reduction's weight, 1 or $1/N$.
        weight: f64,
        /// The tolerance of a target row's sum.
        tolerance: f64,
    },
}

/// [`KernelFloat::run_kernel`] for one type: the kernel's finishing step, then
/// the dispatch.
fn run_job<T: KernelFloat>(
    z: Option<&[T]>,
    out: &mut [T],
    classes: usize,
    job: Job<'_, T>,
) -> Result<f64> {
    match job {
        Job::Softmax => dispatch(z, out, classes, SoftmaxRows),
        Job::LogSoftmax => dispatch(z, out, classes, LogSoftmaxRows),
        Job::Classes { labels, weight } => {
            dispatch(z, out, classes, ClassTargets { labels, weight })
        }
        Job::Targets {
            targets,
            weight,
            tolerance,
        } => {
            let finish = DistributionTargets {
                targets,
                classes,
                weight,
                tolerance,
            };
            dispatch(z, out, classes, finish)
        }
    }
}

/// The kernels' entry points of one type, compiled in this crate.
macro_rules! compiled_here {
    () => {
        fn run_kernel(
            z: Option<&[Self]>,
            out: &mut [Self],
            classes: usize,
            job: Job<'_, Self>,
        ) -> Result<f64> {
            run_job(z, out, classes, job)
        }
        fn run_sum_without_max(z: &[Self], e: &[Self], m: Self) -> f64 {
            crate::dispatch::run(SumWithoutMax { z, e, m })
        }
    };
}

/// $R = \sum_{c:\, z_c \ne m} e_c + (\#\{c : z_c = m\} - 1)$ for one row:
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
fn long_row_sum<T: KernelFloat, S: Simd>(simd: S, z: &[T], e: &[T], m: T) -> f64 {
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
    total.add(ties - 1.0);
    total.value()
}
// ANCHOR_END: sum_without_max

/// [`sum_without_max`] as a kernel of the dispatch.
struct SumWithoutMax<'a, T> {
    z: &'a [T],
    e: &'a [T],
    m: T,
}

impl<T: KernelFloat> Kernel for SumWithoutMax<'_, T> {
    type Output = f64;

    #[inline(always)]
    fn run<A: MulAdd, S: Simd>(self, simd: S) -> f64 {
        row_sum(simd, self.z, self.e, self.m)
    }
}

/// [`sum_without_max`] with `simd`'s registers: rows of [`SHORT_ROW`]
/// entries or more in vectors ([`long_row_sum`]), shorter rows in four
/// scalar lanes with fixed indices, so that they stay in registers (the
/// last $C \bmod 4$ entries in lane 0); `f32` in `f64`, `f64` compensated.
#[inline(always)]
fn row_sum<T: KernelFloat, S: Simd>(simd: S, z: &[T], e: &[T], m: T) -> f64 {
    if z.len() >= SHORT_ROW {
        return long_row_sum(simd, z, e, m);
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
    T::total(&lanes)
}

/// The scalar lanes of a short row's sum (entry $c$ in lane $c \bmod 4$).
const LANES: usize = 4;

impl KernelFloat for f32 {
    compiled_here!();
    /// The sums, in `f64`, and the counts of ties, in `f32` (exact up to 2^24).
    type Lanes = ([f64; LANES], [f32; LANES]);
    #[inline(always)]
    fn widen(self) -> f64 {
        f64::from(self)
    }
    #[inline(always)]
    fn narrow(x: f64) -> f32 {
        x as f32
    }
    #[inline(always)]
    fn accumulate(lanes: &mut Self::Lanes, j: usize, top: bool, e: f32) {
        // Arithmetic, not a branch: the max's position in a row is random,
        // and a mispredicted branch per row costs more than a short row.
        let keep = f32::from(u8::from(!top));
        lanes.0[j] += f64::from(e * keep);
        lanes.1[j] += 1.0 - keep;
    }
    #[inline(always)]
    fn total(lanes: &Self::Lanes) -> f64 {
        let sum: f64 = lanes.0.iter().sum();
        sum + (f64::from(lanes.1.iter().sum::<f32>()) - 1.0)
    }
}

impl KernelFloat for f64 {
    compiled_here!();
    /// The sums, their compensations, and the counts of ties.
    type Lanes = ([f64; LANES], [f64; LANES], [f64; LANES]);
    #[inline(always)]
    fn widen(self) -> f64 {
        self
    }
    #[inline(always)]
    fn narrow(x: f64) -> f64 {
        x
    }
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
    fn total(lanes: &Self::Lanes) -> f64 {
        let mut total = Compensated::default();
        for &s in &lanes.0 {
            total.add(s);
        }
        total.add(lanes.1.iter().sum::<f64>());
        total.add(lanes.2.iter().sum::<f64>() - 1.0);
        total.value()
    }
}

/// Knuth's TwoSum: `s = fl(a + b)` and the exact error `a + b − s`.
#[inline(always)]
fn two_sum<T: Float>(a: T, b: T) -> (T, T) {
    let s = a + b;
    let b_virtual = s - a;
    let a_virtual = s - b_virtual;
    (s, (a - a_virtual) + (b - b_virtual))
}

/// A compensated (TwoSum) running sum in `f64`: the rows' losses of a batch,
/// the lanes of a row's normalizer.
#[derive(Default, Clone, Copy)]
struct Compensated {
    sum: f64,
    error: f64,
}

impl Compensated {
    #[inline(always)]
    fn add(&mut self, x: f64) {
        let (s, e) = two_sum(self.sum, x);
        self.sum = s;
        self.error += e;
    }
    #[inline(always)]
    fn value(self) -> f64 {
        // An infinite term (the loss of a row beyond the float range) makes
        // the error NaN (inf − inf): the sum is the answer then.
        if self.sum.is_finite() {
            self.sum + self.error
        } else {
            self.sum
        }
    }
}

/// The largest and the smallest entry of a row, $(m, \min_c z_c)$; `-inf`
/// for a row of `-inf`. For a row with a NaN, some of its entries: such a
/// row goes to the reference functions whatever its max (its $R$ is NaN).
/// Long rows in vector registers.
#[inline(always)]
fn row_range<T: KernelFloat, S: Simd>(simd: S, z: &[T]) -> (T, T) {
    let larger = |a: T, b: T| if a > b { a } else { b };
    let smaller = |a: T, b: T| if a < b { a } else { b };
    if z.len() < SHORT_ROW {
        // Short rows: two lanes in registers.
        let (mut a, mut b) = (T::neg_infinity(), T::neg_infinity());
        let (mut c, mut d) = (T::infinity(), T::infinity());
        let pairs = z.chunks_exact(2);
        if let Some(&last) = pairs.remainder().first() {
            (a, c) = (last, last);
        }
        for p in pairs {
            (a, b) = (larger(p[0], a), larger(p[1], b));
            (c, d) = (smaller(p[0], c), smaller(p[1], d));
        }
        return (larger(a, b), smaller(c, d));
    }
    let (vectors, rest) = T::as_vectors::<S>(z);
    let (low, high) = (
        T::vsplat(simd, T::neg_infinity()),
        T::vsplat(simd, T::infinity()),
    );
    let ((mut a, mut b), (mut c, mut d)) = ((low, low), (high, high));
    let pairs = vectors.chunks_exact(2);
    for p in pairs {
        (a, b) = (T::vmax(simd, p[0], a), T::vmax(simd, p[1], b));
        (c, d) = (T::vmin(simd, p[0], c), T::vmin(simd, p[1], d));
    }
    // The odd vector last, so that the row is read in order (the hardware
    // prefetcher follows a row read from its start).
    if vectors.len() % 2 == 1 {
        let last = vectors[vectors.len() - 1];
        (a, c) = (T::vmax(simd, last, a), T::vmin(simd, last, c));
    }
    let (top, bottom) = (T::vmax(simd, a, b), T::vmin(simd, c, d));
    let top = T::lanes::<S>(&top).iter().chain(rest);
    let bottom = T::lanes::<S>(&bottom).iter().chain(rest);
    (
        top.fold(T::neg_infinity(), |m, &x| larger(x, m)),
        bottom.fold(T::infinity(), |m, &x| smaller(x, m)),
    )
}

/// Whether every $e^{z_c - m}$ of rows with this max and min is a normal
/// number (or the row holds a NaN), so that the short exponential
/// ([`VectorExp::exp_normal_with_tail`]) computes them: $\min_c z_c - m \ge$
/// [`VectorExp::NORMAL_LOW`] (rounded down, as every $z_c - m$ is).
#[inline(always)]
fn all_normal<T: KernelFloat>(max: T, min: T) -> bool {
    min - max >= T::NORMAL_LOW
}

/// $e^{z_c - m}$, with the rounding error of $z_c - m$ (TwoSum) carried
/// into the exponential: the one expression of every kernel. `NORMAL`: the
/// short exponential, for rows where [`all_normal`] holds.
#[inline(always)]
fn exp_shifted<T: KernelFloat, A: MulAdd, const NORMAL: bool>(z: T, m: T) -> T {
    let (d, tail) = two_sum(z, -m);
    if NORMAL {
        T::exp_normal_with_tail::<A>(d, tail)
    } else {
        T::exp_with_tail::<A>(d, tail)
    }
}

/// One long row: $e^{z_c - m}$ into `out` (one vector loop), then the row's
/// $R$ ([`long_row_sum`], while the row is in the L1 cache).
#[inline(always)]
fn exp_row<T: KernelFloat, A: MulAdd, S: Simd>(
    simd: S,
    z: &[T],
    (m, min): (T, T),
    out: &mut [T],
) -> f64 {
    if all_normal(m, min) {
        for (o, &z) in out.iter_mut().zip(z) {
            *o = exp_shifted::<T, A, true>(z, m);
        }
    } else {
        for (o, &z) in out.iter_mut().zip(z) {
            *o = exp_shifted::<T, A, false>(z, m);
        }
    }
    long_row_sum(simd, z, out, m)
}

/// Rows shorter than this are done a block of rows at a time (the
/// exponentials of the whole block in one vector loop), longer rows one at
/// a time with [`exp_row`].
const SHORT_ROW: usize = 64;

/// The mean's weight $1/N$ or the sum's 1, in `f64`.
fn weight(rows: usize, reduction: Reduction) -> f64 {
    match reduction {
        Reduction::Sum => 1.0,
        // usize → f64 rounds only beyond 2^53 rows.
        Reduction::Mean => 1.0 / rows as f64,
    }
}

/// One row's normalizer, as the finishing step of each kernel sees it.
#[derive(Clone, Copy)]
struct Row<T> {
    /// The row's index in the batch.
    index: usize,
    /// $m = \max_d z_d$.
    max: T,
    /// $R = S - 1$, finite.
    rest: f64,
    /// $1/S$.
    inv_s: f64,
    /// $\log S = \operatorname{log1p}(R)$.
    log_s: f64,
}

/// What a kernel does with a row once its exponentials are in `out`.
trait Finish<T: KernelFloat> {
    /// The fast path: turn `e = e^{z − m}` into the row's output in place and
    /// return the row's loss (0 where there is none), or `None` to hand the
    /// row to [`Finish::reference`].
    fn fast(&mut self, row: Row<T>, z: &[T], e: &mut [T]) -> Option<f64>;
    /// The reference route: the functions of the earlier modules, with their
    /// typed errors, for a row the fast path does not take.
    fn reference(&mut self, index: usize, z: &[T], out: &mut [T]) -> Result<f64>;
}

/// Rows per block: whole rows, about 2048 entries, so that a block of logits
/// and outputs stays in the L1 cache between the passes.
fn rows_per_block(classes: usize) -> usize {
    (2048 / classes).max(1)
}

/// Run a kernel over every row, block by block. Rows of at least
/// [`SHORT_ROW`] entries: the max, then [`exp_row`]. Shorter rows: (1) the
/// max of each row of the block, written over the row's outputs, (2) the
/// exponentials of the whole block in one vector loop, (3) each row's $R$.
/// Then each row's finishing step. `z` is `None` for the in-place kernels,
/// which read the logits from `out` (copied block by block). Returns the
/// compensated sum of the rows' losses.
#[inline(always)]
fn run_rows<T: KernelFloat, A: MulAdd, F: Finish<T>, S: Simd>(
    simd: S,
    z: Option<&[T]>,
    out: &mut [T],
    classes: usize,
    finish: &mut F,
) -> Result<f64> {
    let per_block = rows_per_block(classes);
    let block = per_block * classes;
    let mut maxima = vec![T::zero(); per_block];
    let mut rests = vec![0.0_f64; per_block];
    let (mut inv_ss, mut log_ss) = (vec![0.0_f64; per_block], vec![0.0_f64; per_block]);
    let mut scratch = Vec::new();
    let mut total = Compensated::default();
    for (b, out_block) in out.chunks_mut(block).enumerate() {
        let z_block: &[T] = match z {
            Some(z) => &z[b * block..b * block + out_block.len()],
            None => {
                scratch.clear();
                scratch.extend_from_slice(out_block);
                &scratch
            }
        };
        let rows = || z_block.chunks_exact(classes);
        if classes >= SHORT_ROW {
            let outs = out_block.chunks_exact_mut(classes);
            for (((z_row, out_row), m), rest) in rows().zip(outs).zip(&mut maxima).zip(&mut rests) {
                let range = row_range(simd, z_row);
                *m = range.0;
                *rest = exp_row::<T, A, S>(simd, z_row, range, out_row);
            }
        } else {
            let mut normal = true;
            for ((z_row, out_row), m) in rows()
                .zip(out_block.chunks_exact_mut(classes))
                .zip(&mut maxima)
            {
                let (max, min) = row_range(simd, z_row);
                normal &= all_normal(max, min);
                *m = max;
                out_row.fill(max);
            }
            if normal {
                for (o, &z) in out_block.iter_mut().zip(z_block) {
                    *o = exp_shifted::<T, A, true>(z, *o);
                }
            } else {
                for (o, &z) in out_block.iter_mut().zip(z_block) {
                    *o = exp_shifted::<T, A, false>(z, *o);
                }
            }
            let outs = out_block.chunks_exact(classes);
            for (((z_row, out_row), &m), rest) in rows().zip(outs).zip(&maxima).zip(&mut rests) {
                *rest = row_sum(simd, z_row, out_row, m);
            }
        }
        // 1/S and log S of every row of the block, in one vector loop.
        let rows_here = out_block.len() / classes;
        for ((&rest, inv_s), log_s) in rests
            .iter()
            .zip(&mut inv_ss)
            .zip(&mut log_ss)
            .take(rows_here)
        {
            let rest = if rest.is_finite() { rest } else { 0.0 };
            *inv_s = 1.0 / (1.0 + rest);
            *log_s = ln_1p_f64::<A>(rest);
        }
        let outs = out_block.chunks_exact_mut(classes);
        let normalizers = maxima.iter().zip(&rests).zip(inv_ss.iter().zip(&log_ss));
        for (r, ((z_row, out_row), ((&max, &rest), (&inv_s, &log_s)))) in
            rows().zip(outs).zip(normalizers).enumerate()
        {
            let index = b * per_block + r;
            let fast = if rest.is_finite() && max.is_finite() {
                finish.fast(
                    Row {
                        index,
                        max,
                        rest,
                        inv_s,
                        log_s,
                    },
                    z_row,
                    out_row,
                )
            } else {
                None
            };
            let loss = match fast {
                Some(loss) => loss,
                None => {
                    #[cfg(test)]
                    tests::REFERENCE_ROWS.with(|n| n.set(n.get() + 1));
                    finish.reference(index, z_row, out_row)?
                }
            };
            total.add(loss);
        }
    }
    Ok(total.value())
}

/// A kernel and its data, for the dispatch.
struct Rows<'a, T, F> {
    z: Option<&'a [T]>,
    out: &'a mut [T],
    classes: usize,
    finish: F,
}

impl<T: KernelFloat, F: Finish<T>> Kernel for Rows<'_, T, F> {
    type Output = Result<f64>;

    #[inline(always)]
    fn run<A: MulAdd, S: Simd>(mut self, simd: S) -> Result<f64> {
        run_rows::<T, A, F, S>(simd, self.z, self.out, self.classes, &mut self.finish)
    }
}

/// Check the shape and run a kernel with the best instruction set.
fn dispatch<T: KernelFloat, F: Finish<T>>(
    z: Option<&[T]>,
    out: &mut [T],
    classes: usize,
    finish: F,
) -> Result<f64> {
    check::batch_rows(out.len(), classes)?;
    crate::dispatch::run(Rows {
        z,
        out,
        classes,
        finish,
    })
}

/// Check `z` against `out` and the shape; returns the number of rows.
fn shape<T>(z: &[T], out: &[T], classes: usize) -> Result<usize> {
    let rows = check::batch_rows(z.len(), classes)?;
    check::same_len("outputs", z.len(), out.len())?;
    Ok(rows)
}

// ---------------------------------------------------------------------------
// Softmax

struct SoftmaxRows;

impl<T: KernelFloat> Finish<T> for SoftmaxRows {
    #[inline(always)]
    fn fast(&mut self, row: Row<T>, _z: &[T], e: &mut [T]) -> Option<f64> {
        let scale = T::narrow(row.inv_s);
        for y in e.iter_mut() {
            *y = *y * scale;
        }
        Some(0.0)
    }
    fn reference(&mut self, index: usize, z: &[T], out: &mut [T]) -> Result<f64> {
        softmax_into(z, out).map_err(check::in_sample(index))?;
        Ok(0.0)
    }
}

/// The softmax of every row of the row-major batch `z` ($N$ rows of
/// `classes` logits), written into `out`:
///
/// ```math
/// y_{ic} = \frac{e^{z_{ic} - m_i}}{S_i}, \qquad m_i = \max_d z_{id}, \qquad
/// S_i = \sum_{d} e^{z_{id} - m_i} = 1 + R_i
/// ```
///
/// The same values as [`crate::softmax::softmax_into`] on each row, within
/// the bound the book's chapter "From the derivation to a fast kernel"
/// measures. Errors: as [`crate::softmax::softmax_into`] for a row (wrapped
/// in [`crate::Error::InSample`]), an empty batch, a length that is not a
/// multiple of `classes`, or `out` of another length.
///
/// ```
/// use softmax_cross_entropy::fused::softmax_rows;
/// let z = [0.0_f32, 0.0, 1e4, -1e4]; // two rows of two logits
/// let mut y = [0.0_f32; 4];
/// softmax_rows(&z, 2, &mut y)?;
/// assert_eq!(y, [0.5, 0.5, 1.0, 0.0]);
/// # Ok::<(), softmax_cross_entropy::Error>(())
/// ```
// ANCHOR: softmax_rows
pub fn softmax_rows<T: KernelFloat>(z: &[T], classes: usize, out: &mut [T]) -> Result<()> {
    shape(z, out, classes)?;
    T::run_kernel(Some(z), out, classes, Job::Softmax).map(drop)
}
// ANCHOR_END: softmax_rows

/// [`softmax_rows`] in place: `z` is replaced by the softmax of its rows.
///
/// ```math
/// z_{ic} \leftarrow \varsigma(\mathbf z_i)_c
/// ```
///
/// ```
/// use softmax_cross_entropy::fused::softmax_rows_in_place;
/// let mut z = [0.0_f64, 0.0, 0.0, 0.0];
/// softmax_rows_in_place(&mut z, 4)?;
/// assert_eq!(z, [0.25; 4]);
/// # Ok::<(), softmax_cross_entropy::Error>(())
/// ```
pub fn softmax_rows_in_place<T: KernelFloat>(z: &mut [T], classes: usize) -> Result<()> {
    T::run_kernel(None, z, classes, Job::Softmax).map(drop)
}

// ---------------------------------------------------------------------------
// Log-softmax

struct LogSoftmaxRows;

impl<T: KernelFloat> Finish<T> for LogSoftmaxRows {
    #[inline(always)]
    fn fast(&mut self, row: Row<T>, z: &[T], e: &mut [T]) -> Option<f64> {
        let log_s = row.log_s;
        let m = row.max.widen();
        for (o, &z) in e.iter_mut().zip(z) {
            *o = T::narrow((z.widen() - m) - log_s);
        }
        Some(0.0)
    }
    fn reference(&mut self, index: usize, z: &[T], out: &mut [T]) -> Result<f64> {
        log_softmax_into(z, out).map_err(check::in_sample(index))?;
        Ok(0.0)
    }
}

/// The log-softmax of every row of the row-major batch `z`, written into `out`:
///
/// ```math
/// \log y_{ic} = (z_{ic} - m_i) - \operatorname{log1p}(R_i), \qquad
/// R_i = S_i - 1 = \sum_{d:\, z_{id} < m_i} e^{z_{id} - m_i} + (\text{ties} - 1)
/// ```
///
/// Errors as [`softmax_rows`], with [`crate::softmax::log_softmax_into`] for a row.
///
/// ```
/// use softmax_cross_entropy::fused::log_softmax_rows;
/// let mut out = [0.0_f64; 2];
/// log_softmax_rows(&[800.0, 0.0], 2, &mut out)?;
/// assert_eq!(out, [0.0, -800.0]); // e^-800 underflows, its logarithm does not
/// # Ok::<(), softmax_cross_entropy::Error>(())
/// ```
// ANCHOR: log_softmax_rows
pub fn log_softmax_rows<T: KernelFloat>(z: &[T], classes: usize, out: &mut [T]) -> Result<()> {
    shape(z, out, classes)?;
    T::run_kernel(Some(z), out, classes, Job::LogSoftmax).map(drop)
}
// ANCHOR_END: log_softmax_rows

/// [`log_softmax_rows`] in place.
///
/// ```math
/// z_{ic} \leftarrow \log \varsigma(\mathbf z_i)_c
/// ```
///
/// ```
/// use softmax_cross_entropy::fused::log_softmax_rows_in_place;
/// let mut z = [0.0_f32, 0.0];
/// log_softmax_rows_in_place(&mut z, 2)?;
/// assert_eq!(z, [-(2.0_f32.ln()); 2]);
/// # Ok::<(), softmax_cross_entropy::Error>(())
/// ```
pub fn log_softmax_rows_in_place<T: KernelFloat>(z: &mut [T], classes: usize) -> Result<()> {
    T::run_kernel(None, z, classes, Job::LogSoftmax).map(drop)
}

// ---------------------------------------------------------------------------
// Loss and gradient, class labels

struct ClassTargets<'a> {
    labels: &'a [usize],
    weight: f64,
}

impl<T: KernelFloat> Finish<T> for ClassTargets<'_> {
    #[inline(always)]
    fn fast(&mut self, row: Row<T>, z: &[T], e: &mut [T]) -> Option<f64> {
        let k = self.labels[row.index];
        let (&z_k, &e_k) = (z.get(k)?, e.get(k)?);
        let inv_s = row.inv_s;
        // ξ = log S − (z_k − m): two non-negative terms, no cancellation.
        let (d, tail) = two_sum(z_k, -row.max);
        let loss = row.log_s - d.widen() - tail.widen();
        let scale = T::narrow(inv_s * self.weight);
        for g in e.iter_mut() {
            *g = *g * scale;
        }
        // y_k − 1, exactly −R/S when z_k is the max (both computed, then
        // one chosen: no branch on where the max is).
        let (at_max, elsewhere) = (-(row.rest * inv_s), e_k.widen() * inv_s - 1.0);
        let g_k = if z_k == row.max { at_max } else { elsewhere };
        e[k] = T::narrow(g_k * self.weight);
        Some(loss)
    }
    fn reference(&mut self, index: usize, z: &[T], out: &mut [T]) -> Result<f64> {
        let k = self.labels[index];
        let loss = cross_entropy_from_logits_class(z, k).map_err(check::in_sample(index))?;
        // The one-hot row, so that y_k − 1 is computed as accurately as the
        // distribution route computes it (not 1 − 1 = 0 where y_k rounds to 1).
        let mut t = vec![T::zero(); z.len()];
        t[k] = T::one();
        cross_entropy_gradient_from_logits_into(z, &t, out).map_err(check::in_sample(index))?;
        let w = T::narrow(self.weight);
        for g in out.iter_mut() {
            *g = *g * w;
        }
        Ok(loss.widen())
    }
}

/// The cross-entropy of a batch against one class label per row, and its
/// gradient with respect to the logits, in one pass; the gradient is written
/// into `out` and the loss returned:
///
/// ```math
/// \xi = w \sum_{i=1}^N \bigl(\operatorname{log1p}(R_i) - (z_{ik_i} - m_i)\bigr),
/// \qquad
/// \frac{\partial \xi}{\partial z_{ic}} = w\,\bigl(y_{ic} - [c = k_i]\bigr)
/// ```
///
/// with $w = 1$ for [`Reduction::Sum`] and $1/N$ for [`Reduction::Mean`].
/// The same values as
/// [`crate::batch::batch_cross_entropy_from_logits_classes`] and the
/// gradient of [`crate::batch::batch_gradient_from_logits_into`] with one-hot
/// targets. Errors: as those (a label `>= classes` in row $i$ is
/// [`crate::Error::InSample`] around [`crate::Error::IndexOutOfRange`]),
/// `labels.len() != N`, or `out` of another length.
///
/// ```
/// use softmax_cross_entropy::{batch::Reduction, fused::loss_and_gradient_classes};
/// let z = [0.0_f64, 0.0, 0.0, 0.0];
/// let mut g = [0.0; 4];
/// let loss = loss_and_gradient_classes(&z, &[0, 1], 2, Reduction::Mean, &mut g)?;
/// assert_eq!(loss, 2.0_f64.ln());
/// assert_eq!(g, [-0.25, 0.25, 0.25, -0.25]);
/// # Ok::<(), softmax_cross_entropy::Error>(())
/// ```
// ANCHOR: loss_and_gradient_classes
pub fn loss_and_gradient_classes<T: KernelFloat>(
    z: &[T],
    labels: &[usize],
    classes: usize,
    reduction: Reduction,
    out: &mut [T],
) -> Result<T> {
    let rows = shape(z, out, classes)?;
    check::same_len("labels", rows, labels.len())?;
    let weight = weight(rows, reduction);
    let total = T::run_kernel(Some(z), out, classes, Job::Classes { labels, weight })?;
    Ok(T::narrow(total * weight))
}
// ANCHOR_END: loss_and_gradient_classes

/// [`loss_and_gradient_classes`] in place: the logits `z` are replaced by the
/// gradient.
///
/// ```math
/// z_{ic} \leftarrow w\,\bigl(\varsigma(\mathbf z_i)_c - [c = k_i]\bigr)
/// ```
///
/// ```
/// use softmax_cross_entropy::{batch::Reduction, fused::loss_and_gradient_classes_in_place};
/// let mut z = [0.0_f32, 0.0];
/// let loss = loss_and_gradient_classes_in_place(&mut z, &[1], 2, Reduction::Sum)?;
/// assert_eq!((loss, z), (2.0_f32.ln(), [0.5, -0.5]));
/// # Ok::<(), softmax_cross_entropy::Error>(())
/// ```
pub fn loss_and_gradient_classes_in_place<T: KernelFloat>(
    z: &mut [T],
    labels: &[usize],
    classes: usize,
    reduction: Reduction,
) -> Result<T> {
    let rows = check::batch_rows(z.len(), classes)?;
    check::same_len("labels", rows, labels.len())?;
    let weight = weight(rows, reduction);
    let total = T::run_kernel(None, z, classes, Job::Classes { labels, weight })?;
    Ok(T::narrow(total * weight))
}

// ---------------------------------------------------------------------------
// Loss and gradient, distribution targets

struct DistributionTargets<'a, T> {
    targets: &'a [T],
    classes: usize,
    weight: f64,
    tolerance: f64,
}

impl<T: KernelFloat> Finish<T> for DistributionTargets<'_, T> {
    #[inline(always)]
    fn fast(&mut self, row: Row<T>, z: &[T], e: &mut [T]) -> Option<f64> {
        let start = row.index * self.classes;
        let t = &self.targets[start..start + self.classes];
        // A quick screen of the targets: non-negative, finite, summing to 1
        // well within the tolerance; anything else goes to the reference check.
        let (mut sum, mut low) = (0.0_f64, 0.0_f64);
        for &t_c in t {
            let t_c = t_c.widen();
            sum += t_c;
            low = if t_c < low { t_c } else { low };
        }
        if !((sum - 1.0).abs() <= 0.5 * self.tolerance && low >= 0.0) {
            return None;
        }
        let (inv_s, log_s) = (row.inv_s, row.log_s);
        let (m, w) = (row.max.widen(), self.weight);
        let mut loss = Compensated::default();
        for ((g, &z_c), &t_c) in e.iter_mut().zip(z).zip(t) {
            let t_c = t_c.widen();
            // Each term t_c (log S − (z_c − m)) is non-negative; their sum is
            // compensated (10^5 terms summed plainly lose up to 10^5 ε).
            loss.add(t_c * (log_s - (z_c.widen() - m)));
            // y_c − t_c; where y_c > 1/2 (the max, with R < 1) as
            // (1 − t_c) − R/S, which keeps y_c − 1 = −R/S accurate.
            let (at_max, elsewhere) = ((1.0 - t_c) - row.rest * inv_s, g.widen() * inv_s - t_c);
            let y_minus_t = if z_c == row.max && row.rest < 1.0 {
                at_max
            } else {
                elsewhere
            };
            *g = T::narrow(y_minus_t * w);
        }
        Some(loss.value())
    }
    fn reference(&mut self, index: usize, z: &[T], out: &mut [T]) -> Result<f64> {
        let start = index * self.classes;
        let t = &self.targets[start..start + self.classes];
        let loss = cross_entropy_from_logits(z, t).map_err(check::in_sample(index))?;
        cross_entropy_gradient_from_logits_into(z, t, out).map_err(check::in_sample(index))?;
        let w = T::narrow(self.weight);
        for g in out.iter_mut() {
            *g = *g * w;
        }
        Ok(loss.widen())
    }
}

/// The cross-entropy of a batch against target distributions `t` (row-major,
/// the shape of `z`), and its gradient with respect to the logits, in one
/// pass; the gradient is written into `out` and the loss returned:
///
/// ```math
/// \xi = w \sum_{i=1}^N \sum_{c=1}^C t_{ic}\bigl(\operatorname{log1p}(R_i) - (z_{ic} - m_i)\bigr),
/// \qquad
/// \frac{\partial \xi}{\partial z_{ic}} = w\,(y_{ic} - t_{ic})
/// ```
///
/// The same values as [`crate::batch::batch_cross_entropy_from_logits`] and
/// [`crate::batch::batch_gradient_from_logits_into`]. Errors: as those, or
/// `out` of another length. The gradient entry $y - t$ is ill-conditioned
/// where $y \approx t$: its error is bounded in absolute terms, a few
/// $\varepsilon \cdot w$.
///
/// ```
/// use softmax_cross_entropy::{batch::Reduction, fused::loss_and_gradient};
/// let z = [0.0_f64, 0.0];
/// let mut g = [0.0; 2];
/// let loss = loss_and_gradient(&z, &[0.25, 0.75], 2, Reduction::Sum, &mut g)?;
/// assert_eq!(loss, 2.0_f64.ln());
/// assert_eq!(g, [0.25, -0.25]);
/// # Ok::<(), softmax_cross_entropy::Error>(())
/// ```
// ANCHOR: loss_and_gradient
pub fn loss_and_gradient<T: KernelFloat>(
    z: &[T],
    t: &[T],
    classes: usize,
    reduction: Reduction,
    out: &mut [T],
) -> Result<T> {
    let rows = shape(z, out, classes)?;
    check::same_len("targets", z.len(), t.len())?;
    let job = Job::Targets {
        targets: t,
        weight: weight(rows, reduction),
        tolerance: crate::target_sum_tolerance::<T>().widen(),
    };
    let total = T::run_kernel(Some(z), out, classes, job)?;
    Ok(T::narrow(total * weight(rows, reduction)))
}
// ANCHOR_END: loss_and_gradient

/// [`loss_and_gradient`] in place: the logits `z` are replaced by the gradient.
///
/// ```math
/// z_{ic} \leftarrow w\,\bigl(\varsigma(\mathbf z_i)_c - t_{ic}\bigr)
/// ```
///
/// ```
/// use softmax_cross_entropy::{batch::Reduction, fused::loss_and_gradient_in_place};
/// let mut z = [0.0_f64, 0.0];
/// let loss = loss_and_gradient_in_place(&mut z, &[0.5, 0.5], 2, Reduction::Mean)?;
/// assert_eq!((loss, z), (2.0_f64.ln(), [0.0, 0.0]));
/// # Ok::<(), softmax_cross_entropy::Error>(())
/// ```
pub fn loss_and_gradient_in_place<T: KernelFloat>(
    z: &mut [T],
    t: &[T],
    classes: usize,
    reduction: Reduction,
) -> Result<T> {
    let rows = check::batch_rows(z.len(), classes)?;
    check::same_len("targets", z.len(), t.len())?;
    let job = Job::Targets {
        targets: t,
        weight: weight(rows, reduction),
        tolerance: crate::target_sum_tolerance::<T>().widen(),
    };
    let total = T::run_kernel(None, z, classes, job)?;
    Ok(T::narrow(total * weight(rows, reduction)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dispatch::run_portable;

    /// The portable path (no FMA, baseline instructions), which this machine
    /// does not pick, agrees with the dispatched one within a few ulps.
    fn portable_agrees<T: KernelFloat + std::fmt::Debug>() {
        let z: Vec<T> = (0..600)
            .map(|i| T::narrow(((i * 37) % 101) as f64 * 0.37 - 18.0))
            .collect();
        let labels: Vec<usize> = (0..600).map(|i| i % 3).collect();
        for c in [3, 100] {
            let n = z.len() / c;
            let (mut a, mut b) = (vec![T::zero(); z.len()], vec![T::zero(); z.len()]);
            softmax_rows(&z, c, &mut a).unwrap();
            let rows = Rows {
                z: Some(&z),
                out: &mut b,
                classes: c,
                finish: SoftmaxRows,
            };
            run_portable(rows).unwrap();
            let eps = T::epsilon().widen();
            for (x, y) in a.iter().zip(&b) {
                assert!(
                    (x.widen() - y.widen()).abs() <= 4.0 * eps * x.widen(),
                    "{x:?} {y:?}"
                );
            }
            let loss = loss_and_gradient_classes(&z, &labels[..n], c, Reduction::Sum, &mut a);
            let finish = ClassTargets {
                labels: &labels[..n],
                weight: 1.0,
            };
            let rows = Rows {
                z: Some(&z),
                out: &mut b,
                classes: c,
                finish,
            };
            let portable = run_portable(rows).unwrap();
            let loss = loss.unwrap().widen();
            assert!(
                (loss - portable).abs() <= 4.0 * eps * loss,
                "{loss} {portable}"
            );
            for (x, y) in a.iter().zip(&b) {
                assert!((x.widen() - y.widen()).abs() <= 4.0 * eps * x.widen().abs().max(eps));
            }
        }
    }

    #[test]
    fn portable_path_agrees_with_dispatched_path() {
        portable_agrees::<f32>();
        portable_agrees::<f64>();
    }

    thread_local! {
        /// Rows this thread's kernels handed to the reference functions.
        pub(super) static REFERENCE_ROWS: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
    }

    /// The rows the kernels of `T` hand to the reference functions, over
    /// finite rows of `classes` logits, confident ones among them.
    fn reference_rows<T: KernelFloat>(classes: usize) -> usize {
        let z: Vec<T> = (0..4 * classes)
            .map(|i| match i % classes {
                0 => T::zero(),
                c if i / classes == 3 => T::narrow(-80.0 - c as f64 * 1e-3),
                c => T::narrow(((i * 37) % 101) as f64 * 0.37 - 18.0 - c as f64 * 1e-3),
            })
            .collect();
        let labels = [0, 1 % classes, 0, 0];
        let t: Vec<T> = (0..z.len())
            .map(|i| T::narrow(f64::from(u8::from(i % classes == 0))))
            .collect();
        let mut out = vec![T::zero(); z.len()];
        REFERENCE_ROWS.with(|n| n.set(0));
        softmax_rows(&z, classes, &mut out).unwrap();
        log_softmax_rows(&z, classes, &mut out).unwrap();
        loss_and_gradient_classes(&z, &labels, classes, Reduction::Mean, &mut out).unwrap();
        loss_and_gradient(&z, &t, classes, Reduction::Sum, &mut out).unwrap();
        REFERENCE_ROWS.with(|n| n.get())
    }

    /// Finite rows take the fast path: none goes to the reference functions.
    /// (The results alone cannot tell: the reference functions compute the
    /// same values, only slower; a kernel that sent every row there, for
    /// instance with a max computed wrong, passed every other test.)
    #[test]
    fn finite_rows_take_the_fast_path() {
        for classes in [2, 10, 63, 64, 70, 1000] {
            assert_eq!(reference_rows::<f32>(classes), 0, "f32, C = {classes}");
            assert_eq!(reference_rows::<f64>(classes), 0, "f64, C = {classes}");
        }
        // And the count sees a row that does go there (a NaN logit).
        let mut z = [0.0_f64, 1.0, f64::NAN, 0.0];
        REFERENCE_ROWS.with(|n| n.set(0));
        assert!(softmax_rows_in_place(&mut z, 2).is_err());
        assert_eq!(REFERENCE_ROWS.with(|n| n.get()), 1);
    }
}
