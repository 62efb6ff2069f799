//! The online normalizer: its errors, and the float form against the
//! two-pass float form on long rows whose max moves often.

use softmax_cross_entropy::Error;
use softmax_cross_entropy::online_normalizer::{
    online_normalizer, online_normalizer_from_exponentials, two_pass_normalizer_from_exponentials,
};
use softmax_cross_entropy::softmax::log_sum_exp;

#[test]
fn online_normalizer_errors() {
    assert_eq!(
        online_normalizer::<f64>(&[]),
        Err(Error::Empty { what: "logits" })
    );
    assert_eq!(
        online_normalizer(&[0.0, f64::NAN]),
        Err(Error::NotANumber {
            what: "logit",
            index: 1
        })
    );
    assert!(matches!(
        online_normalizer(&[f64::INFINITY]),
        Err(Error::Infinite { index: 0, .. })
    ));
    assert!(online_normalizer_from_exponentials::<f64>(&[]).is_err());
    assert!(two_pass_normalizer_from_exponentials(&[1.0, 0.0]).is_err());
    assert!(online_normalizer_from_exponentials(&[1.0, -2.0]).is_err());
}

#[test]
fn online_normalizer_on_rising_rows() {
    // A new max at every entry: the rescaling runs every time.
    for c in [1, 2, 10, 1000] {
        let z: Vec<f64> = (0..c).map(|i| i as f64 * 0.37).collect();
        let (m, d) = online_normalizer(&z).unwrap();
        assert_eq!(m, z[c - 1]);
        let lse = log_sum_exp(&z).unwrap();
        let tolerance = (2.0 * c as f64 + 4.0) * f64::EPSILON * lse.abs().max(1.0);
        assert!(
            (m + d.ln() - lse).abs() <= tolerance,
            "{c}: {} vs {lse}",
            m + d.ln()
        );
    }
}
