//! Properties of the likelihood `Π y_c^{t_c}` and its negative logarithm:
//! agreement with the cross-entropy, the one-hot case, and Gibbs' inequality
//! (the likelihood is largest when the prediction equals the target); the
//! maximizers of a likelihood (`argmax`) and the joint table of the product
//! rule (`joint_probability`).

use crate::common::*;
use proptest::prelude::*;
use softmax_cross_entropy::Error;
use softmax_cross_entropy::cross_entropy::cross_entropy;
use softmax_cross_entropy::likelihood::{
    argmax, joint_probability, likelihood, negative_log_likelihood,
};
use softmax_cross_entropy::softmax::softmax;

proptest! {
    /// `−log Π y_c^{t_c} = −Σ t_c log y_c` where the product does not
    /// underflow: logits in `[−20, 20]` keep every `y_c ≥ e^{−40}/8`, so the
    /// product of at most 8 factors is above `1e−150`.
    #[test]
    fn negative_log_likelihood_is_cross_entropy((z, t) in logits_and_target(20.0)) {
        let y = softmax(&z).unwrap();
        let nll = negative_log_likelihood(&y, &t).unwrap();
        let xi = cross_entropy(&y, &t).unwrap();
        let c = count(z.len());
        // Product route: C powers (≤ ε relative each) and C products (u each),
        // so ln of it is off by ≤ 1.5Cε absolute, plus u|ξ| for ln itself.
        // Sum route: each ln y_c is off by ≤ ε|ln y_c|, weighted by t_c, and
        // the sum adds ≤ C·u·ξ (all terms have the same sign). Together
        // ≤ (2C + 4)ε·max(1, ξ).
        approx::assert_abs_diff_eq!(nll, xi, epsilon = (2.0 * c + 4.0) * f64::EPSILON * xi.max(1.0));
        // And the likelihood itself is e^{−ξ} (relative error of exp of an
        // argument off by the bound above, i.e. the same bound, plus ε).
        approx::assert_relative_eq!(
            likelihood(&y, &t).unwrap(),
            (-xi).exp(),
            epsilon = 0.0,
            max_relative = (2.0 * c + 6.0) * f64::EPSILON * xi.max(1.0)
        );
    }

    /// For a one-hot target the likelihood is the predicted probability of
    /// that class, exactly: `y^1 = y` and `y^0 = 1` are exact in `powf`.
    #[test]
    fn one_hot_likelihood_is_that_probability((z, k) in logits_and_class(50.0)) {
        let y = softmax(&z).unwrap();
        prop_assert_eq!(likelihood(&y, &one_hot(z.len(), k)).unwrap(), y[k]);
    }

    /// Gibbs' inequality: `Π y_c^{t_c} ≤ Π t_c^{t_c}` for every distribution
    /// `y`; the likelihood is maximized by predicting the targets themselves.
    /// Equivalently `ξ(t, y) ≥ ξ(t, t)`, the entropy of `t`.
    #[test]
    fn likelihood_is_maximized_at_the_targets(
        (z, t) in (1..=MAX_CLASSES).prop_flat_map(|c| (
            prop::collection::vec(-20.0..20.0_f64, c), distribution(c)))
    ) {
        let y = softmax(&z).unwrap();
        let c = count(z.len());
        let at_y = likelihood(&y, &t).unwrap();
        let at_t = likelihood(&t, &t).unwrap();
        // Each product has relative error ≤ 1.5Cε (C powers and C products);
        // the two can err in opposite directions.
        prop_assert!(at_y <= at_t * (1.0 + 3.0 * c * f64::EPSILON), "L(y) = {at_y} > L(t) = {at_t}");
        prop_assert!(at_t <= 1.0);
        // The same in log form: ξ(t, y) ≥ H(t), up to the sums' rounding
        // (≤ (C + 2)ε·max(1, ξ), as in negative_log_likelihood_is_cross_entropy).
        let xi = cross_entropy(&y, &t).unwrap();
        let entropy = cross_entropy(&t, &t).unwrap();
        prop_assert!(xi >= entropy - 2.0 * (c + 2.0) * f64::EPSILON * xi.max(1.0), "ξ = {xi} < H = {entropy}");
    }

    /// Moving `y` towards `t` never lowers the likelihood: along
    /// `y(λ) = (1 − λ)y + λt` it is non-decreasing in `λ` (the log-likelihood
    /// `Σ t_c log y_c(λ)` is concave with its maximum at `λ = 1`).
    #[test]
    fn likelihood_increases_towards_the_targets(
        (z, t) in (1..=MAX_CLASSES).prop_flat_map(|c| (
            prop::collection::vec(-5.0..5.0_f64, c), distribution(c)))
    ) {
        let y = softmax(&z).unwrap();
        let c = count(z.len());
        // `min(1)` only undoes a rounding above 1 of a mixture of numbers ≤ 1.
        let mix = |l: f64| -> Vec<f64> {
            y.iter().zip(&t).map(|(a, b)| ((1.0 - l) * a + l * b).min(1.0)).collect()
        };
        let mut previous = 0.0;
        for step in 0..=4 {
            let yl = mix(f64::from(step) / 4.0);
            // The mixtures sum to 1 up to a few ε, far inside the probability checks.
            let l = likelihood(&yl, &t).unwrap();
            prop_assert!(l >= previous * (1.0 - 3.0 * c * f64::EPSILON), "λ = {}: {l} < {previous}", f64::from(step) / 4.0);
            previous = l;
        }
    }
}

/// A value by hand: `y = [1/4, 3/4]`, `t = [1/2, 1/2]` gives
/// `L = (1/4)^{1/2} (3/4)^{1/2} = √3/4`.
#[test]
fn known_soft_value() {
    let l = likelihood(&[0.25_f64, 0.75], &[0.5, 0.5]).unwrap();
    // sqrt and two powers: a few ε.
    approx::assert_relative_eq!(l, 3.0_f64.sqrt() / 4.0, max_relative = 4.0 * f64::EPSILON);
    let nll = negative_log_likelihood(&[0.25_f64, 0.75], &[0.5, 0.5]).unwrap();
    approx::assert_relative_eq!(
        nll,
        4.0_f64.ln() - 0.5 * 3.0_f64.ln(),
        max_relative = 8.0 * f64::EPSILON
    );
}

proptest! {
    /// `argmax` returns exactly the indices of the largest value, ties
    /// included, checked against a sort of the values: small integers make
    /// ties frequent.
    #[test]
    fn argmax_is_every_index_of_the_maximum(values in prop::collection::vec(0_i32..4, 1..=8)) {
        let values: Vec<f64> = values.into_iter().map(f64::from).collect();
        let mut sorted = values.clone();
        sorted.sort_by(f64::total_cmp);
        let max = sorted[sorted.len() - 1];
        let expected: Vec<usize> = (0..values.len()).filter(|&i| values[i] == max).collect();
        prop_assert_eq!(argmax(&values).unwrap(), expected);
    }

    /// The joint table of exact rational conditionals and marginal sums to
    /// one, and summing a row gives back the marginal.
    #[test]
    fn joint_probability_is_a_distribution_with_that_marginal(
        rows in prop::collection::vec(rational_distribution(3), 1..=4),
        weights in prop::collection::vec(positive_rational(), 4),
    ) {
        let marginal: Vec<Q> = {
            let w = &weights[..rows.len()];
            w.iter().map(|&x| x / qsum(w)).collect()
        };
        let conditional: Vec<Q> = rows.concat();
        let joint = joint_probability(&conditional, &marginal, 3).unwrap();
        prop_assert_eq!(qsum(&joint), Q::from_integer(1));
        for (row, &p_x) in joint.chunks(3).zip(&marginal) {
            prop_assert_eq!(qsum(row), p_x);
        }
    }
}

/// Bad input to the two functions of the likelihood argument: typed errors
/// that name the entry.
#[test]
fn argmax_and_joint_probability_errors() {
    assert_eq!(argmax::<f64>(&[]), Err(Error::Empty { what: "values" }));
    assert_eq!(
        argmax(&[1.0, f64::NAN]),
        Err(Error::NotANumber {
            what: "value",
            index: 1
        })
    );
    assert_eq!(
        argmax(&[f64::NEG_INFINITY, 1.0, f64::INFINITY]).unwrap(),
        vec![2]
    );
    assert_eq!(
        joint_probability(&[0.5_f64, 0.5, 1.0], &[1.0], 2),
        Err(Error::BatchShape { len: 3, classes: 2 })
    );
    assert_eq!(
        joint_probability(&[0.5_f64, 0.5], &[0.5, 0.5], 2),
        Err(Error::LengthMismatch {
            what: "marginal probabilities",
            expected: 1,
            found: 2
        })
    );
    assert_eq!(
        joint_probability(&[0.5_f64, 1.5], &[1.0], 2),
        Err(Error::NotAProbability {
            what: "conditional probability",
            index: 1,
            value: 1.5
        })
    );
    assert_eq!(
        joint_probability(&[0.5_f64, 0.5], &[f64::NAN], 2),
        Err(Error::NotANumber {
            what: "marginal probability",
            index: 0
        })
    );
    assert_eq!(
        joint_probability(&[0.5_f64, 0.5], &[-0.5], 2),
        Err(Error::NotAProbability {
            what: "marginal probability",
            index: 0,
            value: -0.5
        })
    );
}
