//! The run-time choice of instruction set for the kernels' loops, with no
//! `unsafe` in this crate.
//!
//! A kernel is written once, as plain loops generic over [`MulAdd`]. On
//! x86-64, `pulp` checks once per call whether the processor has AVX2 and FMA
//! (x86-64-v3); if so, it runs the kernel inside a function compiled for
//! those features, where the compiler vectorizes the loops 8 `f32` (4 `f64`)
//! lanes wide and the polynomials use fused multiply–adds. Otherwise the same
//! loops run as compiled for the baseline (SSE2, 4 or 2 lanes), with separate
//! products and sums. The `unsafe` of calling a function compiled for
//! features the baseline lacks stays inside `pulp`, behind its check.

use crate::vector_math::{Fused, MulAdd, Separate};

/// A kernel: a computation written once for both ways of multiplying and adding.
/// Every implementation and everything it calls is `#[inline(always)]`, so that
/// it is compiled into the feature-enabled function of the dispatch.
pub(crate) trait Kernel {
    /// What the kernel returns.
    type Output;
    /// Run the kernel with `A` as its multiply–add.
    fn run<A: MulAdd>(self) -> Self::Output;
}

/// Run a kernel with the best instruction set of this processor.
#[inline]
pub(crate) fn run<K: Kernel>(kernel: K) -> K::Output {
    #[cfg(target_arch = "x86_64")]
    {
        if let pulp::Arch::V3(simd) = pulp::Arch::new() {
            return pulp::Simd::vectorize(simd, WithFma(kernel));
        }
        kernel.run::<Separate>()
    }
    #[cfg(target_arch = "aarch64")]
    {
        // FMA is part of the aarch64 baseline.
        kernel.run::<Fused>()
    }
    #[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64")))]
    {
        kernel.run::<Separate>()
    }
}

/// Run a kernel with the portable arithmetic only (no FMA, baseline
/// instructions): what a processor without AVX2 and FMA runs. Used by the
/// tests, to check that path on any machine.
#[cfg(test)]
pub(crate) fn run_portable<K: Kernel>(kernel: K) -> K::Output {
    kernel.run::<Separate>()
}

/// A kernel as `pulp` sees it, run with fused multiply–adds.
#[allow(dead_code)]
struct WithFma<K>(K);

impl<K: Kernel> pulp::WithSimd for WithFma<K> {
    type Output = K::Output;

    #[inline(always)]
    fn with_simd<S: pulp::Simd>(self, _simd: S) -> K::Output {
        self.0.run::<Fused>()
    }
}
