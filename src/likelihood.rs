//! The likelihood of the targets under the model and its negative logarithm.
//!
//! ```math
//! \mathcal L(\theta \mid \mathbf t, \mathbf z) = P(\mathbf t \mid \mathbf z)
//!   = \prod_{c=1}^{C} y_c^{t_c}, \qquad
//! -\log \mathcal L = -\log \prod_{c=1}^{C} y_c^{t_c}
//! ```
//!
//! The source assumes one-hot targets; here the targets may be any
//! distribution (soft targets), where $y_c^{t_c}$ is a real power. As usual,
//! $0^0 = 1$: a class with $t_c = 0$ contributes nothing.
//!
//! These functions compute the product literally, as the source writes it. The
//! product of many probabilities underflows; the cross-entropy in
//! [`crate::cross_entropy`] is the same quantity computed as a sum of logarithms.

use crate::{Result, check};
use num_traits::Float;

/// The likelihood of the targets $\mathbf t$ given the predicted distribution
/// $\mathbf y$:
///
/// ```math
/// P(\mathbf t \mid \mathbf z) = \prod_{c=1}^{C} y_c^{t_c}
/// ```
///
/// Errors: empty or mismatched slices, a probability outside $[0, 1]$, or
/// targets that are not a distribution (negative, NaN, infinite, or
/// $|\sum_c t_c - 1|$ above [`crate::target_sum_tolerance`]).
///
/// ```
/// use softmax_cross_entropy::likelihood::likelihood;
/// assert_eq!(likelihood(&[0.25_f64, 0.75], &[0.0, 1.0])?, 0.75); // one-hot picks y_2
/// # Ok::<(), softmax_cross_entropy::Error>(())
/// ```
// ANCHOR: likelihood
pub fn likelihood<T: Float>(y: &[T], t: &[T]) -> Result<T> {
    check::probabilities(y)?;
    check::same_len("targets", y.len(), t.len())?;
    check::distribution(t)?;
    Ok(y.iter()
        .zip(t)
        .fold(T::one(), |p, (&y_c, &t_c)| p * y_c.powf(t_c)))
}
// ANCHOR_END: likelihood

/// The negative logarithm of [`likelihood`], taken of the product itself:
///
/// ```math
/// -\log \mathcal L(\theta \mid \mathbf t, \mathbf z) = -\log \prod_{c=1}^{C} y_c^{t_c}
/// ```
///
/// `+inf` when the likelihood is 0 (a target class with $y_c = 0$). Errors as
/// [`likelihood`].
///
/// **Accuracy:** this is the source's literal form, kept to compare with the
/// sum of logarithms: the product's relative error of about $C\varepsilon$
/// becomes an absolute error of the logarithm, so the bound is absolute,
/// $\varepsilon(C + \xi)$, and holds only while the product is a normal float
/// (it underflows for large losses, where it loses its digits). Use
/// [`crate::cross_entropy::cross_entropy`], which is within 4 ulp.
///
/// ```
/// use softmax_cross_entropy::likelihood::negative_log_likelihood;
/// assert_eq!(negative_log_likelihood(&[0.5_f64, 0.5], &[1.0, 0.0])?, 2.0_f64.ln());
/// # Ok::<(), softmax_cross_entropy::Error>(())
/// ```
// ANCHOR: negative_log_likelihood
pub fn negative_log_likelihood<T: Float>(y: &[T], t: &[T]) -> Result<T> {
    Ok(-likelihood(y, t)?.ln())
}
// ANCHOR_END: negative_log_likelihood
