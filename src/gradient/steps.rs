use crate::jacobian::jacobian_element;
use crate::{Error, Result, Scalar, check};

/// Checks shared by every line; `positive` also requires every `y_j > 0`.
fn checked<T: Scalar>(y: &[T], t: &[T], i: usize, positive: bool) -> Result<()> {
    check::probabilities(y)?;
    check::same_len("targets", y.len(), t.len())?;
    check::nonnegative_targets(t)?;
    check::index("class", i, y.len())?;
    let non_positive = y.iter().position(|&y_j| y_j <= T::zero());
    if let (true, Some(index)) = (positive, non_positive) {
        return Err(Error::NotPositive {
            what: "probability",
            index,
            value: check::value(y[index]),
        });
    }
    Ok(())
}

fn sum<T: Scalar>(terms: impl Iterator<Item = T>) -> T {
    terms.fold(T::zero(), |s, x| s + x)
}

/// The chain rule through $\log$, with the softmax derivative
/// $\partial y_j / \partial z_i$ from [`crate::jacobian::jacobian_element`]:
///
/// ```math
/// -\sum_{j=1}^C t_j \frac{1}{y_j} \frac{\partial y_j}{\partial z_i}
/// ```
///
/// Errors: as [`cross_entropy_gradient_general`](super::cross_entropy_gradient_general),
/// `i` out of range, or a $y_j \le 0$.
///
/// ```
/// use softmax_cross_entropy::gradient::steps::chain_rule;
/// assert_eq!(chain_rule(&[0.25_f64, 0.75], &[1.0, 0.0], 0)?, -0.75);
/// # Ok::<(), softmax_cross_entropy::Error>(())
/// ```
// ANCHOR: chain_rule
pub fn chain_rule<T: Scalar>(y: &[T], t: &[T], i: usize) -> Result<T> {
    checked(y, t, i, true)?;
    let mut total = T::zero();
    for (j, (&y_j, &t_j)) in y.iter().zip(t).enumerate() {
        total = total + t_j / y_j * jacobian_element(y, j, i)?;
    }
    check::finite_result("gradient", T::zero() - total)
}
// ANCHOR_END: chain_rule

/// The $j = i$ term split off and both derivatives substituted:
///
/// ```math
/// -\frac{t_i}{y_i} y_i (1-y_i) - \sum_{j \neq i} \frac{t_j}{y_j} (-y_j y_i)
/// ```
///
/// ```
/// use softmax_cross_entropy::gradient::steps::split_diagonal;
/// assert_eq!(split_diagonal(&[0.25_f64, 0.75], &[1.0, 0.0], 0)?, -0.75);
/// # Ok::<(), softmax_cross_entropy::Error>(())
/// ```
// ANCHOR: split_diagonal
pub fn split_diagonal<T: Scalar>(y: &[T], t: &[T], i: usize) -> Result<T> {
    checked(y, t, i, true)?;
    let diagonal = t[i] / y[i] * (y[i] * (T::one() - y[i]));
    let others = sum((0..y.len())
        .filter(|&j| j != i)
        .map(|j| t[j] / y[j] * (T::zero() - y[j] * y[i])));
    check::finite_result("gradient", T::zero() - diagonal - others)
}
// ANCHOR_END: split_diagonal

/// The fractions cancelled and the products expanded:
///
/// ```math
/// -t_i + t_i y_i + \sum_{j \neq i} t_j y_i
/// ```
///
/// ```
/// use softmax_cross_entropy::gradient::steps::expanded;
/// assert_eq!(expanded(&[0.25_f64, 0.75], &[1.0, 0.0], 0)?, -0.75);
/// # Ok::<(), softmax_cross_entropy::Error>(())
/// ```
// ANCHOR: expanded
pub fn expanded<T: Scalar>(y: &[T], t: &[T], i: usize) -> Result<T> {
    checked(y, t, i, false)?;
    let others = sum((0..y.len()).filter(|&j| j != i).map(|j| t[j] * y[i]));
    check::finite_result("gradient", T::zero() - t[i] + t[i] * y[i] + others)
}
// ANCHOR_END: expanded

/// The $t_i y_i$ term merged back into the sum:
///
/// ```math
/// -t_i + \sum_{j=1}^C t_j y_i
/// ```
///
/// ```
/// use softmax_cross_entropy::gradient::steps::merged;
/// assert_eq!(merged(&[0.25_f64, 0.75], &[1.0, 0.0], 0)?, -0.75);
/// # Ok::<(), softmax_cross_entropy::Error>(())
/// ```
// ANCHOR: merged
pub fn merged<T: Scalar>(y: &[T], t: &[T], i: usize) -> Result<T> {
    checked(y, t, i, false)?;
    check::finite_result(
        "gradient",
        T::zero() - t[i] + sum(t.iter().map(|&t_j| t_j * y[i])),
    )
}
// ANCHOR_END: merged

/// $y_i$ factored out of the sum:
///
/// ```math
/// -t_i + y_i \sum_{j=1}^C t_j
/// ```
///
/// ```
/// use softmax_cross_entropy::gradient::steps::factored;
/// assert_eq!(factored(&[0.25_f64, 0.75], &[1.0, 1.0], 0)?, -0.5); // Σt = 2
/// # Ok::<(), softmax_cross_entropy::Error>(())
/// ```
// ANCHOR: factored
pub fn factored<T: Scalar>(y: &[T], t: &[T], i: usize) -> Result<T> {
    checked(y, t, i, false)?;
    check::finite_result("gradient", T::zero() - t[i] + y[i] * sum(t.iter().copied()))
}
// ANCHOR_END: factored

/// The last line, which substitutes $\sum_j t_j = 1$ (the step the source
/// does not state):
///
/// ```math
/// y_i - t_i
/// ```
///
/// It equals [`factored`] only when the targets sum to 1; this function
/// does not check that, so that the book can show the difference.
///
/// ```
/// use softmax_cross_entropy::gradient::steps::normalized;
/// assert_eq!(normalized(&[0.25_f64, 0.75], &[1.0, 1.0], 0)?, -0.75); // ≠ −0.5 above
/// # Ok::<(), softmax_cross_entropy::Error>(())
/// ```
// ANCHOR: normalized
pub fn normalized<T: Scalar>(y: &[T], t: &[T], i: usize) -> Result<T> {
    checked(y, t, i, false)?;
    check::finite_result("gradient", y[i] - t[i])
}
// ANCHOR_END: normalized
