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
//!   (the private module `lanes`), which it would not vectorize. `pulp` compiles
//!   the kernel again for AVX-512 and for AVX2 with FMA and picks the best
//!   version the processor has at run time ([`instruction_set`]); the
//!   versions round their multiply–adds and order their lanes differently,
//!   and each is measured. [`with_instruction_set`] holds the kernels to one
//!   of them ([`InstructionSet::Portable`]: the same bits on every processor).
//! - **No work a row does not need.** Where every $z_c - m$ of a row is at
//!   least $-86$ (`f32`) or $-700$ (`f64`), no $e^{z_c - m}$ is subnormal and
//!   the exponential skips its clamps and its two-step scaling
//!   ([`crate::vector_math::VectorExp::exp_normal_with_tail`], the same
//!   bits); no branch depends on where a row's max is.
//!
//! - **All the cores.** With the feature `parallel` (on by default), a batch
//!   of $2^{16}$ entries or more is cut into parts of whole rows of about
//!   $2^{15}$ entries, a cut that depends only on the shape, and the parts
//!   run on rayon's threads (`RAYON_NUM_THREADS` sets their count; the
//!   instruction set is the calling thread's). The parts' losses are added
//!   in their order: the same bits for every thread count, and without the
//!   feature.
//!
//! On error, the contents of `out` are unspecified (the first offending row
//! in row order is the one named).
use super::finish::{ClassTargets, DistributionTargets, LogSoftmaxRows, SoftmaxRows};
use super::row_sum::SumWithoutMax;
use super::rows::run_batch;
use crate::batch::Reduction;
use crate::{Result, check};

pub use super::dispatch::{
    InstructionSet, instruction_set, instruction_sets, with_instruction_set,
};
pub use super::float::{Job, KernelFloat};
pub use super::row_sum::sum_without_max;

/// [`KernelFloat::run_kernel`] for one type: the kernel's finishing step, then
/// the dispatch.
fn run_job<T: KernelFloat>(
    z: Option<&[T]>,
    out: &mut [T],
    classes: usize,
    job: Job<'_, T>,
) -> Result<f64> {
    match job {
        Job::Softmax => run_batch(z, out, classes, SoftmaxRows),
        Job::LogSoftmax => run_batch(z, out, classes, LogSoftmaxRows),
        Job::Classes { labels, weight } => {
            run_batch(z, out, classes, ClassTargets { labels, weight })
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
            run_batch(z, out, classes, finish)
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
            super::dispatch::run(SumWithoutMax { z, e, m })
        }
    };
}

impl KernelFloat for f32 {
    compiled_here!();
    #[inline(always)]
    fn widen(self) -> f64 {
        f64::from(self)
    }
    #[inline(always)]
    fn narrow(x: f64) -> f32 {
        x as f32
    }
}

impl KernelFloat for f64 {
    compiled_here!();
    #[inline(always)]
    fn widen(self) -> f64 {
        self
    }
    #[inline(always)]
    fn narrow(x: f64) -> f64 {
        x
    }
}

/// The mean's weight $1/N$ or the sum's 1, in `f64`.
fn weight(rows: usize, reduction: Reduction) -> f64 {
    match reduction {
        Reduction::Sum => 1.0,
        // usize → f64 rounds only beyond 2^53 rows.
        Reduction::Mean => 1.0 / rows as f64,
    }
}

/// Check `z` against `out` and the shape; returns the number of rows.
fn shape<T>(z: &[T], out: &[T], classes: usize) -> Result<usize> {
    let rows = check::batch_rows(z.len(), classes)?;
    check::same_len("outputs", z.len(), out.len())?;
    Ok(rows)
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
    Ok(T::narrow(total))
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
    Ok(T::narrow(total))
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
    Ok(T::narrow(total))
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
    Ok(T::narrow(total))
}
