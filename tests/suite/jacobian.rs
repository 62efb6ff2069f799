//! Properties of the softmax Jacobian `J = diag(y) − y yᵀ`: its structure,
//! its agreement with the element formulas and the vector–Jacobian product,
//! its values against finite differences and forward-mode AD of the same
//! generic softmax code, and exact rational checks of every step of the
//! source's quotient-rule derivation.

use crate::common::*;
use autodiff::F1;
use proptest::prelude::*;
use softmax_cross_entropy::jacobian::{
    jacobian, jacobian_element, jacobian_into, softmax_derivative_cross, softmax_derivative_same,
    steps, vector_jacobian_product, vector_jacobian_product_into,
};
use softmax_cross_entropy::softmax::{softmax, softmax_from_exponentials};
use softmax_cross_entropy::verify::central_difference_jacobian;

/// Row-major entry `(i, j)` of a `C × C` matrix.
fn at(m: &[f64], c: usize, i: usize, j: usize) -> f64 {
    m[i * c + j]
}

proptest! {
    /// `J` is symmetric, bit for bit: `J_ij = [i = j] y_i − y_i y_j` and
    /// floating-point multiplication commutes.
    #[test]
    fn symmetric(z in logits(30.0)) {
        let y = softmax(&z).unwrap();
        let j = jacobian(&y).unwrap();
        let c = y.len();
        for a in 0..c {
            for b in 0..c {
                prop_assert_eq!(at(&j, c, a, b), at(&j, c, b, a));
            }
        }
    }

    /// Every row of `J` sums to 0 (a softmax output sums to 1 whatever `z`,
    /// so moving `z` cannot change `Σ y`).
    #[test]
    fn rows_sum_to_zero(z in logits(30.0)) {
        let y = softmax(&z).unwrap();
        let j = jacobian(&y).unwrap();
        let c = y.len();
        for (i, &y_i) in y.iter().enumerate() {
            let row: f64 = (0..c).map(|k| at(&j, c, i, k)).sum();
            // Exactly Σ_k J_ik = y_i(1 − Σ y), with |1 − Σy| < Cε (see
            // softmax::sums_to_one_f64); each entry is rounded (≤ ε·y_i) and
            // the row sum adds (C − 1)u·Σ|J_ik| ≤ (C − 1)u·2y_i. Total ≤ 3C·ε·y_i.
            // `MIN_POSITIVE` covers products y_i y_k that are subnormal.
            let tol = 3.0 * count(c) * f64::EPSILON * y_i + f64::MIN_POSITIVE;
            approx::assert_abs_diff_eq!(row, 0.0, epsilon = tol);
        }
    }

    /// `vᵀ J v = Σ y_i v_i² − (Σ y_i v_i)² ≥ 0` (a variance): `J` is positive
    /// semidefinite, up to the rounding of the double sum.
    #[test]
    fn positive_semidefinite(
        (z, v) in (1..=MAX_CLASSES).prop_flat_map(|c| (
            prop::collection::vec(-30.0..30.0_f64, c),
            prop::collection::vec(-10.0..10.0_f64, c),
        ))
    ) {
        let y = softmax(&z).unwrap();
        let j = jacobian(&y).unwrap();
        let c = y.len();
        let mut q = 0.0;
        let mut magnitude = 0.0;
        for a in 0..c {
            for b in 0..c {
                q += v[a] * at(&j, c, a, b) * v[b];
                magnitude += (v[a] * at(&j, c, a, b) * v[b]).abs();
            }
        }
        let weighted: f64 = (0..c).map(|a| y[a] * v[a] * v[a]).sum();
        // A sum of C² products (two roundings each) errs by at most
        // (C² + 2)u·Σ|terms|. Each entry of J is off by ≤ u·y_a (the rounding
        // of y_a − y_a² or y_a y_b, which need not be small relative to a
        // cancelled entry), adding ≤ C·u·Σ y_a v_a². And for ŷ with
        // Σŷ = 1 + δ, Cauchy–Schwarz only gives vᵀJv ≥ −δ·Σ ŷ_a v_a², with
        // |δ| < Cε (softmax::sums_to_one_f64).
        let tol = (count(c * c) + 2.0) * f64::EPSILON * magnitude
            + 2.0 * (count(c) + 1.0) * f64::EPSILON * weighted;
        prop_assert!(q >= -tol, "vᵀJv = {q:e} < -{tol:e} for y = {y:?}, v = {v:?}");
    }

    /// `jacobian_element`, `softmax_derivative_same` and
    /// `softmax_derivative_cross` give exactly the entries of `jacobian` (and
    /// `jacobian_into`), in exact rational arithmetic.
    #[test]
    fn element_formulas_match_matrix_exactly(a in rational_exponentials(1..=MAX_RATIONAL_CLASSES)) {
        let y = softmax_from_exponentials(&a).unwrap();
        let c = y.len();
        let j = jacobian(&y).unwrap();
        let mut into = vec![Q::from_integer(0); c * c];
        jacobian_into(&y, &mut into).unwrap();
        prop_assert_eq!(&into, &j);
        for r in 0..c {
            for k in 0..c {
                prop_assert_eq!(jacobian_element(&y, r, k).unwrap(), j[r * c + k]);
                let formula = if r == k {
                    softmax_derivative_same(y[r]).unwrap()
                } else {
                    softmax_derivative_cross(y[r], y[k]).unwrap()
                };
                prop_assert_eq!(formula, j[r * c + k]);
                // And J_rk = y_r(δ_rk − y_k), written out here.
                let delta = if r == k { Q::from_integer(1) } else { Q::from_integer(0) };
                prop_assert_eq!(j[r * c + k], y[r] * (delta - y[k]));
            }
        }
    }

    /// The same agreement in `f64`, where `y − y·y` (matrix) and `y(1 − y)`
    /// (element) round differently.
    #[test]
    fn element_formulas_match_matrix_f64(z in logits(30.0)) {
        let y = softmax(&z).unwrap();
        let c = y.len();
        let j = jacobian(&y).unwrap();
        for r in 0..c {
            for k in 0..c {
                let e = jacobian_element(&y, r, k).unwrap();
                // y − y² rounds y² (u·y²) and the difference (u·y); y(1 − y)
                // rounds 1 − y (u) and the product (u·y(1 − y)): all ≤ ε·y_r.
                // Off the diagonal both are the same product, so equal.
                let tol = if r == k { f64::EPSILON * y[r] } else { 0.0 };
                approx::assert_abs_diff_eq!(e, at(&j, c, r, k), epsilon = tol);
            }
        }
    }

    /// `vᵀJ` without the matrix equals `vᵀJ` from the full matrix, exactly
    /// (rationals).
    #[test]
    fn vector_jacobian_product_matches_matrix_exactly(
        (a, v) in (1..=MAX_RATIONAL_CLASSES).prop_flat_map(|c| (
            prop::collection::vec(positive_rational(), c),
            prop::collection::vec(rational(), c),
        ))
    ) {
        let y = softmax_from_exponentials(&a).unwrap();
        let c = y.len();
        let j = jacobian(&y).unwrap();
        let want: Vec<Q> = (0..c)
            .map(|col| (0..c).fold(Q::from_integer(0), |s, row| s + v[row] * j[row * c + col]))
            .collect();
        prop_assert_eq!(&vector_jacobian_product(&y, &v).unwrap(), &want);
        let mut out = vec![Q::from_integer(0); c];
        vector_jacobian_product_into(&y, &v, &mut out).unwrap();
        prop_assert_eq!(&out, &want);
    }

    /// The same in `f64`.
    #[test]
    fn vector_jacobian_product_matches_matrix_f64(
        (z, v) in (1..=MAX_CLASSES).prop_flat_map(|c| (
            prop::collection::vec(-30.0..30.0_f64, c),
            prop::collection::vec(-10.0..10.0_f64, c),
        ))
    ) {
        let y = softmax(&z).unwrap();
        let c = y.len();
        let j = jacobian(&y).unwrap();
        let got = vector_jacobian_product(&y, &v).unwrap();
        for col in 0..c {
            let want: f64 = (0..c).map(|row| v[row] * at(&j, c, row, col)).sum();
            // Both are O(C) sums of products of terms bounded by |v|·y: each
            // errs by ≤ (C + 2)ε·max|v|·y_col, and the matrix route also
            // carries y_col(1 − Σy) ≤ Cε·y_col·max|v| from the rows of J.
            let vmax = v.iter().fold(0.0_f64, |m, x| m.max(x.abs()));
            let tol = (3.0 * count(c) + 4.0) * f64::EPSILON * vmax * y[col] + f64::MIN_POSITIVE;
            approx::assert_abs_diff_eq!(got[col], want, epsilon = tol);
        }
    }

    /// `J` equals forward-mode AD of the same generic `softmax` on dual
    /// numbers (no derivative formula involved).
    #[test]
    fn matches_forward_mode_ad(z in logits(30.0)) {
        let ad = ad_jacobian(|x: &[F1]| softmax(x), &z);
        let j = jacobian(&softmax(&z).unwrap()).unwrap();
        let c = count(z.len());
        // AD evaluates the quotient rule on e^{z − m}: each of the terms it
        // combines is ≤ 1 after division by Σ² and carries ≤ (C + 2)ε relative
        // rounding (as the softmax itself); the tangent of the shift m cancels
        // between numerator and normalizer, leaving ≤ 2(C + 2)ε absolute.
        // (Measured: ≤ 0.3(C + 2)ε over 20 000 random cases.)
        assert_all_abs(&ad, &j, 2.0 * (c + 2.0) * f64::EPSILON);
    }

    /// `J` equals central finite differences of `softmax`.
    #[test]
    fn matches_central_differences(z in logits(5.0)) {
        let fd = central_difference_jacobian(|x: &[f64]| softmax(x), &z).unwrap();
        let j = jacobian(&softmax(&z).unwrap()).unwrap();
        let s = scale(&z);
        // h = ε^{1/3}s: truncation h²/6·|∂³y| with |∂³y| ≤ 2 gives ≤ s²ε^{2/3}/3;
        // rounding of the two evaluations, (C + 2)ε each, over 2h gives
        // ≤ (C + 2)ε^{2/3}/s. With C ≤ 8: ≤ 11 s² ε^{2/3}.
        assert_all_abs(&fd, &j, 11.0 * s * s * fd_scale());
    }

    /// Diagonal steps, exactly:
    /// `(a_iΣ − a_i a_i)/Σ² = (a_i/Σ)((Σ − a_i)/Σ) = (a_i/Σ)(1 − a_i/Σ) = y_i(1 − y_i)`.
    #[test]
    fn diagonal_steps_exact(
        (a, i) in (1..=MAX_RATIONAL_CLASSES).prop_flat_map(|c| (
            prop::collection::vec(positive_rational(), c), 0..c))
    ) {
        let y = softmax_from_exponentials(&a).unwrap();
        let quotient = steps::diagonal_quotient_rule(&a, i).unwrap();
        let factored = steps::diagonal_factored(&a, i).unwrap();
        let complement = steps::diagonal_complement(&a, i).unwrap();
        let result = softmax_derivative_same(y[i]).unwrap();
        prop_assert_eq!(quotient, factored);
        prop_assert_eq!(factored, complement);
        prop_assert_eq!(complement, result);
        prop_assert_eq!(result, jacobian(&y).unwrap()[i * y.len() + i]);
    }

    /// Off-diagonal steps, exactly:
    /// `(0 − a_i a_j)/Σ² = −(a_i/Σ)(a_j/Σ) = −y_i y_j`.
    #[test]
    fn off_diagonal_steps_exact(
        (a, i, j) in (2..=MAX_RATIONAL_CLASSES).prop_flat_map(|c| (
            prop::collection::vec(positive_rational(), c), 0..c, 1..c))
            .prop_map(|(a, i, d)| { let c = a.len(); (a, i, (i + d) % c) })
    ) {
        let y = softmax_from_exponentials(&a).unwrap();
        let quotient = steps::off_diagonal_quotient_rule(&a, i, j).unwrap();
        let product = steps::off_diagonal_product(&a, i, j).unwrap();
        let result = softmax_derivative_cross(y[i], y[j]).unwrap();
        prop_assert_eq!(quotient, product);
        prop_assert_eq!(product, result);
        prop_assert_eq!(result, jacobian(&y).unwrap()[i * y.len() + j]);
    }

    /// The quotient-rule step is itself a derivative: in `f64` with
    /// `a = e^z`, it equals AD of `softmax` (the step before any algebra).
    #[test]
    fn quotient_rule_steps_match_ad(z in logits_with(5.0, 2..=MAX_CLASSES)) {
        let a: Vec<f64> = z.iter().map(|x| x.exp()).collect();
        let c = z.len();
        let ad = ad_jacobian(|x: &[F1]| softmax(x), &z);
        for i in 0..c {
            for j in 0..c {
                let step = if i == j {
                    steps::diagonal_quotient_rule(&a, i).unwrap()
                } else {
                    steps::off_diagonal_quotient_rule(&a, i, j).unwrap()
                };
                // a_iΣ − a_i² cancels when y_i ≈ 1: absolute error ≤ (C + 2)ε
                // on numbers Σ²-scaled to ≤ 1; AD as in matches_forward_mode_ad.
                approx::assert_abs_diff_eq!(step, ad[i * c + j], epsilon = 8.0 * (count(c) + 2.0) * f64::EPSILON);
            }
        }
    }
}

/// A value worked by hand: `y = [1/4, 3/4]` gives
/// `J = [[3/16, −3/16], [−3/16, 3/16]]` (exact in binary floating point).
#[test]
fn known_two_class_value() {
    let j = jacobian(&[0.25_f64, 0.75]).unwrap();
    assert_eq!(j, vec![3.0 / 16.0, -3.0 / 16.0, -3.0 / 16.0, 3.0 / 16.0]);
}
