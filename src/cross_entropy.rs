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
//! computed through [`crate::softmax::log_softmax`] and stays finite for every
//! finite input whose loss is finite, and accurate on every input the accuracy
//! tests draw.

use crate::softmax::{Normalizer, normalizer};
use crate::summation::CompensatedSum;
use crate::{Result, check};
use num_traits::Float;

/// $\sum_c t_c \cdot (-\ell_c)$ over the classes with $t_c \neq 0$, for
/// non-positive log-probabilities $\ell_c$: a sum of non-negative terms,
/// summed with compensation, so that no order of the classes loses a term.
fn weighted_negative_sum<T: Float>(t: &[T], log_y: impl Iterator<Item = T>) -> T {
    let mut sum = CompensatedSum::new();
    for (&t_c, l) in t.iter().zip(log_y) {
        if t_c != T::zero() {
            sum.add(t_c * -l);
        }
    }
    sum.total()
}

/// $t_c \cdot (-\log \varsigma(\mathbf z)_c) = t_c\,(\log S - (z_c - m))$ for
/// one class, times `scale` (a power of two; 1 but in the batch mean whose sum
/// overflows). Where $z_c - m$ overflows to `-inf` (logits of opposite signs
/// near `±MAX`), the product is computed as $t_c m - t_c z_c + t_c \log S$ (each
/// scaled first), which is finite whenever the true value is.
fn weighted_loss<T: Float>(s: &Normalizer<T>, log_sum: T, z_c: T, t_c: T, scale: T) -> T {
    let loss = -s.log_softmax(z_c, log_sum);
    if loss.is_infinite() && z_c.is_finite() {
        (t_c * (s.max * scale) - t_c * (z_c * scale)) + t_c * (log_sum * scale)
    } else {
        t_c * loss * scale
    }
}

/// The cross-entropy from logits for the targets `(class, weight)`, the
/// classes of non-zero weight: $\sum_c t_c (\log S - (z_c - m))$, a sum of
/// non-negative terms. One-hot and class-index targets both go through here,
/// so that they give the same bits.
fn from_logits<T: Float>(
    z: &[T],
    s: Option<Normalizer<T>>,
    targets: impl Iterator<Item = (usize, T)>,
    scale: T,
) -> Result<T> {
    let Some(s) = s else {
        // A +inf logit: the limit distribution puts all mass on the +inf logits.
        let log_y = crate::softmax::log_softmax(z)?;
        let mut sum = CompensatedSum::new();
        for (c, t_c) in targets {
            sum.add(t_c * -log_y[c] * scale);
        }
        return Ok(sum.total());
    };
    let log_sum = s.log_sum();
    let mut sum = CompensatedSum::new();
    for (c, t_c) in targets {
        sum.add(weighted_loss(&s, log_sum, z[c], t_c, scale));
    }
    Ok(sum.total())
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
/// **Accuracy:** within 4 ulp (measured: about 1.2 ulp): each term
/// $t_c \cdot (-\log y_c)$ is non-negative and within about $1.5u$, and the terms
/// are summed with compensation, so their number does not matter (a plain sum
/// was 64 ulp off at $C = 32{,}000$).
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
/// **Accuracy:** within 4 ulp on the accuracy tests' inputs (measured: about 1.3
/// ulp): each term $t_c(\log S - (z_c - m))$ is a non-negative sum of accurate
/// parts, and the terms are summed with compensation. Where $z_c - m$ overflows
/// (logits of opposite signs near `±MAX`) the term is $t_c m - t_c z_c + t_c\log S$,
/// finite whenever the loss is (`[MAX, −MAX]` against `[0.75, 0.25]` gives `MAX/2`).
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
    scaled_cross_entropy_from_logits(z, t, T::one())
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
/// **Accuracy:** within 4 ulp on the accuracy tests' inputs (measured: under 1 ulp),
/// tiny losses included: the loss of the largest logit is $\operatorname{log1p}(R)$
/// itself, never $\log(\operatorname{fl}(1 + R))$, which is 0 once $R < u$.
///
/// ```
/// use softmax_cross_entropy::cross_entropy::cross_entropy_from_logits_class;
/// assert_eq!(cross_entropy_from_logits_class(&[0.0_f32, 1e5], 0)?, 1e5);
/// # Ok::<(), softmax_cross_entropy::Error>(())
/// ```
// ANCHOR: cross_entropy_from_logits_class
pub fn cross_entropy_from_logits_class<T: Float>(z: &[T], class: usize) -> Result<T> {
    scaled_cross_entropy_from_logits_class(z, class, T::one())
}
// ANCHOR_END: cross_entropy_from_logits_class

/// [`cross_entropy_from_logits`] times `scale`, a power of two, computed so
/// that it is finite wherever the scaled value is: the batch mean of rows
/// whose sum of losses overflows sums them scaled (see [`crate::batch`]).
pub(crate) fn scaled_cross_entropy_from_logits<T: Float>(z: &[T], t: &[T], scale: T) -> Result<T> {
    let s = normalizer(z)?;
    check::same_len("targets", z.len(), t.len())?;
    check::distribution(t)?;
    let classes = t.iter().copied().enumerate();
    from_logits(z, s, classes.filter(|&(_, t_c)| t_c != T::zero()), scale)
}

/// [`cross_entropy_from_logits_class`] times `scale`, a power of two (see
/// [`scaled_cross_entropy_from_logits`]).
pub(crate) fn scaled_cross_entropy_from_logits_class<T: Float>(
    z: &[T],
    class: usize,
    scale: T,
) -> Result<T> {
    let s = normalizer(z)?;
    check::index("class", class, z.len())?;
    from_logits(z, s, std::iter::once((class, T::one())), scale)
}
