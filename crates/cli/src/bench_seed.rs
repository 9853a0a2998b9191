//! `tandem bench-seed` (hidden): the data set of the HTTP benchmarks
//! (benches/http/run.sh). On top of the demo it onboards N bench clients
//! with people and an active engagement with the demo provider, assigns
//! one provider engineer to all of them, sets up each desk with its
//! defaults, and bulk-loads M tickets with timelines spread over them.

use anyhow::{Context, bail};
use std::fmt::Write as _;
use std::time::Instant;
use tandem_domain::{OrgId, Role, TicketId, UserId};
use tandem_service::accounts::NewUser;
use tandem_service::auth::actor_of;
use tandem_service::engagements::OnboardClient;
use tandem_service::{PasswordCost, RequestMeta, Settings, Tandem};
use tandem_store::tickets::{Event, Ticket};
use tandem_store::{bulk, users};

/// The provider admin who onboards the bench clients.
const ADMIN: &str = "mara.okafor@harborlane.example";
/// The engineer engaged with every bench client; run.sh makes a token for them.
pub const ENGINEER: &str = "dev.ramanathan@harborlane.example";

/// A bench client as the generator needs it.
struct Client {
    id: OrgId,
    engagement: String,
    people: Vec<(UserId, String)>,
    technician: UserId,
    /// (category id, owner side in business hours)
    categories: Vec<(String, String)>,
    category_keys: Vec<String>,
    /// (response, resolution) minutes per priority p1..p4.
    policies: [(i64, i64); 4],
}

/// Words of titles, descriptions and comments: IT nouns first so that,
/// drawn with a skew towards the front, some words are very common and
/// the tail is rare (search both).
const WORDS: &[&str] = &[
    "printer",
    "email",
    "password",
    "laptop",
    "vpn",
    "outlook",
    "wifi",
    "network",
    "account",
    "screen",
    "access",
    "update",
    "server",
    "backup",
    "phone",
    "license",
    "teams",
    "sharepoint",
    "onedrive",
    "monitor",
    "keyboard",
    "mouse",
    "docking",
    "station",
    "firewall",
    "router",
    "switch",
    "cable",
    "badge",
    "door",
    "camera",
    "scanner",
    "toner",
    "driver",
    "install",
    "software",
    "excel",
    "word",
    "powerpoint",
    "calendar",
    "meeting",
    "invite",
    "mailbox",
    "quota",
    "storage",
    "disk",
    "memory",
    "slow",
    "crash",
    "freeze",
    "error",
    "login",
    "locked",
    "reset",
    "mfa",
    "token",
    "certificate",
    "expired",
    "renewal",
    "domain",
    "dns",
    "dhcp",
    "ip",
    "address",
    "conflict",
    "proxy",
    "browser",
    "chrome",
    "edge",
    "firefox",
    "plugin",
    "java",
    "adobe",
    "acrobat",
    "pdf",
    "invoice",
    "erp",
    "crm",
    "database",
    "report",
    "dashboard",
    "payroll",
    "timesheet",
    "warehouse",
    "barcode",
    "label",
    "shipping",
    "forklift",
    "tablet",
    "handheld",
    "sync",
    "offline",
    "latency",
    "packet",
    "loss",
    "bandwidth",
    "outage",
    "power",
    "ups",
    "rack",
    "patch",
    "reboot",
    "bluescreen",
    "bitlocker",
    "recovery",
    "key",
    "encryption",
    "antivirus",
    "malware",
    "phishing",
    "spam",
    "quarantine",
    "attachment",
    "blocked",
    "share",
    "folder",
    "permission",
    "group",
    "onboarding",
    "offboarding",
    "newhire",
    "leaver",
    "headset",
    "audio",
    "microphone",
    "webcam",
    "projector",
    "hdmi",
    "adapter",
    "charger",
    "battery",
    "warranty",
    "replacement",
    "order",
    "quote",
    "vendor",
    "contract",
    "renewal",
    "audit",
    "compliance",
    "xray",
    "sensor",
    "imaging",
    "dental",
    "chair",
    "clinic",
    "reception",
    "kiosk",
    "signage",
    "television",
    "plc",
    "scada",
    "conveyor",
    "robot",
    "welder",
    "lathe",
    "cnc",
    "firmware",
    "modem",
    "fibre",
    "voicemail",
    "extension",
    "pbx",
    "sip",
    "trunk",
    "fax",
    "courier",
    "pallet",
    "dock",
    "yard",
    "gateway",
    "tunnel",
    "ssid",
    "roaming",
    "accesspoint",
    "controller",
    "vlan",
    "subnet",
    "nat",
    "portforward",
    "ldap",
    "sso",
    "saml",
    "okta",
    "entra",
    "intune",
    "autopilot",
    "jamf",
    "macbook",
    "iphone",
    "android",
    "ipad",
    "chromebook",
    "thinclient",
    "citrix",
    "rdp",
    "terminal",
    "hypervisor",
    "vmware",
    "snapshot",
];
const VERBS: &[&str] = &[
    "cannot",
    "fails",
    "broken",
    "not working",
    "needs",
    "request",
    "slow",
    "missing",
    "keeps dropping",
    "error on",
];

/// splitmix64: a fixed seed gives the same data set on every run.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
    /// A word, skewed: index = n * u^3.
    fn word(&mut self) -> &'static str {
        let u = self.unit();
        WORDS[((u * u * u) * WORDS.len() as f64) as usize % WORDS.len()]
    }
    fn words(&mut self, n: usize) -> String {
        let mut s = String::new();
        for i in 0..n {
            if i > 0 {
                s.push(' ');
            }
            s.push_str(self.word());
        }
        s
    }
}

fn person(name: String, email: String, role: Role) -> NewUser {
    NewUser {
        email,
        name,
        role,
        password: tandem_service::demo::DEMO_PASSWORD.into(),
    }
}

/// Seed the demo, `clients` bench clients, `tickets` tickets and `pages`
/// documentation pages and `assets` asset records; write one line per client (`id category-key ...`)
/// to `out` for the load scripts.
pub async fn run(
    tandem: &Tandem,
    clients: usize,
    tickets: usize,
    batch: usize,
    pages: usize,
    assets: usize,
    out: Option<&std::path::Path>,
) -> anyhow::Result<()> {
    let started = Instant::now();
    tandem.seed_demo_with(false).await?;
    // Bench people never sign in with their password: hash it cheaply so
    // a thousand of them take seconds, not minutes.
    let fast = Tandem::new(
        tandem.db.clone(),
        Settings {
            password_cost: PasswordCost {
                memory_kib: 64,
                iterations: 1,
            },
            ..tandem.settings.clone()
        },
    );
    let db = &tandem.db;
    let admin = users::find_by_email_for_sign_in(db, ADMIN)
        .await?
        .context("the demo provider admin is missing")?;
    let engineer = users::find_by_email_for_sign_in(db, ENGINEER)
        .await?
        .context("the demo engineer is missing")?;
    let admin = actor_of(&admin);
    if tandem_store::orgs::find_by_slug_unscoped(db, "bench-000")
        .await?
        .is_some()
    {
        bail!("this database holds bench data already; seed a fresh one");
    }
    let meta = RequestMeta::cli("bench-seed");
    let mut set = Vec::with_capacity(clients);
    for i in 0..clients {
        let slug = format!("bench-{i:03}");
        let domain = format!("{slug}.example");
        let view = fast
            .onboard_client(
                &admin,
                &OnboardClient {
                    name: format!("Bench Client {i:03}"),
                    slug: slug.clone(),
                    admin: person(
                        format!("Admin {i:03}"),
                        format!("admin@{domain}"),
                        Role::ClientAdmin,
                    ),
                },
                &meta,
            )
            .await?;
        let client = view.engagement.client_id;
        fast.assign_engineer(&admin, view.engagement.id, engineer.id, &meta)
            .await?;
        let client_admin = users::find_by_email_for_sign_in(db, &format!("admin@{domain}"))
            .await?
            .context("the bench client admin is missing")?;
        let client_admin = actor_of(&client_admin);
        let tech = fast
            .create_user(
                &client_admin,
                client,
                &person(
                    format!("Tech {i:03}"),
                    format!("tech@{domain}"),
                    Role::ClientTechnician,
                ),
                &meta,
            )
            .await?;
        let mut people = vec![(tech.id, tech.email.clone())];
        for r in 0..3 {
            let u = fast
                .create_user(
                    &client_admin,
                    client,
                    &person(
                        format!("Requester {i:03}-{r}"),
                        format!("requester{r}@{domain}"),
                        Role::Requester,
                    ),
                    &meta,
                )
                .await?;
            people.push((u.id, u.email));
        }
        let desk = fast.desk_setup(&client_admin, client).await?;
        let mut policies = [(60, 480), (120, 960), (240, 1920), (480, 4800)];
        for (p, pol) in &desk.policies {
            let i = match p.as_str() {
                "p1" => 0,
                "p2" => 1,
                "p3" => 2,
                _ => 3,
            };
            policies[i] = (pol.response_minutes, pol.resolution_minutes);
        }
        let categories = desk
            .split
            .iter()
            .map(|l| {
                let side = if l.business_hours == "provider" {
                    "provider"
                } else {
                    "in_house"
                };
                (l.category_id.clone(), side.to_owned())
            })
            .collect();
        set.push(Client {
            id: client,
            engagement: view.engagement.id.to_string(),
            people,
            technician: tech.id,
            categories,
            category_keys: desk.categories.iter().map(|c| c.key.clone()).collect(),
            policies,
        });
        if (i + 1) % 50 == 0 || i + 1 == clients {
            eprintln!(
                "bench-seed: {} clients onboarded ({:.1}s)",
                i + 1,
                started.elapsed().as_secs_f64()
            );
        }
    }
    if let Some(path) = out {
        let mut text = String::new();
        for c in &set {
            let _ = writeln!(text, "{} {}", c.id, c.category_keys.join(" "));
        }
        std::fs::write(path, text).with_context(|| format!("cannot write {}", path.display()))?;
    }
    if set.is_empty() {
        return Ok(());
    }
    let ids: Vec<OrgId> = set.iter().map(|c| c.id).collect();
    crate::bench_assets::load(tandem, &ids, assets, batch).await?;

    let loading = Instant::now();
    let now = tandem_service::now_ms();
    let mut rng = Rng(0x007A_4DE3);
    let mut numbers = vec![0i64; set.len()];
    let (mut done, mut events_done) = (0usize, 0usize);
    let engineer_id = engineer.id.to_string();
    while done < tickets {
        let n = batch.min(tickets - done);
        let mut rows = Vec::with_capacity(n);
        let mut events = Vec::with_capacity(n * 2);
        for k in 0..n {
            let i = done + k;
            let ci = i % set.len();
            let c = &set[ci];
            numbers[ci] += 1;
            // Ticket i is older the smaller i is: a year of history up to now.
            let age_ms = ((tickets - i) as f64 / tickets as f64 * 365.0 * 86_400_000.0) as i64
                + rng.below(3_600_000) as i64;
            let created = now - age_ms;
            let (cat_id, side) = &c.categories[rng.below(c.categories.len())];
            let impact = rng.below(3);
            let urgency = rng.below(3);
            let pi = [0, 1, 2, 1, 2, 3, 2, 3, 3][impact * 3 + urgency];
            let (resp_min, res_min) = c.policies[pi];
            let levels = ["high", "medium", "low"];
            let days = age_ms / 86_400_000;
            let roll = rng.below(100);
            let status = if days > 30 {
                match roll {
                    0..=1 => "open",
                    2 => "on_hold",
                    3..=9 => "resolved",
                    _ => "closed",
                }
            } else {
                match roll {
                    0..=14 => "new",
                    15..=34 => "open",
                    35..=54 => "in_progress",
                    55..=64 => "waiting_on_customer",
                    65..=69 => "waiting_on_vendor",
                    70..=74 => "on_hold",
                    75..=89 => "resolved",
                    _ => "closed",
                }
            };
            let assignee = match (status, rng.below(2)) {
                ("new", _) | (_, 0) => None,
                _ if side == "provider" => Some(engineer_id.clone()),
                _ => Some(c.technician.to_string()),
            };
            let (requester, requester_email) = &c.people[rng.below(c.people.len())];
            let finished = matches!(status, "resolved" | "closed");
            let paused = matches!(
                status,
                "waiting_on_customer" | "waiting_on_vendor" | "on_hold"
            );
            let met = (status != "new").then(|| created + (resp_min * 60_000) / 2);
            // Business-hours targets stretch over about three wall-clock units.
            let due = created + res_min * 60_000 * 3;
            let warn = created + res_min * 60_000 * 3 * 3 / 4;
            let running = !finished && !paused;
            let response_running = status == "new";
            let response_due = response_running.then(|| created + resp_min * 60_000 * 3);
            let (warned, breached) = (running && now >= warn, running && now >= due);
            let next_event = if !running {
                None
            } else if now < warn {
                Some(warn)
            } else if now < due {
                Some(due)
            } else {
                None
            };
            let resolved_at = finished.then(|| created + rng.below(5 * 86_400_000) as i64);
            let updated = resolved_at
                .unwrap_or(created + rng.below(86_400_000) as i64)
                .min(now);
            let title = format!(
                "{} {} {}",
                rng.word(),
                VERBS[rng.below(VERBS.len())],
                rng.word()
            );
            let description = {
                let len = 12 + rng.below(30);
                rng.words(len)
            };
            let id = TicketId::new();
            rows.push(Ticket {
                id,
                client_id: c.id,
                engagement_id: Some(c.engagement.clone()),
                number: numbers[ci],
                title,
                description,
                requester_id: *requester,
                category_id: cat_id.clone(),
                impact: levels[impact].into(),
                urgency: levels[urgency].into(),
                priority: format!("p{}", pi + 1),
                priority_reason: None,
                status: status.into(),
                owner_side: side.clone(),
                assignee_id: assignee,
                source: ["web", "api", "email", "alert"][rng.below(4)].into(),
                version: 1 + rng.below(4) as i64,
                created_at: created,
                updated_at: updated,
                resolved_at,
                response_target: resp_min,
                response_consumed: 0,
                response_since: response_running.then_some(created),
                response_due,
                response_warn_at: response_due.map(|d| created + (d - created) * 3 / 4),
                response_met_at: met,
                response_warned: response_running && response_due.is_some_and(|d| now >= d),
                response_breached: response_running && response_due.is_some_and(|d| now >= d),
                resolution_target: res_min,
                resolution_consumed: if paused { res_min * 30 } else { 0 },
                resolution_since: running.then_some(created),
                resolution_due: running.then_some(due),
                resolution_warn_at: running.then_some(warn),
                resolution_warned: warned,
                resolution_breached: breached,
                next_due: running.then(|| response_due.map_or(due, |r| r.min(due))),
                next_sla_event_at: next_event,
            });
            let ticket_id = id.to_string();
            let client_id = c.id.to_string();
            events.push(Event {
                id: 0,
                ticket_id: ticket_id.clone(),
                client_id: client_id.clone(),
                at: created,
                actor_user_id: Some(requester.to_string()),
                actor_label: requester_email.clone(),
                actor_name: None,
                actor_side: Some("client".into()),
                kind: "created".into(),
                visibility: "public".into(),
                body: "Opened via web".into(),
                data: format!("{{\"priority\":\"p{}\",\"owner_side\":\"{side}\"}}", pi + 1),
            });
            // About a third of the tickets carry a comment, a third of
            // those a team-only note.
            if rng.below(3) == 0 {
                let team = rng.below(3) == 0;
                let len = 6 + rng.below(20);
                events.push(Event {
                    id: 0,
                    ticket_id,
                    client_id,
                    at: created + 600_000,
                    actor_user_id: Some(engineer_id.clone()),
                    actor_label: ENGINEER.into(),
                    actor_name: None,
                    actor_side: Some("provider".into()),
                    kind: "comment".into(),
                    visibility: if team { "team" } else { "public" }.into(),
                    body: rng.words(len),
                    data: "{}".into(),
                });
            }
        }
        bulk::insert_tickets(db, &rows, &events).await?;
        done += n;
        events_done += events.len();
        let secs = loading.elapsed().as_secs_f64();
        if done % (batch * 10) == 0 || done == tickets {
            eprintln!(
                "bench-seed: {done}/{tickets} tickets, {events_done} timeline entries, {:.0} tickets/s ({secs:.1}s)",
                done as f64 / secs
            );
        }
    }
    for (c, n) in set.iter().zip(&numbers) {
        bulk::set_next_ticket_number(db, c.id, n + 1).await?;
    }
    let writers: Vec<_> = set.iter().map(|c| (c.id, c.technician)).collect();
    crate::bench_pages::seed(db, &writers, pages, engineer.id).await?;
    bulk::analyze(db).await?;
    let secs = loading.elapsed().as_secs_f64();
    println!(
        "bench-seed: {clients} clients, {tickets} tickets, {events_done} timeline entries in {:.1}s \
         (tickets at {:.0}/s); open tickets as {ENGINEER}",
        started.elapsed().as_secs_f64(),
        tickets as f64 / secs.max(1e-9)
    );
    Ok(())
}
