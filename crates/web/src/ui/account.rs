//! A person's own account: password, TOTP, API tokens.

use super::Nav;
use crate::AppState;
use crate::auth::{CsrfForm, PageSession, PendingSession, SESSION_COOKIE, set_cookie};
use crate::error::PageError;
use askama::Template;
use askama_web::WebTemplate;
use axum::Extension;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use tandem_domain::ApiTokenId;
use tandem_service::auth::SessionActor;
use tandem_service::{RequestMeta, ServiceError};

/// A token row on the account page.
struct TokenRow {
    id: String,
    name: String,
    prefix: String,
    created: String,
    last_used: String,
    revoked: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "account.html")]
pub(super) struct AccountPage {
    nav: Nav,
    email: String,
    totp_enabled: bool,
    tokens: Vec<TokenRow>,
    /// The zone choices, the person's own choice selected.
    zones: Vec<(String, bool)>,
    /// The zone they read in when they choose none.
    org_zone: String,
    new_token: Option<String>,
    message: Option<String>,
    error: Option<String>,
}

#[derive(Template, WebTemplate)]
#[template(path = "account_totp.html")]
pub(super) struct TotpPage {
    csrf: String,
    required: bool,
    enrolment: Option<(String, String)>,
    error: Option<String>,
}

#[derive(Deserialize)]
pub(super) struct PasswordInput {
    current_password: String,
    new_password: String,
}

#[derive(Deserialize)]
pub(super) struct ZoneInput {
    #[serde(default)]
    time_zone: String,
}

#[derive(Deserialize)]
pub(super) struct TokenInput {
    name: String,
}

#[derive(Deserialize)]
pub(super) struct TotpInput {
    step: String,
    #[serde(default)]
    code: String,
}

async fn account_page(
    s: &AppState,
    session: &SessionActor,
    new_token: Option<String>,
    message: Option<String>,
    error: Option<String>,
) -> Result<AccountPage, PageError> {
    let nav = Nav::load(s, session).await;
    let tokens = s
        .tandem
        .list_tokens(&session.actor)
        .await?
        .into_iter()
        .map(|t| TokenRow {
            id: t.id.to_string(),
            name: t.name,
            prefix: t.prefix,
            created: nav.zone.short(t.created_at),
            last_used: t
                .last_used_at
                .map_or_else(|| "never".into(), |ms| nav.zone.short(ms)),
            revoked: t.revoked_at.is_some(),
        })
        .collect();
    let zone = s.tandem.reading_zone(&session.actor).await?;
    Ok(AccountPage {
        zones: super::local::zone_options(zone.own.as_deref()),
        org_zone: zone.organization,
        nav,
        email: session.actor.email.clone(),
        totp_enabled: session.totp_enabled,
        tokens,
        new_token,
        message,
        error,
    })
}

/// The account page.
pub(super) async fn get_account(
    State(s): State<AppState>,
    PageSession(session): PageSession,
) -> Result<AccountPage, PageError> {
    account_page(&s, &session, None, None, None).await
}

/// Change one's password: every other session of the person ends.
pub(super) async fn post_account_password(
    State(s): State<AppState>,
    Extension(meta): Extension<RequestMeta>,
    CsrfForm(session, input): CsrfForm<PasswordInput>,
) -> Response {
    match s
        .tandem
        .change_password(
            &session,
            &input.current_password,
            &input.new_password,
            &meta,
        )
        .await
    {
        Ok(new) => {
            let mut res = Redirect::to("/account").into_response();
            res.headers_mut().append(
                header::SET_COOKIE,
                set_cookie(SESSION_COOKIE, &new.cookie, s.config.tls()),
            );
            res
        }
        Err(ServiceError::Invalid(v)) => {
            match account_page(&s, &session, None, None, Some(v.to_string())).await {
                Ok(p) => (StatusCode::UNPROCESSABLE_ENTITY, p).into_response(),
                Err(e) => e.into_response(),
            }
        }
        Err(e) => PageError::from(e).into_response(),
    }
}

/// Choose the zone times are shown in (empty: the organization's).
pub(super) async fn post_account_time_zone(
    State(s): State<AppState>,
    Extension(meta): Extension<RequestMeta>,
    CsrfForm(session, input): CsrfForm<ZoneInput>,
) -> Response {
    let zone = Some(input.time_zone.as_str()).filter(|z| !z.trim().is_empty());
    match s
        .tandem
        .set_own_time_zone(&session.actor, zone, &meta)
        .await
    {
        Ok(()) => Redirect::to("/account#zone").into_response(),
        Err(ServiceError::Invalid(v)) => {
            match account_page(&s, &session, None, None, Some(v.to_string())).await {
                Ok(p) => (StatusCode::UNPROCESSABLE_ENTITY, p).into_response(),
                Err(e) => e.into_response(),
            }
        }
        Err(e) => PageError::from(e).into_response(),
    }
}

/// Create a token; its secret is on this one answer and nowhere else.
pub(super) async fn post_account_token(
    State(s): State<AppState>,
    Extension(meta): Extension<RequestMeta>,
    CsrfForm(session, input): CsrfForm<TokenInput>,
) -> Response {
    let result = match s
        .tandem
        .create_token(&session.actor, &input.name, &meta)
        .await
    {
        Ok((_, secret)) => account_page(&s, &session, Some(secret), None, None)
            .await
            .map(|p| (StatusCode::CREATED, p)),
        Err(ServiceError::Invalid(v)) => {
            account_page(&s, &session, None, None, Some(v.to_string()))
                .await
                .map(|p| (StatusCode::UNPROCESSABLE_ENTITY, p))
        }
        Err(e) => Err(e.into()),
    };
    result.map_or_else(IntoResponse::into_response, IntoResponse::into_response)
}

/// Revoke a token.
pub(super) async fn post_account_token_revoke(
    State(s): State<AppState>,
    Extension(meta): Extension<RequestMeta>,
    Path(id): Path<ApiTokenId>,
    CsrfForm(session, _): CsrfForm<serde::de::IgnoredAny>,
) -> Result<Redirect, PageError> {
    s.tandem.revoke_token(&session.actor, id, &meta).await?;
    Ok(Redirect::to("/account"))
}

/// TOTP set-up: a button that starts enrolment.
pub(super) async fn get_account_totp(PendingSession(session): PendingSession) -> Response {
    if session.totp_enabled {
        return Redirect::to("/account").into_response();
    }
    TotpPage {
        csrf: session.csrf_token.clone(),
        required: session.awaiting_totp,
        enrolment: None,
        error: None,
    }
    .into_response()
}

/// Start enrolment (shows the secret and its QR code once) or confirm it with a code.
pub(super) async fn post_account_totp(
    State(s): State<AppState>,
    Extension(meta): Extension<RequestMeta>,
    CsrfForm(session, input): CsrfForm<TotpInput, true>,
) -> Response {
    let page = |enrolment, error| TotpPage {
        csrf: session.csrf_token.clone(),
        required: session.awaiting_totp,
        enrolment,
        error,
    };
    match input.step.as_str() {
        "start" => match s.tandem.begin_totp_enrolment(&session).await {
            Ok((secret, uri)) => page(Some((secret, qr_svg(&uri))), None).into_response(),
            Err(e) => PageError::from(e).into_response(),
        },
        "confirm" => match s
            .tandem
            .confirm_totp_enrolment(&session, &input.code, &meta)
            .await
        {
            Ok(Some(new)) => {
                let mut res = Redirect::to("/dashboard").into_response();
                res.headers_mut().append(
                    header::SET_COOKIE,
                    set_cookie(SESSION_COOKIE, &new.cookie, s.config.tls()),
                );
                res
            }
            Ok(None) => Redirect::to("/account").into_response(),
            Err(ServiceError::Invalid(v)) => (
                StatusCode::UNPROCESSABLE_ENTITY,
                page(None, Some(format!("{v}. Start again to get a new secret."))),
            )
                .into_response(),
            Err(e) => PageError::from(e).into_response(),
        },
        _ => PageError(crate::error::Problem::bad_input(
            Some("step".into()),
            "unknown step",
        ))
        .into_response(),
    }
}

/// The provisioning URI as an inline SVG QR code (no script, no external service).
fn qr_svg(uri: &str) -> String {
    match qrcode::QrCode::new(uri.as_bytes()) {
        Ok(code) => code
            .render::<qrcode::render::svg::Color<'_>>()
            .min_dimensions(200, 200)
            .build(),
        Err(_) => String::new(),
    }
}
