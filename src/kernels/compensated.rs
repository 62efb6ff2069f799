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
    /// The sum times `scale`, a power of two (exact where the result is
    /// normal).
    #[inline(always)]
    pub(crate) fn scaled(self, scale: f64) -> Self {
        Compensated {
            sum: self.sum * scale,
            error: self.error * scale,
        }
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

/// The loss of one row of a batch, as the kernels' total takes it.
#[derive(Clone, Copy, Debug)]
pub(crate) enum RowLoss {
    /// The loss itself.
    Plain(f64),
    /// The loss times $2^{-64}$ ([`LOSS_SCALE`]): a row whose loss is beyond
    /// the float range of its type (up to $2\,\mathrm{MAX}$, from logits
    /// $[\mathrm{MAX}, -\mathrm{MAX}]$).
    Scaled(f64),
}

/// $2^{-64}$: the scale of [`RowLoss::Scaled`] and of a [`LossTotal`] whose
/// plain sum would overflow.
pub(crate) const LOSS_SCALE: f64 = 1.0 / 18_446_744_073_709_551_616.0;

/// The compensated total of a batch's row losses, weighted at the end, that
/// is finite whenever the weighted total is: while the plain sum stays
/// finite it is the plain compensated sum; once a finite loss would make it
/// overflow (two rows of loss $0.75\,\mathrm{MAX}$), or a row's loss comes
/// scaled, the total so far and every later loss are kept times $2^{-64}$
/// (exact for losses this large), and the weighted total is scaled back
/// after the weight: $w \sum_i \xi_i = 2^{64} \bigl(w \sum_i 2^{-64}
/// \xi_i\bigr)$.
#[derive(Default, Clone, Copy)]
pub(crate) struct LossTotal {
    plain: Compensated,
    scaled: Option<Compensated>,
}

impl LossTotal {
    /// Add a row's loss.
    #[inline(always)]
    pub(crate) fn add(&mut self, loss: RowLoss) {
        match (loss, &mut self.scaled) {
            (RowLoss::Plain(x), None) => {
                let before = self.plain;
                self.plain.add(x);
                if self.plain.sum.is_infinite() && before.sum.is_finite() && x.is_finite() {
                    self.plain = before;
                    self.switch_to_scaled().add(x * LOSS_SCALE);
                }
            }
            (RowLoss::Plain(x), Some(scaled)) => scaled.add(x * LOSS_SCALE),
            (RowLoss::Scaled(x), _) => self.switch_to_scaled().add(x),
        }
    }

    /// The scaled sum, holding the plain sum so far times $2^{-64}$.
    fn switch_to_scaled(&mut self) -> &mut Compensated {
        let plain = std::mem::take(&mut self.plain);
        self.scaled.get_or_insert_with(|| {
            let mut scaled = Compensated::default();
            scaled.add(plain.value() * LOSS_SCALE);
            scaled
        })
    }

    /// Add the total of a later part of the batch (as its sum and its
    /// error, in order).
    pub(crate) fn merge(&mut self, other: LossTotal) {
        // The error of an infinite sum is NaN (inf − inf): the sum alone then.
        let parts = |c: Compensated| [c.sum, if c.sum.is_finite() { c.error } else { 0.0 }];
        match other.scaled {
            None => parts(other.plain).map(|x| self.add(RowLoss::Plain(x))),
            Some(scaled) => parts(scaled).map(|x| self.add(RowLoss::Scaled(x))),
        };
    }

    /// The total times the reduction's weight `w`.
    #[inline(always)]
    pub(crate) fn weighted(self, w: f64) -> f64 {
        match self.scaled {
            None => self.plain.value() * w,
            Some(scaled) => (scaled.value() * w) / LOSS_SCALE,
        }
    }
}
