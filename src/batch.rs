//! The cross-entropy of a batch of $N$ samples and its gradient.
//!
//! A batch is stored row-major: sample $i$ is the row
//! `data[i * C .. (i + 1) * C]` of a slice of length $N \times C$.
//!
//! ```math
//! \xi(T, Y) = \sum_{i=1}^N \xi(\mathbf t_i, \mathbf y_i)
//!           = -\sum_{i=1}^N \sum_{c=1}^C t_{ic} \log y_{ic}
//! ```
//!
//! Errors name the sample: [`crate::Error::InSample`] wraps the error of the
//! offending row.

use crate::cross_entropy::{
    cross_entropy, scaled_cross_entropy_from_logits, scaled_cross_entropy_from_logits_class,
};
use crate::gradient::cross_entropy_gradient_from_logits_into;
use crate::summation::CompensatedSum;
use crate::{Error, Result, check};
use num_traits::Float;

/// How the per-sample losses of a batch are combined.
///
/// ```
/// use softmax_cross_entropy::batch::{Reduction, batch_cross_entropy};
/// let y = [0.5_f64, 0.5, 0.5, 0.5];
/// let t = [1.0_f64, 0.0, 0.0, 1.0];
/// let sum = batch_cross_entropy(&y, &t, 2, Reduction::Sum)?;
/// let mean = batch_cross_entropy(&y, &t, 2, Reduction::Mean)?;
/// assert_eq!(sum, 2.0 * mean);
/// # Ok::<(), softmax_cross_entropy::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reduction {
    /// $\sum_{i=1}^N \xi_i$, the source's $\xi(T, Y)$.
    Sum,
    /// $\frac1N \sum_{i=1}^N \xi_i$, the usual training loss.
    Mean,
}

/// The number $N$ as a scalar, rounded once (to the nearest float: exact up
/// to $2^{24}$ in `f32` and $2^{53}$ in `f64`). Counting by adding 1.0 $N$
/// times would stop at $2^{24}$ in `f32`.
fn count<T: Float>(n: usize) -> Result<T> {
    T::from(n).ok_or(Error::NotRepresentable {
        what: "number of samples",
    })
}

/// Apply the reduction to a summed value: divide by $N$ (one rounding) for
/// the mean.
fn reduce<T: Float>(total: T, rows: usize, reduction: Reduction) -> Result<T> {
    Ok(match reduction {
        Reduction::Sum => total,
        Reduction::Mean => total / count::<T>(rows)?,
    })
}

/// The reduction of the row losses `loss(i, scale)`, `i < rows`, each times
/// `scale` (a power of two), summed with compensation.
///
/// The sum of finite losses can overflow while their mean is finite (two rows
/// of loss $0.75\,\mathrm{MAX}$). The mean then sums the losses again, each
/// scaled by $2^{-s}$ with $2^s \ge 4N$, so that no partial sum overflows, and
/// scales the quotient back: $\frac1N \sum_i \xi_i = 2^s \cdot \frac1N \sum_i
/// 2^{-s}\xi_i$, exact but for the roundings of the unscaled route. A row
/// loss itself beyond `MAX` (up to $2\,\mathrm{MAX}$, from logits
/// $[\mathrm{MAX}, -\mathrm{MAX}]$) is finite once scaled.
fn reduce_losses<T: Float>(
    rows: usize,
    reduction: Reduction,
    loss: impl Fn(usize, T) -> Result<T>,
) -> Result<T> {
    let sum_scaled = |scale: T| -> Result<T> {
        let mut total = CompensatedSum::new();
        for i in 0..rows {
            total.add(loss(i, scale).map_err(check::in_sample(i))?);
        }
        Ok(total.total())
    };
    let total = sum_scaled(T::one())?;
    if reduction == Reduction::Sum || total.is_finite() {
        return reduce(total, rows, reduction);
    }
    let two = T::one() + T::one();
    let exponent = 2 + usize::BITS - rows.leading_zeros();
    let up = two.powi(exponent as i32);
    Ok(reduce(sum_scaled(up.recip())?, rows, reduction)? * up)
}

/// The batch cross-entropy of predicted distributions `y` against target
/// distributions `t`, both row-major $N \times C$:
///
/// ```math
/// \xi(T, Y) = \sum_{i=1}^N \xi(\mathbf t_i, \mathbf y_i)
///           = -\sum_{i=1}^N \sum_{c=1}^C t_{ic} \log y_{ic}
/// ```
///
/// divided by $N$ for [`Reduction::Mean`]. Errors: an empty batch, a length
/// that is not a multiple of `classes` (or `classes == 0`), mismatched
/// lengths, or any error of [`crate::cross_entropy::cross_entropy`] in a row,
/// wrapped in [`crate::Error::InSample`].
///
/// ```
/// use softmax_cross_entropy::batch::{Reduction, batch_cross_entropy};
/// let y = [0.5_f64, 0.5, 0.25, 0.75];
/// let t = [1.0_f64, 0.0, 0.0, 1.0];
/// let expected = -(0.5_f64.ln() + 0.75_f64.ln());
/// approx::assert_relative_eq!(batch_cross_entropy(&y, &t, 2, Reduction::Sum)?, expected, max_relative = 2.0 * f64::EPSILON);
/// # Ok::<(), softmax_cross_entropy::Error>(())
/// ```
// ANCHOR: batch_cross_entropy
pub fn batch_cross_entropy<T: Float>(
    y: &[T],
    t: &[T],
    classes: usize,
    reduction: Reduction,
) -> Result<T> {
    let rows = check::batch_rows(y.len(), classes)?;
    check::same_len("targets", y.len(), t.len())?;
    let row = |i: usize| i * classes..(i + 1) * classes;
    // Losses from probabilities are at most C·745 (f64): no sum overflows.
    reduce_losses(rows, reduction, |i, scale: T| {
        Ok(cross_entropy(&y[row(i)], &t[row(i)])? * scale)
    })
}
// ANCHOR_END: batch_cross_entropy

/// The batch cross-entropy from row-major logits `z` and target distributions
/// `t`, each row through log-softmax:
///
/// ```math
/// \xi(T, \varsigma(Z)) = -\sum_{i=1}^N \sum_{c=1}^C t_{ic} \log \varsigma(\mathbf z_i)_c
/// ```
///
/// divided by $N$ for [`Reduction::Mean`]. Errors as [`batch_cross_entropy`],
/// with the logit errors of [`crate::softmax::softmax`] for each row.
///
/// **Accuracy:** within 4 ulp on the tested batches (measured: about 2 ulp on tiled
/// batches of up to $16{,}384$ rows, and $2^{24} + 2^{22}$ rows in the long run):
/// the per-row losses are summed with compensation and the mean divides once by
/// $N$, converted once (rounded) to the float type. A row whose loss is itself
/// subnormal can only be rounded to the subnormal spacing: a sum of $N$ such
/// rows is within $N$ times that spacing instead.
///
/// ```
/// use softmax_cross_entropy::batch::{Reduction, batch_cross_entropy_from_logits};
/// let z = [0.0_f64, 0.0, 0.0, 0.0];
/// let t = [1.0_f64, 0.0, 0.0, 1.0];
/// assert_eq!(batch_cross_entropy_from_logits(&z, &t, 2, Reduction::Mean)?, 2.0_f64.ln());
/// # Ok::<(), softmax_cross_entropy::Error>(())
/// ```
// ANCHOR: batch_cross_entropy_from_logits
pub fn batch_cross_entropy_from_logits<T: Float>(
    z: &[T],
    t: &[T],
    classes: usize,
    reduction: Reduction,
) -> Result<T> {
    let rows = check::batch_rows(z.len(), classes)?;
    check::same_len("targets", z.len(), t.len())?;
    let row = |i: usize| i * classes..(i + 1) * classes;
    reduce_losses(rows, reduction, |i, scale| {
        scaled_cross_entropy_from_logits(&z[row(i)], &t[row(i)], scale)
    })
}
// ANCHOR_END: batch_cross_entropy_from_logits

/// The batch cross-entropy from row-major logits `z` and one class label per
/// sample:
///
/// ```math
/// \xi = -\sum_{i=1}^N \log \varsigma(\mathbf z_i)_{k_i}
/// ```
///
/// divided by $N$ for [`Reduction::Mean`]. Errors: as
/// [`batch_cross_entropy_from_logits`], `labels.len() != N`, or a label `>= C`
/// (wrapped in [`crate::Error::InSample`]).
///
/// ```
/// use softmax_cross_entropy::batch::{Reduction, batch_cross_entropy_from_logits_classes};
/// let z = [0.0_f64, 0.0, 0.0, 0.0];
/// assert_eq!(batch_cross_entropy_from_logits_classes(&z, &[0, 1], 2, Reduction::Sum)?, 2.0 * 2.0_f64.ln());
/// assert!(batch_cross_entropy_from_logits_classes(&z, &[0, 2], 2, Reduction::Sum).is_err());
/// # Ok::<(), softmax_cross_entropy::Error>(())
/// ```
// ANCHOR: batch_cross_entropy_from_logits_classes
pub fn batch_cross_entropy_from_logits_classes<T: Float>(
    z: &[T],
    labels: &[usize],
    classes: usize,
    reduction: Reduction,
) -> Result<T> {
    let rows = check::batch_rows(z.len(), classes)?;
    check::same_len("labels", rows, labels.len())?;
    reduce_losses(rows, reduction, |i, scale| {
        let row = &z[i * classes..(i + 1) * classes];
        scaled_cross_entropy_from_logits_class(row, labels[i], scale)
    })
}
// ANCHOR_END: batch_cross_entropy_from_logits_classes

/// The gradient of [`batch_cross_entropy_from_logits`] with respect to every
/// logit, written row-major into `out`:
///
/// ```math
/// \frac{\partial \xi}{\partial Z} = \varsigma(Z) - T \;\;(\text{sum}),
/// \qquad \frac{\varsigma(Z) - T}{N} \;\;(\text{mean})
/// ```
///
/// Allocates nothing. Errors as [`batch_cross_entropy_from_logits`], or `out`
/// of another length.
///
/// ```
/// use softmax_cross_entropy::batch::{Reduction, batch_gradient_from_logits_into};
/// let mut g = [0.0_f64; 4];
/// batch_gradient_from_logits_into(&[0.0, 0.0, 0.0, 0.0], &[1.0, 0.0, 0.0, 1.0], 2, Reduction::Mean, &mut g)?;
/// assert_eq!(g, [-0.25, 0.25, 0.25, -0.25]);
/// # Ok::<(), softmax_cross_entropy::Error>(())
/// ```
// ANCHOR: batch_gradient_from_logits_into
pub fn batch_gradient_from_logits_into<T: Float>(
    z: &[T],
    t: &[T],
    classes: usize,
    reduction: Reduction,
    out: &mut [T],
) -> Result<()> {
    let rows = check::batch_rows(z.len(), classes)?;
    check::same_len("targets", z.len(), t.len())?;
    check::same_len("outputs", z.len(), out.len())?;
    let batch = z.chunks_exact(classes).zip(t.chunks_exact(classes));
    for (i, ((z_i, t_i), g_i)) in batch.zip(out.chunks_exact_mut(classes)).enumerate() {
        cross_entropy_gradient_from_logits_into(z_i, t_i, g_i).map_err(check::in_sample(i))?;
        for g in g_i.iter_mut() {
            *g = reduce(*g, rows, reduction)?;
        }
    }
    Ok(())
}
// ANCHOR_END: batch_gradient_from_logits_into

/// The batch gradient as a new row-major vector; see [`batch_gradient_from_logits_into`].
///
/// ```math
/// \frac{\partial \xi}{\partial Z} = \varsigma(Z) - T \;\;(\text{sum}),
/// \qquad \frac{\varsigma(Z) - T}{N} \;\;(\text{mean})
/// ```
///
/// ```
/// use softmax_cross_entropy::batch::{Reduction, batch_gradient_from_logits};
/// let g = batch_gradient_from_logits(&[0.0_f64, 0.0], &[0.0, 1.0], 2, Reduction::Sum)?;
/// assert_eq!(g, vec![0.5, -0.5]);
/// # Ok::<(), softmax_cross_entropy::Error>(())
/// ```
// ANCHOR: batch_gradient_from_logits
pub fn batch_gradient_from_logits<T: Float>(
    z: &[T],
    t: &[T],
    classes: usize,
    reduction: Reduction,
) -> Result<Vec<T>> {
    let mut out = vec![T::zero(); z.len()];
    batch_gradient_from_logits_into(z, t, classes, reduction, &mut out)?;
    Ok(out)
}
// ANCHOR_END: batch_gradient_from_logits

#[cfg(test)]
mod tests {
    use super::*;

    /// `N` past `2^{24}` in `f32`: counted by adding 1.0 `N` times, it stopped
    /// at 16,777,216, so a mean over `1.5·2^{24}` rows was 1.5× too large.
    #[test]
    fn count_past_two_to_the_24() {
        let n = 3 << 23;
        assert_eq!(count::<f32>(n), Ok(25_165_824.0));
        assert_eq!(reduce(1.5_f32, n, Reduction::Mean), Ok(1.5 / 25_165_824.0));
        assert_eq!(reduce(1.5_f32, n, Reduction::Sum), Ok(1.5));
        // Beyond 2^24 the count rounds once, to the nearest float.
        assert_eq!(count::<f32>((1 << 24) + 3), Ok(16_777_220.0));
    }
}
