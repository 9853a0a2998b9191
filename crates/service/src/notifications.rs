//! A person's in-app notifications.

use crate::{Result, Tandem, now_ms};
use tandem_domain::Actor;
use tandem_store::jobs::{self, Notification};

impl Tandem {
    /// The actor's notifications, newest first.
    pub async fn notifications(&self, actor: &Actor, limit: i64) -> Result<Vec<Notification>> {
        Ok(jobs::notifications(&self.db, actor.user_id, limit.clamp(1, 200)).await?)
    }

    /// How many are unread (shown in the navigation).
    pub async fn unread_notifications(&self, actor: &Actor) -> Result<i64> {
        Ok(jobs::unread_count(&self.db, actor.user_id).await?)
    }

    /// Mark all of the actor's notifications read.
    pub async fn mark_notifications_read(&self, actor: &Actor) -> Result<u64> {
        let mut tx = self.db.begin().await?;
        let n = jobs::mark_all_read(&mut tx, actor.user_id, now_ms()).await?;
        tx.commit().await?;
        Ok(n)
    }
}
