//! candle's side of `cargo xtask bench --peers`: the idiomatic candle 0.9
//! forms on the CPU, with the protocol and the inputs of `benches/protocol/src/lib.rs`.
//!
//! - softmax: `candle_nn::ops::softmax_last_dim`;
//! - class labels: `candle_nn::loss::cross_entropy` (the mean over the rows)
//!   of a `Var`, then `backward` and the gradient of the logits;
//! - soft targets: candle_nn has no soft-target loss; the mean over the rows
//!   of `-(t · log_softmax(z))`, with `candle_nn::ops::log_softmax`, then
//!   `backward`.
//!
//! Built by `cargo xtask bench --peers` with `-C target-cpu=native`, since
//! candle's CPU code picks its vector instructions at compile time
//! (`candle_core::utils::with_avx`), and run with `RAYON_NUM_THREADS=1`
//! on the pinned core.

use bench_protocol::{Plan, input_check, inputs, time_line};
use candle_core::{D, DType, Device, Result, Tensor, Var};
use std::process::ExitCode;

fn main() -> ExitCode {
    let plan = match Plan::from_args(std::env::args().skip(1)) {
        Ok(plan) => plan,
        Err(e) => {
            eprintln!("candle-peer: {e}");
            return ExitCode::FAILURE;
        }
    };
    println!(
        "meta\tisa.candle\tcompile-time features of candle_core::utils: with_avx (AVX2) {}, \
         with_f16c {}, has_mkl {}; threads {}",
        candle_core::utils::with_avx(),
        candle_core::utils::with_f16c(),
        candle_core::utils::has_mkl(),
        candle_core::utils::get_num_threads()
    );
    println!("meta\tcandle\t{}", candle_version());
    let (rows, classes) = plan.shapes[0];
    let (z, labels, _) = inputs(rows, classes);
    println!("{}", input_check(&z, &labels));
    for &shape in &plan.shapes {
        for dtype in [DType::F32, DType::F64] {
            if let Err(e) = bench(&plan, shape, dtype) {
                eprintln!("candle-peer: {e}");
                return ExitCode::FAILURE;
            }
        }
    }
    ExitCode::SUCCESS
}

fn bench(plan: &Plan, (rows, classes): (usize, usize), dtype: DType) -> Result<()> {
    let device = Device::Cpu;
    let ty = if dtype == DType::F32 { "f32" } else { "f64" };
    let (z, labels, t) = inputs(rows, classes);
    let n = z.len();
    let z = Tensor::from_vec(z, (rows, classes), &device)?.to_dtype(dtype)?;
    let t = Tensor::from_vec(t, (rows, classes), &device)?.to_dtype(dtype)?;
    let labels: Vec<u32> = labels.iter().map(|&k| k as u32).collect();
    let labels = Tensor::from_vec(labels, rows, &device)?;
    let z = Var::from_tensor(&z)?;
    let softmax = || candle_nn::ops::softmax_last_dim(&z);
    let with_labels = || -> Result<(Tensor, Tensor)> {
        let loss = candle_nn::loss::cross_entropy(&z, &labels)?;
        let grads = loss.backward()?;
        let grad = grads
            .get(&z)
            .cloned()
            .ok_or_else(|| candle_core::Error::Msg("no gradient".into()))?;
        Ok((loss, grad))
    };
    let with_targets = || -> Result<(Tensor, Tensor)> {
        let log_y = candle_nn::ops::log_softmax(&z, D::Minus1)?;
        let loss = ((&t * &log_y)?.sum_all()?.neg()? / rows as f64)?;
        let grads = loss.backward()?;
        let grad = grads
            .get(&z)
            .cloned()
            .ok_or_else(|| candle_core::Error::Msg("no gradient".into()))?;
        Ok((loss, grad))
    };
    // Each once outside the timing, so that an error is reported rather
    // than timed.
    softmax()?;
    with_labels()?;
    with_targets()?;
    let shape = (rows, classes);
    let line = |group, m| println!("{}", time_line(group, "candle", ty, shape, m));
    line("softmax", plan.measure(n, softmax));
    line("labels", plan.measure(n, with_labels));
    line("soft", plan.measure(n, with_targets));
    Ok(())
}

/// candle-core's version, from this workspace's lockfile.
fn candle_version() -> &'static str {
    let lock = include_str!("../Cargo.lock");
    lock.split("[[package]]")
        .find(|p| p.contains("name = \"candle-core\""))
        .and_then(|p| p.split("version = \"").nth(1))
        .and_then(|v| v.split('"').next())
        .unwrap_or("unknown")
}
