//! One test per failure found by the audit of issue 8 ("Accurate against the
//! truth"), each measured against the oracle. Every one of them failed on the
//! code before the fixes (checked by running this module against that code).

use super::generators::{VOCABULARIES, smoothed};
use super::measure::ULP_BOUND;
use crate::oracle::{self, Logits, Measured, Truth, ulp_error};
use proptest::prelude::*;
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
use softmax_cross_entropy::batch::{Reduction, batch_cross_entropy};
use softmax_cross_entropy::cross_entropy::{
    cross_entropy, cross_entropy_from_logits, cross_entropy_from_logits_class,
};
use softmax_cross_entropy::gradient::cross_entropy_gradient_from_logits;
use softmax_cross_entropy::jacobian::jacobian;
use softmax_cross_entropy::softmax::{log_softmax, log_sum_exp, softmax, softmax_naive};
use softmax_cross_entropy::{Error, Result};

/// Assert `got` within [`ULP_BOUND`] ulp of `truth`.
fn within<T: Measured>(what: &str, got: T, truth: &Truth) {
    let e = ulp_error(got, truth);
    assert!(
        e <= ULP_BOUND,
        "{what}: got {:e}, truth {:e}: {e} ulp",
        got.widen(),
        truth.to_f64()
    );
}

fn widen<T: Measured>(z: &[T]) -> Vec<f64> {
    z.iter().map(|x| x.widen()).collect()
}

/// A deterministic runner, so that a regression input never changes.
fn fixed_runner(cases: u32) -> TestRunner {
    TestRunner::new_with_rng(
        Config::with_cases(cases),
        TestRng::deterministic_rng(RngAlgorithm::ChaCha),
    )
}

/// Tail absorption: `f32`, `C = 10,000`, the maximum first and the other
/// logits 17 to 17.5 below it. Every `e^{z − m} ≈ 3e-8` is below half an ulp
/// of 1, so a left-to-right sum that starts with the maximum's 1 stays at 1:
/// the loss came out as 0 (truth 3.26e-4) and the gradient's target entry as
/// 0. The same numbers in the other order were right.
#[test]
fn tail_absorption_max_first() {
    let c = 10_000;
    let others = (1..c).map(|i| -17.0 - 0.5 * (i % 7) as f32 / 6.0);
    for max_first in [true, false] {
        let z: Vec<f32> = if max_first {
            std::iter::once(0.0).chain(others.clone()).collect()
        } else {
            others.clone().chain(std::iter::once(0.0)).collect()
        };
        let k = if max_first { 0 } else { c - 1 };
        let o = Logits::new(&widen(&z));
        let loss = cross_entropy_from_logits_class(&z, k).unwrap();
        assert!(loss > 0.0);
        within("loss", loss, &o.cross_entropy_class(k));
        let mut t = vec![0.0_f32; c];
        t[k] = 1.0;
        let g = cross_entropy_gradient_from_logits(&z, &t).unwrap();
        within("gradient at the target", g[k], &o.gradient(&widen(&t), k));
        within("log_sum_exp", log_sum_exp(&z).unwrap(), &o.log_sum_exp());
        let y = softmax(&z).unwrap();
        within("softmax at the maximum", y[k], &o.softmax(k));
    }
}

/// Tiny losses: for `z = [0, −d]` the loss of class 0 is `log(1 + e^{−d})`.
/// Computed as `0 − ln(fl(1 + R))` it was exactly 0 from `d = 37` (`f64`) and
/// `d = 17` (`f32`), and 17% off at `d = 15` (`f32`); `log_sum_exp`,
/// `log_softmax` and the gradient shared the defect.
#[test]
fn tiny_losses_of_two_classes() {
    fn check<T: Measured>(d: f64) {
        let z = [T::zero(), T::narrow(-d)];
        let o = Logits::new(&widen(&z));
        within(
            "loss",
            cross_entropy_from_logits_class(&z, 0).unwrap(),
            &o.cross_entropy_class(0),
        );
        within(
            "loss (one-hot)",
            cross_entropy_from_logits(&z, &[T::one(), T::zero()]).unwrap(),
            &o.cross_entropy_class(0),
        );
        within("log_sum_exp", log_sum_exp(&z).unwrap(), &o.log_sum_exp());
        within(
            "log_softmax",
            log_softmax(&z).unwrap()[0],
            &o.log_softmax(0),
        );
        let g = cross_entropy_gradient_from_logits(&z, &[T::one(), T::zero()]).unwrap();
        within("gradient", g[0], &o.gradient(&[1.0, 0.0], 0));
    }
    for d in [15.0, 17.0, 20.0, 30.0, 60.0, 87.0, 100.0] {
        check::<f32>(d);
    }
    for d in [30.0, 37.0, 40.0, 100.0, 700.0, 740.0] {
        check::<f64>(d);
    }
}

/// With `C = 2`, every prediction with `p(true) > 0.9` was off by more than
/// 4 ulp (the loss is below 0.1, and `ln(fl(1 + R))` errs by `u` absolute).
#[test]
fn two_classes_confident_predictions() {
    fixed_runner(64)
        .run(&(0.0..0.1_f64, any::<bool>()), |(loss, f32_)| {
            // p(true) = e^{−loss} > 0.9: z = [0, −d] with d = −ln(e^{loss} − 1).
            let d = -(loss.exp_m1()).ln();
            if f32_ {
                let z = [0.0_f32, -d as f32];
                let o = Logits::new(&widen(&z));
                within(
                    "f32",
                    cross_entropy_from_logits_class(&z, 0).unwrap(),
                    &o.cross_entropy_class(0),
                );
            } else {
                let z = [0.0, -d];
                let o = Logits::new(&z);
                within(
                    "f64",
                    cross_entropy_from_logits_class(&z, 0).unwrap(),
                    &o.cross_entropy_class(0),
                );
            }
            Ok(())
        })
        .unwrap();
}

/// Batch means in `f32` over more than `2^{24}` rows: `N` was counted by
/// adding 1.0 `N` times, which stops at 16,777,216, and the running total of
/// the losses was a plain sum. Rows of one class with `y = 1/2` each have
/// the loss `ln 2`; the mean of `2^{24} + 2^{22}` of them came out as exactly
/// 1.0 (and 1.25× too large at this `N`). Here: within 4 ulp of `ln 2`.
///
/// About 3 s at the dev profile, so it runs in the long run only
/// (`ACCURACY_CASES` ≥ 1000); the unit test `batch::tests::count_past_two_to_the_24`
/// in `src/batch.rs` checks the count itself on every `cargo test`.
#[test]
fn batch_mean_past_two_to_the_24() {
    if super::cases() < 1000 {
        return;
    }
    let n = (1 << 24) + (1 << 22);
    let y = vec![0.5_f32; n];
    let t = vec![1.0_f32; n];
    let mean = batch_cross_entropy(&y, &t, 1, Reduction::Mean).unwrap();
    let truth = Truth::Finite(oracle::big(2.0, oracle::PRECISION).ln());
    within("mean of ln 2", mean, &truth);
    let sum = batch_cross_entropy(&y, &t, 1, Reduction::Sum).unwrap();
    let truth = Truth::Finite(
        oracle::big(2.0, oracle::PRECISION).ln() * oracle::big(n as f64, oracle::PRECISION),
    );
    within("sum", sum, &truth);
}

/// Valid soft targets were rejected in `f32` for large vocabularies: the
/// check summed them left to right. Uniform `1/C` targets failed for
/// `C = 50,257` and `128,256`, label smoothing 0.1 for `32,000`, `50,257` and
/// `128,256`; their exact sums are within `5e-8` of 1.
#[test]
fn large_vocabulary_targets_accepted() -> Result<()> {
    for c in VOCABULARIES {
        let z = vec![0.0_f32; c];
        for alpha in [1.0, 0.1] {
            let t: Vec<f32> = smoothed(c, 7, alpha);
            let exact: f64 = widen(&t).iter().sum();
            assert!(
                (exact - 1.0).abs() < 5e-8,
                "C = {c}, α = {alpha}: exact sum {exact}"
            );
            let loss = cross_entropy_from_logits(&z, &t)?;
            // All logits equal: the loss is ln C times Σt.
            let o = Logits::new(&widen(&z));
            within("loss", loss, &o.cross_entropy(&widen(&t)));
            cross_entropy(&softmax(&z)?, &t)?;
        }
    }
    Ok(())
}

/// A finite loss that came out as `+inf`: `ξ([MAX, −MAX], [0.75, 0.25])` is
/// `0.25 · 2·MAX = MAX/2`, but `z − m` overflowed.
#[test]
fn opposite_extremes_finite_loss() {
    let xi = cross_entropy_from_logits(&[f64::MAX, -f64::MAX], &[0.75, 0.25]).unwrap();
    assert_eq!(xi, f64::MAX / 2.0);
    let xi = cross_entropy_from_logits(&[f32::MAX, -f32::MAX], &[0.75, 0.25]).unwrap();
    assert_eq!(xi, f32::MAX / 2.0);
    // Where the truth is beyond the range, +inf is the right answer.
    let xi = cross_entropy_from_logits(&[f64::MAX, -f64::MAX], &[0.25, 0.75]).unwrap();
    assert_eq!(xi, f64::INFINITY);
}

/// `softmax` was 505 ulp off (`f64`) at logit scale 100: `exp` amplified the
/// rounding of `z − m`, up to `u|z − m|`, into the same relative error.
#[test]
fn softmax_at_logit_scale_100() {
    fixed_runner(64)
        .run(&prop::collection::vec(-100.0..100.0_f64, 2..=6), |z| {
            let o = Logits::new(&z);
            for (i, &y) in softmax(&z).unwrap().iter().enumerate() {
                within("softmax", y, &o.softmax(i));
            }
            Ok(())
        })
        .unwrap();
}

/// `softmax` in `f32` over `10⁵` classes was about 4,000 ulp off, from the
/// plain left-to-right sum of the normalizer.
#[test]
fn softmax_f32_hundred_thousand_classes() {
    let c = 100_000;
    let tile = [-3.5_f32, 1.25, -0.75, 2.0, -6.0, 0.5, -1.5, 3.0];
    let z: Vec<f32> = (0..c).map(|i| tile[(i * 5 + i / 3) % tile.len()]).collect();
    let o = Logits::new(&widen(&z));
    let y = softmax(&z).unwrap();
    for (i, &y_i) in y.iter().enumerate().take(tile.len() * 3) {
        within("softmax", y_i, &o.softmax(i));
    }
}

/// The diagonal of the Jacobian was computed as `y − y·y`: 1.9e7 ulp (`f64`)
/// near `y = 1`. Now `y(1 − y)`, like `jacobian_element`.
#[test]
fn jacobian_diagonal_near_one() {
    let tiny = 2.0_f64.powi(-40);
    let y = [1.0 - tiny, tiny];
    let j = jacobian(&y).unwrap();
    for (i, got) in [j[0], j[3]].into_iter().enumerate() {
        within("diagonal", got, &oracle::jacobian(&y, i, i));
    }
}

/// `cross_entropy` from probabilities was 64 ulp off (`f64`) at `C = 32,000`:
/// a plain sum of the terms.
#[test]
fn cross_entropy_from_probabilities_32000_classes() {
    let c = 32_000;
    let y: Vec<f64> = (0..c)
        .map(|i| {
            if i % 2 == 0 {
                1.0 / 48_000.0
            } else {
                1.0 / 24_000.0
            }
        })
        .collect();
    let t: Vec<f64> = (0..c)
        .map(|i| {
            if i % 3 == 0 {
                1.0 / 16_000.0
            } else {
                1.0 / 64_000.0
            }
        })
        .collect();
    let t = {
        // Normalize in f64 (the exact sum stays within ~1e-12 of 1).
        let s: f64 = t.iter().sum();
        t.iter().map(|x| x / s).collect::<Vec<f64>>()
    };
    within(
        "cross_entropy",
        cross_entropy(&y, &t).unwrap(),
        &oracle::cross_entropy_probabilities(&y, &t),
    );
}

/// `softmax_naive([−744, −744.25, −747])` (`f64`) returned `[0.667, 0.333,
/// 0]` without an error: every exponential is subnormal and has lost most of
/// its digits (the truth is `[0.547, 0.426, 0.027]`). The sum of the
/// exponentials is below the smallest normal float, so it reports underflow.
#[test]
fn naive_softmax_subnormal_sum_is_an_error() {
    assert_eq!(
        softmax_naive(&[-744.0_f64, -744.25, -747.0]),
        Err(Error::Underflow { len: 3 })
    );
    assert_eq!(
        softmax_naive(&[-100.0_f32, -100.25, -103.0]),
        Err(Error::Underflow { len: 3 })
    );
    // The stable softmax gives the truth.
    let z = [-744.0_f64, -744.25, -747.0];
    let o = Logits::new(&z);
    for (i, y) in softmax(&z).unwrap().into_iter().enumerate() {
        within("softmax", y, &o.softmax(i));
    }
}
