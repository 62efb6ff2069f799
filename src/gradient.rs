//! The gradient of the cross-entropy with respect to the logits:
//!
//! ```math
//! \frac{\partial \xi}{\partial z_i} = y_i \sum_{j=1}^C t_j - t_i
//!   \;\overset{\sum_j t_j = 1}{=}\; y_i - t_i
//! ```
//!
//! The familiar $\mathbf y - \mathbf t$ holds only for targets that sum to 1;
//! [`cross_entropy_gradient_general`] is the formula without that assumption.
//! The lines of the source's derivation are in [`steps`].

use crate::softmax::{normalizer, softmax_into};
use crate::summation::compensated_sum;
use crate::{Result, Scalar, check};
use num_traits::Float;

/// The gradient $\mathbf y - \mathbf t$ for a target distribution, written into `out`:
///
/// ```math
/// \frac{\partial \xi}{\partial z_i} = y_i - t_i
/// ```
///
/// Allocates nothing. Errors: empty or mismatched slices, a probability
/// outside $[0, 1]$, or targets that are not a distribution (the identity
/// needs $\sum_j t_j = 1$; see [`crate::target_sum_tolerance`]).
///
/// ```
/// use softmax_cross_entropy::gradient::cross_entropy_gradient_into;
/// let mut g = [0.0_f64; 2];
/// cross_entropy_gradient_into(&[0.25, 0.75], &[1.0, 0.0], &mut g)?;
/// assert_eq!(g, [-0.75, 0.75]);
/// # Ok::<(), softmax_cross_entropy::Error>(())
/// ```
// ANCHOR: cross_entropy_gradient_into
pub fn cross_entropy_gradient_into<T: Float>(y: &[T], t: &[T], out: &mut [T]) -> Result<()> {
    check::probabilities(y)?;
    check::same_len("targets", y.len(), t.len())?;
    check::same_len("outputs", y.len(), out.len())?;
    check::distribution(t)?;
    for ((o, &y_i), &t_i) in out.iter_mut().zip(y).zip(t) {
        *o = y_i - t_i;
    }
    Ok(())
}
// ANCHOR_END: cross_entropy_gradient_into

/// The gradient $\mathbf y - \mathbf t$ as a new vector; see [`cross_entropy_gradient_into`].
///
/// ```math
/// \nabla_{\mathbf z}\, \xi = \mathbf y - \mathbf t
/// ```
///
/// ```
/// use softmax_cross_entropy::gradient::cross_entropy_gradient;
/// assert_eq!(cross_entropy_gradient(&[0.25_f64, 0.75], &[0.5, 0.5])?, vec![-0.25, 0.25]);
/// assert!(cross_entropy_gradient(&[0.25_f64, 0.75], &[1.0, 1.0]).is_err()); // Σt = 2
/// # Ok::<(), softmax_cross_entropy::Error>(())
/// ```
// ANCHOR: cross_entropy_gradient
pub fn cross_entropy_gradient<T: Float>(y: &[T], t: &[T]) -> Result<Vec<T>> {
    let mut out = vec![T::zero(); y.len()];
    cross_entropy_gradient_into(y, t, &mut out)?;
    Ok(out)
}
// ANCHOR_END: cross_entropy_gradient

/// The gradient of [`crate::cross_entropy::cross_entropy_from_logits`] with
/// respect to the logits, $\varsigma(\mathbf z) - \mathbf t$, written into `out`:
///
/// ```math
/// \frac{\partial\, \xi(\mathbf t, \varsigma(\mathbf z))}{\partial z_i} = \varsigma(\mathbf z)_i - t_i
/// ```
///
/// Uses `out` for the softmax, so it allocates nothing. Errors: as
/// [`crate::softmax::softmax_into`], mismatched lengths, or targets that are
/// not a distribution.
///
/// **Accuracy:** within 4 ulp for a one-hot target (measured: about 2 ulp):
/// every $y_i$ is within about $2.5u$ and at the largest logit $k$ the entry is
/// $((1 - t_k) - t_k R)/S$, which is $-R/S$ for $t_k = 1$, instead of the
/// cancelling $1/S - 1$. For a soft target with $y_i \approx t_i$ the entry is a
/// cancellation of the inputs, and the bound is absolute:
/// $2\varepsilon\max(y_i, t_i)$ (measured: under 0.7 of it).
///
/// ```
/// use softmax_cross_entropy::gradient::cross_entropy_gradient_from_logits_into;
/// let mut g = [0.0_f64; 2];
/// cross_entropy_gradient_from_logits_into(&[1000.0, 0.0], &[0.0, 1.0], &mut g)?;
/// assert_eq!(g, [1.0, -1.0]);
/// # Ok::<(), softmax_cross_entropy::Error>(())
/// ```
// ANCHOR: cross_entropy_gradient_from_logits_into
pub fn cross_entropy_gradient_from_logits_into<T: Float>(
    z: &[T],
    t: &[T],
    out: &mut [T],
) -> Result<()> {
    check::same_len("outputs", z.len(), out.len())?;
    let s = normalizer(z)?;
    check::same_len("targets", z.len(), t.len())?;
    check::distribution(t)?;
    let Some(s) = s else {
        softmax_into(z, out)?; // a +inf logit: the limit distribution
        for (o, &t_i) in out.iter_mut().zip(t) {
            *o = *o - t_i;
        }
        return Ok(());
    };
    s.softmax_into(z, out);
    for ((o, &z_i), &t_i) in out.iter_mut().zip(z).zip(t) {
        // Where 0 < t_i < 2y_i, |y_i − t_i| can be far below y_i, and the
        // difference would magnify the roundings of y_i (e^{hi}, its
        // correction, the quotient: up to about 2u·y_i, 4 ulp of the result
        // where |y_i − t_i| = y_i/2). There it is (e^{z_i − m} − t_i S)/S
        // instead: t_i S is exact inside the fused multiply-add, e^{hi} is
        // rounded once (its correction e·lo joins the small terms), and the
        // difference rounds once. Elsewhere |y_i − t_i| ≥ y_i, and the plain
        // difference is as accurate (for t_i = 0, it is y_i itself).
        let two = T::one() + T::one();
        if t_i > T::zero() && t_i < *o * two {
            let (e, correction) = s.exp_shifted_parts(z_i);
            *o = s.divide((-t_i).mul_add(s.sum, e) + (correction - t_i * s.sum_error));
        } else {
            *o = *o - t_i;
        }
    }
    // At the largest logit k, y_k = 1/S is close to 1 and y_k − t_k cancels:
    // there it is (1 − t_k − t_k R)/S with S = 1 + R, which is −R/S for t_k = 1.
    let t_k = t[s.argmax];
    let numerator = ((T::one() - t_k) - t_k * s.rest) - t_k * s.rest_error;
    out[s.argmax] = s.divide(numerator);
    Ok(())
}
// ANCHOR_END: cross_entropy_gradient_from_logits_into

/// The gradient $\varsigma(\mathbf z) - \mathbf t$ as a new vector; see
/// [`cross_entropy_gradient_from_logits_into`].
///
/// ```math
/// \nabla_{\mathbf z}\, \xi(\mathbf t, \varsigma(\mathbf z)) = \varsigma(\mathbf z) - \mathbf t
/// ```
///
/// ```
/// use softmax_cross_entropy::gradient::cross_entropy_gradient_from_logits;
/// assert_eq!(cross_entropy_gradient_from_logits(&[0.0_f64, 0.0], &[0.0, 1.0])?, vec![0.5, -0.5]);
/// # Ok::<(), softmax_cross_entropy::Error>(())
/// ```
// ANCHOR: cross_entropy_gradient_from_logits
pub fn cross_entropy_gradient_from_logits<T: Float>(z: &[T], t: &[T]) -> Result<Vec<T>> {
    let mut out = vec![T::zero(); z.len()];
    cross_entropy_gradient_from_logits_into(z, t, &mut out)?;
    Ok(out)
}
// ANCHOR_END: cross_entropy_gradient_from_logits

/// The gradient of $-\sum_j t_j \log \varsigma(\mathbf z)_j$ for any
/// non-negative targets, without assuming they sum to 1:
///
/// ```math
/// \frac{\partial \xi}{\partial z_i} = y_i \sum_{j=1}^C t_j - t_i
/// ```
///
/// Generic over [`Scalar`], so the book checks it exactly. Errors: empty or
/// mismatched slices, a probability outside $[0, 1]$, a negative, NaN or
/// infinite target, or (in floats) a sum of targets beyond the float range.
///
/// **Accuracy:** where $y_i \sum_j t_j \approx t_i$ the difference cancels,
/// so the bound is absolute: $2\varepsilon \max(y_i \sum_j t_j,\ t_i)$ (the sum
/// of the targets is compensated, within $u$; the product and the difference
/// round once each). A gradient entry far below that scale can come out as 0.
///
/// ```
/// use softmax_cross_entropy::gradient::cross_entropy_gradient_general;
/// // Σt = 2: the gradient is 2y − t, not y − t.
/// assert_eq!(cross_entropy_gradient_general(&[0.25_f64, 0.75], &[1.0, 1.0])?, vec![-0.5, 0.5]);
/// # Ok::<(), softmax_cross_entropy::Error>(())
/// ```
// ANCHOR: cross_entropy_gradient_general
pub fn cross_entropy_gradient_general<T: Scalar>(y: &[T], t: &[T]) -> Result<Vec<T>> {
    check::probabilities(y)?;
    check::same_len("targets", y.len(), t.len())?;
    check::nonnegative_targets(t)?;
    let total = compensated_sum(t.iter().copied());
    let total = check::finite_result("sum of targets", total)?;
    y.iter()
        .zip(t)
        .map(|(&y_i, &t_i)| check::finite_result("gradient", y_i * total - t_i))
        .collect()
}
// ANCHOR_END: cross_entropy_gradient_general

/// The lines of the source's derivation of $\partial \xi / \partial z_i$, from
/// the chain rule down to $y_i - t_i$, each as a function of
/// $(\mathbf y, \mathbf t, i)$.
///
/// ```math
/// \begin{aligned}
/// \frac{\partial \xi}{\partial z_i}
///  &= -\sum_{j=1}^C \frac{t_j}{y_j} \frac{\partial y_j}{\partial z_i} \\
///  &= -\frac{t_i}{y_i} y_i (1-y_i) - \sum_{j \neq i} \frac{t_j}{y_j} (-y_j y_i) \\
///  &= -t_i + t_i y_i + \sum_{j \neq i} t_j y_i \\
///  &= -t_i + \sum_{j=1}^C t_j y_i \\
///  &= -t_i + y_i \sum_{j=1}^C t_j \\
///  &= y_i - t_i \qquad \text{if } \textstyle\sum_j t_j = 1
/// \end{aligned}
/// ```
///
/// The first three lines divide by $y_j$, so they need $y_j > 0$ (true for
/// every softmax output of finite logits). In floats, a line whose value
/// overflows (targets near the float limit) returns
/// [`Error::NotRepresentable`](crate::Error::NotRepresentable). All are generic over [`Scalar`]:
/// the book checks each consecutive pair exactly with rationals.
pub mod steps;
