//! The batch cross-entropy `ξ(T, Y) = Σ_i ξ(t_i, y_i)` and its gradient:
//! reductions against per-row values, the class-label form against the one-hot
//! form, and the batch gradient against forward-mode AD of the batch loss.

use crate::common::*;
use autodiff::F1;
use proptest::prelude::*;
use softmax_cross_entropy::batch::{
    Reduction, batch_cross_entropy, batch_cross_entropy_from_logits,
    batch_cross_entropy_from_logits_classes, batch_gradient_from_logits,
    batch_gradient_from_logits_into,
};
use softmax_cross_entropy::cross_entropy::{cross_entropy, cross_entropy_from_logits};
use softmax_cross_entropy::gradient::cross_entropy_gradient_from_logits;
use softmax_cross_entropy::softmax::softmax;

/// The row-major softmax of every row.
fn softmax_rows(z: &[f64], c: usize) -> Vec<f64> {
    z.chunks(c).flat_map(|row| softmax(row).unwrap()).collect()
}

proptest! {
    /// `Reduction::Sum` is the sum of the per-row cross-entropies and
    /// `Reduction::Mean` that sum over `N`, from logits and from probabilities.
    #[test]
    fn reductions_are_sum_and_mean_of_rows((n, c, z, t, _) in batch(30.0)) {
        let rows: Vec<f64> = z.chunks(c).zip(t.chunks(c))
            .map(|(z_i, t_i)| cross_entropy_from_logits(z_i, t_i).unwrap())
            .collect();
        let total: f64 = rows.iter().sum();
        let sum = batch_cross_entropy_from_logits(&z, &t, c, Reduction::Sum).unwrap();
        let mean = batch_cross_entropy_from_logits(&z, &t, c, Reduction::Mean).unwrap();
        let nf = count(n);
        // Sums of N non-negative terms, each order costing ≤ (N − 1)u·total.
        approx::assert_relative_eq!(sum, total, max_relative = nf * f64::EPSILON);
        // Mean: the same sum times fl(1/N), ≤ N·u + 2u from total/N.
        approx::assert_relative_eq!(mean, total / nf, max_relative = (nf + 2.0) * f64::EPSILON);

        let y = softmax_rows(&z, c);
        let rows_p: f64 = y.chunks(c).zip(t.chunks(c))
            .map(|(y_i, t_i)| cross_entropy(y_i, t_i).unwrap())
            .sum();
        let sum_p = batch_cross_entropy(&y, &t, c, Reduction::Sum).unwrap();
        let mean_p = batch_cross_entropy(&y, &t, c, Reduction::Mean).unwrap();
        approx::assert_relative_eq!(sum_p, rows_p, max_relative = nf * f64::EPSILON);
        approx::assert_relative_eq!(mean_p, rows_p / nf, max_relative = (nf + 2.0) * f64::EPSILON);
    }

    /// The class-label form equals the one-hot form built from the labels.
    #[test]
    fn class_labels_equal_one_hot_rows((n, c, z, _, labels) in batch(30.0)) {
        let t: Vec<f64> = labels.iter().flat_map(|&k| one_hot(c, k)).collect();
        let nf = count(n);
        for reduction in [Reduction::Sum, Reduction::Mean] {
            let by_label = batch_cross_entropy_from_logits_classes(&z, &labels, c, reduction).unwrap();
            let by_one_hot = batch_cross_entropy_from_logits(&z, &t, c, reduction).unwrap();
            // Row by row the two are the same number (see
            // cross_entropy::class_forms_equal_one_hot_forms); only the
            // order of the final sum could differ: ≤ N·ε relative.
            approx::assert_relative_eq!(by_label, by_one_hot, max_relative = nf * f64::EPSILON);
        }
    }

    /// The batch gradient is `Y − T` for the sum and `(Y − T)/N` for the
    /// mean: it equals forward-mode AD of `batch_cross_entropy_from_logits`
    /// with respect to all `N·C` logits.
    #[test]
    fn gradient_matches_forward_mode_ad((n, c, z, t, _) in batch(30.0)) {
        let tc = constants(&t);
        let nf = count(n);
        for reduction in [Reduction::Sum, Reduction::Mean] {
            let ad = ad_gradient(|x: &[F1]| batch_cross_entropy_from_logits(x, &tc, c, reduction), &z);
            let g = batch_gradient_from_logits(&z, &t, c, reduction).unwrap();
            // Each logit enters one row only; per row as in
            // gradient::from_logits_matches_forward_mode_ad (≤ 2(C + 2)ε), and
            // the mean scales both sides by fl(1/N) (2u more).
            let weight = if reduction == Reduction::Mean { 1.0 / nf } else { 1.0 };
            assert_all_abs(&ad, &g, 2.0 * (count(c) + 3.0) * f64::EPSILON * weight);
            let mut out = vec![0.0; z.len()];
            batch_gradient_from_logits_into(&z, &t, c, reduction, &mut out).unwrap();
            prop_assert_eq!(&out, &g);
        }
    }

    /// Row `i` of the batch gradient is the single-sample gradient of row `i`
    /// (times `1/N` for the mean), and the rows are written in order.
    #[test]
    fn gradient_rows_are_sample_gradients((n, c, z, t, _) in batch(30.0)) {
        let sum = batch_gradient_from_logits(&z, &t, c, Reduction::Sum).unwrap();
        let mean = batch_gradient_from_logits(&z, &t, c, Reduction::Mean).unwrap();
        let nf = count(n);
        for (i, (z_i, t_i)) in z.chunks(c).zip(t.chunks(c)).enumerate() {
            let g = cross_entropy_gradient_from_logits(z_i, t_i).unwrap();
            prop_assert_eq!(&sum[i * c..(i + 1) * c], g.as_slice());
            let scaled: Vec<f64> = g.iter().map(|x| x / nf).collect();
            // g·fl(1/N) against g/N: ≤ 2u relative.
            assert_all_relative(&mean[i * c..(i + 1) * c], &scaled, f64::EPSILON);
        }
    }
}

/// The source's formula on a hand-made batch of two samples:
/// `ξ = −(log ½ + log ¾)` for `Y = [[½, ½], [¼, ¾]]`, `T = [[1, 0], [0, 1]]`.
#[test]
fn known_value() {
    let y = [0.5_f64, 0.5, 0.25, 0.75];
    let t = [1.0_f64, 0.0, 0.0, 1.0];
    let want = -(0.5_f64.ln() + 0.75_f64.ln());
    // Two ln and one sum on each side.
    approx::assert_relative_eq!(
        batch_cross_entropy(&y, &t, 2, Reduction::Sum).unwrap(),
        want,
        max_relative = 2.0 * f64::EPSILON
    );
    approx::assert_relative_eq!(
        batch_cross_entropy(&y, &t, 2, Reduction::Mean).unwrap(),
        want / 2.0,
        max_relative = 2.0 * f64::EPSILON
    );
}
