//! Random secrets and their hashes.

use crate::{Result, ServiceError};
use hmac::{Hmac, KeyInit, Mac};
use rand::Rng;
use sha2::{Digest, Sha256};

/// `n` random bytes from the operating system's generator.
pub(crate) fn random_bytes<const N: usize>() -> [u8; N] {
    let mut b = [0u8; N];
    rand::rng().fill_bytes(&mut b);
    b
}

/// A random URL-safe token with 256 bits of entropy.
pub(crate) fn random_token() -> String {
    data_encoding::BASE64URL_NOPAD.encode(&random_bytes::<32>())
}

/// Hex SHA-256, for storing session ids and API tokens: they are random
/// and long, so a fast hash is enough (no dictionary to guess from).
pub fn sha256_hex(s: &str) -> String {
    data_encoding::HEXLOWER.encode(&Sha256::digest(s.as_bytes()))
}

/// Lowercase hex HMAC-SHA256 under `key` of `timestamp + "." + body`: the
/// one signing scheme of signed alert intake and outgoing webhooks, so a
/// receiver of one can verify the other the same way.
pub(crate) fn hmac_sha256_hex(key: &[u8], timestamp: &str, body: &[u8]) -> Result<String> {
    let mut mac =
        Hmac::<Sha256>::new_from_slice(key).map_err(|e| ServiceError::Internal(e.to_string()))?;
    mac.update(timestamp.as_bytes());
    mac.update(b".");
    mac.update(body);
    Ok(data_encoding::HEXLOWER.encode(&mac.finalize().into_bytes()))
}
