//! Shared strategies and helpers of the test suite.
//!
//! Strategies keep vectors short (at most [`MAX_CLASSES`] classes, batches of
//! at most [`MAX_SAMPLES`] rows) so that every property stays cheap; case
//! counts come from `PROPTEST_CASES` / `QUICKCHECK_TESTS` through the
//! frameworks' defaults.
#![allow(dead_code)]

use autodiff::F1;
use num_rational::Ratio;
use proptest::prelude::*;
use quickcheck::{Gen, QuickCheck, TestResult};
use softmax_cross_entropy::Result;
use softmax_cross_entropy::verify::{forward_mode_gradient, forward_mode_jacobian};
use std::cell::Cell;

/// Exact rationals, the scalar of the exact checks.
pub type Q = Ratio<i128>;

/// The largest class count `C` the float strategies generate.
pub const MAX_CLASSES: usize = 8;

/// The largest class count of the exact rational strategies: with entries of
/// numerator and denominator at most [`RATIONAL_BOUND`], the denominators of
/// the derivation steps stay far below `i128::MAX` (about `1e38`).
pub const MAX_RATIONAL_CLASSES: usize = 5;

/// Bound on numerators and denominators of generated rationals.
pub const RATIONAL_BOUND: i128 = 10;

/// The largest batch size `N` of the batch strategies.
pub const MAX_SAMPLES: usize = 4;

/// `ε^{2/3}` for `f64`: the error scale of a central difference with the step
/// of `verify::central_difference_step` (truncation `h²` and rounding `ε/h`
/// balance at `h = ε^{1/3}`).
pub fn fd_scale() -> f64 {
    f64::EPSILON.powf(2.0 / 3.0)
}

/// A quickcheck runner whose vectors have fewer than `MAX_CLASSES + 1`
/// entries (generator size `MAX_CLASSES + 1`), so that properties stay cheap
/// and a failure shrinks in milliseconds, not minutes; the number of tests
/// still comes from `QUICKCHECK_TESTS`.
pub fn quickcheck_runner() -> QuickCheck {
    SHRINK_STEPS.with(|steps| steps.set(0));
    QuickCheck::new().rng(Gen::new(MAX_CLASSES + 1))
}

thread_local! {
    /// Evaluations since the property first failed on this thread (0: none yet).
    static SHRINK_STEPS: Cell<u32> = const { Cell::new(0) };
}

/// How many evaluations quickcheck may spend shrinking a failure.
const SHRINK_BUDGET: u32 = 20_000;

/// Pass a quickcheck result through a shrinking budget. Quickcheck shrinks a
/// failure by re-running the property on smaller inputs, one value at a time;
/// when the failure needs two values to stay close, each step can only move a
/// value by 1, and shrinking can take billions of steps (a mutant that breaks
/// the library must fail fast, not hang). After [`SHRINK_BUDGET`] evaluations
/// following the first failure every case passes, so shrinking stops and
/// quickcheck reports the smallest failure found so far.
pub fn within_shrink_budget(result: TestResult) -> TestResult {
    SHRINK_STEPS.with(|steps| {
        let n = steps.get();
        if n > SHRINK_BUDGET {
            return TestResult::passed();
        }
        if n > 0 || result.is_failure() {
            steps.set(n + 1);
        }
        result
    })
}

/// `TestResult::from_bool`, within the shrinking budget.
pub fn verdict(ok: bool) -> TestResult {
    within_shrink_budget(TestResult::from_bool(ok))
}

/// Logits: between 1 and [`MAX_CLASSES`] entries, uniform in `[-r, r]`.
pub fn logits(r: f64) -> impl Strategy<Value = Vec<f64>> {
    prop::collection::vec(-r..=r, 1..=MAX_CLASSES)
}

/// Logits with a class count in `classes` (for formulas that need `C ≥ 2`).
pub fn logits_with(
    r: f64,
    classes: std::ops::RangeInclusive<usize>,
) -> impl Strategy<Value = Vec<f64>> {
    prop::collection::vec(-r..=r, classes)
}

/// `f32` logits: between 1 and [`MAX_CLASSES`] entries, uniform in `[-r, r]`.
pub fn logits_f32(r: f32) -> impl Strategy<Value = Vec<f32>> {
    prop::collection::vec(-r..=r, 1..=MAX_CLASSES)
}

/// One logit of a mixture of scales, from `±10` to `±1e300`, so that a single
/// vector mixes ordinary, overflowing (`> 709.78` for `exp`) and astronomically
/// large values.
pub fn wide_logit() -> impl Strategy<Value = f64> {
    prop_oneof![-10.0..10.0, -1000.0..1000.0, -1e300..1e300]
}

/// Logits over a wide range; see [`wide_logit`].
pub fn wide_logits() -> impl Strategy<Value = Vec<f64>> {
    prop::collection::vec(wide_logit(), 1..=MAX_CLASSES)
}

/// `f32` logits mixing ordinary and very large values (up to `±1e38`).
pub fn wide_logits_f32() -> impl Strategy<Value = Vec<f32>> {
    prop::collection::vec(
        prop_oneof![-10.0_f32..10.0, -1e4_f32..1e4, -1e38_f32..1e38],
        1..=MAX_CLASSES,
    )
}

/// Any finite `f64`: normal, subnormal or zero, of either sign.
pub fn any_finite() -> impl Strategy<Value = f64> {
    prop::num::f64::NORMAL | prop::num::f64::SUBNORMAL | prop::num::f64::ZERO
}

/// Any finite `f32`: normal, subnormal or zero, of either sign.
pub fn any_finite_f32() -> impl Strategy<Value = f32> {
    prop::num::f32::NORMAL | prop::num::f32::SUBNORMAL | prop::num::f32::ZERO
}

/// Divide non-negative weights by their sum. The sum is at least one weight
/// `≥ 1`, so the quotients are accurate to a few `ε` and the result sums to 1
/// within `C·ε`, far inside `target_sum_tolerance`.
fn normalize(w: Vec<f64>) -> Vec<f64> {
    let s: f64 = w.iter().sum();
    w.into_iter().map(|x| x / s).collect()
}

/// A target distribution over `c` classes: soft (weights in `[0, 1]`, about a
/// third of them exactly 0) plus a weight of 1 on a random class, normalized.
pub fn distribution(c: usize) -> impl Strategy<Value = Vec<f64>> {
    (
        prop::collection::vec(prop_oneof![1 => Just(0.0), 2 => 0.0..=1.0], c),
        0..c,
    )
        .prop_map(|(mut w, k)| {
            w[k] += 1.0;
            normalize(w)
        })
}

/// A one-hot target: `t_c = [c = k]`.
pub fn one_hot(c: usize, k: usize) -> Vec<f64> {
    (0..c).map(|i| if i == k { 1.0 } else { 0.0 }).collect()
}

/// A target distribution over `c` classes, one-hot or soft (half each).
pub fn target(c: usize) -> impl Strategy<Value = Vec<f64>> {
    prop_oneof![(0..c).prop_map(move |k| one_hot(c, k)), distribution(c)]
}

/// Logits in `[-r, r]` and a target distribution of the same length.
pub fn logits_and_target(r: f64) -> impl Strategy<Value = (Vec<f64>, Vec<f64>)> {
    (1..=MAX_CLASSES).prop_flat_map(move |c| (prop::collection::vec(-r..=r, c), target(c)))
}

/// Logits in `[-r, r]` and a class index `k < C`.
pub fn logits_and_class(r: f64) -> impl Strategy<Value = (Vec<f64>, usize)> {
    (1..=MAX_CLASSES).prop_flat_map(move |c| (prop::collection::vec(-r..=r, c), 0..c))
}

/// A batch: `(N, C, logits, targets, labels)`, with `N·C` logits in `[-r, r]`,
/// `N` target rows (one-hot or soft) and `N` class labels.
#[allow(clippy::type_complexity)]
pub fn batch(r: f64) -> impl Strategy<Value = (usize, usize, Vec<f64>, Vec<f64>, Vec<usize>)> {
    (1..=MAX_SAMPLES, 1..=MAX_CLASSES).prop_flat_map(move |(n, c)| {
        (
            Just(n),
            Just(c),
            prop::collection::vec(-r..=r, n * c),
            prop::collection::vec(target(c), n).prop_map(|rows| rows.concat()),
            prop::collection::vec(0..c, n),
        )
    })
}

/// A positive rational `p/q` with `1 ≤ p, q ≤ RATIONAL_BOUND`: an exponential
/// `a_d = e^{z_d}` of the exact checks.
pub fn positive_rational() -> impl Strategy<Value = Q> {
    (1..=RATIONAL_BOUND, 1..=RATIONAL_BOUND).prop_map(|(p, q)| Q::new(p, q))
}

/// A rational `p/q` of either sign (or zero), `|p|, q ≤ RATIONAL_BOUND`.
pub fn rational() -> impl Strategy<Value = Q> {
    (-RATIONAL_BOUND..=RATIONAL_BOUND, 1..=RATIONAL_BOUND).prop_map(|(p, q)| Q::new(p, q))
}

/// Positive rational exponentials `a_1, …, a_C` with `C` in `classes`.
pub fn rational_exponentials(
    classes: std::ops::RangeInclusive<usize>,
) -> impl Strategy<Value = Vec<Q>> {
    prop::collection::vec(positive_rational(), classes)
}

/// A non-negative rational `p/q` with `0 ≤ p ≤ RATIONAL_BOUND`.
pub fn nonnegative_rational() -> impl Strategy<Value = Q> {
    (0..=RATIONAL_BOUND, 1..=RATIONAL_BOUND).prop_map(|(p, q)| Q::new(p, q))
}

/// The exact sum of rationals.
pub fn qsum(xs: &[Q]) -> Q {
    xs.iter().fold(Q::from_integer(0), |s, &x| s + x)
}

/// Non-negative rational weights normalized to sum to exactly 1; one weight
/// is forced positive so the sum is never 0.
pub fn rational_distribution(c: usize) -> impl Strategy<Value = Vec<Q>> {
    (prop::collection::vec(nonnegative_rational(), c), 0..c).prop_map(|(mut w, k)| {
        w[k] += Q::from_integer(1);
        let s = qsum(&w);
        w.into_iter().map(|x| x / s).collect()
    })
}

/// Convert a rational to the nearest `f64` (for messages and float comparisons).
pub fn q_to_f64(q: Q) -> f64 {
    *q.numer() as f64 / *q.denom() as f64
}

/// The largest `|z_c|`, and at least 1.
pub fn scale(z: &[f64]) -> f64 {
    z.iter().fold(1.0_f64, |m, x| m.max(x.abs()))
}

/// The largest entry.
pub fn max_of(z: &[f64]) -> f64 {
    z.iter().fold(f64::NEG_INFINITY, |m, &x| m.max(x))
}

/// The class count as an `f64`, for tolerances that grow with `C`.
pub fn count(c: usize) -> f64 {
    c as f64
}

/// Dual-number constants (zero tangent) for the targets of an AD evaluation.
pub fn constants(t: &[f64]) -> Vec<F1> {
    t.iter().map(|&x| F1::cst(x)).collect()
}

/// The Jacobian of `f` at `z` by forward-mode AD on `autodiff::F1`.
pub fn ad_jacobian(f: impl Fn(&[F1]) -> Result<Vec<F1>>, z: &[f64]) -> Vec<f64> {
    forward_mode_jacobian(f, z, F1::new, |d: F1| d.deriv()).expect("AD of a valid input")
}

/// The gradient of `f` at `z` by forward-mode AD on `autodiff::F1`.
pub fn ad_gradient(f: impl Fn(&[F1]) -> Result<F1>, z: &[f64]) -> Vec<f64> {
    forward_mode_gradient(f, z, F1::new, |d: F1| d.deriv()).expect("AD of a valid input")
}

/// Assert `|got_i − want_i| ≤ epsilon` for every `i`, naming the index.
pub fn assert_all_abs(got: &[f64], want: &[f64], epsilon: f64) {
    assert_eq!(got.len(), want.len(), "lengths differ");
    for (i, (&g, &w)) in got.iter().zip(want).enumerate() {
        assert!(
            approx::abs_diff_eq!(g, w, epsilon = epsilon),
            "entry {i}: got {g:e}, want {w:e}, |diff| = {:e} > {epsilon:e}\n got: {got:?}\nwant: {want:?}",
            (g - w).abs()
        );
    }
}

/// Assert `got_i` and `want_i` agree to `max_relative` for every `i`, naming the index.
pub fn assert_all_relative(got: &[f64], want: &[f64], max_relative: f64) {
    assert_eq!(got.len(), want.len(), "lengths differ");
    for (i, (&g, &w)) in got.iter().zip(want).enumerate() {
        assert!(
            approx::relative_eq!(g, w, epsilon = 0.0, max_relative = max_relative),
            "entry {i}: got {g:e}, want {w:e}, relative diff {:e} > {max_relative:e}\n got: {got:?}\nwant: {want:?}",
            (g - w).abs() / g.abs().max(w.abs())
        );
    }
}

/// Assert that no entry is NaN.
pub fn assert_no_nan(what: &str, xs: &[f64]) {
    assert!(!xs.iter().any(|x| x.is_nan()), "{what} has a NaN: {xs:?}");
}
