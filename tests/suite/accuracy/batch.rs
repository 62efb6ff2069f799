//! Batch losses and gradients against the oracle, for `f32` and `f64`, on
//! tiled batches: a tile of up to 4 rows repeated `r` times, so that the
//! oracle works on the tile (`Σ = r·Σ_tile`, mean `= Σ_tile / n_tile`) while
//! the library sums all `N` rows. The long run (`ACCURACY_CASES` ≥ 1000)
//! also checks `N` past `2^{24}`.

use super::generators::{Category, log_uniform_count, target};
use super::measure::{Tally, show};
use super::{cases, config};
use crate::oracle::{Big, Logits, Measured, PRECISION, Truth, abs_error, big, ulp_error};
use proptest::prelude::*;
use proptest::test_runner::TestRunner;
use softmax_cross_entropy::batch::{
    Reduction, batch_cross_entropy_from_logits, batch_cross_entropy_from_logits_classes,
    batch_gradient_from_logits,
};

/// A tile: `(C, logits, targets, labels)` of `n ≤ 4` rows, then a repeat count.
#[allow(clippy::type_complexity)]
fn tiled_batch<T: Measured>(
    max_repeats: usize,
) -> BoxedStrategy<((usize, Vec<T>, Vec<T>, Vec<usize>), usize)> {
    let tile = (1..=4_usize, 1..=6_usize).prop_flat_map(|(n, c)| {
        let rows = prop::collection::vec(
            prop_oneof![
                Category::Scaled.logits::<T>(),
                Category::Dominant.logits::<T>(),
                Category::Offset.logits::<T>()
            ]
            .prop_filter("c classes", move |z| !z.is_empty())
            .prop_map(move |z| {
                // Reuse the generators' rows, cut or cycled to C entries.
                (0..c).map(|i| z[i % z.len()]).collect::<Vec<T>>()
            }),
            n,
        );
        (
            Just(c),
            rows,
            prop::collection::vec(target::<T>(c), n),
            prop::collection::vec(0..c, n),
        )
            .prop_map(|(c, z, t, labels)| (c, z.concat(), t.concat(), labels))
    });
    (tile, log_uniform_count(1, max_repeats)).boxed()
}

/// Measure the batch functions on `r` copies of the tile.
pub fn batch_case<T: Measured>(
    c: usize,
    z: &[T],
    t: &[T],
    labels: &[usize],
    r: usize,
    tally: &mut Tally,
) {
    let ty = T::FORMAT.name;
    let n = z.len() / c;
    let big_z: Vec<T> = z.iter().copied().cycle().take(z.len() * r).collect();
    let big_t: Vec<T> = t.iter().copied().cycle().take(t.len() * r).collect();
    let big_labels: Vec<usize> = labels.iter().copied().cycle().take(n * r).collect();
    let input = || {
        format!(
            "tile z = {}, t = {}, labels = {labels:?}, C = {c}, repeats = {r}",
            show(z),
            show(t)
        )
    };
    let oracles: Vec<Logits> = z
        .chunks(c)
        .map(|row| Logits::new(&row.iter().map(|x| x.widen()).collect::<Vec<f64>>()))
        .collect();
    let tiny = super::measure::smallest_subnormal::<T>();
    let normal = big(2.0_f64.powi(T::FORMAT.min_exponent), PRECISION);
    let (mut subnormal_rows, mut subnormal_class_rows) = (0, 0);
    let mut tile_loss = Big::ZERO.with_precision(PRECISION).value();
    let mut tile_class = Big::ZERO.with_precision(PRECISION).value();
    for (i, o) in oracles.iter().enumerate() {
        let t_i: Vec<f64> = t[i * c..(i + 1) * c].iter().map(|x| x.widen()).collect();
        let Truth::Finite(x) = o.cross_entropy(&t_i) else {
            return;
        };
        subnormal_rows += usize::from(x < normal);
        tile_loss += x;
        let Truth::Finite(x) = o.cross_entropy_class(labels[i]) else {
            return;
        };
        subnormal_class_rows += usize::from(x < normal);
        tile_class += x;
    }
    let reps = big(r as f64, PRECISION);
    let rows = big(n as f64, PRECISION);
    for (reduction, name) in [(Reduction::Sum, "sum"), (Reduction::Mean, "mean")] {
        let scale = |x: &Big| match reduction {
            Reduction::Sum => Truth::Finite(x.clone() * reps.clone()),
            Reduction::Mean => Truth::Finite(x.clone() / rows.clone()),
        };
        // A row whose loss is subnormal is rounded to the subnormal spacing
        // `tiny`, and N such rows add up N half-spacings: those sums get the
        // absolute bound N·tiny instead (beyond reach of any per-row method).
        let checks = [
            (
                "batch_cross_entropy_from_logits",
                batch_cross_entropy_from_logits(&big_z, &big_t, c, reduction).unwrap(),
                &tile_loss,
                subnormal_rows,
            ),
            (
                "batch_cross_entropy_from_logits_classes",
                batch_cross_entropy_from_logits_classes(&big_z, &big_labels, c, reduction).unwrap(),
                &tile_class,
                subnormal_class_rows,
            ),
        ];
        for (function, got, tile_truth, subnormal) in checks {
            let truth = scale(tile_truth);
            let e = ulp_error(got, &truth);
            if subnormal > 0 && e > super::measure::ULP_BOUND {
                let per = match reduction {
                    Reduction::Sum => (subnormal * r) as f64,
                    Reduction::Mean => 1.0,
                };
                let err = abs_error(got.widen(), &truth) / (per * tiny);
                tally.absolute(function, ty, err, || format!("{name}; {}", input()));
            } else {
                tally.ulps(function, ty, e, || format!("{name}; {}", input()));
            }
        }
        let g = batch_gradient_from_logits(&big_z, &big_t, c, reduction).unwrap();
        let divisor = big((n * r) as f64, PRECISION);
        for (i, o) in oracles.iter().enumerate() {
            let t_i: Vec<f64> = t[i * c..(i + 1) * c].iter().map(|x| x.widen()).collect();
            for j in 0..c {
                // Only the well-conditioned entries, t_ij = 0 or 1 (a soft
                // t_ij ≈ y_ij cancels; see the single-row gradient's bound).
                if t_i[j] != 0.0 && t_i[j] != 1.0 {
                    continue;
                }
                let Truth::Finite(exact) = o.gradient(&t_i, j) else {
                    continue;
                };
                let truth = match reduction {
                    Reduction::Sum => Truth::Finite(exact),
                    Reduction::Mean => Truth::Finite(exact / divisor.clone()),
                };
                // The same row in the first and in the last copy of the tile.
                for copy in [0, r - 1] {
                    let got = g[(copy * n + i) * c + j];
                    tally.ulps(
                        "batch_gradient_from_logits",
                        ty,
                        ulp_error(got, &truth),
                        || format!("{name}, row {i}, class {j}; {}", input()),
                    );
                }
            }
        }
    }
}

/// The batch property for `T`: every case within its bounds; returns the tally.
pub fn run<T: Measured>(max_repeats: usize) -> Tally {
    let mut runner = TestRunner::new(config());
    let all = std::cell::RefCell::new(Tally::default());
    let outcome = runner.run(&tiled_batch::<T>(max_repeats), |((c, z, t, labels), r)| {
        let mut tally = Tally::default();
        batch_case(c, &z, &t, &labels, r, &mut tally);
        let verdict = tally.verdict();
        all.borrow_mut().merge(tally);
        verdict.map_err(proptest::test_runner::TestCaseError::fail)
    });
    if let Err(e) = outcome {
        panic!("batch accuracy ({}): {e}", T::FORMAT.name);
    }
    all.into_inner()
}

/// Tiled batches of up to 4,096 repeats of a tile of up to 4 rows.
#[test]
fn accuracy_batch_f32() {
    run::<f32>(4096);
}

/// The same in `f64`.
#[test]
fn accuracy_batch_f64() {
    run::<f64>(4096);
}

/// The long run only: `N = 2^{24} + 2^{22}` rows of the gradient's mean in
/// `f32` (about 0.5 GB), where counting `N` by adding 1.0 gave 1.25× too
/// large entries.
#[test]
fn accuracy_batch_gradient_past_two_to_the_24() {
    if cases() < 1000 {
        return;
    }
    let n = (1 << 24) + (1 << 22);
    let z = vec![0.0_f32; 2 * n];
    let t: Vec<f32> = (0..2 * n)
        .map(|i| if i % 2 == 0 { 1.0 } else { 0.0 })
        .collect();
    let g = batch_gradient_from_logits(&z, &t, 2, Reduction::Mean).unwrap();
    let truth = Truth::Finite(big(0.5, PRECISION) / big(n as f64, PRECISION));
    for &x in &[g[1], g[2 * n - 1]] {
        assert!(ulp_error(x, &truth) <= 1.0, "{x:e}");
    }
}
