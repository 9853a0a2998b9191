//! The rules of a client's credential vault, apart from the cryptography
//! (which needs randomness and lives in the service): what a stored
//! credential may look like, when a proof of identity counts as fresh
//! enough to reveal one, and when a credential is due for rotation.
//!
//! - a name is 1-200 characters, unique per client without case;
//! - a username is at most 200 characters, a URL at most 2,000 without
//!   spaces, notes at most 10,000 characters;
//! - the secret itself is 1-10,000 characters, kept exactly as typed
//!   (leading and trailing spaces are part of a password), and never
//!   printed: neither by `Debug` nor in a refusal;
//! - a reveal needs a password or TOTP proof from the last five minutes.

use jiff::civil::Date;
use std::fmt;

use crate::text::{ValidationError, clean_line};

/// How long a proof of identity (password or TOTP code) lets its session
/// reveal secrets: five minutes, so a browser left signed in is not enough.
pub const REVEAL_PROOF_WINDOW_MS: i64 = 5 * 60_000;

/// Longest secret accepted, in characters (a certificate or an SSH key fits).
pub const SECRET_MAX_CHARS: usize = 10_000;

/// The non-secret fields of a credential, checked together.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SecretSpec {
    name: String,
    username: String,
    url: String,
    rotation_due_on: Option<Date>,
}

impl SecretSpec {
    /// Check a credential's visible fields.
    pub fn new(
        name: &str,
        username: &str,
        url: &str,
        rotation_due_on: Option<Date>,
    ) -> Result<Self, ValidationError> {
        let name = clean_line("name", name, 200)?;
        let username = optional_line("username", username, 200)?;
        let url = optional_line("url", url, 2000)?;
        if url.chars().any(char::is_whitespace) {
            return Err(ValidationError::new("url", "must not contain spaces"));
        }
        Ok(Self {
            name,
            username,
            url,
            rotation_due_on,
        })
    }

    /// What people call the credential ("Firewall admin").
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The account name that goes with the secret; may be blank.
    pub fn username(&self) -> &str {
        &self.username
    }

    /// Where the credential is used; may be blank.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// When the secret should next be changed, if anyone decided.
    pub fn rotation_due_on(&self) -> Option<Date> {
        self.rotation_due_on
    }
}

/// A trimmed single line that may be blank.
fn optional_line(field: &'static str, raw: &str, max: usize) -> Result<String, ValidationError> {
    if raw.trim().is_empty() {
        return Ok(String::new());
    }
    clean_line(field, raw, max)
}

/// The secret of a credential, as typed. Its `Debug` hides it, and a
/// refusal names the rule, never the value.
#[derive(Clone, PartialEq, Eq)]
pub struct SecretValue(String);

impl SecretValue {
    /// Check a secret: not empty, at most [`SECRET_MAX_CHARS`] characters.
    pub fn parse(raw: &str) -> Result<Self, ValidationError> {
        if raw.is_empty() {
            return Err(ValidationError::new("secret", "must not be empty"));
        }
        if raw.chars().count() > SECRET_MAX_CHARS {
            return Err(ValidationError::new(
                "secret",
                format!("must be at most {SECRET_MAX_CHARS} characters"),
            ));
        }
        Ok(Self(raw.to_owned()))
    }

    /// The secret itself, for encryption.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for SecretValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretValue(***)")
    }
}

/// Notes that go with a credential (recovery hints, who to call). They are
/// encrypted like the secret, since people write sensitive things there;
/// at most 10,000 characters, may be blank.
pub fn check_notes(raw: &str) -> Result<String, ValidationError> {
    if raw.chars().count() > 10_000 {
        return Err(ValidationError::new(
            "notes",
            "must be at most 10000 characters",
        ));
    }
    Ok(raw.trim().to_owned())
}

/// The key that makes names unique per client: the name without case.
pub fn name_key(name: &str) -> String {
    name.trim().to_lowercase()
}

/// Whether a proof of identity made at `proved_at` (epoch ms) still lets
/// its holder reveal a secret at `now`.
pub fn proof_is_fresh(proved_at: Option<i64>, now: i64) -> bool {
    proved_at.is_some_and(|at| at <= now && now - at <= REVEAL_PROOF_WINDOW_MS)
}

/// Whether a credential due on `due` should be rotated within
/// `within_days` of `today` (an overdue one always is; one with no due
/// date never is).
pub fn due_within(due: Option<Date>, today: Date, within_days: i64) -> bool {
    let Some(due) = due else {
        return false;
    };
    match today.checked_add(jiff::Span::new().days(within_days.clamp(0, 3650))) {
        Ok(limit) => due <= limit,
        Err(_) => true,
    }
}

/// The title of the ticket that asks for a credential to be rotated after
/// someone who saw it left: names the credential and the person, never
/// the secret.
pub fn rotation_ticket_title(secret_name: &str, person: &str) -> String {
    let title = format!("Rotate {secret_name}: revealed by {person} who left");
    title.chars().take(200).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refused_secret_is_never_echoed_and_debug_hides_it() {
        let long = "x".repeat(SECRET_MAX_CHARS + 1);
        let e = SecretValue::parse(&long).expect_err("too long");
        assert!(!e.to_string().contains("xxxx"));
        let s = SecretValue::parse(" hunter2 ").expect("ok");
        assert_eq!(s.expose(), " hunter2 ", "kept exactly as typed");
        assert!(!format!("{s:?}").contains("hunter2"));
        assert!(SecretValue::parse("").is_err());
    }

    #[test]
    fn specs_check_names_and_urls() {
        assert!(SecretSpec::new(" ", "", "", None).is_err());
        assert!(SecretSpec::new("Wi-Fi", "", "https://a b", None).is_err());
        let s = SecretSpec::new(" Firewall admin ", " admin ", "", None).expect("ok");
        assert_eq!(
            (s.name(), s.username(), s.url()),
            ("Firewall admin", "admin", "")
        );
    }

    #[test]
    fn proofs_are_fresh_for_five_minutes() {
        let now = 1_000_000_000;
        assert!(proof_is_fresh(Some(now - REVEAL_PROOF_WINDOW_MS), now));
        assert!(!proof_is_fresh(Some(now - REVEAL_PROOF_WINDOW_MS - 1), now));
        assert!(!proof_is_fresh(None, now));
        assert!(
            !proof_is_fresh(Some(now + 1), now),
            "a proof from the future"
        );
    }

    #[test]
    fn due_dates_count_overdue_and_the_window() {
        let today: Date = "2026-12-06".parse().expect("date");
        let d = |s: &str| Some(s.parse::<Date>().expect("date"));
        assert!(due_within(d("2026-11-01"), today, 0));
        assert!(due_within(d("2026-12-20"), today, 14));
        assert!(!due_within(d("2026-12-21"), today, 14));
        assert!(!due_within(None, today, 10_000));
    }

    #[test]
    fn rotation_titles_name_the_secret_and_the_person() {
        assert_eq!(
            rotation_ticket_title("Firewall admin", "Dev Ramanathan"),
            "Rotate Firewall admin: revealed by Dev Ramanathan who left"
        );
    }
}
