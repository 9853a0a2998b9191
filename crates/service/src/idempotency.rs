//! `Idempotency-Key` support for creates.

use crate::{Result, Tandem, now_ms};
use tandem_domain::{Actor, ValidationError};
use tandem_store::idempotency;

impl Tandem {
    /// The first answer given to this actor for this key, if there was one.
    pub async fn idempotent_replay(
        &self,
        actor: &Actor,
        key: &str,
    ) -> Result<Option<(i64, String)>> {
        check_key(key)?;
        Ok(idempotency::get(&self.db, actor.user_id, key).await?)
    }

    /// Remember the answer given for this key.
    pub async fn remember_idempotent(
        &self,
        actor: &Actor,
        key: &str,
        status: i64,
        body: &str,
    ) -> Result<()> {
        check_key(key)?;
        let mut tx = self.db.begin().await?;
        idempotency::put(&mut tx, actor.user_id, key, status, body, now_ms()).await?;
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
