//! Whether the demo's seeding ran to its end: it is written in many
//! transactions, so the demo's organizations alone do not say so.

use crate::{Db, Result, Tx, exec_tx, on_db};

/// How the demo was seeded, once its seeding has finished.
#[derive(Clone, Copy, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct DemoSeed {
    /// When the seeding finished (epoch ms).
    pub finished_at: i64,
    /// Whether the desk's history was seeded too, not only organizations
    /// and people.
    pub with_history: bool,
}

/// The finished seeding, if any.
pub async fn finished(db: &Db) -> Result<Option<DemoSeed>> {
    let sql = "SELECT finished_at, with_history FROM demo_seed WHERE id = 1";
    Ok(on_db!(db, c => sqlx::query_as::<_, DemoSeed>(sql).fetch_optional(c).await)?)
}

/// Record that the seeding has finished: the last write of the demo.
pub async fn mark_finished(tx: &mut Tx, seed: DemoSeed) -> Result<()> {
    exec_tx!(tx, c => sqlx::query("INSERT INTO demo_seed (id, finished_at, with_history) VALUES (1, $1, $2)")
        .bind(seed.finished_at).bind(seed.with_history).execute(c).await)?;
    Ok(())
}
