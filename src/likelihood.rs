//! The likelihood of the targets under the model and its negative logarithm,
//! and the two steps of the source's argument that lead to it: the
//! maximizers of a likelihood over a finite set of parameters ([`argmax`]),
//! and the joint distribution built from a conditional and a marginal
//! ([`joint_probability`]).
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

use crate::{Error, Result, Scalar, check};
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
/// **Accuracy:** the literal product of $C$ powers, each within about one ulp
/// (`powf`) and each multiplication rounding once: a relative error of at most
/// $C\varepsilon$ while the product is a normal float. Below the normal range
/// the product keeps only the absolute accuracy of the subnormal spacing.
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

/// The maximizers of a finite family of values: every index $\theta$ whose
/// value is the largest, in increasing order, ties included.
///
/// ```math
/// \underset{\theta}{\operatorname{argmax}}\; \mathcal L(\theta \mid \mathbf t, \mathbf z)
/// ```
///
/// With `values[θ]` the likelihood of the data under the parameter $\theta$ of
/// a finite candidate set, this is the maximum-likelihood choice. Generic over
/// [`Scalar`], so that likelihoods computed exactly with rationals are
/// compared exactly. Errors: an empty slice, or a NaN value (named by its
/// index).
///
/// ```
/// use softmax_cross_entropy::likelihood::argmax;
/// assert_eq!(argmax(&[0.25_f64, 0.5, 0.125, 0.5])?, vec![1, 3]);
/// # Ok::<(), softmax_cross_entropy::Error>(())
/// ```
// ANCHOR: argmax
pub fn argmax<T: Scalar>(values: &[T]) -> Result<Vec<usize>> {
    check::non_empty("values", values)?;
    if let Some(index) = values.iter().position(|&v| check::is_nan(v)) {
        return Err(Error::NotANumber {
            what: "value",
            index,
        });
    }
    let (mut best, mut maximizers) = (values[0], Vec::new());
    for (theta, &value) in values.iter().enumerate() {
        if value > best {
            best = value;
            maximizers.clear();
        }
        if value == best {
            maximizers.push(theta);
        }
    }
    Ok(maximizers)
}
// ANCHOR_END: argmax

/// The joint distribution of input and class, built from the conditional
/// distribution of the class given the input and the marginal distribution of
/// the input (the product rule):
///
/// ```math
/// P(t = c, \mathbf x \mid \theta) = P(t = c \mid \mathbf x, \theta)\, P(\mathbf x \mid \theta)
/// ```
///
/// `conditional` holds, row-major, one row of `classes` probabilities
/// $P(t = c \mid \mathbf x, \theta)$ for each input $\mathbf x$;
/// `marginal` holds $P(\mathbf x \mid \theta)$, one entry per input. The
/// result is the joint table in the same layout. It is a distribution (it sums
/// to 1) when every row of `conditional` and `marginal` are distributions;
/// the function does not demand it, so that it runs on exact types, where
/// there is no tolerance to test a sum against. Generic over [`Scalar`].
///
/// Errors: a batch shape that is not a whole number of rows of `classes`
/// (or `classes == 0`), a marginal whose length is not the number of rows, or
/// an entry that is NaN or outside $[0, 1]$ (named by its index).
///
/// ```
/// use softmax_cross_entropy::likelihood::joint_probability;
/// let conditional = [0.5_f64, 0.5, 0.25, 0.75]; // two inputs, two classes
/// let joint = joint_probability(&conditional, &[0.5, 0.5], 2)?;
/// assert_eq!(joint, vec![0.25, 0.25, 0.125, 0.375]);
/// # Ok::<(), softmax_cross_entropy::Error>(())
/// ```
// ANCHOR: joint_probability
pub fn joint_probability<T: Scalar>(
    conditional: &[T],
    marginal: &[T],
    classes: usize,
) -> Result<Vec<T>> {
    let inputs = check::batch_rows(conditional.len(), classes)?;
    check::same_len("marginal probabilities", inputs, marginal.len())?;
    for (index, &p) in conditional.iter().enumerate() {
        check::probability("conditional probability", index, p)?;
    }
    for (index, &p) in marginal.iter().enumerate() {
        check::probability("marginal probability", index, p)?;
    }
    Ok(conditional
        .chunks_exact(classes)
        .zip(marginal)
        .flat_map(|(row, &p_x)| row.iter().map(move |&p_c| p_c * p_x))
        .collect())
}
// ANCHOR_END: joint_probability
