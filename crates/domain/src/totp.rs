//! Time-based one-time passwords (RFC 6238 over RFC 4226): HMAC-SHA1,
//! 30-second steps, six digits, the settings every authenticator app uses.

use hmac::{Hmac, KeyInit, Mac};
use sha1::Sha1;

/// Length of one time step in seconds.
pub const STEP_SECONDS: i64 = 30;

/// The time step a Unix time falls in.
pub fn step_at(unix_seconds: i64) -> i64 {
    unix_seconds.div_euclid(STEP_SECONDS)
}

/// The six-digit code for `secret` at time step `step`.
pub fn code_at_step(secret: &[u8], step: i64) -> u32 {
    // HMAC accepts keys of any length, so this cannot fail.
    let Ok(mut mac) = Hmac::<Sha1>::new_from_slice(secret) else {
        return 0;
    };
    mac.update(&step.to_be_bytes());
    let digest = mac.finalize().into_bytes();
    let offset = usize::from(digest[digest.len() - 1] & 0x0f);
    let bin = u32::from_be_bytes([
        digest[offset] & 0x7f,
        digest[offset + 1],
        digest[offset + 2],
        digest[offset + 3],
    ]);
    bin % 1_000_000
}

/// Check `code` against the steps around `now_step` (one step either side for
/// clock drift). Returns the matching step, which must be later than
/// `last_used_step` so that no code is accepted twice.
pub fn verify(
    secret: &[u8],
    code: &str,
    now_step: i64,
    last_used_step: Option<i64>,
) -> Option<i64> {
    let code = code.trim();
    if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let want: u32 = code.parse().ok()?;
    (now_step - 1..=now_step + 1)
        .filter(|s| last_used_step.is_none_or(|last| *s > last))
        .find(|s| code_at_step(secret, *s) == want)
}

/// The `otpauth://` URI an authenticator app reads from a QR code.
pub fn provisioning_uri(issuer: &str, account: &str, secret_base32: &str) -> String {
    fn enc(s: &str) -> String {
        s.bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'@' => {
                    (b as char).to_string()
                }
                _ => format!("%{b:02X}"),
            })
            .collect()
    }
    format!(
        "otpauth://totp/{}:{}?secret={}&issuer={}&algorithm=SHA1&digits=6&period=30",
        enc(issuer),
        enc(account),
        secret_base32,
        enc(issuer)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    // RFC 6238 appendix B, SHA-1 rows (8 digits there; we keep the last 6).
    #[test]
    fn matches_rfc6238_vectors() {
        let secret = b"12345678901234567890";
        for (t, eight) in [
            (59, 94287082u32),
            (1111111109, 7081804),
            (1234567890, 89005924),
            (2000000000, 69279037),
        ] {
            assert_eq!(code_at_step(secret, step_at(t)), eight % 1_000_000, "t={t}");
        }
    }

    #[test]
    fn a_code_is_accepted_once_and_only_near_its_time() {
        let secret = b"12345678901234567890";
        let step = step_at(1_234_567_890);
        let code = format!("{:06}", code_at_step(secret, step));
        let used = verify(secret, &code, step, None).expect("valid code");
        assert_eq!(
            verify(secret, &code, step, Some(used)),
            None,
            "replay accepted"
        );
        assert_eq!(
            verify(secret, &code, step + 5, None),
            None,
            "stale code accepted"
        );
        assert_eq!(verify(secret, "12345", step, None), None);
    }
}
