//! The fused kernels measured with the oracle of the accuracy suite
//! (`oracle.rs`, dashu-float at high precision) on its adversarial
//! generators, category by category: every output within 8 ulps of the truth
//! (the soft-target gradient, ill-conditioned where y ≈ t, within 8 ε
//! absolute). `ACCURACY_CASES` sets the number of cases per category (the
//! default here is an eighth of the accuracy suite's, at least 4); the
//! category of 10^5 logits runs only when `ACCURACY_CASES` is set.

use crate::accuracy::generators::{Category, case};
use crate::accuracy::{cases, config};
use crate::oracle::{Logits, Measured, abs_error, ulp_error};
use proptest::test_runner::{TestCaseError, TestRunner};
use softmax_cross_entropy::batch::Reduction;
use softmax_cross_entropy::fused::{
    KernelFloat, log_softmax_rows, loss_and_gradient, loss_and_gradient_classes, softmax_rows,
};

/// The bound stated in the book for every kernel, in ulps.
const BOUND: f64 = 8.0;

fn check<T: Measured + KernelFloat>(z: &[T], k: usize, t: &[T]) -> Result<f64, TestCaseError> {
    let c = z.len();
    let wide: Vec<f64> = z.iter().map(|&x| Measured::widen(x)).collect();
    let oracle = Logits::new(&wide);
    let mut out = vec![T::zero(); c];
    let mut worst = 0.0_f64;
    let mut up = |what: &str, j: usize, e: f64| -> Result<(), TestCaseError> {
        worst = worst.max(e);
        if e > BOUND {
            return Err(TestCaseError::fail(format!("{what}[{j}]: {e} ulp")));
        }
        Ok(())
    };
    softmax_rows(z, c, &mut out).map_err(|e| TestCaseError::fail(e.to_string()))?;
    for (j, &y) in out.iter().enumerate() {
        up("softmax", j, ulp_error(y, &oracle.softmax(j)))?;
    }
    log_softmax_rows(z, c, &mut out).map_err(|e| TestCaseError::fail(e.to_string()))?;
    for (j, &l) in out.iter().enumerate() {
        up("log_softmax", j, ulp_error(l, &oracle.log_softmax(j)))?;
    }
    let loss = loss_and_gradient_classes(z, &[k], c, Reduction::Sum, &mut out)
        .map_err(|e| TestCaseError::fail(e.to_string()))?;
    up(
        "loss (class)",
        k,
        ulp_error(loss, &oracle.cross_entropy_class(k)),
    )?;
    let one_hot: Vec<f64> = (0..c).map(|j| if j == k { 1.0 } else { 0.0 }).collect();
    for (j, &g) in out.iter().enumerate() {
        up(
            "gradient (class)",
            j,
            ulp_error(g, &oracle.gradient(&one_hot, j)),
        )?;
    }
    let t_wide: Vec<f64> = t.iter().map(|&x| Measured::widen(x)).collect();
    if let Ok(loss) = loss_and_gradient(z, t, c, Reduction::Sum, &mut out) {
        up(
            "loss (targets)",
            0,
            ulp_error(loss, &oracle.cross_entropy(&t_wide)),
        )?;
        let eps = Measured::widen(T::epsilon());
        for (j, &g) in out.iter().enumerate() {
            let e = abs_error(Measured::widen(g), &oracle.gradient(&t_wide, j)) / eps;
            up("gradient (targets), in ε", j, e)?;
        }
    }
    Ok(worst)
}

fn run<T: Measured + KernelFloat>() {
    let explicit = std::env::var_os("ACCURACY_CASES").is_some();
    let mut config = config();
    if !explicit {
        config.cases = (cases() / 8).max(4);
    }
    crate::fused::on_every_instruction_set(|set| run_on::<T>(set.name(), &config, explicit));
}

fn run_on<T: Measured + KernelFloat>(
    set: &str,
    config: &proptest::test_runner::Config,
    explicit: bool,
) {
    for category in Category::ALL {
        if category == Category::Large && !explicit {
            continue;
        }
        let worst = std::cell::Cell::new(0.0_f64);
        let mut runner = TestRunner::new(config.clone());
        let outcome = runner.run(&case::<T>(category), |(z, k, t)| {
            worst.set(worst.get().max(check(&z, k, &t)?));
            Ok(())
        });
        if let Err(e) = outcome {
            panic!(
                "fused kernels ({set}, {}, {}): {e}",
                category.name(),
                T::FORMAT.name
            );
        }
        println!(
            "fused kernels, {set}, {} {}: worst {:.3}",
            T::FORMAT.name,
            category.name(),
            worst.get()
        );
    }
}

#[test]
fn fused_kernels_against_the_oracle_f32() {
    run::<f32>();
}

#[test]
fn fused_kernels_against_the_oracle_f64() {
    run::<f64>();
}
