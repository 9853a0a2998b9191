//! Parse constructors for what people type: a value of these types has been
//! checked once, at the edge, and is valid everywhere after.

use serde::Serialize;
use std::fmt;

/// Why a typed value was refused; names the field for the API's problem answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct ValidationError {
    /// The input field at fault.
    pub field: &'static str,
    /// What is wrong, in words a person understands.
    pub message: String,
}

impl ValidationError {
    /// A refusal of `field` with `message`.
    pub fn new(field: &'static str, message: impl Into<String>) -> Self {
        Self {
            field,
            message: message.into(),
        }
    }
}

/// A single line of text, trimmed: not blank, at most `max` characters, no
/// control characters.
pub(crate) fn clean_line(
    field: &'static str,
    raw: &str,
    max: usize,
) -> Result<String, ValidationError> {
    let v = raw.trim();
    if v.is_empty() {
        return Err(ValidationError::new(field, "must not be empty"));
    }
    if v.chars().count() > max {
        return Err(ValidationError::new(
            field,
            format!("must be at most {max} characters"),
        ));
    }
    if v.chars().any(char::is_control) {
        return Err(ValidationError::new(
            field,
            "must not contain control characters",
        ));
    }
    Ok(v.to_owned())
}

/// An e-mail address, trimmed and lower-cased so that sign-in is case-insensitive.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct Email(String);

impl Email {
    /// Check and normalise an address.
    pub fn parse(raw: &str) -> Result<Self, ValidationError> {
        let v = clean_line("email", raw, 254)?.to_lowercase();
        let Some((local, domain)) = v.split_once('@') else {
            return Err(ValidationError::new("email", "must contain @"));
        };
        let plausible = !local.is_empty()
            && !domain.is_empty()
            && !domain.contains('@')
            && !v.contains(char::is_whitespace)
            && !domain.starts_with('.')
            && !domain.ends_with('.');
        if !plausible {
            return Err(ValidationError::new("email", "is not an e-mail address"));
        }
        Ok(Self(v))
    }

    /// The normalised address.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A new password. Length is what matters (NIST SP 800-63B); no composition rules.
#[derive(Clone, PartialEq, Eq)]
pub struct Password(String);

impl Password {
    /// Shortest password accepted.
    pub const MIN_CHARS: usize = 12;

    /// Check a new password.
    pub fn parse(raw: &str) -> Result<Self, ValidationError> {
        let n = raw.chars().count();
        if n < Self::MIN_CHARS {
            return Err(ValidationError::new(
                "password",
                format!("must be at least {} characters", Self::MIN_CHARS),
            ));
        }
        if n > 1024 {
            return Err(ValidationError::new(
                "password",
                "must be at most 1024 characters",
            ));
        }
        Ok(Self(raw.to_owned()))
    }

    /// The secret itself, for hashing only.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

// Never print a password, not even in a debug log.
impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(***)")
    }
}

/// A person's display name.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PersonName(String);

impl PersonName {
    /// Check a name.
    pub fn parse(raw: &str) -> Result<Self, ValidationError> {
        clean_line("name", raw, 200).map(Self)
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An organization's name.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct OrgName(String);

impl OrgName {
    /// Check a name.
    pub fn parse(raw: &str) -> Result<Self, ValidationError> {
        clean_line("name", raw, 200).map(Self)
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A short, URL-safe handle for an organization (also the ticket prefix later).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Slug(String);

impl Slug {
    /// Check a slug: 2-32 characters of a-z, 0-9 and '-'.
    pub fn parse(raw: &str) -> Result<Self, ValidationError> {
        let v = raw.trim().to_lowercase();
        let ok = (2..=32).contains(&v.len())
            && v.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
            && !v.starts_with('-');
        if !ok {
            return Err(ValidationError::new(
                "slug",
                "must be 2-32 characters of a-z, 0-9 and -",
            ));
        }
        Ok(Self(v))
    }

    /// The slug.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_normalised_and_checked() {
        assert_eq!(
            Email::parse(" Ann@Example.COM ").map(|e| e.0),
            Ok("ann@example.com".into())
        );
        for bad in ["", "ann", "@x.com", "ann@", "a b@x.com", "a@b@c", "a@.x"] {
            assert!(Email::parse(bad).is_err(), "{bad} accepted");
        }
    }

    #[test]
    fn short_passwords_are_refused_and_never_printed() {
        assert!(Password::parse("short").is_err());
        let p = Password::parse("correct horse battery").expect("long enough");
        assert!(!format!("{p:?}").contains("horse"));
    }

    #[test]
    fn names_refuse_control_characters_and_blank() {
        assert!(PersonName::parse("  ").is_err());
        assert!(PersonName::parse("a\u{7}b").is_err());
        assert_eq!(
            PersonName::parse(" Ann Lee ").map(|n| n.0),
            Ok("Ann Lee".into())
        );
        assert!(Slug::parse("Acme-2").is_ok());
        assert!(Slug::parse("a b").is_err());
    }
}
