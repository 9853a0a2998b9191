//! Who is asking: extractors that resolve the actor once per request from
//! a bearer token (API) or a session cookie (UI), and check the CSRF token
//! of every form post.

use crate::AppState;
use crate::error::{ApiError, PageError, Problem};
use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::de::DeserializeOwned;
use subtle::ConstantTimeEq;
use tandem_domain::Actor;
use tandem_service::ServiceError;
use tandem_service::auth::SessionActor;

/// Name of the session cookie.
pub const SESSION_COOKIE: &str = "tandem_session";
/// Name of the cookie that carries the sign-in form's CSRF token.
pub const LOGIN_CSRF_COOKIE: &str = "tandem_login_csrf";

/// The value of cookie `name`, if the request carries it.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// A `Set-Cookie` value: HttpOnly, SameSite=Lax, Secure over TLS.
pub fn set_cookie(name: &str, value: &str, tls: bool) -> HeaderValue {
    let secure = if tls { "; Secure" } else { "" };
    HeaderValue::from_str(&format!(
        "{name}={value}; Path=/; HttpOnly; SameSite=Lax{secure}"
    ))
    .unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// A `Set-Cookie` value that removes the cookie.
pub fn clear_cookie(name: &str) -> HeaderValue {
    HeaderValue::from_str(&format!(
        "{name}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0"
    ))
    .unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// Compare two secrets in constant time.
pub(crate) fn same_secret(a: &str, b: &str) -> bool {
    a.len() == b.len() && bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}

/// The API caller, from `Authorization: Bearer <token>`.
pub struct ApiActor(pub Actor);

impl FromRequestParts<AppState> for ApiActor {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let token = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .ok_or(ServiceError::Unauthenticated)?;
        Ok(ApiActor(state.tandem.resolve_token(token.trim()).await?))
    }
}

/// A JSON body; malformed input is a 400 problem naming the field, an
/// oversized one a 413.
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned> FromRequest<AppState> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let is_json = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/json"));
        if !is_json {
            return Err(ApiError(Problem::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "Unsupported media type",
                "send the body as application/json",
            )));
        }
        let bytes = read_body(req, state).await.map_err(ApiError)?;
        let de = &mut serde_json::Deserializer::from_slice(&bytes);
        serde_path_to_error::deserialize(de)
            .map(ApiJson)
            .map_err(|e| {
                let path = e.path().to_string();
                let detail = e.inner().to_string();
                // A missing field is reported at its parent's path; name the field itself.
                let missing = detail
                    .strip_prefix("missing field `")
                    .and_then(|rest| rest.split_once('`'))
                    .map(|(name, _)| name);
                let field = match (path.as_str(), missing) {
                    (".", None) => None,
                    (".", Some(name)) => Some(name.to_owned()),
                    (_, Some(name)) => Some(format!("{path}.{name}")),
                    (_, None) => Some(path),
                };
                ApiError(Problem::bad_input(field, detail))
            })
    }
}

async fn read_body(req: Request, _state: &AppState) -> Result<Bytes, Problem> {
    Bytes::from_request(req, &()).await.map_err(|e| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            Problem::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "Payload too large",
                "the request body is larger than allowed",
            )
        } else {
            Problem::bad_input(None, "the request body could not be read")
        }
    })
}

/// A signed-in person in the UI. Without a session the browser goes to the
/// sign-in page; a session still waiting for its second factor goes to
/// the TOTP step.
pub struct PageSession(pub SessionActor);

impl FromRequestParts<AppState> for PageSession {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let s = PendingSession::from_request_parts(parts, state).await?.0;
        if s.awaiting_totp {
            return Err(Redirect::to(if s.totp_enabled {
                "/login/totp"
            } else {
                "/account/totp"
            })
            .into_response());
        }
        Ok(PageSession(s))
    }
}

/// A session in any state, including one waiting for its second factor.
pub struct PendingSession(pub SessionActor);

impl FromRequestParts<AppState> for PendingSession {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let Some(cookie) = cookie(&parts.headers, SESSION_COOKIE) else {
            return Err(Redirect::to("/login").into_response());
        };
        match state.tandem.resolve_session(cookie).await {
            Ok(s) => Ok(PendingSession(s)),
            Err(ServiceError::Unauthenticated | ServiceError::NotFound) => {
                Err(Redirect::to("/login").into_response())
            }
            Err(e) => Err(PageError::from(e).into_response()),
        }
    }
}

#[derive(serde::Deserialize)]
struct CsrfField {
    #[serde(default)]
    csrf: String,
}

/// A form post from a signed-in person whose CSRF token matches their
/// session. With `PENDING` the session may still await its second factor.
pub struct CsrfForm<T, const PENDING: bool = false>(pub SessionActor, pub T);

impl<T: DeserializeOwned, const PENDING: bool> FromRequest<AppState> for CsrfForm<T, PENDING> {
    type Rejection = Response;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let (mut parts, body) = req.into_parts();
        let s = if PENDING {
            PendingSession::from_request_parts(&mut parts, state)
                .await?
                .0
        } else {
            PageSession::from_request_parts(&mut parts, state).await?.0
        };
        let bytes = read_body(Request::from_parts(parts, body), state)
            .await
            .map_err(|p| PageError(p).into_response())?;
        let token: CsrfField = serde_urlencoded::from_bytes(&bytes).map_err(|_| csrf_refused())?;
        if !same_secret(&token.csrf, &s.csrf_token) {
            return Err(csrf_refused());
        }
        let form = serde_urlencoded::from_bytes(&bytes).map_err(|e| {
            PageError(Problem::bad_input(
                None,
                format!("the form could not be read: {e}"),
            ))
            .into_response()
        })?;
        Ok(CsrfForm(s, form))
    }
}

fn csrf_refused() -> Response {
    PageError(Problem::new(
        StatusCode::FORBIDDEN,
        "Form expired",
        "This form is stale or did not come from Tandem. Reload the page and try again.",
    ))
    .into_response()
}

/// The sign-in form: no session yet, so its CSRF token is a double-submit
/// cookie set when the form was shown.
pub struct LoginForm<T>(pub T);

impl<T: DeserializeOwned> FromRequest<AppState> for LoginForm<T> {
    type Rejection = Response;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let expected = cookie(req.headers(), LOGIN_CSRF_COOKIE).map(str::to_owned);
        let bytes = read_body(req, state)
            .await
            .map_err(|p| PageError(p).into_response())?;
        let token: CsrfField = serde_urlencoded::from_bytes(&bytes).map_err(|_| csrf_refused())?;
        match expected {
            Some(e) if !e.is_empty() && same_secret(&e, &token.csrf) => {}
            _ => return Err(csrf_refused()),
        }
        serde_urlencoded::from_bytes(&bytes)
            .map(LoginForm)
            .map_err(|e| {
                PageError(Problem::bad_input(
                    None,
                    format!("the form could not be read: {e}"),
                ))
                .into_response()
            })
    }
}
