//! The run-time choice of instruction set for the kernels' loops, with no
//! `unsafe` in this crate.
//!
//! A kernel is written once, generic over [`MulAdd`] and over `pulp`'s
//! instruction set `S`: plain loops, which the compiler vectorizes, and
//! explicit vector loops over `S`'s registers (the private module `lanes`).
//! On x86-64, `pulp` checks once per call which of AVX-512 (x86-64-v4:
//! AVX-512 F, BW, CD, DQ and VL) and AVX2 with FMA (x86-64-v3) the processor
//! has; the kernel then runs inside a function compiled for the best of
//! them, with `S` its 512-bit registers (16 `f32`, 8 `f64`) or its 256-bit
//! ones (8 `f32`, 4 `f64`), and the polynomials in fused multiply–adds.
//! Otherwise the same kernel runs as compiled for the baseline: the plain
//! loops vectorized for SSE2, the explicit ones one value at a time
//! (`pulp::Scalar`), products and sums separate. The `unsafe` of calling a
//! function compiled for features the baseline lacks stays inside `pulp`,
//! behind its check.
//!
//! [`with_instruction_set`] runs a closure with the kernels of this thread
//! held to one instruction set, so that every path this processor has can be
//! run and checked, and so that a caller who needs the same bits on every
//! processor can ask for [`InstructionSet::Portable`].

use super::mul_add::{Fused, MulAdd, Separate};
use std::cell::Cell;

/// A kernel: a computation written once for both ways of multiplying and adding.
/// Every implementation and everything it calls is `#[inline(always)]`, so that
/// it is compiled into the feature-enabled function of the dispatch.
pub(crate) trait Kernel {
    /// What the kernel returns.
    type Output;
    /// Run the kernel with `A` as its multiply–add and `simd`'s registers.
    fn run<A: MulAdd, S: pulp::Simd>(self, simd: S) -> Self::Output;
}

/// The instruction sets the kernels are compiled for, one of which each
/// call runs on (see [`instruction_set`]).
///
/// ```
/// use softmax_cross_entropy::fused::{InstructionSet, instruction_sets};
/// assert!(instruction_sets().contains(&InstructionSet::Portable));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum InstructionSet {
    /// Baseline instructions, separate products and sums: the same bits on
    /// every processor (x86-64 without AVX2, and any other architecture).
    Portable,
    /// The aarch64 baseline: one value at a time, with fused multiply–adds.
    Fma,
    /// AVX2 and FMA (x86-64-v3): 256-bit registers.
    Avx2Fma,
    /// AVX-512 F, BW, CD, DQ and VL (x86-64-v4): 512-bit registers.
    Avx512,
}

impl InstructionSet {
    /// Every instruction set, the portable one first.
    const ALL: [InstructionSet; 4] = [
        InstructionSet::Portable,
        InstructionSet::Fma,
        InstructionSet::Avx2Fma,
        InstructionSet::Avx512,
    ];

    /// Whether this processor can run the kernels compiled for this set.
    fn available(self) -> bool {
        match self {
            InstructionSet::Portable => true,
            InstructionSet::Fma => cfg!(target_arch = "aarch64"),
            #[cfg(target_arch = "x86_64")]
            InstructionSet::Avx2Fma => pulp::x86::V3::is_available(),
            #[cfg(target_arch = "x86_64")]
            InstructionSet::Avx512 => pulp::x86::V4::is_available(),
            #[cfg(not(target_arch = "x86_64"))]
            InstructionSet::Avx2Fma | InstructionSet::Avx512 => false,
        }
    }

    /// A short name: `portable`, `fma`, `avx2+fma`, `avx512`.
    ///
    /// ```
    /// use softmax_cross_entropy::fused::InstructionSet;
    /// assert_eq!(InstructionSet::Avx512.name(), "avx512");
    /// ```
    pub fn name(self) -> &'static str {
        match self {
            InstructionSet::Portable => "portable",
            InstructionSet::Fma => "fma",
            InstructionSet::Avx2Fma => "avx2+fma",
            InstructionSet::Avx512 => "avx512",
        }
    }
}

thread_local! {
    /// The instruction set this thread's kernels are held to, if any.
    static FORCED: Cell<Option<InstructionSet>> = const { Cell::new(None) };
}

/// The instruction sets this processor can run the kernels on, the portable
/// one first and the one the kernels pick by default last.
///
/// ```math
/// \{\text{portable}\} \subseteq \text{instruction\_sets}() \subseteq
/// \{\text{portable}, \text{fma}, \text{avx2+fma}, \text{avx512}\}
/// ```
///
/// ```
/// use softmax_cross_entropy::fused::{instruction_set, instruction_sets};
/// let sets = instruction_sets();
/// assert_eq!(sets.last(), Some(&instruction_set()));
/// ```
pub fn instruction_sets() -> Vec<InstructionSet> {
    InstructionSet::ALL
        .into_iter()
        .filter(|s| s.available())
        .collect()
}

/// The instruction set the kernels called from this thread run on now: the
/// one [`with_instruction_set`] holds them to, or else the best this
/// processor has.
///
/// ```math
/// \text{instruction\_set}() = \text{forced} \text{ or } \max \text{instruction\_sets}()
/// ```
///
/// ```
/// use softmax_cross_entropy::fused::{InstructionSet, instruction_set, with_instruction_set};
/// let inside = with_instruction_set(InstructionSet::Portable, instruction_set);
/// assert_eq!(inside, Some(InstructionSet::Portable));
/// ```
pub fn instruction_set() -> InstructionSet {
    FORCED.with(Cell::get).unwrap_or_else(best)
}

/// The best instruction set of this processor.
fn best() -> InstructionSet {
    InstructionSet::ALL
        .into_iter()
        .rev()
        .find(|s| s.available())
        .unwrap_or(InstructionSet::Portable)
}

/// Run `f` with every kernel that it calls on this thread held to the
/// instruction set `set`; `None` (and `f` not run) if this processor cannot
/// run it. The kernels' rows run on the calling thread's choice even where
/// they are split across threads. Nested calls hold the innermost set; the
/// previous one is restored when `f` returns or unwinds.
///
/// ```math
/// \text{with\_instruction\_set}(s, f) = \begin{cases} f() \text{ on } s & s \in \text{instruction\_sets}() \\ \text{None} & \text{otherwise} \end{cases}
/// ```
///
/// ```
/// use softmax_cross_entropy::fused::{InstructionSet, softmax_rows, with_instruction_set};
/// let z = [0.0_f64, 1.0, 2.0];
/// let mut y = [0.0; 3];
/// with_instruction_set(InstructionSet::Portable, || softmax_rows(&z, 3, &mut y))
///     .expect("every processor runs the portable path")?;
/// assert!((y.iter().sum::<f64>() - 1.0).abs() <= 2.0 * f64::EPSILON);
/// # Ok::<(), softmax_cross_entropy::Error>(())
/// ```
pub fn with_instruction_set<R>(set: InstructionSet, f: impl FnOnce() -> R) -> Option<R> {
    /// Restores the previous choice, also when `f` unwinds.
    struct Restore(Option<InstructionSet>);
    impl Drop for Restore {
        fn drop(&mut self) {
            FORCED.with(|c| c.set(self.0));
        }
    }
    if !set.available() {
        return None;
    }
    let _restore = Restore(FORCED.with(|c| c.replace(Some(set))));
    Some(f())
}

/// Run a kernel with this thread's instruction set ([`instruction_set`]).
#[inline]
pub(crate) fn run<K: Kernel>(kernel: K) -> K::Output {
    run_on(instruction_set(), kernel)
}

/// Run a kernel with the instruction set `set` (the portable one if this
/// processor lacks it: never the case for a set from [`instruction_set`]).
#[inline]
pub(crate) fn run_on<K: Kernel>(set: InstructionSet, kernel: K) -> K::Output {
    match set {
        #[cfg(target_arch = "x86_64")]
        InstructionSet::Avx512 => {
            if let Some(simd) = pulp::x86::V4::try_new() {
                return pulp::Simd::vectorize(simd, WithFma(kernel));
            }
        }
        #[cfg(target_arch = "x86_64")]
        InstructionSet::Avx2Fma => {
            if let Some(simd) = pulp::x86::V3::try_new() {
                return pulp::Simd::vectorize(simd, WithFma(kernel));
            }
        }
        #[cfg(target_arch = "aarch64")]
        InstructionSet::Fma => {
            // FMA is part of the aarch64 baseline.
            return kernel.run::<Fused, _>(pulp::Scalar);
        }
        _ => {}
    }
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
