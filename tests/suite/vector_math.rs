//! The kernels' exponential and `ln(1 + x)` against references of higher
//! precision: `f32` against the `f64` exponential, `f64` against the
//! double-double reference. The default tests sample; the `#[ignore]`d ones
//! (`cargo xtask kernel-accuracy`) run every `f32` and ten million `f64` inputs.

use crate::double_double::{self as dd, Dd};
use softmax_cross_entropy::fused::{instruction_sets, with_instruction_set};
use softmax_cross_entropy::vector_math::{Fused, Separate, VectorExp, exp, exp_into, ln_1p};

/// `exp_into(x)` on every instruction set this processor has, each forced
/// in turn (the portable path included).
fn exp_into_on_every_set<T: VectorExp>(x: &[T]) -> Vec<Vec<T>> {
    instruction_sets()
        .into_iter()
        .map(|set| {
            let mut out = vec![T::ZERO; x.len()];
            with_instruction_set(set, || exp_into(x, &mut out).unwrap()).unwrap();
            out
        })
        .collect()
}

/// The bounds stated in `vector_math::exp`'s documentation and the book, in
/// ulps: `f32` measured 1.0103 over all 2^32 inputs (at x = −5.8778844),
/// `f64` 1.012 over ten million (at x = 674.09; Estrin's scheme, which
/// replaced Horner's rule for speed, gave up the 1.000 of Horner's).
const EXP_F32_BOUND: f64 = 1.011;
const EXP_BOUND: f64 = 1.02;
/// The bound stated for `vector_math::ln_1p`, in ulps.
const LN_1P_BOUND: f64 = 1.0;

/// The worst error of the `f32` exponential (the portable [`exp`] and
/// [`exp_into`] on every instruction set) over the bit patterns `bits`, and the
/// catastrophic cases: 0 for a true value of at least half the smallest
/// subnormal, `inf` for a true value below `f32::MAX`.
fn f32_exp_errors(bits: impl Iterator<Item = u32>) -> (f64, f32, Vec<String>) {
    let mut worst = (0.0, 0.0_f32);
    let mut bad = Vec::new();
    let mut x = Vec::with_capacity(1 << 16);
    let flush = |x: &mut Vec<f32>, worst: &mut (f64, f32), bad: &mut Vec<String>| {
        let outs = exp_into_on_every_set(x);
        for (i, &x) in x.iter().enumerate() {
            let got_all = outs.iter().map(|o| o[i]).chain([exp(x)]);
            if x.is_nan() {
                assert!(got_all.into_iter().all(f32::is_nan));
                continue;
            }
            let truth = f64::from(x).exp();
            for got in got_all {
                // Beyond f32::MAX (or below half the smallest subnormal) the
                // correctly rounded result is inf (or 0).
                let e = if got == truth as f32 {
                    0.0
                } else {
                    dd::ulps_f32(got, truth)
                };
                if e > worst.0 {
                    *worst = (e, x);
                }
                let zero = got == 0.0 && truth >= 2f64.powi(-150);
                let inf = got.is_infinite() && truth < f64::from(f32::MAX);
                if (zero || inf) && bad.len() < 10 {
                    bad.push(format!("exp({x:e}) = {got:e}, true {truth:e}"));
                }
            }
        }
        x.clear();
    };
    for b in bits {
        x.push(f32::from_bits(b));
        if x.len() == 1 << 16 {
            flush(&mut x, &mut worst, &mut bad);
        }
    }
    flush(&mut x, &mut worst, &mut bad);
    (worst.0, worst.1, bad)
}

#[test]
fn exp_f32_sampled_within_bound() {
    // Every 16411th bit pattern (about 260,000 inputs): all signs, binades
    // and both saturations.
    let (worst, at, bad) = f32_exp_errors((0..=u32::MAX).step_by(16411));
    assert!(bad.is_empty(), "{bad:?}");
    assert!(worst <= EXP_F32_BOUND, "{worst} ulp at {at:e}");
    // The catastrophic edges by hand.
    assert_eq!(exp(-103.0_f32), (-103.0_f64).exp() as f32); // a subnormal, not 0
    assert!(exp(88.72_f32).is_finite() && exp(88.73_f32).is_infinite());
    assert_eq!(
        (exp(f32::NEG_INFINITY), exp(f32::INFINITY)),
        (0.0, f32::INFINITY)
    );
}

/// Every `f32`: `cargo xtask kernel-accuracy` (about a minute in release mode).
#[test]
#[ignore = "exhaustive: every f32 input; run with `cargo xtask kernel-accuracy`"]
fn exp_f32_exhaustive() {
    // Two threads, one per half of the bit patterns.
    let halves = std::thread::scope(|s| {
        let low = s.spawn(|| f32_exp_errors(0..=u32::MAX / 2));
        let high = f32_exp_errors(u32::MAX / 2 + 1..=u32::MAX);
        (low.join().unwrap(), high)
    });
    let (a, b) = halves;
    let (worst, at) = if a.0 >= b.0 { (a.0, a.1) } else { (b.0, b.1) };
    let bad: Vec<String> = a.2.into_iter().chain(b.2).collect();
    println!(
        "exp f32, all 2^32 inputs: max error {worst:.3} ulp at x = {at:e}; catastrophic: {bad:?}"
    );
    assert!(bad.is_empty(), "{bad:?}");
    assert!(worst <= EXP_F32_BOUND, "{worst} ulp at {at:e}");
}

/// A small deterministic generator (SplitMix64), so that the sampled tests
/// are reproducible without a dependency.
pub struct SplitMix(pub u64);

impl SplitMix {
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    /// Uniform in `[lo, hi)`.
    pub fn uniform(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * ((self.next() >> 11) as f64 / (1u64 << 53) as f64)
    }
}

/// Random and adversarial `f64` arguments of `exp`: uniform over the whole
/// range, log-uniform magnitudes down to 1e-300, the neighbours of the
/// half-integer multiples of ln 2 (where the reduction changes k), and the
/// underflow and overflow edges.
fn f64_exp_inputs(n: usize, seed: u64) -> Vec<f64> {
    let mut rng = SplitMix(seed);
    (0..n)
        .map(|i| match i % 5 {
            0 => rng.uniform(-746.0, 710.0),
            1 => -(10f64.powf(rng.uniform(-300.0, 2.8))),
            2 => {
                let k = (rng.uniform(-1075.0, 1024.0)).floor() + 0.5;
                let x = k * std::f64::consts::LN_2;
                f64::from_bits((x.to_bits() as i64 + (rng.next() % 9) as i64 - 4) as u64)
            }
            3 => rng.uniform(-745.2, -708.0),
            _ => rng.uniform(-20.0, 0.0),
        })
        .collect()
}

/// The worst error of the `f64` exponential (the portable [`exp`] and
/// [`exp_into`] on every instruction set) over `x`.
fn f64_exp_worst(x: &[f64]) -> (f64, f64) {
    let outs = exp_into_on_every_set(x);
    let mut worst = (0.0, 0.0);
    for (i, &x) in x.iter().enumerate() {
        let truth = dd::exp(Dd::new(x));
        for got in outs.iter().map(|o| o[i]).chain([exp(x)]) {
            let e = if got == truth.to_f64() && got.is_infinite() {
                0.0
            } else {
                dd::ulps_f64(got, truth)
            };
            assert!(
                !(got == 0.0 && truth.to_f64() != 0.0 || got.is_infinite() && truth.hi.is_finite()),
                "exp({x:e}) = {got:e}, true {truth:?}"
            );
            if e > worst.0 {
                worst = (e, x);
            }
        }
    }
    worst
}

#[test]
fn exp_f64_sampled_within_bound() {
    let (worst, at) = f64_exp_worst(&f64_exp_inputs(100_000, 1));
    assert!(worst <= EXP_BOUND, "{worst} ulp at {at:e}");
    assert_eq!(exp(f64::NEG_INFINITY), 0.0);
    assert!(exp(709.78_f64).is_finite() && exp(709.79_f64).is_infinite());
    assert!(exp(-745.1_f64) > 0.0);
}

#[test]
#[ignore = "ten million inputs; run with `cargo xtask kernel-accuracy`"]
fn exp_f64_ten_million() {
    let mut worst = (0.0, 0.0);
    for seed in 0..100 {
        let w = f64_exp_worst(&f64_exp_inputs(100_000, 1000 + seed));
        if w.0 > worst.0 {
            worst = w;
        }
    }
    println!(
        "exp f64, 10^7 random and adversarial inputs: max error {:.3} ulp at x = {:e}",
        worst.0, worst.1
    );
    assert!(worst.0 <= EXP_BOUND);
}

/// Arguments of `ln_1p` as the kernels see them (R in [0, C − 1]): tiny,
/// log-uniform up to 1e6, integers and their neighbours (ties of the max).
fn ln_1p_inputs(n: usize, seed: u64) -> Vec<f64> {
    let mut rng = SplitMix(seed);
    (0..n)
        .map(|i| match i % 4 {
            0 => 10f64.powf(rng.uniform(-310.0, 6.0)),
            1 => 10f64.powf(rng.uniform(-17.0, 1.0)),
            2 => {
                let k = (rng.uniform(0.0, 100_000.0)).floor();
                f64::from_bits(k.to_bits() + rng.next() % 5).max(0.0)
            }
            _ => rng.uniform(0.0, 3.0),
        })
        .collect()
}

fn ln_1p_worst(x: &[f64]) -> (f64, f64) {
    let mut worst = (0.0, 0.0);
    for &x in x {
        let e = dd::ulps_f64(ln_1p(x), dd::ln_1p(x));
        if e > worst.0 {
            worst = (e, x);
        }
    }
    worst
}

#[test]
fn ln_1p_sampled_within_bound() {
    let (worst, at) = ln_1p_worst(&ln_1p_inputs(100_000, 2));
    assert!(worst <= LN_1P_BOUND, "{worst} ulp at {at:e}");
    assert_eq!(ln_1p(0.0), 0.0);
    assert_eq!(ln_1p(5e-324), 5e-324);
    assert_eq!(ln_1p(f64::INFINITY), f64::INFINITY); // outside the kernels' domain: std
}

#[test]
#[ignore = "ten million inputs; run with `cargo xtask kernel-accuracy`"]
fn ln_1p_ten_million() {
    let mut worst = (0.0, 0.0);
    for seed in 0..100 {
        let w = ln_1p_worst(&ln_1p_inputs(100_000, 2000 + seed));
        if w.0 > worst.0 {
            worst = w;
        }
    }
    println!(
        "ln_1p f64, 10^7 inputs: max error {:.3} ulp at x = {:e}",
        worst.0, worst.1
    );
    assert!(worst.0 <= LN_1P_BOUND);
}

// ---------------------------------------------------------------------------
// The short exponential of rows with no subnormal result

/// `exp_normal_with_tail` against `exp_with_tail`, both multiply–adds, on the
/// `f32` bit patterns `bits` (inputs outside [−86, 0] skipped), each with no
/// tail and with a tail of a quarter of its ulp: the number of inputs
/// checked, and the first few that differ in a bit.
fn f32_normal_exp_differences(bits: impl Iterator<Item = u32>, fused: bool) -> (u64, Vec<String>) {
    let (mut n, mut bad) = (0, Vec::new());
    for b in bits {
        let x = f32::from_bits(b);
        if !(f32::NORMAL_LOW..=0.0).contains(&x) {
            continue;
        }
        let tail = x.abs() * f32::EPSILON / 8.0;
        for t in [0.0, tail, -tail] {
            let (short, full) = if fused {
                (
                    f32::exp_normal_with_tail::<Fused>(x, t),
                    f32::exp_with_tail::<Fused>(x, t),
                )
            } else {
                (
                    f32::exp_normal_with_tail::<Separate>(x, t),
                    f32::exp_with_tail::<Separate>(x, t),
                )
            };
            n += 1;
            if short.to_bits() != full.to_bits() && bad.len() < 5 {
                bad.push(format!("x = {x:e}, tail {t:e}: {short:e} vs {full:e}"));
            }
        }
    }
    (n, bad)
}

/// The kernels take the short exponential for a row whose every
/// $z_c - m \ge$ `NORMAL_LOW`: it must give the bits of the full one there.
#[test]
fn normal_exp_same_bits_sampled() {
    // f32: every 49999th bit pattern of the negative numbers (about 22,000
    // of them in [−86, 0]); every one runs in `cargo xtask kernel-accuracy`.
    for fused in [false, true] {
        let (n, bad) = f32_normal_exp_differences((0x8000_0000..=u32::MAX).step_by(49_999), fused);
        assert!(n > 60_000, "{n}");
        assert!(bad.is_empty(), "{bad:?}");
    }
    f64_normal_exp_same_bits(20_000, 7);
}

/// `exp_normal_with_tail` against `exp_with_tail` on `n` `f64` inputs,
/// uniform and log-uniform in [−700, 0], with tails up to half an ulp; every
/// 16th with fused multiply–adds too.
fn f64_normal_exp_same_bits(n: usize, seed: u64) {
    let mut rng = SplitMix(seed);
    for i in 0..n {
        let x = if i % 2 == 0 {
            rng.uniform(f64::NORMAL_LOW, 0.0)
        } else {
            -(10f64.powf(rng.uniform(-300.0, 2.845)))
        };
        let t = x.abs() * f64::EPSILON * rng.uniform(-0.5, 0.5);
        let short = f64::exp_normal_with_tail::<Separate>(x, t);
        assert_eq!(
            short.to_bits(),
            f64::exp_with_tail::<Separate>(x, t).to_bits(),
            "{x:e} {t:e}"
        );
        if i % 16 == 0 {
            let short = f64::exp_normal_with_tail::<Fused>(x, t);
            assert_eq!(
                short.to_bits(),
                f64::exp_with_tail::<Fused>(x, t).to_bits(),
                "{x:e} {t:e}"
            );
        }
    }
}

/// Ten million `f64` inputs: `cargo xtask kernel-accuracy`.
#[test]
#[ignore = "ten million inputs; run with `cargo xtask kernel-accuracy`"]
fn normal_exp_same_bits_f64_ten_million() {
    f64_normal_exp_same_bits(10_000_000, 70);
    println!("short exp f64, 10^7 inputs in [-700, 0]: the same bits as the full exp");
}

/// Every `f32` in [−86, 0] (about 1.1 · 10^9 inputs, three tails each),
/// both multiply–adds: `cargo xtask kernel-accuracy`.
#[test]
#[ignore = "exhaustive: every f32 in [-86, 0]; run with `cargo xtask kernel-accuracy`"]
fn normal_exp_same_bits_exhaustive() {
    let runs = std::thread::scope(|s| {
        let separate = s.spawn(|| f32_normal_exp_differences(0x8000_0000..=u32::MAX, false));
        let fused = f32_normal_exp_differences(0x8000_0000..=u32::MAX, true);
        (separate.join().unwrap(), fused)
    });
    let ((n, bad_separate), (_, bad_fused)) = runs;
    println!(
        "short exp f32, every input in [-86, 0] ({n} with their tails): \
         differences from the full exp: {bad_separate:?} (separate), {bad_fused:?} (fused)"
    );
    assert!(bad_separate.is_empty() && bad_fused.is_empty());
}

// ---------------------------------------------------------------------------
// ln_1p on every f32 input

/// The kernels compute $\log S = \operatorname{log1p}(R)$ in `f64` for both
/// types (an `f32` row's $R$ is summed in `f64`), so there is no `f32`
/// logarithm to check. This runs that one `f64` `ln_1p` on every `f32`
/// value of its domain, $0 \le R < 2^{53}$: about $1.5 \cdot 10^9$ inputs.
#[test]
#[ignore = "exhaustive: every f32 in [0, 2^53); run with `cargo xtask kernel-accuracy`"]
fn ln_1p_every_f32_input() {
    let top = (2.0_f32).powi(53).to_bits();
    let worst = std::thread::scope(|s| {
        let run = |bits: std::ops::Range<u32>| {
            let mut worst = (0.0, 0.0);
            for b in bits {
                let x = f64::from(f32::from_bits(b));
                let e = dd::ulps_f64(ln_1p(x), dd::ln_1p(x));
                if e > worst.0 {
                    worst = (e, x);
                }
            }
            worst
        };
        let low = s.spawn(move || run(0..top / 2));
        let high = run(top / 2..top);
        let low = low.join().unwrap();
        if low.0 >= high.0 { low } else { high }
    });
    println!(
        "ln_1p on every f32 in [0, 2^53): max error {:.3} ulp (of f64) at x = {:e}",
        worst.0, worst.1
    );
    assert!(worst.0 <= LN_1P_BOUND, "{worst:?}");
}
