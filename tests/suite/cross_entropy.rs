//! Properties of the cross-entropy `ξ(t, y) = −Σ t_c log y_c`: the logit and
//! probability forms agree, the class-index forms equal the one-hot forms,
//! and the logit form equals `log Σ e^{z} − Σ t_c z_c` (which needs `Σ t = 1`).

use crate::common::*;
use proptest::prelude::*;
use quickcheck::TestResult;
use softmax_cross_entropy::cross_entropy::{
    cross_entropy, cross_entropy_class, cross_entropy_from_logits, cross_entropy_from_logits_class,
};
use softmax_cross_entropy::softmax::{log_sum_exp, softmax};

proptest! {
    /// `ξ(t, ς(z))` from the logits equals `ξ(t, y)` from the probabilities
    /// where no probability rounds to 0 (logits in `[−30, 30]`: every
    /// `y_c ≥ e^{−60}/8`).
    #[test]
    fn logits_form_equals_probability_form((z, t) in logits_and_target(30.0)) {
        let from_logits = cross_entropy_from_logits(&z, &t).unwrap();
        let from_probabilities = cross_entropy(&softmax(&z).unwrap(), &t).unwrap();
        let c = count(z.len());
        // ln y_c of the computed y_c (relative error ≤ (C + 2)ε) is off by
        // ≤ (C + 2)ε + ε|ln y_c|; the logit route rounds (z_c − m) − L with
        // u|ln y_c|; weighting by t_c and summing (C·u·ξ) gives
        // ≤ (C + 2)ε(1 + ξ).
        approx::assert_abs_diff_eq!(
            from_logits,
            from_probabilities,
            epsilon = (c + 2.0) * f64::EPSILON * (1.0 + from_logits)
        );
    }

    /// `ξ(t, ς(z)) = log Σ_d e^{z_d} − Σ_c t_c z_c` for targets summing to 1
    /// (an independent formula: expand `log ς(z)_c = z_c − log Σ e^{z}`).
    #[test]
    fn logits_form_is_log_sum_exp_minus_weighted_logits((z, t) in logits_and_target(1e3)) {
        let xi = cross_entropy_from_logits(&z, &t).unwrap();
        let lse = log_sum_exp(&z).unwrap();
        let dot: f64 = z.iter().zip(&t).map(|(a, b)| a * b).sum();
        let c = count(z.len());
        let weighted: f64 = z.iter().zip(&t).map(|(a, b)| (a * b).abs()).sum();
        // Both sides round sums of terms of magnitude ≤ |lse| + Σ|t_c z_c| + |m|;
        // Σ t = 1 only within C·ε, which multiplies lse. Each rounding costs
        // u of what it rounds: ≤ (2C + 4)ε·(|lse| + Σ|t_c z_c| + |m| + 1).
        let size = lse.abs() + weighted + max_of(&z).abs() + 1.0;
        approx::assert_abs_diff_eq!(xi, lse - dot, epsilon = (2.0 * c + 4.0) * f64::EPSILON * size);
    }

    /// The cross-entropy is non-negative, in floating point too: every
    /// `log y_c ≤ 0` (from logits, `(z_c − m) − log Σ e^{z − m}` with both
    /// terms of the right sign).
    #[test]
    fn non_negative((z, t) in logits_and_target(50.0)) {
        let y = softmax(&z).unwrap();
        prop_assert!(cross_entropy(&y, &t).unwrap() >= 0.0);
        prop_assert!(cross_entropy_from_logits(&z, &t).unwrap() >= 0.0);
    }

    /// Soft targets: `ξ(t, y) = Σ_c t_c ξ(e_c, y)`, the average of the
    /// one-hot losses (linearity in `t`), computed independently through
    /// `cross_entropy_class`.
    #[test]
    fn linear_in_the_targets((z, t) in logits_and_target(30.0)) {
        let y = softmax(&z).unwrap();
        let c = count(z.len());
        let xi = cross_entropy(&y, &t).unwrap();
        let mixed: f64 = t.iter().enumerate().map(|(k, &w)| w * cross_entropy_class(&y, k).unwrap()).sum();
        // The same C products and sum, in a different order: ≤ 2C·u·ξ apart.
        approx::assert_abs_diff_eq!(xi, mixed, epsilon = 2.0 * c * f64::EPSILON * xi.max(f64::MIN_POSITIVE));
    }
}

/// The class-index forms equal the one-hot distribution forms, bit for bit:
/// with `t = e_k`, the sum `−Σ t_c log y_c` has the single term `−1·log y_k`.
#[test]
fn class_forms_equal_one_hot_forms() {
    fn prop(z: Vec<i8>, k: usize) -> TestResult {
        if z.is_empty() {
            return TestResult::discard();
        }
        // Logits in [−16, 16] (exact eighths): every probability is positive.
        let z: Vec<f64> = z.into_iter().map(|x| f64::from(x) / 8.0).collect();
        let k = k % z.len();
        let t = one_hot(z.len(), k);
        let y = softmax(&z).unwrap();
        let same_probabilities =
            cross_entropy_class(&y, k).unwrap() == cross_entropy(&y, &t).unwrap();
        let same_logits = cross_entropy_from_logits_class(&z, k).unwrap()
            == cross_entropy_from_logits(&z, &t).unwrap();
        verdict(same_probabilities && same_logits)
    }
    quickcheck_runner().quickcheck(prop as fn(Vec<i8>, usize) -> TestResult);
}

/// The class form from logits is `log Σ e^{z} − z_k` (the formula of its doc).
#[test]
fn class_form_is_log_sum_exp_minus_logit() {
    fn prop(z: Vec<i8>, k: usize) -> TestResult {
        if z.is_empty() {
            return TestResult::discard();
        }
        let z: Vec<f64> = z.into_iter().map(f64::from).collect();
        let k = k % z.len();
        let got = cross_entropy_from_logits_class(&z, k).unwrap();
        let want = log_sum_exp(&z).unwrap() - z[k];
        // Integer logits: z_k − m is exact; both round m + L and the final
        // difference, each by u times |m| + |z_k| + ln(len) (len ≤ 8).
        let tol = f64::EPSILON * (max_of(&z).abs() + z[k].abs() + 5.0);
        verdict((got - want).abs() <= tol)
    }
    quickcheck_runner().quickcheck(prop as fn(Vec<i8>, usize) -> TestResult);
}

/// Values by hand: `ξ([1, 0], [1/2, 1/2]) = log 2`; `ξ([1/2, 1/2], [1/4, 3/4])
/// = −(log(1/4) + log(3/4))/2 = log 4 − (log 3)/2`.
#[test]
fn known_values() {
    let ln2 = 2.0_f64.ln();
    assert_eq!(cross_entropy(&[0.5_f64, 0.5], &[1.0, 0.0]).unwrap(), ln2);
    assert_eq!(
        cross_entropy_from_logits(&[0.0_f64, 0.0], &[0.0, 1.0]).unwrap(),
        ln2
    );
    let soft = cross_entropy(&[0.25_f64, 0.75], &[0.5, 0.5]).unwrap();
    // Two ln and a sum: a few ε.
    approx::assert_relative_eq!(
        soft,
        4.0_f64.ln() - 0.5 * 3.0_f64.ln(),
        max_relative = 4.0 * f64::EPSILON
    );
    // 0·log 0 = 0: a confident correct prediction costs exactly nothing.
    assert_eq!(cross_entropy(&[1.0_f64, 0.0], &[1.0, 0.0]).unwrap(), 0.0);
}
