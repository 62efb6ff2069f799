//! Independent routes to derivatives, used by the book and the tests to check
//! the derived formulas: central finite differences, and forward-mode
//! automatic differentiation of the crate's own generic code.
//!
//! Neither route knows any derivative formula. Finite differences only
//! evaluate the function; forward-mode AD evaluates the *same generic code*
//! on dual numbers $x + \dot x\,\varepsilon$ with $\varepsilon^2 = 0$, supplied
//! by the caller (for example `autodiff::F1`), and reads off the
//! $\varepsilon$ parts.

use crate::{Result, check};
use num_traits::Float;

/// The step $h = \varepsilon^{1/3} \max(1, |x|)$ that balances the
/// $O(h^2)$ truncation error of a central difference against its
/// $O(\varepsilon / h)$ rounding error; the total error is then
/// $O(\varepsilon^{2/3})$ relative to the function's scale.
///
/// ```math
/// h = \varepsilon^{1/3} \max(1, |x|)
/// ```
///
/// ```
/// use softmax_cross_entropy::verify::central_difference_step;
/// assert_eq!(central_difference_step(0.0_f64), f64::EPSILON.cbrt());
/// assert_eq!(central_difference_step(-10.0_f64), 10.0 * f64::EPSILON.cbrt());
/// ```
pub fn central_difference_step<T: Float>(x: T) -> T {
    T::epsilon().cbrt() * x.abs().max(T::one())
}

/// The Jacobian of `f` at `z` by central differences, row-major
/// (`out[i * n + j]` $\approx \partial f_i / \partial z_j$, $n$ = `z.len()`):
///
/// ```math
/// \frac{\partial f_i}{\partial z_j} \approx
/// \frac{f_i(\mathbf z + h_j \mathbf e_j) - f_i(\mathbf z - h_j \mathbf e_j)}{2 h_j},
/// \qquad h_j = \varepsilon^{1/3}\max(1, |z_j|)
/// ```
///
/// Errors: empty `z`, a NaN in `z`, any error of `f`, or outputs of `f` of
/// different lengths at the two points.
///
/// ```
/// use softmax_cross_entropy::verify::central_difference_jacobian;
/// // f(z) = (z0 * z1, z0 + z1): J = [[z1, z0], [1, 1]]
/// let f = |z: &[f64]| Ok(vec![z[0] * z[1], z[0] + z[1]]);
/// let j = central_difference_jacobian(f, &[2.0, 3.0])?;
/// for (got, want) in j.iter().zip([3.0, 2.0, 1.0, 1.0]) {
///     approx::assert_relative_eq!(*got, want, max_relative = 1e-9);
/// }
/// # Ok::<(), softmax_cross_entropy::Error>(())
/// ```
// ANCHOR: central_difference_jacobian
pub fn central_difference_jacobian<T: Float>(
    f: impl Fn(&[T]) -> Result<Vec<T>>,
    z: &[T],
) -> Result<Vec<T>> {
    check::logits(z)?;
    let n = z.len();
    let m = f(z)?.len();
    let mut out = vec![T::zero(); m * n];
    let mut point = z.to_vec();
    for j in 0..n {
        let h = central_difference_step(z[j]);
        point[j] = z[j] + h;
        let plus = f(&point)?;
        point[j] = z[j] - h;
        let minus = f(&point)?;
        point[j] = z[j];
        check::same_len("outputs", m, plus.len())?;
        check::same_len("outputs", m, minus.len())?;
        for i in 0..m {
            out[i * n + j] = (plus[i] - minus[i]) / (h + h);
        }
    }
    Ok(out)
}
// ANCHOR_END: central_difference_jacobian

/// The gradient of a scalar function `f` at `z` by central differences:
///
/// ```math
/// \frac{\partial f}{\partial z_j} \approx
/// \frac{f(\mathbf z + h_j \mathbf e_j) - f(\mathbf z - h_j \mathbf e_j)}{2 h_j}
/// ```
///
/// Errors: empty `z`, a NaN in `z`, or any error of `f`.
///
/// ```
/// use softmax_cross_entropy::verify::central_difference_gradient;
/// let g = central_difference_gradient(|z: &[f64]| Ok(z[0] * z[0] + 3.0 * z[1]), &[1.0, 0.0])?;
/// approx::assert_relative_eq!(g[0], 2.0, max_relative = 1e-9);
/// approx::assert_relative_eq!(g[1], 3.0, max_relative = 1e-9);
/// # Ok::<(), softmax_cross_entropy::Error>(())
/// ```
// ANCHOR: central_difference_gradient
pub fn central_difference_gradient<T: Float>(
    f: impl Fn(&[T]) -> Result<T>,
    z: &[T],
) -> Result<Vec<T>> {
    central_difference_jacobian(|x| Ok(vec![f(x)?]), z)
}
// ANCHOR_END: central_difference_gradient

/// The Jacobian of `f` at `z` by forward-mode automatic differentiation,
/// row-major (`out[i * n + j]` $= \partial f_i / \partial z_j$).
///
/// For each input $j$ it evaluates `f` once on dual numbers
/// $z_k + [k = j]\,\varepsilon$ and reads the $\varepsilon$ part of each
/// output, which is $\partial f_i / \partial z_j$ exactly (up to the rounding
/// of the arithmetic that `f` itself does). `dual(value, tangent)` builds a dual
/// number and `tangent(d)` reads its $\varepsilon$ part; with the `autodiff`
/// crate they are `F1::new` and `F1::deriv`.
///
/// ```math
/// f(\mathbf z + \varepsilon \mathbf e_j) = f(\mathbf z) + \varepsilon\, \frac{\partial f}{\partial z_j}
/// ```
///
/// Errors: empty `z`, a NaN in `z`, any error of `f`, or outputs of `f` of
/// different lengths for different `j`.
///
/// ```
/// use autodiff::F1;
/// use num_traits::Float;
/// use softmax_cross_entropy::verify::forward_mode_jacobian;
/// let f = |z: &[F1]| Ok(vec![z[0] * z[1], z[0].exp()]);
/// let j = forward_mode_jacobian(f, &[2.0, 3.0], F1::new, |d: F1| d.deriv())?;
/// assert_eq!(j, vec![3.0, 2.0, 2.0_f64.exp(), 0.0]);
/// # Ok::<(), softmax_cross_entropy::Error>(())
/// ```
// ANCHOR: forward_mode_jacobian
pub fn forward_mode_jacobian<T: Float, D: Copy>(
    f: impl Fn(&[D]) -> Result<Vec<D>>,
    z: &[T],
    dual: impl Fn(T, T) -> D,
    tangent: impl Fn(D) -> T,
) -> Result<Vec<T>> {
    check::logits(z)?;
    let n = z.len();
    let mut columns = Vec::with_capacity(n);
    for j in 0..n {
        let seeded: Vec<D> = z
            .iter()
            .enumerate()
            .map(|(k, &x)| dual(x, if k == j { T::one() } else { T::zero() }))
            .collect();
        columns.push(f(&seeded)?);
    }
    let m = columns[0].len();
    let mut out = vec![T::zero(); m * n];
    for (j, column) in columns.into_iter().enumerate() {
        check::same_len("outputs", m, column.len())?;
        for (i, d) in column.into_iter().enumerate() {
            out[i * n + j] = tangent(d);
        }
    }
    Ok(out)
}
// ANCHOR_END: forward_mode_jacobian

/// The gradient of a scalar function `f` at `z` by forward-mode automatic
/// differentiation; see [`forward_mode_jacobian`].
///
/// ```math
/// \frac{\partial f}{\partial z_j} = \operatorname{tangent}\bigl(f(\mathbf z + \varepsilon \mathbf e_j)\bigr)
/// ```
///
/// ```
/// use autodiff::F1;
/// use softmax_cross_entropy::verify::forward_mode_gradient;
/// let g = forward_mode_gradient(|z: &[F1]| Ok(z[0] * z[0] + z[1] * 3.0), &[1.0, 5.0], F1::new, |d: F1| d.deriv())?;
/// assert_eq!(g, vec![2.0, 3.0]);
/// # Ok::<(), softmax_cross_entropy::Error>(())
/// ```
// ANCHOR: forward_mode_gradient
pub fn forward_mode_gradient<T: Float, D: Copy>(
    f: impl Fn(&[D]) -> Result<D>,
    z: &[T],
    dual: impl Fn(T, T) -> D,
    tangent: impl Fn(D) -> T,
) -> Result<Vec<T>> {
    forward_mode_jacobian(|x| Ok(vec![f(x)?]), z, dual, tangent)
}
// ANCHOR_END: forward_mode_gradient
