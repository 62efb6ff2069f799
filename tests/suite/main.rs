//! The integration test suite: property tests (proptest and quickcheck),
//! exact rational checks, automatic differentiation and finite differences,
//! one module per module of the library, plus the checks of the book's
//! generated artifacts (figures and the traceability table), and the check of
//! every display equation of the book from its LaTeX (`equations`).

mod accuracy;
mod artifacts;
mod batch;
mod common;
mod cross_entropy;
mod equations;
mod errors;
mod extremes;
mod gradient;
mod jacobian;
mod likelihood;
mod logistic;
mod mutation_regressions;
mod oracle;
mod softmax;
mod verify;
