//! The typed error that every fallible function of this crate returns.
//!
//! Every variant names the offending index and, where there is one, the
//! offending value, so that a message such as
//! `target 2 is negative: -0.25` points straight at the bad entry.

use std::fmt;

/// Shorthand for `Result<T, softmax_cross_entropy::Error>`.
///
/// ```
/// use softmax_cross_entropy::{Result, softmax::softmax};
/// let y: Result<Vec<f64>> = softmax(&[1.0, 2.0]);
/// assert!(y.is_ok());
/// ```
pub type Result<T> = std::result::Result<T, Error>;

/// Everything that can be wrong with the input of a function of this crate.
///
/// Values are stored as `f64` (converted from the caller's scalar type) so that
/// the error type does not depend on the scalar type.
///
/// ```
/// use softmax_cross_entropy::{Error, softmax::softmax};
/// let err = softmax(&[0.0, f64::NAN]).unwrap_err();
/// assert_eq!(err, Error::NotANumber { what: "logit", index: 1 });
/// assert_eq!(err.to_string(), "logit 1 is NaN");
/// ```
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Error {
    /// A slice that must hold at least one entry is empty.
    Empty {
        /// What the slice holds, for example `"logits"`.
        what: &'static str,
    },
    /// Two slices that must have the same length do not.
    LengthMismatch {
        /// What the second slice holds.
        what: &'static str,
        /// The length it must have.
        expected: usize,
        /// The length it has.
        found: usize,
    },
    /// A batch whose length is not `samples × classes`, or whose class count is 0.
    BatchShape {
        /// The length of the row-major batch slice.
        len: usize,
        /// The number of classes `C` the caller gave.
        classes: usize,
    },
    /// An index (a class label, or `i`/`j` of a matrix entry) is `>=` the number of classes.
    IndexOutOfRange {
        /// What the index is, for example `"class"`.
        what: &'static str,
        /// The offending index.
        index: usize,
        /// The number of classes `C`; valid indices are `0..C`.
        len: usize,
    },
    /// An off-diagonal formula was asked for a diagonal entry (`i == j`).
    DiagonalIndex {
        /// The index given as both `i` and `j`.
        index: usize,
    },
    /// An entry is NaN.
    NotANumber {
        /// What the entry is, for example `"logit"` or `"target"`.
        what: &'static str,
        /// Its index.
        index: usize,
    },
    /// An entry that must be finite is `±inf`.
    Infinite {
        /// What the entry is.
        what: &'static str,
        /// Its index.
        index: usize,
        /// Its value, `inf` or `-inf`.
        value: f64,
    },
    /// Every logit is `-inf`, so the normalizer `Σ e^{z_d}` is 0 and softmax is undefined.
    AllNegativeInfinity {
        /// The number of logits.
        len: usize,
    },
    /// A probability lies outside `[0, 1]`.
    NotAProbability {
        /// What the entry is, for example `"probability"`.
        what: &'static str,
        /// Its index.
        index: usize,
        /// Its value.
        value: f64,
    },
    /// A target entry is negative.
    NegativeTarget {
        /// Its index.
        index: usize,
        /// Its value.
        value: f64,
    },
    /// Targets that must form a distribution do not sum to 1 within the tolerance
    /// of [`crate::target_sum_tolerance`].
    TargetsDoNotSumToOne {
        /// Their sum.
        sum: f64,
        /// The tolerance that `|sum − 1|` exceeds.
        tolerance: f64,
    },
    /// An entry that must be strictly positive (an exponential `a_d = e^{z_d}`) is not.
    NotPositive {
        /// What the entry is.
        what: &'static str,
        /// Its index.
        index: usize,
        /// Its value.
        value: f64,
    },
    /// The naive formula `e^{z_c} / Σ_d e^{z_d}` overflowed: `e^{z}` is `inf`.
    Overflow {
        /// The index of the first logit whose exponential (or the running sum) is `inf`.
        index: usize,
        /// That logit.
        value: f64,
    },
    /// The naive formula underflowed: the sum of the `e^{z_d}` is 0 (it would
    /// divide 0 by 0) or subnormal (the exponentials have lost their digits).
    Underflow {
        /// The number of logits.
        len: usize,
    },
    /// An intermediate value of a formula is not representable in the float
    /// type (a sum or product of finite inputs overflowed), so the formula as
    /// written cannot be evaluated; the stable functions avoid this.
    NotRepresentable {
        /// The intermediate value, for example `"sum of exponentials"`.
        what: &'static str,
    },
    /// An error in one row of a batch.
    InSample {
        /// The row (sample) index.
        sample: usize,
        /// What is wrong with that row.
        source: Box<Error>,
    },
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Empty { what } => write!(f, "the {what} are empty"),
            Error::LengthMismatch {
                what,
                expected,
                found,
            } => write!(f, "expected {expected} {what}, found {found}"),
            Error::BatchShape { len, classes } => write!(
                f,
                "a batch of length {len} is not a whole number of rows of {classes} classes"
            ),
            Error::IndexOutOfRange { what, index, len } => {
                write!(f, "{what} index {index} is out of range for {len} classes")
            }
            Error::DiagonalIndex { index } => write!(
                f,
                "the off-diagonal formula needs i != j, but i = j = {index}"
            ),
            Error::NotANumber { what, index } => write!(f, "{what} {index} is NaN"),
            Error::Infinite { what, index, value } => {
                write!(f, "{what} {index} is not finite: {value}")
            }
            Error::AllNegativeInfinity { len } => write!(
                f,
                "all {len} logits are -inf, so the normalizer is 0 and softmax is undefined"
            ),
            Error::NotAProbability { what, index, value } => {
                write!(f, "{what} {index} is not in [0, 1]: {value}")
            }
            Error::NegativeTarget { index, value } => {
                write!(f, "target {index} is negative: {value}")
            }
            Error::TargetsDoNotSumToOne { sum, tolerance } => write!(
                f,
                "the targets sum to {sum}, not to 1 (tolerance {tolerance:e})"
            ),
            Error::NotPositive { what, index, value } => {
                write!(f, "{what} {index} is not positive: {value}")
            }
            Error::Overflow { index, value } => write!(
                f,
                "the naive softmax overflows: e^z is inf at logit {index} = {value}"
            ),
            Error::Underflow { len } => write!(
                f,
                "the naive softmax underflows: the sum of the {len} exponentials is 0 or subnormal"
            ),
            Error::NotRepresentable { what } => write!(
                f,
                "the {what} overflows the float type, so this form of the formula cannot be evaluated"
            ),
            Error::InSample { sample, source } => write!(f, "sample {sample}: {source}"),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::InSample { source, .. } => Some(source.as_ref()),
            _ => None,
        }
    }
}
