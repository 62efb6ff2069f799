//! The cross-entropy $\xi(\mathbf t, \mathbf y) = -\sum_c t_c \log y_c$, from
//! probabilities or (stably) from logits, with targets given as a probability
//! vector (one-hot or soft) or as a class index.
//!
//! `log` is the natural logarithm. A term with $t_c = 0$ is 0 even where
//! $y_c = 0$ (the convention $0 \log 0 = 0$, the limit of $t \log t$), so no
//! NaN arises from $0 \cdot (-\infty)$.
//!
//! From probabilities, a target class with $y_c = 0$ gives $-\log 0 = +\infty$,
//! and rounding $y_c$ to 0 loses the loss entirely. From logits, the loss is
//! computed through [`crate::softmax::log_softmax`] and stays finite and
//! accurate for every finite input.

use crate::softmax::log_softmax;
use crate::{Result, check};
use num_traits::Float;

/// $-\sum_c t_c \ell_c$ over the classes with $t_c \neq 0$, for log-probabilities $\ell$.
fn weighted_negative_sum<T: Float>(t: &[T], log_y: impl Iterator<Item = T>) -> T {
    t.iter()
        .zip(log_y)
        .filter(|&(&t_c, _)| t_c != T::zero())
        .fold(T::zero(), |s, (&t_c, l)| s - t_c * l)
}

/// The cross-entropy of the predicted distribution $\mathbf y$ against the
/// target distribution $\mathbf t$:
///
/// ```math
/// \xi(\mathbf t, \mathbf y) = -\sum_{c=1}^{C} t_c \log y_c
/// ```
///
/// Errors: empty or mismatched slices, a probability outside $[0, 1]$, or
/// targets that are not a distribution (see [`crate::target_sum_tolerance`]).
///
/// ```
/// use softmax_cross_entropy::cross_entropy::cross_entropy;
/// assert_eq!(cross_entropy(&[0.5_f64, 0.5], &[1.0, 0.0])?, 2.0_f64.ln());
/// assert_eq!(cross_entropy(&[1.0_f64, 0.0], &[1.0, 0.0])?, 0.0); // 0 log 0 = 0
/// # Ok::<(), softmax_cross_entropy::Error>(())
/// ```
// ANCHOR: cross_entropy
pub fn cross_entropy<T: Float>(y: &[T], t: &[T]) -> Result<T> {
    check::probabilities(y)?;
    check::same_len("targets", y.len(), t.len())?;
    check::distribution(t)?;
    Ok(weighted_negative_sum(t, y.iter().map(|y_c| y_c.ln())))
}
// ANCHOR_END: cross_entropy

/// The cross-entropy against a one-hot target given as its class index $k$:
///
/// ```math
/// \xi(\mathbf t, \mathbf y) = -\log y_k \qquad (t_c = [c = k])
/// ```
///
/// Errors: empty `y`, a probability outside $[0, 1]$, or `class >= C`.
///
/// ```
/// use softmax_cross_entropy::cross_entropy::cross_entropy_class;
/// assert_eq!(cross_entropy_class(&[0.5_f64, 0.5], 1)?, 2.0_f64.ln());
/// assert!(cross_entropy_class(&[0.5_f64, 0.5], 2).is_err());
/// # Ok::<(), softmax_cross_entropy::Error>(())
/// ```
// ANCHOR: cross_entropy_class
pub fn cross_entropy_class<T: Float>(y: &[T], class: usize) -> Result<T> {
    check::probabilities(y)?;
    check::index("class", class, y.len())?;
    Ok(-y[class].ln())
}
// ANCHOR_END: cross_entropy_class

/// The cross-entropy of $\varsigma(\mathbf z)$ against the target distribution
/// $\mathbf t$, computed from the logits through log-softmax:
///
/// ```math
/// \xi(\mathbf t, \varsigma(\mathbf z)) = -\sum_{c=1}^{C} t_c \log \varsigma(\mathbf z)_c
///   = -\sum_{c=1}^{C} t_c \Bigl(z_c - \log \sum_{d} e^{z_d}\Bigr)
/// ```
///
/// Finite for all finite logits (up to the float range, see
/// [`crate::softmax::log_softmax_into`]). Errors: as
/// [`crate::softmax::softmax`] for the logits, mismatched lengths, or targets
/// that are not a distribution.
///
/// ```
/// use softmax_cross_entropy::cross_entropy::cross_entropy_from_logits;
/// // softmax([0, 800]) rounds to [0, 1], so the probability route gives +inf;
/// // the exact loss is 800 + log(1 + e^-800) = 800.
/// assert_eq!(cross_entropy_from_logits(&[0.0_f64, 800.0], &[1.0, 0.0])?, 800.0);
/// # Ok::<(), softmax_cross_entropy::Error>(())
/// ```
// ANCHOR: cross_entropy_from_logits
pub fn cross_entropy_from_logits<T: Float>(z: &[T], t: &[T]) -> Result<T> {
    let log_y = log_softmax(z)?;
    check::same_len("targets", z.len(), t.len())?;
    check::distribution(t)?;
    Ok(weighted_negative_sum(t, log_y.into_iter()))
}
// ANCHOR_END: cross_entropy_from_logits

/// The cross-entropy of $\varsigma(\mathbf z)$ against class $k$, from the logits:
///
/// ```math
/// \xi = -\log \varsigma(\mathbf z)_k = \log \sum_{d=1}^C e^{z_d} - z_k
/// ```
///
/// Errors: as [`crate::softmax::softmax`] for the logits, or `class >= C`.
///
/// ```
/// use softmax_cross_entropy::cross_entropy::cross_entropy_from_logits_class;
/// assert_eq!(cross_entropy_from_logits_class(&[0.0_f32, 1e5], 0)?, 1e5);
/// # Ok::<(), softmax_cross_entropy::Error>(())
/// ```
// ANCHOR: cross_entropy_from_logits_class
pub fn cross_entropy_from_logits_class<T: Float>(z: &[T], class: usize) -> Result<T> {
    // −log ς(z)_k = log Σ e^{z_d − m} − (z_k − m): no cancellation of a large m.
    let log_y = log_softmax(z)?;
    check::index("class", class, z.len())?;
    Ok(T::zero() - log_y[class])
}
// ANCHOR_END: cross_entropy_from_logits_class
