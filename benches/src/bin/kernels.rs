//! The kernels' side of `cargo xtask bench`: softmax, the loss and its
//! gradient with class labels and with soft targets, and a copy of the
//! batch (the floor of any kernel that reads the batch and writes one of the
//! same size), through the public API `softmax_cross_entropy::fused`, with
//! the protocol of `benches/protocol/src/lib.rs`. The side `kernel` is the
//! default path (`fused::instruction_set()`); softmax and class labels are
//! also measured held to each other path this processor has
//! (`kernel_avx2`, `kernel_portable`, …).

use bench_protocol::{Plan, input_check, inputs, time_line};
use softmax_cross_entropy::batch::Reduction;
use softmax_cross_entropy::fused::{
    InstructionSet, KernelFloat, instruction_set, instruction_sets, loss_and_gradient,
    loss_and_gradient_classes, softmax_rows, with_instruction_set,
};
use std::process::ExitCode;

fn main() -> ExitCode {
    let plan = match Plan::from_args(std::env::args().skip(1)) {
        Ok(plan) => plan,
        Err(e) => {
            eprintln!("kernels: {e}");
            return ExitCode::FAILURE;
        }
    };
    let sets: Vec<&str> = instruction_sets().iter().map(|s| s.name()).collect();
    println!(
        "meta\tisa.kernel\t{} (fused::instruction_set(), the path the kernels take by \
         default); the paths this processor has: {}",
        instruction_set().name(),
        sets.join(", ")
    );
    let (rows, classes) = plan.shapes[0];
    let (z, labels, _) = inputs(rows, classes);
    println!("{}", input_check(&z, &labels));
    for &shape in &plan.shapes {
        if let Err(e) = bench::<f32>(&plan, shape, "f32").and(bench::<f64>(&plan, shape, "f64")) {
            eprintln!("kernels: {e}");
            return ExitCode::FAILURE;
        }
    }
    ExitCode::SUCCESS
}

fn bench<T: KernelFloat>(
    plan: &Plan,
    (rows, classes): (usize, usize),
    ty: &str,
) -> softmax_cross_entropy::Result<()> {
    let (z, labels, t) = inputs(rows, classes);
    let z: Vec<T> = z.into_iter().map(T::narrow).collect();
    let t: Vec<T> = t.into_iter().map(T::narrow).collect();
    let mut out = vec![T::zero(); z.len()];
    let n = z.len();
    let shape = (rows, classes);
    // Each case once outside the timing, so that an error is reported
    // rather than timed.
    softmax_rows(&z, classes, &mut out)?;
    loss_and_gradient_classes(&z, &labels, classes, Reduction::Mean, &mut out)?;
    loss_and_gradient(&z, &t, classes, Reduction::Mean, &mut out)?;
    let line = |group, m| println!("{}", time_line(group, "kernel", ty, shape, m));
    line(
        "softmax",
        plan.measure(n, || softmax_rows(&z, classes, &mut out)),
    );
    line(
        "labels",
        plan.measure(n, || {
            loss_and_gradient_classes(&z, &labels, classes, Reduction::Mean, &mut out)
        }),
    );
    line(
        "soft",
        plan.measure(n, || {
            loss_and_gradient(&z, &t, classes, Reduction::Mean, &mut out)
        }),
    );
    line("copy", plan.measure(n, || out.copy_from_slice(&z)));
    // Softmax and class labels on every other path this processor has,
    // held to it by `with_instruction_set`: what each path buys.
    for set in instruction_sets() {
        if set == instruction_set() {
            continue;
        }
        let side = side_name(set);
        let held = |f: &mut dyn FnMut() -> softmax_cross_entropy::Result<()>| {
            with_instruction_set(set, || plan.measure(n, f))
        };
        let softmax = held(&mut || softmax_rows(&z, classes, &mut out));
        let labels = held(&mut || {
            loss_and_gradient_classes(&z, &labels, classes, Reduction::Mean, &mut out).map(|_| ())
        });
        for (group, m) in [("softmax", softmax), ("labels", labels)] {
            if let Some(m) = m {
                println!("{}", time_line(group, side, ty, shape, m));
            }
        }
    }
    Ok(())
}

/// The side's name for the kernels held to `set`: `kernel_avx2` and so on
/// (no `+` or `-`, which the claims' keys read as operators).
fn side_name(set: InstructionSet) -> &'static str {
    match set {
        InstructionSet::Portable => "kernel_portable",
        InstructionSet::Fma => "kernel_fma",
        InstructionSet::Avx2Fma => "kernel_avx2",
        InstructionSet::Avx512 => "kernel_avx512",
    }
}
