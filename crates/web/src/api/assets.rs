//! A client's asset records: list with filters and cursor paging, add,
//! read, change (If-Match), relations, custom fields, reminder rules,
//! certificates from PEM, CSV import (mapping + dry run), CSV export and
//! the dates running out soon.

use super::versions::{self, IfMatch};
use crate::AppState;
use crate::auth::{ApiActor, ApiJson};
use crate::error::{ApiError, ProblemBody, current_request_id};
use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use tandem_domain::asset::{
    AssetDraft, AssetType, CertificateFacts, ExpiryKind, FieldKind, LinkTarget, Owner, ReminderRule,
};
use tandem_domain::device::{DeviceStatus, parse_date};
use tandem_domain::ids::{AssetFieldId, AssetLinkId};
use tandem_domain::{DeviceId, OrgId, UserId};
use tandem_service::assets::{
    Asset, AssetImportReport, AssetQuery, AssetRecord, Expiring, FieldDef, LinkView, draft_of,
};
use tandem_service::{RequestMeta, ServiceError};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// An asset record.
#[derive(Serialize, ToSchema)]
pub struct AssetDto {
    id: DeviceId,
    client_id: OrgId,
    name: String,
    asset_type: AssetType,
    status: DeviceStatus,
    /// The owning person, if one is named.
    owner_user_id: Option<String>,
    /// The owner in words.
    owner: String,
    location: String,
    serial: String,
    vendor: String,
    /// Purchase date, `YYYY-MM-DD`.
    acquired_on: Option<String>,
    retired_on: Option<String>,
    warranty_end: Option<String>,
    /// Licence or domain renewal date.
    renewal_on: Option<String>,
    /// Certificate not-after date (UTC day).
    cert_not_after: Option<String>,
    cert_subject: String,
    cert_issuer: String,
    cert_sans: Vec<String>,
    notes: String,
    /// The earliest date of it that runs out (active assets).
    next_expiry: Option<String>,
    /// Send it back in `If-Match` to change the asset.
    version: i64,
    created_at: i64,
    updated_at: i64,
}

impl From<Asset> for AssetDto {
    fn from(a: Asset) -> Self {
        Self {
            id: a.id,
            client_id: a.client_id,
            name: a.name,
            asset_type: a.asset_type,
            status: a.status,
            owner_user_id: a.owner_user_id,
            owner: a.owner_text,
            location: a.location,
            serial: a.serial,
            vendor: a.vendor,
            acquired_on: a.acquired_on,
            retired_on: a.retired_on,
            warranty_end: a.warranty_end,
            renewal_on: a.renewal_on,
            cert_not_after: a.cert_not_after,
            cert_subject: a.cert_subject,
            cert_issuer: a.cert_issuer,
            cert_sans: a
                .cert_sans
                .lines()
                .filter(|l| !l.is_empty())
                .map(str::to_owned)
                .collect(),
            notes: a.notes,
            next_expiry: a.next_expiry,
            version: a.version,
            created_at: a.created_at,
            updated_at: a.updated_at,
        }
    }
}

/// A page of assets in name order.
#[derive(Serialize, ToSchema)]
pub struct AssetPage {
    assets: Vec<AssetDto>,
    /// Pass as `after` for the next page; absent on the last page.
    next_after: Option<String>,
}

/// Filters and paging of the asset list.
#[derive(Deserialize, IntoParams)]
pub struct AssetListQuery {
    /// Only this type.
    #[serde(rename = "type")]
    #[param(rename = "type")]
    asset_type: Option<AssetType>,
    /// Only this status.
    status: Option<DeviceStatus>,
    /// Name, serial or vendor contains this (any case).
    q: Option<String>,
    /// Only assets with a date running out within this many days.
    expiring_within: Option<i64>,
    /// The cursor: the last page's `next_after`.
    after: Option<String>,
    /// Page size, 1-200 (default 50).
    limit: Option<i64>,
}

/// A custom field with the asset's value.
#[derive(Serialize, ToSchema)]
pub struct FieldValueDto {
    field_id: AssetFieldId,
    name: String,
    kind: FieldKind,
    value: Option<String>,
}

/// A relation. `title` names a ticket only when the reader may read it.
#[derive(Serialize, ToSchema)]
pub struct LinkDto {
    id: AssetLinkId,
    target_kind: LinkTarget,
    target_id: String,
    title: Option<String>,
    created_at: i64,
}

impl From<LinkView> for LinkDto {
    fn from(v: LinkView) -> Self {
        Self {
            id: v.link.id,
            target_kind: v.link.target_kind,
            target_id: v.link.target_id,
            title: v.title,
            created_at: v.link.created_at,
        }
    }
}

/// An asset with its custom fields and relations.
#[derive(Serialize, ToSchema)]
pub struct AssetRecordDto {
    asset: AssetDto,
    custom_fields: Vec<FieldValueDto>,
    links: Vec<LinkDto>,
}

impl From<AssetRecord> for AssetRecordDto {
    fn from(r: AssetRecord) -> Self {
        Self {
            asset: r.asset.into(),
            custom_fields: r
                .fields
                .into_iter()
                .map(|f| FieldValueDto {
                    field_id: f.field.id,
                    name: f.field.name,
                    kind: f.field.kind,
                    value: f.value,
                })
                .collect(),
            links: r.links.into_iter().map(Into::into).collect(),
        }
    }
}

/// A new asset. The status is `retired` when a retirement date is given,
/// else `active`. A renewal date belongs to licences and domains,
/// `cert_not_after` to certificates. `custom_fields` map a field name of
/// the type to its value, checked against the field's kind.
#[derive(Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewAssetBody {
    /// 1-200 characters, unique per client (ignoring case).
    name: String,
    asset_type: AssetType,
    status: Option<DeviceStatus>,
    owner_user_id: Option<UserId>,
    owner: Option<String>,
    location: Option<String>,
    serial: Option<String>,
    vendor: Option<String>,
    acquired_on: Option<String>,
    retired_on: Option<String>,
    warranty_end: Option<String>,
    renewal_on: Option<String>,
    cert_not_after: Option<String>,
    notes: Option<String>,
    #[serde(default)]
    custom_fields: BTreeMap<String, String>,
}

/// Changes; absent fields stay, `null` clears. Send the version you read
/// in `If-Match`.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AssetPatchBody {
    name: Option<String>,
    asset_type: Option<AssetType>,
    status: Option<DeviceStatus>,
    #[serde(default, deserialize_with = "super::present")]
    #[schema(value_type = Option<String>)]
    owner_user_id: Option<Option<UserId>>,
    owner: Option<String>,
    location: Option<String>,
    serial: Option<String>,
    vendor: Option<String>,
    #[serde(default, deserialize_with = "super::present")]
    #[schema(value_type = Option<String>)]
    acquired_on: Option<Option<String>>,
    #[serde(default, deserialize_with = "super::present")]
    #[schema(value_type = Option<String>)]
    retired_on: Option<Option<String>>,
    #[serde(default, deserialize_with = "super::present")]
    #[schema(value_type = Option<String>)]
    warranty_end: Option<Option<String>>,
    #[serde(default, deserialize_with = "super::present")]
    #[schema(value_type = Option<String>)]
    renewal_on: Option<Option<String>>,
    #[serde(default, deserialize_with = "super::present")]
    #[schema(value_type = Option<String>)]
    cert_not_after: Option<Option<String>>,
    notes: Option<String>,
    /// Field name -> value; an empty value clears it.
    #[serde(default)]
    custom_fields: BTreeMap<String, String>,
}

/// A new relation.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewLinkBody {
    target_kind: LinkTarget,
    /// The target's id (an asset or ticket of the same client, a page, a secret).
    target_id: String,
}

/// A certificate from its PEM text.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CertificateBody {
    /// The asset's name; its first subject alternative name when absent.
    name: Option<String>,
    /// `-----BEGIN CERTIFICATE-----` ... `-----END CERTIFICATE-----`.
    pem: String,
}

/// What a PEM upload read (the asset stores these).
#[derive(Serialize, ToSchema)]
pub struct CertificateAnswer {
    asset: AssetDto,
    certificate: CertificateFacts,
}

/// A custom field definition.
#[derive(Serialize, ToSchema)]
pub struct FieldDefDto {
    id: AssetFieldId,
    asset_type: AssetType,
    name: String,
    kind: FieldKind,
}

impl From<FieldDef> for FieldDefDto {
    fn from(f: FieldDef) -> Self {
        Self {
            id: f.id,
            asset_type: f.asset_type,
            name: f.name,
            kind: f.kind,
        }
    }
}

/// A new custom field.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewFieldBody {
    asset_type: AssetType,
    /// 1-100 characters, unique per type.
    name: String,
    kind: FieldKind,
}

/// A reminder rule for one kind of expiry.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReminderRuleBody {
    /// 0-365.
    days_before: i64,
    /// Open a ticket too.
    #[serde(default)]
    open_ticket: bool,
    /// The split category of that ticket (the kind's default when absent).
    category: Option<String>,
}

/// An import: CSV text, the mapping of its headers to asset fields, and
/// whether to only try it.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ImportBody {
    csv: String,
    /// File header -> `name`, `asset_type`, `status`, `owner`, `location`,
    /// `serial`, `vendor`, `acquired_on`, `retired_on`, `warranty_end`,
    /// `renewal_on`, `cert_not_after`, `notes`, or `custom:<field name>`
    /// for one of the client's custom fields (a value must fit the field of
    /// that name of the row's type; a blank cell leaves the value as it
    /// is). When absent, headers that name a field map to it, then headers
    /// that are a custom field's name (any case), as an export writes them.
    mapping: Option<HashMap<String, String>>,
    #[serde(default)]
    dry_run: bool,
}

/// Which type to export.
#[derive(Deserialize, IntoParams)]
pub struct ExportQuery {
    /// One type (with its custom fields as columns); all when absent.
    #[serde(rename = "type")]
    #[param(rename = "type")]
    asset_type: Option<AssetType>,
}

/// How far ahead to look.
#[derive(Deserialize, IntoParams)]
pub struct ExpiringQuery {
    /// Days from today in the client's time zone, 0-3650 (default 30).
    days: Option<i64>,
}

/// A date running out.
#[derive(Serialize, ToSchema)]
pub struct ExpiringDto {
    asset_id: DeviceId,
    name: String,
    asset_type: AssetType,
    kind: ExpiryKind,
    expires_on: String,
}

impl From<Expiring> for ExpiringDto {
    fn from(e: Expiring) -> Self {
        Self {
            asset_id: e.asset_id,
            name: e.name,
            asset_type: e.asset_type,
            kind: e.kind,
            expires_on: e.expires_on,
        }
    }
}

pub(super) fn router() -> OpenApiRouter<AppState> {
    let uploads = OpenApiRouter::new()
        .routes(routes!(post_client_asset_import))
        .routes(routes!(post_client_asset_certificate))
        .layer(DefaultBodyLimit::max(
            tandem_service::assets::ASSET_UPLOAD_MAX_BYTES * 2,
        ));
    OpenApiRouter::new()
        .routes(routes!(list_client_assets, post_client_asset))
        .routes(routes!(get_client_asset, patch_client_asset))
        .routes(routes!(post_client_asset_link))
        .routes(routes!(delete_client_asset_link))
        .routes(routes!(list_client_asset_fields, post_client_asset_field))
        .routes(routes!(list_client_asset_reminders))
        .routes(routes!(put_client_asset_reminder))
        .routes(routes!(get_client_asset_export))
        .routes(routes!(get_client_asset_expiring))
        .merge(uploads)
}

fn with_etag(a: Asset, status: StatusCode) -> Response {
    versions::with_etag(a.version, (status, Json(AssetDto::from(a))))
}

fn date(field: &'static str, raw: Option<&str>) -> Result<Option<jiff::civil::Date>, ServiceError> {
    Ok(parse_date(field, raw.unwrap_or(""))?)
}

fn cert_date(d: Option<jiff::civil::Date>) -> Option<CertificateFacts> {
    d.map(|d| CertificateFacts {
        not_after: Some(d),
        ..CertificateFacts::default()
    })
}

/// A client's assets, filtered, in name order, a page at a time.
#[utoipa::path(get, path = "/api/v1/clients/{client_id}/assets", tag = "assets", params(("client_id" = OrgId, Path), AssetListQuery),
    responses((status = 200, body = AssetPage), (status = 404, body = ProblemBody), (status = 422, body = ProblemBody)))]
async fn list_client_assets(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    Path(client): Path<OrgId>,
    Query(q): Query<AssetListQuery>,
) -> Result<Json<AssetPage>, ApiError> {
    let limit = q.limit.unwrap_or(50).clamp(1, 200);
    let query = AssetQuery {
        asset_type: q.asset_type,
        status: q.status,
        text: q.q,
        expiring_within_days: q.expiring_within,
        after: q.after,
        limit,
    };
    let list = s.tandem.list_assets(&a, client, &query).await?;
    let next_after = (list.len() as i64 == limit)
        .then(|| list.last().map(|a| a.name.clone()))
        .flatten();
    Ok(Json(AssetPage {
        assets: list.into_iter().map(Into::into).collect(),
        next_after,
    }))
}

/// Add an asset.
#[utoipa::path(post, path = "/api/v1/clients/{client_id}/assets", tag = "assets",
    params(("client_id" = OrgId, Path), ("Idempotency-Key" = Option<String>, Header, description = "repeat a create safely: the same key with the same body answers the first result; with another body, 422")),
    request_body = NewAssetBody,
    responses((status = 201, body = AssetDto), (status = 403, body = ProblemBody), (status = 404, body = ProblemBody),
        (status = 409, body = ProblemBody, description = "The client has an asset of that name"), (status = 422, body = ProblemBody)))]
async fn post_client_asset(
    State(s): State<AppState>,
    Extension(meta): Extension<RequestMeta>,
    ApiActor(a): ApiActor,
    Path(client): Path<OrgId>,
    headers: HeaderMap,
    ApiJson(b): ApiJson<NewAssetBody>,
) -> Result<Response, ApiError> {
    let work = async {
        let draft = AssetDraft {
            name: b.name.clone(),
            asset_type: Some(b.asset_type),
            status: b.status,
            acquired_on: date("acquired_on", b.acquired_on.as_deref())?,
            retired_on: date("retired_on", b.retired_on.as_deref())?,
            owner: Owner {
                user_id: b.owner_user_id,
                text: b.owner.clone().unwrap_or_default(),
            },
            location: b.location.clone().unwrap_or_default(),
            serial: b.serial.clone().unwrap_or_default(),
            vendor: b.vendor.clone().unwrap_or_default(),
            warranty_end: date("warranty_end", b.warranty_end.as_deref())?,
            renewal_on: date("renewal_on", b.renewal_on.as_deref())?,
            certificate: cert_date(date("cert_not_after", b.cert_not_after.as_deref())?),
            notes: b.notes.clone().unwrap_or_default(),
        };
        let asset = s
            .tandem
            .add_asset(&a, client, draft, &b.custom_fields, &meta)
            .await?;
        Ok(AssetDto::from(asset))
    };
    super::idempotent::create(&s, &a, &headers, &b, |d: &AssetDto| Some(d.version), work).await
}

/// One asset with its custom fields and relations; its version is the ETag.
#[utoipa::path(get, path = "/api/v1/clients/{client_id}/assets/{asset_id}", tag = "assets",
    params(("client_id" = OrgId, Path), ("asset_id" = DeviceId, Path)),
    responses((status = 200, body = AssetRecordDto), (status = 404, body = ProblemBody)))]
async fn get_client_asset(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    Path((client, id)): Path<(OrgId, DeviceId)>,
) -> Result<Response, ApiError> {
    let r = s.tandem.asset_record(&a, client, id).await?;
    let version = r.asset.version;
    Ok(versions::with_etag(version, Json(AssetRecordDto::from(r))))
}

/// Change an asset. Requires `If-Match` with the current ETag; a stale one gets 412.
#[utoipa::path(patch, path = "/api/v1/clients/{client_id}/assets/{asset_id}", tag = "assets",
    params(("client_id" = OrgId, Path), ("asset_id" = DeviceId, Path), ("If-Match" = String, Header)),
    request_body = AssetPatchBody,
    responses((status = 200, body = AssetDto), (status = 403, body = ProblemBody), (status = 404, body = ProblemBody),
        (status = 409, body = ProblemBody), (status = 412, body = ProblemBody), (status = 422, body = ProblemBody), (status = 428, body = ProblemBody)))]
async fn patch_client_asset(
    State(s): State<AppState>,
    Extension(meta): Extension<RequestMeta>,
    ApiActor(a): ApiActor,
    Path((client, id)): Path<(OrgId, DeviceId)>,
    IfMatch(version): IfMatch,
    ApiJson(b): ApiJson<AssetPatchBody>,
) -> Result<Response, ApiError> {
    let current = s.tandem.asset_record(&a, client, id).await?.asset;
    let mut d = draft_of(&current)?;
    if let Some(v) = b.name {
        d.name = v;
    }
    if let Some(t) = b.asset_type {
        d.asset_type = Some(t);
        if t != AssetType::TlsCertificate {
            d.certificate = None;
        }
        if t.renewal_kind().is_none() {
            d.renewal_on = None;
        }
    }
    if let Some(st) = b.status {
        d.status = Some(st);
        if st == DeviceStatus::Active && b.retired_on.is_none() {
            d.retired_on = None;
        }
    }
    if let Some(v) = b.owner_user_id {
        d.owner.user_id = v;
    }
    if let Some(v) = b.owner {
        d.owner.text = v;
    }
    if let Some(v) = b.location {
        d.location = v;
    }
    if let Some(v) = b.serial {
        d.serial = v;
    }
    if let Some(v) = b.vendor {
        d.vendor = v;
    }
    if let Some(v) = b.acquired_on {
        d.acquired_on = date("acquired_on", v.as_deref())?;
    }
    if let Some(v) = b.retired_on {
        d.retired_on = date("retired_on", v.as_deref())?;
    }
    if let Some(v) = b.warranty_end {
        d.warranty_end = date("warranty_end", v.as_deref())?;
    }
    if let Some(v) = b.renewal_on {
        d.renewal_on = date("renewal_on", v.as_deref())?;
    }
    if let Some(v) = b.cert_not_after {
        let not_after = date("cert_not_after", v.as_deref())?;
        let mut c = d.certificate.unwrap_or_default();
        c.not_after = not_after;
        d.certificate = Some(c);
    }
    if let Some(v) = b.notes {
        d.notes = v;
    }
    let asset = s
        .tandem
        .change_asset(&a, client, id, version, d, &b.custom_fields, &meta)
        .await?;
    Ok(with_etag(asset, StatusCode::OK))
}

/// Relate an asset to another asset, a page, a ticket or a secret.
#[utoipa::path(post, path = "/api/v1/clients/{client_id}/assets/{asset_id}/links", tag = "assets",
    params(("client_id" = OrgId, Path), ("asset_id" = DeviceId, Path)), request_body = NewLinkBody,
    responses((status = 201, body = LinkDto), (status = 403, body = ProblemBody), (status = 404, body = ProblemBody),
        (status = 409, body = ProblemBody), (status = 422, body = ProblemBody)))]
async fn post_client_asset_link(
    State(s): State<AppState>,
    Extension(meta): Extension<RequestMeta>,
    ApiActor(a): ApiActor,
    Path((client, id)): Path<(OrgId, DeviceId)>,
    ApiJson(b): ApiJson<NewLinkBody>,
) -> Result<Response, ApiError> {
    let v = s
        .tandem
        .link_asset(&a, client, id, b.target_kind, &b.target_id, &meta)
        .await?;
    Ok((StatusCode::CREATED, Json(LinkDto::from(v))).into_response())
}

/// Remove a relation of an asset.
#[utoipa::path(delete, path = "/api/v1/clients/{client_id}/assets/{asset_id}/links/{link_id}", tag = "assets",
    params(("client_id" = OrgId, Path), ("asset_id" = DeviceId, Path), ("link_id" = AssetLinkId, Path)),
    responses((status = 204), (status = 403, body = ProblemBody), (status = 404, body = ProblemBody)))]
async fn delete_client_asset_link(
    State(s): State<AppState>,
    Extension(meta): Extension<RequestMeta>,
    ApiActor(a): ApiActor,
    Path((client, id, link)): Path<(OrgId, DeviceId, AssetLinkId)>,
) -> Result<StatusCode, ApiError> {
    s.tandem.unlink_asset(&a, client, id, link, &meta).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Add a TLS certificate from its PEM text: subject, issuer, subject
/// alternative names and not-after date are read from it and stored.
#[utoipa::path(post, path = "/api/v1/clients/{client_id}/assets/certificates", tag = "assets",
    params(("client_id" = OrgId, Path)), request_body = CertificateBody,
    responses((status = 201, body = CertificateAnswer), (status = 403, body = ProblemBody), (status = 404, body = ProblemBody),
        (status = 409, body = ProblemBody), (status = 413, body = ProblemBody),
        (status = 422, body = ProblemBody, description = "Not a PEM certificate")))]
async fn post_client_asset_certificate(
    State(s): State<AppState>,
    Extension(meta): Extension<RequestMeta>,
    ApiActor(a): ApiActor,
    Path(client): Path<OrgId>,
    ApiJson(b): ApiJson<CertificateBody>,
) -> Result<Response, ApiError> {
    let asset = s
        .tandem
        .add_certificate(&a, client, b.name.as_deref(), &b.pem, &meta)
        .await?;
    let certificate = draft_of(&asset)?.certificate.unwrap_or_default();
    let version = asset.version;
    Ok(versions::with_etag(
        version,
        (
            StatusCode::CREATED,
            Json(CertificateAnswer {
                asset: asset.into(),
                certificate,
            }),
        ),
    ))
}

/// The client's custom field definitions.
#[utoipa::path(get, path = "/api/v1/clients/{client_id}/asset-fields", tag = "assets", params(("client_id" = OrgId, Path)),
    responses((status = 200, body = [FieldDefDto]), (status = 404, body = ProblemBody)))]
async fn list_client_asset_fields(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    Path(client): Path<OrgId>,
) -> Result<Json<Vec<FieldDefDto>>, ApiError> {
    Ok(Json(
        s.tandem
            .asset_fields(&a, client)
            .await?
            .into_iter()
            .map(Into::into)
            .collect(),
    ))
}

/// Define a custom field for one asset type (either side's admin).
#[utoipa::path(post, path = "/api/v1/clients/{client_id}/asset-fields", tag = "assets", params(("client_id" = OrgId, Path)),
    request_body = NewFieldBody,
    responses((status = 201, body = FieldDefDto), (status = 403, body = ProblemBody), (status = 404, body = ProblemBody),
        (status = 409, body = ProblemBody), (status = 422, body = ProblemBody)))]
async fn post_client_asset_field(
    State(s): State<AppState>,
    Extension(meta): Extension<RequestMeta>,
    ApiActor(a): ApiActor,
    Path(client): Path<OrgId>,
    ApiJson(b): ApiJson<NewFieldBody>,
) -> Result<Response, ApiError> {
    let f = s
        .tandem
        .define_asset_field(&a, client, b.asset_type, &b.name, b.kind, &meta)
        .await?;
    Ok((StatusCode::CREATED, Json(FieldDefDto::from(f))).into_response())
}

/// The client's reminder rules, one per kind of expiry (defaults where unset).
#[utoipa::path(get, path = "/api/v1/clients/{client_id}/asset-reminders", tag = "assets", params(("client_id" = OrgId, Path)),
    responses((status = 200, body = [ReminderRule]), (status = 404, body = ProblemBody)))]
async fn list_client_asset_reminders(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    Path(client): Path<OrgId>,
) -> Result<Json<Vec<ReminderRule>>, ApiError> {
    Ok(Json(s.tandem.asset_reminder_rules(&a, client).await?))
}

/// Set the rule for one kind of expiry (either side's admin).
#[utoipa::path(put, path = "/api/v1/clients/{client_id}/asset-reminders/{kind}", tag = "assets",
    params(("client_id" = OrgId, Path), ("kind" = ExpiryKind, Path)), request_body = ReminderRuleBody,
    responses((status = 200, body = [ReminderRule]), (status = 403, body = ProblemBody), (status = 404, body = ProblemBody),
        (status = 422, body = ProblemBody)))]
async fn put_client_asset_reminder(
    State(s): State<AppState>,
    Extension(meta): Extension<RequestMeta>,
    ApiActor(a): ApiActor,
    Path((client, kind)): Path<(OrgId, ExpiryKind)>,
    ApiJson(b): ApiJson<ReminderRuleBody>,
) -> Result<Json<Vec<ReminderRule>>, ApiError> {
    let rule = ReminderRule::new(
        kind,
        b.days_before,
        b.open_ticket,
        b.category.as_deref().unwrap_or(kind.default_category()),
    )
    .map_err(ServiceError::from)?;
    Ok(Json(
        s.tandem
            .set_asset_reminder_rule(&a, client, &rule, &meta)
            .await?,
    ))
}

/// Import assets from CSV with a column mapping, custom fields included
/// (an export of one type reads back without a mapping). All or nothing:
/// any bad row writes nothing, and the answer lists every problem (row,
/// field or, for a custom value, the file's header, reason). With
/// `dry_run` nothing is written either way. A row naming an asset the
/// client has changes it; others add assets.
#[utoipa::path(post, path = "/api/v1/clients/{client_id}/assets/import", tag = "assets", params(("client_id" = OrgId, Path)),
    request_body = ImportBody,
    responses((status = 200, body = AssetImportReport, description = "Written, or a dry run"),
        (status = 403, body = ProblemBody), (status = 404, body = ProblemBody), (status = 409, body = ProblemBody),
        (status = 413, body = ProblemBody),
        (status = 422, body = ImportRefusedBody, description = "Rows refused; nothing written")))]
async fn post_client_asset_import(
    State(s): State<AppState>,
    Extension(meta): Extension<RequestMeta>,
    ApiActor(a): ApiActor,
    Path(client): Path<OrgId>,
    ApiJson(b): ApiJson<ImportBody>,
) -> Result<Response, ApiError> {
    let report = s
        .tandem
        .import_assets(&a, client, &b.csv, b.mapping.as_ref(), b.dry_run, &meta)
        .await?;
    if report.problems.is_empty() {
        return Ok(Json(report).into_response());
    }
    let n = report.problems.len();
    let body = ImportRefusedBody {
        kind: "about:blank",
        title: "Invalid input",
        status: 422,
        detail: format!(
            "{n} {} refused; nothing was imported",
            if n == 1 { "row is" } else { "rows are" }
        ),
        field: "csv",
        request_id: current_request_id(),
        report,
    };
    let mut res = (StatusCode::UNPROCESSABLE_ENTITY, Json(body)).into_response();
    res.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/problem+json"),
    );
    Ok(res)
}

/// An import refused: a problem whose `problems` name every bad row
/// (row, field, reason), beside what the file held. Nothing was stored.
#[derive(Serialize, ToSchema)]
pub struct ImportRefusedBody {
    #[serde(rename = "type")]
    kind: &'static str,
    title: &'static str,
    status: u16,
    detail: String,
    /// Always `csv`.
    field: &'static str,
    request_id: String,
    #[serde(flatten)]
    report: AssetImportReport,
}

/// The client's assets as CSV (one type with its custom fields, or all).
#[utoipa::path(get, path = "/api/v1/clients/{client_id}/assets/export", tag = "assets", params(("client_id" = OrgId, Path), ExportQuery),
    responses((status = 200, body = String, content_type = "text/csv"), (status = 404, body = ProblemBody)))]
async fn get_client_asset_export(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    Path(client): Path<OrgId>,
    Query(q): Query<ExportQuery>,
) -> Result<Response, ApiError> {
    let body = s.tandem.export_assets(&a, client, q.asset_type).await?;
    let name = format!(
        "assets-{}.csv",
        q.asset_type.map_or("all", AssetType::as_str)
    );
    Ok(crate::exports::csv_file(&name, &body))
}

/// The client's dates running out from today to `days` ahead, soonest first.
#[utoipa::path(get, path = "/api/v1/clients/{client_id}/assets/expiring", tag = "assets", params(("client_id" = OrgId, Path), ExpiringQuery),
    responses((status = 200, body = [ExpiringDto]), (status = 404, body = ProblemBody), (status = 422, body = ProblemBody)))]
async fn get_client_asset_expiring(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    Path(client): Path<OrgId>,
    Query(q): Query<ExpiringQuery>,
) -> Result<Json<Vec<ExpiringDto>>, ApiError> {
    Ok(Json(
        s.tandem
            .upcoming_expiries(&a, client, q.days.unwrap_or(30))
            .await?
            .into_iter()
            .map(Into::into)
            .collect(),
    ))
}
