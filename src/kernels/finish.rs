//! The finishing step of each kernel: what it makes of a row once the row's
//! exponentials $e^{z_c - m}$ are in `out` and its normalizer is known, on
//! the fast path and on the route of the reference functions.

use super::compensated::{Compensated, LOSS_SCALE, RowLoss, two_sum};
use super::float::KernelFloat;
use super::rows::{Finish, Row};
use crate::cross_entropy::{
    cross_entropy_from_logits, cross_entropy_from_logits_class, scaled_cross_entropy_from_logits,
    scaled_cross_entropy_from_logits_class,
};
use crate::gradient::cross_entropy_gradient_from_logits_into;
use crate::softmax::{log_softmax_into, softmax_into};
use crate::{Result, check};

// ---------------------------------------------------------------------------
// Softmax

/// [`crate::fused::softmax_rows`]: $y_c = e^{z_c - m}/S$.
#[derive(Clone)]
pub(crate) struct SoftmaxRows;

impl<T: KernelFloat> Finish<T> for SoftmaxRows {
    #[inline(always)]
    fn fast(&mut self, row: Row<T>, _z: &[T], e: &mut [T]) -> Option<f64> {
        let scale = T::narrow(row.inv_s);
        for y in e.iter_mut() {
            *y = *y * scale;
        }
        Some(0.0)
    }
    fn reference(&mut self, index: usize, z: &[T], out: &mut [T]) -> Result<RowLoss> {
        softmax_into(z, out).map_err(check::in_sample(index))?;
        Ok(RowLoss::Plain(0.0))
    }
}
// ---------------------------------------------------------------------------
// Log-softmax

/// [`crate::fused::log_softmax_rows`]: $(z_c - m) - \log S$.
#[derive(Clone)]
pub(crate) struct LogSoftmaxRows;

impl<T: KernelFloat> Finish<T> for LogSoftmaxRows {
    #[inline(always)]
    fn fast(&mut self, row: Row<T>, z: &[T], e: &mut [T]) -> Option<f64> {
        let log_s = row.log_s;
        let m = row.max.widen();
        for (o, &z) in e.iter_mut().zip(z) {
            *o = T::narrow((z.widen() - m) - log_s);
        }
        Some(0.0)
    }
    fn reference(&mut self, index: usize, z: &[T], out: &mut [T]) -> Result<RowLoss> {
        log_softmax_into(z, out).map_err(check::in_sample(index))?;
        Ok(RowLoss::Plain(0.0))
    }
}
// ---------------------------------------------------------------------------
// Loss and gradient, class labels

/// [`crate::fused::loss_and_gradient_classes`]: the loss and $w(y - t)$ for
/// one class label per row.
#[derive(Clone)]
pub(crate) struct ClassTargets<'a> {
    /// One class label per row.
    pub(crate) labels: &'a [usize],
    /// The reduction's weight, 1 or $1/N$.
    pub(crate) weight: f64,
}

impl<T: KernelFloat> Finish<T> for ClassTargets<'_> {
    #[inline(always)]
    fn fast(&mut self, row: Row<T>, z: &[T], e: &mut [T]) -> Option<f64> {
        let k = self.labels[row.index];
        let (&z_k, &e_k) = (z.get(k)?, e.get(k)?);
        let inv_s = row.inv_s;
        // ξ = log S − (z_k − m): two non-negative terms, no cancellation.
        let (d, tail) = two_sum(z_k, -row.max);
        let loss = row.log_s - d.widen() - tail.widen();
        let scale = T::narrow(inv_s * self.weight);
        for g in e.iter_mut() {
            *g = *g * scale;
        }
        // y_k − 1, exactly −R/S when z_k is the max (both computed, then
        // one chosen: no branch on where the max is).
        let (at_max, elsewhere) = (-(row.rest * inv_s), e_k.widen() * inv_s - 1.0);
        let g_k = if z_k == row.max { at_max } else { elsewhere };
        e[k] = T::narrow(g_k * self.weight);
        Some(loss)
    }
    fn weight(&self) -> f64 {
        self.weight
    }
    fn reference(&mut self, index: usize, z: &[T], out: &mut [T]) -> Result<RowLoss> {
        let k = self.labels[index];
        let loss = cross_entropy_from_logits_class(z, k).map_err(check::in_sample(index))?;
        let loss = scaled_if_beyond_range(loss, || {
            scaled_cross_entropy_from_logits_class(z, k, T::narrow(LOSS_SCALE))
        });
        // The one-hot row, so that y_k − 1 is computed as accurately as the
        // distribution route computes it (not 1 − 1 = 0 where y_k rounds to 1).
        let mut t = vec![T::zero(); z.len()];
        t[k] = T::one();
        cross_entropy_gradient_from_logits_into(z, &t, out).map_err(check::in_sample(index))?;
        let w = T::narrow(self.weight);
        for g in out.iter_mut() {
            *g = *g * w;
        }
        Ok(loss)
    }
}

/// The row loss `loss` as the total takes it: itself, or, where it is
/// infinite (a loss beyond the float range, up to $2\,\mathrm{MAX}$ from
/// logits $[\mathrm{MAX}, -\mathrm{MAX}]$), the loss times $2^{-64}$ from
/// `scaled`.
fn scaled_if_beyond_range<T: KernelFloat>(loss: T, scaled: impl FnOnce() -> Result<T>) -> RowLoss {
    if loss.is_infinite()
        && let Ok(scaled) = scaled()
        && scaled.is_finite()
    {
        return RowLoss::Scaled(scaled.widen());
    }
    RowLoss::Plain(loss.widen())
}

// ---------------------------------------------------------------------------
// Loss and gradient, distribution targets

/// [`crate::fused::loss_and_gradient`]: the loss and $w(y - t)$ for target
/// distributions.
#[derive(Clone)]
pub(crate) struct DistributionTargets<'a, T> {
    /// The target distributions, row-major.
    pub(crate) targets: &'a [T],
    /// $C$.
    pub(crate) classes: usize,
    /// The reduction's weight, 1 or $1/N$.
    pub(crate) weight: f64,
    /// The tolerance of a target row's sum.
    pub(crate) tolerance: f64,
}

impl<T: KernelFloat> Finish<T> for DistributionTargets<'_, T> {
    #[inline(always)]
    fn fast(&mut self, row: Row<T>, z: &[T], e: &mut [T]) -> Option<f64> {
        let start = row.index * self.classes;
        let t = &self.targets[start..start + self.classes];
        // A quick screen of the targets: non-negative, finite, summing to 1
        // well within the tolerance; anything else goes to the reference check.
        let (mut sum, mut low) = (0.0_f64, 0.0_f64);
        for &t_c in t {
            let t_c = t_c.widen();
            sum += t_c;
            low = if t_c < low { t_c } else { low };
        }
        if !((sum - 1.0).abs() <= 0.5 * self.tolerance && low >= 0.0) {
            return None;
        }
        let (inv_s, log_s) = (row.inv_s, row.log_s);
        let (m, w) = (row.max.widen(), self.weight);
        let mut loss = Compensated::default();
        for ((g, &z_c), &t_c) in e.iter_mut().zip(z).zip(t) {
            let t_c = t_c.widen();
            // Each term t_c (log S − (z_c − m)) is non-negative; their sum is
            // compensated (10^5 terms summed plainly lose up to 10^5 ε).
            loss.add(t_c * (log_s - (z_c.widen() - m)));
            // y_c − t_c; where y_c > 1/2 (the max, with R < 1) as
            // (1 − t_c) − R/S, which keeps y_c − 1 = −R/S accurate.
            let (at_max, elsewhere) = ((1.0 - t_c) - row.rest * inv_s, g.widen() * inv_s - t_c);
            let y_minus_t = if z_c == row.max && row.rest < 1.0 {
                at_max
            } else {
                elsewhere
            };
            *g = T::narrow(y_minus_t * w);
        }
        Some(loss.value())
    }
    fn weight(&self) -> f64 {
        self.weight
    }
    fn reference(&mut self, index: usize, z: &[T], out: &mut [T]) -> Result<RowLoss> {
        let start = index * self.classes;
        let t = &self.targets[start..start + self.classes];
        let loss = cross_entropy_from_logits(z, t).map_err(check::in_sample(index))?;
        let loss = scaled_if_beyond_range(loss, || {
            scaled_cross_entropy_from_logits(z, t, T::narrow(LOSS_SCALE))
        });
        cross_entropy_gradient_from_logits_into(z, t, out).map_err(check::in_sample(index))?;
        let w = T::narrow(self.weight);
        for g in out.iter_mut() {
            *g = *g * w;
        }
        Ok(loss)
    }
}
