//! Every kind of bad input returns the right typed `Error`, naming the index
//! and value, and never panics: empty input, mismatched lengths, bad batch
//! shapes, out-of-range indices, negative or infinite targets, targets not
//! summing to 1 (just outside and just inside the tolerance), NaN in every
//! position, probabilities outside `[0, 1]`, non-positive exponentials, and
//! `InSample` wrapping in batches. Finally, a property: no public function
//! panics or returns a NaN on arbitrary input.

use crate::common::{quickcheck_runner, within_shrink_budget};
use autodiff::F1;
use proptest::prelude::*;
use quickcheck::TestResult;
use softmax_cross_entropy::batch::{
    Reduction, batch_cross_entropy, batch_cross_entropy_from_logits,
    batch_cross_entropy_from_logits_classes, batch_gradient_from_logits,
    batch_gradient_from_logits_into,
};
use softmax_cross_entropy::cross_entropy::{
    cross_entropy, cross_entropy_class, cross_entropy_from_logits, cross_entropy_from_logits_class,
};
use softmax_cross_entropy::gradient::{
    self, cross_entropy_gradient, cross_entropy_gradient_from_logits,
    cross_entropy_gradient_from_logits_into, cross_entropy_gradient_general,
    cross_entropy_gradient_into,
};
use softmax_cross_entropy::jacobian::{
    self, jacobian, jacobian_element, jacobian_into, softmax_derivative_cross,
    softmax_derivative_same, vector_jacobian_product, vector_jacobian_product_into,
};
use softmax_cross_entropy::likelihood::{likelihood, negative_log_likelihood};
use softmax_cross_entropy::logistic::{
    self, binary_cross_entropy, binary_cross_entropy_from_logit, logistic, logistic_derivative,
};
use softmax_cross_entropy::softmax::{
    log_softmax, log_softmax_into, log_sum_exp, softmax, softmax_from_exponentials, softmax_into,
    softmax_naive,
};
use softmax_cross_entropy::verify::{central_difference_jacobian, forward_mode_jacobian};
use softmax_cross_entropy::{Error, target_sum_tolerance};

const NAN: f64 = f64::NAN;
const INF: f64 = f64::INFINITY;
const SUM: Reduction = Reduction::Sum;

fn empty(what: &'static str) -> Error {
    Error::Empty { what }
}

fn mismatch(what: &'static str, expected: usize, found: usize) -> Error {
    Error::LengthMismatch {
        what,
        expected,
        found,
    }
}

fn nan(what: &'static str, index: usize) -> Error {
    Error::NotANumber { what, index }
}

fn in_sample(sample: usize, source: Error) -> Error {
    Error::InSample {
        sample,
        source: Box::new(source),
    }
}

/// `v` with entry `i` replaced by `x`.
fn with(v: &[f64], i: usize, x: f64) -> Vec<f64> {
    let mut w = v.to_vec();
    w[i] = x;
    w
}

/// Assert that `$call` fails with exactly the error `$want`.
macro_rules! assert_fails {
    ($call:expr, $want:expr $(,)?) => {
        assert_eq!($call.err(), Some($want.clone()), "{}", stringify!($call))
    };
}

#[test]
fn empty_inputs() {
    let e: [f64; 0] = [];
    let mut out: [f64; 0] = [];
    let logits = empty("logits");
    let probabilities = empty("probabilities");
    assert_fails!(softmax(&e), logits.clone());
    assert_fails!(softmax_into(&e, &mut out), logits.clone());
    assert_fails!(softmax_naive(&e), logits.clone());
    assert_fails!(log_sum_exp(&e), logits.clone());
    assert_fails!(log_softmax(&e), logits.clone());
    assert_fails!(log_softmax_into(&e, &mut out), logits.clone());
    assert_fails!(softmax_from_exponentials(&e), empty("exponentials"));
    assert_fails!(cross_entropy_from_logits(&e, &e), logits.clone());
    assert_fails!(cross_entropy_from_logits_class(&e, 0), logits.clone());
    assert_fails!(cross_entropy_gradient_from_logits(&e, &e), logits.clone());
    assert_fails!(
        cross_entropy_gradient_from_logits_into(&e, &e, &mut out),
        logits
    );

    assert_fails!(jacobian(&e), probabilities.clone());
    assert_fails!(jacobian_into(&e, &mut out), probabilities.clone());
    assert_fails!(jacobian_element(&e, 0, 0), probabilities.clone());
    assert_fails!(vector_jacobian_product(&e, &e), probabilities.clone());
    assert_fails!(
        vector_jacobian_product_into(&e, &e, &mut out),
        probabilities.clone()
    );
    assert_fails!(likelihood(&e, &e), probabilities.clone());
    assert_fails!(negative_log_likelihood(&e, &e), probabilities.clone());
    assert_fails!(cross_entropy(&e, &e), probabilities.clone());
    assert_fails!(cross_entropy_class(&e, 0), probabilities.clone());
    assert_fails!(cross_entropy_gradient(&e, &e), probabilities.clone());
    assert_fails!(
        cross_entropy_gradient_into(&e, &e, &mut out),
        probabilities.clone()
    );
    assert_fails!(
        cross_entropy_gradient_general(&e, &e),
        probabilities.clone()
    );
    for step in gradient_steps() {
        assert_fails!(step(&e, &e, 0), probabilities.clone());
    }
    for step in [
        jacobian::steps::diagonal_quotient_rule::<f64>,
        jacobian::steps::diagonal_factored,
        jacobian::steps::diagonal_complement,
    ] {
        assert_fails!(step(&e, 0), empty("exponentials"));
    }
    assert_fails!(
        jacobian::steps::off_diagonal_quotient_rule(&e, 0, 1),
        empty("exponentials")
    );
    assert_fails!(
        jacobian::steps::off_diagonal_product(&e, 0, 1),
        empty("exponentials")
    );

    let batch = empty("batch");
    assert_fails!(batch_cross_entropy(&e, &e, 2, SUM), batch.clone());
    assert_fails!(
        batch_cross_entropy_from_logits(&e, &e, 2, SUM),
        batch.clone()
    );
    assert_fails!(
        batch_cross_entropy_from_logits_classes(&e, &[], 2, SUM),
        batch.clone()
    );
    assert_fails!(batch_gradient_from_logits(&e, &e, 2, SUM), batch.clone());
    assert_fails!(
        batch_gradient_from_logits_into(&e, &e, 2, SUM, &mut out),
        batch
    );
}

/// One line of the cross-entropy gradient derivation, `(y, t, i) ↦ value`.
type GradientStep = fn(&[f64], &[f64], usize) -> softmax_cross_entropy::Result<f64>;

/// The six lines of the cross-entropy gradient derivation.
fn gradient_steps() -> [GradientStep; 6] {
    use gradient::steps::*;
    [
        chain_rule,
        split_diagonal,
        expanded,
        merged,
        factored,
        normalized,
    ]
}

#[test]
fn mismatched_lengths() {
    let y = [0.5, 0.5];
    let t3 = [0.5, 0.25, 0.25];
    let mut out1 = [0.0];
    let mut out3 = [0.0; 3];
    assert_fails!(softmax_into(&y, &mut out3), mismatch("outputs", 2, 3));
    assert_fails!(log_softmax_into(&y, &mut out1), mismatch("outputs", 2, 1));
    assert_fails!(
        jacobian_into(&y, &mut out3),
        mismatch("Jacobian entries", 4, 3)
    );
    assert_fails!(
        vector_jacobian_product(&y, &t3),
        mismatch("vector entries", 2, 3)
    );
    assert_fails!(
        vector_jacobian_product_into(&y, &y, &mut out3),
        mismatch("outputs", 2, 3)
    );
    assert_fails!(likelihood(&y, &t3), mismatch("targets", 2, 3));
    assert_fails!(
        negative_log_likelihood(&y, &[1.0]),
        mismatch("targets", 2, 1)
    );
    assert_fails!(cross_entropy(&y, &t3), mismatch("targets", 2, 3));
    assert_fails!(
        cross_entropy_from_logits(&y, &t3),
        mismatch("targets", 2, 3)
    );
    assert_fails!(cross_entropy_gradient(&y, &t3), mismatch("targets", 2, 3));
    assert_fails!(
        cross_entropy_gradient_into(&y, &y, &mut out1),
        mismatch("outputs", 2, 1)
    );
    assert_fails!(
        cross_entropy_gradient_from_logits(&y, &t3),
        mismatch("targets", 2, 3)
    );
    assert_fails!(
        cross_entropy_gradient_from_logits_into(&y, &y, &mut out3),
        mismatch("outputs", 2, 3)
    );
    assert_fails!(
        cross_entropy_gradient_general(&y, &t3),
        mismatch("targets", 2, 3)
    );
    for step in gradient_steps() {
        assert_fails!(step(&y, &t3, 0), mismatch("targets", 2, 3));
    }

    // Batches: targets, labels and outputs must match the logits' shape.
    let z = [0.0; 4];
    let t = [1.0, 0.0, 0.0, 1.0];
    assert_fails!(
        batch_cross_entropy(&t, &t3, 2, SUM),
        mismatch("targets", 4, 3)
    );
    assert_fails!(
        batch_cross_entropy_from_logits(&z, &t[..2], 2, SUM),
        mismatch("targets", 4, 2)
    );
    assert_fails!(
        batch_gradient_from_logits(&z, &t3, 2, SUM),
        mismatch("targets", 4, 3)
    );
    assert_fails!(
        batch_gradient_from_logits_into(&z, &t, 2, SUM, &mut out3),
        mismatch("outputs", 4, 3)
    );
    assert_fails!(
        batch_cross_entropy_from_logits_classes(&z, &[0], 2, SUM),
        mismatch("labels", 2, 1)
    );
    assert_fails!(
        batch_cross_entropy_from_logits_classes(&z, &[0, 1, 1], 2, SUM),
        mismatch("labels", 2, 3)
    );
}

#[test]
fn batch_shapes() {
    let five = [0.2; 5];
    let four = [0.25; 4];
    let mut out = [0.0; 5];
    let shape = |len, classes| Error::BatchShape { len, classes };
    for classes in [0, 2, 3, 4] {
        assert_fails!(
            batch_cross_entropy(&five, &five, classes, SUM),
            shape(5, classes)
        );
        assert_fails!(
            batch_cross_entropy_from_logits(&five, &five, classes, SUM),
            shape(5, classes)
        );
        assert_fails!(
            batch_cross_entropy_from_logits_classes(&five, &[0], classes, SUM),
            shape(5, classes)
        );
        assert_fails!(
            batch_gradient_from_logits(&five, &five, classes, SUM),
            shape(5, classes)
        );
        assert_fails!(
            batch_gradient_from_logits_into(&five, &five, classes, SUM, &mut out),
            shape(5, classes)
        );
    }
    // classes == 0 with a length that every positive class count would divide.
    assert_fails!(batch_cross_entropy(&four, &four, 0, SUM), shape(4, 0));
    assert_fails!(
        batch_gradient_from_logits(&four, &four, 0, Reduction::Mean),
        shape(4, 0)
    );
}

#[test]
fn indices_out_of_range() {
    let y = [0.25, 0.75];
    let t = [1.0, 0.0];
    let oor = |what, index, len| Error::IndexOutOfRange { what, index, len };
    assert_fails!(cross_entropy_class(&y, 2), oor("class", 2, 2));
    assert_fails!(cross_entropy_from_logits_class(&y, 7), oor("class", 7, 2));
    assert_fails!(jacobian_element(&y, 2, 0), oor("row", 2, 2));
    assert_fails!(jacobian_element(&y, 0, 2), oor("column", 2, 2));
    assert_fails!(
        jacobian_element(&y, usize::MAX, 0),
        oor("row", usize::MAX, 2)
    );
    for step in gradient_steps() {
        assert_fails!(step(&y, &t, 2), oor("class", 2, 2));
    }
    let a = [1.0, 3.0];
    assert_fails!(
        jacobian::steps::diagonal_quotient_rule(&a, 2),
        oor("row", 2, 2)
    );
    assert_fails!(jacobian::steps::diagonal_factored(&a, 3), oor("row", 3, 2));
    assert_fails!(
        jacobian::steps::diagonal_complement(&a, 2),
        oor("row", 2, 2)
    );
    assert_fails!(
        jacobian::steps::off_diagonal_quotient_rule(&a, 2, 0),
        oor("row", 2, 2)
    );
    assert_fails!(
        jacobian::steps::off_diagonal_product(&a, 0, 2),
        oor("column", 2, 2)
    );
    // The off-diagonal formulas refuse the diagonal.
    assert_fails!(
        jacobian::steps::off_diagonal_quotient_rule(&a, 1, 1),
        Error::DiagonalIndex { index: 1 }
    );
    assert_fails!(
        jacobian::steps::off_diagonal_product(&a, 0, 0),
        Error::DiagonalIndex { index: 0 }
    );
    // A label out of range in sample 1 of a batch.
    assert_fails!(
        batch_cross_entropy_from_logits_classes(&[0.0; 6], &[1, 3, 0], 2, SUM),
        in_sample(
            1,
            Error::IndexOutOfRange {
                what: "class",
                index: 3,
                len: 2
            }
        )
    );
}

#[test]
fn negative_and_infinite_targets() {
    let y = [0.25, 0.75];
    let negative = Error::NegativeTarget {
        index: 1,
        value: -0.25,
    };
    let t = [1.25, -0.25];
    assert_fails!(likelihood(&y, &t), negative);
    assert_fails!(negative_log_likelihood(&y, &t), negative);
    assert_fails!(cross_entropy(&y, &t), negative);
    assert_fails!(cross_entropy_from_logits(&y, &t), negative);
    assert_fails!(cross_entropy_gradient(&y, &t), negative);
    assert_fails!(cross_entropy_gradient_from_logits(&y, &t), negative);
    assert_fails!(cross_entropy_gradient_general(&y, &t), negative);
    for step in gradient_steps() {
        assert_fails!(step(&y, &t, 0), negative);
    }
    assert_fails!(
        batch_cross_entropy_from_logits(&[0.0; 4], &[1.0, 0.0, 1.25, -0.25], 2, SUM),
        in_sample(
            1,
            Error::NegativeTarget {
                index: 1,
                value: -0.25
            }
        )
    );
    // −0 is not negative.
    assert!(cross_entropy(&y, &[-0.0, 1.0]).is_ok());

    // Infinite targets: +inf is not a distribution entry, −inf is negative.
    let infinite = Error::Infinite {
        what: "target",
        index: 0,
        value: INF,
    };
    assert_fails!(cross_entropy(&y, &[INF, 0.0]), infinite);
    assert_fails!(likelihood(&y, &[INF, 0.0]), infinite);
    assert_fails!(cross_entropy_from_logits(&y, &[INF, 0.0]), infinite);
    assert_fails!(
        cross_entropy_gradient_from_logits(&y, &[INF, 0.0]),
        infinite
    );
    assert_fails!(
        cross_entropy(&y, &[0.0, -INF]),
        Error::NegativeTarget {
            index: 1,
            value: -INF
        }
    );
}

/// The tolerance on `|Σt − 1|` is `target_sum_tolerance`: a sum just outside
/// it is refused, naming the sum and the tolerance; just inside is accepted.
#[test]
fn targets_summing_to_one_within_tolerance() {
    let tol = target_sum_tolerance::<f64>();
    assert_eq!(tol, f64::EPSILON.sqrt());
    let y = [0.5, 0.5];
    for outside in [1.0 + 1.5 * tol, 1.0 - 1.5 * tol, 2.0, 0.0] {
        let t = [outside, 0.0];
        let err = Error::TargetsDoNotSumToOne {
            sum: outside,
            tolerance: tol,
        };
        assert_fails!(cross_entropy(&y, &t), err);
        assert_fails!(likelihood(&y, &t), err);
        assert_fails!(negative_log_likelihood(&y, &t), err);
        assert_fails!(cross_entropy_from_logits(&y, &t), err);
        assert_fails!(cross_entropy_gradient(&y, &t), err);
        assert_fails!(cross_entropy_gradient_from_logits(&y, &t), err);
        assert_fails!(
            batch_cross_entropy_from_logits(&[0.0; 4], &[1.0, 0.0, outside, 0.0], 2, SUM),
            in_sample(1, err.clone())
        );
    }
    for inside in [1.0 + 0.5 * tol, 1.0 - 0.5 * tol, 1.0] {
        let t = [inside, 0.0];
        assert!(cross_entropy(&y, &t).is_ok());
        assert!(likelihood(&y, &t).is_ok());
        assert!(cross_entropy_from_logits(&y, &t).is_ok());
        assert!(cross_entropy_gradient(&y, &t).is_ok());
        assert!(cross_entropy_gradient_from_logits(&y, &t).is_ok());
    }
    // f32 has its own tolerance, √ε₃₂ ≈ 3.5e−4.
    let tol32 = target_sum_tolerance::<f32>();
    assert_eq!(tol32, f32::EPSILON.sqrt());
    let y32 = [0.5_f32, 0.5];
    assert!(cross_entropy(&y32, &[1.0 + 0.5 * tol32, 0.0]).is_ok());
    assert!(matches!(
        cross_entropy(&y32, &[1.0 + 1.5 * tol32, 0.0]),
        Err(Error::TargetsDoNotSumToOne { .. })
    ));
    // The general gradient accepts any non-negative sum.
    assert!(cross_entropy_gradient_general(&y, &[1.0, 1.0]).is_ok());
}

/// NaN in every position of every slice argument is reported with its
/// index and role; in a batch, with the sample and the index within the row.
#[test]
fn nan_in_every_position() {
    let y = [0.25, 0.5, 0.25];
    let t = [0.0, 1.0, 0.0];
    let mut out3 = [0.0; 3];
    let mut out9 = [0.0; 9];
    for i in 0..3 {
        let zn = with(&y, i, NAN);
        let logit = nan("logit", i);
        assert_fails!(softmax(&zn), logit);
        assert_fails!(softmax_into(&zn, &mut out3), logit);
        assert_fails!(softmax_naive(&zn), logit);
        assert_fails!(log_sum_exp(&zn), logit);
        assert_fails!(log_softmax(&zn), logit);
        assert_fails!(log_softmax_into(&zn, &mut out3), logit);
        assert_fails!(cross_entropy_from_logits(&zn, &t), logit);
        assert_fails!(cross_entropy_from_logits_class(&zn, 0), logit);
        assert_fails!(cross_entropy_gradient_from_logits(&zn, &t), logit);
        assert_fails!(
            cross_entropy_gradient_from_logits_into(&zn, &t, &mut out3),
            logit
        );
        assert_fails!(
            central_difference_jacobian(|x: &[f64]| softmax(x), &zn),
            logit
        );
        assert_fails!(
            forward_mode_jacobian(|x: &[F1]| softmax(x), &zn, F1::new, |d: F1| d.deriv()),
            logit
        );
        assert_fails!(softmax_from_exponentials(&zn), nan("exponential", i));
        assert_fails!(
            jacobian::steps::diagonal_quotient_rule(&zn, 0),
            nan("exponential", i)
        );
        assert_fails!(
            jacobian::steps::off_diagonal_product(&zn, 0, 1),
            nan("exponential", i)
        );

        let probability = nan("probability", i);
        assert_fails!(jacobian(&zn), probability);
        assert_fails!(jacobian_into(&zn, &mut out9), probability);
        assert_fails!(jacobian_element(&zn, 0, 0), probability);
        assert_fails!(vector_jacobian_product(&zn, &y), probability);
        assert_fails!(likelihood(&zn, &t), probability);
        assert_fails!(negative_log_likelihood(&zn, &t), probability);
        assert_fails!(cross_entropy(&zn, &t), probability);
        assert_fails!(cross_entropy_class(&zn, 1), probability);
        assert_fails!(cross_entropy_gradient(&zn, &t), probability);
        assert_fails!(cross_entropy_gradient_into(&zn, &t, &mut out3), probability);
        assert_fails!(cross_entropy_gradient_general(&zn, &t), probability);
        for step in gradient_steps() {
            assert_fails!(step(&zn, &t, 0), probability);
        }

        let target = nan("target", i);
        assert_fails!(likelihood(&y, &zn), target);
        assert_fails!(cross_entropy(&y, &zn), target);
        assert_fails!(cross_entropy_from_logits(&y, &zn), target);
        assert_fails!(cross_entropy_gradient(&y, &zn), target);
        assert_fails!(cross_entropy_gradient_from_logits(&y, &zn), target);
        assert_fails!(cross_entropy_gradient_general(&y, &zn), target);
        for step in gradient_steps() {
            assert_fails!(step(&y, &zn, 0), target);
        }
        assert_fails!(vector_jacobian_product(&y, &zn), nan("vector entry", i));
        assert_fails!(
            vector_jacobian_product_into(&y, &zn, &mut out3),
            nan("vector entry", i)
        );
    }

    // Batches of 3 samples × 2 classes: position p is sample p / 2, class p % 2.
    let z = [0.0; 6];
    let tb = [1.0, 0.0, 0.0, 1.0, 0.5, 0.5];
    let yb = [0.5; 6];
    let mut out6 = [0.0; 6];
    for p in 0..6 {
        let (sample, index) = (p / 2, p % 2);
        let zn = with(&z, p, NAN);
        let logit = in_sample(sample, nan("logit", index));
        assert_fails!(batch_cross_entropy_from_logits(&zn, &tb, 2, SUM), logit);
        assert_fails!(
            batch_cross_entropy_from_logits_classes(&zn, &[0, 1, 0], 2, SUM),
            logit
        );
        assert_fails!(batch_gradient_from_logits(&zn, &tb, 2, SUM), logit);
        assert_fails!(
            batch_gradient_from_logits_into(&zn, &tb, 2, Reduction::Mean, &mut out6),
            logit
        );
        let target = in_sample(sample, nan("target", index));
        assert_fails!(
            batch_cross_entropy_from_logits(&z, &with(&tb, p, NAN), 2, SUM),
            target
        );
        assert_fails!(
            batch_gradient_from_logits(&z, &with(&tb, p, NAN), 2, SUM),
            target
        );
        assert_fails!(batch_cross_entropy(&yb, &with(&tb, p, NAN), 2, SUM), target);
        assert_fails!(
            batch_cross_entropy(&with(&yb, p, NAN), &tb, 2, SUM),
            in_sample(sample, nan("probability", index))
        );
    }

    // Scalars: index 0 is the first argument, 1 the second.
    assert_fails!(softmax_derivative_same(NAN), nan("probability", 0));
    assert_fails!(softmax_derivative_cross(NAN, 0.5), nan("probability", 0));
    assert_fails!(softmax_derivative_cross(0.5, NAN), nan("probability", 1));
    assert_fails!(logistic(NAN), nan("logit", 0));
    assert_fails!(logistic_derivative(NAN), nan("logit", 0));
    assert_fails!(binary_cross_entropy(NAN, 0.5), nan("probability", 0));
    assert_fails!(binary_cross_entropy(0.5, NAN), nan("target", 1));
    assert_fails!(binary_cross_entropy_from_logit(NAN, 0.5), nan("logit", 0));
    assert_fails!(binary_cross_entropy_from_logit(0.0, NAN), nan("target", 1));
    assert_fails!(
        logistic::steps::two_class_quotient(NAN, 1.0),
        nan("exponential", 0)
    );
    assert_fails!(
        logistic::steps::two_class_divided(1.0, NAN),
        nan("exponential", 1)
    );
}

#[test]
fn probabilities_outside_the_unit_interval() {
    let t = [1.0, 0.0];
    let bad = |what, index, value| Error::NotAProbability { what, index, value };
    for (y, index, value) in [
        ([1.5, -0.5], 0, 1.5),
        ([0.5, -0.5], 1, -0.5),
        ([0.5, INF], 1, INF),
        ([-INF, 0.5], 0, -INF),
    ] {
        let want = bad("probability", index, value);
        assert_fails!(cross_entropy(&y, &t), want);
        assert_fails!(cross_entropy_class(&y, 0), want);
        assert_fails!(likelihood(&y, &t), want);
        assert_fails!(jacobian(&y), want);
        assert_fails!(jacobian_element(&y, 0, 1), want);
        assert_fails!(vector_jacobian_product(&y, &t), want);
        assert_fails!(cross_entropy_gradient(&y, &t), want);
        assert_fails!(cross_entropy_gradient_general(&y, &t), want);
        for step in gradient_steps() {
            assert_fails!(step(&y, &t, 0), want);
        }
        assert_fails!(
            batch_cross_entropy(&[0.5, 0.5, y[0], y[1]], &[t, t].concat(), 2, SUM),
            in_sample(1, want.clone())
        );
    }
    assert_fails!(softmax_derivative_same(1.5), bad("probability", 0, 1.5));
    assert_fails!(
        softmax_derivative_cross(0.5, -0.25),
        bad("probability", 1, -0.25)
    );
    assert_fails!(binary_cross_entropy(-0.5, 0.5), bad("probability", 0, -0.5));
    assert_fails!(binary_cross_entropy(0.5, 1.5), bad("target", 1, 1.5));
    assert_fails!(
        binary_cross_entropy_from_logit(0.0, -0.5),
        bad("target", 1, -0.5)
    );
    // The boundaries 0 and 1 are probabilities.
    assert!(softmax_derivative_same(0.0).is_ok() && softmax_derivative_same(1.0).is_ok());
}

#[test]
fn non_positive_exponentials_and_probabilities() {
    let not_positive = |what, index, value| Error::NotPositive { what, index, value };
    assert_fails!(
        softmax_from_exponentials(&[1.0, 0.0]),
        not_positive("exponential", 1, 0.0)
    );
    assert_fails!(
        softmax_from_exponentials(&[-1.0, 2.0]),
        not_positive("exponential", 0, -1.0)
    );
    assert_fails!(
        jacobian::steps::diagonal_complement(&[1.0, 0.0, 1.0], 0),
        not_positive("exponential", 1, 0.0)
    );
    assert_fails!(
        jacobian::steps::off_diagonal_quotient_rule(&[1.0, -2.0], 0, 1),
        not_positive("exponential", 1, -2.0)
    );
    assert_fails!(
        logistic::steps::two_class_quotient(1.0, -2.0),
        not_positive("exponential", 1, -2.0)
    );
    assert_fails!(
        logistic::steps::two_class_divided(0.0, 1.0),
        not_positive("exponential", 0, 0.0)
    );
    // The first gradient lines divide by y_j, so they refuse y_j = 0; the
    // later lines, where the fraction has cancelled, accept it.
    let y = [1.0, 0.0];
    let t = [1.0, 0.0];
    assert_fails!(
        gradient::steps::chain_rule(&y, &t, 0),
        not_positive("probability", 1, 0.0)
    );
    assert_fails!(
        gradient::steps::split_diagonal(&y, &t, 0),
        not_positive("probability", 1, 0.0)
    );
    assert_eq!(gradient::steps::expanded(&y, &t, 0), Ok(0.0));
}

/// Errors in a batch name the sample, and the wrapped error is the `source`.
#[test]
fn in_sample_wrapping() {
    use std::error::Error as _;
    let mut z = vec![0.0; 8];
    z[5] = NAN; // sample 2 of 4 × 2, class 1
    let err = batch_cross_entropy_from_logits(&z, &[1.0, 0.0].repeat(4), 2, SUM).unwrap_err();
    assert_eq!(err, in_sample(2, nan("logit", 1)));
    assert_eq!(err.source().unwrap().to_string(), "logit 1 is NaN");
    assert_eq!(err.to_string(), "sample 2: logit 1 is NaN");
    assert!(nan("logit", 1).source().is_none());
    // The first bad sample is reported.
    z[1] = NAN;
    assert_fails!(
        batch_gradient_from_logits(&z, &[1.0, 0.0].repeat(4), 2, SUM),
        in_sample(0, nan("logit", 1))
    );
    // All −inf in one row of a batch.
    let mut z = vec![0.0; 6];
    z[2] = f64::NEG_INFINITY;
    z[3] = f64::NEG_INFINITY;
    assert_fails!(
        batch_cross_entropy_from_logits_classes(&z, &[0, 0, 0], 2, SUM),
        in_sample(1, Error::AllNegativeInfinity { len: 2 })
    );
}

/// Display messages name the index and the value.
#[test]
fn display_messages() {
    let cases = [
        (Error::Empty { what: "logits" }, vec!["logits", "empty"]),
        (mismatch("targets", 3, 2), vec!["targets", "3", "2"]),
        (Error::BatchShape { len: 5, classes: 2 }, vec!["5", "2"]),
        (
            Error::IndexOutOfRange {
                what: "class",
                index: 7,
                len: 3,
            },
            vec!["class", "7", "3"],
        ),
        (Error::DiagonalIndex { index: 4 }, vec!["4"]),
        (nan("target", 2), vec!["target 2", "NaN"]),
        (
            Error::Infinite {
                what: "target",
                index: 1,
                value: INF,
            },
            vec!["target 1", "inf"],
        ),
        (Error::AllNegativeInfinity { len: 3 }, vec!["3", "-inf"]),
        (
            Error::NotAProbability {
                what: "probability",
                index: 1,
                value: 1.5,
            },
            vec!["probability 1", "1.5"],
        ),
        (
            Error::NegativeTarget {
                index: 2,
                value: -0.25,
            },
            vec!["target 2", "-0.25"],
        ),
        (
            Error::TargetsDoNotSumToOne {
                sum: 1.25,
                tolerance: 1e-8,
            },
            vec!["1.25", "1e-8"],
        ),
        (
            Error::NotPositive {
                what: "exponential",
                index: 0,
                value: -1.0,
            },
            vec!["exponential 0", "-1"],
        ),
        (
            Error::Overflow {
                index: 1,
                value: 710.0,
            },
            vec!["1", "710"],
        ),
        (Error::Underflow { len: 2 }, vec!["2"]),
        (
            Error::NotRepresentable {
                what: "sum of targets",
            },
            vec!["sum of targets", "overflows"],
        ),
        (in_sample(3, nan("logit", 0)), vec!["sample 3", "logit 0"]),
    ];
    for (err, parts) in cases {
        let message = err.to_string();
        for part in parts {
            assert!(message.contains(part), "{message:?} does not name {part:?}");
        }
    }
    // Errors computed by the library carry the actual values.
    let message = cross_entropy(&[0.5, 0.5], &[1.0, -0.25])
        .unwrap_err()
        .to_string();
    assert_eq!(message, "target 1 is negative: -0.25");
    let message = softmax_naive(&[0.0, 710.0]).unwrap_err().to_string();
    assert!(
        message.contains("logit 1") && message.contains("710"),
        "{message}"
    );
}

proptest! {
    /// Ok if and only if `|Σt − 1| ≤ target_sum_tolerance`, for targets
    /// `[a, 1 − a + δ]` with `δ` straddling the tolerance.
    #[test]
    fn tolerance_boundary(a in 0.0..=1.0_f64, k in -3.0..3.0_f64) {
        let tol = target_sum_tolerance::<f64>();
        let t = [a, (1.0 - a + k * tol).max(0.0)];
        let sum = t[0] + t[1];
        let ok = (sum - 1.0).abs() <= tol;
        let got = cross_entropy(&[0.5, 0.5], &t);
        prop_assert_eq!(got.is_ok(), ok, "t = {:?}, sum − 1 = {:e}", t, sum - 1.0);
        if !ok {
            prop_assert_eq!(got, Err(Error::TargetsDoNotSumToOne { sum, tolerance: tol }));
        }
    }
}

/// Infinite entries where only finite numbers make sense (exponentials, the
/// vector of a vector–Jacobian product, targets) are refused, and a formula
/// whose intermediate sum or product of finite inputs overflows reports that
/// instead of returning a silent NaN, `inf` or 0. (These cases were found by
/// `no_public_function_panics_or_returns_nan`.)
#[test]
fn infinite_and_overflowing_inputs() {
    const MAX: f64 = f64::MAX;
    let infinite = |what, index| Error::Infinite {
        what,
        index,
        value: INF,
    };
    let overflow = |what| Error::NotRepresentable { what };
    assert_fails!(
        softmax_from_exponentials(&[INF, 1.0]),
        infinite("exponential", 0)
    );
    assert_fails!(
        softmax_from_exponentials(&[MAX, MAX]),
        overflow("sum of exponentials")
    );
    assert_fails!(
        logistic::steps::two_class_quotient(1.0, INF),
        infinite("exponential", 1)
    );
    assert_fails!(
        logistic::steps::two_class_divided(INF, INF),
        infinite("exponential", 0)
    );
    assert_fails!(
        logistic::steps::two_class_quotient(MAX, MAX),
        overflow("sum of exponentials")
    );
    assert_fails!(
        jacobian::steps::diagonal_factored(&[INF, 1.0], 0),
        infinite("exponential", 0)
    );
    assert_fails!(
        jacobian::steps::diagonal_quotient_rule(&[MAX, MAX], 0),
        overflow("sum of exponentials")
    );
    // The sum 2e200 is finite, but the quotient rule divides by its square.
    assert_fails!(
        jacobian::steps::diagonal_quotient_rule(&[1e200, 1e200], 0),
        overflow("square of the sum of exponentials")
    );
    assert_fails!(
        jacobian::steps::off_diagonal_product(&[1e200, 1e200], 0, 1),
        overflow("square of the sum of exponentials")
    );
    assert_fails!(
        vector_jacobian_product(&[0.5, 0.5], &[INF, 0.0]),
        infinite("vector entry", 0)
    );
    assert_fails!(
        vector_jacobian_product(&[0.0, 1.0], &[0.0, -INF]),
        Error::Infinite {
            what: "vector entry",
            index: 1,
            value: -INF
        }
    );
    assert_fails!(
        vector_jacobian_product(&[1.0, 1.0], &[MAX, MAX]),
        overflow("vector-Jacobian product")
    );
    assert_fails!(
        cross_entropy_gradient_general(&[0.5, 0.5], &[INF, 0.0]),
        infinite("target", 0)
    );
    assert_fails!(
        cross_entropy_gradient_general(&[0.0, 1.0], &[MAX, MAX]),
        overflow("sum of targets")
    );
    assert_fails!(
        gradient::steps::chain_rule(&[0.5, 0.5], &[MAX, MAX], 0),
        overflow("gradient")
    );
    assert_fails!(
        gradient::steps::factored(&[0.0, 1.0], &[INF, 0.0], 0),
        infinite("target", 0)
    );
    // Large but representable inputs still work: MAX/2 + MAX/2 = MAX.
    assert_eq!(
        softmax_from_exponentials(&[MAX / 2.0, MAX / 2.0]).unwrap(),
        vec![0.5, 0.5]
    );
}

/// Map an arbitrary `f64` (quickcheck's are mostly of huge magnitude) into
/// `[0, 1]` by its binary exponent, keeping NaN a NaN and sending ±inf to 1.
fn to_probability(v: f64) -> f64 {
    (v.abs().log2() / 1024.0).clamp(0.0, 1.0)
}

/// Map an arbitrary `f64` to a logit of moderate size, `sign(v)·log₂|v|`,
/// keeping NaN and ±inf.
fn to_moderate(v: f64) -> f64 {
    if v == 0.0 {
        0.0
    } else {
        v.signum() * v.abs().log2()
    }
}

/// Every public function, called on the given inputs; each `Ok` result is
/// returned with the function's name.
#[allow(clippy::too_many_arguments)]
fn call_everything(
    z: &[f64],
    p: &[f64],
    t: &[f64],
    i: usize,
    j: usize,
    classes: usize,
    x: f64,
    w: f64,
) -> Vec<(&'static str, Vec<f64>)> {
    let mut outputs: Vec<(&'static str, Vec<f64>)> = Vec::new();
    let mut put = |name: &'static str, r: softmax_cross_entropy::Result<Vec<f64>>| {
        if let Ok(v) = r {
            outputs.push((name, v));
        }
    };
    let one = |r: softmax_cross_entropy::Result<f64>| r.map(|v| vec![v]);
    let mut out = vec![0.0; z.len()];

    put("softmax", softmax(z));
    put("softmax_naive", softmax_naive(z));
    put("softmax_from_exponentials", softmax_from_exponentials(z));
    put("log_sum_exp", one(log_sum_exp(z)));
    put("log_softmax", log_softmax(z));
    put(
        "softmax_into",
        softmax_into(z, &mut out).map(|_| out.clone()),
    );
    put(
        "log_softmax_into",
        log_softmax_into(z, &mut out).map(|_| out.clone()),
    );

    put("softmax_derivative_same", one(softmax_derivative_same(x)));
    put(
        "softmax_derivative_cross",
        one(softmax_derivative_cross(x, w)),
    );
    put("jacobian_element", one(jacobian_element(p, i, j)));
    put("jacobian", jacobian(p));
    let mut square = vec![0.0; p.len() * p.len()];
    put(
        "jacobian_into",
        jacobian_into(p, &mut square).map(|_| square.clone()),
    );
    put(
        "diagonal_quotient_rule",
        one(jacobian::steps::diagonal_quotient_rule(z, i)),
    );
    put(
        "diagonal_factored",
        one(jacobian::steps::diagonal_factored(z, i)),
    );
    put(
        "diagonal_complement",
        one(jacobian::steps::diagonal_complement(z, i)),
    );
    put(
        "off_diagonal_quotient_rule",
        one(jacobian::steps::off_diagonal_quotient_rule(z, i, j)),
    );
    put(
        "off_diagonal_product",
        one(jacobian::steps::off_diagonal_product(z, i, j)),
    );
    put("vector_jacobian_product", vector_jacobian_product(p, z));
    put(
        "vector_jacobian_product_into",
        vector_jacobian_product_into(p, t, &mut out).map(|_| out.clone()),
    );

    put("likelihood", one(likelihood(p, t)));
    put(
        "negative_log_likelihood",
        one(negative_log_likelihood(p, t)),
    );
    put("cross_entropy", one(cross_entropy(p, t)));
    put("cross_entropy_class", one(cross_entropy_class(p, i)));
    put(
        "cross_entropy_from_logits",
        one(cross_entropy_from_logits(z, t)),
    );
    put(
        "cross_entropy_from_logits_class",
        one(cross_entropy_from_logits_class(z, i)),
    );

    put("cross_entropy_gradient", cross_entropy_gradient(p, t));
    put(
        "cross_entropy_gradient_into",
        cross_entropy_gradient_into(p, t, &mut out).map(|_| out.clone()),
    );
    put(
        "cross_entropy_gradient_from_logits",
        cross_entropy_gradient_from_logits(z, t),
    );
    put(
        "cross_entropy_gradient_from_logits_into",
        cross_entropy_gradient_from_logits_into(z, t, &mut out).map(|_| out.clone()),
    );
    put(
        "cross_entropy_gradient_general",
        cross_entropy_gradient_general(p, t),
    );
    let names = [
        "chain_rule",
        "split_diagonal",
        "expanded",
        "merged",
        "factored",
        "normalized",
    ];
    for (name, step) in names.into_iter().zip(gradient_steps()) {
        put(name, one(step(p, t, i)));
    }

    let labels: Vec<usize> = t.iter().map(|v| (v * 4.0) as usize).collect();
    for reduction in [Reduction::Sum, Reduction::Mean] {
        put(
            "batch_cross_entropy",
            one(batch_cross_entropy(p, t, classes, reduction)),
        );
        put(
            "batch_cross_entropy_from_logits",
            one(batch_cross_entropy_from_logits(z, t, classes, reduction)),
        );
        put(
            "batch_cross_entropy_from_logits_classes",
            one(batch_cross_entropy_from_logits_classes(
                z, &labels, classes, reduction,
            )),
        );
        put(
            "batch_gradient_from_logits",
            batch_gradient_from_logits(z, t, classes, reduction),
        );
        put(
            "batch_gradient_from_logits_into",
            batch_gradient_from_logits_into(z, t, classes, reduction, &mut out)
                .map(|_| out.clone()),
        );
    }

    put("logistic", one(logistic(x)));
    put("logistic_derivative", one(logistic_derivative(x)));
    put("binary_cross_entropy", one(binary_cross_entropy(x, w)));
    put(
        "binary_cross_entropy_from_logit",
        one(binary_cross_entropy_from_logit(x, w)),
    );
    put(
        "two_class_quotient",
        one(logistic::steps::two_class_quotient(x, w)),
    );
    put(
        "two_class_divided",
        one(logistic::steps::two_class_divided(x, w)),
    );

    put(
        "central_difference_jacobian",
        central_difference_jacobian(|v: &[f64]| softmax(v), z),
    );
    put(
        "forward_mode_jacobian",
        forward_mode_jacobian(|v: &[F1]| softmax(v), z, F1::new, |d: F1| d.deriv()),
    );
    outputs
}

/// Call every public function on arbitrary input (quickcheck's `f64` includes
/// NaN, ±inf, ±MAX, ±0) and check that each returns `Ok` or `Err` without
/// panicking and that no `Ok` value holds a NaN. The raw vectors rarely pass
/// the input checks, so each call is also made on derived inputs that often
/// do: moderate logits, probabilities in `[0, 1]`, targets normalized to sum
/// to 1, and in-range indices.
#[test]
fn no_public_function_panics_or_returns_nan() {
    fn prop(
        a: Vec<f64>,
        b: Vec<f64>,
        i: usize,
        j: usize,
        classes: usize,
        x: f64,
        w: f64,
    ) -> TestResult {
        let n = a.len();
        let matched: Vec<f64> = (0..n).map(|k| b.get(k).copied().unwrap_or(0.0)).collect();
        let moderate: Vec<f64> = a.iter().map(|&v| to_moderate(v)).collect();
        let p: Vec<f64> = a.iter().map(|&v| to_probability(v)).collect();
        let q: Vec<f64> = matched.iter().map(|&v| to_probability(v)).collect();
        let total: f64 = q.iter().sum();
        let t: Vec<f64> = q.iter().map(|v| v / total).collect();
        let (ni, nj) = (i % (n + 2), j % (n + 2));
        let classes = classes % (n + 2);
        let runs = [
            call_everything(&a, &a, &b, i, j, classes, x, w),
            call_everything(&a, &p, &t, ni, nj, classes, x, w),
            call_everything(
                &moderate,
                &p,
                &matched,
                ni,
                nj,
                classes,
                to_moderate(x),
                to_probability(w),
            ),
            call_everything(
                &moderate,
                &p,
                &t,
                ni,
                nj,
                1,
                to_probability(x),
                to_probability(w),
            ),
        ];
        for outputs in runs {
            let nan = outputs.iter().find(|(_, v)| v.iter().any(|x| x.is_nan()));
            if let Some((name, v)) = nan {
                return within_shrink_budget(TestResult::error(format!(
                    "{name} returned a NaN: {v:?}\n for a = {a:?}, b = {b:?}, i = {i}, j = {j}, classes = {classes}, x = {x}, w = {w}"
                )));
            }
        }
        within_shrink_budget(TestResult::passed())
    }
    quickcheck_runner()
        .quickcheck(prop as fn(Vec<f64>, Vec<f64>, usize, usize, usize, f64, f64) -> TestResult);
}
