use crate::softmax::exponentials;
use crate::{Result, Scalar, check};

/// The first softmax output of two classes in the exponentials:
///
/// ```math
/// y_1 = \frac{a_1}{a_1 + a_2}
/// ```
///
/// Errors if $a_1$ or $a_2$ is NaN, infinite or not strictly positive, or
/// (in floats) if $a_1 + a_2$ overflows.
///
/// ```
/// use softmax_cross_entropy::logistic::steps::two_class_quotient;
/// assert_eq!(two_class_quotient(1.0_f64, 3.0)?, 0.25);
/// # Ok::<(), softmax_cross_entropy::Error>(())
/// ```
// ANCHOR: two_class_quotient
pub fn two_class_quotient<T: Scalar>(a_1: T, a_2: T) -> Result<T> {
    let sum = exponentials(&[a_1, a_2])?;
    Ok(a_1 / sum)
}
// ANCHOR_END: two_class_quotient

/// Numerator and denominator divided by $a_1$:
///
/// ```math
/// y_1 = \frac{1}{1 + a_2 / a_1}
/// ```
///
/// ```
/// use softmax_cross_entropy::logistic::steps::two_class_divided;
/// assert_eq!(two_class_divided(1.0_f64, 3.0)?, 0.25);
/// # Ok::<(), softmax_cross_entropy::Error>(())
/// ```
// ANCHOR: two_class_divided
pub fn two_class_divided<T: Scalar>(a_1: T, a_2: T) -> Result<T> {
    exponentials(&[a_1, a_2])?;
    check::finite_result("two-class softmax", T::one() / (T::one() + a_2 / a_1))
}
// ANCHOR_END: two_class_divided
