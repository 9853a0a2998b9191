//! One mapping from use-case errors to HTTP: RFC 9457 problem details for
//! the API, an error page for the UI. Database text never reaches a client;
//! it is logged with the request id that the answer shows.

use askama::Template;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::Serialize;
use tandem_service::ServiceError;

tokio::task_local! {
    /// The id of the request being answered, set by the edge middleware.
    pub static REQUEST_ID: String;
}

/// The current request's id, or `-` outside a request.
pub fn current_request_id() -> String {
    REQUEST_ID
        .try_with(Clone::clone)
        .unwrap_or_else(|_| "-".into())
}

/// An error on its way to becoming an HTTP answer.
#[derive(Debug)]
pub struct Problem {
    /// HTTP status.
    pub status: StatusCode,
    /// Short, fixed summary for the status.
    pub title: &'static str,
    /// What happened, safe to show.
    pub detail: String,
    /// The input field at fault, if any.
    pub field: Option<String>,
    /// For 429: seconds to wait.
    pub retry_after: Option<u64>,
}

impl Problem {
    /// A problem with a status, title and detail.
    pub fn new(status: StatusCode, title: &'static str, detail: impl Into<String>) -> Self {
        Self {
            status,
            title,
            detail: detail.into(),
            field: None,
            retry_after: None,
        }
    }

    /// A 400 naming the field that could not be read.
    pub fn bad_input(field: Option<String>, detail: impl Into<String>) -> Self {
        Self {
            field,
            ..Self::new(StatusCode::BAD_REQUEST, "Malformed request", detail)
        }
    }
}

impl From<ServiceError> for Problem {
    fn from(e: ServiceError) -> Self {
        match e {
            ServiceError::NotFound => Problem::new(
                StatusCode::NOT_FOUND,
                "Not found",
                "There is nothing here, or it is not yours to see.",
            ),
            ServiceError::Forbidden => Problem::new(
                StatusCode::FORBIDDEN,
                "Not permitted",
                "Your role does not allow this.",
            ),
            ServiceError::Unauthenticated => Problem::new(
                StatusCode::UNAUTHORIZED,
                "Not signed in",
                "Sign in, or check your credentials.",
            ),
            ServiceError::Invalid(v) => Problem {
                field: Some(v.field.to_owned()),
                ..Problem::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "Invalid input",
                    v.to_string(),
                )
            },
            ServiceError::Conflict(msg) => Problem::new(StatusCode::CONFLICT, "Conflict", msg),
            ServiceError::TooLarge { limit } => Problem::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "Payload too large",
                format!(
                    "The file is larger than the limit of {} MiB.",
                    limit / (1024 * 1024)
                ),
            ),
            ServiceError::Stale { current_version } => Problem::new(
                StatusCode::PRECONDITION_FAILED,
                "Changed by someone else",
                format!(
                    "It changed since you loaded it; it is now at version {current_version}. Reload and apply your change again."
                ),
            ),
            ServiceError::RateLimited { retry_after_secs } => Problem {
                retry_after: Some(retry_after_secs),
                ..Problem::new(
                    StatusCode::TOO_MANY_REQUESTS,
                    "Too many attempts",
                    format!("Try again in {retry_after_secs} seconds."),
                )
            },
            ServiceError::Store(_) | ServiceError::Internal(_) => {
                tracing::error!(error = %e, request_id = %current_request_id(), "internal error");
                Problem::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "Internal error",
                    "Something went wrong on our side; quote the request id.",
                )
            }
        }
    }
}

#[derive(Serialize, utoipa::ToSchema)]
/// RFC 9457 problem details, as every API error is answered.
pub struct ProblemBody {
    /// Always `about:blank`: the status says what kind of problem it is.
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// Short summary.
    pub title: &'static str,
    /// HTTP status.
    pub status: u16,
    /// What happened.
    pub detail: String,
    /// The input field at fault.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// Quote this when reporting the problem.
    pub request_id: String,
}

/// An API error: answered as `application/problem+json`.
#[derive(Debug)]
pub struct ApiError(pub Problem);

impl<E: Into<Problem>> From<E> for ApiError {
    fn from(e: E) -> Self {
        ApiError(e.into())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let p = self.0;
        let body = ProblemBody {
            kind: "about:blank",
            title: p.title,
            status: p.status.as_u16(),
            detail: p.detail,
            field: p.field,
            request_id: current_request_id(),
        };
        let mut res = (p.status, serde_json::to_string(&body).unwrap_or_default()).into_response();
        let h = res.headers_mut();
        h.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        if let Some(s) = p
            .retry_after
            .and_then(|s| HeaderValue::from_str(&s.to_string()).ok())
        {
            h.insert(header::RETRY_AFTER, s);
        }
        if p.status == StatusCode::UNAUTHORIZED {
            h.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        res
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    status: u16,
    title: &'a str,
    detail: &'a str,
    request_id: String,
}

/// A UI error: an error page showing the request id; "not signed in"
/// sends the browser to the sign-in page instead.
#[derive(Debug)]
pub struct PageError(pub Problem);

impl<E: Into<Problem>> From<E> for PageError {
    fn from(e: E) -> Self {
        PageError(e.into())
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let p = self.0;
        if p.status == StatusCode::UNAUTHORIZED {
            return Redirect::to("/login").into_response();
        }
        let page = ErrorPage {
            status: p.status.as_u16(),
            title: p.title,
            detail: &p.detail,
            request_id: current_request_id(),
        };
        let html = page.render().unwrap_or_else(|_| "error".into());
        let mut res = (p.status, Html(html)).into_response();
        if let Some(s) = p
            .retry_after
            .and_then(|s| HeaderValue::from_str(&s.to_string()).ok())
        {
            res.headers_mut().insert(header::RETRY_AFTER, s);
        }
        res
    }
}

/// Unknown paths: a problem for the API, a page for everything else.
pub async fn not_found_fallback(uri: axum::http::Uri) -> Response {
    let p = Problem::new(
        StatusCode::NOT_FOUND,
        "Not found",
        "There is nothing at this address.",
    );
    if uri.path().starts_with("/api/") {
        ApiError(p).into_response()
    } else {
        PageError(p).into_response()
    }
}
