//! The test bounds against the long run: every bound of
//! [`super::measure::ulp_bound`] and [`super::measure::absolute_test_bound`]
//! is at least the worst error of the last long run ([`super::properties::REPORT`])
//! and at most 1.5 times it (or the promise, or the 0.5 ulp of a correctly
//! rounded result), so that the tests hold what was measured, not what is
//! promised.

use super::measure::{ULP_BOUND, absolute_bound, absolute_test_bound, ulp_bound};
use super::properties::REPORT;

#[test]
fn test_bounds_follow_the_long_run() {
    let text = std::fs::read_to_string(crate::artifacts::root().join(REPORT)).expect("the report");
    // The worst case of each (function, kind) over both types: one bound
    // serves f32 and f64.
    let mut worst: std::collections::BTreeMap<(String, String), f64> = Default::default();
    for line in text.lines().filter(|l| !l.starts_with('#')) {
        let (key, value) = line.split_once('\t').expect("KEY<TAB>VALUE");
        let Some((function, kind)) = key
            .rsplit_once('.')
            .and_then(|(fty, kind)| fty.rsplit_once('.').map(|(f, _ty)| (f, kind)))
        else {
            continue; // `cases`
        };
        let value: f64 = value.parse().expect("a number");
        let w = worst
            .entry((function.to_owned(), kind.to_owned()))
            .or_default();
        *w = w.max(value);
    }
    for ((function, kind), worst) in &worst {
        let (bound, cap) = match kind.as_str() {
            "ulp" => (ulp_bound(function), ULP_BOUND),
            "abs" => (absolute_test_bound(function), absolute_bound(function)),
            other => panic!("unknown kind {other} of {function}"),
        };
        assert!(
            *worst <= bound,
            "{function} ({kind}): the long run measured {worst} > the test bound {bound}"
        );
        let loose = bound > 1.5 * worst && bound != cap && bound != 0.5;
        assert!(
            !loose,
            "{function} ({kind}): the test bound {bound} is more than 1.5 × the measured {worst}"
        );
    }
    assert!(
        worst.len() >= 26,
        "only {} entries in {REPORT}",
        worst.len()
    );
}
