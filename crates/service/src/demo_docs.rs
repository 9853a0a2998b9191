//! The documentation part of the demo: a dozen pages per client (network
//! overview, runbooks, on- and offboarding, vendor contacts, ...), written
//! through the ordinary use cases by the client's admin and an assigned
//! engineer, several with revisions by both sides, two past their review
//! date, and one knowledge-base article published to the portal.

use crate::demo_devices::{assigned_engineer, client_admin};
use crate::documents::PageChange;
use crate::{RequestMeta, Result, Tandem};
use jiff::ToSpan;
use jiff::civil::Date;
use tandem_domain::Actor;
use tandem_domain::document::{PageSpec, template};
use tandem_store::orgs::Org;

/// Who writes a page or a later revision of it.
#[derive(Clone, Copy)]
enum By {
    Client,
    Provider,
}

/// One demo page: where it goes, what it says, when it is due for review
/// (days from today; negative: overdue), and the later saves (who, and a
/// line added to the body).
struct DemoPage {
    folder: &'static str,
    title: &'static str,
    tags: &'static str,
    body: Body,
    review_in_days: Option<i64>,
    published: bool,
    by: By,
    edits: &'static [(By, &'static str)],
}

/// A page's first text: one of our templates, or its own.
enum Body {
    Template(&'static str),
    Text(&'static str),
}

const PAGES: [DemoPage; 12] = [
    DemoPage {
        folder: "Network",
        title: "Network overview",
        tags: "network",
        body: Body::Template("network-overview"),
        review_in_days: Some(120),
        published: false,
        by: By::Client,
        edits: &[
            (
                By::Provider,
                "\n## Changes\n- Core switch firmware updated to the vendor's current long-term release.\n",
            ),
            (
                By::Provider,
                "- Guest VLAN 30 now isolated from staff VLAN 10 at the firewall.\n",
            ),
            (
                By::Client,
                "- Second internet link ordered for the main office (due next quarter).\n",
            ),
        ],
    },
    DemoPage {
        folder: "Network/Firewalls",
        title: "Requesting a firewall rule change",
        tags: "network firewall runbook",
        body: Body::Text(
            "# Requesting a firewall rule change\n\nOpen a ticket in the **network** category with:\n\n1. Source and destination (host names, not only addresses)\n2. Port and protocol\n3. Why, and until when\n\nThe provider reviews every change against the rule base and applies it in the next maintenance window unless it is urgent.\n\n| Change | Who approves |\n|---|---|\n| Outbound to a new SaaS | In-house IT |\n| Inbound from the internet | In-house IT manager **and** provider |\n",
        ),
        review_in_days: Some(200),
        published: false,
        by: By::Provider,
        edits: &[(
            By::Client,
            "\nTemporary rules are removed automatically on their end date.\n",
        )],
    },
    DemoPage {
        folder: "Network/Wi-Fi",
        title: "Connecting to the guest Wi-Fi",
        tags: "wifi guest how-to",
        body: Body::Text(
            "# Connecting to the guest Wi-Fi\n\n1. Choose the network **Guest** on your device.\n2. Open any web page; the sign-in page appears.\n3. Enter the code shown on the screen at reception.\n\nThe code changes every Monday. Staff laptops use the **Staff** network and connect by themselves.\n\nStill stuck? Open a ticket from the portal and say which device you use.\n",
        ),
        review_in_days: Some(90),
        published: true,
        by: By::Client,
        edits: &[(
            By::Provider,
            "\n*Visitors' devices cannot reach printers or file shares; that is intended.*\n",
        )],
    },
    DemoPage {
        folder: "Runbooks",
        title: "Nightly backup check",
        tags: "backup runbook",
        body: Body::Template("runbook"),
        review_in_days: Some(60),
        published: false,
        by: By::Provider,
        edits: &[
            (
                By::Provider,
                "\n## Daily check\n1. Open the backup console and filter on last night's jobs.\n2. Any job in *warning* or *failed*: rerun it once, then open a ticket.\n",
            ),
            (
                By::Client,
                "3. The finance share must succeed every night during month-end close.\n",
            ),
        ],
    },
    DemoPage {
        folder: "Runbooks",
        title: "Restoring a file from backup",
        tags: "backup runbook",
        body: Body::Text(
            "# Restoring a file from backup\n\n1. Ask for the path and the last time the file was right.\n2. In the backup console choose the share, then **Restore > Browse versions**.\n3. Restore next to the original with the suffix `-restored`; never overwrite.\n4. Tell the requester where it is and close the ticket.\n",
        ),
        review_in_days: Some(-21),
        published: false,
        by: By::Provider,
        edits: &[],
    },
    DemoPage {
        folder: "Runbooks",
        title: "Patch night",
        tags: "patching runbook maintenance",
        body: Body::Text(
            "# Patch night\n\nSecond Tuesday of the month, 22:00-01:00, inside the maintenance window (alerts open no tickets).\n\n- [ ] Servers: domain controllers one at a time\n- [ ] File server after the backup finished\n- [ ] Workstations: pushed, restart by Thursday\n",
        ),
        review_in_days: Some(30),
        published: false,
        by: By::Provider,
        edits: &[
            (
                By::Client,
                "- [ ] Tell reception the phones may drop for five minutes\n",
            ),
            (
                By::Provider,
                "- [ ] Check the line-of-business app starts after the database server reboots\n",
            ),
        ],
    },
    DemoPage {
        folder: "People",
        title: "Onboarding checklist",
        tags: "onboarding checklist",
        body: Body::Template("onboarding"),
        review_in_days: Some(180),
        published: false,
        by: By::Client,
        edits: &[(
            By::Provider,
            "\n## Notes\nLaptops are prepared by the provider two working days ahead; order them a week ahead.\n",
        )],
    },
    DemoPage {
        folder: "People",
        title: "Offboarding checklist",
        tags: "offboarding checklist",
        body: Body::Template("offboarding"),
        review_in_days: Some(-5),
        published: false,
        by: By::Client,
        edits: &[],
    },
    DemoPage {
        folder: "Vendors",
        title: "Vendor contacts",
        tags: "vendors contacts",
        body: Body::Template("vendor-contacts"),
        review_in_days: Some(150),
        published: false,
        by: By::Client,
        edits: &[(
            By::Provider,
            "\nThe internet provider's fault line asks for the circuit id first: it is on the network overview.\n",
        )],
    },
    DemoPage {
        folder: "Accounts",
        title: "Shared mailboxes",
        tags: "email accounts",
        body: Body::Text(
            "# Shared mailboxes\n\n| Mailbox | Who has access | Owner |\n|---|---|---|\n| info@ | Reception, sales | Office manager |\n| invoices@ | Finance | Finance lead |\n| it@ | In-house IT, provider | IT manager |\n\nNew access is requested by the mailbox owner in a ticket.\n",
        ),
        review_in_days: Some(240),
        published: false,
        by: By::Client,
        edits: &[],
    },
    DemoPage {
        folder: "Printing",
        title: "Printer fleet",
        tags: "printing",
        body: Body::Text(
            "# Printer fleet\n\n- 2nd floor copier: leased, toner ordered automatically\n- Label printer in the warehouse: driver only on the shipping PC\n\nScan-to-email sends from scanner@ through the mail relay.\n",
        ),
        review_in_days: Some(100),
        published: false,
        by: By::Client,
        edits: &[(
            By::Client,
            "\nThe old 1st floor printer was retired; its queue was removed from every laptop.\n",
        )],
    },
    DemoPage {
        folder: "Security",
        title: "MFA for staff",
        tags: "security mfa",
        body: Body::Text(
            "# MFA for staff\n\nEvery staff account uses an authenticator app; text messages only as a fallback.\n\n**Lost phone:** the in-house IT team verifies the person in person or by video, then the provider resets the methods.\n",
        ),
        review_in_days: Some(75),
        published: false,
        by: By::Provider,
        edits: &[(
            By::Client,
            "\nAdmins use hardware keys (two each, one kept in the safe).\n",
        )],
    },
];

/// Write each client's documentation, as its admin and an assigned engineer.
pub(crate) async fn seed(
    t: &Tandem,
    provider_staff: &[Actor],
    clients: &[(Org, String)],
) -> Result<()> {
    let meta = RequestMeta {
        request_id: "demo-documents".into(),
        source_addr: "demo".into(),
    };
    let today: Date = jiff::Timestamp::now()
        .to_zoned_datetime(jiff::tz::TimeZone::UTC)
        .date();
    for (client, _) in clients {
        let admin = client_admin(t, provider_staff, client).await?;
        let engineer = assigned_engineer(t, provider_staff, client).await?;
        let who = |by: By| match by {
            By::Client => &admin,
            By::Provider => &engineer,
        };
        for d in &PAGES {
            let body = match d.body {
                Body::Template(k) => template(k).map_or("", |t| t.body),
                Body::Text(s) => s,
            };
            let review_on = d
                .review_in_days
                .and_then(|n| today.checked_add(n.days()).ok());
            let spec = PageSpec::new(
                d.title,
                d.folder,
                &[d.tags.to_owned()],
                body,
                review_on,
                d.published,
            )?;
            let mut page = t
                .create_page(who(d.by), client.id, &spec, &[], &meta)
                .await?;
            for (by, line) in d.edits {
                let change = PageChange {
                    body: Some(format!("{}{line}", page.body)),
                    ..PageChange::default()
                };
                page = t
                    .save_page(who(*by), page.id, page.version, &change, &meta)
                    .await?;
            }
        }
    }
    Ok(())
}
