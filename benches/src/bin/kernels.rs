//! The kernels' side of `cargo xtask bench`: softmax, the loss and its
//! gradient with class labels and with soft targets, and a copy of the
//! batch (the floor of any kernel that reads the batch and writes one of the
//! same size), through the public API `softmax_cross_entropy::fused`, with
//! the protocol of `benches/protocol/src/lib.rs`.

use bench_protocol::{Plan, input_check, inputs, time_line};
use softmax_cross_entropy::batch::Reduction;
use softmax_cross_entropy::fused::{
    KernelFloat, loss_and_gradient, loss_and_gradient_classes, softmax_rows,
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
    println!("meta\tisa.kernel\t{}", instruction_set());
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
    Ok(())
}

/// The instruction set of the kernels' loops on this processor.
///
/// The crate has no public way to ask which path its dispatch took. At the
/// time of writing, `src/dispatch.rs` runs the loops compiled for pulp's
/// x86-64-v3 (AVX2 and FMA) when `pulp::Arch::new()` finds them, else the
/// baseline build, and the crate enables no `x86-v4` feature of pulp; the
/// answer below rests on that, and says "unknown" as soon as the crate's
/// manifest names `x86-v4`, so that a new path is not reported as the old.
fn instruction_set() -> String {
    let manifest = include_str!("../../../Cargo.toml");
    let pulp_line = manifest
        .lines()
        .find(|l| l.trim_start().starts_with("pulp"))
        .unwrap_or("");
    if pulp_line.contains("x86-v4") {
        return "unknown: the crate enables pulp's x86-v4 path, and benches/src/bin/kernels.rs \
                cannot tell which path its dispatch takes"
            .into();
    }
    #[cfg(target_arch = "x86_64")]
    {
        let avx512 = if is_x86_feature_detected!("avx512f") {
            "; the processor also has AVX-512F, which the crate does not use"
        } else {
            ""
        };
        // The features of pulp 0.22's `V3`.
        let v3 = is_x86_feature_detected!("avx")
            && is_x86_feature_detected!("avx2")
            && is_x86_feature_detected!("fma")
            && is_x86_feature_detected!("bmi1")
            && is_x86_feature_detected!("bmi2")
            && is_x86_feature_detected!("lzcnt")
            && is_x86_feature_detected!("popcnt")
            && is_x86_feature_detected!("sse4.2")
            && is_x86_feature_detected!("ssse3");
        if v3 {
            format!(
                "x86-64-v3 (AVX2+FMA, 256-bit), assumed from is_x86_feature_detected! and the \
                 dispatch of this commit{avx512}"
            )
        } else {
            "x86-64 baseline (SSE2, no FMA), assumed from is_x86_feature_detected!".into()
        }
    }
    #[cfg(target_arch = "aarch64")]
    {
        "aarch64 baseline (NEON, FMA)".into()
    }
    #[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64")))]
    {
        format!("{} baseline", std::env::consts::ARCH)
    }
}
