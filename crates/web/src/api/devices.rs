//! A client's device inventory: list, add, read, change (with If-Match),
//! count per class on a day, and import a CSV file all-or-nothing.

use super::attachments::read_limited;
use super::versions::{self, IfMatch};
use crate::AppState;
use crate::auth::{ApiActor, ApiJson};
use crate::error::{ApiError, ProblemBody, current_request_id};
use axum::body::Body;
use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use tandem_domain::device::{
    DeviceClass, DeviceCounts, DeviceSpec, DeviceStatus, IMPORT_MAX_BYTES, RowProblem, parse_date,
};
use tandem_domain::{DeviceId, OrgId};
use tandem_service::devices::{DeviceChange, ImportCounts, ImportError};
use tandem_service::model::Device;
use tandem_service::{RequestMeta, ServiceError};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// A device of a client's inventory.
#[derive(Serialize, ToSchema)]
pub struct DeviceDto {
    id: DeviceId,
    client_id: OrgId,
    name: String,
    class: DeviceClass,
    status: DeviceStatus,
    /// `YYYY-MM-DD`, if known.
    acquired_on: Option<String>,
    /// `YYYY-MM-DD`, for retired devices.
    retired_on: Option<String>,
    /// Send it back in `If-Match` to change the device.
    version: i64,
    created_at: i64,
    updated_at: i64,
}

impl From<Device> for DeviceDto {
    fn from(d: Device) -> Self {
        Self {
            id: d.id,
            client_id: d.client_id,
            name: d.name,
            class: d.class,
            status: d.status,
            acquired_on: d.acquired_on,
            retired_on: d.retired_on,
            version: d.version,
            created_at: d.created_at,
            updated_at: d.updated_at,
        }
    }
}

/// A new device. The status defaults to `retired` when a retirement date is
/// given, else `active`; a retired device needs `retired_on`, an active one
/// has none, and `retired_on` is never before `acquired_on`.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewDeviceBody {
    /// 1-200 characters, unique per client (ignoring case).
    name: String,
    class: DeviceClass,
    status: Option<DeviceStatus>,
    /// `YYYY-MM-DD`.
    acquired_on: Option<String>,
    /// `YYYY-MM-DD`.
    retired_on: Option<String>,
}

/// Changes; absent fields stay, `null` clears a date. Setting the status
/// back to `active` clears the retirement date. Send the version you read
/// in `If-Match`.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DevicePatchBody {
    name: Option<String>,
    class: Option<DeviceClass>,
    status: Option<DeviceStatus>,
    /// `YYYY-MM-DD`, or null to forget it.
    #[serde(default, deserialize_with = "super::present")]
    #[schema(value_type = Option<String>)]
    acquired_on: Option<Option<String>>,
    /// `YYYY-MM-DD`, or null to clear it.
    #[serde(default, deserialize_with = "super::present")]
    #[schema(value_type = Option<String>)]
    retired_on: Option<Option<String>>,
}

/// Which day to count.
#[derive(Deserialize, IntoParams)]
pub struct CountsQuery {
    /// `YYYY-MM-DD`; today (UTC) when absent.
    on: Option<String>,
}

/// How many devices of each class count on a day: acquired on or before
/// it (or on an unknown date) and not retired on or before it.
#[derive(Serialize, ToSchema)]
pub struct DeviceCountsDto {
    /// The day counted.
    on: String,
    counts: DeviceCounts,
    /// All classes together.
    total: i64,
}

/// An import refused as a whole: a problem whose `errors` name each row
/// (the header is row 1) and what is wrong with it. Nothing was stored.
#[derive(Serialize, ToSchema)]
pub struct ImportRefusedBody {
    #[serde(rename = "type")]
    kind: &'static str,
    title: &'static str,
    status: u16,
    detail: String,
    /// Always `file`.
    field: &'static str,
    request_id: String,
    /// The first 100 problems, in file order.
    errors: Vec<RowProblem>,
    /// How many problems there are in all.
    total_errors: usize,
}

pub(super) fn router() -> OpenApiRouter<AppState> {
    let import = OpenApiRouter::new()
        .routes(routes!(post_client_device_import))
        // The import has its own limit, enforced while reading.
        .layer(DefaultBodyLimit::disable());
    OpenApiRouter::new()
        .routes(routes!(list_client_devices, post_client_device))
        .routes(routes!(get_device, patch_device))
        .routes(routes!(get_client_device_counts))
        .merge(import)
}

fn with_etag(d: Device, status: StatusCode) -> Response {
    versions::with_etag(d.version, (status, Json(DeviceDto::from(d))))
}

fn date(field: &'static str, raw: Option<&str>) -> Result<Option<Date>, ServiceError> {
    Ok(parse_date(field, raw.unwrap_or(""))?)
}

/// A client's devices in name order.
#[utoipa::path(get, path = "/api/v1/clients/{client_id}/devices", tag = "devices", params(("client_id" = OrgId, Path)),
    responses((status = 200, body = [DeviceDto]), (status = 404, body = ProblemBody)))]
async fn list_client_devices(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    Path(client): Path<OrgId>,
) -> Result<Json<Vec<DeviceDto>>, ApiError> {
    Ok(Json(
        s.tandem
            .devices(&a, client)
            .await?
            .into_iter()
            .map(Into::into)
            .collect(),
    ))
}

/// Add a device to a client's inventory.
#[utoipa::path(post, path = "/api/v1/clients/{client_id}/devices", tag = "devices", params(("client_id" = OrgId, Path)),
    request_body = NewDeviceBody,
    responses((status = 201, body = DeviceDto), (status = 403, body = ProblemBody), (status = 404, body = ProblemBody),
        (status = 409, body = ProblemBody, description = "The client has a device of that name"), (status = 422, body = ProblemBody)))]
async fn post_client_device(
    State(s): State<AppState>,
    Extension(meta): Extension<RequestMeta>,
    ApiActor(a): ApiActor,
    Path(client): Path<OrgId>,
    ApiJson(b): ApiJson<NewDeviceBody>,
) -> Result<Response, ApiError> {
    let acquired_on = date("acquired_on", b.acquired_on.as_deref())?;
    let retired_on = date("retired_on", b.retired_on.as_deref())?;
    let status = b.status.unwrap_or(if retired_on.is_some() {
        DeviceStatus::Retired
    } else {
        DeviceStatus::Active
    });
    let spec = DeviceSpec::new(&b.name, b.class, status, acquired_on, retired_on)
        .map_err(ServiceError::from)?;
    let d = s.tandem.add_device(&a, client, &spec, &meta).await?;
    Ok(with_etag(d, StatusCode::CREATED))
}

/// One device, with its version as the ETag.
#[utoipa::path(get, path = "/api/v1/devices/{device_id}", tag = "devices", params(("device_id" = DeviceId, Path)),
    responses((status = 200, body = DeviceDto), (status = 404, body = ProblemBody)))]
async fn get_device(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<DeviceId>,
) -> Result<Response, ApiError> {
    Ok(with_etag(s.tandem.device(&a, id).await?, StatusCode::OK))
}

/// Change a device, e.g. retire it with `{"status": "retired", "retired_on":
/// "2026-03-31"}`. Requires `If-Match` with the current ETag; a stale one gets 412.
#[utoipa::path(patch, path = "/api/v1/devices/{device_id}", tag = "devices", params(("device_id" = DeviceId, Path), ("If-Match" = String, Header)),
    request_body = DevicePatchBody,
    responses((status = 200, body = DeviceDto), (status = 403, body = ProblemBody), (status = 404, body = ProblemBody),
        (status = 409, body = ProblemBody), (status = 412, body = ProblemBody), (status = 422, body = ProblemBody), (status = 428, body = ProblemBody)))]
async fn patch_device(
    State(s): State<AppState>,
    Extension(meta): Extension<RequestMeta>,
    ApiActor(a): ApiActor,
    Path(id): Path<DeviceId>,
    IfMatch(version): IfMatch,
    ApiJson(b): ApiJson<DevicePatchBody>,
) -> Result<Response, ApiError> {
    let change = DeviceChange {
        name: b.name,
        class: b.class,
        status: b.status,
        acquired_on: b
            .acquired_on
            .map(|v| date("acquired_on", v.as_deref()))
            .transpose()?,
        retired_on: b
            .retired_on
            .map(|v| date("retired_on", v.as_deref()))
            .transpose()?,
    };
    let d = s
        .tandem
        .change_device(&a, id, version, &change, &meta)
        .await?;
    Ok(with_etag(d, StatusCode::OK))
}

/// How many of the client's devices of each class count on a day (what
/// per-device billing counts).
#[utoipa::path(get, path = "/api/v1/clients/{client_id}/devices/counts", tag = "devices", params(("client_id" = OrgId, Path), CountsQuery),
    responses((status = 200, body = DeviceCountsDto), (status = 404, body = ProblemBody), (status = 422, body = ProblemBody)))]
async fn get_client_device_counts(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    Path(client): Path<OrgId>,
    Query(q): Query<CountsQuery>,
) -> Result<Json<DeviceCountsDto>, ApiError> {
    let on = match date("on", q.on.as_deref())? {
        Some(d) => d,
        None => jiff::Timestamp::now()
            .to_zoned_datetime(jiff::tz::TimeZone::UTC)
            .date(),
    };
    let counts = s.tandem.device_counts(&a, client, on).await?;
    Ok(Json(DeviceCountsDto {
        on: on.to_string(),
        total: counts.total(),
        counts,
    }))
}

/// Import devices from a CSV file sent as the body (`text/csv`, UTF-8, at
/// most 1 MiB and 5,000 rows). The header row names the columns
/// `name,class,status,acquired_on,retired_on` (the dates may be left out);
/// classes and statuses may be codes or words ("Network device"). A row
/// whose name the client has already updates that device; others add
/// devices. All or nothing: any bad row refuses the whole file with every
/// row named, and nothing is stored. The same file twice changes nothing
/// the second time.
#[utoipa::path(post, path = "/api/v1/clients/{client_id}/devices/import", tag = "devices", params(("client_id" = OrgId, Path)),
    request_body(content = String, content_type = "text/csv"),
    responses((status = 200, body = ImportCounts), (status = 403, body = ProblemBody), (status = 404, body = ProblemBody),
        (status = 409, body = ProblemBody, description = "The inventory changed during the import; nothing was stored"),
        (status = 413, body = ProblemBody), (status = 422, body = ImportRefusedBody)))]
async fn post_client_device_import(
    State(s): State<AppState>,
    Extension(meta): Extension<RequestMeta>,
    ApiActor(a): ApiActor,
    Path(client): Path<OrgId>,
    body: Body,
) -> Result<Response, ApiError> {
    let bytes = read_limited(body, IMPORT_MAX_BYTES).await?;
    match s.tandem.import_devices(&a, client, &bytes, &meta).await {
        Ok(counts) => Ok(Json(counts).into_response()),
        Err(ImportError::Service(e)) => Err(e.into()),
        Err(ImportError::Refused { problems, total }) => Ok(refused(problems, total)),
    }
}

/// The 422 answer of a refused import.
fn refused(errors: Vec<RowProblem>, total: usize) -> Response {
    let body = ImportRefusedBody {
        kind: "about:blank",
        title: "Invalid input",
        status: 422,
        detail: format!(
            "{total} {} of the file {} refused; nothing was imported",
            if total == 1 { "row" } else { "rows" },
            if total == 1 { "is" } else { "are" }
        ),
        field: "file",
        request_id: current_request_id(),
        errors,
        total_errors: total,
    };
    let mut res = (StatusCode::UNPROCESSABLE_ENTITY, Json(body)).into_response();
    res.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/problem+json"),
    );
    res
}
