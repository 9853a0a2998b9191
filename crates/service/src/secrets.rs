//! Random secrets and their hashes.

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
