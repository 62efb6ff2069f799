//! Properties of `softmax` (being written).
use autodiff::F1;
use softmax_cross_entropy::{jacobian::jacobian, softmax::softmax, verify::forward_mode_jacobian};

#[test]
fn smoke_ad_equals_jacobian() {
    let z = [0.3_f64, -1.2, 2.0];
    let ad = forward_mode_jacobian(|x: &[F1]| softmax(x), &z, F1::new, |d: F1| d.deriv()).unwrap();
    let j = jacobian(&softmax(&z).unwrap()).unwrap();
    for (a, b) in ad.iter().zip(&j) {
        assert!((a - b).abs() < 1e-15, "{a} vs {b}");
    }
}
