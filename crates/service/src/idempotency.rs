//! `Idempotency-Key` support for creates: a key is claimed before the work
//! starts, so two requests with the same key never both do it.

use crate::secrets::sha256_hex;
use crate::{Result, Tandem, now_ms};
use tandem_domain::{Actor, ValidationError};
use tandem_store::idempotency;

/// How long a key is remembered: a retry within a day gets the first
/// answer; after that the key may be used afresh.
pub(crate) const KEPT_FOR_MS: i64 = 24 * 3_600_000;

/// Where a request with a key stands.
#[derive(Debug)]
pub enum Idempotent {
    /// The work was done before: answer this (status, body) again.
    Replay(i64, String),
    /// Another request with this key is doing the work right now.
    InProgress,
    /// The key was first used for a different request.
    Mismatch,
    /// This request holds the key: do the work, then finish or abandon.
    Fresh,
}

impl Tandem {
    /// Claim `key` for the actor's `request` (its canonical form, e.g. the
    /// parsed body serialized again), or say why not.
    pub async fn idempotent_begin(
        &self,
        actor: &Actor,
        key: &str,
        request: &str,
    ) -> Result<Idempotent> {
        check_key(key)?;
        let request = sha256_hex(request);
        let mut tx = self.db.begin().await?;
        let fresh = idempotency::reserve(&mut tx, actor.user_id, key, &request, now_ms()).await?;
        tx.commit().await?;
        if fresh {
            return Ok(Idempotent::Fresh);
        }
        Ok(
            match idempotency::get(&self.db, actor.user_id, key).await? {
                Some((_, _, first)) if !first.is_empty() && first != request => {
                    Idempotent::Mismatch
                }
                Some((status, body, _)) if status > 0 => Idempotent::Replay(status, body),
                _ => Idempotent::InProgress,
            },
        )
    }

    /// Remember the answer given for a claimed key.
    pub async fn idempotent_finish(
        &self,
        actor: &Actor,
        key: &str,
        status: i64,
        body: &str,
    ) -> Result<()> {
        let mut tx = self.db.begin().await?;
        idempotency::complete(&mut tx, actor.user_id, key, status, body).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Give the key back after the work failed.
    pub async fn idempotent_abandon(&self, actor: &Actor, key: &str) -> Result<()> {
        let mut tx = self.db.begin().await?;
        idempotency::release(&mut tx, actor.user_id, key).await?;
        tx.commit().await?;
        Ok(())
    }
}

fn check_key(key: &str) -> Result<()> {
    if key.is_empty() || key.len() > 200 || !key.is_ascii() {
        return Err(
            ValidationError::new("Idempotency-Key", "must be 1-200 ASCII characters").into(),
        );
    }
    Ok(())
}
