//! The web UI: server-rendered pages, one handler per page or form post.

mod account;
mod admin;
mod agreements;
mod alerts;
mod assets;
mod blocks;
pub mod chart;
mod dashboard;
mod desk;
mod devices;
mod documents;
mod duty;
mod invoices;
pub mod local;
mod overview;
mod quote;
mod session;
mod tickets;
mod vault;
mod webhooks;
pub mod words;

use crate::AppState;
use axum::Router;
use axum::http::{HeaderValue, header};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use tandem_domain::{Role, ValidationError};
use tandem_service::auth::SessionActor;

/// Everything the navigation needs, on every signed-in page.
pub struct Nav {
    /// The person's name.
    pub name: String,
    /// Their role in words.
    pub role_label: &'static str,
    /// `provider` or `client`.
    pub side: &'static str,
    /// IT staff of either side (requesters see a reduced navigation).
    pub staff: bool,
    /// The CSRF token every form of the page carries.
    pub csrf: String,
    /// Unread notifications.
    pub unread: i64,
    /// Whether invoices are theirs to read (the provider's admin and the
    /// client's IT staff).
    pub invoices: bool,
    /// The zone every time on the page is shown in.
    pub zone: local::Zone,
    /// Whether that zone is the person's own choice (else their
    /// organization's).
    pub zone_chosen: bool,
}

impl Nav {
    /// The navigation for a session, with its unread count.
    pub async fn load(state: &AppState, s: &SessionActor) -> Self {
        let unread = state
            .tandem
            .unread_notifications(&s.actor)
            .await
            .unwrap_or(0);
        let zone = state.tandem.reading_zone(&s.actor).await.ok();
        Self {
            name: s.name.clone(),
            role_label: s.actor.role.label(),
            side: s.actor.side().as_str(),
            staff: s.actor.role != Role::Requester,
            csrf: s.csrf_token.clone(),
            unread,
            invoices: tandem_domain::policy::may_read_invoices(s.actor.role, true, true),
            zone: zone
                .as_ref()
                .map_or_else(local::Zone::utc, |z| local::Zone::named(z.effective())),
            zone_chosen: zone.is_some_and(|z| z.own.is_some()),
        }
    }
}

/// The UI routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(session::get_root))
        .route("/login", get(session::get_login).post(session::post_login))
        .route(
            "/login/totp",
            get(session::get_login_totp).post(session::post_login_totp),
        )
        .route("/logout", post(session::post_logout))
        .route("/dashboard", get(dashboard::get_dashboard))
        .route("/overview", get(overview::get_overview))
        .route("/account", get(account::get_account))
        .route("/account/password", post(account::post_account_password))
        .route(
            "/account/totp",
            get(account::get_account_totp).post(account::post_account_totp),
        )
        .route("/account/time-zone", post(account::post_account_time_zone))
        .route("/account/tokens", post(account::post_account_token))
        .route(
            "/account/tokens/{token_id}/revoke",
            post(account::post_account_token_revoke),
        )
        .route("/people", get(admin::get_people).post(admin::post_people))
        .route(
            "/people/{user_id}",
            get(admin::get_person).post(admin::post_person),
        )
        .route("/orgs/{org_id}/settings", post(admin::post_org_settings))
        .route(
            "/engagements",
            get(admin::get_engagements).post(admin::post_engagements),
        )
        .route("/engagements/restart", post(admin::post_engagement_restart))
        .route(
            "/engagements/{engagement_id}/assign",
            post(admin::post_engagement_assign),
        )
        .route(
            "/engagements/{engagement_id}/unassign",
            post(admin::post_engagement_unassign),
        )
        .route(
            "/engagements/{engagement_id}/end",
            post(admin::post_engagement_end),
        )
        .route("/agreements", get(agreements::get_agreements))
        .route(
            "/agreements/{engagement_id}/draft",
            post(agreements::post_agreement_draft),
        )
        .route(
            "/agreements/{engagement_id}/{agreement_id}/{step}",
            post(agreements::post_agreement_step),
        )
        .route(
            "/blocks/{agreement_id}",
            get(blocks::get_blocks).post(blocks::post_block),
        )
        .route("/invoices", get(invoices::get_invoices))
        .route("/invoices/run", post(invoices::post_invoices_run))
        .route("/invoices/export", get(invoices::get_invoices_export))
        .route("/invoices/{invoice_id}", get(invoices::get_invoice))
        .route(
            "/invoices/{invoice_id}/export",
            get(invoices::get_invoice_export),
        )
        .route(
            "/invoices/{invoice_id}/disputes",
            post(invoices::post_invoice_dispute),
        )
        .route(
            "/invoices/{invoice_id}/disputes/{dispute_id}/answer",
            post(invoices::post_invoice_answer),
        )
        .route(
            "/invoices/{invoice_id}/lines",
            post(invoices::post_invoice_line_add),
        )
        .route(
            "/invoices/{invoice_id}/lines/{position}",
            post(invoices::post_invoice_line_edit),
        )
        .route(
            "/invoices/{invoice_id}/lines/{position}/remove",
            post(invoices::post_invoice_line_remove),
        )
        .route(
            "/invoices/{invoice_id}/{step}",
            post(invoices::post_invoice_step),
        )
        .route("/audit", get(admin::get_audit))
        .route(
            "/tickets",
            get(tickets::get_tickets).post(tickets::post_tickets),
        )
        .route("/tickets/new", get(tickets::get_ticket_new))
        .route(
            "/tickets/{ticket_id}",
            get(tickets::get_ticket).post(tickets::post_ticket),
        )
        .route(
            "/tickets/{ticket_id}/comments",
            post(tickets::post_ticket_comment),
        )
        .route("/tickets/{ticket_id}/time", post(tickets::post_ticket_time))
        .route(
            "/tickets/{ticket_id}/handoff",
            post(tickets::post_ticket_handoff),
        )
        .route(
            "/tickets/{ticket_id}/attachments",
            // The upload limit is enforced while the form is read.
            post(tickets::post_ticket_attachment).layer(axum::extract::DefaultBodyLimit::disable()),
        )
        .route("/attachments/{attachment_id}", get(tickets::get_attachment))
        .route(
            "/tickets/{ticket_id}/watch",
            post(tickets::post_ticket_watch),
        )
        .route(
            "/tickets/{ticket_id}/links",
            post(tickets::post_ticket_link),
        )
        .route(
            "/notifications",
            get(tickets::get_notifications).post(tickets::post_notifications),
        )
        .route("/desk", get(desk::get_desk))
        .route("/desk/split", post(desk::post_desk_split))
        .route("/desk/categories", post(desk::post_desk_category))
        .route("/desk/calendar", post(desk::post_desk_calendar))
        .route("/desk/sla", post(desk::post_desk_sla))
        .route("/quote", get(quote::get_quote).post(quote::post_quote))
        .route(
            "/devices",
            get(devices::get_devices).post(devices::post_devices),
        )
        .route(
            "/devices/import",
            // The import's limit is enforced while the form is read.
            post(devices::post_devices_import).layer(axum::extract::DefaultBodyLimit::disable()),
        )
        .route("/assets", get(assets::get_assets).post(assets::post_assets))
        .route("/assets/new", get(assets::get_asset_new))
        .route(
            "/assets/import",
            get(assets::get_asset_import).post(assets::post_asset_import),
        )
        .route(
            "/assets/settings",
            get(assets::get_asset_settings).post(assets::post_asset_settings),
        )
        .route(
            "/assets/{asset_id}",
            get(assets::get_asset).post(assets::post_asset),
        )
        .route("/assets/{asset_id}/links", post(assets::post_asset_links))
        .route("/devices/{device_id}", post(devices::post_device))
        .route(
            "/devices/{device_id}/retire",
            post(devices::post_device_retire),
        )
        .route(
            "/documents",
            get(documents::get_documents).post(documents::post_documents),
        )
        .route("/documents/new", get(documents::get_document_new))
        .route("/documents/{page_id}", get(documents::get_document))
        .route(
            "/documents/{page_id}/edit",
            get(documents::get_document_edit).post(documents::post_document_edit),
        )
        .route(
            "/documents/{page_id}/history",
            get(documents::get_document_history),
        )
        .route(
            "/documents/{page_id}/restore",
            post(documents::post_document_restore),
        )
        .route(
            "/documents/{page_id}/delete",
            post(documents::post_document_delete),
        )
        .route("/alerts", get(alerts::get_alerts).post(alerts::post_alerts))
        .route(
            "/alerts/sources/{source_id}/revoke",
            post(alerts::post_alert_source_revoke),
        )
        .route("/alerts/maintenance", post(alerts::post_maintenance_window))
        .route(
            "/alerts/maintenance/{window_id}/delete",
            post(alerts::post_maintenance_window_delete),
        )
        .route(
            "/webhooks",
            get(webhooks::get_webhooks).post(webhooks::post_webhooks),
        )
        .route(
            "/webhooks/{webhook_id}/revoke",
            post(webhooks::post_webhook_revoke),
        )
        .route(
            "/webhooks/{webhook_id}/test",
            post(webhooks::post_webhook_test),
        )
        .route("/duty", get(duty::get_duty))
        .route("/duty/slots", post(duty::post_duty_slot))
        .route(
            "/duty/slots/{slot_id}/remove",
            post(duty::post_duty_slot_remove),
        )
        .route("/duty/overrides", post(duty::post_duty_override))
        .route(
            "/duty/overrides/{override_id}/remove",
            post(duty::post_duty_override_remove),
        )
        .route("/vault", get(vault::get_vault).post(vault::post_vault))
        .route(
            "/vault/{client_id}/secrets/{secret_id}",
            get(vault::get_vault_secret).post(vault::post_vault_secret),
        )
        .route(
            "/vault/{client_id}/secrets/{secret_id}/reveal",
            post(vault::post_vault_secret_reveal),
        )
        .route(
            "/vault/{client_id}/secrets/{secret_id}/delete",
            post(vault::post_vault_secret_delete),
        )
        .route("/vault/{client_id}/reveals", get(vault::get_vault_reveals))
        .route(
            "/vault/{client_id}/departures",
            get(vault::get_vault_departures),
        )
        .route(
            "/vault/{client_id}/departures/{departure_id}/tickets",
            post(vault::post_vault_departure_tickets),
        )
        .route("/reauth", post(vault::post_reauth))
        .route("/static/tandem.css", get(stylesheet))
        .route("/static/tandem.js", get(script))
}

/// Our one stylesheet, compiled into the binary.
async fn stylesheet() -> impl IntoResponse {
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/css; charset=utf-8"),
            ),
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=3600"),
            ),
        ],
        include_str!("../../static/tandem.css"),
    )
}

/// Our one script (keyboard shortcuts, live deadlines), compiled into the binary.
async fn script() -> impl IntoResponse {
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/javascript; charset=utf-8"),
            ),
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=3600"),
            ),
        ],
        include_str!("../../static/tandem.js"),
    )
}

/// The clients a person sees, and the one a client's page shows: the one
/// asked for, else the first (none: 404).
pub(super) async fn client_choice(
    s: &AppState,
    actor: &tandem_domain::Actor,
    asked: Option<tandem_domain::OrgId>,
) -> Result<(Vec<tandem_service::model::Org>, tandem_domain::OrgId), crate::error::PageError> {
    let orgs: Vec<_> = s
        .tandem
        .visible_orgs(actor)
        .await?
        .into_iter()
        .filter(|o| o.kind == tandem_domain::Side::Client)
        .collect();
    let client = asked
        .or_else(|| orgs.first().map(|o| o.id))
        .ok_or(tandem_service::ServiceError::NotFound)?;
    Ok((orgs, client))
}

/// A refused field as a form shows it above itself: "field name: why".
pub(super) fn refusal_text(v: &ValidationError) -> String {
    format!("{}: {}", v.field.replace('_', " "), v.message)
}
