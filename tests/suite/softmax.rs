//! Properties of `softmax`, `log_sum_exp`, `log_softmax` and the naive and
//! exponential forms: normalization, shift invariance, and agreement between
//! the routes.
//!
//! Rounding model used by the tolerances: `ε` is the type's `EPSILON`
//! (twice the unit roundoff `u`); `exp` and `ln` are correct to within 1 ulp
//! (relative error `≤ ε`); a sum of `C` terms has relative error
//! `≤ (C − 1)u`; rounding an argument `d` of `exp` to `fl(d)` changes
//! `e^d` by the relative amount `u·|d|`.

use crate::common::*;
use num_rational::Ratio;
use proptest::prelude::*;
use quickcheck::TestResult;
use softmax_cross_entropy::softmax::{
    log_softmax, log_softmax_into, log_sum_exp, softmax, softmax_from_exponentials, softmax_into,
    softmax_naive,
};

proptest! {
    /// `Σ y = 1` and `0 ≤ y_c ≤ 1` for `f64` logits mixing scales up to `±1e300`.
    #[test]
    fn sums_to_one_f64(z in wide_logits()) {
        let y = softmax(&z).unwrap();
        let c = count(z.len());
        prop_assert!(y.iter().all(|&p| (0.0..=1.0).contains(&p)), "{y:?}");
        let sum: f64 = y.iter().sum();
        // The computed y is the exact softmax of the computed exponentials up
        // to the normalizer's sum ((C−1)u), the division (u) and this test's
        // own sum ((C−1)u): |Σy − 1| ≤ (2C − 1)u < C·ε.
        approx::assert_abs_diff_eq!(sum, 1.0, epsilon = c * f64::EPSILON);
    }

    /// The same for `f32`, with logits up to `±1e38`.
    #[test]
    fn sums_to_one_f32(z in wide_logits_f32()) {
        let y = softmax(&z).unwrap();
        let c = z.len() as f32;
        prop_assert!(y.iter().all(|&p| (0.0..=1.0).contains(&p)), "{y:?}");
        let sum: f32 = y.iter().sum();
        // As for f64: |Σy − 1| ≤ (2C − 1)u < C·ε.
        approx::assert_abs_diff_eq!(sum, 1.0, epsilon = c * f32::EPSILON);
    }

    /// `softmax_into` writes exactly what `softmax` returns (and
    /// `log_softmax_into` what `log_softmax` returns).
    #[test]
    fn into_forms_equal_allocating_forms(z in wide_logits()) {
        let mut out = vec![0.0; z.len()];
        softmax_into(&z, &mut out).unwrap();
        prop_assert_eq!(&out, &softmax(&z).unwrap());
        log_softmax_into(&z, &mut out).unwrap();
        prop_assert_eq!(&out, &log_softmax(&z).unwrap());
    }

    /// `ς(z + c·1) = ς(z)` for real logits and shifts, where `z_i + c` is
    /// rounded: the rounding is bounded, not assumed away.
    #[test]
    fn shift_invariance_rounded(z in logits(100.0), shift in -1e4..1e4_f64) {
        let shifted: Vec<f64> = z.iter().map(|&x| x + shift).collect();
        let (a, b) = (softmax(&shifted).unwrap(), softmax(&z).unwrap());
        let c = count(z.len());
        // fl(z_i + shift) moves each difference z_i − m by at most
        // u(|z_i + shift| + |m + shift|) ≤ ε(max|z| + |shift|) =: Δ, which moves
        // each y_c by the relative amount ≤ 2Δ (its own exponent and the
        // normalizer's). Each evaluation also has relative error ≤ (C + 2)ε
        // plus u·|z_c − m| ≤ ε·max|z| from rounding its own exponent.
        let delta = f64::EPSILON * (scale(&z) + shift.abs());
        let tol = 2.0 * delta + 2.0 * (c + 2.0) * f64::EPSILON + 2.0 * f64::EPSILON * scale(&z);
        assert_all_relative(&a, &b, tol);
    }

    /// `exp(log ς(z)) = ς(z)`.
    #[test]
    fn exp_log_softmax_is_softmax(z in logits(300.0)) {
        let y = softmax(&z).unwrap();
        let e: Vec<f64> = log_softmax(&z).unwrap().iter().map(|l| l.exp()).collect();
        let (c, m) = (count(z.len()), max_of(&z));
        for (i, (&got, &want)) in e.iter().zip(&y).enumerate() {
            // Both routes share fl(z_c − m). log-softmax then subtracts
            // L = ln Σ (error ≤ Cε) with rounding u·|z_c − m − L| and exp adds ε;
            // softmax has relative error ≤ (C + 2)ε. L ≤ ln 8 < 3.
            let tol = f64::EPSILON * (2.0 * c + 6.0 + (z[i] - m).abs());
            approx::assert_relative_eq!(got, want, epsilon = 0.0, max_relative = tol);
        }
    }

    /// `log ς(z)_c = z_c − log Σ_d e^{z_d}` (the two ways of rounding it).
    #[test]
    fn log_softmax_is_z_minus_log_sum_exp(z in wide_logits()) {
        let l = log_softmax(&z).unwrap();
        let lse = log_sum_exp(&z).unwrap();
        let m = max_of(&z);
        for (i, &got) in l.iter().enumerate() {
            let want = z[i] - lse;
            // log_softmax rounds (z_c − m) and then (· − ln Σ); the other route
            // rounds m + ln Σ and then z_c − lse. Each rounding contributes u
            // times the magnitude it rounds, all of which are ≤ |z_c| + |m| + 3.
            let tol = f64::EPSILON * (z[i].abs() + m.abs() + (z[i] - m).abs() + 3.0);
            approx::assert_abs_diff_eq!(got, want, epsilon = tol);
        }
    }

    /// `log_sum_exp(z) = ln Σ e^{z_d}` computed naively where no `e^{z}`
    /// overflows or underflows (`|z| ≤ 300`).
    #[test]
    fn log_sum_exp_equals_naive(z in logits(300.0)) {
        let naive = z.iter().map(|x| x.exp()).sum::<f64>().ln();
        let lse = log_sum_exp(&z).unwrap();
        let c = count(z.len());
        // The naive sum has relative error ≤ Cε, i.e. ln of it absolute ≤ Cε,
        // plus u|ln Σ| for the ln itself; the stable route rounds m + L (u|lse|)
        // and its shifted exponents (≤ C·u/e relative on Σ, since t·e^{−t} ≤ 1/e).
        let tol = f64::EPSILON * (2.0 * c + 2.0 + 2.0 * lse.abs());
        approx::assert_abs_diff_eq!(lse, naive, epsilon = tol);
    }

    /// The source's naive `e^z / Σ e^z` equals the stable softmax where it
    /// neither overflows nor underflows (`|z| ≤ 300`).
    #[test]
    fn naive_equals_stable(z in logits(300.0)) {
        let naive = softmax_naive(&z).unwrap();
        let stable = softmax(&z).unwrap();
        let (c, m) = (count(z.len()), max_of(&z));
        for (i, (&a, &b)) in naive.iter().zip(&stable).enumerate() {
            // Each route: exp (ε), sum ((C − 1)u), division (u): ≤ (C + 2)ε
            // relative; the stable route also rounds z_c − m (u|z_c − m|).
            let tol = f64::EPSILON * (2.0 * c + 4.0 + (z[i] - m).abs());
            approx::assert_relative_eq!(a, b, epsilon = 0.0, max_relative = tol);
        }
    }

    /// `softmax_from_exponentials(e^z) = softmax(z)` for moderate logits.
    #[test]
    fn from_exponentials_equals_softmax(z in logits(300.0)) {
        let a: Vec<f64> = z.iter().map(|x| x.exp()).collect();
        let got = softmax_from_exponentials(&a).unwrap();
        let want = softmax(&z).unwrap();
        let (c, m) = (count(z.len()), max_of(&z));
        // Same budget as naive_equals_stable: these are the same two routes.
        let tol = f64::EPSILON * (2.0 * c + 4.0 + (0..z.len()).map(|i| (z[i] - m).abs()).fold(0.0, f64::max));
        assert_all_relative(&got, &want, tol);
    }

    /// With exact rational exponentials, `Σ y = 1` exactly and
    /// `y_i / y_j = a_i / a_j` exactly.
    #[test]
    fn from_exponentials_exact(a in rational_exponentials(1..=MAX_RATIONAL_CLASSES)) {
        let y = softmax_from_exponentials(&a).unwrap();
        prop_assert_eq!(qsum(&y), Ratio::from_integer(1));
        for i in 0..a.len() {
            for j in 0..a.len() {
                prop_assert_eq!(y[i] * a[j], y[j] * a[i]);
            }
        }
    }

    /// Softmax preserves order: `z_i < z_j ⇒ y_i ≤ y_j` (exp is increasing).
    #[test]
    fn preserves_order(z in wide_logits()) {
        let y = softmax(&z).unwrap();
        for i in 0..z.len() {
            for j in 0..z.len() {
                if z[i] < z[j] {
                    prop_assert!(y[i] <= y[j], "z = {z:?}, y = {y:?}");
                }
            }
        }
    }
}

/// Shift invariance, exactly: for integer logits and an integer shift, every
/// `z_i + c` and `(z_i + c) − (m + c) = z_i − m` is exact in `f64`, so the
/// stable softmax of the shifted logits must be bit-for-bit the same.
///
/// The logits are `i8` so that their differences stay small enough for a
/// non-trivial softmax (full-range `i32` logits give one-hot outputs), and so
/// that quickcheck's shrinking, which moves one value at a time, ends quickly.
#[test]
fn shift_invariance_exact_f64() {
    fn prop(z: Vec<i8>, shift: i32) -> TestResult {
        if z.is_empty() {
            return TestResult::discard();
        }
        let z: Vec<f64> = z.into_iter().map(f64::from).collect();
        let shifted: Vec<f64> = z.iter().map(|&x| x + f64::from(shift)).collect();
        verdict(softmax(&shifted).unwrap() == softmax(&z).unwrap())
    }
    quickcheck_runner().quickcheck(prop as fn(Vec<i8>, i32) -> TestResult);
}

/// The same in `f32` with `i8` logits and an `i16` shift (sums below `2^{16}`,
/// exact in `f32`).
#[test]
fn shift_invariance_exact_f32() {
    fn prop(z: Vec<i8>, shift: i16) -> TestResult {
        if z.is_empty() {
            return TestResult::discard();
        }
        let z: Vec<f32> = z.into_iter().map(f32::from).collect();
        let shifted: Vec<f32> = z.iter().map(|&x| x + f32::from(shift)).collect();
        verdict(softmax(&shifted).unwrap() == softmax(&z).unwrap())
    }
    quickcheck_runner().quickcheck(prop as fn(Vec<i8>, i16) -> TestResult);
}

/// `log_sum_exp(z + c·1) = log_sum_exp(z) + c` for integer logits and shift:
/// `z_i + c` and `(z_i + c) − (m + c) = z_i − m` are exact, so both sides
/// compute the same `L = ln Σ e^{z_d − m}` and differ only in how they round
/// the final additions: `(m + c) + L` against `(m + L) + c`.
#[test]
fn log_sum_exp_shifts_by_c() {
    fn prop(z: Vec<i8>, shift: i32) -> TestResult {
        if z.is_empty() {
            return TestResult::discard();
        }
        let z: Vec<f64> = z.into_iter().map(f64::from).collect();
        let c = f64::from(shift);
        let shifted: Vec<f64> = z.iter().map(|&x| x + c).collect();
        let a = log_sum_exp(&shifted).unwrap();
        let b = log_sum_exp(&z).unwrap() + c;
        // Three roundings: u|m + L| + 2u|m + c + L| ≤ ε(1.5|m| + |c| + 1.5L),
        // with L ≤ ln(len) ≤ ln 8 < 3.
        let tol = f64::EPSILON * (2.0 * max_of(&z).abs() + c.abs() + 8.0);
        verdict((a - b).abs() <= tol)
    }
    quickcheck_runner().quickcheck(prop as fn(Vec<i8>, i32) -> TestResult);
}

/// Equal logits give the uniform distribution `1/C` (exactly: every shifted
/// exponent is `e^0 = 1`, the sum is the integer `C`).
#[test]
fn equal_logits_give_uniform() {
    fn prop(x: i32, c: u8) -> TestResult {
        let c = usize::from(c % 8) + 1;
        let z = vec![f64::from(x); c];
        let y = softmax(&z).unwrap();
        verdict(y.iter().all(|&p| p == 1.0 / c as f64))
    }
    quickcheck_runner().quickcheck(prop as fn(i32, u8) -> TestResult);
}

/// A value from an independent formula: `ς([1, 2, 3]) = [1, e, e²] / (1 + e + e²)`.
#[test]
fn known_value_one_two_three() {
    use std::f64::consts::E;
    let y = softmax(&[1.0_f64, 2.0, 3.0]).unwrap();
    let s = 1.0 + E + E * E;
    // Both sides: a few roundings of numbers ≤ 1, so a few ε.
    assert_all_relative(&y, &[1.0 / s, E / s, E * E / s], 8.0 * f64::EPSILON);
    // The commonly quoted rounded values of this example.
    assert_all_abs(&y, &[0.090_030_57, 0.244_728_47, 0.665_240_96], 5e-9);
}
