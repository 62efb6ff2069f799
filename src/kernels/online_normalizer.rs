//! The online normalizer of Milakov and Gimelshein (2018, "Online normalizer
//! calculation for softmax"): the max and the sum of a softmax row in one
//! pass instead of two.
//!
//! ```math
//! m_j = \max(m_{j-1}, z_j), \qquad
//! d_j = d_{j-1}\, e^{m_{j-1} - m_j} + e^{z_j - m_j}, \qquad
//! d_C = \sum_{d=1}^C e^{z_d - m_C}
//! ```
//!
//! The two-pass form reads the row twice, once for $m = \max_d z_d$ and once
//! for $\sum_d e^{z_d - m}$; the online form rescales the running sum
//! whenever the running max grows. Written in the exponentials
//! $a_d = e^{z_d}$ (so $e^{z_j - m_j} = a_j / M_j$ with $M_j = e^{m_j}$), both
//! forms are rational functions of the $a_d$, and the book proves them equal
//! exactly, on rationals. The fast kernels keep the two-pass form: a row of
//! the batch stays in the L1 cache between the passes, and the online form's
//! extra exponential per new max (and its dependency from one entry to the
//! next) measured slower (see the book's chapter "From the derivation to a
//! fast kernel").

use crate::{Error, Result, Scalar, check};
use num_traits::Float;

/// The larger of two values of a [`Scalar`] (which has only a partial order).
fn larger<T: Scalar>(a: T, b: T) -> T {
    if b > a { b } else { a }
}

/// The two-pass normalizer in the exponentials $a_d = e^{z_d}$: the largest
/// $M = \max_d a_d$ (that is, $e^m$) and $D = \sum_d a_d / M$ (that is,
/// $\sum_d e^{z_d - m}$).
///
/// ```math
/// M = \max_{d} a_d, \qquad D = \sum_{d=1}^C \frac{a_d}{M}
/// ```
///
/// Errors: as [`crate::softmax::softmax_from_exponentials`] (empty, or an
/// $a_d$ that is not finite and positive).
///
/// ```
/// use num_rational::Ratio;
/// use softmax_cross_entropy::online_normalizer::two_pass_normalizer_from_exponentials;
/// let a = [Ratio::from_integer(1_i128), Ratio::from_integer(4)];
/// assert_eq!(two_pass_normalizer_from_exponentials(&a)?, (Ratio::from_integer(4), Ratio::new(5, 4)));
/// # Ok::<(), softmax_cross_entropy::Error>(())
/// ```
// ANCHOR: two_pass_normalizer_from_exponentials
pub fn two_pass_normalizer_from_exponentials<T: Scalar>(a: &[T]) -> Result<(T, T)> {
    crate::softmax::softmax_from_exponentials(a)?; // the checks of the exponentials
    let big = a.iter().fold(a[0], |m, &x| larger(m, x));
    let d = a.iter().fold(T::zero(), |s, &x| s + x / big);
    Ok((big, d))
}
// ANCHOR_END: two_pass_normalizer_from_exponentials

/// The online normalizer in the exponentials: one pass, rescaling the running
/// sum by $M_{j-1}/M_j$ (that is, $e^{m_{j-1} - m_j}$) when the max grows.
///
/// ```math
/// M_j = \max(M_{j-1}, a_j), \qquad D_j = D_{j-1} \frac{M_{j-1}}{M_j} + \frac{a_j}{M_j},
/// \qquad M_1 = a_1, \; D_1 = 1
/// ```
///
/// Returns $(M_C, D_C)$. Errors as [`two_pass_normalizer_from_exponentials`].
///
/// ```
/// use num_rational::Ratio;
/// use softmax_cross_entropy::online_normalizer::online_normalizer_from_exponentials;
/// let a = [Ratio::from_integer(1_i128), Ratio::from_integer(4)];
/// assert_eq!(online_normalizer_from_exponentials(&a)?, (Ratio::from_integer(4), Ratio::new(5, 4)));
/// # Ok::<(), softmax_cross_entropy::Error>(())
/// ```
// ANCHOR: online_normalizer_from_exponentials
pub fn online_normalizer_from_exponentials<T: Scalar>(a: &[T]) -> Result<(T, T)> {
    crate::softmax::softmax_from_exponentials(a)?;
    let (mut big, mut d) = (a[0], T::one());
    for &a_j in &a[1..] {
        let next = larger(big, a_j);
        d = d * (big / next) + a_j / next;
        big = next;
    }
    Ok((big, d))
}
// ANCHOR_END: online_normalizer_from_exponentials

/// The online normalizer of finite float logits, in one pass: $(m, d)$ with
/// $m = \max_d z_d$ and $d = \sum_d e^{z_d - m}$, so that
/// $\log \sum_d e^{z_d} = m + \log d$.
///
/// ```math
/// m_j = \max(m_{j-1}, z_j), \qquad d_j = d_{j-1}\, e^{m_{j-1} - m_j} + e^{z_j - m_j}
/// ```
///
/// Errors: empty logits, a NaN or an infinite logit.
///
/// ```
/// use softmax_cross_entropy::online_normalizer::online_normalizer;
/// let (m, d) = online_normalizer(&[0.0_f64, 2.0_f64.ln()])?; // e^z = [1, 2]
/// assert_eq!(m, 2.0_f64.ln());
/// assert!((d - 1.5).abs() <= 2.0 * f64::EPSILON);
/// # Ok::<(), softmax_cross_entropy::Error>(())
/// ```
// ANCHOR: online_normalizer
pub fn online_normalizer<T: Float>(z: &[T]) -> Result<(T, T)> {
    check::non_empty("logits", z)?;
    check::finite_entries("logit", z)?;
    let (mut m, mut d) = (z[0], T::one());
    for &z_j in &z[1..] {
        if z_j > m {
            d = d * (m - z_j).exp() + T::one();
            m = z_j;
        } else {
            d = d + (z_j - m).exp();
        }
    }
    if !d.is_finite() {
        return Err(Error::NotRepresentable { what: "normalizer" });
    }
    Ok((m, d))
}
// ANCHOR_END: online_normalizer
