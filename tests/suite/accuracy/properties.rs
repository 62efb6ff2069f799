//! The accuracy properties: for each category of adversarial logits and each
//! type, every function of the softmax family within its bound of the oracle
//! (see `measure`).

use super::config;
use super::generators::{Category, case};
use super::measure::{Tally, logits_case};
use crate::oracle::Measured;
use proptest::test_runner::TestRunner;

/// Run the category's property for `T` with `runner`, tallying every result.
pub fn run_category<T: Measured>(category: Category, runner: &mut TestRunner) -> Tally {
    let tally = std::cell::RefCell::new(Tally::default());
    let outcome = runner.run(&case::<T>(category), |(z, k, t)| {
        let mut one = Tally::default();
        logits_case(&z, k, &t, &mut one);
        let verdict = one.verdict();
        tally.borrow_mut().merge(one);
        verdict.map_err(proptest::test_runner::TestCaseError::fail)
    });
    if let Err(e) = outcome {
        panic!("accuracy ({}, {}): {e}", category.name(), T::FORMAT.name);
    }
    tally.into_inner()
}

macro_rules! accuracy_properties {
    ($($name:ident: $category:expr, $ty:ty;)*) => {$(
        #[test]
        fn $name() {
            run_category::<$ty>($category, &mut TestRunner::new(config()));
        }
    )*};
}

accuracy_properties! {
    accuracy_scaled_f32: Category::Scaled, f32;
    accuracy_scaled_f64: Category::Scaled, f64;
    accuracy_offset_f32: Category::Offset, f32;
    accuracy_offset_f64: Category::Offset, f64;
    accuracy_dominant_f32: Category::Dominant, f32;
    accuracy_dominant_f64: Category::Dominant, f64;
    accuracy_equal_f32: Category::Equal, f32;
    accuracy_equal_f64: Category::Equal, f64;
    accuracy_subnormal_f32: Category::Subnormal, f32;
    accuracy_subnormal_f64: Category::Subnormal, f64;
    accuracy_extreme_f32: Category::Extreme, f32;
    accuracy_extreme_f64: Category::Extreme, f64;
    accuracy_tail_f32: Category::Tail, f32;
    accuracy_tail_f64: Category::Tail, f64;
    accuracy_large_f32: Category::Large, f32;
    accuracy_large_f64: Category::Large, f64;
    accuracy_negative_infinity_f32: Category::NegativeInfinity, f32;
    accuracy_negative_infinity_f64: Category::NegativeInfinity, f64;
    accuracy_subnormal_terms_f32: Category::SubnormalTerms, f32;
    accuracy_subnormal_terms_f64: Category::SubnormalTerms, f64;
    accuracy_vanishing_terms_f32: Category::VanishingTerms, f32;
    accuracy_vanishing_terms_f64: Category::VanishingTerms, f64;
}

/// The artifact of [`accuracy_report`]: the worst errors of the long run.
pub const REPORT: &str = "book/measurements/accuracy-report.tsv";

/// The worst measured error of every function over every category and both
/// types: the run behind the bounds of [`super::measure::ulp_bound`] and
/// [`super::measure::absolute_test_bound`], written to [`REPORT`]
/// (`ACCURACY_CASES=1000 cargo test --release --test suite -- --ignored accuracy_report`,
/// about 5 minutes on 2 cores).
#[test]
#[ignore]
fn accuracy_report() {
    use super::generators::Category;
    let mut tally = Tally::default();
    for category in Category::ALL {
        tally.merge(run_category::<f32>(
            category,
            &mut TestRunner::new(config()),
        ));
        tally.merge(run_category::<f64>(
            category,
            &mut TestRunner::new(config()),
        ));
    }
    tally.merge(super::batch::run::<f32>(4096));
    tally.merge(super::batch::run::<f64>(4096));
    let mut out = format!(
        "# The worst errors of every function of the accuracy properties, over every category and both types,\n\
         # quoted as `accuracy-report.KEY` and checked against the test bounds (tests/suite/accuracy/bounds.rs).\n\
         # Written by `ACCURACY_CASES=N cargo test --release --test suite -- --ignored accuracy_report`.\n\
         cases\t{}\n",
        super::cases()
    );
    for ((f, ty), s) in &tally.stats {
        if s.samples > 0 {
            out.push_str(&format!("{f}.{ty}.ulp\t{:.4}\n", s.max_ulps));
        }
        if s.ill_samples > 0 {
            out.push_str(&format!("{f}.{ty}.abs\t{:.4}\n", s.max_abs));
        }
    }
    std::fs::write(crate::artifacts::root().join(REPORT), out).expect("write the report");
}
