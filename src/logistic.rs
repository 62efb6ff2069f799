//! The logistic function $\sigma$, its derivative, the binary cross-entropy,
//! and the reduction of two-class softmax to them.
//!
//! ```math
//! \sigma(x) = \frac{1}{1 + e^{-x}}, \qquad
//! \varsigma([z_1, z_2])_1 = \sigma(z_1 - z_2)
//! ```

use crate::{Error, Result, check};
use num_traits::Float;

fn finite_or_infinite_logit<T: Float>(x: T) -> Result<()> {
    if x.is_nan() {
        Err(Error::NotANumber {
            what: "logit",
            index: 0,
        })
    } else {
        Ok(())
    }
}

/// The logistic function, computed without overflow for every input:
///
/// ```math
/// \sigma(x) = \frac{1}{1 + e^{-x}} = \frac{e^{x}}{1 + e^{x}}
/// ```
///
/// The first form is used for $x \ge 0$ and the second for $x < 0$, so the
/// exponent is never positive. $\sigma(\pm\infty) = 1, 0$. Errors on NaN.
///
/// ```
/// use softmax_cross_entropy::logistic::logistic;
/// assert_eq!(logistic(0.0_f64)?, 0.5);
/// assert_eq!(logistic(-1000.0_f64)?, 0.0); // e^-1000 underflows: the true value, about 5e-435, is below every positive f64
/// assert!(logistic(-700.0_f64)? > 0.0);   // e^-700 / (1 + e^-700), no overflow
/// # Ok::<(), softmax_cross_entropy::Error>(())
/// ```
// ANCHOR: logistic
pub fn logistic<T: Float>(x: T) -> Result<T> {
    finite_or_infinite_logit(x)?;
    Ok(if x >= T::zero() {
        (T::one() + (-x).exp()).recip()
    } else {
        let e = x.exp();
        e / (T::one() + e)
    })
}
// ANCHOR_END: logistic

/// The derivative of the logistic function:
///
/// ```math
/// \frac{d\sigma}{dx} = \sigma(x)\bigl(1 - \sigma(x)\bigr) = \sigma(x)\,\sigma(-x)
/// ```
///
/// Computed as $\sigma(x)\sigma(-x)$, which is the same number mathematically
/// ($1 - \sigma(x) = \sigma(-x)$) but keeps full relative accuracy in the tails,
/// where $1 - \sigma(x)$ would round to 0. Errors on NaN.
///
/// ```
/// use softmax_cross_entropy::logistic::logistic_derivative;
/// assert_eq!(logistic_derivative(0.0_f64)?, 0.25);
/// assert!(logistic_derivative(40.0_f64)? > 0.0); // 1 - σ(40) would be 0
/// # Ok::<(), softmax_cross_entropy::Error>(())
/// ```
// ANCHOR: logistic_derivative
pub fn logistic_derivative<T: Float>(x: T) -> Result<T> {
    Ok(logistic(x)? * logistic(-x)?)
}
// ANCHOR_END: logistic_derivative

/// The binary cross-entropy of the probability $y$ against the target $t$:
///
/// ```math
/// \xi(t, y) = -t \log y - (1 - t) \log (1 - y)
/// ```
///
/// A term with zero weight is 0 ($0 \log 0 = 0$). Errors: $y$ or $t$ NaN or
/// outside $[0, 1]$ (index 0 is $y$, index 1 is $t$).
///
/// ```
/// use softmax_cross_entropy::logistic::binary_cross_entropy;
/// assert_eq!(binary_cross_entropy(0.5_f64, 1.0)?, 2.0_f64.ln());
/// assert_eq!(binary_cross_entropy(1.0_f64, 1.0)?, 0.0);
/// # Ok::<(), softmax_cross_entropy::Error>(())
/// ```
// ANCHOR: binary_cross_entropy
pub fn binary_cross_entropy<T: Float>(y: T, t: T) -> Result<T> {
    check::probability("probability", 0, y)?;
    check::probability("target", 1, t)?;
    let mut loss = T::zero();
    if t != T::zero() {
        loss = loss - t * y.ln();
    }
    if t != T::one() {
        loss = loss - (T::one() - t) * (-y).ln_1p();
    }
    Ok(loss)
}
// ANCHOR_END: binary_cross_entropy

/// The binary cross-entropy of $\sigma(x)$ against $t$, from the logit $x$:
///
/// ```math
/// \xi(t, \sigma(x)) = -t \log \sigma(x) - (1 - t) \log \sigma(-x)
///   = \max(x, 0) - t x + \log\bigl(1 + e^{-|x|}\bigr)
/// ```
///
/// Finite for every finite $x$. Errors: $x$ NaN, or $t$ NaN or outside $[0, 1]$.
///
/// ```
/// use softmax_cross_entropy::logistic::binary_cross_entropy_from_logit;
/// assert_eq!(binary_cross_entropy_from_logit(-800.0_f64, 1.0)?, 800.0);
/// # Ok::<(), softmax_cross_entropy::Error>(())
/// ```
// ANCHOR: binary_cross_entropy_from_logit
pub fn binary_cross_entropy_from_logit<T: Float>(x: T, t: T) -> Result<T> {
    finite_or_infinite_logit(x)?;
    check::probability("target", 1, t)?;
    if x.is_infinite() {
        return binary_cross_entropy(logistic(x)?, t);
    }
    let softplus_tail = (-x.abs()).exp().ln_1p();
    Ok(if x >= T::zero() {
        (T::one() - t) * x + softplus_tail
    } else {
        softplus_tail - t * x
    })
}
// ANCHOR_END: binary_cross_entropy_from_logit

/// The source's two-class reduction, step by step, in terms of the
/// exponentials $a_1 = e^{z_1}$ and $a_2 = e^{z_2}$ (the source states the
/// result but never derives it):
///
/// ```math
/// y_1 = \frac{e^{z_1}}{e^{z_1} + e^{z_2}}
///     = \frac{a_1}{a_1 + a_2}
///     = \frac{1}{1 + a_2 / a_1}
///     = \frac{1}{1 + e^{-(z_1 - z_2)}}
///     = \sigma(z_1 - z_2)
/// ```
pub mod steps;
