//! The signature Omnipanel puts on what it sends (webhooks, generic channels) and checks on what
//! generic channels send it: `sha256=<hex>` of the HMAC-SHA256 of `<timestamp>.<body>`, keyed
//! with the shared secret.

use hmac::{Hmac, Mac};
use sha2::Sha256;

fn mac(secret: &str, timestamp: i64, body: &[u8]) -> Hmac<Sha256> {
    let mut mac =
        Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes keys of any size");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    mac
}

/// The signature header's value for a body sent at `timestamp`.
pub fn signature(secret: &str, timestamp: i64, body: &[u8]) -> String {
    format!(
        "sha256={}",
        hex::encode(mac(secret, timestamp, body).finalize().into_bytes())
    )
}

/// Whether `presented` (a header's value) signs `body` at `timestamp`; compared in constant time.
pub fn verify_signature(secret: &str, timestamp: i64, body: &[u8], presented: &str) -> bool {
    presented
        .strip_prefix("sha256=")
        .and_then(|digest| hex::decode(digest).ok())
        .is_some_and(|digest| mac(secret, timestamp, body).verify_slice(&digest).is_ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_signature_covers_timestamp_and_body() {
        // Computed independently: Python's hmac.new(b"whsec_x", b'1700000000.{"a":1}', sha256).
        assert_eq!(
            signature("whsec_x", 1_700_000_000, br#"{"a":1}"#),
            "sha256=b3438763ab46d9634b9844c8722818eaf523f803db1327484c6067462a5fd6d1"
        );
        let signed = signature("whsec_x", 1_700_000_000, b"{}");
        assert_ne!(signed, signature("whsec_y", 1_700_000_000, b"{}"));
        assert_ne!(signed, signature("whsec_x", 1_700_000_001, b"{}"));
    }

    #[test]
    fn only_the_right_signature_verifies() {
        let signed = signature("whsec_x", 1_700_000_000, b"{}");
        assert!(verify_signature("whsec_x", 1_700_000_000, b"{}", &signed));
        assert!(!verify_signature("whsec_y", 1_700_000_000, b"{}", &signed));
        assert!(!verify_signature("whsec_x", 1_700_000_000, b"{ }", &signed));
        assert!(!verify_signature(
            "whsec_x",
            1_700_000_000,
            b"{}",
            "sha256=zz"
        ));
        assert!(!verify_signature(
            "whsec_x",
            1_700_000_000,
            b"{}",
            &signed[7..]
        ));
    }
}
