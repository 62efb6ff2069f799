//! How the kernels compute `a·b + c`: one fused multiply–add or a product and
//! a sum. A type parameter of every kernel, chosen by the dispatch.

/// How the polynomials compute `a·b + c`: with one rounding ([`Fused`]) or two
/// ([`Separate`]). The kernels use [`Fused`] where the processor has FMA
/// (picked at run time) and [`Separate`] elsewhere, since a fused
/// multiply–add without hardware support is a slow library call.
pub trait MulAdd {
    /// `a·b + c`.
    ///
    /// ```math
    /// \operatorname{muladd}(a, b, c) = a b + c
    /// ```
    ///
    /// ```
    /// use softmax_cross_entropy::vector_math::{Fused, MulAdd, Separate};
    /// let (a, b) = (1.0 + f64::EPSILON, 1.0 - f64::EPSILON);
    /// assert_eq!(Separate::mul_add(a, b, -1.0), 0.0); // a·b rounds to 1
    /// assert_eq!(Fused::mul_add(a, b, -1.0), -f64::EPSILON * f64::EPSILON);
    /// ```
    fn mul_add<T: num_traits::Float>(a: T, b: T, c: T) -> T;
}

/// `a·b + c` with one rounding (an FMA instruction where the processor has one).
pub struct Fused;

/// `a·b + c` as a product and a sum, two roundings.
pub struct Separate;

impl MulAdd for Fused {
    #[inline(always)]
    fn mul_add<T: num_traits::Float>(a: T, b: T, c: T) -> T {
        a.mul_add(b, c)
    }
}

impl MulAdd for Separate {
    #[inline(always)]
    fn mul_add<T: num_traits::Float>(a: T, b: T, c: T) -> T {
        a * b + c
    }
}
