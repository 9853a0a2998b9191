//! `tandem bench-seed --pages N`: N documentation pages of about 2 KB,
//! each with five revisions written alternately by the provider's
//! engineer and the client's technician, spread over the bench clients
//! and bulk-loaded like the tickets.

use std::time::Instant;
use tandem_domain::{OrgId, PageId, UserId};
use tandem_store::Db;
use tandem_store::documents::{self, Page, Revision};

/// Revisions per page.
const REVISIONS: i64 = 5;
/// Pages per transaction.
const BATCH: usize = 2_000;

const WORDS: [&str; 32] = [
    "firewall", "switch", "backup", "restore", "mailbox", "printer", "vpn", "laptop", "server",
    "licence", "password", "rotation", "check", "nightly", "vendor", "contract", "escalate",
    "ticket", "office", "network", "vlan", "address", "domain", "policy", "update", "patch",
    "window", "monitor", "alert", "replace", "onboard", "offboard",
];
const FOLDERS: [&str; 6] = [
    "Network",
    "Network/Firewalls",
    "Runbooks",
    "People",
    "Vendors",
    "Security",
];

/// A small deterministic generator, so every run loads the same text.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn word(&mut self) -> &'static str {
        WORDS[(self.next() % WORDS.len() as u64) as usize]
    }
}

/// About 2 KB of Markdown: a heading and numbered steps.
fn body(rng: &mut Rng, title: &str) -> String {
    let mut out = format!("# {title}\n\n");
    let mut step = 1;
    while out.len() < 2_000 {
        out.push_str(&format!("{step}. "));
        for _ in 0..12 {
            out.push_str(rng.word());
            out.push(' ');
        }
        out.push('\n');
        step += 1;
    }
    out
}

/// Load `pages` pages over `clients` (each with its technician); the
/// provider's side is written by `engineer`.
pub async fn seed(
    db: &Db,
    clients: &[(OrgId, UserId)],
    pages: usize,
    engineer: UserId,
) -> anyhow::Result<()> {
    if clients.is_empty() || pages == 0 {
        return Ok(());
    }
    let started = Instant::now();
    let now = tandem_service::now_ms();
    let day = 86_400_000;
    let mut rng = Rng(0x5EED_D0C5);
    let mut done = 0;
    while done < pages {
        let n = BATCH.min(pages - done);
        let mut rows = Vec::with_capacity(n);
        let mut revisions = Vec::with_capacity(n * REVISIONS as usize);
        for k in 0..n {
            let i = done + k;
            let (client, technician) = clients[i % clients.len()];
            let id = PageId::new();
            let title = format!("{} {} {i}", rng.word(), rng.word());
            let mut text = body(&mut rng, &title);
            let created_at = now - (400 - (i % 365) as i64) * day;
            let mut last = None;
            for number in 1..=REVISIONS {
                let provider = number % 2 == 1;
                let author = if provider { engineer } else { technician };
                if number > 1 {
                    text.push_str(&format!(
                        "\nRevision {number}: {} {}.\n",
                        rng.word(),
                        rng.word()
                    ));
                }
                let at = created_at + number * 7 * day;
                revisions.push(Revision {
                    page_id: id,
                    number,
                    client_id: client,
                    title: title.clone(),
                    body: text.clone(),
                    author_id: Some(author.to_string()),
                    author_name: String::new(),
                    author_side: if provider { "provider" } else { "client" }.into(),
                    created_at: at,
                    restored_from: None,
                });
                last = Some((author, provider, at));
            }
            let (author, provider, at) = last.unwrap_or((engineer, true, created_at));
            // One page in ten is past its review date.
            let review =
                jiff::Timestamp::from_millisecond(now + if i % 10 == 0 { -30 } else { 90 } * day)
                    .map(|t| {
                        t.to_zoned_datetime(jiff::tz::TimeZone::UTC)
                            .date()
                            .to_string()
                    })
                    .ok();
            rows.push(Page {
                id,
                client_id: client,
                folder: FOLDERS[i % FOLDERS.len()].into(),
                title,
                tags: format!("{} {}", rng.word(), rng.word()),
                body: text,
                review_on: review,
                published: i64::from(i % 20 == 0),
                version: REVISIONS,
                created_at,
                created_by: Some(engineer.to_string()),
                updated_at: at,
                updated_by: Some(author.to_string()),
                updated_side: if provider { "provider" } else { "client" }.into(),
            });
        }
        documents::bulk_insert(db, &rows, &revisions).await?;
        done += n;
        eprintln!(
            "bench-seed: {done}/{pages} pages ({:.0} pages/s)",
            done as f64 / started.elapsed().as_secs_f64().max(1e-9)
        );
    }
    Ok(())
}
