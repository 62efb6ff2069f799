//! The timing protocol and the inputs shared by the Rust sides of
//! `cargo xtask bench` (the kernels in `benches/`, candle in `benches/candle/`);
//! `benches/peers.py` implements the same protocol and draws the same inputs
//! for NumPy and jax.
//!
//! Every side is a program that `cargo xtask bench` starts pinned to one core.
//! It takes `--shapes 4096x1000,100000x10 --samples 7 --seconds 0.2` and
//! prints tab-separated lines on standard output:
//!
//! - `meta<TAB>key<TAB>value`: versions, the instruction set it used;
//! - `time<TAB>group<TAB>side<TAB>type<TAB>rows<TAB>classes<TAB>calls<TAB>ns,ns,…`:
//!   one case, each sample in wall-clock nanoseconds per element of the
//!   batch, each the mean over `calls` calls. The statistics (median,
//!   spread) are computed once, by `cargo xtask bench`, from these samples.

use std::hint::black_box;
use std::time::Instant;

/// What a side is asked to measure, from its command line.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    /// The batches, `(rows, classes)`.
    pub shapes: Vec<(usize, usize)>,
    /// The number of recorded samples per case.
    pub samples: usize,
    /// The wall-clock length of one sample, in seconds.
    pub seconds: f64,
}

impl Plan {
    /// The plan of `--shapes RxC,… --samples N --seconds S`; the defaults
    /// are one shape of 4096×1000, 7 samples of 0.2 s.
    pub fn from_args(args: impl IntoIterator<Item = String>) -> Result<Plan, String> {
        let mut plan = Plan {
            shapes: vec![(4096, 1000)],
            samples: 7,
            seconds: 0.2,
        };
        let mut args = args.into_iter();
        while let Some(flag) = args.next() {
            let value = args
                .next()
                .ok_or_else(|| format!("`{flag}` needs a value"))?;
            match flag.as_str() {
                "--shapes" => {
                    plan.shapes = value
                        .split(',')
                        .map(|s| {
                            s.split_once('x')
                                .and_then(|(r, c)| Some((r.parse().ok()?, c.parse().ok()?)))
                                .filter(|&(r, c): &(usize, usize)| r > 0 && c > 0)
                                .ok_or_else(|| format!("`{s}` is not a shape ROWSxCLASSES"))
                        })
                        .collect::<Result<_, _>>()?
                }
                "--samples" => {
                    plan.samples = value
                        .parse()
                        .ok()
                        .filter(|&n| n > 0)
                        .ok_or_else(|| format!("--samples {value}: not a positive count"))?
                }
                "--seconds" => {
                    plan.seconds = value
                        .parse()
                        .ok()
                        .filter(|&s: &f64| s > 0.0 && s.is_finite())
                        .ok_or_else(|| format!("--seconds {value}: not a positive time"))?
                }
                other => return Err(format!("unknown argument `{other}`")),
            }
        }
        Ok(plan)
    }

    /// The samples of `f`, in wall-clock ns per element of a batch of
    /// `elements` entries, with the number of calls per sample.
    ///
    /// The protocol: one call (the first touch of the memory), a count of
    /// calls that fills about `seconds`, one unrecorded sample of that many
    /// calls to recalibrate the count, then `samples` samples of the
    /// recalibrated count. Every sample lasts at least one call.
    pub fn measure<R>(&self, elements: usize, mut f: impl FnMut() -> R) -> (usize, Vec<f64>) {
        let mut time = |calls: usize| {
            let start = Instant::now();
            for _ in 0..calls {
                black_box(f());
            }
            start.elapsed().as_secs_f64()
        };
        let once = time(1);
        let mut calls = calls_for(self.seconds, once, 1);
        calls = calls_for(self.seconds, time(calls), calls);
        let samples = (0..self.samples)
            .map(|_| time(calls) * 1e9 / (calls * elements) as f64)
            .collect();
        (calls, samples)
    }
}

/// The number of calls that fill `seconds`, if `calls` calls took `took`.
fn calls_for(seconds: f64, took: f64, calls: usize) -> usize {
    let per_call = (took / calls as f64).max(1e-9);
    ((seconds / per_call).round() as usize).max(1)
}

/// The `meta` line by which `cargo xtask bench` checks that every side drew
/// the same inputs: the first and last logit and label of the first shape.
pub fn input_check(z: &[f64], labels: &[usize]) -> String {
    format!(
        "meta\tinputs\t{:e} {:e} {} {}",
        z[0],
        z[z.len() - 1],
        labels[0],
        labels[labels.len() - 1]
    )
}

/// A `time` line of the protocol.
pub fn time_line(
    group: &str,
    side: &str,
    ty: &str,
    (rows, classes): (usize, usize),
    (calls, samples): (usize, Vec<f64>),
) -> String {
    let samples: Vec<String> = samples.iter().map(|s| format!("{s:.6}")).collect();
    format!(
        "time\t{group}\t{side}\t{ty}\t{rows}\t{classes}\t{calls}\t{}",
        samples.join(",")
    )
}

/// SplitMix64 from a fixed seed: the stream of every side's inputs.
/// `benches/peers.py` computes the same stream with NumPy.
fn splitmix(index: u64) -> u64 {
    let mut z = 0x5eed_u64.wrapping_add(index.wrapping_mul(0x9e37_79b9_7f4a_7c15));
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// The inputs of a case: logits uniform in `[-5, 5)` (row-major), a label
/// per row, and soft targets (the labels smoothed by 0.1: `0.9 + 0.1/C` at
/// the label, `0.1/C` elsewhere). Draw `i` (from 1) of the stream gives
/// logit `i - 1`; draw `rows·classes + j` gives label `j - 1`.
pub fn inputs(rows: usize, classes: usize) -> (Vec<f64>, Vec<usize>, Vec<f64>) {
    let n = rows * classes;
    let z = (1..=n as u64)
        .map(|i| (splitmix(i) >> 11) as f64 / (1u64 << 53) as f64 * 10.0 - 5.0)
        .collect();
    let labels: Vec<usize> = (1..=rows as u64)
        .map(|j| (splitmix(n as u64 + j) % classes as u64) as usize)
        .collect();
    let off = 0.1 / classes as f64;
    let targets = labels
        .iter()
        .flat_map(|&k| (0..classes).map(move |c| if c == k { 0.9 + off } else { off }))
        .collect();
    (z, labels, targets)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plans_and_inputs() {
        let args = |s: &str| s.split(' ').map(String::from).collect::<Vec<_>>();
        let plan = Plan::from_args(args("--shapes 2x3,40x5 --samples 5 --seconds 0.01"));
        assert_eq!(
            plan,
            Ok(Plan {
                shapes: vec![(2, 3), (40, 5)],
                samples: 5,
                seconds: 0.01
            })
        );
        assert!(Plan::from_args(args("--shapes 2y3")).is_err());
        assert!(Plan::from_args(args("--samples 0")).is_err());
        assert!(Plan::from_args(args("--seconds")).is_err());
        // The first values of the stream, as Python's integers compute them.
        assert_eq!(splitmix(1), 0x09f1_fd9d_03f0_a9b4);
        assert_eq!(splitmix(2), 0x5532_7416_1bbf_8475);
        let (z, labels, t) = inputs(3, 4);
        assert!(z.iter().all(|&x| (-5.0..5.0).contains(&x)));
        assert!(labels.iter().all(|&k| k < 4));
        for row in t.chunks(4) {
            assert!((row.iter().sum::<f64>() - 1.0).abs() < 1e-15);
        }
        let (calls, samples) = plan.unwrap().measure(10, || 1);
        assert!(calls >= 1 && samples.len() == 5);
    }
}
