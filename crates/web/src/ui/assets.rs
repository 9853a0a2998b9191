//! The asset pages of a client: the filtered list, a new asset (or a
//! certificate from PEM), the record with its custom fields and relations
//! (view and edit), the CSV import in steps (paste, map the columns, dry
//! run, confirm) and the admins' settings (reminder rules, custom fields).

use super::Nav;
use crate::AppState;
use crate::auth::{CsrfForm, PageSession};
use crate::error::PageError;
use askama::Template;
use askama_web::WebTemplate;
use axum::Extension;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use std::collections::{BTreeMap, HashMap};
use tandem_domain::asset::{
    AssetDraft, AssetType, CertificateFacts, ExpiryKind, FieldKind, IMPORT_FIELDS, LinkTarget,
    Owner, ReminderRule, custom_target,
};
use tandem_domain::device::{DeviceStatus, RowProblem, name_key, parse_date};
use tandem_domain::policy::AssetAction;
use tandem_domain::{DeviceId, OrgId};
use tandem_service::assets::{
    Asset, AssetImportReport, AssetQuery, AssetRecord, FieldDef, draft_of,
};
use tandem_service::auth::SessionActor;
use tandem_service::{RequestMeta, ServiceError};

/// The client picker every asset page starts with.
struct ClientPick {
    client: OrgId,
    client_name: String,
    clients: Vec<(String, String, bool)>,
}

async fn pick(
    s: &AppState,
    session: &SessionActor,
    asked: Option<OrgId>,
) -> Result<ClientPick, PageError> {
    let (orgs, client) = super::client_choice(s, &session.actor, asked).await?;
    Ok(ClientPick {
        client,
        client_name: orgs
            .iter()
            .find(|o| o.id == client)
            .map_or_else(String::new, |o| o.name.clone()),
        clients: orgs
            .iter()
            .map(|o| (o.id.to_string(), o.name.clone(), o.id == client))
            .collect(),
    })
}

/// Every type as (code, words).
fn types() -> Vec<(&'static str, &'static str)> {
    AssetType::ALL
        .iter()
        .map(|t| (t.as_str(), t.label()))
        .collect()
}

/// A refusal as the page shows it, with the status it answers.
fn refusal(e: ServiceError) -> Result<(StatusCode, String), PageError> {
    match e {
        ServiceError::Invalid(v) => Ok((StatusCode::UNPROCESSABLE_ENTITY, super::refusal_text(&v))),
        e @ (ServiceError::Conflict(_) | ServiceError::Stale { .. }) => {
            Ok((StatusCode::CONFLICT, e.to_string()))
        }
        other => Err(PageError::from(other)),
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "assets.html")]
pub(super) struct AssetsPage {
    nav: Nav,
    pick: ClientPick,
    assets: Vec<Asset>,
    filter_type: String,
    filter_status: String,
    filter_q: String,
    filter_expiring: String,
    next_after: Option<String>,
    can_edit: bool,
}

impl AssetsPage {
    fn types(&self) -> Vec<(&'static str, &'static str)> {
        types()
    }

    fn type_words(&self, t: &AssetType) -> &'static str {
        t.label()
    }
}

#[derive(Deserialize)]
pub(super) struct AssetsQuery {
    client: Option<OrgId>,
    #[serde(default, rename = "type")]
    asset_type: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    q: String,
    #[serde(default)]
    expiring: String,
    after: Option<String>,
}

/// Rows of a list page.
const PAGE_ROWS: i64 = 50;

/// The list of a client's assets, filtered, a page at a time.
pub(super) async fn get_assets(
    State(s): State<AppState>,
    PageSession(session): PageSession,
    Query(q): Query<AssetsQuery>,
) -> Result<AssetsPage, PageError> {
    let pick = pick(&s, &session, q.client).await?;
    let a = &session.actor;
    let query = AssetQuery {
        asset_type: q.asset_type.parse().ok(),
        status: q.status.parse().ok(),
        text: Some(q.q.clone()).filter(|t| !t.trim().is_empty()),
        expiring_within_days: q.expiring.trim().parse().ok(),
        after: q.after.clone(),
        limit: PAGE_ROWS,
    };
    let assets = s.tandem.list_assets(a, pick.client, &query).await?;
    let next_after = (assets.len() as i64 == PAGE_ROWS)
        .then(|| assets.last().map(|a| a.name.clone()))
        .flatten();
    Ok(AssetsPage {
        nav: Nav::load(&s, &session).await,
        can_edit: s
            .tandem
            .may_on_assets(a, pick.client, AssetAction::Write)
            .await?,
        pick,
        assets,
        filter_type: q.asset_type,
        filter_status: q.status,
        filter_q: q.q,
        filter_expiring: q.expiring,
        next_after,
    })
}

#[derive(Template, WebTemplate)]
#[template(path = "asset_new.html")]
pub(super) struct AssetNewPage {
    nav: Nav,
    pick: ClientPick,
    error: Option<String>,
}

impl AssetNewPage {
    fn types(&self) -> Vec<(&'static str, &'static str)> {
        types()
    }
}

#[derive(Deserialize)]
pub(super) struct ClientQuery {
    client: Option<OrgId>,
}

/// The form for a new asset, and for a certificate from PEM.
pub(super) async fn get_asset_new(
    State(s): State<AppState>,
    PageSession(session): PageSession,
    Query(q): Query<ClientQuery>,
) -> Result<Response, PageError> {
    let pick = pick(&s, &session, q.client).await?;
    if !s
        .tandem
        .may_on_assets(&session.actor, pick.client, AssetAction::Write)
        .await?
    {
        return Err(ServiceError::Forbidden.into());
    }
    Ok(AssetNewPage {
        nav: Nav::load(&s, &session).await,
        pick,
        error: None,
    }
    .into_response())
}

/// The fields of the asset forms (new and edit).
#[derive(Deserialize)]
pub(super) struct AssetForm {
    client_id: OrgId,
    #[serde(default)]
    version: i64,
    #[serde(default)]
    name: String,
    #[serde(default)]
    asset_type: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    owner: String,
    #[serde(default)]
    location: String,
    #[serde(default)]
    serial: String,
    #[serde(default)]
    vendor: String,
    #[serde(default)]
    acquired_on: String,
    #[serde(default)]
    retired_on: String,
    #[serde(default)]
    warranty_end: String,
    #[serde(default)]
    renewal_on: String,
    #[serde(default)]
    cert_not_after: String,
    #[serde(default)]
    notes: String,
    /// A certificate's PEM text: when given, the asset is read from it.
    #[serde(default)]
    pem: String,
    /// Custom values, `cf_<field name>`.
    #[serde(flatten)]
    rest: HashMap<String, String>,
}

impl AssetForm {
    fn draft(&self, keep: Option<CertificateFacts>) -> Result<AssetDraft, ServiceError> {
        let asset_type = AssetType::parse_loose(&self.asset_type)
            .map_err(|_| tandem_domain::ValidationError::new("asset_type", "choose a type"))?;
        let cert_not_after = parse_date("cert_not_after", &self.cert_not_after)?;
        let certificate = (asset_type == AssetType::TlsCertificate).then(|| {
            let mut c = keep.unwrap_or_default();
            c.not_after = cert_not_after;
            c
        });
        Ok(AssetDraft {
            name: self.name.clone(),
            asset_type: Some(asset_type),
            status: self.status.parse::<DeviceStatus>().ok(),
            acquired_on: parse_date("acquired_on", &self.acquired_on)?,
            retired_on: parse_date("retired_on", &self.retired_on)?,
            owner: Owner {
                user_id: None,
                text: self.owner.clone(),
            },
            location: self.location.clone(),
            serial: self.serial.clone(),
            vendor: self.vendor.clone(),
            warranty_end: parse_date("warranty_end", &self.warranty_end)?,
            renewal_on: parse_date("renewal_on", &self.renewal_on)?,
            certificate,
            notes: self.notes.clone(),
        })
    }

    fn custom(&self) -> BTreeMap<String, String> {
        self.rest
            .iter()
            .filter_map(|(k, v)| Some((k.strip_prefix("cf_")?.to_owned(), v.clone())))
            .collect()
    }
}

/// Add an asset (or a certificate from its PEM text).
pub(super) async fn post_assets(
    State(s): State<AppState>,
    Extension(meta): Extension<RequestMeta>,
    CsrfForm(session, i): CsrfForm<AssetForm>,
) -> Response {
    let a = &session.actor;
    let r = if i.pem.trim().is_empty() {
        match i.draft(None) {
            Ok(d) => {
                s.tandem
                    .add_asset(a, i.client_id, d, &i.custom(), &meta)
                    .await
            }
            Err(e) => Err(e),
        }
    } else {
        s.tandem
            .add_certificate(a, i.client_id, Some(&i.name), &i.pem, &meta)
            .await
    };
    match r {
        Ok(asset) => {
            Redirect::to(&format!("/assets/{}?client={}", asset.id, i.client_id)).into_response()
        }
        Err(e) => {
            let (status, message) = match refusal(e) {
                Ok(x) => x,
                Err(p) => return p.into_response(),
            };
            match pick(&s, &session, Some(i.client_id)).await {
                Ok(pick) => (
                    status,
                    AssetNewPage {
                        nav: Nav::load(&s, &session).await,
                        pick,
                        error: Some(message),
                    },
                )
                    .into_response(),
                Err(p) => p.into_response(),
            }
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "asset.html")]
pub(super) struct AssetPage {
    nav: Nav,
    client: OrgId,
    record: AssetRecord,
    can_edit: bool,
    error: Option<String>,
}

impl AssetPage {
    fn types(&self) -> Vec<(&'static str, &'static str)> {
        types()
    }

    fn targets(&self) -> Vec<(&'static str, &'static str)> {
        vec![
            (LinkTarget::Asset.as_str(), "Asset"),
            (LinkTarget::Ticket.as_str(), "Ticket"),
            (LinkTarget::Page.as_str(), "Page"),
            (LinkTarget::Secret.as_str(), "Secret"),
        ]
    }

    fn kind_words(&self, k: &FieldKind) -> &'static str {
        match k {
            FieldKind::Text => "text",
            FieldKind::Number => "number",
            FieldKind::Date => "date",
            FieldKind::Bool => "yes/no",
        }
    }

    fn input_type(&self, k: &FieldKind) -> &'static str {
        match k {
            FieldKind::Date => "date",
            _ => "text",
        }
    }

    fn opt<'a>(&self, v: &'a Option<String>) -> &'a str {
        v.as_deref().unwrap_or("")
    }
}

async fn asset_page(
    s: &AppState,
    session: &SessionActor,
    client: OrgId,
    id: DeviceId,
    error: Option<String>,
) -> Result<AssetPage, PageError> {
    let a = &session.actor;
    let record = s.tandem.asset_record(a, client, id).await?;
    Ok(AssetPage {
        nav: Nav::load(s, session).await,
        client,
        can_edit: s
            .tandem
            .may_on_assets(a, client, AssetAction::Write)
            .await?,
        record,
        error,
    })
}

#[derive(Deserialize)]
pub(super) struct AssetQueryClient {
    client: OrgId,
}

/// One asset: its record, custom fields and relations, and the edit form.
pub(super) async fn get_asset(
    State(s): State<AppState>,
    PageSession(session): PageSession,
    Path(id): Path<DeviceId>,
    Query(q): Query<AssetQueryClient>,
) -> Result<AssetPage, PageError> {
    asset_page(&s, &session, q.client, id, None).await
}

/// Save the edit form.
pub(super) async fn post_asset(
    State(s): State<AppState>,
    Extension(meta): Extension<RequestMeta>,
    Path(id): Path<DeviceId>,
    CsrfForm(session, i): CsrfForm<AssetForm>,
) -> Response {
    let a = &session.actor;
    let r = async {
        let current = s.tandem.asset_record(a, i.client_id, id).await?.asset;
        let keep = draft_of(&current)?.certificate;
        let draft = i.draft(keep)?;
        s.tandem
            .change_asset(a, i.client_id, id, i.version, draft, &i.custom(), &meta)
            .await
    }
    .await;
    after_asset_change(&s, &session, i.client_id, id, r.map(|_| ())).await
}

async fn after_asset_change(
    s: &AppState,
    session: &SessionActor,
    client: OrgId,
    id: DeviceId,
    r: Result<(), ServiceError>,
) -> Response {
    match r {
        Ok(()) => Redirect::to(&format!("/assets/{id}?client={client}")).into_response(),
        Err(e) => {
            let (status, message) = match refusal(e) {
                Ok(x) => x,
                Err(p) => return p.into_response(),
            };
            match asset_page(s, session, client, id, Some(message)).await {
                Ok(p) => (status, p).into_response(),
                Err(p) => p.into_response(),
            }
        }
    }
}

#[derive(Deserialize)]
pub(super) struct LinkForm {
    client_id: OrgId,
    target_kind: LinkTarget,
    target_id: String,
}

/// Relate the asset to another asset, a ticket, a page or a secret.
pub(super) async fn post_asset_links(
    State(s): State<AppState>,
    Extension(meta): Extension<RequestMeta>,
    Path(id): Path<DeviceId>,
    CsrfForm(session, i): CsrfForm<LinkForm>,
) -> Response {
    let r = s
        .tandem
        .link_asset(
            &session.actor,
            i.client_id,
            id,
            i.target_kind,
            &i.target_id,
            &meta,
        )
        .await
        .map(|_| ());
    after_asset_change(&s, &session, i.client_id, id, r).await
}

#[derive(Template, WebTemplate)]
#[template(path = "asset_import.html")]
pub(super) struct AssetImportPage {
    nav: Nav,
    pick: ClientPick,
    csv: String,
    report: Option<AssetImportReport>,
    error: Option<String>,
    /// The client's custom fields as mapping choices: (value, words).
    custom_fields: Vec<(String, String)>,
}

impl AssetImportPage {
    fn fields(&self) -> Vec<&'static str> {
        IMPORT_FIELDS.to_vec()
    }

    fn mapped<'a>(&'a self, header: &str) -> &'a str {
        self.report
            .as_ref()
            .and_then(|r| r.mapping.get(header))
            .map_or("", String::as_str)
    }

    fn problems(&self) -> &[RowProblem] {
        self.report.as_ref().map_or(&[], |r| r.problems.as_slice())
    }
}

/// The client's custom fields as mapping choices, one per name with the
/// types that have it: which type's field a column fills is each row's
/// type to say.
async fn custom_targets(
    s: &AppState,
    session: &SessionActor,
    client: OrgId,
) -> Result<Vec<(String, String)>, ServiceError> {
    let mut by_name: Vec<(String, Vec<&'static str>)> = Vec::new();
    for f in s.tandem.asset_fields(&session.actor, client).await? {
        let label = f.asset_type.label();
        match by_name
            .iter_mut()
            .find(|(n, _)| name_key(n) == name_key(&f.name))
        {
            Some((_, types)) => types.push(label),
            None => by_name.push((f.name, vec![label])),
        }
    }
    Ok(by_name
        .into_iter()
        .map(|(n, types)| (custom_target(&n), format!("{n} ({})", types.join(", "))))
        .collect())
}

/// The import's first step: paste a CSV file.
pub(super) async fn get_asset_import(
    State(s): State<AppState>,
    PageSession(session): PageSession,
    Query(q): Query<ClientQuery>,
) -> Result<Response, PageError> {
    let pick = pick(&s, &session, q.client).await?;
    if !s
        .tandem
        .may_on_assets(&session.actor, pick.client, AssetAction::Write)
        .await?
    {
        return Err(ServiceError::Forbidden.into());
    }
    Ok(AssetImportPage {
        nav: Nav::load(&s, &session).await,
        custom_fields: custom_targets(&s, &session, pick.client).await?,
        pick,
        csv: String::new(),
        report: None,
        error: None,
    }
    .into_response())
}

#[derive(Deserialize)]
pub(super) struct ImportForm {
    client_id: OrgId,
    csv: String,
    /// `map` (read the headers and suggest a mapping), `dry_run` or `import`.
    #[serde(default)]
    step: String,
    /// The mapping, `map_<header>` = asset field or `custom:<field name>`.
    #[serde(flatten)]
    rest: HashMap<String, String>,
}

/// The import's later steps: the mapping (suggested from the headers),
/// then a dry run listing every refused row, then the import itself.
pub(super) async fn post_asset_import(
    State(s): State<AppState>,
    Extension(meta): Extension<RequestMeta>,
    CsrfForm(session, i): CsrfForm<ImportForm>,
) -> Response {
    let mapping: HashMap<String, String> = i
        .rest
        .iter()
        .filter_map(|(k, v)| Some((k.strip_prefix("map_")?.to_owned(), v.clone())))
        .filter(|(_, v)| !v.is_empty())
        .collect();
    let (mapping, dry_run) = match i.step.as_str() {
        "import" => (Some(&mapping), false),
        "dry_run" => (Some(&mapping), true),
        _ => (None, true),
    };
    let r = s
        .tandem
        .import_assets(&session.actor, i.client_id, &i.csv, mapping, dry_run, &meta)
        .await;
    let (status, report, error) = match r {
        Ok(r) if !r.dry_run => {
            return Redirect::to(&format!(
                "/assets?client={}&imported={}",
                i.client_id,
                r.added + r.changed
            ))
            .into_response();
        }
        Ok(r) if r.problems.is_empty() => (StatusCode::OK, Some(r), None),
        Ok(r) => (StatusCode::UNPROCESSABLE_ENTITY, Some(r), None),
        Err(e) => match refusal(e) {
            Ok((status, m)) => (status, None, Some(m)),
            Err(p) => return p.into_response(),
        },
    };
    let custom_fields = match custom_targets(&s, &session, i.client_id).await {
        Ok(c) => c,
        Err(e) => return PageError::from(e).into_response(),
    };
    match pick(&s, &session, Some(i.client_id)).await {
        Ok(pick) => (
            status,
            AssetImportPage {
                nav: Nav::load(&s, &session).await,
                pick,
                csv: i.csv,
                report,
                error,
                custom_fields,
            },
        )
            .into_response(),
        Err(p) => p.into_response(),
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "asset_settings.html")]
pub(super) struct AssetSettingsPage {
    nav: Nav,
    pick: ClientPick,
    rules: Vec<ReminderRule>,
    fields: Vec<FieldDef>,
    can_configure: bool,
    error: Option<String>,
}

impl AssetSettingsPage {
    fn types(&self) -> Vec<(&'static str, &'static str)> {
        types()
    }

    fn kind_label(&self, k: &ExpiryKind) -> &'static str {
        k.label()
    }
}

async fn settings_page(
    s: &AppState,
    session: &SessionActor,
    client: Option<OrgId>,
    error: Option<String>,
) -> Result<AssetSettingsPage, PageError> {
    let pick = pick(s, session, client).await?;
    let a = &session.actor;
    Ok(AssetSettingsPage {
        nav: Nav::load(s, session).await,
        rules: s.tandem.asset_reminder_rules(a, pick.client).await?,
        fields: s.tandem.asset_fields(a, pick.client).await?,
        can_configure: s
            .tandem
            .may_on_assets(a, pick.client, AssetAction::Configure)
            .await?,
        pick,
        error,
    })
}

/// Reminder rules and custom fields of the client.
pub(super) async fn get_asset_settings(
    State(s): State<AppState>,
    PageSession(session): PageSession,
    Query(q): Query<ClientQuery>,
) -> Result<AssetSettingsPage, PageError> {
    settings_page(&s, &session, q.client, None).await
}

#[derive(Deserialize)]
pub(super) struct SettingsForm {
    client_id: OrgId,
    /// `rule` or `field`.
    intent: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    days_before: String,
    #[serde(default)]
    open_ticket: Option<String>,
    #[serde(default)]
    category: String,
    #[serde(default)]
    asset_type: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    field_kind: String,
}

/// Set a reminder rule, or define a custom field.
pub(super) async fn post_asset_settings(
    State(s): State<AppState>,
    Extension(meta): Extension<RequestMeta>,
    CsrfForm(session, i): CsrfForm<SettingsForm>,
) -> Response {
    let a = &session.actor;
    let invalid = |f: &'static str, m: &str| {
        ServiceError::from(tandem_domain::ValidationError::new(f, m.to_owned()))
    };
    let r: Result<(), ServiceError> = async {
        if i.intent == "field" {
            let t = AssetType::parse_loose(&i.asset_type)
                .map_err(|_| invalid("asset_type", "choose a type"))?;
            let k: FieldKind = i
                .field_kind
                .parse()
                .map_err(|_| invalid("kind", "choose a kind"))?;
            s.tandem
                .define_asset_field(a, i.client_id, t, &i.name, k, &meta)
                .await
                .map(|_| ())
        } else {
            let kind: ExpiryKind = i
                .kind
                .parse()
                .map_err(|_| invalid("kind", "choose a kind of date"))?;
            let days: i64 = i
                .days_before
                .trim()
                .parse()
                .map_err(|_| invalid("days_before", "write a number of days"))?;
            let rule = ReminderRule::new(kind, days, i.open_ticket.is_some(), &i.category)?;
            s.tandem
                .set_asset_reminder_rule(a, i.client_id, &rule, &meta)
                .await
                .map(|_| ())
        }
    }
    .await;
    match r {
        Ok(()) => Redirect::to(&format!("/assets/settings?client={}", i.client_id)).into_response(),
        Err(e) => {
            let (status, message) = match refusal(e) {
                Ok(x) => x,
                Err(p) => return p.into_response(),
            };
            match settings_page(&s, &session, Some(i.client_id), Some(message)).await {
                Ok(p) => (status, p).into_response(),
                Err(p) => p.into_response(),
            }
        }
    }
}
