//! The kernels and the reference functions on the shapes of the book's table
//! and plot, for `f32` and `f64`. Ids: `GROUP/FUNCTION/TYPE/ROWSxCLASSES`.
//! Run by `cargo xtask bench`, which reads criterion's estimates.

use benches::{CpuTime, SWEEP_CLASSES, TABLE_SHAPES, inputs, sweep_rows};
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use softmax_cross_entropy::batch::{
    Reduction, batch_cross_entropy_from_logits_classes, batch_gradient_from_logits_into,
};
use softmax_cross_entropy::fused::{KernelFloat, loss_and_gradient_classes, softmax_rows};
use softmax_cross_entropy::softmax::softmax_into;
use softmax_cross_entropy::vector_math::{exp, exp_into};
use std::hint::black_box;
use std::time::Duration;

fn shapes() -> Vec<(usize, usize, bool)> {
    let mut s: Vec<_> = TABLE_SHAPES.iter().map(|&(n, c)| (n, c, true)).collect();
    s.extend(SWEEP_CLASSES.iter().map(|&c| (sweep_rows(c), c, false)));
    s
}

fn bench_type<T: KernelFloat>(c: &mut Criterion<CpuTime>, name: &str) {
    for (rows, classes, table) in shapes() {
        let (z, labels) = inputs(rows, classes);
        let z: Vec<T> = z.into_iter().map(T::narrow).collect();
        let one_hot: Vec<T> = labels
            .iter()
            .flat_map(|&k| (0..classes).map(move |j| if j == k { T::one() } else { T::zero() }))
            .collect();
        let mut out = vec![T::zero(); z.len()];
        let shape = format!("{rows}x{classes}");
        let mut group = c.benchmark_group("softmax");
        group.throughput(Throughput::Elements(z.len() as u64));
        group.bench_function(BenchmarkId::new(format!("kernel/{name}"), &shape), |b| {
            b.iter(|| softmax_rows(black_box(&z), classes, &mut out).unwrap())
        });
        if table || name == "f32" {
            group.bench_function(BenchmarkId::new(format!("reference/{name}"), &shape), |b| {
                b.iter(|| {
                    for (z, o) in black_box(&z).chunks(classes).zip(out.chunks_mut(classes)) {
                        softmax_into(z, o).unwrap();
                    }
                })
            });
        }
        group.finish();
        let mut group = c.benchmark_group("loss_and_gradient");
        group.throughput(Throughput::Elements(z.len() as u64));
        group.bench_function(BenchmarkId::new(format!("kernel/{name}"), &shape), |b| {
            b.iter(|| {
                loss_and_gradient_classes(
                    black_box(&z),
                    &labels,
                    classes,
                    Reduction::Mean,
                    &mut out,
                )
                .unwrap()
            })
        });
        if table || name == "f32" {
            group.bench_function(BenchmarkId::new(format!("reference/{name}"), &shape), |b| {
                b.iter(|| {
                    let loss = batch_cross_entropy_from_logits_classes(
                        black_box(&z),
                        &labels,
                        classes,
                        Reduction::Mean,
                    )
                    .unwrap();
                    batch_gradient_from_logits_into(
                        &z,
                        &one_hot,
                        classes,
                        Reduction::Mean,
                        &mut out,
                    )
                    .unwrap();
                    loss
                })
            });
        }
        group.finish();
    }
}

/// What the run-time dispatch buys: `exp_into` (AVX2 and FMA where the
/// processor has them) against the same exponential in a loop compiled for
/// the baseline (this crate is compiled for the baseline).
fn bench_exp<T: KernelFloat + softmax_cross_entropy::vector_math::VectorExp>(
    c: &mut Criterion<CpuTime>,
    name: &str,
) {
    let (rows, classes) = TABLE_SHAPES[0];
    let (z, _) = inputs(rows, classes);
    let x: Vec<T> = z.into_iter().map(T::narrow).collect();
    let mut out = vec![T::zero(); x.len()];
    let shape = format!("{rows}x{classes}");
    let mut group = c.benchmark_group("exp");
    group.throughput(Throughput::Elements(x.len() as u64));
    group.bench_function(
        BenchmarkId::new(format!("dispatched/{name}"), &shape),
        |b| b.iter(|| exp_into(black_box(&x), &mut out).unwrap()),
    );
    group.bench_function(BenchmarkId::new(format!("baseline/{name}"), &shape), |b| {
        b.iter(|| {
            for (o, &x) in out.iter_mut().zip(black_box(&x)) {
                *o = exp(x);
            }
        })
    });
    group.finish();
}

fn kernels(c: &mut Criterion<CpuTime>) {
    bench_exp::<f32>(c, "f32");
    bench_exp::<f64>(c, "f64");
    bench_type::<f32>(c, "f32");
    bench_type::<f64>(c, "f64");
}

fn config() -> Criterion<CpuTime> {
    Criterion::default()
        .with_measurement(CpuTime)
        .sample_size(10)
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_secs(1))
        .without_plots()
}

criterion_group! {
    name = benches;
    config = config();
    targets = kernels
}
criterion_main!(benches);
