//! The traceability appendix (being written).
