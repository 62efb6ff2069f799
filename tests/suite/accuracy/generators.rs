//! Adversarial inputs for the accuracy properties, one strategy per category
//! of the audit, generic over the measured type (`f32` or `f64`).
//!
//! Scales are sampled **log-uniformly** (a uniform exponent, then `10^e`):
//! a proptest float range samples uniformly by value, so `-1e30..1e30` would
//! be almost all about `1e29`. Large class counts are *tiled*: the logits
//! repeat a few distinct values in a scrambled order, so that the oracle
//! computes one `exp` per distinct value while the library still sums
//! `C` terms in the given order.
#![allow(dead_code)]

use crate::oracle::Measured;
use proptest::prelude::*;

/// The categories of adversarial logits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Category {
    /// Random logits at one scale, log-uniform in `[1e-3, 1e30]`.
    Scaled,
    /// A small spread around a huge offset.
    Offset,
    /// One dominant logit, the others `d` below with `d` up to past the
    /// underflow threshold, so that losses go down to subnormal values.
    Dominant,
    /// Every logit equal.
    Equal,
    /// Subnormal (or zero) logits of either sign.
    Subnormal,
    /// `±MAX` and other values at the ends of the range.
    Extreme,
    /// Many logits just below `m − ln(2/ε)`, the maximum first or last.
    Tail,
    /// `C` up to `10⁵`, tiled.
    Large,
    /// Some logits `−inf`.
    NegativeInfinity,
    /// Many terms `e^{z − m}` below the normal range that add up to a normal,
    /// or nearly normal, `R` (issue 16, P1).
    SubnormalTerms,
    /// Many terms `e^{z − m}` that each round to 0 (or to one subnormal
    /// spacing) but add up to several spacings (issue 16, P2).
    VanishingTerms,
}

impl Category {
    /// Every category, in the order of the chapter's table.
    pub const ALL: [Category; 11] = [
        Category::Scaled,
        Category::Offset,
        Category::Dominant,
        Category::Equal,
        Category::Subnormal,
        Category::Extreme,
        Category::Tail,
        Category::Large,
        Category::NegativeInfinity,
        Category::SubnormalTerms,
        Category::VanishingTerms,
    ];

    /// The name of the category, as in the chapter.
    pub fn name(self) -> &'static str {
        match self {
            Category::Scaled => "scaled",
            Category::Offset => "offset",
            Category::Dominant => "dominant",
            Category::Equal => "equal",
            Category::Subnormal => "subnormal",
            Category::Extreme => "extreme",
            Category::Tail => "tail",
            Category::Large => "large",
            Category::NegativeInfinity => "-inf",
            Category::SubnormalTerms => "subnormal terms",
            Category::VanishingTerms => "vanishing terms",
        }
    }

    /// The strategy of this category for the type `T`.
    pub fn logits<T: Measured>(self) -> BoxedStrategy<Vec<T>> {
        match self {
            Category::Scaled => scaled::<T>(),
            Category::Offset => offset::<T>(),
            Category::Dominant => dominant::<T>(),
            Category::Equal => equal::<T>(),
            Category::Subnormal => subnormal::<T>(),
            Category::Extreme => extreme::<T>(),
            Category::Tail => tail::<T>(),
            Category::Large => large::<T>(),
            Category::NegativeInfinity => negative_infinity::<T>(),
            Category::SubnormalTerms => subnormal_terms::<T>(),
            Category::VanishingTerms => vanishing_terms::<T>(),
        }
    }
}

/// `10^e` with `e` uniform in `[log₁₀ lo, log₁₀ hi]`.
pub fn log_uniform(lo: f64, hi: f64) -> impl Strategy<Value = f64> + Clone {
    (lo.log10()..=hi.log10()).prop_map(|e| 10_f64.powf(e))
}

/// `±` a log-uniform magnitude.
pub fn signed_log_uniform(lo: f64, hi: f64) -> impl Strategy<Value = f64> + Clone {
    (log_uniform(lo, hi), any::<bool>()).prop_map(|(x, neg)| if neg { -x } else { x })
}

/// An integer log-uniform in `[lo, hi]`.
pub fn log_uniform_count(lo: usize, hi: usize) -> impl Strategy<Value = usize> + Clone {
    log_uniform(lo as f64, hi as f64 + 0.999).prop_map(move |x| (x as usize).clamp(lo, hi))
}

/// The largest scale of random logits: `1e30` (inside the `f32` range).
pub const MAX_SCALE: f64 = 1e30;

/// `ln(2/ε)`: a term `e^{−d}` with `d` beyond it is below half an ulp of 1.
pub fn absorption_threshold<T: Measured>() -> f64 {
    (2.0 / T::FORMAT.epsilon).ln()
}

fn narrow<T: Measured>(z: Vec<f64>) -> Vec<T> {
    z.into_iter().map(T::narrow).collect()
}

/// Random logits at one scale `s`, log-uniform in `[1e-3, 1e30]`: `s·u` with
/// `u` uniform in `[−1, 1]`, `C` in `1..=12`.
pub fn scaled<T: Measured>() -> BoxedStrategy<Vec<T>> {
    (log_uniform(1e-3, MAX_SCALE), 1..=12_usize)
        .prop_flat_map(|(s, c)| {
            prop::collection::vec(-1.0..=1.0_f64, c)
                .prop_map(move |u| u.iter().map(|x| x * s).collect())
        })
        .prop_map(narrow::<T>)
        .boxed()
}

/// A spread of `±30` around an offset of magnitude log-uniform in
/// `[1, 1e30]` (`1e300` for `f64`).
pub fn offset<T: Measured>() -> BoxedStrategy<Vec<T>> {
    let top = if T::FORMAT.precision == 24 {
        MAX_SCALE
    } else {
        1e300
    };
    (
        signed_log_uniform(1.0, top),
        prop::collection::vec(-30.0..=30.0_f64, 2..=12),
    )
        .prop_map(|(b, w)| w.iter().map(|x| b + x).collect())
        .prop_map(narrow::<T>)
        .boxed()
}

/// One logit `m` (at a random index) and the others `m − d` with `d`
/// log-uniform from 1 to past the underflow of `e^{−d}` (800 for `f64`, 110
/// for `f32`), so that the losses reach subnormal values.
pub fn dominant<T: Measured>() -> BoxedStrategy<Vec<T>> {
    let d_max = if T::FORMAT.precision == 24 {
        110.0
    } else {
        800.0
    };
    (
        prop_oneof![Just(0.0), signed_log_uniform(1e-3, 1e4)],
        prop::collection::vec(log_uniform(1.0, d_max), 1..=8),
        any::<prop::sample::Index>(),
    )
        .prop_map(|(m, d, at)| {
            let m = T::narrow(m).widen();
            let mut z: Vec<f64> = d.iter().map(|d| m - d).collect();
            z.insert(at.index(z.len() + 1), m);
            z
        })
        .prop_map(narrow::<T>)
        .boxed()
}

/// `C` equal logits, `C` in `1..=64`, of any scale.
pub fn equal<T: Measured>() -> BoxedStrategy<Vec<T>> {
    (signed_log_uniform(1e-3, MAX_SCALE), 1..=64_usize)
        .prop_map(|(x, c)| vec![x; c])
        .prop_map(narrow::<T>)
        .boxed()
}

/// Subnormal or zero logits of either sign (of `T`'s subnormal range).
pub fn subnormal<T: Measured>() -> BoxedStrategy<Vec<T>> {
    let tiny: BoxedStrategy<f64> = if T::FORMAT.precision == 24 {
        (prop::num::f32::SUBNORMAL | prop::num::f32::ZERO)
            .prop_map(f64::from)
            .boxed()
    } else {
        (prop::num::f64::SUBNORMAL | prop::num::f64::ZERO).boxed()
    };
    prop::collection::vec(tiny, 1..=8)
        .prop_map(narrow::<T>)
        .boxed()
}

/// Entries at the ends of the range: `±MAX`, `±MAX/2`, `±MAX·(1 − ε)`, mixed
/// with ordinary values.
pub fn extreme<T: Measured>() -> BoxedStrategy<Vec<T>> {
    let max = T::FORMAT.max;
    let below = T::narrow(max).widen() * (1.0 - T::FORMAT.epsilon);
    prop::collection::vec(
        prop_oneof![
            Just(max),
            Just(-max),
            Just(max / 2.0),
            Just(-max / 2.0),
            Just(below),
            Just(-below),
            -10.0..10.0_f64,
            signed_log_uniform(1e-3, MAX_SCALE),
        ],
        1..=6,
    )
    .prop_map(narrow::<T>)
    .boxed()
}

/// Scramble `k` tile values over `c` positions: entry `i` is `tile[(a·i + b) mod k]`.
fn tiled(tile: &[f64], c: usize, a: usize, b: usize) -> Vec<f64> {
    (0..c)
        .map(|i| tile[(a.wrapping_mul(i).wrapping_add(b)) % tile.len()])
        .collect()
}

/// Tail absorption: `C` log-uniform in `[10, 10⁵]`, the maximum `m` first or
/// last, every other logit `m − ln(2/ε) − δ` with a few `δ` in `[−3, 3]`
/// (tiled): each term `e^{z − m}` is about `ε/2`, so a running sum that
/// starts with the maximum's 1 rounds every one of them away.
pub fn tail<T: Measured>() -> BoxedStrategy<Vec<T>> {
    let tau = absorption_threshold::<T>();
    (
        -100.0..100.0_f64,
        log_uniform_count(10, 100_000),
        prop::collection::vec(-3.0..=3.0_f64, 1..=6),
        any::<bool>(),
        (1..1000_usize, 0..1000_usize),
    )
        .prop_map(move |(m, c, deltas, max_first, (a, b))| {
            let m = T::narrow(m).widen();
            let tile: Vec<f64> = deltas
                .iter()
                .map(|d| T::narrow(m - tau - d).widen())
                .collect();
            let mut z = tiled(&tile, c - 1, a, b);
            if max_first {
                z.insert(0, m);
            } else {
                z.push(m);
            }
            z
        })
        .prop_map(narrow::<T>)
        .boxed()
}

/// `n` terms below the maximum `m`, tiled from a few shifts `x` in
/// `[lo, hi]` (natural logarithms, relative to `m`), the maximum at a random
/// place; `m = 0`, so that `log_sum_exp` and the loss of the top class are
/// `R` itself (to first order), the smallest results these terms reach.
fn terms_below<T: Measured>(lo: f64, hi: f64, counts: (usize, usize)) -> BoxedStrategy<Vec<T>> {
    (
        log_uniform_count(counts.0, counts.1),
        prop::collection::vec(lo..=hi, 1..=3),
        0..1000_usize,
        (1..1000_usize, 0..1000_usize),
    )
        .prop_map(|(n, shifts, at, (a, b))| {
            let tile: Vec<f64> = shifts.iter().map(|&x| T::narrow(x).widen()).collect();
            let mut z = tiled(&tile, n, a, b);
            z.insert(at % (n + 1), 0.0);
            z
        })
        .prop_map(narrow::<T>)
        .boxed()
}

/// Many subnormal terms with a normal `R`: `e^{z − m}` between `2^{−16}` and
/// 4 times the smallest normal float, 2 to 4096 of them.
pub fn subnormal_terms<T: Measured>() -> BoxedStrategy<Vec<T>> {
    let ln_min = f64::from(T::FORMAT.min_exponent) * std::f64::consts::LN_2;
    terms_below::<T>(
        ln_min - 16.0 * std::f64::consts::LN_2,
        ln_min + 1.4,
        (2, 4096),
    )
}

/// Terms that each round to 0 or to one spacing: `e^{z − m}` between
/// `2^{−3}` and 1 times the smallest subnormal, 4 to 20,000 of them.
pub fn vanishing_terms<T: Measured>() -> BoxedStrategy<Vec<T>> {
    let smallest = f64::from(T::FORMAT.min_exponent - T::FORMAT.precision + 1);
    let ln_smallest = smallest * std::f64::consts::LN_2;
    terms_below::<T>(
        ln_smallest - 3.0 * std::f64::consts::LN_2,
        ln_smallest,
        (4, 20_000),
    )
}

/// Large class counts: `C` log-uniform in `[100, 10⁵]`, tiled from up to 16
/// values in `[−40, 40]`.
pub fn large<T: Measured>() -> BoxedStrategy<Vec<T>> {
    (
        log_uniform_count(100, 100_000),
        prop::collection::vec(-40.0..=40.0_f64, 1..=16),
        (1..1000_usize, 0..1000_usize),
    )
        .prop_map(|(c, tile, (a, b))| tiled(&tile, c, a, b))
        .prop_map(narrow::<T>)
        .boxed()
}

/// Scaled logits with some entries replaced by `−inf` (never all of them).
pub fn negative_infinity<T: Measured>() -> BoxedStrategy<Vec<T>> {
    (
        scaled::<T>(),
        prop::collection::vec(any::<bool>(), 12),
        any::<prop::sample::Index>(),
    )
        .prop_map(|(mut z, holes, keep)| {
            let keep = keep.index(z.len());
            for (i, x) in z.iter_mut().enumerate() {
                if holes[i] && i != keep {
                    *x = T::neg_infinity();
                }
            }
            z
        })
        .boxed()
}

/// A soft target over `c` classes: random weights (about a third exactly 0)
/// plus 1 on a random class, normalized in `f64` and rounded to `T`.
pub fn soft_target<T: Measured>(c: usize) -> BoxedStrategy<Vec<T>> {
    (
        prop::collection::vec(prop_oneof![1 => Just(0.0), 2 => 0.0..=1.0_f64], c),
        0..c,
    )
        .prop_map(|(mut w, k)| {
            w[k] += 1.0;
            let s: f64 = w.iter().sum();
            w.into_iter().map(|x| T::narrow(x / s)).collect()
        })
        .boxed()
}

/// Label smoothing: `(1 − α)·e_k + α/C`, rounded to `T` entry by entry.
pub fn smoothed<T: Measured>(c: usize, k: usize, alpha: f64) -> Vec<T> {
    let floor = alpha / c as f64;
    (0..c)
        .map(|i| T::narrow(if i == k { 1.0 - alpha + floor } else { floor }))
        .collect()
}

/// The class counts of large vocabularies checked by name (GPT-2's 50,257,
/// Llama 3's 128,256, 32,000 of Llama 2), and the smoothing strengths.
pub const VOCABULARIES: [usize; 3] = [32_000, 50_257, 128_256];

/// A target for large `C`: uniform `1/C`, or label smoothing with `α = 0.1`
/// or a random `α` in `[0, 0.5]`, on a random class.
pub fn large_target<T: Measured>(c: usize) -> BoxedStrategy<Vec<T>> {
    (0..c, prop_oneof![Just(1.0), Just(0.1), 0.0..0.5_f64])
        .prop_map(move |(k, alpha)| smoothed::<T>(c, k, alpha))
        .boxed()
}

/// A target of either kind for `c` classes.
pub fn target<T: Measured>(c: usize) -> BoxedStrategy<Vec<T>> {
    if c <= 64 {
        soft_target::<T>(c)
    } else {
        large_target::<T>(c)
    }
}

/// Logits of a category with a class index and a target distribution.
///
/// In the categories of many small terms, the class is the largest logit's
/// in half of the cases: its loss and gradient are `R`, the smallest results.
pub fn case<T: Measured>(category: Category) -> BoxedStrategy<(Vec<T>, usize, Vec<T>)> {
    let top = matches!(
        category,
        Category::SubnormalTerms | Category::VanishingTerms
    );
    category
        .logits::<T>()
        .prop_flat_map(move |z| {
            let c = z.len();
            let argmax = (0..c).fold(0, |k, i| if z[i] > z[k] { i } else { k });
            let k = if top {
                prop_oneof![Just(argmax), 0..c].boxed()
            } else {
                (0..c).boxed()
            };
            (Just(z), k, target::<T>(c))
        })
        .boxed()
}
