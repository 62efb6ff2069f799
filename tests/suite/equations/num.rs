//! The numbers the equations are evaluated in: a forward-mode dual number
//! $v + \dot v\,\varepsilon$ that also carries a bound on the rounding error
//! of each of its two parts.
//!
//! The dual part gives the derivatives that the text writes with ∂: each
//! operation applies its derivative rule, so evaluating `\frac{\partial
//! A}{\partial z_j}` is evaluating `A` with `z_j` seeded with tangent 1 and
//! reading the tangent (forward-mode automatic differentiation; no finite
//! differences).
//!
//! The error bounds are a running error analysis (Wilkinson; Higham,
//! *Accuracy and Stability of Numerical Algorithms*, §3.3): each operation
//! adds the propagated error of its operands (to first order) and its own
//! rounding, at most one unit `ε` of its result (`f64::EPSILON`, twice the
//! unit roundoff, so that `exp` and `ln`, which are within one ulp rather
//! than half an ulp, are covered too). Two sides of an equation that are
//! equal in exact arithmetic then differ, in floating point, by at most the
//! sum of their bounds: that sum, times 2 for the neglected second-order
//! terms, is the tolerance of the comparison. It is the book's convention, a
//! small multiple of ε times the condition of the expression, computed for
//! each expression instead of derived by hand.

/// A dual number with error bounds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Num {
    /// The value.
    pub v: f64,
    /// The tangent (the derivative along the seeded direction).
    pub d: f64,
    /// A bound on the rounding error of `v`.
    pub ev: f64,
    /// A bound on the rounding error of `d`.
    pub ed: f64,
}

const EPS: f64 = f64::EPSILON;

impl Num {
    /// An exact constant (an integer, an index, a drawn input).
    pub fn exact(v: f64) -> Num {
        Num {
            v,
            d: 0.0,
            ev: 0.0,
            ed: 0.0,
        }
    }

    /// A decimal constant, rounded once when read.
    pub fn literal(v: f64) -> Num {
        let exact = v.fract() == 0.0 && v.abs() < 2f64.powi(53);
        Num {
            ev: if exact { 0.0 } else { EPS * v.abs() },
            ..Num::exact(v)
        }
    }

    /// Sum. An infinite sum (`m_0 - m_1` with the empty max `m_0 = -∞`)
    /// is exact: its bound is 0, so that `e^{-∞} = 0` stays exact too.
    pub fn add(self, o: Num) -> Num {
        let v = self.v + o.v;
        let d = self.d + o.d;
        Num {
            v,
            d,
            ev: if v.is_infinite() {
                0.0
            } else {
                self.ev + o.ev + EPS * v.abs()
            },
            ed: self.ed + o.ed + EPS * d.abs(),
        }
    }

    /// Negation (exact).
    pub fn neg(self) -> Num {
        Num {
            v: -self.v,
            d: -self.d,
            ..self
        }
    }

    /// Difference.
    pub fn sub(self, o: Num) -> Num {
        self.add(o.neg())
    }

    /// Product.
    pub fn mul(self, o: Num) -> Num {
        let v = self.v * o.v;
        let (p, q) = (self.v * o.d, self.d * o.v);
        let d = p + q;
        Num {
            v,
            d,
            ev: self.v.abs() * o.ev + o.v.abs() * self.ev + EPS * v.abs(),
            ed: self.v.abs() * o.ed
                + o.d.abs() * self.ev
                + self.d.abs() * o.ev
                + o.v.abs() * self.ed
                + EPS * (p.abs() + q.abs() + d.abs()),
        }
    }

    /// Quotient.
    pub fn div(self, o: Num) -> Num {
        let v = self.v / o.v;
        let d = (self.d - v * o.d) / o.v;
        let b = o.v.abs();
        let ev = (self.ev + v.abs() * o.ev) / b + EPS * v.abs();
        Num {
            v,
            d,
            ev,
            ed: (self.ed + v.abs() * o.ed + o.d.abs() * ev + d.abs() * o.ev) / b
                + EPS * (2.0 * (self.d.abs() + (v * o.d).abs()) / b + d.abs()),
        }
    }

    /// `e^x`.
    pub fn exp(self) -> Num {
        let v = self.v.exp();
        let d = v * self.d;
        let ev = v.abs() * (self.ev + EPS);
        Num {
            v,
            d,
            ev,
            ed: v.abs() * self.ed + self.d.abs() * ev + EPS * d.abs(),
        }
    }

    /// `log1p(x) = ln(1 + x)`, without rounding `1 + x` (the derivative
    /// is `1/(1 + x)`).
    pub fn ln_1p(self) -> Num {
        let v = self.v.ln_1p();
        let a = (1.0 + self.v).abs();
        let d = self.d / a;
        Num {
            v,
            d,
            ev: self.ev / a + EPS * v.abs(),
            ed: (self.ed + d.abs() * self.ev) / a + EPS * d.abs(),
        }
    }

    /// The natural logarithm.
    pub fn ln(self) -> Num {
        let v = self.v.ln();
        let d = self.d / self.v;
        let a = self.v.abs();
        Num {
            v,
            d,
            ev: self.ev / a + EPS * v.abs(),
            ed: (self.ed + d.abs() * self.ev) / a + EPS * d.abs(),
        }
    }

    /// `x^y`: `powi` for an integer exponent without a tangent (exact for
    /// powers of two such as `2^{1023}`), `e^{y \log x}` otherwise.
    pub fn pow(self, y: Num) -> Num {
        if y.d == 0.0 && y.ev == 0.0 && y.v.fract() == 0.0 && y.v.abs() <= 1e9 {
            let n = y.v as i32;
            let v = self.v.powi(n);
            let slope = if n == 0 {
                0.0
            } else {
                f64::from(n) * self.v.powi(n - 1)
            };
            let d = slope * self.d;
            let steps = f64::from(n.unsigned_abs().max(1));
            // A zero error times an infinite slope (2^{1023}) is no error.
            let times = |a: f64, e: f64| if e == 0.0 { 0.0 } else { a.abs() * e };
            let curvature = f64::from(n) * f64::from(n - 1) * self.v.powi(n - 2) * self.d;
            return Num {
                v,
                d,
                ev: times(slope, self.ev) + steps * EPS * v.abs(),
                ed: times(slope, self.ed) + times(curvature, self.ev) + steps * EPS * d.abs(),
            };
        }
        if self.v == 0.0 && y.v > 0.0 && y.d == 0.0 {
            return Num::exact(0.0);
        }
        y.mul(self.ln()).exp()
    }

    /// The larger of two numbers (the tangent of the larger one).
    pub fn max(self, o: Num) -> Num {
        if o.v > self.v { o } else { self }
    }
}
