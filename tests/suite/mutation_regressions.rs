//! Tests added to kill mutants that the rest of the suite missed (see
//! book/mutation-testing.md). Each test names the mutant it kills, as
//! cargo-mutants lists it (without the line and column, which move).

use softmax_cross_entropy::cross_entropy::cross_entropy;
use softmax_cross_entropy::{Error, target_sum_tolerance};

/// The targets must sum to 1 *within* the tolerance, bounds included:
/// `|Σt − 1| = tolerance` is accepted, and the next representable sums
/// beyond it are refused.
///
/// Kills `src/check.rs: replace > with >= in distribution`. The random
/// property `errors::tolerance_boundary` straddles the bound but never lands
/// on it exactly; here every sum is exact, so the comparison at the bound is
/// what decides.
#[test]
fn target_sum_tolerance_bound_is_inclusive() {
    let tol = target_sum_tolerance::<f64>();
    // √ε = √(2⁻⁵²) = 2⁻²⁶ exactly, so 1 ± tol is representable.
    assert_eq!(tol, 2.0_f64.powi(-26));
    let y = [0.5, 0.5];
    // 0.5 ± 2⁻²⁶ and their sums with 0.5 are exact (53-bit significands).
    for t in [[0.5, 0.5 + tol], [0.5, 0.5 - tol]] {
        let sum = t[0] + t[1];
        assert_eq!((sum - 1.0).abs(), tol);
        assert!(
            cross_entropy(&y, &t).is_ok(),
            "|Σt − 1| = tolerance must be accepted: t = {t:?}"
        );
    }
    // One unit in the last place further out: 2⁻⁵² above 1, 2⁻⁵³ below 1.
    let above = [0.5, 0.5 + tol + 2.0_f64.powi(-52)];
    let below = [0.5, 0.5 - tol - 2.0_f64.powi(-53)];
    for t in [above, below] {
        let sum = t[0] + t[1];
        assert!((sum - 1.0).abs() > tol);
        assert_eq!(
            cross_entropy(&y, &t),
            Err(Error::TargetsDoNotSumToOne {
                sum,
                tolerance: tol
            })
        );
    }
}
