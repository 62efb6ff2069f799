//! Input checks shared by every module. Each returns the first problem it
//! finds as a typed [`Error`] naming the index and value.

use crate::summation::CompensatedSum;
use crate::{Error, Result, Scalar};
use num_traits::Float;

/// The tolerance on `|Σ t_c − 1|` for targets that must form a probability
/// distribution: `√ε` of the scalar type (about `1.5e-8` for `f64` and
/// `3.5e-4` for `f32`).
///
/// Targets computed in floating point, for example by label smoothing or by
/// dividing counts by their total, carry a rounding error of a few `ε` per
/// entry; `√ε` accepts those for any realistic class count while still
/// rejecting targets that are plainly not normalized (such as `[1, 1]` or
/// `[0.5, 0.4]`).
///
/// ```
/// use softmax_cross_entropy::target_sum_tolerance;
/// assert_eq!(target_sum_tolerance::<f64>(), f64::EPSILON.sqrt());
/// ```
pub fn target_sum_tolerance<T: Float>() -> T {
    T::epsilon().sqrt()
}

/// `x` is NaN. Written as `x != x`, which holds for a float NaN and never for
/// an exact type, so it works for every [`Scalar`].
#[allow(clippy::eq_op)]
pub(crate) fn is_nan<T: PartialEq>(x: T) -> bool {
    x != x
}

/// `x` is neither NaN nor `±inf`. Written as `x − x = 0`, which fails for a
/// float NaN or infinity (`inf − inf` is NaN) and always holds for an exact
/// type, so it works for every [`Scalar`].
#[allow(clippy::eq_op)]
pub(crate) fn is_finite<T: Scalar>(x: T) -> bool {
    x - x == T::zero()
}

/// Entries that must be finite numbers: no NaN, no `±inf`.
pub(crate) fn finite_entries<T: Scalar>(what: &'static str, xs: &[T]) -> Result<()> {
    for (index, &x) in xs.iter().enumerate() {
        if is_nan(x) {
            return Err(Error::NotANumber { what, index });
        }
        if !is_finite(x) {
            return Err(Error::Infinite {
                what,
                index,
                value: value(x),
            });
        }
    }
    Ok(())
}

/// A computed value that must be finite: an intermediate sum or product of
/// finite floats can still overflow, and the result is then an error rather
/// than a silent `inf`, NaN or 0.
pub(crate) fn finite_result<T: Scalar>(what: &'static str, x: T) -> Result<T> {
    if is_finite(x) {
        Ok(x)
    } else {
        Err(Error::NotRepresentable { what })
    }
}

pub(crate) fn value<T: Scalar>(x: T) -> f64 {
    x.to_f64().unwrap_or(f64::NAN)
}

pub(crate) fn non_empty<T>(what: &'static str, xs: &[T]) -> Result<()> {
    if xs.is_empty() {
        Err(Error::Empty { what })
    } else {
        Ok(())
    }
}

pub(crate) fn same_len(what: &'static str, expected: usize, found: usize) -> Result<()> {
    if expected == found {
        Ok(())
    } else {
        Err(Error::LengthMismatch {
            what,
            expected,
            found,
        })
    }
}

pub(crate) fn index(what: &'static str, index: usize, len: usize) -> Result<()> {
    if index < len {
        Ok(())
    } else {
        Err(Error::IndexOutOfRange { what, index, len })
    }
}

/// Logits: non-empty, no NaN (`±inf` allowed).
pub(crate) fn logits<T: Scalar>(z: &[T]) -> Result<()> {
    non_empty("logits", z)?;
    match z.iter().position(|&x| is_nan(x)) {
        Some(index) => Err(Error::NotANumber {
            what: "logit",
            index,
        }),
        None => Ok(()),
    }
}

/// A scalar probability: not NaN, in `[0, 1]`.
pub(crate) fn probability<T: Scalar>(what: &'static str, index: usize, y: T) -> Result<()> {
    if is_nan(y) {
        Err(Error::NotANumber { what, index })
    } else if y < T::zero() || y > T::one() {
        Err(Error::NotAProbability {
            what,
            index,
            value: value(y),
        })
    } else {
        Ok(())
    }
}

/// Probabilities: non-empty, each in `[0, 1]`.
pub(crate) fn probabilities<T: Scalar>(y: &[T]) -> Result<()> {
    non_empty("probabilities", y)?;
    y.iter()
        .enumerate()
        .try_for_each(|(i, &p)| probability("probability", i, p))
}

/// Non-negative finite targets (any sum). A negative entry (`-inf` included)
/// is reported as negative, `+inf` as infinite.
pub(crate) fn nonnegative_targets<T: Scalar>(t: &[T]) -> Result<()> {
    non_empty("targets", t)?;
    for (index, &x) in t.iter().enumerate() {
        if is_nan(x) {
            return Err(Error::NotANumber {
                what: "target",
                index,
            });
        }
        if x < T::zero() {
            return Err(Error::NegativeTarget {
                index,
                value: value(x),
            });
        }
    }
    finite_entries("target", t)
}

/// Targets that form a distribution: finite, non-negative, summing to 1
/// within [`target_sum_tolerance`].
pub(crate) fn distribution<T: Float>(t: &[T]) -> Result<()> {
    nonnegative_targets(t)?;
    // Summed with compensation: a left-to-right f32 sum of 1/C over
    // C = 128,256 classes is off by more than √ε₃₂, the exact sum by 5e-8.
    let mut total = CompensatedSum::new();
    t.iter().for_each(|&x| total.add(x));
    let (sum, error) = total.parts();
    let tolerance = target_sum_tolerance::<T>();
    // sum − 1 is exact near 1 (Sterbenz), so this is |Σt − 1| to within u².
    if ((sum - T::one()) + error).abs() > tolerance {
        return Err(Error::TargetsDoNotSumToOne {
            sum: value(sum),
            tolerance: value(tolerance),
        });
    }
    Ok(())
}

/// A batch of `len` entries in rows of `classes`: returns the number of rows.
pub(crate) fn batch_rows(len: usize, classes: usize) -> Result<usize> {
    if len == 0 {
        return Err(Error::Empty { what: "batch" });
    }
    if classes == 0 || !len.is_multiple_of(classes) {
        return Err(Error::BatchShape { len, classes });
    }
    Ok(len / classes)
}

/// Attach the row index to an error of one sample of a batch.
pub(crate) fn in_sample(sample: usize) -> impl Fn(Error) -> Error {
    move |e| Error::InSample {
        sample,
        source: Box::new(e),
    }
}
