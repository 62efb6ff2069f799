//! The verification helpers themselves, on functions whose derivatives are
//! known in closed form: a helper that computed the wrong thing (a wrong
//! step, a transposed layout, a lost tangent) would let wrong derivative
//! formulas pass elsewhere, so it must fail here.

use crate::common::*;
use autodiff::F1;
use num_traits::Float;
use proptest::prelude::*;
use softmax_cross_entropy::verify::{
    central_difference_gradient, central_difference_jacobian, central_difference_step,
    forward_mode_gradient, forward_mode_jacobian,
};
use softmax_cross_entropy::{Error, Result};

/// A function `R³ → R²` with a non-square Jacobian (to catch a transposed or
/// mis-strided layout): `f(z) = (z₀ z₁ + sin z₂, exp(z₀) + z₁³)`.
fn f<T: Float>(z: &[T]) -> Result<Vec<T>> {
    Ok(vec![
        z[0] * z[1] + z[2].sin(),
        z[0].exp() + z[1] * z[1] * z[1],
    ])
}

/// Its Jacobian, row-major `2 × 3`, by hand.
fn f_jacobian(z: &[f64]) -> Vec<f64> {
    vec![z[1], z[0], z[2].cos(), z[0].exp(), 3.0 * z[1] * z[1], 0.0]
}

/// `g(z) = Σ_j z_j³/3 + z₀ z_{last}`, a scalar function with gradient
/// `z_j² + [j = 0] z_{last} + [j = last] z₀`.
fn g<T: Float>(z: &[T]) -> Result<T> {
    let three = T::one() + T::one() + T::one();
    let last = z[z.len() - 1];
    Ok(z.iter().fold(T::zero(), |s, &x| s + x * x * x / three) + z[0] * last)
}

fn g_gradient(z: &[f64]) -> Vec<f64> {
    let n = z.len();
    (0..n)
        .map(|j| {
            let mut d = z[j] * z[j];
            if j == 0 {
                d += z[n - 1];
            }
            if j == n - 1 {
                d += z[0];
            }
            d
        })
        .collect()
}

proptest! {
    /// Central differences of `f` match its Jacobian, in the right layout.
    #[test]
    fn central_difference_jacobian_of_known_function(z in prop::collection::vec(-3.0..3.0_f64, 3)) {
        let fd = central_difference_jacobian(f, &z).unwrap();
        let s = scale(&z);
        // Truncation h²/6·|f'''| with |f'''| ≤ e³ + 6 < 27 and h = ε^{1/3}s:
        // ≤ 4.5 s²ε^{2/3}; rounding of f (≤ 4ε·|f| with |f| ≤ e³ + 27 + 10 < 60)
        // over 2h: ≤ 120 ε^{2/3}/s. Both inside 130 s² ε^{2/3}.
        assert_all_abs(&fd, &f_jacobian(&z), 130.0 * s * s * fd_scale());
    }

    /// Central differences of the scalar `g` match its gradient, for inputs of
    /// every length from 1 to 8.
    #[test]
    fn central_difference_gradient_of_known_function(z in prop::collection::vec(-3.0..3.0_f64, 1..=8)) {
        let fd = central_difference_gradient(g, &z).unwrap();
        // g is a cubic: the central difference of z³/3 is z² + h²/3 exactly,
        // so truncation is h²/3 = s²ε^{2/3}/3; rounding of g (≤ 2nε·|g|, |g| ≤ 8·9 + 9)
        // over 2h: ≤ 1300 ε^{2/3}/s. Inside 1300 s² ε^{2/3}.
        let s = scale(&z);
        assert_all_abs(&fd, &g_gradient(&z), 1300.0 * s * s * fd_scale());
    }

    /// The step scales with `|x|`: for the cubic `z³` at large `z` the central
    /// difference is `3z² + h²` exactly in real arithmetic, so its relative
    /// error is `h²/(3z²) = ε^{2/3}/3` with the scaled step. An unscaled step
    /// `h = ε^{1/3}` would leave a rounding error of `ε z³/h`, relative
    /// `ε^{2/3}|z|/3`, far outside this bound for `|z| ≥ 100`.
    #[test]
    fn step_scales_with_the_input(x in prop_oneof![-1e6..-100.0_f64, 100.0..1e6_f64]) {
        let fd = central_difference_gradient(|z: &[f64]| Ok(z[0] * z[0] * z[0]), &[x]).unwrap();
        // Truncation ε^{2/3}/3 relative, rounding of z³ (≤ 2ε relative, over
        // 2h/|z| = 2ε^{1/3}) ≤ ε^{2/3}: inside 2ε^{2/3}.
        approx::assert_relative_eq!(fd[0], 3.0 * x * x, epsilon = 0.0, max_relative = 2.0 * fd_scale());
    }

    /// Forward-mode AD of `f` equals its Jacobian to rounding, in the right
    /// layout, for `f64` dual numbers.
    #[test]
    fn forward_mode_jacobian_of_known_function(z in prop::collection::vec(-3.0..3.0_f64, 3)) {
        let ad = forward_mode_jacobian(f, &z, F1::new, |d: F1| d.deriv()).unwrap();
        // Each tangent is a product, sum, sin/cos, exp or cube of the inputs:
        // a few roundings of numbers ≤ 27, ≤ 8ε·27.
        assert_all_abs(&ad, &f_jacobian(&z), 8.0 * 27.0 * f64::EPSILON);
    }

    /// Forward-mode AD of the scalar `g` equals its gradient.
    #[test]
    fn forward_mode_gradient_of_known_function(z in prop::collection::vec(-3.0..3.0_f64, 1..=8)) {
        let ad = forward_mode_gradient(g, &z, F1::new, |d: F1| d.deriv()).unwrap();
        // The tangent of x³/3 is (3x²)/3 with the three rounded products: ≤ 4ε·9
        // per entry, plus the product term: ≤ 8ε·12.
        assert_all_abs(&ad, &g_gradient(&z), 8.0 * 12.0 * f64::EPSILON);
    }
}

/// `central_difference_step` is `ε^{1/3}·max(1, |x|)`, the documented step
/// (the value balancing `h²` truncation against `ε/h` rounding).
#[test]
fn central_difference_step_values() {
    let h = f64::EPSILON.cbrt();
    assert_eq!(central_difference_step(0.0_f64), h);
    assert_eq!(central_difference_step(0.5_f64), h);
    assert_eq!(central_difference_step(-1.0_f64), h);
    assert_eq!(central_difference_step(8.0_f64), 8.0 * h);
    assert_eq!(central_difference_step(-1e6_f64), 1e6 * h);
    assert_eq!(central_difference_step(3.0_f32), 3.0 * f32::EPSILON.cbrt());
}

/// AD of products and sums of small integers is exact: the tangents are
/// themselves small integers, so the Jacobian must match bit for bit.
#[test]
fn forward_mode_is_exact_on_polynomials() {
    let ad = forward_mode_jacobian(
        |z: &[F1]| Ok(vec![z[0] * z[1], z[0] * 3.0 + z[1], z[1] * z[1]]),
        &[2.0, 5.0],
        F1::new,
        |d: F1| d.deriv(),
    )
    .unwrap();
    assert_eq!(ad, vec![5.0, 2.0, 3.0, 1.0, 0.0, 10.0]);
}

/// The helpers check their input and pass on the errors of `f`.
#[test]
fn helpers_report_errors() {
    let identity = |z: &[f64]| Ok(z.to_vec());
    assert_eq!(
        central_difference_jacobian(identity, &[]),
        Err(Error::Empty { what: "logits" })
    );
    assert_eq!(
        central_difference_jacobian(identity, &[0.0, f64::NAN]),
        Err(Error::NotANumber {
            what: "logit",
            index: 1
        })
    );
    let failing = |_: &[f64]| -> Result<Vec<f64>> { Err(Error::Empty { what: "test" }) };
    assert_eq!(
        central_difference_jacobian(failing, &[1.0]),
        Err(Error::Empty { what: "test" })
    );
    assert_eq!(
        central_difference_gradient(
            |_: &[f64]| -> Result<f64> { Err(Error::Empty { what: "test" }) },
            &[1.0]
        ),
        Err(Error::Empty { what: "test" })
    );
    // Outputs whose length depends on the point: an error, not a panic.
    let ragged = |z: &[f64]| Ok(vec![0.0; if z[0] > 0.0 { 2 } else { 1 }]);
    assert!(matches!(
        central_difference_jacobian(ragged, &[0.0]),
        Err(Error::LengthMismatch {
            what: "outputs",
            ..
        })
    ));

    let dual_identity = |z: &[F1]| Ok(z.to_vec());
    let new = F1::new;
    let deriv = |d: F1| d.deriv();
    assert_eq!(
        forward_mode_jacobian(dual_identity, &[], new, deriv),
        Err(Error::Empty { what: "logits" })
    );
    assert_eq!(
        forward_mode_jacobian(dual_identity, &[f64::NAN], new, deriv),
        Err(Error::NotANumber {
            what: "logit",
            index: 0
        })
    );
    // Outputs of different lengths for different seeded inputs.
    let ragged_dual = |z: &[F1]| Ok(vec![F1::cst(0.0); if z[0].deriv() == 1.0 { 2 } else { 1 }]);
    assert!(matches!(
        forward_mode_jacobian(ragged_dual, &[0.0, 0.0], new, deriv),
        Err(Error::LengthMismatch {
            what: "outputs",
            ..
        })
    ));
    assert_eq!(
        forward_mode_gradient(
            |_: &[F1]| -> Result<F1> { Err(Error::Empty { what: "test" }) },
            &[1.0],
            new,
            deriv
        ),
        Err(Error::Empty { what: "test" })
    );
    // The identity's Jacobian is I: the seeding puts the 1 at k = j only.
    assert_eq!(
        forward_mode_jacobian(dual_identity, &[3.0, -1.0], new, deriv).unwrap(),
        vec![1.0, 0.0, 0.0, 1.0]
    );
}
