//! The high-precision oracle: the true value of each float function of the
//! library, computed from the exact float inputs in binary arbitrary
//! precision with `dashu-float` (correctly rounded `exp`, `ln` and `ln_1p`).
//!
//! Every input float is converted exactly; every operation then rounds to
//! [`PRECISION`] bits (200, far beyond the 53 of `f64`), so the truth is known
//! to about `2^{-190}` relative, and the measured errors of `f32`/`f64`
//! results are the library's own. [`ulp_error`] measures a result in units in
//! the last place of the true value in the result's format.
//!
//! The oracle follows the definitions, not the library's algorithms: the
//! normalizer is `Σ_d e^{z_d − m}`, summed in high precision, and the losses
//! are `−Σ t_c log ς(z)_c`. It keeps the non-maximal part `R` of the
//! normalizer apart and takes `ln_1p(R)` (in 200 bits, `ln(1 + R)` would lose
//! an `R` below `2^{-200}`, and such tiny losses are exactly the adversarial
//! cases). Terms `e^{x}` with `x < −`[`NEGLIGIBLE`] are taken as 0: each is
//! below `2^{-28000}`, far below the smallest subnormal of any format, so
//! they change neither a probability nor a loss in any representable digit.
//!
//! The oracle is cheap for large `C` when the logits repeat a few values (the
//! adversarial generators tile them): each distinct logit costs one `exp`.
#![allow(dead_code)]

use dashu_float::FBig;
use dashu_float::round::mode::HalfEven;
use num_traits::Float;
use std::collections::HashMap;
use std::fmt::Debug;

/// A binary arbitrary-precision float, rounding to nearest, ties to even.
pub type Big = FBig<HalfEven, 2>;

/// The working precision of the oracle, in bits.
pub const PRECISION: usize = 200;

/// Shifted logits `x = z − m` below `−NEGLIGIBLE` count as `e^x = 0`.
pub const NEGLIGIBLE: f64 = 20_000.0;

/// The exact value of a finite float, at precision `prec`.
pub fn big(x: f64, prec: usize) -> Big {
    Big::try_from(x)
        .expect("a finite float")
        .with_precision(prec)
        .value()
}

/// A true value: a real number, or an infinity where the definition gives one
/// (`−log 0`, a `−inf` logit's log-probability).
#[derive(Clone, Debug)]
pub enum Truth {
    /// A real number.
    Finite(Big),
    /// `+inf`.
    PosInf,
    /// `−inf`.
    NegInf,
}

impl Truth {
    /// The true value rounded to the nearest `f64` (for messages).
    pub fn to_f64(&self) -> f64 {
        match self {
            Truth::Finite(x) => x.to_f64().value(),
            Truth::PosInf => f64::INFINITY,
            Truth::NegInf => f64::NEG_INFINITY,
        }
    }
}

/// A binary floating-point format: significand bits (with the implicit bit),
/// smallest normal exponent, largest finite value.
#[derive(Clone, Copy, Debug)]
pub struct Format {
    /// `"f32"` or `"f64"`.
    pub name: &'static str,
    /// 24 or 53.
    pub precision: i32,
    /// −126 or −1022.
    pub min_exponent: i32,
    /// The largest finite value, as an `f64`.
    pub max: f64,
    /// The type's `EPSILON`, as an `f64`.
    pub epsilon: f64,
}

/// The float types the accuracy suite measures: `f32` and `f64`, with their
/// format and exact conversions to and from `f64`.
pub trait Measured: Float + Debug + Send + Sync + 'static {
    /// The binary format.
    const FORMAT: Format;
    /// The value as an `f64` (exact).
    fn widen(self) -> f64;
    /// An `f64` rounded to this type.
    fn narrow(x: f64) -> Self;
}

impl Measured for f32 {
    const FORMAT: Format = Format {
        name: "f32",
        precision: 24,
        min_exponent: -126,
        max: f32::MAX as f64,
        epsilon: f32::EPSILON as f64,
    };
    fn widen(self) -> f64 {
        f64::from(self)
    }
    fn narrow(x: f64) -> Self {
        x as f32
    }
}

impl Measured for f64 {
    const FORMAT: Format = Format {
        name: "f64",
        precision: 53,
        min_exponent: -1022,
        max: f64::MAX,
        epsilon: f64::EPSILON,
    };
    fn widen(self) -> f64 {
        self
    }
    fn narrow(x: f64) -> Self {
        x
    }
}

/// `⌊log₂ x⌋` for a positive `x` in the normal range of `f64`, else `None`.
fn floor_log2(x: &Big) -> Option<i32> {
    let f = x.to_f64().value();
    if !(f.is_finite() && f >= f64::MIN_POSITIVE) {
        return None;
    }
    let e = ((f.to_bits() >> 52) & 0x7ff) as i32 - 1023;
    // Rounding to f64 may have carried x up to the next power of two.
    let power_of_two = f.to_bits() & ((1 << 52) - 1) == 0;
    Some(if power_of_two && big(f, PRECISION) > *x {
        e - 1
    } else {
        e
    })
}

/// The unit in the last place of the format at the magnitude of `x`: the
/// spacing of the floats of the binade of `x` (the subnormal spacing below the
/// normal range, the spacing at `MAX` beyond it).
pub fn ulp_at(x: &Big, format: Format) -> Big {
    let max_exponent = max_exponent(format);
    let e = if *x == Big::ZERO {
        format.min_exponent
    } else {
        let a = if *x < Big::ZERO {
            -x.clone()
        } else {
            x.clone()
        };
        match floor_log2(&a) {
            Some(e) => e.clamp(format.min_exponent, max_exponent),
            None if a < Big::ONE => format.min_exponent,
            None => max_exponent,
        }
    };
    power_of_two(e - (format.precision - 1))
}

/// The exponent of the largest finite value (127 or 1023). (`MAX.log2()`
/// rounds to 1024 in `f64`.)
fn max_exponent(format: Format) -> i32 {
    ((format.max.to_bits() >> 52) & 0x7ff) as i32 - 1023
}

/// `2^e`, exactly.
pub fn power_of_two(e: i32) -> Big {
    Big::from_parts(1.into(), e as isize)
        .with_precision(PRECISION)
        .value()
}

/// `true` if `x` rounds to an infinity in the format (`|x| ≥ MAX + ulp/2`).
fn rounds_to_infinity(x: &Big, format: Format) -> bool {
    let a = if *x < Big::ZERO {
        -x.clone()
    } else {
        x.clone()
    };
    let half_ulp = ulp_at(&a, format) / big(2.0, PRECISION);
    a >= big(format.max, PRECISION) + half_ulp
}

/// The error of a computed result `got` (in the format `format`, given as an
/// exact `f64`) against the truth, in units in the last place of the truth.
///
/// An infinite truth must be matched exactly (error 0, else `inf`); a finite
/// truth beyond the format's range must give the infinity it rounds to; a NaN
/// is an infinite error.
pub fn ulp_error_in(got: f64, exact: &Truth, format: Format) -> f64 {
    match exact {
        Truth::PosInf => exact_or_infinite(got == f64::INFINITY),
        Truth::NegInf => exact_or_infinite(got == f64::NEG_INFINITY),
        Truth::Finite(x) if got.is_infinite() => {
            if rounds_to_infinity(x, format) && (got > 0.0) == (*x > Big::ZERO) {
                return 0.0;
            }
            // Otherwise `±inf` counts as the next power of two after MAX,
            // `±2^{emax+1}`, one ulp beyond MAX: a truth within a few ulps of
            // MAX that rounds to MAX gives a few ulps, anything else an
            // enormous number.
            let beyond = power_of_two(max_exponent(format) + 1);
            let beyond = if got > 0.0 { beyond } else { -beyond };
            let diff = beyond - x.clone();
            let diff = if diff < Big::ZERO { -diff } else { diff };
            (diff / ulp_at(x, format)).to_f64().value()
        }
        Truth::Finite(_) if got.is_nan() => f64::INFINITY,
        Truth::Finite(x) => {
            let diff = big(got, PRECISION) - x.clone();
            let diff = if diff < Big::ZERO { -diff } else { diff };
            (diff / ulp_at(x, format)).to_f64().value()
        }
    }
}

fn exact_or_infinite(ok: bool) -> f64 {
    if ok { 0.0 } else { f64::INFINITY }
}

/// [`ulp_error_in`] for a result of type `T`.
pub fn ulp_error<T: Measured>(got: T, exact: &Truth) -> f64 {
    ulp_error_in(got.widen(), exact, T::FORMAT)
}

/// The error of an `f32` result in ulps of the truth.
pub fn ulp_error_f32(got: f32, exact: &Truth) -> f64 {
    ulp_error(got, exact)
}

/// The error of an `f64` result in ulps of the truth.
pub fn ulp_error_f64(got: f64, exact: &Truth) -> f64 {
    ulp_error(got, exact)
}

/// `|got − truth|` (as an `f64`; infinite if either side is infinite and they
/// differ), for the absolute bounds of ill-conditioned formulas.
pub fn abs_error(got: f64, exact: &Truth) -> f64 {
    match exact {
        Truth::Finite(x) if got.is_finite() => {
            let d = big(got, PRECISION) - x.clone();
            let v = d.to_f64().value().abs();
            if !v.is_nan() {
                return v;
            }
            // dashu gives NaN for a difference below the f64 range (seen at
            // 1e-324): scale it into the range and back in f64 (it rounds to
            // a subnormal or 0, which is all an f64 error can be).
            let up = (d * power_of_two(1100)).to_f64().value().abs();
            up * 2.0_f64.powi(-550) * 2.0_f64.powi(-550)
        }
        _ => ulp_error_in(got, exact, f64::FORMAT),
    }
}

/// The shifted logit `x_c = z_c − m` and `e^{x_c}`, for one distinct logit.
#[derive(Clone, Debug)]
struct Shifted {
    x: Big,
    exp: Big,
}

/// The softmax family of one logit vector, in high precision: the maximum
/// `m` (at its first index), every `x_c = z_c − m`, `R = Σ_{d≠k} e^{x_d}` and
/// `log S = ln_1p(R)`. Logits must be finite or `−inf` (a `+inf` logit has no
/// real softmax; the library's limit convention is checked separately).
pub struct Logits {
    z: Vec<f64>,
    prec: usize,
    argmax: usize,
    max: Big,
    /// The index in `distinct` of each logit; `None` for a `−inf` logit.
    shifted: Vec<Option<usize>>,
    distinct: Vec<Shifted>,
    rest: Big,
    log_sum: Big,
}

impl Logits {
    /// The oracle of the logits `z` at [`PRECISION`] bits.
    pub fn new(z: &[f64]) -> Self {
        Self::with_precision(z, PRECISION)
    }

    /// The oracle at `prec` bits.
    pub fn with_precision(z: &[f64], prec: usize) -> Self {
        assert!(z.iter().all(|x| !x.is_nan() && *x != f64::INFINITY));
        let argmax = (0..z.len()).fold(0, |k, i| if z[i] > z[k] { i } else { k });
        assert!(z[argmax].is_finite(), "every logit is −inf");
        let max = big(z[argmax], prec);
        // One entry of `distinct` per distinct logit; `shifted[c]` indexes it.
        let mut index: HashMap<u64, usize> = HashMap::new();
        let mut distinct: Vec<Shifted> = Vec::new();
        let shifted: Vec<Option<usize>> = z
            .iter()
            .map(|&z_c| {
                (z_c != f64::NEG_INFINITY).then(|| {
                    *index.entry(z_c.to_bits()).or_insert_with(|| {
                        let x = big(z_c, prec) - max.clone();
                        let exp = if x < big(-NEGLIGIBLE, prec) {
                            Big::ZERO.with_precision(prec).value()
                        } else {
                            x.exp()
                        };
                        distinct.push(Shifted { x, exp });
                        distinct.len() - 1
                    })
                })
            })
            .collect();
        // Counted by distinct logit, so that tiled logits cost one product each.
        let mut counts: HashMap<u64, usize> = HashMap::new();
        for (d, &z_d) in z.iter().enumerate() {
            if d != argmax && z_d != f64::NEG_INFINITY {
                *counts.entry(z_d.to_bits()).or_default() += 1;
            }
        }
        let mut rest = Big::ZERO.with_precision(prec).value();
        for (bits, n) in counts {
            rest += distinct[index[&bits]].exp.clone() * big(n as f64, prec);
        }
        let log_sum = rest.ln_1p();
        Logits {
            z: z.to_vec(),
            prec,
            argmax,
            max,
            shifted,
            distinct,
            rest,
            log_sum,
        }
    }

    /// The shifted logit of class `c`, or `None` for a `−inf` logit.
    fn at(&self, c: usize) -> Option<&Shifted> {
        self.shifted[c].map(|i| &self.distinct[i])
    }

    /// `log Σ_d e^{z_d} = m + ln_1p(R)`.
    pub fn log_sum_exp(&self) -> Truth {
        Truth::Finite(self.max.clone() + self.log_sum.clone())
    }

    /// `log S = ln_1p(R)`, the logarithm of the shifted normalizer.
    pub fn log_normalizer(&self) -> Big {
        self.log_sum.clone()
    }

    /// The largest logit `m`.
    pub fn max(&self) -> Big {
        self.max.clone()
    }

    /// `ς(z)_c = e^{x_c} / (1 + R)`.
    pub fn softmax(&self, c: usize) -> Truth {
        Truth::Finite(match self.at(c) {
            None => Big::ZERO,
            Some(s) => {
                s.exp.clone() / (Big::ONE.with_precision(self.prec).value() + self.rest.clone())
            }
        })
    }

    /// `log ς(z)_c = x_c − log S`.
    pub fn log_softmax(&self, c: usize) -> Truth {
        match self.at(c) {
            None => Truth::NegInf,
            Some(s) => Truth::Finite(s.x.clone() - self.log_sum.clone()),
        }
    }

    /// `−log ς(z)_k`.
    pub fn cross_entropy_class(&self, k: usize) -> Truth {
        match self.log_softmax(k) {
            Truth::Finite(l) => Truth::Finite(-l),
            _ => Truth::PosInf,
        }
    }

    /// `−Σ_c t_c log ς(z)_c` over the classes with `t_c ≠ 0`.
    pub fn cross_entropy(&self, t: &[f64]) -> Truth {
        // Grouped by (logit, target), so that tiled inputs cost one product per pair.
        let mut groups: HashMap<(u64, u64), (usize, usize)> = HashMap::new();
        for (c, &t_c) in t.iter().enumerate() {
            if t_c == 0.0 {
                continue;
            }
            let Some(s) = self.at(c) else {
                return Truth::PosInf;
            };
            let _ = s;
            let key = (self.z[c].to_bits(), t_c.to_bits());
            groups.entry(key).or_insert((c, 0)).1 += 1;
        }
        let mut total = Big::ZERO.with_precision(self.prec).value();
        for (c, n) in groups.into_values() {
            let s = self.at(c).expect("finite");
            let term = big(t[c], self.prec) * (self.log_sum.clone() - s.x.clone());
            total += term * big(n as f64, self.prec);
        }
        Truth::Finite(total)
    }

    /// `∂ξ/∂z_c = ς(z)_c − t_c`.
    ///
    /// At the largest logit, `1/(1 + R) − t_k` is computed as
    /// `((1 − t_k) − t_k R)/(1 + R)`: in 200 bits, `1/(1 + R)` is 1 for an
    /// `R` below `2^{-200}`, and the gradient `−R/(1 + R)` of a one-hot
    /// target would come out as 0.
    pub fn gradient(&self, t: &[f64], c: usize) -> Truth {
        if c == self.argmax {
            let one = Big::ONE.with_precision(self.prec).value();
            let t_k = big(t[c], self.prec);
            let numerator = (one.clone() - t_k.clone()) - t_k * self.rest.clone();
            return Truth::Finite(numerator / (one + self.rest.clone()));
        }
        match self.softmax(c) {
            Truth::Finite(y) => Truth::Finite(y - big(t[c], self.prec)),
            other => other,
        }
    }

    /// The index of the first largest logit.
    pub fn argmax(&self) -> usize {
        self.argmax
    }
}

/// `ξ(t, y) = −Σ_c t_c log y_c` from probabilities (`+inf` where a target
/// class has `y_c = 0`); also the truth of the negative log-likelihood.
pub fn cross_entropy_probabilities(y: &[f64], t: &[f64]) -> Truth {
    // Grouped by distinct y_c (the targets of a group summed exactly), so that
    // tiled inputs cost one ln per distinct probability.
    let mut groups: HashMap<u64, Big> = HashMap::new();
    for (&y_c, &t_c) in y.iter().zip(t) {
        if t_c == 0.0 {
            continue;
        }
        if y_c == 0.0 {
            return Truth::PosInf;
        }
        let weight = groups
            .entry(y_c.to_bits())
            .or_insert_with(|| Big::ZERO.with_precision(PRECISION).value());
        *weight += big(t_c, PRECISION);
    }
    let mut total = Big::ZERO.with_precision(PRECISION).value();
    for (y_c, weight) in groups {
        total -= weight * big(f64::from_bits(y_c), PRECISION).ln();
    }
    Truth::Finite(total)
}

/// `J_ij = y_i (δ_ij − y_j)`.
pub fn jacobian(y: &[f64], i: usize, j: usize) -> Truth {
    let delta = if i == j { 1.0 } else { 0.0 };
    Truth::Finite(big(y[i], PRECISION) * (big(delta, PRECISION) - big(y[j], PRECISION)))
}

/// `(vᵀJ)_j = y_j (v_j − ⟨v, y⟩)`.
pub fn vector_jacobian_product(y: &[f64], v: &[f64], j: usize) -> Truth {
    let mut dot = Big::ZERO.with_precision(PRECISION).value();
    for (&a, &b) in y.iter().zip(v) {
        dot += big(a, PRECISION) * big(b, PRECISION);
    }
    Truth::Finite(big(y[j], PRECISION) * (big(v[j], PRECISION) - dot))
}

/// `σ(x) = 1 / (1 + e^{−x})` (0 or 1 to far below any ulp beyond `|x| > 2·10⁴`).
pub fn logistic(x: f64) -> Truth {
    let one = Big::ONE.with_precision(PRECISION).value();
    Truth::Finite(if x > NEGLIGIBLE {
        one.clone() - (-big(x, PRECISION)).exp()
    } else if x < -NEGLIGIBLE {
        Big::ZERO.with_precision(PRECISION).value()
    } else {
        one.clone() / (one + (-big(x, PRECISION)).exp())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn close(a: &Truth, b: f64, ulps: f64) {
        let e = ulp_error_f64(b, a);
        assert!(e <= ulps, "{b:e} vs truth {:e}: {e} ulp", a.to_f64());
    }

    /// Known values: `ln 2`, `e^{−1}`, `ln_1p(2^{−100}) ≈ 2^{−100}`, the
    /// softmax of `[0, ln 2]` (`e^z = [1, 2]`), and σ(0) = 1/2.
    #[test]
    fn oracle_known_values() {
        let p = PRECISION;
        close(
            &Truth::Finite(big(2.0, p).ln()),
            std::f64::consts::LN_2,
            0.5,
        );
        close(&Truth::Finite(big(-1.0, p).exp()), (-1.0_f64).exp(), 0.5);
        // ln_1p(x) = x − x²/2 + …: 2^{−100} to 2^{−100} ulp of itself.
        let tiny = 2.0_f64.powi(-100);
        close(&Truth::Finite(big(tiny, p).ln_1p()), tiny, 1e-14);
        // [0, ln 2] in f64: ln 2 is rounded, so e^{z₂} = 2(1 + δ), |δ| ≤ 2^{-53}.
        let o = Logits::new(&[0.0, std::f64::consts::LN_2]);
        close(&o.softmax(0), 1.0 / 3.0, 1.0);
        close(&o.softmax(1), 2.0 / 3.0, 1.0);
        close(&o.log_sum_exp(), 3.0_f64.ln(), 1.0);
        // Equal logits: exactly uniform, and log C.
        let o = Logits::new(&[5.0; 4]);
        assert_eq!(ulp_error_f64(0.25, &o.softmax(2)), 0.0);
        close(&o.log_sum_exp(), 5.0 + 4.0_f64.ln(), 0.5);
        // The tiny loss of [0, −40]: log(1 + e^{−40}), and the large one 40 + it.
        let o = Logits::new(&[0.0, -40.0]);
        close(&o.cross_entropy_class(0), (-40.0_f64).exp().ln_1p(), 0.5);
        close(&o.cross_entropy_class(1), 40.0, 0.5);
        assert!(matches!(logistic(0.0), Truth::Finite(x) if x == big(0.5, p)));
    }

    /// The ulp measure itself: exact results are 0 ulp, the next float is 1,
    /// subnormals use the subnormal spacing, and results beyond the range
    /// must be the infinity the truth rounds to.
    #[test]
    fn ulp_measure_known_values() {
        let t = Truth::Finite(big(1.0, PRECISION));
        assert_eq!(ulp_error_f64(1.0, &t), 0.0);
        assert_eq!(ulp_error_f64(1.0 + f64::EPSILON, &t), 1.0);
        // Below 1 the spacing halves: 1 − ε/2 is 1 ulp of the truth 1 − ε/2… but
        // measured in ulps of the truth 1 it is half an ulp.
        assert_eq!(ulp_error_f64(1.0 - f64::EPSILON / 2.0, &t), 0.5);
        assert_eq!(ulp_error_f32(1.0 + f32::EPSILON, &t), 1.0);
        let sub = Truth::Finite(big(f64::from_bits(3), PRECISION));
        assert_eq!(ulp_error_f64(f64::from_bits(5), &sub), 2.0);
        assert_eq!(ulp_error_f64(0.0, &Truth::Finite(Big::ZERO)), 0.0);
        let beyond = Truth::Finite(big(f64::MAX, PRECISION) * big(2.0, PRECISION));
        assert_eq!(ulp_error_f64(f64::INFINITY, &beyond), 0.0);
        assert_eq!(
            ulp_error_f64(f64::MAX, &Truth::Finite(big(f64::MAX, PRECISION))),
            0.0
        );
        assert_eq!(
            ulp_error_f64(f64::INFINITY, &Truth::Finite(big(f64::MAX, PRECISION))),
            1.0 // +inf counts as 2^1024, one ulp beyond MAX
        );
        assert!(ulp_error_f64(f64::INFINITY, &t) > 1e300);
        assert_eq!(
            ulp_error_f32(f32::INFINITY, &Truth::Finite(big(1e39, PRECISION))),
            0.0
        );
        assert_eq!(ulp_error_f64(f64::NAN, &t), f64::INFINITY);
        assert_eq!(ulp_error_f64(0.0, &Truth::PosInf), f64::INFINITY);
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(32))]
        /// Two precisions agree: the oracle at 200 bits and at 400 bits are
        /// within 2⁻¹⁸⁰ of each other (relative), for logits of any size.
        #[test]
        fn oracle_two_precisions_agree(
            z in prop::collection::vec(prop_oneof![-30.0..30.0_f64, -1e6..1e6_f64], 1..=6),
            k in 0..6_usize,
        ) {
            let a = Logits::with_precision(&z, PRECISION);
            let b = Logits::with_precision(&z, 2 * PRECISION);
            let k = k % z.len();
            let tol = big(2.0_f64.powi(-180), 2 * PRECISION);
            let pairs = [
                (a.log_sum_exp(), b.log_sum_exp()),
                (a.softmax(k), b.softmax(k)),
                (a.cross_entropy_class(k), b.cross_entropy_class(k)),
            ];
            for (x, y) in pairs {
                let (Truth::Finite(x), Truth::Finite(y)) = (x, y) else { panic!() };
                let scale = if y < Big::ZERO { -y.clone() } else { y.clone() };
                let d = x - y;
                let d = if d < Big::ZERO { -d } else { d };
                prop_assert!(d <= tol.clone() * scale, "precisions disagree");
            }
        }
    }
}
