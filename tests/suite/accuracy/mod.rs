//! Accuracy against the truth: every float function of the library measured
//! in ulps against the high-precision oracle (`crate::oracle`), on the
//! adversarial inputs of `generators`, for `f32` and `f64`.
//!
//! - `generators`: one proptest strategy per category of adversarial input;
//! - `measure`: each function against the oracle, and the bounds;
//! - `properties`: the properties, one per category and type;
//! - `batch`: batch losses and gradients, with `N` tiled past `2^{24}`;
//! - `regressions`: one test per failure of the audit (issue 8), each of
//!   which failed before the fixes.
//!
//! Case counts: `ACCURACY_CASES` if set, else [`DEFAULT_CASES`] (8) per
//! property. The long run is
//! `ACCURACY_CASES=100000 cargo test --release --test suite accuracy`
//! (also `cargo xtask accuracy`).

pub mod batch;
mod bounds;
pub mod generators;
mod issue16;
pub mod measure;
pub mod properties;
mod regressions;

use proptest::test_runner::Config;

/// The default number of cases of each accuracy property (one property per
/// category and type, 18 in all, each case measuring every function of the
/// softmax family on up to 10⁵ classes): small enough that a warm
/// `cargo test` stays well under 10 s on 2 cores.
pub const DEFAULT_CASES: u32 = 8;

/// The number of cases of each accuracy property: `ACCURACY_CASES`, or
/// [`DEFAULT_CASES`].
pub fn cases() -> u32 {
    std::env::var("ACCURACY_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(DEFAULT_CASES)
}

/// The proptest configuration of the accuracy properties.
pub fn config() -> Config {
    Config {
        cases: cases(),
        // A failure is reported with its input; shrinking a 10⁵-entry vector
        // would take long and add nothing.
        max_shrink_iters: 64,
        failure_persistence: None,
        ..Config::default()
    }
}
