//! Unit tests of the kernels that need their private parts: the portable
//! path forced, and the count of rows handed to the reference functions.

use super::dispatch::{InstructionSet, run_on};
use super::finish::{ClassTargets, SoftmaxRows};
use super::float::KernelFloat;
use super::fused::*;
use super::rows::{REFERENCE_ROWS, Rows};
use crate::batch::Reduction;
/// The portable path (no FMA, baseline instructions), which this machine
/// does not pick, agrees with the dispatched one within a few ulps.
fn portable_agrees<T: KernelFloat + std::fmt::Debug>() {
    let z: Vec<T> = (0..600)
        .map(|i| T::narrow(((i * 37) % 101) as f64 * 0.37 - 18.0))
        .collect();
    let labels: Vec<usize> = (0..600).map(|i| i % 3).collect();
    for c in [3, 100] {
        let n = z.len() / c;
        let (mut a, mut b) = (vec![T::zero(); z.len()], vec![T::zero(); z.len()]);
        softmax_rows(&z, c, &mut a).unwrap();
        let rows = Rows {
            z: Some(&z),
            out: &mut b,
            classes: c,
            first_row: 0,
            finish: SoftmaxRows,
        };
        run_on(InstructionSet::Portable, rows).unwrap();
        let eps = T::epsilon().widen();
        for (x, y) in a.iter().zip(&b) {
            assert!(
                (x.widen() - y.widen()).abs() <= 4.0 * eps * x.widen(),
                "{x:?} {y:?}"
            );
        }
        let loss = loss_and_gradient_classes(&z, &labels[..n], c, Reduction::Sum, &mut a);
        let finish = ClassTargets {
            labels: &labels[..n],
            weight: 1.0,
        };
        let rows = Rows {
            z: Some(&z),
            out: &mut b,
            classes: c,
            first_row: 0,
            finish,
        };
        let portable = run_on(InstructionSet::Portable, rows)
            .unwrap()
            .weighted(1.0);
        let loss = loss.unwrap().widen();
        assert!(
            (loss - portable).abs() <= 4.0 * eps * loss,
            "{loss} {portable}"
        );
        for (x, y) in a.iter().zip(&b) {
            assert!((x.widen() - y.widen()).abs() <= 4.0 * eps * x.widen().abs().max(eps));
        }
    }
}

#[test]
fn portable_path_agrees_with_dispatched_path() {
    portable_agrees::<f32>();
    portable_agrees::<f64>();
}

/// The rows the kernels of `T` hand to the reference functions, over
/// finite rows of `classes` logits, confident ones among them.
fn reference_rows<T: KernelFloat>(classes: usize) -> usize {
    let z: Vec<T> = (0..4 * classes)
        .map(|i| match i % classes {
            0 => T::zero(),
            c if i / classes == 3 => T::narrow(-80.0 - c as f64 * 1e-3),
            c => T::narrow(((i * 37) % 101) as f64 * 0.37 - 18.0 - c as f64 * 1e-3),
        })
        .collect();
    let labels = [0, 1 % classes, 0, 0];
    let t: Vec<T> = (0..z.len())
        .map(|i| T::narrow(f64::from(u8::from(i % classes == 0))))
        .collect();
    let mut out = vec![T::zero(); z.len()];
    REFERENCE_ROWS.with(|n| n.set(0));
    softmax_rows(&z, classes, &mut out).unwrap();
    log_softmax_rows(&z, classes, &mut out).unwrap();
    loss_and_gradient_classes(&z, &labels, classes, Reduction::Mean, &mut out).unwrap();
    loss_and_gradient(&z, &t, classes, Reduction::Sum, &mut out).unwrap();
    REFERENCE_ROWS.with(|n| n.get())
}

/// Finite rows take the fast path: none goes to the reference functions.
/// (The results alone cannot tell: the reference functions compute the
/// same values, only slower; a kernel that sent every row there, for
/// instance with a max computed wrong, passed every other test.)
#[test]
fn finite_rows_take_the_fast_path() {
    for classes in [2, 10, 63, 64, 70, 1000] {
        assert_eq!(reference_rows::<f32>(classes), 0, "f32, C = {classes}");
        assert_eq!(reference_rows::<f64>(classes), 0, "f64, C = {classes}");
    }
    // And the count sees a row that does go there (a NaN logit).
    let mut z = [0.0_f64, 1.0, f64::NAN, 0.0];
    REFERENCE_ROWS.with(|n| n.set(0));
    assert!(softmax_rows_in_place(&mut z, 2).is_err());
    assert_eq!(REFERENCE_ROWS.with(|n| n.get()), 1);
}
