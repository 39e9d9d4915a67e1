//! ES256 JSON Web Tokens as distribution 2.8 accepts them, keyed by a libtrust key ID.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use p256::ecdsa::signature::Signer as _;
use p256::ecdsa::{Signature, SigningKey};
use p256::pkcs8::{DecodePrivateKey as _, EncodePublicKey as _};
use sha2::{Digest as _, Sha256};

use crate::{Result, rig_err};

/// Signs tokens with one P-256 key; the registry trusts the matching certificate.
pub struct TokenSigner {
    key: SigningKey,
    kid: String,
}

impl TokenSigner {
    /// Loads a PKCS#8 PEM private key (as written by `openssl pkcs8 -topk8 -nocrypt`).
    pub fn from_pkcs8_pem(pem: &str) -> Result<Self> {
        let key = SigningKey::from_pkcs8_pem(pem)
            .map_err(|e| rig_err!("token signing key is not a PKCS#8 P-256 key: {e}"))?;
        let spki = key
            .verifying_key()
            .to_public_key_der()
            .map_err(|e| rig_err!("cannot encode the public key: {e}"))?;
        let kid = libtrust_key_id(spki.as_bytes());
        Ok(Self { key, kid })
    }

    /// The libtrust key ID the registry derives from the certificate's public key.
    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// A compact JWS (`header.claims.signature`) over `claims` with ES256 and this key's `kid`.
    pub fn sign(&self, claims: &serde_json::Value) -> String {
        let header = serde_json::json!({ "typ": "JWT", "alg": "ES256", "kid": self.kid });
        let signing_input = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(header.to_string()),
            URL_SAFE_NO_PAD.encode(claims.to_string())
        );
        let signature: Signature = self.key.sign(signing_input.as_bytes());
        format!("{signing_input}.{}", URL_SAFE_NO_PAD.encode(signature.to_bytes()))
    }
}

/// libtrust's key ID: SHA-256 of the DER SubjectPublicKeyInfo, first 30 bytes, base32, `:` every 4.
pub fn libtrust_key_id(spki_der: &[u8]) -> String {
    let hash = Sha256::digest(spki_der);
    let encoded = base32(&hash[..30]);
    encoded
        .as_bytes()
        .chunks(4)
        .map(|group| String::from_utf8_lossy(group).into_owned())
        .collect::<Vec<_>>()
        .join(":")
}

/// RFC 4648 base32 (upper case, no padding).
fn base32(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let mut out = String::with_capacity(bytes.len().div_ceil(5) * 8);
    let (mut buffer, mut bits) = (0u32, 0u32);
    for &byte in bytes {
        buffer = (buffer << 8) | u32::from(byte);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(char::from(ALPHABET[((buffer >> bits) & 31) as usize]));
        }
    }
    if bits > 0 {
        out.push(char::from(ALPHABET[((buffer << (5 - bits)) & 31) as usize]));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base32_matches_rfc4648_vectors() {
        assert_eq!(base32(b"foobar"), "MZXW6YTBOI");
        assert_eq!(base32(b"fooba"), "MZXW6YTB");
        assert_eq!(base32(b"f"), "MY");
    }

    #[test]
    fn key_id_has_twelve_groups_of_four() {
        let kid = libtrust_key_id(b"any bytes");
        assert_eq!(kid.len(), 48 + 11);
        assert!(kid.split(':').all(|g| g.len() == 4));
    }
}
