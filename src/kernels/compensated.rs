//! Compensated sums of the kernels: Knuth's TwoSum, and a running `f64` sum
//! that keeps the exact error of each addition (the rows' losses of a batch,
//! the lanes of a row's normalizer).

use num_traits::Float;

/// Knuth's TwoSum: `s = fl(a + b)` and the exact error `a + b − s`.
#[inline(always)]
pub(crate) fn two_sum<T: Float>(a: T, b: T) -> (T, T) {
    let s = a + b;
    let b_virtual = s - a;
    let a_virtual = s - b_virtual;
    (s, (a - a_virtual) + (b - b_virtual))
}

/// A compensated (TwoSum) running sum in `f64`: the rows' losses of a batch,
/// the lanes of a row's normalizer.
#[derive(Default, Clone, Copy)]
pub(crate) struct Compensated {
    sum: f64,
    error: f64,
}

impl Compensated {
    #[inline(always)]
    pub(crate) fn add(&mut self, x: f64) {
        let (s, e) = two_sum(self.sum, x);
        self.sum = s;
        self.error += e;
    }
    #[inline(always)]
    pub(crate) fn value(self) -> f64 {
        // An infinite term (the loss of a row beyond the float range) makes
        // the error NaN (inf − inf): the sum is the answer then.
        if self.sum.is_finite() {
            self.sum + self.error
        } else {
            self.sum
        }
    }
}
