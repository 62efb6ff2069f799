//! # softmax-cross-entropy
//!
//! The softmax function and the cross-entropy loss, with every formula of
//! their textbook derivation as one tested Rust function.
//!
//! The crate follows the derivation of the tutorial *"How to implement a
//! neural network, Intermezzo 2: Softmax classification function"* by Peter
//! Roelants, one module per part:
//!
//! | module | formulas |
//! |---|---|
//! | [`softmax`] | $\varsigma(\mathbf z)_c = e^{z_c} / \sum_d e^{z_d}$, log-sum-exp, log-softmax |
//! | [`jacobian`] | $\partial y_i/\partial z_j = y_i(\delta_{ij} - y_j)$, the matrix $\operatorname{diag}(\mathbf y) - \mathbf y \mathbf y^\top$, vector–Jacobian products |
//! | [`likelihood`] | $\mathcal L = \prod_c y_c^{t_c}$ and its negative logarithm |
//! | [`cross_entropy`] | $\xi(\mathbf t, \mathbf y) = -\sum_c t_c \log y_c$, from probabilities or logits |
//! | [`batch`] | $\xi(T, Y) = \sum_i \xi(\mathbf t_i, \mathbf y_i)$ with sum and mean reductions |
//! | [`gradient`] | $\partial \xi / \partial \mathbf z = \mathbf y - \mathbf t$ |
//! | [`logistic`] | $\sigma(z)$, $\sigma(1-\sigma)$, binary cross-entropy, the two-class reduction |
//! | [`online_normalizer`] | the max and the sum of a softmax row in one pass (Milakov and Gimelshein) |
//! | [`vector_math`] | $e^x = 2^k e^r$: the exponential of the kernels, vectorizable |
//! | [`fused`] | softmax, log-softmax, and the loss with its gradient over the rows of a batch, in one pass |
//! | [`verify`] | central finite differences and forward-mode automatic differentiation, to check the derivatives |
//!
//! Functions that need `exp` or `log` are generic over [`num_traits::Float`]
//! (`f32`, `f64`, and forward-mode dual numbers such as `autodiff::F1`). The
//! purely algebraic ones are generic over [`Scalar`], so that they also run on
//! exact rationals such as `num_rational::Ratio<i128>`.
//!
//! Every function checks its input and returns a typed [`Error`] that names the
//! offending index and value; none panics, and none returns a silent NaN.
//!
//! ```
//! use softmax_cross_entropy::{softmax::softmax, gradient::cross_entropy_gradient_from_logits};
//! let y = softmax(&[1000.0_f64, 0.0])?; // the naive formula gives NaN here
//! assert_eq!(y, vec![1.0, 0.0]);
//! let g = cross_entropy_gradient_from_logits(&[0.0_f64, 0.0], &[1.0, 0.0])?;
//! assert_eq!(g, vec![-0.5, 0.5]);
//! # Ok::<(), softmax_cross_entropy::Error>(())
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod batch;
mod check;
pub mod cross_entropy;
mod error;
pub mod gradient;
pub mod jacobian;
mod kernels;
pub mod likelihood;
pub mod logistic;
pub mod softmax;
mod summation;
pub mod verify;

pub use kernels::{fused, online_normalizer, vector_math};

pub use check::target_sum_tolerance;
pub use error::{Error, Result};

/// The scalar types of the purely algebraic formulas: anything with `+ − × ÷`,
/// an order, and a conversion to `f64` for error messages.
///
/// It is implemented for every such type: `f32`, `f64`, dual numbers, and exact
/// rationals such as `num_rational::Ratio<i128>`, on which the book checks the
/// algebraic steps of the derivation with no rounding at all.
///
/// ```
/// use num_rational::Ratio;
/// use softmax_cross_entropy::jacobian::softmax_derivative_same;
/// let y = Ratio::new(1_i128, 3);
/// assert_eq!(softmax_derivative_same(y)?, Ratio::new(2, 9));
/// # Ok::<(), softmax_cross_entropy::Error>(())
/// ```
pub trait Scalar: Copy + num_traits::Num + PartialOrd + num_traits::ToPrimitive {}

impl<T: Copy + num_traits::Num + PartialOrd + num_traits::ToPrimitive> Scalar for T {}

/// The chapters of the book, compiled and run as doctests by `cargo test`.
///
/// Each chapter in `book/` is included here, so every Rust code block of the
/// book is a doctest of this crate.
#[cfg(doctest)]
pub mod book {
    #[doc = include_str!("../book/introduction.md")]
    pub mod introduction {}
    #[doc = include_str!("../book/softmax.md")]
    pub mod softmax {}
    #[doc = include_str!("../book/two-class-figure.md")]
    pub mod two_class_figure {}
    #[doc = include_str!("../book/overflow.md")]
    pub mod overflow {}
    #[doc = include_str!("../book/softmax-derivative.md")]
    pub mod softmax_derivative {}
    #[doc = include_str!("../book/cross-entropy.md")]
    pub mod cross_entropy {}
    #[doc = include_str!("../book/two-class-case.md")]
    pub mod two_class_case {}
    #[doc = include_str!("../book/batch.md")]
    pub mod batch {}
    #[doc = include_str!("../book/cross-entropy-derivative.md")]
    pub mod cross_entropy_derivative {}
    #[doc = include_str!("../book/accuracy.md")]
    pub mod accuracy {}
    #[doc = include_str!("../book/fast-kernel.md")]
    pub mod fast_kernel {}
    #[doc = include_str!("../book/errata.md")]
    pub mod errata {}
    #[doc = include_str!("../book/mutation-testing.md")]
    pub mod mutation_testing {}
    #[doc = include_str!("../book/traceability.md")]
    pub mod traceability {}
}
