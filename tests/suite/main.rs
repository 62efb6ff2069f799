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
mod double_double;
mod equations;
mod errors;
mod extremes;
mod fused;
mod fused_issue16;
mod fused_oracle;
mod gradient;
mod jacobian;
mod likelihood;
mod logistic;
mod mutation_regressions;
mod online_normalizer;
mod oracle;
mod softmax;
mod vector_math;
mod verify;
