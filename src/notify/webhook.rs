//! `kind = "webhook"`: sigwatch's own JSON ([`Payload`], docs/notifications.md), signed with
//! HMAC-SHA256 when the channel has a `secret_file`.

use hmac::{Hmac, Mac};
use sha2::Sha256;

use super::Rendered;
use super::payload::Payload;

/// The header carrying the signature: `sha256=` and the hex HMAC-SHA256 of the body.
pub const SIGNATURE_HEADER: &str = "X-Sigwatch-Signature";

pub fn render(p: &Payload) -> Rendered {
    Rendered {
        body: serde_json::to_vec(p).unwrap_or_default(),
        headers: vec![("Content-Type".into(), "application/json".into())],
    }
}

/// The signature of `body` under `secret`, as [`SIGNATURE_HEADER`] carries it.
pub fn signature(secret: &[u8], body: &[u8]) -> String {
    // HMAC takes a key of any length.
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("HMAC takes any key length");
    mac.update(body);
    let tag = mac.finalize().into_bytes();
    let hex: String = tag.iter().map(|b| format!("{b:02x}")).collect();
    format!("sha256={hex}")
}

#[cfg(test)]
mod tests {
    /// RFC 4231's test case 2.
    #[test]
    fn the_signature_is_rfc_4231_hmac_sha256() {
        assert_eq!(
            super::signature(b"Jefe", b"what do ya want for nothing?"),
            "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }
}
