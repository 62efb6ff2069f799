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
    // Keep the worst of the committed report and of this run: each run draws
    // new inputs, and a bound must hold for every worst case seen so far.
    let path = crate::artifacts::root().join(REPORT);
    let old = std::fs::read_to_string(&path).unwrap_or_default();
    let mut worst: std::collections::BTreeMap<String, f64> = Default::default();
    let mut cases = u64::from(super::cases());
    let mut header = String::new();
    for line in old.lines() {
        if line.starts_with('#') {
            header.push_str(line);
            header.push('\n');
        } else if let Some((key, value)) = line.split_once('\t') {
            let value: f64 = value.parse().expect("a number");
            if key == "cases" {
                cases += value as u64;
            } else {
                worst.insert(key.to_owned(), value);
            }
        }
    }
    for ((f, ty), s) in &tally.stats {
        for (kind, n, value) in [
            ("ulp", s.samples, s.max_ulps),
            ("abs", s.ill_samples, s.max_abs),
        ] {
            if n > 0 {
                let w = worst.entry(format!("{f}.{ty}.{kind}")).or_default();
                *w = w.max((value * 1e4).ceil() / 1e4);
            }
        }
    }
    if header.is_empty() {
        header = "# The worst errors of the accuracy properties (tests/suite/accuracy/properties.rs, accuracy_report).\n".into();
    }
    let mut out = format!("{header}cases\t{cases}\n");
    for (key, value) in worst {
        out.push_str(&format!("{key}\t{value:.4}\n"));
    }
    std::fs::write(path, out).expect("write the report");
}
