//! Double-double arithmetic (a value as an unevaluated sum `hi + lo` of two
//! `f64`, about 106 bits): the reference of the `f64` kernels' accuracy tests,
//! independent of the code under test (no polynomial of `vector_math`, no
//! kernel). Products use `f64::mul_add` for their exact error.
//!
//! `exp` reduces by `k ln 2` (ln 2 to 106 bits) and by `2^-10`, sums the
//! Taylor series to degree 14 and squares back; `ln` takes one Newton step
//! on `exp` from the `f64` logarithm. Both are good to about `2^-100`
//! relative, checked below against known values and identities.
#![allow(dead_code)]

/// `hi + lo`, with `|lo| <= ulp(hi) / 2`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Dd {
    pub hi: f64,
    pub lo: f64,
}

fn two_sum(a: f64, b: f64) -> (f64, f64) {
    let s = a + b;
    let bb = s - a;
    (s, (a - (s - bb)) + (b - bb))
}

fn fast_two_sum(a: f64, b: f64) -> (f64, f64) {
    let s = a + b;
    (s, b - (s - a))
}

fn two_prod(a: f64, b: f64) -> (f64, f64) {
    let p = a * b;
    (p, a.mul_add(b, -p))
}

impl Dd {
    pub const fn new(hi: f64) -> Self {
        Dd { hi, lo: 0.0 }
    }
    /// `a − b` exactly.
    pub fn diff(a: f64, b: f64) -> Self {
        let (hi, lo) = two_sum(a, -b);
        Dd { hi, lo }
    }
    pub fn add(self, o: Dd) -> Dd {
        let (s, e) = two_sum(self.hi, o.hi);
        let (t, f) = two_sum(self.lo, o.lo);
        let (s, e) = fast_two_sum(s, e + t);
        let (hi, lo) = fast_two_sum(s, e + f);
        Dd { hi, lo }
    }
    pub fn neg(self) -> Dd {
        Dd {
            hi: -self.hi,
            lo: -self.lo,
        }
    }
    pub fn sub(self, o: Dd) -> Dd {
        self.add(o.neg())
    }
    pub fn mul(self, o: Dd) -> Dd {
        let (p, e) = two_prod(self.hi, o.hi);
        let e = e + (self.hi * o.lo + self.lo * o.hi);
        let (hi, lo) = fast_two_sum(p, e);
        Dd { hi, lo }
    }
    pub fn mul_f64(self, x: f64) -> Dd {
        self.mul(Dd::new(x))
    }
    pub fn div(self, o: Dd) -> Dd {
        let q1 = self.hi / o.hi;
        let r = self.sub(o.mul_f64(q1));
        let q2 = r.hi / o.hi;
        let r = r.sub(o.mul_f64(q2));
        let q3 = r.hi / o.hi;
        let (hi, lo) = fast_two_sum(q1, q2);
        Dd { hi, lo }.add(Dd::new(q3))
    }
    pub fn to_f64(self) -> f64 {
        self.hi + self.lo
    }
}

/// ln 2 to 106 bits.
const LN2: Dd = Dd {
    hi: std::f64::consts::LN_2,
    lo: 2.319_046_813_846_299_6e-17,
};

/// `e^x` for a double-double `x` with `|x| <= 745`; 0 or `inf` beyond the range.
pub fn exp(x: Dd) -> Dd {
    if x.hi < -746.0 {
        return Dd::new(0.0);
    }
    if x.hi > 710.0 {
        return Dd::new(f64::INFINITY);
    }
    let k = (x.hi / std::f64::consts::LN_2).round();
    let r = x.sub(LN2.mul_f64(k));
    let s = Dd {
        hi: r.hi / 1024.0,
        lo: r.lo / 1024.0,
    };
    // Taylor series of e^s − 1 to degree 14 (|s| < 3.4e-4: the next term is below 1e-52).
    let mut term = s;
    let mut sum = s;
    for n in 2..=14 {
        term = term.mul(s).div(Dd::new(n as f64));
        sum = sum.add(term);
    }
    // e^(1024 s) − 1 by (1 + u)² − 1 = u (2 + u), ten times.
    for _ in 0..10 {
        sum = sum.mul(sum.add(Dd::new(2.0)));
    }
    let e = sum.add(Dd::new(1.0));
    // Scale by 2^k in two steps so that subnormal results round once.
    let half = (k / 2.0).floor();
    let (a, b) = (2f64.powi(half as i32), 2f64.powi((k - half) as i32));
    let hi = e.hi * a;
    let lo = e.lo * a;
    Dd {
        hi: hi * b,
        lo: lo * b,
    }
}

/// `ln x` for a double-double `x > 0`: one Newton step `y + x e^{-y} − 1` from
/// `y = ln(x.hi)`.
pub fn ln(x: Dd) -> Dd {
    let y = Dd::new(x.hi.ln());
    let t = x.mul(exp(y.neg())).sub(Dd::new(1.0));
    y.add(t)
}

/// `ln(1 + x)` for `x >= 0`, from the exact `1 + x`.
pub fn ln_1p(x: f64) -> Dd {
    let (hi, lo) = two_sum(1.0, x);
    if x < 1e-300 {
        return Dd::new(x); // ln(1 + x) = x − x²/2: x²/2 is far below ulp(x)
    }
    ln(Dd { hi, lo })
}

/// The error of `got` in units in the last place of the true value `want`
/// (ulps of `f64`, the subnormal ulp below the normal range).
pub fn ulps_f64(got: f64, want: Dd) -> f64 {
    let w = want.to_f64();
    if got == w && want.lo == 0.0 {
        return 0.0;
    }
    let ulp = ulp_f64(w);
    (Dd::new(got).sub(want).to_f64() / ulp).abs()
}

/// The ulp of an `f64` value (of its binade; the subnormal spacing at the bottom).
pub fn ulp_f64(x: f64) -> f64 {
    let e = ((x.to_bits() >> 52) & 0x7ff) as i64; // biased exponent
    match e {
        0 => f64::from_bits(1),
        1..=52 => f64::from_bits(1 << (e - 1)),
        _ => f64::from_bits(((e - 52) as u64) << 52),
    }
}

/// The error of an `f32` result in `f32` ulps of the true value `want` (an
/// `f64` that is itself far more accurate than an `f32` ulp).
pub fn ulps_f32(got: f32, want: f64) -> f64 {
    if f64::from(got) == want {
        return 0.0;
    }
    ((f64::from(got) - want) / ulp_f32(want)).abs()
}

/// The ulp of the `f32` binade of `x` (the `f32` subnormal spacing at the bottom).
pub fn ulp_f32(x: f64) -> f64 {
    let e = ((x.to_bits() >> 52) & 0x7ff) as i64 - 1023; // unbiased exponent
    let e = e.max(-126);
    f64::from_bits(((e - 23 + 1023) as u64) << 52)
}

#[test]
fn double_double_reference_is_accurate() {
    // e to 106 bits, and e^-1.
    let e = exp(Dd::new(1.0));
    assert_eq!(e.hi, std::f64::consts::E);
    assert!((e.lo - 1.445_646_891_729_250_2e-16).abs() < 1e-31, "{e:?}");
    // exp(ln 2 · k) = 2^k exactly (to the reference's accuracy).
    for k in [-1000.0, -10.0, 3.0, 700.0 / std::f64::consts::LN_2] {
        let k: f64 = f64::floor(k);
        let x = LN2.mul_f64(k);
        let y = exp(x);
        let want = 2f64.powi(k as i32);
        assert!(((y.to_f64() - want) / want).abs() < 1e-30, "{k}: {y:?}");
    }
    // ln(e^x) = x, and ln 2.
    for x in [-600.0, -1.5, 1e-20, 0.3, 100.0] {
        let back = ln(exp(Dd::new(x))).sub(Dd::new(x));
        assert!(
            back.to_f64().abs() <= 1e-30 * x.abs().max(1.0),
            "{x}: {back:?}"
        );
    }
    let l2 = ln(Dd::new(2.0)).sub(LN2);
    assert!(l2.to_f64().abs() < 1e-31, "{l2:?}");
    // ln_1p of a tiny x is x; of 1 is ln 2.
    assert_eq!(ln_1p(1e-30).to_f64(), 1e-30 - 5e-61);
    assert!(ln_1p(1.0).sub(LN2).to_f64().abs() < 1e-31);
    // Subnormal exp.
    assert_eq!(exp(Dd::new(-745.0)).to_f64(), (-745.0_f64).exp());
    // ulps.
    assert_eq!(ulp_f64(1.0), f64::EPSILON);
    assert_eq!(ulp_f64(0.75), f64::EPSILON / 2.0);
    assert_eq!(ulp_f32(1.0), f64::from(f32::EPSILON));
    assert_eq!(ulps_f32(1.0 + f32::EPSILON, 1.0), 1.0);
}
