//! Shared helpers of the test suite (being written).
#![allow(dead_code)]
