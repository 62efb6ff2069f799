//! Tests added to kill mutants that the rest of the suite missed (see book/mutation-testing.md).
