//! The derivative of softmax: its elements, the whole Jacobian matrix, and the
//! vector–Jacobian product.
//!
//! ```math
//! \frac{\partial y_i}{\partial z_j} =
//! \begin{cases} y_i (1 - y_i) & i = j \\ -y_i y_j & i \neq j \end{cases}
//! \qquad\text{i.e.}\qquad
//! J = \operatorname{diag}(\mathbf y) - \mathbf y \mathbf y^\top
//! ```
//!
//! Everything here is algebra in $\mathbf y = \varsigma(\mathbf z)$, so it is
//! generic over [`Scalar`] and runs on exact rationals. The probabilities are
//! checked to lie in $[0, 1]$; that they sum to 1 is the caller's promise
//! (they come from [`crate::softmax::softmax`]).
//!
//! The intermediate expressions of the source's quotient-rule derivation are
//! in [`steps`].

use crate::summation::compensated_sum;
use crate::{Result, Scalar, check};

/// The diagonal derivative, $i = j$:
///
/// ```math
/// \frac{\partial y_i}{\partial z_i} = y_i (1 - y_i)
/// ```
///
/// Errors if `y_i` is NaN or outside $[0, 1]$.
///
/// ```
/// use softmax_cross_entropy::jacobian::softmax_derivative_same;
/// assert_eq!(softmax_derivative_same(0.25_f64)?, 0.1875);
/// # Ok::<(), softmax_cross_entropy::Error>(())
/// ```
// ANCHOR: softmax_derivative_same
pub fn softmax_derivative_same<T: Scalar>(y_i: T) -> Result<T> {
    check::probability("probability", 0, y_i)?;
    Ok(y_i * (T::one() - y_i))
}
// ANCHOR_END: softmax_derivative_same

/// The off-diagonal derivative, $i \neq j$:
///
/// ```math
/// \frac{\partial y_i}{\partial z_j} = -y_i y_j
/// ```
///
/// Errors if either probability is NaN or outside $[0, 1]$ (index 0 is `y_i`,
/// index 1 is `y_j`).
///
/// ```
/// use softmax_cross_entropy::jacobian::softmax_derivative_cross;
/// assert_eq!(softmax_derivative_cross(0.25_f64, 0.5)?, -0.125);
/// # Ok::<(), softmax_cross_entropy::Error>(())
/// ```
// ANCHOR: softmax_derivative_cross
pub fn softmax_derivative_cross<T: Scalar>(y_i: T, y_j: T) -> Result<T> {
    check::probability("probability", 0, y_i)?;
    check::probability("probability", 1, y_j)?;
    Ok(T::zero() - y_i * y_j)
}
// ANCHOR_END: softmax_derivative_cross

/// One element $\partial y_i / \partial z_j$ of the Jacobian, choosing the
/// $i = j$ or $i \neq j$ formula.
///
/// ```math
/// J_{ij} = \frac{\partial y_i}{\partial z_j} = y_i (\delta_{ij} - y_j)
/// ```
///
/// Errors: empty `y`, an entry outside $[0, 1]$, or `i`/`j` out of range.
///
/// ```
/// use softmax_cross_entropy::jacobian::jacobian_element;
/// let y = [0.25_f64, 0.75];
/// assert_eq!(jacobian_element(&y, 0, 0)?, 0.1875);
/// assert_eq!(jacobian_element(&y, 0, 1)?, -0.1875);
/// assert!(jacobian_element(&y, 2, 0).is_err());
/// # Ok::<(), softmax_cross_entropy::Error>(())
/// ```
// ANCHOR: jacobian_element
pub fn jacobian_element<T: Scalar>(y: &[T], i: usize, j: usize) -> Result<T> {
    check::probabilities(y)?;
    check::index("row", i, y.len())?;
    check::index("column", j, y.len())?;
    if i == j {
        softmax_derivative_same(y[i])
    } else {
        softmax_derivative_cross(y[i], y[j])
    }
}
// ANCHOR_END: jacobian_element

/// The full Jacobian in matrix form, written row-major into `out` (length $C^2$):
///
/// ```math
/// J = \operatorname{diag}(\mathbf y) - \mathbf y \mathbf y^\top,
/// \qquad J_{ij} = [i = j]\, y_i - y_i y_j
/// ```
///
/// Allocates nothing. Errors: empty `y`, an entry outside $[0, 1]$, or `out`
/// not of length $C^2$.
///
/// **Accuracy:** within 4 ulp (measured: about 1.1 ulp): the diagonal is
/// $y_i(1 - y_i)$, one subtraction (exact for $y_i \ge 1/2$) and one product;
/// $y_i - y_i y_i$ cancelled near $y_i = 1$ (errors of millions of ulp).
///
/// ```
/// use softmax_cross_entropy::jacobian::jacobian_into;
/// let mut j = [0.0_f64; 4];
/// jacobian_into(&[0.5, 0.5], &mut j)?;
/// assert_eq!(j, [0.25, -0.25, -0.25, 0.25]);
/// # Ok::<(), softmax_cross_entropy::Error>(())
/// ```
// ANCHOR: jacobian_into
pub fn jacobian_into<T: Scalar>(y: &[T], out: &mut [T]) -> Result<()> {
    check::probabilities(y)?;
    let c = y.len();
    check::same_len("Jacobian entries", c * c, out.len())?;
    for (i, row) in out.chunks_exact_mut(c).enumerate() {
        for (j, entry) in row.iter_mut().enumerate() {
            // y_i − y_i y_i cancels near y_i = 1; y_i (1 − y_i) does not.
            *entry = if i == j {
                y[i] * (T::one() - y[i])
            } else {
                T::zero() - y[i] * y[j]
            };
        }
    }
    Ok(())
}
// ANCHOR_END: jacobian_into

/// The full Jacobian $\operatorname{diag}(\mathbf y) - \mathbf y \mathbf y^\top$
/// as a new row-major $C \times C$ vector; see [`jacobian_into`].
///
/// ```math
/// J = \operatorname{diag}(\mathbf y) - \mathbf y \mathbf y^\top
/// ```
///
/// ```
/// use softmax_cross_entropy::jacobian::jacobian;
/// let j = jacobian(&[0.25_f64, 0.75])?;
/// assert_eq!(j, vec![0.1875, -0.1875, -0.1875, 0.1875]);
/// # Ok::<(), softmax_cross_entropy::Error>(())
/// ```
// ANCHOR: jacobian
pub fn jacobian<T: Scalar>(y: &[T]) -> Result<Vec<T>> {
    let mut out = vec![T::zero(); y.len() * y.len()];
    jacobian_into(y, &mut out)?;
    Ok(out)
}
// ANCHOR_END: jacobian

/// The vector–Jacobian product $\mathbf v^\top J$ without forming $J$, written
/// into `out`:
///
/// ```math
/// (\mathbf v^\top J)_j = \sum_i v_i\, y_i (\delta_{ij} - y_j)
///                      = y_j \bigl(v_j - \langle \mathbf v, \mathbf y \rangle\bigr)
/// ```
///
/// $J$ is symmetric, so this is also $J \mathbf v$. $O(C)$ time, no
/// allocation. Errors: empty `y`, an entry of `y` outside $[0, 1]$, a NaN or
/// infinite entry of `v`, lengths that differ, or (in floats) a result beyond
/// the float range.
///
/// **Accuracy:** $v_j - \langle\mathbf v, \mathbf y\rangle$ cancels whenever
/// $v_j$ is close to the mean, so the bound is absolute:
/// $2\varepsilon\,y_j\bigl(|v_j| + \sum_i |y_i v_i|\bigr)$. The products
/// $y_i v_i$ round one by one, each by up to $u|y_i v_i|$, before their
/// compensated sum, so the dot product's error is relative to
/// $\sum_i |y_i v_i|$, not to $|\langle\mathbf v, \mathbf y\rangle|$, which can
/// be far smaller when the products cancel. Products below the normal range
/// round to the subnormal spacing $\eta$ instead, which adds up to $C\eta/2$.
/// An entry far below that scale can come out as 0.
///
/// ```
/// use softmax_cross_entropy::jacobian::vector_jacobian_product_into;
/// let mut out = [0.0_f64; 2];
/// vector_jacobian_product_into(&[0.5, 0.5], &[1.0, 0.0], &mut out)?;
/// assert_eq!(out, [0.25, -0.25]); // the first row of J
/// # Ok::<(), softmax_cross_entropy::Error>(())
/// ```
// ANCHOR: vector_jacobian_product_into
pub fn vector_jacobian_product_into<T: Scalar>(y: &[T], v: &[T], out: &mut [T]) -> Result<()> {
    check::probabilities(y)?;
    check::same_len("vector entries", y.len(), v.len())?;
    check::same_len("outputs", y.len(), out.len())?;
    check::finite_entries("vector entry", v)?;
    let dot = compensated_sum(y.iter().zip(v).map(|(&a, &b)| a * b));
    for ((o, &y_j), &v_j) in out.iter_mut().zip(y).zip(v) {
        *o = check::finite_result("vector-Jacobian product", y_j * (v_j - dot))?;
    }
    Ok(())
}
// ANCHOR_END: vector_jacobian_product_into

/// The vector–Jacobian product $\mathbf y \odot (\mathbf v - \langle \mathbf v,
/// \mathbf y\rangle \mathbf 1)$ as a new vector; see [`vector_jacobian_product_into`].
///
/// ```math
/// \mathbf v^\top J = \mathbf y \odot \bigl(\mathbf v - \langle \mathbf v, \mathbf y \rangle \mathbf 1\bigr)
/// ```
///
/// ```
/// use softmax_cross_entropy::jacobian::vector_jacobian_product;
/// assert_eq!(vector_jacobian_product(&[0.25_f64, 0.75], &[0.0, 1.0])?, vec![-0.1875, 0.1875]);
/// # Ok::<(), softmax_cross_entropy::Error>(())
/// ```
// ANCHOR: vector_jacobian_product
pub fn vector_jacobian_product<T: Scalar>(y: &[T], v: &[T]) -> Result<Vec<T>> {
    let mut out = vec![T::zero(); y.len()];
    vector_jacobian_product_into(y, v, &mut out)?;
    Ok(out)
}
// ANCHOR_END: vector_jacobian_product

/// The intermediate expressions of the source's derivation of
/// $\partial y_i / \partial z_j$, written in terms of the exponentials
/// $a_d = e^{z_d} > 0$ and $\Sigma_C = \sum_d a_d$.
///
/// In these variables every step after the quotient rule is a rational
/// identity, which the book checks exactly with rational `a`.
///
/// ```math
/// \frac{\partial y_i}{\partial z_i}
///   = \frac{a_i \Sigma_C - a_i a_i}{\Sigma_C^2}
///   = \frac{a_i}{\Sigma_C} \frac{\Sigma_C - a_i}{\Sigma_C}
///   = \frac{a_i}{\Sigma_C} \Bigl(1 - \frac{a_i}{\Sigma_C}\Bigr)
///   = y_i (1 - y_i)
/// ```
///
/// ```math
/// \frac{\partial y_i}{\partial z_j}
///   = \frac{0 - a_i a_j}{\Sigma_C^2}
///   = -\frac{a_i}{\Sigma_C} \frac{a_j}{\Sigma_C}
///   = -y_i y_j \qquad (i \neq j)
/// ```
pub mod steps;
