//! Inputs at the limits of each float type: logits near `±MAX`, `f32` logits
//! far beyond the `exp` overflow threshold, differences of `MIN_POSITIVE`
//! scale, subnormals, and `±inf`. Every result must be finite where the exact
//! value is, and correct; no finite input may produce a NaN.

use crate::common::*;
use autodiff::F1;
use proptest::prelude::*;
use softmax_cross_entropy::Error;
use softmax_cross_entropy::cross_entropy::{
    cross_entropy, cross_entropy_from_logits, cross_entropy_from_logits_class,
};
use softmax_cross_entropy::gradient::cross_entropy_gradient_from_logits;
use softmax_cross_entropy::jacobian::jacobian;
use softmax_cross_entropy::logistic::{
    binary_cross_entropy, binary_cross_entropy_from_logit, logistic, logistic_derivative,
};
use softmax_cross_entropy::softmax::{log_softmax, log_sum_exp, softmax, softmax_naive};

const MAX: f64 = f64::MAX;
const INF: f64 = f64::INFINITY;

/// Finite logits anywhere in the `f64` range, with a target of the same length.
fn any_finite_logits_and_target() -> impl Strategy<Value = (Vec<f64>, Vec<f64>)> {
    (1..=MAX_CLASSES).prop_flat_map(|c| (prop::collection::vec(any_finite(), c), target(c)))
}

proptest! {
    /// No finite input gives a NaN, over the whole finite range (normal,
    /// subnormal, zero, both signs): softmax is a distribution, log-sum-exp is
    /// finite and within `[m, m + log C]`, log-softmax is `≤ 0`, the
    /// cross-entropy is `≥ 0`, the gradient lies in `[−1, 1]`, the Jacobian is
    /// finite.
    #[test]
    fn no_nan_for_any_finite_input_f64((z, t) in any_finite_logits_and_target()) {
        let c = count(z.len());
        let y = softmax(&z).unwrap();
        prop_assert!(y.iter().all(|&p| (0.0..=1.0).contains(&p)), "softmax {y:?}");
        // As softmax::sums_to_one_f64.
        approx::assert_abs_diff_eq!(y.iter().sum::<f64>(), 1.0, epsilon = c * f64::EPSILON);

        let m = max_of(&z);
        let lse = log_sum_exp(&z).unwrap();
        prop_assert!(lse.is_finite(), "log_sum_exp {lse}");
        // m + ln Σ with Σ ∈ [1, C(1 + Cε)], so ln Σ ∈ [0, ln C + Cε] (plus its
        // own ulp); the final sum rounds by ≤ u(|m| + ln C).
        let slack = f64::EPSILON * (m.abs() + c + 2.0);
        prop_assert!(lse >= m && lse <= m + c.ln() + slack, "lse {lse}, m {m}");

        let l = log_softmax(&z).unwrap();
        // −inf is the documented (exact: below −MAX) value where z_c − m overflows.
        prop_assert!(l.iter().all(|&x| x <= 0.0), "log_softmax {l:?}");

        let xi = cross_entropy_from_logits(&z, &t).unwrap();
        prop_assert!(xi >= 0.0, "cross-entropy {xi}");
        let k = t.iter().position(|&x| x > 0.0).unwrap();
        prop_assert!(cross_entropy_from_logits_class(&z, k).unwrap() >= 0.0);

        let g = cross_entropy_gradient_from_logits(&z, &t).unwrap();
        prop_assert!(g.iter().all(|&x| (-1.0..=1.0).contains(&x)), "gradient {g:?}");
        let j = jacobian(&y).unwrap();
        prop_assert!(j.iter().all(|x| x.is_finite()), "jacobian {j:?}");
    }

    /// The same for `f32` over its whole finite range.
    #[test]
    fn no_nan_for_any_finite_input_f32(z in prop::collection::vec(any_finite_f32(), 1..=MAX_CLASSES)) {
        let c = z.len() as f32;
        let y = softmax(&z).unwrap();
        prop_assert!(y.iter().all(|&p| (0.0..=1.0).contains(&p)), "softmax {y:?}");
        approx::assert_abs_diff_eq!(y.iter().sum::<f32>(), 1.0, epsilon = c * f32::EPSILON);
        prop_assert!(log_sum_exp(&z).unwrap().is_finite());
        prop_assert!(log_softmax(&z).unwrap().iter().all(|&x| x <= 0.0));
        let t = vec![1.0 / c; z.len()];
        prop_assert!(cross_entropy_from_logits(&z, &t).unwrap() >= 0.0);
        let g = cross_entropy_gradient_from_logits(&z, &t).unwrap();
        prop_assert!(g.iter().all(|&x| (-1.0..=1.0).contains(&x)), "gradient {g:?}");
    }

    /// Where the probability route rounds `y_k` to 0 and gives
    /// `−log 0 = +inf`, the logit route is finite and accurate: for
    /// `z = [0, −d]` with `d > 745` (`e^{−d}` underflows), `ξ(e₂, ς(z)) = d +
    /// log(1 + e^{−d}) = d` to within rounding.
    #[test]
    fn logits_route_finite_where_probabilities_give_infinity(d in 746.0..1e300_f64, w in 0.0..=1.0_f64) {
        let z = [0.0, -d];
        let y = softmax(&z).unwrap();
        prop_assert_eq!(y[1], 0.0);
        prop_assert_eq!(cross_entropy(&y, &[0.0, 1.0]).unwrap(), INF);
        // l₂ = −d − log(1 + e^{−d}) rounds to −d exactly (e^{−d} < u).
        prop_assert_eq!(cross_entropy_from_logits(&z, &[0.0, 1.0]).unwrap(), d);
        prop_assert_eq!(cross_entropy_from_logits_class(&z, 1).unwrap(), d);
        // A soft target [1 − w, w]: ξ = w·d (one product, and 1 − w ≤ 1
        // times l₁ = 0): exact up to the product's rounding.
        let xi = cross_entropy_from_logits(&z, &[1.0 - w, w]).unwrap();
        approx::assert_relative_eq!(xi, w * d, epsilon = 0.0, max_relative = f64::EPSILON);
        // The binary forms agree: σ(−d) = 0 gives +inf, the logit form d.
        prop_assert_eq!(binary_cross_entropy(logistic(-d).unwrap(), 1.0).unwrap(), INF);
        prop_assert_eq!(binary_cross_entropy_from_logit(-d, 1.0).unwrap(), d);
    }

    /// `f32` logits far beyond `±1e4` (the `f32` `exp` overflows above 88.7):
    /// the softmax of `[b, b − 1, b − 2]` is `[1, e^{−1}, e^{−2}]/(1 + e^{−1} + e^{−2})`
    /// whatever the offset `b` (an integer, so that `b − 1` and `b − 2` are exact).
    #[test]
    fn f32_logits_beyond_ten_thousand(b in prop_oneof![-16_000_000_i32..-10_000, 10_000_i32..16_000_000]) {
        let b = b as f32; // |b| < 2^24: exact, and so are b − 1, b − 2.
        let y = softmax(&[b, b - 1.0, b - 2.0]).unwrap();
        let (e1, e2) = ((-1.0_f64).exp(), (-2.0_f64).exp());
        let s = 1.0 + e1 + e2;
        let want = [1.0 / s, e1 / s, e2 / s];
        for (got, want) in y.iter().zip(want) {
            // f32 evaluation: ≤ (C + 2)ε₃₂ = 5ε₃₂ relative; the f64 reference is exact to f32.
            approx::assert_relative_eq!(f64::from(*got), want, epsilon = 0.0, max_relative = 5.0 * f64::from(f32::EPSILON));
        }
        // The naive formula overflows (b > 0) or underflows (b < 0) here.
        prop_assert!(softmax_naive(&[b, b - 1.0, b - 2.0]).is_err());
        // The loss of the last class is 2 + log(1 + e^{−1} + e^{−2}).
        let xi = cross_entropy_from_logits_class(&[b, b - 1.0, b - 2.0], 2).unwrap();
        approx::assert_relative_eq!(f64::from(xi), 2.0 + s.ln(), epsilon = 0.0, max_relative = 4.0 * f64::from(f32::EPSILON));
    }

    /// Logits that differ by amounts of `MIN_POSITIVE` scale (or subnormal,
    /// or zero): `e^{δ} = 1` in `f64`, so the softmax is exactly uniform and
    /// the gradient and Jacobian are those of the uniform distribution.
    #[test]
    fn differences_of_min_positive_scale(
        base in prop_oneof![Just(0.0), -1e300..1e300_f64],
        deltas in prop::collection::vec(prop_oneof![prop::num::f64::SUBNORMAL | prop::num::f64::ZERO, Just(f64::MIN_POSITIVE), Just(-f64::MIN_POSITIVE)], 2..=MAX_CLASSES),
    ) {
        let z: Vec<f64> = deltas.iter().map(|&d| base + d).collect();
        let c = z.len();
        let y = softmax(&z).unwrap();
        prop_assert!(y.iter().all(|&p| p == 1.0 / c as f64), "{y:?}");
        let g = cross_entropy_gradient_from_logits(&z, &one_hot(c, 0)).unwrap();
        // The truth is 1/C − 1; the largest-logit entry is computed as
        // −R/S = −(C − 1)/C, the others as fl(1/C) − 1: each within 1 ulp.
        approx::assert_relative_eq!(g[0], 1.0 / c as f64 - 1.0, epsilon = 0.0, max_relative = f64::EPSILON);
        let ad = ad_jacobian(|x: &[F1]| softmax(x), &z);
        let uniform = jacobian(&vec![1.0 / c as f64; c]).unwrap();
        // AD as in jacobian::matches_forward_mode_ad.
        assert_all_abs(&ad, &uniform, 2.0 * (count(c) + 2.0) * f64::EPSILON);
    }
}

/// Logits at `±MAX`: the stable forms stay finite and exact where the exact
/// value is representable.
#[test]
fn logits_near_max() {
    assert_eq!(softmax(&[MAX, MAX]).unwrap(), vec![0.5, 0.5]);
    assert_eq!(softmax(&[-MAX, -MAX]).unwrap(), vec![0.5, 0.5]);
    assert_eq!(softmax(&[MAX, -MAX]).unwrap(), vec![1.0, 0.0]);
    assert_eq!(
        softmax(&[MAX, MAX / 2.0, 0.0]).unwrap(),
        vec![1.0, 0.0, 0.0]
    );
    // MAX + log 2 rounds to MAX; −MAX + log 2 rounds to −MAX.
    assert_eq!(log_sum_exp(&[MAX, MAX]).unwrap(), MAX);
    assert_eq!(log_sum_exp(&[-MAX, -MAX]).unwrap(), -MAX);
    // log ς([MAX, 0]) = [0, −MAX] exactly (the tail e^{−MAX} vanishes).
    assert_eq!(log_softmax(&[MAX, 0.0]).unwrap(), vec![0.0, -MAX]);
    assert_eq!(
        cross_entropy_from_logits(&[MAX, 0.0], &[0.0, 1.0]).unwrap(),
        MAX
    );
    assert_eq!(
        cross_entropy_from_logits_class(&[0.0, -MAX], 1).unwrap(),
        MAX
    );
    // z₂ − m = −2·MAX is below −MAX: the documented −inf.
    assert_eq!(log_softmax(&[MAX, -MAX]).unwrap(), vec![0.0, -INF]);
    assert_eq!(
        cross_entropy_gradient_from_logits(&[MAX, -MAX], &[0.0, 1.0]).unwrap(),
        vec![1.0, -1.0]
    );
    // The naive formula overflows at the first logit above ln MAX ≈ 709.78.
    assert_eq!(
        softmax_naive(&[0.0, 710.0]),
        Err(Error::Overflow {
            index: 1,
            value: 710.0
        })
    );
    assert_eq!(
        softmax_naive(&[-746.0, -800.0]),
        Err(Error::Underflow { len: 2 })
    );
    assert_eq!(
        softmax(&[710.0, 0.0]).unwrap()[1],
        (-710.0_f64).exp() / (1.0 + (-710.0_f64).exp())
    );
}

/// `f32` near its limits.
#[test]
fn f32_near_max() {
    let max = f32::MAX;
    assert_eq!(softmax(&[max, max]).unwrap(), vec![0.5, 0.5]);
    assert_eq!(softmax(&[max, -max]).unwrap(), vec![1.0, 0.0]);
    assert_eq!(log_sum_exp(&[max, max]).unwrap(), max);
    assert_eq!(
        cross_entropy_from_logits_class(&[0.0_f32, 1e5], 0).unwrap(),
        1e5
    );
    assert_eq!(softmax(&[1e4_f32, 1e4, -1e4]).unwrap(), vec![0.5, 0.5, 0.0]);
    // 1e4 + log 2 in f32, against the f64 value rounded to f32.
    assert_eq!(
        log_sum_exp(&[1e4_f32, 1e4]).unwrap(),
        (1e4_f64 + 2.0_f64.ln()) as f32
    );
    assert!(softmax_naive(&[89.0_f32, 0.0]).is_err());
}

/// Subnormal probabilities and logits.
#[test]
fn subnormals() {
    // e^{−740} ≈ 4.2e−322 is subnormal: the softmax tail keeps it (to the
    // subnormal spacing 2^{−1074}, times the few roundings of the quotient).
    let tiny = (-740.0_f64).exp();
    assert!(tiny > 0.0 && tiny < f64::MIN_POSITIVE);
    let y = softmax(&[0.0, -740.0]).unwrap();
    assert_eq!(y[0], 1.0);
    approx::assert_abs_diff_eq!(y[1], tiny, epsilon = 2.0 * 5e-324);
    // The probability route's −log y₂ is off by log(1 ± 2^{−1074}/tiny), about
    // 1e−2 relative to tiny; the logit route is exact: 740.
    assert_eq!(
        cross_entropy_from_logits(&[0.0, -740.0], &[0.0, 1.0]).unwrap(),
        740.0
    );
    // Subnormal logits: the differences vanish inside exp.
    assert_eq!(softmax(&[5e-324, 0.0]).unwrap(), vec![0.5, 0.5]);
    assert_eq!(logistic(5e-324_f64).unwrap(), 0.5);
    assert_eq!(logistic_derivative(-5e-324_f64).unwrap(), 0.25);
    // A subnormal probability in the Jacobian: finite, and J₂₂ = y₂(1 − y₂) = y₂.
    let j = jacobian(&[1.0 - 5e-324_f64, 5e-324]).unwrap();
    assert!(j.iter().all(|x| x.is_finite()));
    assert_eq!(j[3], 5e-324);
    // The logistic function keeps subnormal outputs and reaches 0 exactly beyond.
    assert!(logistic(-740.0_f64).unwrap() > 0.0);
    assert_eq!(logistic(-1e4_f64).unwrap(), 0.0);
    assert_eq!(logistic(MAX).unwrap(), 1.0);
    assert_eq!(logistic_derivative(MAX).unwrap(), 0.0);
    assert_eq!(binary_cross_entropy_from_logit(MAX, 0.0).unwrap(), MAX);
    assert_eq!(binary_cross_entropy_from_logit(-MAX, 1.0).unwrap(), MAX);
}

/// Infinite logits: `+inf` logits share the mass equally, `−inf` logits get 0,
/// and all `−inf` is an error.
#[test]
fn infinite_logits() {
    assert_eq!(softmax(&[INF, 0.0]).unwrap(), vec![1.0, 0.0]);
    assert_eq!(softmax(&[0.0, INF, INF]).unwrap(), vec![0.0, 0.5, 0.5]);
    assert_eq!(softmax(&[-INF, 0.0]).unwrap(), vec![0.0, 1.0]);
    assert_eq!(softmax(&[INF, -INF]).unwrap(), vec![1.0, 0.0]);
    assert_eq!(softmax(&[INF, MAX]).unwrap(), vec![1.0, 0.0]);
    assert_eq!(softmax(&[f32::INFINITY, 0.0]).unwrap(), vec![1.0, 0.0]);
    assert_eq!(
        softmax(&[-INF, -INF]),
        Err(Error::AllNegativeInfinity { len: 2 })
    );
    assert_eq!(
        log_sum_exp(&[-INF]),
        Err(Error::AllNegativeInfinity { len: 1 })
    );
    assert_eq!(
        log_softmax(&[-INF, -INF, -INF]),
        Err(Error::AllNegativeInfinity { len: 3 })
    );
    assert_eq!(log_sum_exp(&[INF, 0.0]).unwrap(), INF);
    assert_eq!(log_sum_exp(&[-INF, 0.0]).unwrap(), 0.0);
    assert_eq!(log_softmax(&[INF, 0.0]).unwrap(), vec![0.0, -INF]);
    assert_eq!(log_softmax(&[-INF, 0.0]).unwrap(), vec![-INF, 0.0]);
    assert_eq!(
        cross_entropy_from_logits(&[INF, 0.0], &[1.0, 0.0]).unwrap(),
        0.0
    );
    assert_eq!(
        cross_entropy_from_logits(&[INF, 0.0], &[0.0, 1.0]).unwrap(),
        INF
    );
    assert_eq!(
        cross_entropy_from_logits(&[-INF, 0.0], &[0.0, 1.0]).unwrap(),
        0.0
    );
    assert_eq!(
        cross_entropy_gradient_from_logits(&[INF, 0.0], &[0.0, 1.0]).unwrap(),
        vec![1.0, -1.0]
    );
    assert_eq!(logistic(INF).unwrap(), 1.0);
    assert_eq!(logistic(-INF).unwrap(), 0.0);
    assert_eq!(logistic_derivative(INF).unwrap(), 0.0);
    assert_eq!(binary_cross_entropy_from_logit(INF, 1.0).unwrap(), 0.0);
    assert_eq!(binary_cross_entropy_from_logit(-INF, 1.0).unwrap(), INF);
}
