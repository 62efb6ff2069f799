//! The float types of the kernels, `f32` and `f64`, as the kernels see
//! them: one trait that gathers their exponential, their vector lanes, their
//! conversions to `f64`, and the entry points compiled in this crate.

use super::lanes::{LaneFloat, ShortLanes};
use super::vector_math::VectorExp;
use crate::Result;
use num_traits::Float;

mod sealed {
    pub trait Sealed {}
    impl Sealed for f32 {}
    impl Sealed for f64 {}
}

/// The float types of the kernels, `f32` and `f64`: their vectorizable
/// exponential, their conversions to and from the `f64` in which each row's
/// normalizer is finished, and how a row's exponentials are summed.
pub trait KernelFloat:
    VectorExp + LaneFloat + ShortLanes + Float + Send + Sync + sealed::Sealed
{
    /// The value as `f64` (exact).
    ///
    /// ```
    /// use softmax_cross_entropy::fused::KernelFloat;
    /// assert_eq!(0.1_f32.widen(), f64::from(0.1_f32));
    /// ```
    fn widen(self) -> f64;
    /// The `f64` rounded to this type.
    ///
    /// ```
    /// use softmax_cross_entropy::fused::KernelFloat;
    /// assert_eq!(f32::narrow(0.1), 0.1_f32);
    /// ```
    fn narrow(x: f64) -> Self;
    /// Run a kernel over the rows of `out` (the logits are `z`, or `out`
    /// itself). A method of the type, not a generic function, so that the
    /// kernels are compiled once, in this crate, rather than in every crate
    /// (and every doctest) that calls them.
    #[doc(hidden)]
    fn run_kernel(
        z: Option<&[Self]>,
        out: &mut [Self],
        classes: usize,
        job: Job<'_, Self>,
    ) -> Result<f64>;
    /// [`crate::fused::sum_without_max`], compiled in this crate (as [`KernelFloat::run_kernel`]).
    #[doc(hidden)]
    fn run_sum_without_max(z: &[Self], e: &[Self], m: Self) -> f64;
}

/// What a kernel computes from a row's exponentials: the argument of
/// [`KernelFloat::run_kernel`].
#[doc(hidden)]
pub enum Job<'a, T> {
    /// [`crate::fused::softmax_rows`].
    Softmax,
    /// [`crate::fused::log_softmax_rows`].
    LogSoftmax,
    /// [`crate::fused::loss_and_gradient_classes`].
    Classes {
        /// One class label per row.
        labels: &'a [usize],
        /// The reduction's weight, 1 or $1/N$.
        weight: f64,
    },
    /// [`crate::fused::loss_and_gradient`].
    Targets {
        /// The target distributions, row-major.
        targets: &'a [T],
        /// The reduction's weight, 1 or $1/N$.
        weight: f64,
        /// The tolerance of a target row's sum.
        tolerance: f64,
    },
}
