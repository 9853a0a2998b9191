//! Queue pages kept as they were last answered, while the database is
//! unchanged.
//!
//! The queue list is the API's busiest read (dashboards and scripts poll
//! it), and an answer of 50 tickets with their names and clocks (about
//! 53 KB of JSON) costs about 300 us of CPU to find, name and write out,
//! the same work each time nothing changed. What it holds follows from the
//! data and from who asks with which view and filters alone, so the
//! rendered answer is kept under those and given again until anything at
//! all is committed to the database, by this process or another
//! ([`tandem_store::Db::changes`]): a ticket opened, changed or commented
//! on, a name changed, an engagement or a person's access ended. Keeping
//! it no longer than that is what keeps it correct; on a busy desk answers
//! are simply not kept for long. The caller is authenticated and resolved
//! on every request before any of this, so a revoked token or session
//! never reaches a kept answer. On PostgreSQL, where other processes write
//! unseen, nothing is kept.

use crate::queue::{QueueFilter, QueueItem, QueueView};
use crate::{Result, ServiceError, Tandem};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use tandem_domain::{Actor, OrgId, Role, UserId};

/// Kept answers past this many bytes in all are let go together (a bound
/// on memory: 600 full pages of 50).
const MAX_BYTES: usize = 32 << 20;

/// The kept answers, shared by every clone of [`Tandem`].
#[derive(Default)]
pub(crate) struct QueueAnswers {
    kept: Mutex<Kept>,
}

impl std::fmt::Debug for QueueAnswers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("QueueAnswers").finish_non_exhaustive()
    }
}

#[derive(Default)]
struct Kept {
    /// The database's change number the answers were read at.
    changes: u64,
    bytes: usize,
    answers: HashMap<Asked, Arc<[u8]>>,
}

/// Everything an answer depends on besides the data.
#[derive(Clone, PartialEq, Eq, Hash)]
struct Asked {
    user: UserId,
    org: OrgId,
    role: Role,
    view: QueueView,
    filter: QueueFilter,
}

impl QueueAnswers {
    fn get(&self, asked: &Asked, changes: u64) -> Option<Arc<[u8]>> {
        let kept = self.kept.lock().ok()?;
        (kept.changes == changes)
            .then(|| kept.answers.get(asked).cloned())
            .flatten()
    }

    /// Keep `answer`, read at `changes`, unless newer answers are kept.
    fn keep(&self, asked: Asked, changes: u64, answer: Arc<[u8]>) {
        let Ok(mut kept) = self.kept.lock() else {
            return;
        };
        if changes < kept.changes {
            return;
        }
        if changes > kept.changes || kept.bytes + answer.len() > MAX_BYTES {
            *kept = Kept {
                changes,
                ..Kept::default()
            };
        }
        kept.bytes += answer.len();
        if let Some(old) = kept.answers.insert(asked, answer) {
            kept.bytes -= old.len();
        }
    }
}

impl Tandem {
    /// [`Tandem::queue`] as `render` writes it out, given again from memory
    /// while nothing was committed to the database since it was read.
    pub async fn queue_answer(
        &self,
        actor: &Actor,
        view: QueueView,
        f: &QueueFilter,
        render: impl FnOnce(Vec<QueueItem>) -> serde_json::Result<Vec<u8>>,
    ) -> Result<Arc<[u8]>> {
        // Asked before the read, so a commit during it is never missed: the
        // answer is kept under a number no newer than what it saw.
        let changes = self.db.changes().await?;
        let asked = Asked {
            user: actor.user_id,
            org: actor.org_id,
            role: actor.role,
            view,
            filter: f.clone(),
        };
        if let Some(answer) = changes.and_then(|c| self.answers.get(&asked, c)) {
            return Ok(answer);
        }
        let rows = self.queue(actor, view, f).await?;
        let answer: Arc<[u8]> = render(rows)
            .map_err(|e| ServiceError::Internal(e.to_string()))?
            .into();
        if let Some(c) = changes {
            self.answers.keep(asked, c, answer.clone());
        }
        Ok(answer)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn asked(role: Role) -> Asked {
        Asked {
            user: UserId::new(),
            org: OrgId::new(),
            role,
            view: QueueView::All,
            filter: QueueFilter::default(),
        }
    }

    #[test]
    fn an_answer_is_given_again_only_at_the_change_number_it_was_read_at() {
        let answers = QueueAnswers::default();
        let dev = asked(Role::ProviderEngineer);
        answers.keep(dev.clone(), 3, Arc::from(&b"[1]"[..]));
        assert_eq!(answers.get(&dev, 3).as_deref(), Some(&b"[1]"[..]));
        // Another person, or the same person in another role, asks anew.
        assert!(answers.get(&asked(Role::ProviderEngineer), 3).is_none());
        let mut other_role = dev.clone();
        other_role.role = Role::ProviderAdmin;
        assert!(answers.get(&other_role, 3).is_none());
        // Anything committed since: not given, and let go once a newer
        // answer is kept.
        assert!(answers.get(&dev, 4).is_none());
        answers.keep(other_role.clone(), 4, Arc::from(&b"[2]"[..]));
        assert!(answers.get(&dev, 3).is_none());
        // An answer read before that newer one is not kept over it.
        answers.keep(dev.clone(), 3, Arc::from(&b"[0]"[..]));
        assert!(answers.get(&dev, 3).is_none() && answers.get(&dev, 4).is_none());
        assert_eq!(answers.get(&other_role, 4).as_deref(), Some(&b"[2]"[..]));
    }

    #[test]
    fn kept_answers_stay_within_their_memory_bound() {
        let answers = QueueAnswers::default();
        let page: Arc<[u8]> = vec![b' '; MAX_BYTES / 3].into();
        let many: Vec<Asked> = (0..4).map(|_| asked(Role::ProviderEngineer)).collect();
        for a in &many {
            answers.keep(a.clone(), 1, page.clone());
        }
        let kept = answers.kept.lock().expect("lock");
        assert!(kept.bytes <= MAX_BYTES, "{} bytes kept", kept.bytes);
        assert_eq!(
            kept.bytes,
            kept.answers.values().map(|a| a.len()).sum::<usize>()
        );
        // The newest is always among the kept.
        assert!(kept.answers.contains_key(&many[3]));
    }
}
