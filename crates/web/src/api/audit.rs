//! Reading the audit log.

use crate::AppState;
use crate::auth::ApiActor;
use crate::error::{ApiError, ProblemBody};
use axum::Json;
use axum::extract::{Path, Query, State};
use serde::{Deserialize, Serialize};
use tandem_domain::audit::AuditRecord;
use tandem_domain::{OrgId, Side};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// Paging by cursor: pass the last page's `next_before`.
#[derive(Deserialize, IntoParams)]
pub struct AuditQuery {
    /// Entries with a sequence number below this.
    before: Option<i64>,
    /// Page size, 1-500 (default 100).
    limit: Option<i64>,
    /// Only what one side did: `provider` or `client`.
    side: Option<Side>,
}

/// A page of entries, newest first.
#[derive(Serialize, ToSchema)]
pub struct AuditPage {
    entries: Vec<AuditRecord>,
    /// Cursor for the next (older) page; absent on the last page.
    next_before: Option<i64>,
}

pub(super) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_org_audit))
}

/// Audit entries on an organization's data: everything both sides did.
#[utoipa::path(get, path = "/api/v1/orgs/{org_id}/audit", tag = "audit", params(("org_id" = OrgId, Path), AuditQuery),
    responses((status = 200, body = AuditPage), (status = 403, body = ProblemBody), (status = 404, body = ProblemBody)))]
async fn list_org_audit(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    Path(org): Path<OrgId>,
    Query(q): Query<AuditQuery>,
) -> Result<Json<AuditPage>, ApiError> {
    let limit = q.limit.unwrap_or(100).clamp(1, 500);
    let entries = s
        .tandem
        .list_audit(&a, org, q.before, limit, q.side)
        .await?;
    let next_before = (entries.len() as i64 == limit)
        .then(|| entries.last().map(|e| e.seq))
        .flatten();
    Ok(Json(AuditPage {
        entries,
        next_before,
    }))
}
