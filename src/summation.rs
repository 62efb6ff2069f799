//! Compensated arithmetic: a sum or a difference carried together with its
//! own rounding error.
//!
//! A floating-point addition $\operatorname{fl}(a + b)$ keeps only the leading
//! bits of the exact sum; the bits of the smaller term that fall below the
//! last place of the result are lost. Added one by one to a large running
//! total, small terms can vanish altogether ("tail absorption"). Knuth's
//! TwoSum recovers the lost part *exactly*, with six additions and no branch:
//!
//! ```math
//! s = \operatorname{fl}(a + b), \qquad e = (a + b) - s \quad\text{(exactly representable)}
//! ```
//!
//! [`CompensatedSum`] applies TwoSum at every step of a sum and adds the
//! errors up on the side (Ogita, Rump and Oishi's `Sum2`, the compensated
//! summation also known as Neumaier's):
//!
//! ```math
//! \Bigl|\,\widehat{S} - \sum_i x_i\Bigr| \le u \Bigl|\sum_i x_i\Bigr| + \gamma_{n-1}^2 \sum_i |x_i|,
//! \qquad u = \varepsilon / 2,\ \gamma_k = \frac{k u}{1 - k u}
//! ```
//!
//! The second term is the error of the plain sum of the $n$ error terms. It is
//! negligible in `f64`, but not in `f32` for large $n$: at $n = 10^5$,
//! $(n u)^2 \approx 4 \cdot 10^{-5}$, hundreds of ulps (18 ulp were measured on a
//! label-smoothed loss over 89,591 classes). So the sum runs in blocks of
//! [`BLOCK`] terms: each block is a `Sum2` of at most 256 terms, whose second
//! term is $(256u)^2 \le 2.4 \cdot 10^{-10}$ in `f32` (0.004 ulp), and both parts
//! of each block's sum go into an outer `Sum2` over at most $2n/256$ terms.
//! For terms of one sign the result is then within about $1.01u$ of the exact
//! sum, for any $n$ up to $10^7$ in `f32`.
//!
//! Everything here only adds and subtracts, so it is generic over [`Scalar`]:
//! on exact rationals every error term is exactly 0, and on forward-mode dual
//! numbers the error terms have derivative 0, so the derivative of a
//! compensated sum is the sum of the derivatives.

use crate::{Scalar, check};

/// The exact sum `a + b` as the unevaluated pair `(s, e)`: `s = fl(a + b)`
/// and `s + e = a + b` exactly (Knuth's TwoSum; no ordering of `|a|`, `|b|`
/// needed). If `s` or an intermediate overflows, `e` is 0: the sum is then
/// `±inf` anyway, and its error is meaningless.
pub(crate) fn two_sum<T: Scalar>(a: T, b: T) -> (T, T) {
    let s = a + b;
    let b_virtual = s - a;
    let a_virtual = s - b_virtual;
    let e = (a - a_virtual) + (b - b_virtual);
    if check::is_finite(e) {
        (s, e)
    } else {
        (s, T::zero())
    }
}

/// The number of terms of one inner block of [`CompensatedSum`].
pub(crate) const BLOCK: usize = 256;

/// One level of compensated summation: a running sum and the plain sum of
/// the exact errors of its additions.
#[derive(Debug, Clone, Copy)]
struct Sum2<T> {
    sum: T,
    error: T,
}

impl<T: Scalar> Sum2<T> {
    fn new() -> Self {
        Self {
            sum: T::zero(),
            error: T::zero(),
        }
    }

    fn add(&mut self, x: T) {
        let (s, e) = two_sum(self.sum, x);
        self.sum = s;
        self.error = self.error + e;
    }
}

/// A running sum with its accumulated rounding error (blocked compensated
/// summation, see the [module documentation](self) for its error bound).
#[derive(Debug, Clone, Copy)]
pub(crate) struct CompensatedSum<T> {
    block: Sum2<T>,
    terms: usize,
    outer: Sum2<T>,
}

impl<T: Scalar> CompensatedSum<T> {
    /// The empty sum.
    pub(crate) fn new() -> Self {
        Self {
            block: Sum2::new(),
            terms: 0,
            outer: Sum2::new(),
        }
    }

    /// Add one term, keeping the rounding error of the addition.
    pub(crate) fn add(&mut self, x: T) {
        self.block.add(x);
        self.terms += 1;
        if self.terms == BLOCK {
            self.flush();
        }
    }

    /// Move the block's sum and error into the outer sum.
    fn flush(&mut self) {
        self.outer.add(self.block.sum);
        self.outer.add(self.block.error);
        self.block = Sum2::new();
        self.terms = 0;
    }

    /// The sum as a pair `(hi, lo)`, `hi = fl(hi + lo)`: the rounded sum and
    /// what it misses, for callers that go on computing with both parts.
    pub(crate) fn parts(mut self) -> (T, T) {
        self.flush();
        two_sum(self.outer.sum, self.outer.error)
    }

    /// The sum, rounded once: the `hi` of [`CompensatedSum::parts`], which is
    /// already `fl(hi + lo)` (adding `lo` again would change nothing).
    pub(crate) fn total(self) -> T {
        self.parts().0
    }
}

/// The compensated sum of `xs`, rounded once (see [`CompensatedSum`]).
pub(crate) fn compensated_sum<T: Scalar>(xs: impl IntoIterator<Item = T>) -> T {
    let mut s = CompensatedSum::new();
    for x in xs {
        s.add(x);
    }
    s.total()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// TwoSum is exact: 1 + 2⁻⁶⁰ loses 2⁻⁶⁰, which comes back as the error.
    #[test]
    fn two_sum_recovers_the_lost_bits() {
        let tiny = 2.0_f64.powi(-60);
        assert_eq!(two_sum(1.0, tiny), (1.0, tiny));
        assert_eq!(two_sum(tiny, 1.0), (1.0, tiny));
        assert_eq!(two_sum(f64::MAX, f64::MAX), (f64::INFINITY, 0.0));
    }

    /// A left-to-right sum of `1` and 10⁴ terms `2⁻²⁵` in `f32` stays at 1
    /// (each term is below half an ulp of 1); the compensated sum keeps them.
    #[test]
    fn compensated_sum_keeps_absorbed_terms() {
        let tiny = 2.0_f32.powi(-25);
        let terms = std::iter::once(1.0_f32).chain(std::iter::repeat_n(tiny, 10_000));
        assert_eq!(terms.clone().fold(0.0, |s, x| s + x), 1.0);
        let exact = 1.0 + 10_000.0 * f64::from(tiny);
        assert_eq!(compensated_sum(terms), exact as f32);
    }
}
