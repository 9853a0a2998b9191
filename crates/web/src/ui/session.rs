//! Signing in and out.

use crate::AppState;
use crate::auth::{
    CsrfForm, LOGIN_CSRF_COOKIE, LoginForm, PendingSession, SESSION_COOKIE, clear_cookie, cookie,
    set_cookie,
};
use crate::error::PageError;
use askama::Template;
use askama_web::WebTemplate;
use axum::Extension;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use tandem_service::auth::NewSession;
use tandem_service::{RequestMeta, ServiceError};

#[derive(Template, WebTemplate)]
#[template(path = "login.html")]
struct LoginPage {
    csrf: String,
    error: Option<String>,
    email: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "login_totp.html")]
struct LoginTotpPage {
    csrf: String,
    error: Option<String>,
}

#[derive(Deserialize)]
pub(super) struct LoginInput {
    email: String,
    password: String,
}

#[derive(Deserialize)]
pub(super) struct CodeInput {
    code: String,
}

/// `/` goes to the dashboard, which sends strangers to the sign-in page.
pub(super) async fn get_root() -> Redirect {
    Redirect::to("/dashboard")
}

fn login_page(
    s: &AppState,
    headers: &HeaderMap,
    error: Option<String>,
    email: String,
    status: StatusCode,
) -> Response {
    // Reuse the browser's login CSRF cookie if it has one, so two open tabs
    // do not invalidate each other.
    let csrf = cookie(headers, LOGIN_CSRF_COOKIE)
        .filter(|c| c.len() >= 32)
        .map_or_else(new_login_csrf, str::to_owned);
    let mut res = (
        status,
        LoginPage {
            csrf: csrf.clone(),
            error,
            email,
        },
    )
        .into_response();
    res.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(LOGIN_CSRF_COOKIE, &csrf, s.config.tls()),
    );
    res
}

fn new_login_csrf() -> String {
    uuid::Uuid::new_v4().simple().to_string() + &uuid::Uuid::new_v4().simple().to_string()
}

/// The sign-in form.
pub(super) async fn get_login(State(s): State<AppState>, headers: HeaderMap) -> Response {
    login_page(&s, &headers, None, String::new(), StatusCode::OK)
}

/// Set the new session cookie and go on.
fn with_session(s: &AppState, new: &NewSession, to: &str) -> Response {
    let mut res = Redirect::to(to).into_response();
    res.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(SESSION_COOKIE, &new.cookie, s.config.tls()),
    );
    res
}

/// Check the password; on success a fresh session id (never one the browser brought).
pub(super) async fn post_login(
    State(s): State<AppState>,
    Extension(meta): Extension<RequestMeta>,
    headers: HeaderMap,
    LoginForm(input): LoginForm<LoginInput>,
) -> Response {
    match s.tandem.sign_in(&input.email, &input.password, &meta).await {
        Ok(new) => {
            let to = if new.must_enrol_totp {
                "/account/totp"
            } else if new.awaiting_totp {
                "/login/totp"
            } else {
                "/dashboard"
            };
            with_session(&s, &new, to)
        }
        Err(ServiceError::Unauthenticated) => login_page(
            &s,
            &headers,
            Some("The e-mail or password is not right.".into()),
            input.email,
            StatusCode::UNAUTHORIZED,
        ),
        Err(e @ ServiceError::RateLimited { .. }) => PageError::from(e).into_response(),
        Err(e) => PageError::from(e).into_response(),
    }
}

/// The second step of sign-in.
pub(super) async fn get_login_totp(PendingSession(s): PendingSession) -> Response {
    if !s.awaiting_totp {
        return Redirect::to("/dashboard").into_response();
    }
    LoginTotpPage {
        csrf: s.csrf_token,
        error: None,
    }
    .into_response()
}

/// Check the TOTP code; a code works once.
pub(super) async fn post_login_totp(
    State(s): State<AppState>,
    Extension(meta): Extension<RequestMeta>,
    CsrfForm(session, input): CsrfForm<CodeInput, true>,
) -> Response {
    if !session.awaiting_totp || !session.totp_enabled {
        return Redirect::to("/dashboard").into_response();
    }
    match s.tandem.complete_totp(&session, &input.code, &meta).await {
        Ok(new) => with_session(&s, &new, "/dashboard"),
        Err(ServiceError::Unauthenticated) => (
            StatusCode::UNAUTHORIZED,
            LoginTotpPage {
                csrf: session.csrf_token,
                error: Some("That code is not right, or was used already.".into()),
            },
        )
            .into_response(),
        Err(e) => PageError::from(e).into_response(),
    }
}

/// End the session; the old id is dead from now on.
pub(super) async fn post_logout(
    State(s): State<AppState>,
    Extension(meta): Extension<RequestMeta>,
    CsrfForm(session, _): CsrfForm<serde::de::IgnoredAny, true>,
) -> Response {
    if let Err(e) = s.tandem.sign_out(&session, &meta).await {
        return PageError::from(e).into_response();
    }
    let mut res = Redirect::to("/login").into_response();
    res.headers_mut()
        .append(header::SET_COOKIE, clear_cookie(SESSION_COOKIE));
    res
}
