//! The audit log's hash chain. Each entry's hash covers its own fields and the
//! previous entry's hash, so altering, removing or reordering any entry breaks
//! the chain from that point on, and [`verify_chain`] names the first break.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// The hash that stands before the first entry.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// One audit entry, as it is hashed and stored.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct AuditRecord {
    /// Position in the log, from 1 without gaps.
    pub seq: i64,
    /// When it happened (Unix epoch milliseconds).
    pub at_ms: i64,
    /// The acting user, absent for the system or an unknown sign-in name.
    pub actor_user_id: Option<String>,
    /// What the actor called themselves (e-mail, or the name typed at a failed sign-in).
    pub actor_label: String,
    /// The actor's side (`provider`/`client`), if known.
    pub actor_side: Option<String>,
    /// The actor's organization, if known.
    pub actor_org_id: Option<String>,
    /// The organization whose data this concerns; client admins read by this.
    pub org_id: Option<String>,
    /// What happened, e.g. `user.create`, `session.sign_in_failed`.
    pub action: String,
    /// The kind of object touched.
    pub object_type: String,
    /// The id of the object touched.
    pub object_id: String,
    /// The change as JSON (before/after of the fields that changed).
    pub change: String,
    /// The request that caused it.
    pub request_id: String,
    /// Where the request came from.
    pub source_addr: String,
}

impl AuditRecord {
    /// The chain hash of this entry given the previous entry's hash.
    pub fn chain_hash(&self, prev_hash: &str) -> String {
        let mut h = Sha256::new();
        let seq = self.seq.to_string();
        let at = self.at_ms.to_string();
        let none = "\u{0}";
        let fields: [&str; 14] = [
            prev_hash,
            &seq,
            &at,
            self.actor_user_id.as_deref().unwrap_or(none),
            &self.actor_label,
            self.actor_side.as_deref().unwrap_or(none),
            self.actor_org_id.as_deref().unwrap_or(none),
            self.org_id.as_deref().unwrap_or(none),
            &self.action,
            &self.object_type,
            &self.object_id,
            &self.change,
            &self.request_id,
            &self.source_addr,
        ];
        // Length-prefixing makes the encoding unambiguous: no two different
        // field lists produce the same byte string.
        for f in fields {
            h.update((f.len() as u64).to_be_bytes());
            h.update(f.as_bytes());
        }
        to_hex(&h.finalize())
    }
}

fn to_hex(bytes: &[u8]) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(HEX[usize::from(b >> 4)] as char);
        s.push(HEX[usize::from(b & 0x0f)] as char);
    }
    s
}

/// A stored entry with the hashes it was stored with.
#[derive(Clone, Debug)]
pub struct StoredAudit {
    /// The entry's fields.
    pub record: AuditRecord,
    /// The previous hash stored with it.
    pub prev_hash: String,
    /// Its stored hash.
    pub hash: String,
}

/// Where and how the chain first breaks.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ChainBreak {
    /// An entry's fields no longer match its hash.
    #[error("entry {seq} was altered")]
    Altered {
        /// The entry.
        seq: i64,
    },
    /// Entries are missing before this one.
    #[error("entries before {seq} were removed (expected {expected})")]
    Removed {
        /// The first entry after the gap.
        seq: i64,
        /// The sequence number that should have come.
        expected: i64,
    },
    /// The entry does not follow the one before it.
    #[error("entry {seq} is out of order or its predecessor was replaced")]
    Reordered {
        /// The entry.
        seq: i64,
    },
}

/// Checks a chain one entry at a time, so a long log can be verified page
/// by page without holding it in memory.
#[derive(Debug)]
pub struct ChainVerifier {
    expected_seq: i64,
    prev: String,
    checked: u64,
}

impl Default for ChainVerifier {
    fn default() -> Self {
        Self {
            expected_seq: 1,
            prev: GENESIS.to_owned(),
            checked: 0,
        }
    }
}

impl ChainVerifier {
    /// Check the next entry in stored order (ascending `seq`).
    pub fn check(&mut self, e: &StoredAudit) -> Result<(), ChainBreak> {
        let seq = e.record.seq;
        if seq > self.expected_seq {
            return Err(ChainBreak::Removed {
                seq,
                expected: self.expected_seq,
            });
        }
        if seq < self.expected_seq || e.prev_hash != self.prev {
            // The previous entry's hash is not the one this entry was chained to.
            return Err(ChainBreak::Reordered { seq });
        }
        if e.record.chain_hash(&e.prev_hash) != e.hash {
            return Err(ChainBreak::Altered { seq });
        }
        self.prev.clone_from(&e.hash);
        self.expected_seq += 1;
        self.checked += 1;
        Ok(())
    }

    /// How many entries passed.
    pub fn checked(&self) -> u64 {
        self.checked
    }
}

/// Check entries in stored order (ascending `seq`), from the first entry.
/// Returns the number of entries checked.
pub fn verify_chain(entries: impl IntoIterator<Item = StoredAudit>) -> Result<u64, ChainBreak> {
    let mut v = ChainVerifier::default();
    for e in entries {
        v.check(&e)?;
    }
    Ok(v.checked())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chain(n: i64) -> Vec<StoredAudit> {
        let mut prev = GENESIS.to_owned();
        (1..=n)
            .map(|seq| {
                let record = AuditRecord {
                    seq,
                    at_ms: 1_700_000_000_000 + seq,
                    actor_user_id: Some("u1".into()),
                    actor_label: "ann@example.com".into(),
                    actor_side: Some("client".into()),
                    actor_org_id: Some("o1".into()),
                    org_id: Some("o1".into()),
                    action: "user.create".into(),
                    object_type: "user".into(),
                    object_id: format!("u{seq}"),
                    change: "{}".into(),
                    request_id: "r".into(),
                    source_addr: "127.0.0.1".into(),
                };
                let hash = record.chain_hash(&prev);
                let e = StoredAudit {
                    record,
                    prev_hash: prev.clone(),
                    hash: hash.clone(),
                };
                prev = hash;
                e
            })
            .collect()
    }

    #[test]
    fn an_intact_chain_verifies() {
        assert_eq!(verify_chain(chain(5)), Ok(5));
    }

    #[test]
    fn alteration_removal_and_reordering_are_each_named() {
        let mut c = chain(5);
        c[2].record.change = r#"{"role":"client_admin"}"#.into();
        assert_eq!(verify_chain(c), Err(ChainBreak::Altered { seq: 3 }));

        let mut c = chain(5);
        c.remove(1);
        assert_eq!(
            verify_chain(c),
            Err(ChainBreak::Removed {
                seq: 3,
                expected: 2
            })
        );

        let mut c = chain(5);
        c.swap(1, 2);
        assert!(matches!(
            verify_chain(c),
            Err(ChainBreak::Removed { seq: 3, .. })
        ));

        // Swapping contents while renumbering still breaks the link.
        let mut c = chain(5);
        let (a, b) = (c[1].record.clone(), c[2].record.clone());
        c[1].record = AuditRecord { seq: 2, ..b };
        c[2].record = AuditRecord { seq: 3, ..a };
        assert!(verify_chain(c).is_err());
    }
}
