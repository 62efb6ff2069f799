//! The gradient of the cross-entropy with respect to the logits:
//! `∂ξ/∂z = y − t` against forward-mode AD and finite differences of the
//! loss, for one-hot and soft targets; the general `y·Σt − t` for targets that
//! do not sum to 1 (where `y − t` is wrong); and exact rational checks of every
//! line of the source's derivation.

use crate::common::*;
use autodiff::F1;
use proptest::prelude::*;
use softmax_cross_entropy::cross_entropy::{cross_entropy, cross_entropy_from_logits};
use softmax_cross_entropy::gradient::{
    cross_entropy_gradient, cross_entropy_gradient_from_logits,
    cross_entropy_gradient_from_logits_into, cross_entropy_gradient_general,
    cross_entropy_gradient_into, steps,
};
use softmax_cross_entropy::softmax::{log_softmax, softmax, softmax_from_exponentials};
use softmax_cross_entropy::verify::central_difference_gradient;

/// Non-negative targets whose sum is far from 1: a distribution scaled by a
/// factor in `[0.1, 0.5]` or `[1.5, 4]`.
fn unnormalized_target(c: usize) -> impl Strategy<Value = (Vec<f64>, f64)> {
    (distribution(c), prop_oneof![0.1..0.5_f64, 1.5..4.0_f64])
        .prop_map(|(t, s)| (t.into_iter().map(|x| x * s).collect(), s))
}

proptest! {
    /// `∂ξ(t, ς(z))/∂z = ς(z) − t` equals forward-mode AD of
    /// `cross_entropy_from_logits` (one-hot and soft targets).
    #[test]
    fn from_logits_matches_forward_mode_ad((z, t) in logits_and_target(30.0)) {
        let tc = constants(&t);
        let ad = ad_gradient(|x: &[F1]| cross_entropy_from_logits(x, &tc), &z);
        let g = cross_entropy_gradient_from_logits(&z, &t).unwrap();
        let c = count(z.len());
        // AD differentiates −Σ t_c((z_c − m) − ln Σ e^{z − m}): the tangent is
        // −t_j + (Σt)(y_j − [j = argmax]) + (Σt)[j = argmax], terms ≤ 1 with
        // ≤ (C + 2)ε relative error each, and Σt = 1 only within Cε.
        assert_all_abs(&ad, &g, 2.0 * (c + 2.0) * f64::EPSILON);
    }

    /// The same through the probabilities: `cross_entropy_gradient(ς(z), t)`
    /// equals AD of `z ↦ cross_entropy(softmax(z), t)`, the composition the
    /// source differentiates with the chain rule.
    #[test]
    fn from_probabilities_matches_forward_mode_ad((z, t) in logits_and_target(30.0)) {
        let tc = constants(&t);
        let ad = ad_gradient(|x: &[F1]| cross_entropy(&softmax(x)?, &tc), &z);
        let g = cross_entropy_gradient(&softmax(&z).unwrap(), &t).unwrap();
        let c = count(z.len());
        // As above, plus the division y'_c / y_c of log, relative error ≤ 2ε
        // on terms ≤ 1: ≤ 4(C + 2)ε.
        assert_all_abs(&ad, &g, 4.0 * (c + 2.0) * f64::EPSILON);
    }

    /// `y − t` equals central finite differences of `cross_entropy_from_logits`.
    #[test]
    fn from_logits_matches_central_differences((z, t) in logits_and_target(5.0)) {
        let fd = central_difference_gradient(|x: &[f64]| cross_entropy_from_logits(x, &t), &z).unwrap();
        let g = cross_entropy_gradient_from_logits(&z, &t).unwrap();
        let xi = cross_entropy_from_logits(&z, &t).unwrap();
        let (c, s) = (count(z.len()), scale(&z));
        // h = ε^{1/3}s: truncation h²/6·|∂³ξ| ≤ s²ε^{2/3}/3 (∂³ξ is a second
        // derivative of softmax, ≤ 2 in size); rounding of ξ, ≤ (C + 2)ε(1 + ξ)
        // per evaluation, over 2h gives ≤ (C + 2)(1 + ξ)ε^{2/3}/s.
        let tol = fd_scale() * (s * s + (c + 2.0) * (1.0 + xi));
        assert_all_abs(&fd, &g, tol);
    }

    /// The gradient sums to 0 (`Σ y = Σ t = 1`), and the `_into` forms write
    /// what the allocating forms return.
    #[test]
    fn sums_to_zero_and_into_forms((z, t) in logits_and_target(50.0)) {
        let g = cross_entropy_gradient_from_logits(&z, &t).unwrap();
        let c = count(z.len());
        // Σy and Σt are 1 within Cε each; the sum of g adds (C − 1)u·Σ|g_i| ≤ Cε.
        approx::assert_abs_diff_eq!(g.iter().sum::<f64>(), 0.0, epsilon = 3.0 * c * f64::EPSILON);
        let mut out = vec![0.0; z.len()];
        cross_entropy_gradient_from_logits_into(&z, &t, &mut out).unwrap();
        prop_assert_eq!(&out, &g);
        let y = softmax(&z).unwrap();
        cross_entropy_gradient_into(&y, &t, &mut out).unwrap();
        prop_assert_eq!(&out, &cross_entropy_gradient(&y, &t).unwrap());
        // Both are y − t with the same y, subtracted once, except at the first
        // largest logit k, where the logits route computes (1 − t_k − t_k R)/S
        // instead of fl(1/S) − t_k (off by up to u·y_k + u|g_k|), and where
        // 0 < t_i < 2y_i, where it computes (e^{z_i − m} − t_i S)/S with a
        // fused multiply-add: the two then differ by the roundings of y_i
        // (u·y_i in each route) and of the results (u|g| and 2u|g|).
        let k = z.iter().position(|&x| x == max_of(&z)).unwrap();
        for (i, (&a, &b)) in out.iter().zip(&g).enumerate() {
            let fused = t[i] > 0.0 && t[i] < 2.0 * y[i];
            if i == k {
                approx::assert_abs_diff_eq!(a, b, epsilon = 2.0 * f64::EPSILON);
            } else if fused {
                let bound = f64::EPSILON * (y[i] + 1.5 * a.abs());
                prop_assert!((a - b).abs() <= bound, "entry {}: {} vs {}", i, a, b);
            } else {
                prop_assert_eq!(a, b);
            }
        }
    }

    /// The identity `∂ξ/∂z = y − t` needs `Σ t = 1`. For non-negative `t`
    /// with `Σ t ≠ 1`, AD of `−Σ t_c log ς(z)_c` (computed here on dual numbers
    /// through `log_softmax`) equals `y·Σt − t` (`cross_entropy_gradient_general`)
    /// and differs from `y − t` by `y·(Σt − 1)`.
    #[test]
    fn y_minus_t_needs_targets_summing_to_one(
        (z, (t, _)) in (1..=MAX_CLASSES).prop_flat_map(|c| (
            prop::collection::vec(-10.0..10.0_f64, c), unnormalized_target(c)))
    ) {
        let tc = constants(&t);
        let loss = |x: &[F1]| -> softmax_cross_entropy::Result<F1> {
            let l = log_softmax(x)?;
            Ok(l.iter().zip(&tc).fold(F1::cst(0.0), |s, (&l_c, &t_c)| s - t_c * l_c))
        };
        let ad = ad_gradient(loss, &z);
        let y = softmax(&z).unwrap();
        let general = cross_entropy_gradient_general(&y, &t).unwrap();
        let total: f64 = t.iter().sum();
        let c = count(z.len());
        // As in from_logits_matches_forward_mode_ad, with terms scaled by Σt ≤ 4.
        let tol = 2.0 * (c + 2.0) * f64::EPSILON * total.max(1.0);
        assert_all_abs(&ad, &general, tol);
        let naive: Vec<f64> = (0..z.len()).map(|i| steps::normalized(&y, &t, i).unwrap()).collect();
        let expected_gap: Vec<f64> = y.iter().map(|&y_i| y_i * (total - 1.0)).collect();
        let gap: Vec<f64> = ad.iter().zip(&naive).map(|(a, b)| a - b).collect();
        assert_all_abs(&gap, &expected_gap, 2.0 * tol);
        // Σ_i y_i |Σt − 1| = |Σt − 1| ≥ 1/2, so some entry is off by ≥ 1/(2C).
        let worst = gap.iter().fold(0.0_f64, |m, d| m.max(d.abs()));
        prop_assert!(worst >= 0.5 / c - 2.0 * tol, "y − t agrees with AD although Σt = {total}");
    }

    /// Every line of the source's derivation equals the next, exactly, for any
    /// non-negative rational targets:
    /// `−Σ_j (t_j/y_j) ∂y_j/∂z_i = −(t_i/y_i) y_i(1 − y_i) − Σ_{j≠i} (t_j/y_j)(−y_j y_i)
    ///  = −t_i + t_i y_i + Σ_{j≠i} t_j y_i = −t_i + Σ_j t_j y_i = −t_i + y_i Σ_j t_j`,
    /// which is `cross_entropy_gradient_general`.
    #[test]
    fn derivation_steps_exact(
        (a, t, i) in (1..=MAX_RATIONAL_CLASSES).prop_flat_map(|c| (
            prop::collection::vec(positive_rational(), c),
            prop::collection::vec(nonnegative_rational(), c),
            0..c))
    ) {
        let y = softmax_from_exponentials(&a).unwrap();
        let chain = steps::chain_rule(&y, &t, i).unwrap();
        let split = steps::split_diagonal(&y, &t, i).unwrap();
        let expanded = steps::expanded(&y, &t, i).unwrap();
        let merged = steps::merged(&y, &t, i).unwrap();
        let factored = steps::factored(&y, &t, i).unwrap();
        prop_assert_eq!(chain, split);
        prop_assert_eq!(split, expanded);
        prop_assert_eq!(expanded, merged);
        prop_assert_eq!(merged, factored);
        prop_assert_eq!(factored, cross_entropy_gradient_general(&y, &t).unwrap()[i]);
        // The last line, y_i − t_i, differs from the one before by exactly
        // y_i(Σt − 1): equal if and only if Σt = 1 (y_i > 0 here).
        let total = qsum(&t);
        prop_assert_eq!(factored - steps::normalized(&y, &t, i).unwrap(), y[i] * (total - Q::from_integer(1)));
    }

    /// With targets summing to exactly 1 the last step holds:
    /// `−t_i + y_i Σ_j t_j = y_i − t_i`.
    #[test]
    fn last_step_exact_for_distributions(
        (a, t, i) in (1..=MAX_RATIONAL_CLASSES).prop_flat_map(|c| (
            prop::collection::vec(positive_rational(), c),
            rational_distribution(c),
            0..c))
    ) {
        let y = softmax_from_exponentials(&a).unwrap();
        prop_assert_eq!(qsum(&t), Q::from_integer(1));
        let factored = steps::factored(&y, &t, i).unwrap();
        prop_assert_eq!(factored, steps::normalized(&y, &t, i).unwrap());
        prop_assert_eq!(factored, y[i] - t[i]);
    }
}

/// Values by hand: `z = [0, 0]`, `t = [0, 1]` gives `y − t = [1/2, −1/2]`;
/// `y = [1/4, 3/4]` with the soft target `[1/2, 1/2]` gives `[−1/4, 1/4]`.
#[test]
fn known_values() {
    assert_eq!(
        cross_entropy_gradient_from_logits(&[0.0_f64, 0.0], &[0.0, 1.0]).unwrap(),
        vec![0.5, -0.5]
    );
    assert_eq!(
        cross_entropy_gradient(&[0.25_f64, 0.75], &[0.5, 0.5]).unwrap(),
        vec![-0.25, 0.25]
    );
    // Σt = 2: 2y − t = [−1/2, 1/2], not y − t = [−3/4, −1/4].
    assert_eq!(
        cross_entropy_gradient_general(&[0.25_f64, 0.75], &[1.0, 1.0]).unwrap(),
        vec![-0.5, 0.5]
    );
}
