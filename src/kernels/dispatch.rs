//! The run-time choice of instruction set for the kernels' loops, with no
//! `unsafe` in this crate.
//!
//! A kernel is written once, generic over [`MulAdd`] and over `pulp`'s
//! instruction set `S`: plain loops, which the compiler vectorizes, and
//! explicit vector loops over `S`'s registers (the private module `lanes`). On
//! x86-64, `pulp` checks once per call whether the processor has AVX2 and FMA
//! (x86-64-v3); if so, it runs the kernel inside a function compiled for
//! those features, with `S` its 256-bit registers (8 `f32`, 4 `f64`) and the
//! polynomials in fused multiply–adds. Otherwise the same kernel runs as
//! compiled for the baseline: the plain loops vectorized for SSE2, the
//! explicit ones one value at a time (`pulp::Scalar`), products and sums
//! separate. The `unsafe` of calling a function compiled for features the
//! baseline lacks stays inside `pulp`, behind its check.

use super::mul_add::{Fused, MulAdd, Separate};

/// A kernel: a computation written once for both ways of multiplying and adding.
/// Every implementation and everything it calls is `#[inline(always)]`, so that
/// it is compiled into the feature-enabled function of the dispatch.
pub(crate) trait Kernel {
    /// What the kernel returns.
    type Output;
    /// Run the kernel with `A` as its multiply–add and `simd`'s registers.
    fn run<A: MulAdd, S: pulp::Simd>(self, simd: S) -> Self::Output;
}

/// Run a kernel with the best instruction set of this processor.
#[inline]
pub(crate) fn run<K: Kernel>(kernel: K) -> K::Output {
    #[cfg(target_arch = "x86_64")]
    {
        if let pulp::Arch::V3(simd) = pulp::Arch::new() {
            return pulp::Simd::vectorize(simd, WithFma(kernel));
        }
        kernel.run::<Separate, _>(pulp::Scalar)
    }
    #[cfg(target_arch = "aarch64")]
    {
        // FMA is part of the aarch64 baseline.
        kernel.run::<Fused, _>(pulp::Scalar)
    }
    #[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64")))]
    {
        kernel.run::<Separate, _>(pulp::Scalar)
    }
}

/// Run a kernel with the portable arithmetic only (no FMA, baseline
/// instructions): what a processor without AVX2 and FMA runs. Used by the
/// tests, to check that path on any machine.
#[cfg(test)]
pub(crate) fn run_portable<K: Kernel>(kernel: K) -> K::Output {
    kernel.run::<Separate, _>(pulp::Scalar)
}

/// A kernel as `pulp` sees it, run with fused multiply–adds.
#[allow(dead_code)]
struct WithFma<K>(K);

impl<K: Kernel> pulp::WithSimd for WithFma<K> {
    type Output = K::Output;

    #[inline(always)]
    fn with_simd<S: pulp::Simd>(self, simd: S) -> K::Output {
        self.0.run::<Fused, S>(simd)
    }
}
