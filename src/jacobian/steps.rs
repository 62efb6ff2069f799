use crate::softmax::exponentials;
use crate::{Error, Result, Scalar, check};

/// Check the exponentials and the index; return $\Sigma_C$, whose square
/// (the denominator of the quotient rule) must be finite too.
fn checked<T: Scalar>(a: &[T], i: usize) -> Result<T> {
    let s = exponentials(a)?;
    check::index("row", i, a.len())?;
    check::finite_result("square of the sum of exponentials", s * s)?;
    Ok(s)
}

fn checked_off_diagonal<T: Scalar>(a: &[T], i: usize, j: usize) -> Result<T> {
    let s = checked(a, i)?;
    check::index("column", j, a.len())?;
    if i == j {
        return Err(Error::DiagonalIndex { index: i });
    }
    Ok(s)
}

/// The quotient rule applied to $e^{z_i} / \Sigma_C$, using
/// $\partial \Sigma_C / \partial z_i = e^{z_i}$:
///
/// ```math
/// \frac{\partial}{\partial z_i} \frac{e^{z_i}}{\Sigma_C}
///   = \frac{e^{z_i}\Sigma_C - e^{z_i}e^{z_i}}{\Sigma_C^2}
///   = \frac{a_i \Sigma_C - a_i a_i}{\Sigma_C^2}
/// ```
///
/// Errors: empty `a`, an $a_d$ that is not finite or $\le 0$, `i` out of
/// range, or (in floats) $\Sigma_C^2$ beyond the float range.
///
/// ```
/// use softmax_cross_entropy::jacobian::steps::diagonal_quotient_rule;
/// assert_eq!(diagonal_quotient_rule(&[1.0_f64, 3.0], 0)?, 3.0 / 16.0);
/// # Ok::<(), softmax_cross_entropy::Error>(())
/// ```
// ANCHOR: diagonal_quotient_rule
pub fn diagonal_quotient_rule<T: Scalar>(a: &[T], i: usize) -> Result<T> {
    let s = checked(a, i)?;
    Ok((a[i] * s - a[i] * a[i]) / (s * s))
}
// ANCHOR_END: diagonal_quotient_rule

/// The quotient split into two factors:
///
/// ```math
/// \frac{a_i}{\Sigma_C} \cdot \frac{\Sigma_C - a_i}{\Sigma_C}
/// ```
///
/// ```
/// use softmax_cross_entropy::jacobian::steps::diagonal_factored;
/// assert_eq!(diagonal_factored(&[1.0_f64, 3.0], 0)?, 0.25 * 0.75);
/// # Ok::<(), softmax_cross_entropy::Error>(())
/// ```
// ANCHOR: diagonal_factored
pub fn diagonal_factored<T: Scalar>(a: &[T], i: usize) -> Result<T> {
    let s = checked(a, i)?;
    Ok((a[i] / s) * ((s - a[i]) / s))
}
// ANCHOR_END: diagonal_factored

/// The second factor written as a complement:
///
/// ```math
/// \frac{a_i}{\Sigma_C} \Bigl(1 - \frac{a_i}{\Sigma_C}\Bigr)
/// ```
///
/// ```
/// use softmax_cross_entropy::jacobian::steps::diagonal_complement;
/// assert_eq!(diagonal_complement(&[1.0_f64, 3.0], 1)?, 0.75 * 0.25);
/// # Ok::<(), softmax_cross_entropy::Error>(())
/// ```
// ANCHOR: diagonal_complement
pub fn diagonal_complement<T: Scalar>(a: &[T], i: usize) -> Result<T> {
    let s = checked(a, i)?;
    Ok((a[i] / s) * (T::one() - a[i] / s))
}
// ANCHOR_END: diagonal_complement

/// The quotient rule for $i \neq j$, where the numerator $e^{z_i}$ does not
/// depend on $z_j$:
///
/// ```math
/// \frac{\partial}{\partial z_j} \frac{e^{z_i}}{\Sigma_C}
///   = \frac{0 \cdot \Sigma_C - e^{z_i}e^{z_j}}{\Sigma_C^2}
///   = \frac{0 - a_i a_j}{\Sigma_C^2}
/// ```
///
/// Errors as [`diagonal_quotient_rule`], and [`Error::DiagonalIndex`] if `i == j`.
///
/// ```
/// use softmax_cross_entropy::jacobian::steps::off_diagonal_quotient_rule;
/// assert_eq!(off_diagonal_quotient_rule(&[1.0_f64, 3.0], 0, 1)?, -3.0 / 16.0);
/// assert!(off_diagonal_quotient_rule(&[1.0_f64, 3.0], 1, 1).is_err());
/// # Ok::<(), softmax_cross_entropy::Error>(())
/// ```
// ANCHOR: off_diagonal_quotient_rule
pub fn off_diagonal_quotient_rule<T: Scalar>(a: &[T], i: usize, j: usize) -> Result<T> {
    let s = checked_off_diagonal(a, i, j)?;
    Ok((T::zero() - a[i] * a[j]) / (s * s))
}
// ANCHOR_END: off_diagonal_quotient_rule

/// The quotient split into the product of two softmax outputs:
///
/// ```math
/// -\frac{a_i}{\Sigma_C} \frac{a_j}{\Sigma_C}
/// ```
///
/// ```
/// use softmax_cross_entropy::jacobian::steps::off_diagonal_product;
/// assert_eq!(off_diagonal_product(&[1.0_f64, 3.0], 1, 0)?, -0.75 * 0.25);
/// # Ok::<(), softmax_cross_entropy::Error>(())
/// ```
// ANCHOR: off_diagonal_product
pub fn off_diagonal_product<T: Scalar>(a: &[T], i: usize, j: usize) -> Result<T> {
    let s = checked_off_diagonal(a, i, j)?;
    Ok(T::zero() - (a[i] / s) * (a[j] / s))
}
// ANCHOR_END: off_diagonal_product
