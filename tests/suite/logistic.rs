//! The two-class reduction: `ς([z₁, z₂])₁ = σ(z₁ − z₂)`; the two-class
//! cross-entropy is the binary cross-entropy (probability and logit forms);
//! the logistic derivative `σ(1 − σ)` against AD; exact rational checks of the
//! reduction's steps.

use crate::common::*;
use autodiff::F1;
use proptest::prelude::*;
use quickcheck::TestResult;
use softmax_cross_entropy::cross_entropy::{cross_entropy, cross_entropy_from_logits};
use softmax_cross_entropy::logistic::{
    binary_cross_entropy, binary_cross_entropy_from_logit, logistic, logistic_derivative, steps,
};
use softmax_cross_entropy::softmax::{softmax, softmax_from_exponentials};

proptest! {
    /// `ς([z₁, z₂])₁ = σ(z₁ − z₂)` (and `ς([z₁, z₂])₂ = σ(z₂ − z₁)`), over a
    /// range where neither output underflows (`|z₁ − z₂| ≤ 700`).
    #[test]
    fn two_class_softmax_is_logistic(z1 in -350.0..350.0_f64, z2 in -350.0..350.0_f64) {
        let y = softmax(&[z1, z2]).unwrap();
        // Each side: exp (ε), + (u), ÷ (u), ≤ 2ε. softmax computes e^{z₂ − z₁}
        // of the exact difference (TwoSum), logistic of the rounded one: that
        // rounding, u|z₁ − z₂|, moves σ by a relative (1 − σ)u|z₁ − z₂| at most.
        let tol = f64::EPSILON * (4.0 + (z1 - z2).abs());
        approx::assert_relative_eq!(y[0], logistic(z1 - z2).unwrap(), epsilon = 0.0, max_relative = tol);
        approx::assert_relative_eq!(y[1], logistic(z2 - z1).unwrap(), epsilon = 0.0, max_relative = tol);
    }

    /// The logistic function equals its textbook formula `1/(1 + e^{−x})`
    /// where that does not overflow (`x ≥ −700`), and `σ(−x) = 1 − σ(x)`.
    #[test]
    fn logistic_is_its_formula(x in -700.0..700.0_f64) {
        let s = logistic(x).unwrap();
        // exp (ε), + (u), ÷ (u) on each side: ≤ 4ε apart.
        approx::assert_relative_eq!(s, 1.0 / (1.0 + (-x).exp()), epsilon = 0.0, max_relative = 4.0 * f64::EPSILON);
        // σ(x) + σ(−x) = 1: both ≤ 2ε relative, the sum rounds once: ≤ 3ε.
        approx::assert_abs_diff_eq!(s + logistic(-x).unwrap(), 1.0, epsilon = 3.0 * f64::EPSILON);
    }

    /// `σ'(x)` from `logistic_derivative` equals forward-mode AD of `logistic`
    /// (no derivative formula) and `σ(x)(1 − σ(x))` computed here.
    #[test]
    fn logistic_derivative_matches_ad_and_formula(x in -700.0..700.0_f64) {
        let d = logistic_derivative(x).unwrap();
        let ad = logistic(F1::var(x)).unwrap().deriv();
        // AD of e/(1 + e) or 1/(1 + e^{−x}): a quotient rule with ≤ 5 roundings;
        // σ(x)σ(−x): two logistics (≤ 2ε each) and a product (u): ≤ 8ε apart.
        approx::assert_relative_eq!(d, ad, epsilon = 0.0, max_relative = 8.0 * f64::EPSILON);
        if x.abs() <= 30.0 {
            let s = logistic(x).unwrap();
            // 1 − σ has absolute error ≤ ε (σ's own error ≤ 2ε·σ, rounding u), so
            // relative ε/(1 − σ); the rest ≤ 5ε.
            let tol = 5.0 * f64::EPSILON + 2.0 * f64::EPSILON / (1.0 - s);
            approx::assert_relative_eq!(d, s * (1.0 - s), epsilon = 0.0, max_relative = tol);
        }
    }

    /// Two-class cross-entropy equals binary cross-entropy (probability form):
    /// `ξ([t, 1 − t], [y, 1 − y]) = −t log y − (1 − t) log(1 − y)`.
    #[test]
    fn two_class_cross_entropy_is_binary(y in 0.0..=1.0_f64, t in 0.0..=1.0_f64) {
        let two = cross_entropy(&[y, 1.0 - y], &[t, 1.0 - t]);
        let binary = binary_cross_entropy(y, t).unwrap();
        // Σt = t + fl(1 − t) = 1 within u, far inside the tolerance.
        let two = two.unwrap();
        if binary.is_infinite() {
            // y ∈ {0, 1} against a target that gives it weight: both +inf.
            prop_assert_eq!(two, binary);
        } else {
            // ln(fl(1 − y)) against ln_1p(−y): fl(1 − y) is off by ≤ u relative,
            // so the logarithms by ≤ u absolute; plus ≤ 2ε relative on each
            // weighted term and the sum: ≤ 4ε·max(1, ξ).
            approx::assert_abs_diff_eq!(two, binary, epsilon = 4.0 * f64::EPSILON * binary.max(1.0));
        }
    }

    /// Two-class cross-entropy from logits equals binary cross-entropy from
    /// the logit difference: `ξ([t, 1 − t], ς([z₁, z₂])) = ξ_bin(t, σ(z₁ − z₂))`.
    #[test]
    fn two_class_logit_form_is_binary_logit_form(
        z1 in -1e3..1e3_f64, z2 in -1e3..1e3_f64, t in 0.0..=1.0_f64
    ) {
        let two = cross_entropy_from_logits(&[z1, z2], &[t, 1.0 - t]).unwrap();
        let binary = binary_cross_entropy_from_logit(z1 - z2, t).unwrap();
        // Each route rounds z₁ − z₂ (or z_c − m, the same number) and then
        // O(1) operations on numbers ≤ |z₁| + |z₂| + 1: ≤ 8ε·(|z₁| + |z₂| + 1).
        approx::assert_abs_diff_eq!(two, binary, epsilon = 8.0 * f64::EPSILON * (z1.abs() + z2.abs() + 1.0));
    }

    /// The derivative of the binary cross-entropy from a logit is `σ(x) − t`
    /// (the source: "the same as the derivative of the cross-entropy for the
    /// logistic function"), by AD of `binary_cross_entropy_from_logit`.
    #[test]
    fn binary_gradient_is_sigma_minus_t(x in -700.0..700.0_f64, t in 0.0..=1.0_f64) {
        let ad = binary_cross_entropy_from_logit(F1::var(x), F1::cst(t)).unwrap().deriv();
        // The softplus tail's derivative e^{−|x|}/(1 + e^{−|x|}) carries ≤ 3ε
        // relative error; the rest is exact (1 − t, t): ≤ 4ε absolute.
        approx::assert_abs_diff_eq!(ad, logistic(x).unwrap() - t, epsilon = 4.0 * f64::EPSILON);
    }

    /// The reduction's steps, exactly: `a₁/(a₁ + a₂) = 1/(1 + a₂/a₁)`, which is
    /// the first softmax output of the exponentials.
    #[test]
    fn reduction_steps_exact(a1 in positive_rational(), a2 in positive_rational()) {
        let quotient = steps::two_class_quotient(a1, a2).unwrap();
        let divided = steps::two_class_divided(a1, a2).unwrap();
        prop_assert_eq!(quotient, divided);
        prop_assert_eq!(quotient, softmax_from_exponentials(&[a1, a2]).unwrap()[0]);
    }

    /// The last steps need `exp`: with `a_d = e^{z_d}`,
    /// `1/(1 + a₂/a₁) = 1/(1 + e^{−(z₁ − z₂)}) = σ(z₁ − z₂)`.
    #[test]
    fn reduction_last_step(z1 in -300.0..300.0_f64, z2 in -300.0..300.0_f64) {
        let divided = steps::two_class_divided(z1.exp(), z2.exp()).unwrap();
        // e^{z₂}/e^{z₁} (ε each and u) against e^{−(z₁ − z₂)} with the
        // difference rounded (u·|z₁ − z₂| relative after exp), then the same
        // + and ÷: ≤ (6 + |z₁ − z₂|)ε.
        let tol = f64::EPSILON * (6.0 + (z1 - z2).abs());
        approx::assert_relative_eq!(divided, logistic(z1 - z2).unwrap(), epsilon = 0.0, max_relative = tol);
    }
}

/// `σ(0) = 1/2`, `σ'(0) = 1/4`, `ξ_bin(1/2, t) = log 2` for every `t`: exact
/// values checked with quickcheck over the target.
#[test]
fn half_probability_costs_log_two() {
    fn prop(num: u16) -> TestResult {
        let t = f64::from(num) / f64::from(u16::MAX);
        let ln2 = 2.0_f64.ln();
        // −t ln ½ − (1 − t) ln ½ = ln 2: two products and a sum, ≤ 2ε·ln 2.
        let ok = (binary_cross_entropy(0.5, t).unwrap() - ln2).abs() <= 2.0 * f64::EPSILON * ln2
            && (binary_cross_entropy_from_logit(0.0, t).unwrap() - ln2).abs()
                <= 2.0 * f64::EPSILON * ln2;
        verdict(ok)
    }
    assert_eq!(logistic(0.0_f64).unwrap(), 0.5);
    assert_eq!(logistic_derivative(0.0_f64).unwrap(), 0.25);
    quickcheck_runner().quickcheck(prop as fn(u16) -> TestResult);
}
