//! The client's asset records: add, change, list with filters, relate,
//! custom fields, reminder rules, certificates from PEM, CSV import (with
//! a column mapping and a dry run) and export. Both IT teams keep them;
//! the client's viewer reads them; requesters never learn of them; either
//! side's admin defines custom fields and reminder rules
//! ([`policy::decide_assets`]).

use crate::audit::{Entry, record};
use crate::{RequestMeta, Result, ServiceError, Tandem, now_ms};
use jiff::civil::Date;
use jiff::tz::TimeZone;
use serde_json::json;
use std::collections::{BTreeMap, HashMap};
use tandem_domain::asset::{
    self, AssetDraft, AssetSpec, AssetType, CertificateFacts, ExpiryKind, FieldKind, LinkTarget,
    Owner, ReminderRule, read_asset_import, rules_with_defaults,
};
use tandem_domain::device::{DeviceStatus, RowProblem, name_key};
use tandem_domain::ids::VaultSecretId;
use tandem_domain::ids::{AssetFieldId, AssetLinkId};
use tandem_domain::policy::{self, AssetAction};
use tandem_domain::{Actor, DeviceId, OrgId, PageId, TicketId, UserId, ValidationError};
use tandem_store::assets::{self, AssetFilter};
/// The records these use cases hand back.
pub use tandem_store::assets::{Asset, Expiring, FieldDef, Link};
use tandem_store::orgs::Org;
use tandem_store::{StoreError, Tx, users};

/// The largest import or PEM text, in bytes.
pub const ASSET_UPLOAD_MAX_BYTES: usize = 1024 * 1024;

/// What a list page asks for.
#[derive(Clone, Debug, Default)]
pub struct AssetQuery {
    /// Only this type.
    pub asset_type: Option<AssetType>,
    /// Only this status.
    pub status: Option<DeviceStatus>,
    /// Name, serial or vendor contains this.
    pub text: Option<String>,
    /// Only assets with a date running out within this many days (from
    /// today in the client's time zone).
    pub expiring_within_days: Option<i64>,
    /// The cursor: the page starts after this name (as the last page's
    /// `next_after` gave it).
    pub after: Option<String>,
    /// Page size, 1-200.
    pub limit: i64,
}

/// A custom field with one asset's value.
#[derive(Clone, Debug)]
pub struct FieldValue {
    /// The definition.
    pub field: FieldDef,
    /// The value, if set.
    pub value: Option<String>,
}

/// A relation as its reader may see it: a ticket's title only when the
/// reader may read the ticket, an asset's name (same client), and pages
/// and secrets by id (their own features show them).
#[derive(Clone, Debug)]
pub struct LinkView {
    /// The relation.
    pub link: Link,
    /// What the target is called, when the reader may know.
    pub title: Option<String>,
}

/// An asset with its custom fields and relations.
#[derive(Clone, Debug)]
pub struct AssetRecord {
    /// The asset.
    pub asset: Asset,
    /// Its type's custom fields with its values.
    pub fields: Vec<FieldValue>,
    /// Its relations.
    pub links: Vec<LinkView>,
}

/// What an import did, or (dry run) would do.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct AssetImportReport {
    /// True when nothing was written: a dry run, or a file with problems.
    pub dry_run: bool,
    /// The file's headers, in order (for the mapping step).
    pub headers: Vec<String>,
    /// The mapping used: file header -> asset field, or
    /// `custom:<field name>` for a custom field.
    pub mapping: BTreeMap<String, String>,
    /// Rows read (blank rows skipped).
    pub rows: usize,
    /// Rows that would add (or added) an asset.
    pub added: usize,
    /// Rows naming an asset that differed: changed to match.
    pub changed: usize,
    /// Rows that matched their asset already.
    pub unchanged: usize,
    /// Every refused row: row, field, reason. Any of them refuses the
    /// whole file (all or nothing).
    pub problems: Vec<RowProblem>,
}

/// The validated form of a stored asset.
pub fn draft_of(a: &Asset) -> Result<AssetDraft> {
    let date = |s: &Option<String>| -> Result<Option<Date>> {
        s.as_deref()
            .map(|s| s.parse::<Date>())
            .transpose()
            .map_err(|e| ServiceError::Internal(format!("stored date: {e}")))
    };
    let certificate = if a.asset_type == AssetType::TlsCertificate {
        Some(CertificateFacts {
            subject: a.cert_subject.clone(),
            issuer: a.cert_issuer.clone(),
            sans: a
                .cert_sans
                .lines()
                .filter(|l| !l.is_empty())
                .map(str::to_owned)
                .collect(),
            not_after: date(&a.cert_not_after)?,
        })
    } else {
        None
    };
    Ok(AssetDraft {
        name: a.name.clone(),
        asset_type: Some(a.asset_type),
        status: Some(a.status),
        acquired_on: date(&a.acquired_on)?,
        retired_on: date(&a.retired_on)?,
        owner: Owner {
            user_id: a.owner_user_id.as_deref().and_then(|u| u.parse().ok()),
            text: a.owner_text.clone(),
        },
        location: a.location.clone(),
        serial: a.serial.clone(),
        vendor: a.vendor.clone(),
        warranty_end: date(&a.warranty_end)?,
        renewal_on: date(&a.renewal_on)?,
        certificate,
        notes: a.notes.clone(),
    })
}

/// Copy a spec onto a stored asset, with its derived columns.
fn apply(a: &mut Asset, s: &AssetSpec, rules: &[ReminderRule], fired: &[(ExpiryKind, Date)]) {
    let d = |x: Option<Date>| x.map(|x| x.to_string());
    a.name = s.base.name().to_owned();
    a.asset_type = s.asset_type;
    a.status = s.base.status();
    a.acquired_on = d(s.base.acquired_on());
    a.retired_on = d(s.base.retired_on());
    a.owner_user_id = s.owner.user_id.map(|u| u.to_string());
    a.owner_text = s.owner.text.clone();
    a.location = s.location.clone();
    a.serial = s.serial.clone();
    a.vendor = s.vendor.clone();
    a.warranty_end = d(s.warranty_end);
    a.renewal_on = d(s.renewal_on);
    let cert = s.certificate.clone().unwrap_or_default();
    a.cert_not_after = d(cert.not_after);
    a.cert_subject = cert.subject;
    a.cert_issuer = cert.issuer;
    a.cert_sans = cert.sans.join("\n");
    a.notes = s.notes.clone();
    a.search_text = s.search_text();
    let expiries = s.expiries();
    a.next_expiry = d(expiries.iter().map(|(_, d)| *d).min());
    a.next_reminder_on = d(asset::next_reminder_on(&expiries, rules, fired));
}

/// A fresh stored asset of `client`.
fn blank(client: OrgId, by: Option<UserId>, now: i64, t: AssetType) -> Asset {
    Asset {
        id: DeviceId::new(),
        client_id: client,
        name: String::new(),
        asset_type: t,
        status: DeviceStatus::Active,
        acquired_on: None,
        retired_on: None,
        version: 1,
        created_at: now,
        updated_at: now,
        created_by: by.map(|u| u.to_string()),
        owner_user_id: None,
        owner_text: String::new(),
        location: String::new(),
        serial: String::new(),
        vendor: String::new(),
        warranty_end: None,
        renewal_on: None,
        cert_not_after: None,
        cert_subject: String::new(),
        cert_issuer: String::new(),
        cert_sans: String::new(),
        notes: String::new(),
        search_text: String::new(),
        next_expiry: None,
        next_reminder_on: None,
    }
}

/// A new stored asset of `client` from a checked spec, its derived
/// columns (search text, next expiry, next reminder day under `rules`)
/// filled: what an insert writes, for bulk loaders too.
pub fn new_asset(
    client: OrgId,
    by: Option<UserId>,
    now: i64,
    spec: &AssetSpec,
    rules: &[ReminderRule],
) -> Asset {
    let mut a = blank(client, by, now, spec.asset_type);
    apply(&mut a, spec, rules, &[]);
    a
}

/// The fields an audit entry records of an asset.
fn fields(a: &Asset) -> serde_json::Value {
    json!({ "name": a.name, "asset_type": a.asset_type, "status": a.status, "owner": a.owner_text,
        "owner_user_id": a.owner_user_id, "location": a.location, "serial": a.serial, "vendor": a.vendor,
        "acquired_on": a.acquired_on, "retired_on": a.retired_on, "warranty_end": a.warranty_end,
        "renewal_on": a.renewal_on, "cert_not_after": a.cert_not_after })
}

/// Fired reminders as the domain reads them.
pub(crate) fn parse_fired(rows: Vec<(String, String)>) -> Vec<(ExpiryKind, Date)> {
    rows.into_iter()
        .filter_map(|(k, d)| Some((k.parse().ok()?, d.parse().ok()?)))
        .collect()
}

/// Read a certificate's facts from PEM text (the first certificate in it).
pub fn certificate_from_pem(pem: &str) -> Result<CertificateFacts> {
    use x509_parser::extensions::GeneralName;
    use x509_parser::prelude::{FromDer, X509Certificate};
    let bad = |why: &str| ServiceError::from(ValidationError::new("pem", why.to_owned()));
    let (_, block) = x509_parser::pem::parse_x509_pem(pem.trim().as_bytes()).map_err(|_| {
        bad("is not a PEM certificate: paste the text from -----BEGIN CERTIFICATE----- to -----END CERTIFICATE-----")
    })?;
    if block.label != "CERTIFICATE" {
        return Err(bad(&format!(
            "holds a {:?} block; only a CERTIFICATE is read (never upload a private key)",
            block.label
        )));
    }
    let (_, cert) = X509Certificate::from_der(&block.contents)
        .map_err(|_| bad("the certificate inside the PEM block cannot be read as X.509"))?;
    let mut sans = Vec::new();
    if let Ok(Some(ext)) = cert.subject_alternative_name() {
        for n in &ext.value.general_names {
            match n {
                GeneralName::DNSName(d) => sans.push((*d).to_owned()),
                GeneralName::IPAddress(ip) => match ip.len() {
                    4 => sans.push(format!("{}.{}.{}.{}", ip[0], ip[1], ip[2], ip[3])),
                    _ => sans.push(
                        ip.iter()
                            .map(|b| format!("{b:02x}"))
                            .collect::<Vec<_>>()
                            .join(""),
                    ),
                },
                GeneralName::RFC822Name(m) => sans.push((*m).to_owned()),
                _ => {}
            }
        }
    }
    let not_after = jiff::Timestamp::from_second(cert.validity().not_after.timestamp())
        .map_err(|_| bad("its not-after date is out of range"))?
        .to_zoned_datetime(TimeZone::UTC)
        .date();
    Ok(CertificateFacts {
        subject: cert.subject().to_string(),
        issuer: cert.issuer().to_string(),
        sans,
        not_after: Some(not_after),
    })
}

impl Tandem {
    /// The client whose asset records `actor` wants to reach with `action`.
    pub(crate) async fn assets_client(
        &self,
        actor: &Actor,
        action: AssetAction,
        client: OrgId,
    ) -> Result<Org> {
        let (found, relation) = self.client_only(actor, client).await?;
        crate::decided(policy::decide_assets(actor.role, action, relation))?;
        found.ok_or(ServiceError::NotFound)
    }

    /// Whether `actor` may do `action` to the client's assets (pages show
    /// forms only then); a client out of reach is not found.
    pub async fn may_on_assets(
        &self,
        actor: &Actor,
        client: OrgId,
        action: AssetAction,
    ) -> Result<bool> {
        match self.assets_client(actor, action, client).await {
            Ok(_) => Ok(true),
            Err(ServiceError::Forbidden) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// A page of the client's assets in name order.
    pub async fn list_assets(
        &self,
        actor: &Actor,
        client: OrgId,
        q: &AssetQuery,
    ) -> Result<Vec<Asset>> {
        let org = self.assets_client(actor, AssetAction::Read, client).await?;
        let (expiring_from, expiring_by) = match q.expiring_within_days {
            Some(days) => {
                if !(0..=3650).contains(&days) {
                    return Err(
                        ValidationError::new("expiring_within", "must be 0-3650 days").into(),
                    );
                }
                let today = self.client_today(&org, jiff::Timestamp::now()).await?;
                let by = today
                    .checked_add(jiff::Span::new().days(days))
                    .map_err(|_| ValidationError::new("expiring_within", "is out of range"))?;
                (Some(today.to_string()), Some(by.to_string()))
            }
            None => (None, None),
        };
        let f = AssetFilter {
            asset_type: q.asset_type,
            status: q.status,
            text: q.text.clone(),
            expiring_by,
            expiring_from,
            after: q.after.as_deref().map(name_key),
            limit: q.limit.clamp(1, 200),
        };
        Ok(assets::list(&self.db, client, &f).await?)
    }

    /// One asset with its custom fields and relations.
    pub async fn asset_record(
        &self,
        actor: &Actor,
        client: OrgId,
        id: DeviceId,
    ) -> Result<AssetRecord> {
        self.assets_client(actor, AssetAction::Read, client).await?;
        let a = assets::get(&self.db, client, id).await?;
        let defs = assets::fields(&self.db, client, Some(a.asset_type)).await?;
        let values: HashMap<String, String> = assets::values(&self.db, client, id)
            .await?
            .into_iter()
            .collect();
        let fields = defs
            .into_iter()
            .map(|f| FieldValue {
                value: values.get(&f.id.to_string()).cloned(),
                field: f,
            })
            .collect();
        let links = self.link_views(actor, client, id).await?;
        Ok(AssetRecord {
            asset: a,
            fields,
            links,
        })
    }

    /// An asset's relations as `actor` may see them.
    async fn link_views(
        &self,
        actor: &Actor,
        client: OrgId,
        id: DeviceId,
    ) -> Result<Vec<LinkView>> {
        let links = assets::links(&self.db, client, id).await?;
        let tickets: Vec<(TicketId, OrgId)> = links
            .iter()
            .filter(|l| l.target_kind == LinkTarget::Ticket)
            .filter_map(|l| Some((l.target_id.parse().ok()?, client)))
            .collect();
        let readable = self.readable_tickets(actor, &tickets).await?;
        let mut out = Vec::with_capacity(links.len());
        for l in links {
            let title = match l.target_kind {
                LinkTarget::Ticket => match l.target_id.parse::<TicketId>() {
                    Ok(t) if readable.contains(&t) => {
                        let requester = actor.role == tandem_domain::Role::Requester;
                        match tandem_store::tickets::find(&self.db, &actor.scope(), requester, t)
                            .await
                        {
                            Ok(row) => Some(format!("#{} {}", row.number, row.title)),
                            Err(StoreError::NotFound) => None,
                            Err(e) => return Err(e.into()),
                        }
                    }
                    _ => None,
                },
                LinkTarget::Asset => match l.target_id.parse::<DeviceId>() {
                    Ok(other) => match assets::get(&self.db, client, other).await {
                        Ok(o) => Some(o.name),
                        Err(StoreError::NotFound) => None,
                        Err(e) => return Err(e.into()),
                    },
                    Err(_) => None,
                },
                // Whoever reads an asset (IT staff of either side) may
                // read the client's pages and its vault's list.
                LinkTarget::Page => match l.target_id.parse::<PageId>() {
                    Ok(p) => {
                        match tandem_store::documents::get(&self.db, &actor.scope(), p).await {
                            Ok(page) if page.client_id == client => Some(page.title),
                            Ok(_) | Err(StoreError::NotFound) => None,
                            Err(e) => return Err(e.into()),
                        }
                    }
                    Err(_) => None,
                },
                LinkTarget::Secret => match l.target_id.parse::<VaultSecretId>() {
                    Ok(v) => match tandem_store::vault::get(&self.db, client, v).await {
                        Ok(secret) => Some(secret.name),
                        Err(StoreError::NotFound) => None,
                        Err(e) => return Err(e.into()),
                    },
                    Err(_) => None,
                },
            };
            out.push(LinkView { link: l, title });
        }
        Ok(out)
    }

    /// Check an owner named by id: a person of the client.
    async fn check_owner(&self, client: OrgId, owner: &Owner) -> Result<()> {
        if let Some(u) = owner.user_id {
            match users::get_for_actor(&self.db, u).await {
                Ok(p) if p.org_id == client => {}
                Ok(_) | Err(StoreError::NotFound) => {
                    return Err(ValidationError::new(
                        "owner_user_id",
                        "is not a person of this client",
                    )
                    .into());
                }
                Err(e) => return Err(e.into()),
            }
        }
        Ok(())
    }

    /// Write custom values (by field name, of the asset's type); blank
    /// clears. Every value is checked against its field's kind.
    async fn write_values(
        &self,
        tx: &mut Tx,
        client: OrgId,
        a: &Asset,
        custom: &BTreeMap<String, String>,
    ) -> Result<()> {
        if custom.is_empty() {
            return Ok(());
        }
        let defs = assets::fields(&self.db, client, Some(a.asset_type)).await?;
        for (name, raw) in custom {
            let (field, value) = custom_value(&defs, a.asset_type, name, raw)?;
            assets::set_value(tx, client, a.id, field, value.as_deref()).await?;
        }
        Ok(())
    }

    /// Add an asset, with custom values by field name.
    pub async fn add_asset(
        &self,
        actor: &Actor,
        client: OrgId,
        draft: AssetDraft,
        custom: &BTreeMap<String, String>,
        meta: &RequestMeta,
    ) -> Result<Asset> {
        self.assets_client(actor, AssetAction::Write, client)
            .await?;
        let spec = AssetSpec::new(draft)?;
        self.check_owner(client, &spec.owner).await?;
        let rules = assets::rules(&self.db, client).await?;
        let mut a = blank(client, Some(actor.user_id), now_ms(), spec.asset_type);
        apply(&mut a, &spec, &rules_with_defaults(&rules), &[]);
        let mut tx = self.db.begin().await?;
        assets::insert(&mut tx, &a)
            .await
            .map_err(|e| name_taken(e, spec.base.name()))?;
        self.write_values(&mut tx, client, &a, custom).await?;
        record(
            &mut tx,
            Some(actor),
            "",
            meta,
            Entry {
                org: Some(client),
                action: "asset.add",
                object_type: "asset",
                object_id: a.id.to_string(),
                change: json!({ "asset": fields(&a), "custom_fields": custom }),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(a)
    }

    /// Change an asset made on `version` to `draft` (the whole record as it
    /// should be), with custom values by field name.
    #[allow(clippy::too_many_arguments)]
    pub async fn change_asset(
        &self,
        actor: &Actor,
        client: OrgId,
        id: DeviceId,
        version: i64,
        draft: AssetDraft,
        custom: &BTreeMap<String, String>,
        meta: &RequestMeta,
    ) -> Result<Asset> {
        self.assets_client(actor, AssetAction::Write, client)
            .await?;
        let current = assets::get(&self.db, client, id).await?;
        if current.version != version {
            return Err(ServiceError::Stale {
                current_version: current.version,
            });
        }
        let spec = AssetSpec::new(draft)?;
        self.check_owner(client, &spec.owner).await?;
        let rules = rules_with_defaults(&assets::rules(&self.db, client).await?);
        let mut tx = self.db.begin().await?;
        let fired = parse_fired(assets::fired_tx(&mut tx, client, id).await?);
        let mut a = current.clone();
        apply(&mut a, &spec, &rules, &fired);
        if a != current || !custom.is_empty() {
            a.updated_at = now_ms();
            let written = assets::update(&mut tx, client, &a, version)
                .await
                .map_err(|e| name_taken(e, spec.base.name()))?;
            if !written {
                drop(tx);
                let now = assets::get(&self.db, client, id).await?;
                return Err(ServiceError::Stale {
                    current_version: now.version,
                });
            }
            self.write_values(&mut tx, client, &a, custom).await?;
            record(&mut tx, Some(actor), "", meta, Entry {
                org: Some(client),
                action: "asset.change",
                object_type: "asset",
                object_id: id.to_string(),
                change: json!({ "before": fields(&current), "after": fields(&a), "custom_fields": custom }),
            })
            .await?;
            tx.commit().await?;
            a.version = version + 1;
            Ok(a)
        } else {
            Ok(current)
        }
    }

    /// Add a TLS certificate from its PEM text; the name defaults to its
    /// first subject alternative name (else its subject).
    pub async fn add_certificate(
        &self,
        actor: &Actor,
        client: OrgId,
        name: Option<&str>,
        pem: &str,
        meta: &RequestMeta,
    ) -> Result<Asset> {
        self.assets_client(actor, AssetAction::Write, client)
            .await?;
        if pem.len() > ASSET_UPLOAD_MAX_BYTES {
            return Err(ServiceError::TooLarge {
                limit: ASSET_UPLOAD_MAX_BYTES,
            });
        }
        let facts = certificate_from_pem(pem)?;
        let name = match name.map(str::trim).filter(|n| !n.is_empty()) {
            Some(n) => n.to_owned(),
            None => facts
                .sans
                .first()
                .cloned()
                .unwrap_or_else(|| facts.subject.clone()),
        };
        let draft = AssetDraft {
            name,
            asset_type: Some(AssetType::TlsCertificate),
            vendor: facts.issuer.chars().take(200).collect(),
            certificate: Some(facts),
            ..AssetDraft::default()
        };
        self.add_asset(actor, client, draft, &BTreeMap::new(), meta)
            .await
    }

    /// Set an existing certificate's facts from new PEM text (a renewed
    /// certificate), as a change made on `version`.
    pub async fn renew_certificate(
        &self,
        actor: &Actor,
        client: OrgId,
        id: DeviceId,
        version: i64,
        pem: &str,
        meta: &RequestMeta,
    ) -> Result<Asset> {
        self.assets_client(actor, AssetAction::Write, client)
            .await?;
        let current = assets::get(&self.db, client, id).await?;
        let facts = certificate_from_pem(pem)?;
        let mut draft = draft_of(&current)?;
        draft.certificate = Some(facts);
        self.change_asset(actor, client, id, version, draft, &BTreeMap::new(), meta)
            .await
    }

    /// The client's custom field definitions.
    pub async fn asset_fields(&self, actor: &Actor, client: OrgId) -> Result<Vec<FieldDef>> {
        self.assets_client(actor, AssetAction::Read, client).await?;
        Ok(assets::fields(&self.db, client, None).await?)
    }

    /// Define a custom field for one asset type.
    pub async fn define_asset_field(
        &self,
        actor: &Actor,
        client: OrgId,
        asset_type: AssetType,
        name: &str,
        kind: FieldKind,
        meta: &RequestMeta,
    ) -> Result<FieldDef> {
        self.assets_client(actor, AssetAction::Configure, client)
            .await?;
        let f = FieldDef {
            id: AssetFieldId::new(),
            client_id: client,
            asset_type,
            name: asset::field_name(name)?,
            kind,
            created_at: now_ms(),
        };
        let mut tx = self.db.begin().await?;
        assets::insert_field(&mut tx, &f)
            .await
            .map_err(|e| match e {
                StoreError::Conflict => ServiceError::Conflict(format!(
                    "{} has a field named {:?} already",
                    asset_type.label(),
                    f.name
                )),
                other => other.into(),
            })?;
        record(
            &mut tx,
            Some(actor),
            "",
            meta,
            Entry {
                org: Some(client),
                action: "asset.field.define",
                object_type: "asset_field",
                object_id: f.id.to_string(),
                change: json!({ "asset_type": asset_type, "name": f.name, "kind": kind }),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(f)
    }

    /// Relate an asset to another asset, a page, a ticket or a secret of
    /// the same client. Asset and ticket targets must exist in the client
    /// (a foreign one is not found); pages and secrets are checked by
    /// their own features.
    pub async fn link_asset(
        &self,
        actor: &Actor,
        client: OrgId,
        id: DeviceId,
        target_kind: LinkTarget,
        target_id: &str,
        meta: &RequestMeta,
    ) -> Result<LinkView> {
        self.assets_client(actor, AssetAction::Write, client)
            .await?;
        assets::get(&self.db, client, id).await?;
        let target = target_id.trim();
        let bad = || ServiceError::from(ValidationError::new("target_id", "is not an id"));
        let mut tx = self.db.begin().await?;
        match target_kind {
            LinkTarget::Asset => {
                let other: DeviceId = target.parse().map_err(|_| bad())?;
                if other == id {
                    return Err(ValidationError::new(
                        "target_id",
                        "an asset cannot relate to itself",
                    )
                    .into());
                }
                assets::get_tx(&mut tx, client, other).await?;
            }
            // Another client's ticket, page or secret is not found, the
            // same as a missing one.
            LinkTarget::Ticket | LinkTarget::Page | LinkTarget::Secret => {
                let id = target.parse::<uuid::Uuid>().map_err(|_| bad())?;
                if !assets::target_exists_tx(&mut tx, client, target_kind, &id.to_string()).await? {
                    return Err(ServiceError::NotFound);
                }
            }
        }
        let l = Link {
            id: AssetLinkId::new(),
            client_id: client,
            asset_id: id,
            target_kind,
            target_id: target.to_lowercase(),
            created_at: now_ms(),
            created_by: Some(actor.user_id.to_string()),
        };
        assets::insert_link(&mut tx, &l)
            .await
            .map_err(|e| match e {
                StoreError::Conflict => {
                    ServiceError::Conflict("the asset has this relation already".into())
                }
                other => other.into(),
            })?;
        record(
            &mut tx,
            Some(actor),
            "",
            meta,
            Entry {
                org: Some(client),
                action: "asset.link",
                object_type: "asset",
                object_id: id.to_string(),
                change: json!({ "target_kind": target_kind, "target_id": l.target_id }),
            },
        )
        .await?;
        tx.commit().await?;
        let mut views = self.link_views(actor, client, id).await?;
        views.retain(|v| v.link.id == l.id);
        views.pop().ok_or(ServiceError::NotFound)
    }

    /// An asset's relations as `actor` may see them.
    pub async fn asset_links(
        &self,
        actor: &Actor,
        client: OrgId,
        id: DeviceId,
    ) -> Result<Vec<LinkView>> {
        self.assets_client(actor, AssetAction::Read, client).await?;
        assets::get(&self.db, client, id).await?;
        self.link_views(actor, client, id).await
    }

    /// Remove a relation of an asset.
    pub async fn unlink_asset(
        &self,
        actor: &Actor,
        client: OrgId,
        id: DeviceId,
        link: AssetLinkId,
        meta: &RequestMeta,
    ) -> Result<()> {
        self.assets_client(actor, AssetAction::Write, client)
            .await?;
        let mut tx = self.db.begin().await?;
        if !assets::delete_link(&mut tx, client, id, link).await? {
            return Err(ServiceError::NotFound);
        }
        record(
            &mut tx,
            Some(actor),
            "",
            meta,
            Entry {
                org: Some(client),
                action: "asset.unlink",
                object_type: "asset",
                object_id: id.to_string(),
                change: json!({ "link_id": link }),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The client's reminder rules, every kind (defaults where unset).
    pub async fn asset_reminder_rules(
        &self,
        actor: &Actor,
        client: OrgId,
    ) -> Result<Vec<ReminderRule>> {
        self.assets_client(actor, AssetAction::Read, client).await?;
        Ok(rules_with_defaults(&assets::rules(&self.db, client).await?))
    }

    /// Set the client's rule for one kind of expiry; every asset's next
    /// reminder day moves with it.
    pub async fn set_asset_reminder_rule(
        &self,
        actor: &Actor,
        client: OrgId,
        rule: &ReminderRule,
        meta: &RequestMeta,
    ) -> Result<Vec<ReminderRule>> {
        let org = self
            .assets_client(actor, AssetAction::Configure, client)
            .await?;
        let desk = self.desk_of(actor, &org).await?;
        if !desk.categories.iter().any(|c| c.key == rule.category) {
            return Err(ValidationError::new(
                "category",
                format!("{:?} is not a category of this client", rule.category),
            )
            .into());
        }
        let mut tx = self.db.begin().await?;
        assets::put_rule(&mut tx, client, rule, now_ms()).await?;
        let rules = rules_with_defaults(&assets::rules_tx(&mut tx, client).await?);
        for a in assets::in_client_tx(&mut tx, client).await? {
            let fired = parse_fired(assets::fired_tx(&mut tx, client, a.id).await?);
            let spec = AssetSpec::new(draft_of(&a)?)?;
            let next =
                asset::next_reminder_on(&spec.expiries(), &rules, &fired).map(|d| d.to_string());
            if next != a.next_reminder_on {
                assets::set_next_reminder(&mut tx, client, a.id, next.as_deref()).await?;
            }
        }
        record(&mut tx, Some(actor), "", meta, Entry {
            org: Some(client),
            action: "asset.reminder_rule",
            object_type: "client",
            object_id: client.to_string(),
            change: json!({ "kind": rule.kind, "days_before": rule.days_before, "open_ticket": rule.open_ticket, "category": rule.category }),
        })
        .await?;
        tx.commit().await?;
        Ok(rules)
    }

    /// The client's dates running out from today (its time zone) to
    /// `days` ahead, soonest first: what the client overview shows.
    pub async fn upcoming_expiries(
        &self,
        actor: &Actor,
        client_id: OrgId,
        days: i64,
    ) -> Result<Vec<Expiring>> {
        let org = self
            .assets_client(actor, AssetAction::Read, client_id)
            .await?;
        if !(0..=3650).contains(&days) {
            return Err(ValidationError::new("days", "must be 0-3650").into());
        }
        let today = self.client_today(&org, jiff::Timestamp::now()).await?;
        let to = today
            .checked_add(jiff::Span::new().days(days))
            .map_err(|_| ValidationError::new("days", "is out of range"))?;
        Ok(
            assets::expiring_between(&self.db, client_id, &today.to_string(), &to.to_string())
                .await?,
        )
    }

    /// Import assets from CSV text with `mapping` (file header -> asset
    /// field or `custom:<field name>`; None maps the headers that name
    /// fields, built-in first, then the client's custom fields, so an
    /// export reads back as it was). All or nothing: a file with any bad
    /// row writes nothing and lists every problem. A row naming an asset
    /// the client has (any case) changes it to match; others add assets.
    /// A custom value must fit a field of the row's type; a blank custom
    /// cell leaves the value as it is. `dry_run` reports what would happen
    /// and writes nothing.
    pub async fn import_assets(
        &self,
        actor: &Actor,
        client: OrgId,
        text: &str,
        mapping: Option<&HashMap<String, String>>,
        dry_run: bool,
        meta: &RequestMeta,
    ) -> Result<AssetImportReport> {
        self.assets_client(actor, AssetAction::Write, client)
            .await?;
        if text.len() > ASSET_UPLOAD_MAX_BYTES {
            return Err(ServiceError::TooLarge {
                limit: ASSET_UPLOAD_MAX_BYTES,
            });
        }
        let defs = assets::fields(&self.db, client, None).await?;
        let mapping = match mapping {
            Some(m) => m.clone(),
            None => {
                let first = tandem_domain::csv::records(text)
                    .ok()
                    .and_then(|r| r.into_iter().find(|r| !r.is_blank()))
                    .map(|r| {
                        r.fields
                            .iter()
                            .map(|f| f.trim().to_owned())
                            .collect::<Vec<_>>()
                    })
                    .unwrap_or_default();
                let names: Vec<String> = defs.iter().map(|d| d.name.clone()).collect();
                asset::suggested_mapping(&first, &names)
            }
        };
        let read = read_asset_import(text, &mapping)?;
        // Which type's field a column is depends on each row's type; the
        // mapping only has to name a field some type has.
        if let Some(name) = mapping
            .values()
            .filter_map(|t| asset::custom_field_of(t))
            .find(|n| !defs.iter().any(|d| name_key(&d.name) == name_key(n)))
        {
            return Err(ValidationError::new(
                "mapping",
                format!("{name:?} is not a custom field of this client"),
            )
            .into());
        }
        let mut report = AssetImportReport {
            dry_run: true,
            headers: read.headers.clone(),
            mapping: mapping.into_iter().collect(),
            rows: read.rows.len()
                + read
                    .problems
                    .iter()
                    .map(|p| p.row)
                    .collect::<std::collections::BTreeSet<_>>()
                    .len(),
            problems: read.problems,
            ..AssetImportReport::default()
        };
        let rules = rules_with_defaults(&assets::rules(&self.db, client).await?);
        let now = now_ms();
        let mut tx = self.db.begin().await?;
        let mut existing: HashMap<String, Asset> = assets::in_client_tx(&mut tx, client)
            .await?
            .into_iter()
            .map(|a| (name_key(&a.name), a))
            .collect();
        let mut writes: Vec<(Option<i64>, Asset, Vec<StoredValue>)> = Vec::new();
        for row in &read.rows {
            let mut custom = Vec::with_capacity(row.custom.len());
            let mut refused = false;
            for c in &row.custom {
                match custom_value(&defs, row.spec.asset_type, &c.field, &c.value) {
                    Ok(v) => custom.push(v),
                    Err(e) => {
                        refused = true;
                        report.problems.push(RowProblem {
                            row: row.row,
                            column: Some(c.header.clone()),
                            message: e.message,
                        });
                    }
                }
            }
            if refused {
                continue;
            }
            match existing.remove(&name_key(row.spec.base.name())) {
                Some(current) => {
                    // Columns the mapping leaves out keep their values: a
                    // row says what it knows.
                    let mut draft = draft_of(&current)?;
                    let s = &row.spec;
                    let mapped = |f: &str| report.mapping.values().any(|v| v == f);
                    draft.name = s.base.name().to_owned();
                    draft.asset_type = Some(s.asset_type);
                    if mapped("status") {
                        draft.status = Some(s.base.status());
                        draft.retired_on = s.base.retired_on();
                    }
                    if mapped("retired_on") {
                        draft.retired_on = s.base.retired_on();
                        draft.status = Some(s.base.status());
                    }
                    if mapped("acquired_on") {
                        draft.acquired_on = s.base.acquired_on();
                    }
                    if mapped("owner") {
                        draft.owner.text = s.owner.text.clone();
                    }
                    if mapped("location") {
                        draft.location = s.location.clone();
                    }
                    if mapped("serial") {
                        draft.serial = s.serial.clone();
                    }
                    if mapped("vendor") {
                        draft.vendor = s.vendor.clone();
                    }
                    if mapped("warranty_end") {
                        draft.warranty_end = s.warranty_end;
                    }
                    if mapped("renewal_on") {
                        draft.renewal_on = s.renewal_on;
                    }
                    if mapped("cert_not_after") {
                        let mut c = draft.certificate.unwrap_or_default();
                        c.not_after = s.certificate.as_ref().and_then(|c| c.not_after);
                        draft.certificate = Some(c);
                    }
                    if mapped("notes") {
                        draft.notes = s.notes.clone();
                    }
                    if s.asset_type != AssetType::TlsCertificate {
                        draft.certificate = None;
                    }
                    if s.asset_type.renewal_kind().is_none() {
                        draft.renewal_on = None;
                    }
                    let spec = match AssetSpec::new(draft) {
                        Ok(spec) => spec,
                        Err(e) => {
                            report.problems.push(RowProblem {
                                row: row.row,
                                column: Some(e.field.to_owned()),
                                message: e.message,
                            });
                            continue;
                        }
                    };
                    let fired = parse_fired(assets::fired_tx(&mut tx, client, current.id).await?);
                    let mut a = current.clone();
                    apply(&mut a, &spec, &rules, &fired);
                    if !custom.is_empty() {
                        let stored: HashMap<String, String> =
                            assets::values_tx(&mut tx, client, current.id)
                                .await?
                                .into_iter()
                                .collect();
                        custom.retain(|(f, v)| stored.get(&f.to_string()) != v.as_ref());
                    }
                    if a == current && custom.is_empty() {
                        report.unchanged += 1;
                    } else {
                        a.updated_at = now;
                        report.changed += 1;
                        writes.push((Some(current.version), a, custom));
                    }
                }
                None => {
                    let mut a = blank(client, Some(actor.user_id), now, row.spec.asset_type);
                    apply(&mut a, &row.spec, &rules, &[]);
                    report.added += 1;
                    writes.push((None, a, custom));
                }
            }
        }
        report.problems.sort_by_key(|p| p.row);
        if dry_run || !report.problems.is_empty() {
            return Ok(report);
        }
        for (version, a, custom) in &writes {
            match version {
                Some(v) => {
                    if !assets::update(&mut tx, client, a, *v).await? {
                        return Err(changed_meanwhile());
                    }
                }
                None => assets::insert(&mut tx, a).await.map_err(|e| match e {
                    StoreError::Conflict => changed_meanwhile(),
                    other => other.into(),
                })?,
            }
            for (field, value) in custom {
                assets::set_value(&mut tx, client, a.id, *field, value.as_deref()).await?;
            }
        }
        record(&mut tx, Some(actor), "", meta, Entry {
            org: Some(client),
            action: "asset.import",
            object_type: "client",
            object_id: client.to_string(),
            change: json!({ "rows": report.rows, "added": report.added, "changed": report.changed, "unchanged": report.unchanged, "mapping": report.mapping }),
        })
        .await?;
        tx.commit().await?;
        report.dry_run = false;
        Ok(report)
    }

    /// The client's assets of one type (or all) as CSV: the import's
    /// columns, then the type's custom fields (all types: none).
    pub async fn export_assets(
        &self,
        actor: &Actor,
        client: OrgId,
        asset_type: Option<AssetType>,
    ) -> Result<String> {
        self.assets_client(actor, AssetAction::Read, client).await?;
        let list = assets::all_of_type(&self.db, client, asset_type).await?;
        let defs = match asset_type {
            Some(t) => assets::fields(&self.db, client, Some(t)).await?,
            None => Vec::new(),
        };
        let mut header: Vec<String> = asset::IMPORT_FIELDS
            .iter()
            .map(|f| (*f).to_owned())
            .collect();
        header.extend(defs.iter().map(|d| d.name.clone()));
        let mut out = asset::csv_line(&header);
        for a in list {
            let mut row = vec![
                a.name.clone(),
                a.asset_type.as_str().to_owned(),
                a.status.as_str().to_owned(),
                a.owner_text.clone(),
                a.location.clone(),
                a.serial.clone(),
                a.vendor.clone(),
                a.acquired_on.clone().unwrap_or_default(),
                a.retired_on.clone().unwrap_or_default(),
                a.warranty_end.clone().unwrap_or_default(),
                a.renewal_on.clone().unwrap_or_default(),
                a.cert_not_after.clone().unwrap_or_default(),
                a.notes.clone(),
            ];
            if !defs.is_empty() {
                let values: HashMap<String, String> = assets::values(&self.db, client, a.id)
                    .await?
                    .into_iter()
                    .collect();
                row.extend(
                    defs.iter()
                        .map(|d| values.get(&d.id.to_string()).cloned().unwrap_or_default()),
                );
            }
            out.push_str(&asset::csv_line(&row));
        }
        Ok(out)
    }
}

/// A checked custom value: its field, and the value as stored (None clears).
type StoredValue = (AssetFieldId, Option<String>);

/// Check a custom value given by field name for an asset of type `t`
/// against the client's fields `defs`: the field must be one of that
/// type's, the value must fit its kind.
fn custom_value(
    defs: &[FieldDef],
    t: AssetType,
    name: &str,
    raw: &str,
) -> std::result::Result<StoredValue, ValidationError> {
    let Some(def) = defs
        .iter()
        .find(|d| d.asset_type == t && name_key(&d.name) == name_key(name))
    else {
        return Err(ValidationError::new(
            "custom_fields",
            format!("{name:?} is not a field of {}", t.label()),
        ));
    };
    Ok((def.id, asset::field_value(def.kind, &def.name, raw)?))
}

/// A unique-name conflict in words.
fn name_taken(e: StoreError, name: &str) -> ServiceError {
    match e {
        StoreError::Conflict => {
            ServiceError::Conflict(format!("the client has an asset named {name:?} already"))
        }
        other => other.into(),
    }
}

fn changed_meanwhile() -> ServiceError {
    ServiceError::Conflict(
        "the assets changed while the file was read; nothing was stored, import it again".into(),
    )
}
