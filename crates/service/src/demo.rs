//! The demo: one provider, three clients of different sizes, their people
//! and active engagements. Later features add their own demo data here.

use crate::accounts::{NewUser, insert_user};
use crate::auth::actor_of;
use crate::engagements::insert_org;
use crate::{RequestMeta, Result, ServiceError, Tandem, now_ms};
use tandem_domain::{Actor, EngagementId, Role, Side};
use tandem_store::demo_seed::{self, DemoSeed};
use tandem_store::{engagements, orgs};

/// The password of every demo account.
pub const DEMO_PASSWORD: &str = "tandem-demo-2026";

/// One demo sign-in, printed when the demo starts.
#[derive(Debug, Clone)]
pub struct DemoLogin {
    /// Organization name.
    pub org: String,
    /// Role.
    pub role: Role,
    /// Person's name.
    pub name: String,
    /// Sign-in e-mail.
    pub email: String,
}

struct ClientPlan {
    name: &'static str,
    slug: &'static str,
    people: &'static [(&'static str, Role)],
    engineers: &'static [usize],
}

const PROVIDER: (&str, &str) = ("Harbor Lane IT Partners", "harborlane");
/// What a start says of a demo whose seeding never finished. The demo is
/// written in many transactions, so what is there is whole but not all of
/// it; seeding over it would clash with what is there.
const UNFINISHED: &str = "this database holds a demo whose seeding never finished (an earlier start was \
     killed or failed while it seeded): its organizations are here without the rest. Start the demo on a new \
     database: remove this one, or point TANDEM_DATABASE_URL elsewhere";
/// What `tandem demo` says of a database that holds an installation's own
/// organizations.
const NOT_EMPTY: &str = "this database holds organizations that are not the demo's: the demo is seeded only \
     into an empty database, since every demo account shares a published password. Run `tandem serve` on \
     this one, or start the demo on a new database";
/// Where the provider's people work.
pub const PROVIDER_ZONE: &str = "America/Denver";
const PROVIDER_STAFF: [(&str, Role); 4] = [
    ("Mara Okafor", Role::ProviderAdmin),
    ("Dev Ramanathan", Role::ProviderEngineer),
    ("Sofia Lindqvist", Role::ProviderEngineer),
    ("Tomasz Wrobel", Role::ProviderEngineer),
];

/// A requester the first client's engineer adds in the demo.
const NEW_STARTER: (&str, Role) = ("Rosa Delgado", Role::Requester);

const CLIENTS: [ClientPlan; 3] = [
    ClientPlan {
        name: "Alder & Finch Logistics",
        slug: "alder",
        people: &[
            ("Priya Nair", Role::ClientAdmin),
            ("Owen Burke", Role::ClientTechnician),
            ("Helen Achterberg", Role::ClientViewer),
            ("Luis Romero", Role::Requester),
            ("Amy Chen", Role::Requester),
            ("Jonas Weber", Role::Requester),
        ],
        engineers: &[1],
    },
    ClientPlan {
        name: "Brightwater Dental Group",
        slug: "brightwater",
        people: &[
            ("Grace Mwangi", Role::ClientAdmin),
            ("Ravi Patel", Role::ClientTechnician),
            ("Nora Quinn", Role::ClientTechnician),
            ("Dr. Samuel Osei", Role::ClientViewer),
            ("Ella Fitzgerald-Hart", Role::Requester),
            ("Marco Bellini", Role::Requester),
            ("Yuki Tanaka", Role::Requester),
            ("Fatima Zahra", Role::Requester),
        ],
        engineers: &[1, 2],
    },
    ClientPlan {
        name: "Corvid Manufacturing",
        slug: "corvid",
        people: &[
            ("Ben Adeyemi", Role::ClientAdmin),
            ("Klara Novak", Role::ClientTechnician),
            ("Sam Whitfield", Role::ClientTechnician),
            ("Patricia Holm", Role::ClientViewer),
            ("Igor Petrov", Role::Requester),
            ("Chloe Martin", Role::Requester),
            ("Diego Alvarez", Role::Requester),
            ("Hannah Schulz", Role::Requester),
            ("Kwame Mensah", Role::Requester),
        ],
        engineers: &[2, 3],
    },
];

pub(crate) fn email_for(name: &str, domain: &str) -> String {
    let local: String = name
        .to_lowercase()
        .replace("dr. ", "")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(".")
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '.' || *c == '-')
        .collect();
    format!("{local}@{domain}")
}

impl Tandem {
    /// Seed the demo unless the database already holds it. Returns every
    /// demo sign-in either way.
    pub async fn seed_demo(&self) -> Result<Vec<DemoLogin>> {
        self.seed_demo_with(true).await
    }

    /// Seed the demo's organizations and people, and with `tickets` also
    /// its service desk history (tests leave that out to stay fast).
    pub async fn seed_demo_with(&self, tickets: bool) -> Result<Vec<DemoLogin>> {
        let meta = RequestMeta::cli("demo");
        let mut logins = Vec::new();
        let mut plan_logins = |org: &str, people: &[(&str, Role)], domain: &str| {
            for (name, role) in people {
                logins.push(DemoLogin {
                    org: org.into(),
                    role: *role,
                    name: (*name).into(),
                    email: email_for(name, domain),
                });
            }
        };
        plan_logins(PROVIDER.0, &PROVIDER_STAFF, "harborlane.example");
        for c in &CLIENTS {
            plan_logins(c.name, c.people, &format!("{}.example", c.slug));
        }
        plan_logins(
            CLIENTS[0].name,
            &[NEW_STARTER],
            &format!("{}.example", CLIENTS[0].slug),
        );
        if orgs::find_by_slug_unscoped(&self.db, PROVIDER.1)
            .await?
            .is_some()
        {
            return match demo_seed::finished(&self.db).await? {
                Some(_) => Ok(logins),
                None => Err(ServiceError::Conflict(UNFINISHED.into())),
            };
        }
        // Every demo account shares a published password: never beside an
        // installation's own people.
        if orgs::count(&self.db).await? > 0 {
            return Err(ServiceError::Conflict(NOT_EMPTY.into()));
        }

        tracing::info!(history = tickets, "seeding the demo");
        let mut tx = self.db.begin().await?;
        let provider =
            insert_org(&mut tx, None, Side::Provider, PROVIDER.0, PROVIDER.1, &meta).await?;
        // The provider's staff read times in its zone; each client's staff
        // in their calendar's (see demo_desk).
        orgs::set_time_zone(&mut tx, provider.id, PROVIDER_ZONE).await?;
        let mut staff = Vec::new();
        for (name, role) in PROVIDER_STAFF {
            let u = insert_user(
                &mut tx,
                self.settings.password_cost,
                None,
                &provider,
                &new_user(name, role, "harborlane.example"),
                &meta,
            )
            .await?;
            staff.push(u);
        }
        let mut requesters_by_client = Vec::new();
        for c in &CLIENTS {
            let client = insert_org(&mut tx, None, Side::Client, c.name, c.slug, &meta).await?;
            let domain = format!("{}.example", c.slug);
            for (name, role) in c.people {
                insert_user(
                    &mut tx,
                    self.settings.password_cost,
                    None,
                    &client,
                    &new_user(name, *role, &domain),
                    &meta,
                )
                .await?;
            }
            let id = EngagementId::new();
            engagements::insert(&mut tx, id, provider.id, client.id, now_ms()).await?;
            for &i in c.engineers {
                engagements::assign(&mut tx, id, staff[i].id, now_ms()).await?;
            }
            requesters_by_client.push((client, domain));
        }
        tx.commit().await?;

        // A provider engineer's own action on a client's data, made through
        // the ordinary use case so the client admin sees it in the audit log.
        let engineer: Actor = actor_of(&staff[1]);
        let (alder, domain) = &requesters_by_client[0];
        let new_starter = new_user(NEW_STARTER.0, NEW_STARTER.1, domain);
        let meta = RequestMeta {
            request_id: "demo-onboarding".into(),
            source_addr: "demo".into(),
        };
        self.create_user(&engineer, alder.id, &new_starter, &meta)
            .await?;
        if tickets {
            crate::demo_desk::seed(self, &provider_staff_actors(&staff), &requesters_by_client)
                .await?;
            crate::demo_devices::seed(self, &provider_staff_actors(&staff), &requesters_by_client)
                .await?;
            crate::demo_assets::seed(self, &provider_staff_actors(&staff), &requesters_by_client)
                .await?;
            crate::demo_duty::seed(self, &provider_staff_actors(&staff), &requesters_by_client)
                .await?;
            crate::demo_docs::seed(self, &provider_staff_actors(&staff), &requesters_by_client)
                .await?;
            crate::demo_alerts::seed(self, &requesters_by_client).await?;
            crate::demo_vault::seed(self, &provider_staff_actors(&staff), &requesters_by_client)
                .await?;
            crate::demo_billing::seed(self, &provider_staff_actors(&staff), &requesters_by_client)
                .await?;
        }
        let mut tx = self.db.begin().await?;
        let seed = DemoSeed {
            finished_at: now_ms(),
            with_history: tickets,
        };
        demo_seed::mark_finished(&mut tx, seed).await?;
        tx.commit().await?;
        Ok(logins)
    }
}

fn provider_staff_actors(staff: &[tandem_store::users::User]) -> Vec<Actor> {
    staff.iter().map(actor_of).collect()
}

fn new_user(name: &str, role: Role, domain: &str) -> NewUser {
    NewUser {
        email: email_for(name, domain),
        name: name.into(),
        role,
        password: DEMO_PASSWORD.into(),
    }
}
