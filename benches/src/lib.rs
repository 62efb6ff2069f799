//! Criterion benchmarks of the fused kernels (`cargo xtask bench`): the
//! shapes, the inputs, and a criterion measurement of process CPU time.

use cpu_time::ProcessTime;
use criterion::measurement::{Measurement, ValueFormatter};
use std::time::Duration;

/// The batches of the benchmark table and plot: `(rows, classes)`.
pub const TABLE_SHAPES: [(usize, usize); 2] = [(4096, 1000), (100_000, 10)];

/// The class counts of the plot's sweep, each with about 2^20 entries.
pub const SWEEP_CLASSES: [usize; 6] = [10, 32, 100, 320, 1000, 3200];

/// Rows of a sweep batch of `classes` classes.
pub fn sweep_rows(classes: usize) -> usize {
    (1 << 20) / classes
}

/// Logits uniform in `[-5, 5)` and labels, from a fixed seed (SplitMix64):
/// the same inputs in every run (the Python peers draw their own, of the same
/// distribution).
pub fn inputs(rows: usize, classes: usize) -> (Vec<f64>, Vec<usize>) {
    let mut state = 0x5eed_u64;
    let mut next = move || {
        state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    };
    let z = (0..rows * classes)
        .map(|_| (next() >> 11) as f64 / (1u64 << 53) as f64 * 10.0 - 5.0)
        .collect();
    let labels = (0..rows)
        .map(|_| (next() % classes as u64) as usize)
        .collect();
    (z, labels)
}

/// Criterion's measurement of the process's CPU time (all its threads).
pub struct CpuTime;

impl Measurement for CpuTime {
    type Intermediate = ProcessTime;
    type Value = Duration;

    fn start(&self) -> ProcessTime {
        ProcessTime::now()
    }
    fn end(&self, start: ProcessTime) -> Duration {
        start.elapsed()
    }
    fn add(&self, a: &Duration, b: &Duration) -> Duration {
        *a + *b
    }
    fn zero(&self) -> Duration {
        Duration::ZERO
    }
    fn to_f64(&self, value: &Duration) -> f64 {
        value.as_nanos() as f64
    }
    fn formatter(&self) -> &dyn ValueFormatter {
        &Nanoseconds
    }
}

/// Values in nanoseconds, as criterion's wall-time formatter shows them.
struct Nanoseconds;

impl ValueFormatter for Nanoseconds {
    fn scale_values(&self, _typical: f64, _values: &mut [f64]) -> &'static str {
        "ns"
    }
    fn scale_throughputs(
        &self,
        _typical: f64,
        throughput: &criterion::Throughput,
        values: &mut [f64],
    ) -> &'static str {
        if let criterion::Throughput::Elements(n) = throughput {
            for v in values {
                *v /= *n as f64;
            }
        }
        "ns/elem"
    }
    fn scale_for_machines(&self, _values: &mut [f64]) -> &'static str {
        "ns"
    }
}
