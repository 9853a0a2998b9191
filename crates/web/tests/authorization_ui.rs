//! The authorization table for the web UI, the other half of
//! `authorization_api.rs`: every page and form post x role x tenant
//! relation with the answer it must give. Pages answer a stranger with a
//! redirect to the sign-in page, a foreign organization, person or
//! engagement with 404 (the same as a missing one), a forbidden action with
//! 403, and a form post that worked with 303. A route declared in
//! `src/ui/mod.rs` or `src/metrics.rs` that is missing from the table fails
//! the test, so new pages cannot slip in unreviewed.
#![allow(clippy::unwrap_used)]

mod support;

use axum::body::Body;
use axum::http::Response;
use std::collections::{BTreeSet, HashMap};
use support::*;
use tandem_service::RequestMeta;

/// One row: a route (as declared in the router), how to fill it for a case
/// (`variant`, see [`fill`]), and the expected answer per case label:
/// a status, and for a redirect `>` and the start of its `Location`.
struct Row {
    method: &'static str,
    route: &'static str,
    variant: &'static str,
    expect: &'static str,
}

const TABLE: &[Row] = &[
    Row {
        method: "GET",
        route: "/",
        variant: "",
        expect: "PA_own=303>/dashboard PA_eng=303>/dashboard PA_not=303>/dashboard PE_own=303>/dashboard PE_eng=303>/dashboard PE_not=303>/dashboard CA_own=303>/dashboard CA_other=303>/dashboard CT_own=303>/dashboard CT_other=303>/dashboard CV_own=303>/dashboard CV_other=303>/dashboard RQ_own=303>/dashboard RQ_other=303>/dashboard ANON=303>/dashboard",
    },
    Row {
        method: "GET",
        route: "/login",
        variant: "",
        expect: "PA_own=200 PA_eng=200 PA_not=200 PE_own=200 PE_eng=200 PE_not=200 CA_own=200 CA_other=200 CT_own=200 CT_other=200 CV_own=200 CV_other=200 RQ_own=200 RQ_other=200 ANON=200",
    },
    // Each person signs in (again) with their own password; the stranger
    // tries an account that does not exist.
    Row {
        method: "POST",
        route: "/login",
        variant: "",
        expect: "PA_own=303>/dashboard PA_eng=303>/dashboard PA_not=303>/dashboard PE_own=303>/dashboard PE_eng=303>/dashboard PE_not=303>/dashboard CA_own=303>/dashboard CA_other=303>/dashboard CT_own=303>/dashboard CT_other=303>/dashboard CV_own=303>/dashboard CV_other=303>/dashboard RQ_own=303>/dashboard RQ_other=303>/dashboard ANON=401",
    },
    // Nobody here awaits a second factor: the TOTP step sends them on.
    Row {
        method: "GET",
        route: "/login/totp",
        variant: "",
        expect: "PA_own=303>/dashboard PA_eng=303>/dashboard PA_not=303>/dashboard PE_own=303>/dashboard PE_eng=303>/dashboard PE_not=303>/dashboard CA_own=303>/dashboard CA_other=303>/dashboard CT_own=303>/dashboard CT_other=303>/dashboard CV_own=303>/dashboard CV_other=303>/dashboard RQ_own=303>/dashboard RQ_other=303>/dashboard ANON=303>/login",
    },
    Row {
        method: "POST",
        route: "/login/totp",
        variant: "",
        expect: "PA_own=303>/dashboard PA_eng=303>/dashboard PA_not=303>/dashboard PE_own=303>/dashboard PE_eng=303>/dashboard PE_not=303>/dashboard CA_own=303>/dashboard CA_other=303>/dashboard CT_own=303>/dashboard CT_other=303>/dashboard CV_own=303>/dashboard CV_other=303>/dashboard RQ_own=303>/dashboard RQ_other=303>/dashboard ANON=303>/login",
    },
    Row {
        method: "POST",
        route: "/logout",
        variant: "",
        expect: "PA_own=303>/login PA_eng=303>/login PA_not=303>/login PE_own=303>/login PE_eng=303>/login PE_not=303>/login CA_own=303>/login CA_other=303>/login CT_own=303>/login CT_other=303>/login CV_own=303>/login CV_other=303>/login RQ_own=303>/login RQ_other=303>/login ANON=303>/login",
    },
    Row {
        method: "GET",
        route: "/dashboard",
        variant: "",
        expect: "PA_own=200 PA_eng=200 PA_not=200 PE_own=200 PE_eng=200 PE_not=200 CA_own=200 CA_other=200 CT_own=200 CT_other=200 CV_own=200 CV_other=200 RQ_own=200 RQ_other=200 ANON=303>/login",
    },
    Row {
        method: "GET",
        route: "/account",
        variant: "",
        expect: "PA_own=200 PA_eng=200 PA_not=200 PE_own=200 PE_eng=200 PE_not=200 CA_own=200 CA_other=200 CT_own=200 CT_other=200 CV_own=200 CV_other=200 RQ_own=200 RQ_other=200 ANON=303>/login",
    },
    Row {
        method: "POST",
        route: "/account/password",
        variant: "",
        expect: "PA_own=303>/account PA_eng=303>/account PA_not=303>/account PE_own=303>/account PE_eng=303>/account PE_not=303>/account CA_own=303>/account CA_other=303>/account CT_own=303>/account CT_other=303>/account CV_own=303>/account CV_other=303>/account RQ_own=303>/account RQ_other=303>/account ANON=303>/login",
    },
    Row {
        method: "GET",
        route: "/account/totp",
        variant: "",
        expect: "PA_own=200 PA_eng=200 PA_not=200 PE_own=200 PE_eng=200 PE_not=200 CA_own=200 CA_other=200 CT_own=200 CT_other=200 CV_own=200 CV_other=200 RQ_own=200 RQ_other=200 ANON=303>/login",
    },
    Row {
        method: "POST",
        route: "/account/totp",
        variant: "start",
        expect: "PA_own=200 PA_eng=200 PA_not=200 PE_own=200 PE_eng=200 PE_not=200 CA_own=200 CA_other=200 CT_own=200 CT_other=200 CV_own=200 CV_other=200 RQ_own=200 RQ_other=200 ANON=303>/login",
    },
    Row {
        method: "POST",
        route: "/account/time-zone",
        variant: "",
        expect: "PA_own=303>/account#zone PA_eng=303>/account#zone PA_not=303>/account#zone PE_own=303>/account#zone PE_eng=303>/account#zone PE_not=303>/account#zone CA_own=303>/account#zone CA_other=303>/account#zone CT_own=303>/account#zone CT_other=303>/account#zone CV_own=303>/account#zone CV_other=303>/account#zone RQ_own=303>/account#zone RQ_other=303>/account#zone ANON=303>/login",
    },
    Row {
        method: "POST",
        route: "/account/tokens",
        variant: "",
        expect: "PA_own=201 PA_eng=201 PA_not=201 PE_own=201 PE_eng=201 PE_not=201 CA_own=201 CA_other=201 CT_own=201 CT_other=201 CV_own=201 CV_other=201 RQ_own=201 RQ_other=201 ANON=303>/login",
    },
    Row {
        method: "POST",
        route: "/account/tokens/{token_id}/revoke",
        variant: "own",
        expect: "PA_own=303>/account PA_eng=303>/account PA_not=303>/account PE_own=303>/account PE_eng=303>/account PE_not=303>/account CA_own=303>/account CA_other=303>/account CT_own=303>/account CT_other=303>/account CV_own=303>/account CV_other=303>/account RQ_own=303>/account RQ_other=303>/account ANON=303>/login",
    },
    // Someone else's token: nobody can revoke it, and nobody learns it exists.
    Row {
        method: "POST",
        route: "/account/tokens/{token_id}/revoke",
        variant: "foreign",
        expect: "PA_own=404 PA_eng=404 PA_not=404 PE_own=404 PE_eng=404 PE_not=404 CA_own=404 CA_other=404 CT_own=404 CT_other=404 CV_own=404 CV_other=404 RQ_own=404 RQ_other=404 ANON=303>/login",
    },
    // Without `?org=` the page shows the person's own organization.
    Row {
        method: "GET",
        route: "/people",
        variant: "own_default",
        expect: "PA_own=200 PA_eng=200 PA_not=200 PE_own=200 PE_eng=200 PE_not=200 CA_own=200 CA_other=200 CT_own=200 CT_other=200 CV_own=200 CV_other=200 RQ_own=403 RQ_other=403 ANON=303>/login",
    },
    Row {
        method: "GET",
        route: "/people",
        variant: "org",
        expect: "PA_own=200 PA_eng=200 PA_not=404 PE_own=200 PE_eng=200 PE_not=404 CA_own=200 CA_other=404 CT_own=200 CT_other=404 CV_own=200 CV_other=404 RQ_own=403 RQ_other=404 ANON=303>/login",
    },
    Row {
        method: "GET",
        route: "/people",
        variant: "missing_org",
        expect: "PA_own=404 PA_eng=404 PA_not=404 PE_own=404 PE_eng=404 PE_not=404 CA_own=404 CA_other=404 CT_own=404 CT_other=404 CV_own=404 CV_other=404 RQ_own=404 RQ_other=404 ANON=303>/login",
    },
    Row {
        method: "POST",
        route: "/people",
        variant: "staff",
        expect: "PA_own=303>/people?org= PA_eng=403 PA_not=404 PE_own=403 PE_eng=403 PE_not=404 CA_own=303>/people?org= CA_other=404 CT_own=403 CT_other=404 CV_own=403 CV_other=404 RQ_own=403 RQ_other=404 ANON=303>/login",
    },
    // A provider has no requesters: its admin gets the form back (422).
    Row {
        method: "POST",
        route: "/people",
        variant: "requester",
        expect: "PA_own=422 PA_eng=303>/people?org= PA_not=404 PE_own=403 PE_eng=303>/people?org= PE_not=404 CA_own=303>/people?org= CA_other=404 CT_own=303>/people?org= CT_other=404 CV_own=403 CV_other=404 RQ_own=403 RQ_other=404 ANON=303>/login",
    },
    Row {
        method: "GET",
        route: "/people/{user_id}",
        variant: "",
        expect: "PA_own=200 PA_eng=200 PA_not=404 PE_own=200 PE_eng=200 PE_not=404 CA_own=200 CA_other=404 CT_own=200 CT_other=404 CV_own=200 CV_other=404 RQ_own=404 RQ_other=404 ANON=303>/login",
    },
    Row {
        method: "GET",
        route: "/people/{user_id}",
        variant: "missing",
        expect: "PA_own=404 PA_eng=404 PA_not=404 PE_own=404 PE_eng=404 PE_not=404 CA_own=404 CA_other=404 CT_own=404 CT_other=404 CV_own=404 CV_other=404 RQ_own=404 RQ_other=404 ANON=303>/login",
    },
    // The person is a requester of a client, or a provider engineer.
    Row {
        method: "POST",
        route: "/people/{user_id}",
        variant: "",
        expect: "PA_own=303>/people?org= PA_eng=303>/people?org= PA_not=404 PE_own=403 PE_eng=303>/people?org= PE_not=404 CA_own=303>/people?org= CA_other=404 CT_own=303>/people?org= CT_other=404 CV_own=403 CV_other=404 RQ_own=404 RQ_other=404 ANON=303>/login",
    },
    Row {
        method: "POST",
        route: "/orgs/{org_id}/settings",
        variant: "",
        expect: "PA_own=303>/people?org= PA_eng=403 PA_not=404 PE_own=403 PE_eng=403 PE_not=404 CA_own=303>/people?org= CA_other=404 CT_own=403 CT_other=404 CV_own=403 CV_other=404 RQ_own=403 RQ_other=404 ANON=303>/login",
    },
    // Invoices: the provider's admin runs, issues and voids; the client's IT
    // staff read them; engineers and requesters do not.
    Row {
        method: "GET",
        route: "/invoices",
        variant: "",
        expect: "PA_own=200 PA_eng=200 PA_not=200 PE_own=404 PE_eng=404 PE_not=404 CA_own=200 CA_other=200 CT_own=200 CT_other=200 CV_own=200 CV_other=200 RQ_own=404 RQ_other=404 ANON=303>/login",
    },
    Row {
        method: "POST",
        route: "/invoices/run",
        variant: "",
        expect: "PA_own=200 PA_eng=200 PA_not=200 PE_own=403 PE_eng=403 PE_not=403 CA_own=403 CA_other=403 CT_own=403 CT_other=403 CV_own=403 CV_other=403 RQ_own=404 RQ_other=404 ANON=303>/login",
    },
    Row {
        method: "GET",
        route: "/invoices/{invoice_id}",
        variant: "",
        expect: "PA_own=200 PA_eng=200 PA_not=200 PE_own=404 PE_eng=404 PE_not=404 CA_own=200 CA_other=404 CT_own=200 CT_other=404 CV_own=200 CV_other=404 RQ_own=404 RQ_other=404 ANON=303>/login",
    },
    Row {
        method: "GET",
        route: "/invoices/{invoice_id}/export",
        variant: "",
        expect: "PA_own=200 PA_eng=200 PA_not=200 PE_own=404 PE_eng=404 PE_not=404 CA_own=200 CA_other=404 CT_own=200 CT_other=404 CV_own=200 CV_other=404 RQ_own=404 RQ_other=404 ANON=303>/login",
    },
    Row {
        method: "GET",
        route: "/invoices/export",
        variant: "",
        expect: "PA_own=200 PA_eng=200 PA_not=200 PE_own=404 PE_eng=404 PE_not=404 CA_own=200 CA_other=200 CT_own=200 CT_other=200 CV_own=200 CV_other=200 RQ_own=404 RQ_other=404 ANON=303>/login",
    },
    // A draft's lines changed by hand: the provider's admin, as issuing.
    Row {
        method: "POST",
        route: "/invoices/{invoice_id}/lines",
        variant: "",
        expect: "PA_own=303>/invoices/ PA_eng=303>/invoices/ PA_not=303>/invoices/ PE_own=404 PE_eng=404 PE_not=404 CA_own=403 CA_other=404 CT_own=403 CT_other=404 CV_own=403 CV_other=404 RQ_own=404 RQ_other=404 ANON=303>/login",
    },
    Row {
        method: "POST",
        route: "/invoices/{invoice_id}/lines/{position}",
        variant: "",
        expect: "PA_own=303>/invoices/ PA_eng=303>/invoices/ PA_not=303>/invoices/ PE_own=404 PE_eng=404 PE_not=404 CA_own=403 CA_other=404 CT_own=403 CT_other=404 CV_own=403 CV_other=404 RQ_own=404 RQ_other=404 ANON=303>/login",
    },
    Row {
        method: "POST",
        route: "/invoices/{invoice_id}/lines/{position}/remove",
        variant: "",
        expect: "PA_own=303>/invoices/ PA_eng=303>/invoices/ PA_not=303>/invoices/ PE_own=404 PE_eng=404 PE_not=404 CA_own=403 CA_other=404 CT_own=403 CT_other=404 CV_own=403 CV_other=404 RQ_own=404 RQ_other=404 ANON=303>/login",
    },
    Row {
        method: "POST",
        route: "/invoices/{invoice_id}/disputes",
        variant: "",
        expect: "PA_own=403 PA_eng=403 PA_not=403 PE_own=404 PE_eng=404 PE_not=404 CA_own=303>/invoices/ CA_other=404 CT_own=403 CT_other=404 CV_own=403 CV_other=404 RQ_own=404 RQ_other=404 ANON=303>/login",
    },
    Row {
        method: "POST",
        route: "/invoices/{invoice_id}/disputes/{dispute_id}/answer",
        variant: "",
        expect: "PA_own=303>/invoices/ PA_eng=303>/invoices/ PA_not=303>/invoices/ PE_own=404 PE_eng=404 PE_not=404 CA_own=403 CA_other=404 CT_own=403 CT_other=404 CV_own=403 CV_other=404 RQ_own=404 RQ_other=404 ANON=303>/login",
    },
    Row {
        method: "POST",
        route: "/invoices/{invoice_id}/{step}",
        variant: "issue",
        expect: "PA_own=303>/invoices/ PA_eng=303>/invoices/ PA_not=303>/invoices/ PE_own=404 PE_eng=404 PE_not=404 CA_own=403 CA_other=404 CT_own=403 CT_other=404 CV_own=403 CV_other=404 RQ_own=404 RQ_other=404 ANON=303>/login",
    },
    Row {
        method: "POST",
        route: "/invoices/{invoice_id}/{step}",
        variant: "void",
        expect: "PA_own=303>/invoices/ PA_eng=303>/invoices/ PA_not=303>/invoices/ PE_own=404 PE_eng=404 PE_not=404 CA_own=403 CA_other=404 CT_own=403 CT_other=404 CV_own=403 CV_other=404 RQ_own=404 RQ_other=404 ANON=303>/login",
    },
    // Agreements: the provider's admin drafts and proposes for every client
    // of the provider, the client's admin decides; requesters learn nothing.
    Row {
        method: "GET",
        route: "/agreements",
        variant: "engagement",
        expect: "PA_own=200 PA_eng=200 PA_not=200 PE_own=200 PE_eng=200 PE_not=404 CA_own=200 CA_other=404 CT_own=200 CT_other=404 CV_own=200 CV_other=404 RQ_own=404 RQ_other=404 ANON=303>/login",
    },
    Row {
        method: "POST",
        route: "/agreements/{engagement_id}/draft",
        variant: "",
        expect: "PA_own=303>/agreements?engagement= PA_eng=303>/agreements?engagement= PA_not=303>/agreements?engagement= PE_own=403 PE_eng=403 PE_not=404 CA_own=403 CA_other=404 CT_own=403 CT_other=404 CV_own=403 CV_other=404 RQ_own=404 RQ_other=404 ANON=303>/login",
    },
    Row {
        method: "POST",
        route: "/agreements/{engagement_id}/{agreement_id}/{step}",
        variant: "propose",
        expect: "PA_own=303>/agreements?engagement= PA_eng=303>/agreements?engagement= PA_not=303>/agreements?engagement= PE_own=403 PE_eng=403 PE_not=404 CA_own=403 CA_other=404 CT_own=403 CT_other=404 CV_own=403 CV_other=404 RQ_own=404 RQ_other=404 ANON=303>/login",
    },
    Row {
        method: "POST",
        route: "/agreements/{engagement_id}/{agreement_id}/{step}",
        variant: "accept",
        expect: "PA_own=403 PA_eng=403 PA_not=403 PE_own=403 PE_eng=403 PE_not=404 CA_own=303>/agreements?engagement= CA_other=404 CT_own=403 CT_other=404 CV_own=403 CV_other=404 RQ_own=404 RQ_other=404 ANON=303>/login",
    },
    Row {
        method: "POST",
        route: "/agreements/{engagement_id}/{agreement_id}/{step}",
        variant: "reject",
        expect: "PA_own=403 PA_eng=403 PA_not=403 PE_own=403 PE_eng=403 PE_not=404 CA_own=303>/agreements?engagement= CA_other=404 CT_own=403 CT_other=404 CV_own=403 CV_other=404 RQ_own=404 RQ_other=404 ANON=303>/login",
    },
    Row {
        method: "GET",
        route: "/blocks/{agreement_id}",
        variant: "",
        expect: "PA_own=200 PA_eng=200 PA_not=200 PE_own=200 PE_eng=200 PE_not=404 CA_own=200 CA_other=404 CT_own=200 CT_other=404 CV_own=200 CV_other=404 RQ_own=404 RQ_other=404 ANON=303>/login",
    },
    // 409 for the provider's admin: the fixture's agreement has no blocks.
    Row {
        method: "POST",
        route: "/blocks/{agreement_id}",
        variant: "",
        expect: "PA_own=409 PA_eng=409 PA_not=409 PE_own=403 PE_eng=403 PE_not=404 CA_own=403 CA_other=404 CT_own=403 CT_other=404 CV_own=403 CV_other=404 RQ_own=404 RQ_other=404 ANON=303>/login",
    },
    Row {
        method: "GET",
        route: "/engagements",
        variant: "",
        expect: "PA_own=200 PA_eng=200 PA_not=200 PE_own=200 PE_eng=200 PE_not=200 CA_own=200 CA_other=200 CT_own=200 CT_other=200 CV_own=200 CV_other=200 RQ_own=403 RQ_other=403 ANON=303>/login",
    },
    Row {
        method: "POST",
        route: "/engagements",
        variant: "",
        expect: "PA_own=303>/engagements PA_eng=303>/engagements PA_not=303>/engagements PE_own=403 PE_eng=403 PE_not=403 CA_own=403 CA_other=403 CT_own=403 CT_other=403 CV_own=403 CV_other=403 RQ_own=403 RQ_other=403 ANON=303>/login",
    },
    // The target's engagement is still active: nothing to restart (422), and
    // the provider itself was never its own client (404).
    Row {
        method: "POST",
        route: "/engagements/restart",
        variant: "active",
        expect: "PA_own=404 PA_eng=422 PA_not=422 PE_own=403 PE_eng=403 PE_not=403 CA_own=403 CA_other=403 CT_own=403 CT_other=403 CV_own=403 CV_other=403 RQ_own=403 RQ_other=403 ANON=303>/login",
    },
    // The target's engagement was ended first.
    Row {
        method: "POST",
        route: "/engagements/restart",
        variant: "ended",
        expect: "PA_own=404 PA_eng=303>/engagements PA_not=303>/engagements PE_own=403 PE_eng=403 PE_not=403 CA_own=403 CA_other=403 CT_own=403 CT_other=403 CV_own=403 CV_other=403 RQ_own=403 RQ_other=403 ANON=303>/login",
    },
    Row {
        method: "POST",
        route: "/engagements/{engagement_id}/assign",
        variant: "",
        expect: "PA_own=303>/engagements PA_eng=303>/engagements PA_not=303>/engagements PE_own=403 PE_eng=403 PE_not=403 CA_own=403 CA_other=404 CT_own=403 CT_other=404 CV_own=403 CV_other=404 RQ_own=403 RQ_other=404 ANON=303>/login",
    },
    Row {
        method: "POST",
        route: "/engagements/{engagement_id}/unassign",
        variant: "",
        expect: "PA_own=303>/engagements PA_eng=303>/engagements PA_not=303>/engagements PE_own=403 PE_eng=403 PE_not=403 CA_own=403 CA_other=404 CT_own=403 CT_other=404 CV_own=403 CV_other=404 RQ_own=403 RQ_other=404 ANON=303>/login",
    },
    Row {
        method: "POST",
        route: "/engagements/{engagement_id}/end",
        variant: "",
        expect: "PA_own=303>/engagements PA_eng=303>/engagements PA_not=303>/engagements PE_own=403 PE_eng=403 PE_not=403 CA_own=303>/engagements CA_other=404 CT_own=403 CT_other=404 CV_own=403 CV_other=404 RQ_own=403 RQ_other=404 ANON=303>/login",
    },
    Row {
        method: "GET",
        route: "/audit",
        variant: "own_default",
        expect: "PA_own=200 PA_eng=200 PA_not=200 PE_own=200 PE_eng=200 PE_not=200 CA_own=200 CA_other=200 CT_own=200 CT_other=200 CV_own=200 CV_other=200 RQ_own=403 RQ_other=403 ANON=303>/login",
    },
    Row {
        method: "GET",
        route: "/audit",
        variant: "org",
        expect: "PA_own=200 PA_eng=200 PA_not=404 PE_own=200 PE_eng=200 PE_not=404 CA_own=200 CA_other=404 CT_own=200 CT_other=404 CV_own=200 CV_other=404 RQ_own=403 RQ_other=404 ANON=303>/login",
    },
    Row {
        method: "GET",
        route: "/audit",
        variant: "missing_org",
        expect: "PA_own=404 PA_eng=404 PA_not=404 PE_own=404 PE_eng=404 PE_not=404 CA_own=404 CA_other=404 CT_own=404 CT_other=404 CV_own=404 CV_other=404 RQ_own=404 RQ_other=404 ANON=303>/login",
    },
    // The service desk. Tickets of the target client were opened by its
    // admin; the provider has no tickets of its own, so its "own" rows aim
    // at a client it is not engaged with (as in the API table).
    Row {
        method: "GET",
        route: "/tickets",
        variant: "",
        expect: "PA_own=200 PA_eng=200 PA_not=200 PE_own=200 PE_eng=200 PE_not=200 CA_own=200 CA_other=200 CT_own=200 CT_other=200 CV_own=200 CV_other=200 RQ_own=200 RQ_other=200 ANON=303>/login",
    },
    Row {
        method: "POST",
        route: "/tickets",
        variant: "",
        expect: "PA_own=422 PA_eng=303>/tickets/ PA_not=404 PE_own=422 PE_eng=303>/tickets/ PE_not=404 CA_own=303>/tickets/ CA_other=404 CT_own=303>/tickets/ CT_other=404 CV_own=403 CV_other=404 RQ_own=303>/tickets/ RQ_other=404 ANON=303>/login",
    },
    Row {
        method: "GET",
        route: "/tickets/new",
        variant: "",
        expect: "PA_own=200 PA_eng=200 PA_not=200 PE_own=200 PE_eng=200 PE_not=200 CA_own=200 CA_other=200 CT_own=200 CT_other=200 CV_own=200 CV_other=200 RQ_own=200 RQ_other=200 ANON=303>/login",
    },
    // A requester sees only their own tickets: the admin's is not there for them.
    Row {
        method: "GET",
        route: "/tickets/{ticket_id}",
        variant: "",
        expect: "PA_own=404 PA_eng=200 PA_not=404 PE_own=404 PE_eng=200 PE_not=404 CA_own=200 CA_other=404 CT_own=200 CT_other=404 CV_own=200 CV_other=404 RQ_own=404 RQ_other=404 ANON=303>/login",
    },
    Row {
        method: "GET",
        route: "/tickets/{ticket_id}",
        variant: "missing",
        expect: "PA_own=404 PA_eng=404 PA_not=404 PE_own=404 PE_eng=404 PE_not=404 CA_own=404 CA_other=404 CT_own=404 CT_other=404 CV_own=404 CV_other=404 RQ_own=404 RQ_other=404 ANON=303>/login",
    },
    Row {
        method: "POST",
        route: "/tickets/{ticket_id}",
        variant: "",
        expect: "PA_own=404 PA_eng=303>/tickets/ PA_not=404 PE_own=404 PE_eng=303>/tickets/ PE_not=404 CA_own=303>/tickets/ CA_other=404 CT_own=303>/tickets/ CT_other=404 CV_own=403 CV_other=404 RQ_own=404 RQ_other=404 ANON=303>/login",
    },
    Row {
        method: "POST",
        route: "/tickets/{ticket_id}/comments",
        variant: "",
        expect: "PA_own=404 PA_eng=303>/tickets/ PA_not=404 PE_own=404 PE_eng=303>/tickets/ PE_not=404 CA_own=303>/tickets/ CA_other=404 CT_own=303>/tickets/ CT_other=404 CV_own=403 CV_other=404 RQ_own=404 RQ_other=404 ANON=303>/login",
    },
    // Time: logged by staff who work the ticket, never by the viewer.
    Row {
        method: "POST",
        route: "/tickets/{ticket_id}/time",
        variant: "",
        expect: "PA_own=404 PA_eng=303>/tickets/ PA_not=404 PE_own=404 PE_eng=303>/tickets/ PE_not=404 CA_own=303>/tickets/ CA_other=404 CT_own=303>/tickets/ CT_other=404 CV_own=403 CV_other=404 RQ_own=404 RQ_other=404 ANON=303>/login",
    },
    Row {
        method: "POST",
        route: "/tickets/{ticket_id}/handoff",
        variant: "",
        expect: "PA_own=404 PA_eng=303>/tickets/ PA_not=404 PE_own=404 PE_eng=303>/tickets/ PE_not=404 CA_own=303>/tickets/ CA_other=404 CT_own=303>/tickets/ CT_other=404 CV_own=403 CV_other=404 RQ_own=404 RQ_other=404 ANON=303>/login",
    },
    Row {
        method: "POST",
        route: "/tickets/{ticket_id}/watch",
        variant: "",
        expect: "PA_own=404 PA_eng=303>/tickets/ PA_not=404 PE_own=404 PE_eng=303>/tickets/ PE_not=404 CA_own=303>/tickets/ CA_other=404 CT_own=303>/tickets/ CT_other=404 CV_own=403 CV_other=404 RQ_own=404 RQ_other=404 ANON=303>/login",
    },
    Row {
        method: "POST",
        route: "/tickets/{ticket_id}/links",
        variant: "",
        expect: "PA_own=404 PA_eng=422 PA_not=404 PE_own=404 PE_eng=422 PE_not=404 CA_own=422 CA_other=404 CT_own=422 CT_other=404 CV_own=403 CV_other=404 RQ_own=404 RQ_other=404 ANON=303>/login",
    },
    Row {
        method: "POST",
        route: "/tickets/{ticket_id}/attachments",
        variant: "",
        expect: "PA_own=404 PA_eng=303>/tickets/ PA_not=404 PE_own=404 PE_eng=303>/tickets/ PE_not=404 CA_own=303>/tickets/ CA_other=404 CT_own=303>/tickets/ CT_other=404 CV_own=403 CV_other=404 RQ_own=404 RQ_other=404 ANON=303>/login",
    },
    // The file is on the admin's ticket: a requester does not see it.
    Row {
        method: "GET",
        route: "/attachments/{attachment_id}",
        variant: "",
        expect: "PA_own=404 PA_eng=200 PA_not=404 PE_own=404 PE_eng=200 PE_not=404 CA_own=200 CA_other=404 CT_own=200 CT_other=404 CV_own=200 CV_other=404 RQ_own=404 RQ_other=404 ANON=303>/login",
    },
    Row {
        method: "GET",
        route: "/attachments/{attachment_id}",
        variant: "missing",
        expect: "PA_own=404 PA_eng=404 PA_not=404 PE_own=404 PE_eng=404 PE_not=404 CA_own=404 CA_other=404 CT_own=404 CT_other=404 CV_own=404 CV_other=404 RQ_own=404 RQ_other=404 ANON=303>/login",
    },
    Row {
        method: "GET",
        route: "/notifications",
        variant: "",
        expect: "PA_own=200 PA_eng=200 PA_not=200 PE_own=200 PE_eng=200 PE_not=200 CA_own=200 CA_other=200 CT_own=200 CT_other=200 CV_own=200 CV_other=200 RQ_own=200 RQ_other=200 ANON=303>/login",
    },
    Row {
        method: "POST",
        route: "/notifications",
        variant: "",
        expect: "PA_own=303>/notifications PA_eng=303>/notifications PA_not=303>/notifications PE_own=303>/notifications PE_eng=303>/notifications PE_not=303>/notifications CA_own=303>/notifications CA_other=303>/notifications CT_own=303>/notifications CT_other=303>/notifications CV_own=303>/notifications CV_other=303>/notifications RQ_own=303>/notifications RQ_other=303>/notifications ANON=303>/login",
    },
    Row {
        method: "GET",
        route: "/desk",
        variant: "client",
        expect: "PA_own=404 PA_eng=200 PA_not=404 PE_own=404 PE_eng=200 PE_not=404 CA_own=200 CA_other=404 CT_own=200 CT_other=404 CV_own=200 CV_other=404 RQ_own=403 RQ_other=404 ANON=303>/login",
    },
    // Both admins own the desk's set-up; everyone else reads it.
    Row {
        method: "POST",
        route: "/desk/split",
        variant: "",
        expect: "PA_own=404 PA_eng=303>/desk?client= PA_not=404 PE_own=404 PE_eng=403 PE_not=404 CA_own=303>/desk?client= CA_other=404 CT_own=403 CT_other=404 CV_own=403 CV_other=404 RQ_own=403 RQ_other=404 ANON=303>/login",
    },
    Row {
        method: "POST",
        route: "/desk/categories",
        variant: "",
        expect: "PA_own=404 PA_eng=303>/desk?client= PA_not=404 PE_own=404 PE_eng=403 PE_not=404 CA_own=303>/desk?client= CA_other=404 CT_own=403 CT_other=404 CV_own=403 CV_other=404 RQ_own=403 RQ_other=404 ANON=303>/login",
    },
    Row {
        method: "POST",
        route: "/desk/calendar",
        variant: "",
        expect: "PA_own=404 PA_eng=303>/desk?client= PA_not=404 PE_own=404 PE_eng=403 PE_not=404 CA_own=303>/desk?client= CA_other=404 CT_own=403 CT_other=404 CV_own=403 CV_other=404 RQ_own=403 RQ_other=404 ANON=303>/login",
    },
    Row {
        method: "POST",
        route: "/desk/sla",
        variant: "",
        expect: "PA_own=404 PA_eng=303>/desk?client= PA_not=404 PE_own=404 PE_eng=403 PE_not=404 CA_own=303>/desk?client= CA_other=404 CT_own=403 CT_other=404 CV_own=403 CV_other=404 RQ_own=403 RQ_other=404 ANON=303>/login",
    },
    // The proposal calculator: IT staff of either side, not requesters; a
    // post answers with the comparison, nothing is stored.
    Row {
        method: "GET",
        route: "/quote",
        variant: "",
        expect: "PA_own=200 PA_eng=200 PA_not=200 PE_own=200 PE_eng=200 PE_not=200 CA_own=200 CA_other=200 CT_own=200 CT_other=200 CV_own=200 CV_other=200 RQ_own=403 RQ_other=403 ANON=303>/login",
    },
    Row {
        method: "POST",
        route: "/quote",
        variant: "",
        expect: "PA_own=200 PA_eng=200 PA_not=200 PE_own=200 PE_eng=200 PE_not=200 CA_own=200 CA_other=200 CT_own=200 CT_other=200 CV_own=200 CV_other=200 RQ_own=403 RQ_other=403 ANON=303>/login",
    },
    // Shared documentation: IT staff of both sides read and write, the
    // viewer reads, requesters read published pages only (the fixture
    // page is one) and never a page's history; no pages of the provider.
    Row {
        method: "GET",
        route: "/documents",
        variant: "client",
        expect: "PA_own=404 PA_eng=200 PA_not=404 PE_own=404 PE_eng=200 PE_not=404 CA_own=200 CA_other=404 CT_own=200 CT_other=404 CV_own=200 CV_other=404 RQ_own=200 RQ_other=404 ANON=303>/login",
    },
    Row {
        method: "POST",
        route: "/documents",
        variant: "",
        expect: "PA_own=404 PA_eng=303>/documents/ PA_not=404 PE_own=404 PE_eng=303>/documents/ PE_not=404 CA_own=303>/documents/ CA_other=404 CT_own=303>/documents/ CT_other=404 CV_own=403 CV_other=404 RQ_own=403 RQ_other=404 ANON=303>/login",
    },
    Row {
        method: "GET",
        route: "/documents/new",
        variant: "client",
        expect: "PA_own=404 PA_eng=200 PA_not=404 PE_own=404 PE_eng=200 PE_not=404 CA_own=200 CA_other=404 CT_own=200 CT_other=404 CV_own=403 CV_other=404 RQ_own=403 RQ_other=404 ANON=303>/login",
    },
    Row {
        method: "GET",
        route: "/documents/{page_id}",
        variant: "",
        expect: "PA_own=404 PA_eng=200 PA_not=404 PE_own=404 PE_eng=200 PE_not=404 CA_own=200 CA_other=404 CT_own=200 CT_other=404 CV_own=200 CV_other=404 RQ_own=200 RQ_other=404 ANON=303>/login",
    },
    Row {
        method: "GET",
        route: "/documents/{page_id}/edit",
        variant: "",
        expect: "PA_own=404 PA_eng=200 PA_not=404 PE_own=404 PE_eng=200 PE_not=404 CA_own=200 CA_other=404 CT_own=200 CT_other=404 CV_own=403 CV_other=404 RQ_own=403 RQ_other=404 ANON=303>/login",
    },
    Row {
        method: "POST",
        route: "/documents/{page_id}/edit",
        variant: "",
        expect: "PA_own=404 PA_eng=303>/documents/ PA_not=404 PE_own=404 PE_eng=303>/documents/ PE_not=404 CA_own=303>/documents/ CA_other=404 CT_own=303>/documents/ CT_other=404 CV_own=403 CV_other=404 RQ_own=403 RQ_other=404 ANON=303>/login",
    },
    Row {
        method: "GET",
        route: "/documents/{page_id}/history",
        variant: "",
        expect: "PA_own=404 PA_eng=200 PA_not=404 PE_own=404 PE_eng=200 PE_not=404 CA_own=200 CA_other=404 CT_own=200 CT_other=404 CV_own=200 CV_other=404 RQ_own=404 RQ_other=404 ANON=303>/login",
    },
    Row {
        method: "POST",
        route: "/documents/{page_id}/restore",
        variant: "",
        expect: "PA_own=404 PA_eng=303>/documents/ PA_not=404 PE_own=404 PE_eng=303>/documents/ PE_not=404 CA_own=303>/documents/ CA_other=404 CT_own=303>/documents/ CT_other=404 CV_own=403 CV_other=404 RQ_own=403 RQ_other=404 ANON=303>/login",
    },
    Row {
        method: "POST",
        route: "/documents/{page_id}/delete",
        variant: "",
        expect: "PA_own=404 PA_eng=303>/documents?client= PA_not=404 PE_own=404 PE_eng=303>/documents?client= PE_not=404 CA_own=303>/documents?client= CA_other=404 CT_own=303>/documents?client= CT_other=404 CV_own=403 CV_other=404 RQ_own=403 RQ_other=404 ANON=303>/login",
    },
    // The device inventory: both IT teams keep it, the viewer reads it,
    // requesters may not learn of it; the provider keeps none of its own.
    // Asset records: both IT teams keep them, the viewer reads, requesters
    // may not learn of them; reminder rules and custom fields are either
    // side's admin's. The import row is a dry run (its page, 200).
    Row {
        method: "GET",
        route: "/assets",
        variant: "client",
        expect: "PA_own=404 PA_eng=200 PA_not=404 PE_own=404 PE_eng=200 PE_not=404 CA_own=200 CA_other=404 CT_own=200 CT_other=404 CV_own=200 CV_other=404 RQ_own=404 RQ_other=404 ANON=303>/login",
    },
    Row {
        method: "POST",
        route: "/assets",
        variant: "",
        expect: "PA_own=404 PA_eng=303>/assets/ PA_not=404 PE_own=404 PE_eng=303>/assets/ PE_not=404 CA_own=303>/assets/ CA_other=404 CT_own=303>/assets/ CT_other=404 CV_own=403 CV_other=404 RQ_own=404 RQ_other=404 ANON=303>/login",
    },
    Row {
        method: "GET",
        route: "/assets/new",
        variant: "client",
        expect: "PA_own=404 PA_eng=200 PA_not=404 PE_own=404 PE_eng=200 PE_not=404 CA_own=200 CA_other=404 CT_own=200 CT_other=404 CV_own=403 CV_other=404 RQ_own=404 RQ_other=404 ANON=303>/login",
    },
    Row {
        method: "GET",
        route: "/assets/import",
        variant: "client",
        expect: "PA_own=404 PA_eng=200 PA_not=404 PE_own=404 PE_eng=200 PE_not=404 CA_own=200 CA_other=404 CT_own=200 CT_other=404 CV_own=403 CV_other=404 RQ_own=404 RQ_other=404 ANON=303>/login",
    },
    Row {
        method: "POST",
        route: "/assets/import",
        variant: "",
        expect: "PA_own=404 PA_eng=200 PA_not=404 PE_own=404 PE_eng=200 PE_not=404 CA_own=200 CA_other=404 CT_own=200 CT_other=404 CV_own=403 CV_other=404 RQ_own=404 RQ_other=404 ANON=303>/login",
    },
    Row {
        method: "GET",
        route: "/assets/settings",
        variant: "client",
        expect: "PA_own=404 PA_eng=200 PA_not=404 PE_own=404 PE_eng=200 PE_not=404 CA_own=200 CA_other=404 CT_own=200 CT_other=404 CV_own=200 CV_other=404 RQ_own=404 RQ_other=404 ANON=303>/login",
    },
    Row {
        method: "POST",
        route: "/assets/settings",
        variant: "",
        expect: "PA_own=404 PA_eng=303>/assets/settings?client= PA_not=404 PE_own=404 PE_eng=403 PE_not=404 CA_own=303>/assets/settings?client= CA_other=404 CT_own=403 CT_other=404 CV_own=403 CV_other=404 RQ_own=404 RQ_other=404 ANON=303>/login",
    },
    Row {
        method: "GET",
        route: "/assets/{asset_id}",
        variant: "client",
        expect: "PA_own=404 PA_eng=200 PA_not=404 PE_own=404 PE_eng=200 PE_not=404 CA_own=200 CA_other=404 CT_own=200 CT_other=404 CV_own=200 CV_other=404 RQ_own=404 RQ_other=404 ANON=303>/login",
    },
    Row {
        method: "POST",
        route: "/assets/{asset_id}",
        variant: "",
        expect: "PA_own=404 PA_eng=303>/assets/ PA_not=404 PE_own=404 PE_eng=303>/assets/ PE_not=404 CA_own=303>/assets/ CA_other=404 CT_own=303>/assets/ CT_other=404 CV_own=403 CV_other=404 RQ_own=404 RQ_other=404 ANON=303>/login",
    },
    Row {
        method: "POST",
        route: "/assets/{asset_id}/links",
        variant: "",
        expect: "PA_own=404 PA_eng=303>/assets/ PA_not=404 PE_own=404 PE_eng=303>/assets/ PE_not=404 CA_own=303>/assets/ CA_other=404 CT_own=303>/assets/ CT_other=404 CV_own=403 CV_other=404 RQ_own=404 RQ_other=404 ANON=303>/login",
    },
    Row {
        method: "GET",
        route: "/overview",
        variant: "client",
        expect: "PA_own=404 PA_eng=200 PA_not=404 PE_own=404 PE_eng=200 PE_not=404 CA_own=200 CA_other=404 CT_own=200 CT_other=404 CV_own=200 CV_other=404 RQ_own=404 RQ_other=404 ANON=303>/login",
    },
    Row {
        method: "GET",
        route: "/devices",
        variant: "client",
        expect: "PA_own=404 PA_eng=200 PA_not=404 PE_own=404 PE_eng=200 PE_not=404 CA_own=200 CA_other=404 CT_own=200 CT_other=404 CV_own=200 CV_other=404 RQ_own=404 RQ_other=404 ANON=303>/login",
    },
    Row {
        method: "POST",
        route: "/devices",
        variant: "",
        expect: "PA_own=404 PA_eng=303>/devices?client= PA_not=404 PE_own=404 PE_eng=303>/devices?client= PE_not=404 CA_own=303>/devices?client= CA_other=404 CT_own=303>/devices?client= CT_other=404 CV_own=403 CV_other=404 RQ_own=404 RQ_other=404 ANON=303>/login",
    },
    Row {
        method: "POST",
        route: "/devices/import",
        variant: "",
        expect: "PA_own=404 PA_eng=303>/devices?client= PA_not=404 PE_own=404 PE_eng=303>/devices?client= PE_not=404 CA_own=303>/devices?client= CA_other=404 CT_own=303>/devices?client= CT_other=404 CV_own=403 CV_other=404 RQ_own=404 RQ_other=404 ANON=303>/login",
    },
    Row {
        method: "POST",
        route: "/devices/{device_id}",
        variant: "",
        expect: "PA_own=404 PA_eng=303>/devices?client= PA_not=404 PE_own=404 PE_eng=303>/devices?client= PE_not=404 CA_own=303>/devices?client= CA_other=404 CT_own=303>/devices?client= CT_other=404 CV_own=403 CV_other=404 RQ_own=404 RQ_other=404 ANON=303>/login",
    },
    Row {
        method: "POST",
        route: "/devices/{device_id}/retire",
        variant: "",
        expect: "PA_own=404 PA_eng=303>/devices?client= PA_not=404 PE_own=404 PE_eng=303>/devices?client= PE_not=404 CA_own=303>/devices?client= CA_other=404 CT_own=303>/devices?client= CT_other=404 CV_own=403 CV_other=404 RQ_own=404 RQ_other=404 ANON=303>/login",
    },
    // Alerts: IT staff of both sides read the page; either side's admin
    // adds (the page shows the key once) and revokes sources; requesters
    // may not learn of them; the provider has none of its own.
    Row {
        method: "GET",
        route: "/alerts",
        variant: "client",
        expect: "PA_own=404 PA_eng=200 PA_not=404 PE_own=404 PE_eng=200 PE_not=404 CA_own=200 CA_other=404 CT_own=200 CT_other=404 CV_own=200 CV_other=404 RQ_own=404 RQ_other=404 ANON=303>/login",
    },
    Row {
        method: "POST",
        route: "/alerts",
        variant: "",
        expect: "PA_own=404 PA_eng=200 PA_not=404 PE_own=404 PE_eng=403 PE_not=404 CA_own=200 CA_other=404 CT_own=403 CT_other=404 CV_own=403 CV_other=404 RQ_own=404 RQ_other=404 ANON=303>/login",
    },
    Row {
        method: "POST",
        route: "/alerts/sources/{source_id}/revoke",
        variant: "",
        expect: "PA_own=404 PA_eng=303>/alerts?client= PA_not=404 PE_own=404 PE_eng=403 PE_not=404 CA_own=303>/alerts?client= CA_other=404 CT_own=403 CT_other=404 CV_own=403 CV_other=404 RQ_own=404 RQ_other=404 ANON=303>/login",
    },
    // Maintenance windows: either side's admin adds and deletes them.
    Row {
        method: "POST",
        route: "/alerts/maintenance",
        variant: "",
        expect: "PA_own=404 PA_eng=303>/alerts?client= PA_not=404 PE_own=404 PE_eng=403 PE_not=404 CA_own=303>/alerts?client= CA_other=404 CT_own=403 CT_other=404 CV_own=403 CV_other=404 RQ_own=404 RQ_other=404 ANON=303>/login",
    },
    Row {
        method: "POST",
        route: "/alerts/maintenance/{window_id}/delete",
        variant: "",
        expect: "PA_own=404 PA_eng=303>/alerts?client= PA_not=404 PE_own=404 PE_eng=403 PE_not=404 CA_own=303>/alerts?client= CA_other=404 CT_own=403 CT_other=404 CV_own=403 CV_other=404 RQ_own=404 RQ_other=404 ANON=303>/login",
    },
    // Webhooks: IT staff of both sides see the page; each side's admin
    // adds endpoints (the page shows the secret once), tests and revokes
    // its own side's (the fixture's is the client's).
    Row {
        method: "GET",
        route: "/webhooks",
        variant: "client",
        expect: "PA_own=404 PA_eng=200 PA_not=404 PE_own=404 PE_eng=200 PE_not=404 CA_own=200 CA_other=404 CT_own=200 CT_other=404 CV_own=200 CV_other=404 RQ_own=404 RQ_other=404 ANON=303>/login",
    },
    Row {
        method: "POST",
        route: "/webhooks",
        variant: "",
        expect: "PA_own=404 PA_eng=200 PA_not=404 PE_own=404 PE_eng=403 PE_not=404 CA_own=200 CA_other=404 CT_own=403 CT_other=404 CV_own=403 CV_other=404 RQ_own=404 RQ_other=404 ANON=303>/login",
    },
    Row {
        method: "POST",
        route: "/webhooks/{webhook_id}/revoke",
        variant: "",
        expect: "PA_own=404 PA_eng=403 PA_not=404 PE_own=404 PE_eng=403 PE_not=404 CA_own=303>/webhooks?client= CA_other=404 CT_own=403 CT_other=404 CV_own=403 CV_other=404 RQ_own=404 RQ_other=404 ANON=303>/login",
    },
    Row {
        method: "POST",
        route: "/webhooks/{webhook_id}/test",
        variant: "",
        expect: "PA_own=404 PA_eng=403 PA_not=404 PE_own=404 PE_eng=403 PE_not=404 CA_own=303>/webhooks?client= CA_other=404 CT_own=403 CT_other=404 CV_own=403 CV_other=404 RQ_own=404 RQ_other=404 ANON=303>/login",
    },
    // On duty: IT staff of both sides read the page; each side's admin
    // adds and removes its own side's slots and overrides.
    Row {
        method: "GET",
        route: "/duty",
        variant: "client",
        expect: "PA_own=404 PA_eng=200 PA_not=404 PE_own=404 PE_eng=200 PE_not=404 CA_own=200 CA_other=404 CT_own=200 CT_other=404 CV_own=200 CV_other=404 RQ_own=404 RQ_other=404 ANON=303>/login",
    },
    Row {
        method: "POST",
        route: "/duty/slots",
        variant: "provider",
        expect: "PA_own=404 PA_eng=303>/duty?client= PA_not=404 PE_own=404 PE_eng=403 PE_not=404 CA_own=403 CA_other=404 CT_own=403 CT_other=404 CV_own=403 CV_other=404 RQ_own=404 RQ_other=404 ANON=303>/login",
    },
    Row {
        method: "POST",
        route: "/duty/slots",
        variant: "in_house",
        expect: "PA_own=404 PA_eng=403 PA_not=404 PE_own=404 PE_eng=403 PE_not=404 CA_own=303>/duty?client= CA_other=404 CT_own=403 CT_other=404 CV_own=403 CV_other=404 RQ_own=404 RQ_other=404 ANON=303>/login",
    },
    Row {
        method: "POST",
        route: "/duty/slots/{slot_id}/remove",
        variant: "in_house",
        expect: "PA_own=404 PA_eng=403 PA_not=404 PE_own=404 PE_eng=403 PE_not=404 CA_own=303>/duty?client= CA_other=404 CT_own=403 CT_other=404 CV_own=403 CV_other=404 RQ_own=404 RQ_other=404 ANON=303>/login",
    },
    Row {
        method: "POST",
        route: "/duty/overrides",
        variant: "provider",
        expect: "PA_own=404 PA_eng=303>/duty?client= PA_not=404 PE_own=404 PE_eng=403 PE_not=404 CA_own=403 CA_other=404 CT_own=403 CT_other=404 CV_own=403 CV_other=404 RQ_own=404 RQ_other=404 ANON=303>/login",
    },
    Row {
        method: "POST",
        route: "/duty/overrides",
        variant: "in_house",
        expect: "PA_own=404 PA_eng=403 PA_not=404 PE_own=404 PE_eng=403 PE_not=404 CA_own=303>/duty?client= CA_other=404 CT_own=403 CT_other=404 CV_own=403 CV_other=404 RQ_own=404 RQ_other=404 ANON=303>/login",
    },
    Row {
        method: "POST",
        route: "/duty/overrides/{override_id}/remove",
        variant: "in_house",
        expect: "PA_own=404 PA_eng=403 PA_not=404 PE_own=404 PE_eng=403 PE_not=404 CA_own=303>/duty?client= CA_other=404 CT_own=403 CT_other=404 CV_own=403 CV_other=404 RQ_own=404 RQ_other=404 ANON=303>/login",
    },
    Row {
        method: "GET",
        route: "/static/tandem.css",
        variant: "",
        expect: "PA_own=200 PA_eng=200 PA_not=200 PE_own=200 PE_eng=200 PE_not=200 CA_own=200 CA_other=200 CT_own=200 CT_other=200 CV_own=200 CV_other=200 RQ_own=200 RQ_other=200 ANON=200",
    },
    Row {
        method: "GET",
        route: "/static/tandem.js",
        variant: "",
        expect: "PA_own=200 PA_eng=200 PA_not=200 PE_own=200 PE_eng=200 PE_not=200 CA_own=200 CA_other=200 CT_own=200 CT_other=200 CV_own=200 CV_other=200 RQ_own=200 RQ_other=200 ANON=200",
    },
    // The credential vault: IT staff of both sides keep and reveal (the
    // browser's sign-in is its fresh proof); the viewer reads the list and
    // records without revealing; the reveal log and the departures are each
    // side's admin's; requesters and the provider's own organization have
    // none. The departure is a missing one.
    Row {
        method: "GET",
        route: "/vault",
        variant: "client",
        expect: "PA_own=404 PA_eng=200 PA_not=404 PE_own=404 PE_eng=200 PE_not=404 CA_own=200 CA_other=404 CT_own=200 CT_other=404 CV_own=200 CV_other=404 RQ_own=404 RQ_other=404 ANON=303>/login",
    },
    Row {
        method: "POST",
        route: "/vault",
        variant: "",
        expect: "PA_own=404 PA_eng=303>/vault/ PA_not=404 PE_own=404 PE_eng=303>/vault/ PE_not=404 CA_own=303>/vault/ CA_other=404 CT_own=303>/vault/ CT_other=404 CV_own=403 CV_other=404 RQ_own=404 RQ_other=404 ANON=303>/login",
    },
    Row {
        method: "GET",
        route: "/vault/{client_id}/secrets/{secret_id}",
        variant: "",
        expect: "PA_own=404 PA_eng=200 PA_not=404 PE_own=404 PE_eng=200 PE_not=404 CA_own=200 CA_other=404 CT_own=200 CT_other=404 CV_own=200 CV_other=404 RQ_own=404 RQ_other=404 ANON=303>/login",
    },
    Row {
        method: "POST",
        route: "/vault/{client_id}/secrets/{secret_id}",
        variant: "",
        expect: "PA_own=404 PA_eng=303>/vault/ PA_not=404 PE_own=404 PE_eng=303>/vault/ PE_not=404 CA_own=303>/vault/ CA_other=404 CT_own=303>/vault/ CT_other=404 CV_own=403 CV_other=404 RQ_own=404 RQ_other=404 ANON=303>/login",
    },
    Row {
        method: "POST",
        route: "/vault/{client_id}/secrets/{secret_id}/delete",
        variant: "",
        expect: "PA_own=404 PA_eng=303>/vault?client= PA_not=404 PE_own=404 PE_eng=303>/vault?client= PE_not=404 CA_own=303>/vault?client= CA_other=404 CT_own=303>/vault?client= CT_other=404 CV_own=403 CV_other=404 RQ_own=404 RQ_other=404 ANON=303>/login",
    },
    Row {
        method: "POST",
        route: "/vault/{client_id}/secrets/{secret_id}/reveal",
        variant: "",
        expect: "PA_own=404 PA_eng=200 PA_not=404 PE_own=404 PE_eng=200 PE_not=404 CA_own=200 CA_other=404 CT_own=200 CT_other=404 CV_own=403 CV_other=404 RQ_own=404 RQ_other=404 ANON=303>/login",
    },
    Row {
        method: "GET",
        route: "/vault/{client_id}/reveals",
        variant: "",
        expect: "PA_own=404 PA_eng=200 PA_not=404 PE_own=404 PE_eng=403 PE_not=404 CA_own=200 CA_other=404 CT_own=403 CT_other=404 CV_own=403 CV_other=404 RQ_own=404 RQ_other=404 ANON=303>/login",
    },
    Row {
        method: "GET",
        route: "/vault/{client_id}/departures",
        variant: "",
        expect: "PA_own=404 PA_eng=200 PA_not=404 PE_own=404 PE_eng=403 PE_not=404 CA_own=200 CA_other=404 CT_own=403 CT_other=404 CV_own=403 CV_other=404 RQ_own=404 RQ_other=404 ANON=303>/login",
    },
    Row {
        method: "POST",
        route: "/vault/{client_id}/departures/{departure_id}/tickets",
        variant: "",
        expect: "PA_own=404 PA_eng=404 PA_not=404 PE_own=404 PE_eng=403 PE_not=404 CA_own=404 CA_other=404 CT_own=403 CT_other=404 CV_own=403 CV_other=404 RQ_own=404 RQ_other=404 ANON=303>/login",
    },
    // Anyone signed in may prove themselves again; the way back is a vault page.
    Row {
        method: "POST",
        route: "/reauth",
        variant: "",
        expect: "PA_own=303>/vault/ PA_eng=303>/vault/ PA_not=303>/vault/ PE_own=303>/vault/ PE_eng=303>/vault/ PE_not=303>/vault/ CA_own=303>/vault/ CA_other=303>/vault/ CT_own=303>/vault/ CT_other=303>/vault/ CV_own=303>/vault/ CV_other=303>/vault/ RQ_own=303>/vault/ RQ_other=303>/vault/ ANON=303>/login",
    },
    // Operational endpoints are public (a probe or Prometheus has no session).
    Row {
        method: "GET",
        route: "/healthz",
        variant: "",
        expect: "PA_own=200 PA_eng=200 PA_not=200 PE_own=200 PE_eng=200 PE_not=200 CA_own=200 CA_other=200 CT_own=200 CT_other=200 CV_own=200 CV_other=200 RQ_own=200 RQ_other=200 ANON=200",
    },
    Row {
        method: "GET",
        route: "/readyz",
        variant: "",
        expect: "PA_own=200 PA_eng=200 PA_not=200 PE_own=200 PE_eng=200 PE_not=200 CA_own=200 CA_other=200 CT_own=200 CT_other=200 CV_own=200 CV_other=200 RQ_own=200 RQ_other=200 ANON=200",
    },
    Row {
        method: "GET",
        route: "/metrics",
        variant: "",
        expect: "PA_own=200 PA_eng=200 PA_not=200 PE_own=200 PE_eng=200 PE_not=200 CA_own=200 CA_other=200 CT_own=200 CT_other=200 CV_own=200 CV_other=200 RQ_own=200 RQ_other=200 ANON=200",
    },
];

/// Ids the rows are filled with.
#[derive(Clone)]
struct Fixture {
    /// A person to look at or change, per target organization.
    person: HashMap<String, String>,
    /// An engagement and one of its engineers, per target organization.
    engagement: HashMap<String, (String, String)>,
    /// A token of a person who is none of the cases.
    foreign_token_id: String,
    /// A ticket (id, version) per target organization, opened by the client's admin.
    ticket: HashMap<String, (String, i64)>,
    /// A file the client's admin attached to that ticket.
    attachment: HashMap<String, String>,
    /// A device (at version 1) per target organization, added by the client's admin.
    device: HashMap<String, String>,
    /// A page published to the portal (at version 1) per target
    /// organization, written by the client's admin.
    page: HashMap<String, String>,
    /// An alert source per target organization, created by the client's admin.
    alert_source: HashMap<String, String>,
    /// A maintenance window per target organization.
    maintenance_window: HashMap<String, String>,
    /// A webhook endpoint per target organization, the client admin's.
    webhook: HashMap<String, String>,
    /// A vault credential (at version 1) per target organization, the client admin's.
    secret: HashMap<String, String>,
    /// Per target organization: an in-house rota slot and an in-house
    /// override, both naming the client's admin, and her id.
    duty: HashMap<String, (String, String, String)>,
    /// Agreements of the target's engagement: a draft (version 1) and a
    /// proposal (version 2), drafted by the provider's admin.
    agreement: HashMap<String, (String, String)>,
    /// January's disputed draft (version 2) and its dispute.
    disputed: HashMap<String, (String, String)>,
    /// December's draft invoice (version 1) of the target's engagement.
    invoice: HashMap<String, String>,
}

async fn fixture(app: &TestApp) -> Fixture {
    let mara = app.token(MARA).await;
    // The provider admin works the first client herself, so "engaged" is tested for her too.
    let (_, engs) = app
        .api("GET", "/api/v1/engagements", Some(&mara), None)
        .await;
    let mut engagement = HashMap::new();
    for e in engs.as_array().unwrap() {
        let slug = e["client_name"]
            .as_str()
            .unwrap()
            .split_whitespace()
            .next()
            .unwrap()
            .to_lowercase();
        let id = e["id"].as_str().unwrap().to_owned();
        let engineer = e["engineers"][0]["user_id"].as_str().unwrap().to_owned();
        engagement.insert(slug, (id, engineer));
    }
    let alder_engagement = engagement["alder"].clone();
    engagement.insert("harborlane".into(), alder_engagement.clone());
    let me = app.api("GET", "/api/v1/me", Some(&mara), None).await.1;
    let (s, _) = app
        .api(
            "POST",
            &format!("/api/v1/engagements/{}/engineers", alder_engagement.0),
            Some(&mara),
            Some(serde_json::json!({ "user_id": me["user_id"] })),
        )
        .await;
    assert_eq!(s, 200, "assigning the provider admin");

    let mut person = HashMap::new();
    let priya = app.token(PRIYA).await;
    let ben = app.token(BEN).await;
    for (slug, token, want) in [
        ("alder", &priya, "requester"),
        ("corvid", &ben, "requester"),
        ("harborlane", &mara, "provider_engineer"),
    ] {
        let (_, people) = app
            .api(
                "GET",
                &format!("/api/v1/orgs/{}/users", app.org(slug)),
                Some(token),
                None,
            )
            .await;
        let p = people
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["role"] == want)
            .unwrap();
        person.insert(slug.to_owned(), p["id"].as_str().unwrap().to_owned());
    }
    let (t, _) = app
        .tandem
        .create_token_for_email(BEN, "ben's own", &RequestMeta::cli("test"))
        .await
        .unwrap();
    let mut ticket = HashMap::new();
    let mut attachment = HashMap::new();
    for (slug, token) in [("alder", &priya), ("corvid", &ben)] {
        let body = serde_json::json!({ "client_id": app.org(slug), "title": "Printer on 2nd floor offline",
            "category": "help-desk", "impact": "low", "urgency": "medium" });
        let (s, t) = app
            .api("POST", "/api/v1/tickets", Some(token), Some(body))
            .await;
        assert_eq!(s, 201, "opening the fixture ticket: {t}");
        let id = t["id"].as_str().unwrap();
        attachment.insert(
            slug.to_owned(),
            app.attach(token, id, "notes.txt", "text/plain", b"printer notes")
                .await,
        );
        ticket.insert(
            slug.to_owned(),
            (
                t["id"].as_str().unwrap().to_owned(),
                t["version"].as_i64().unwrap(),
            ),
        );
    }
    let corvid = ticket["corvid"].clone();
    ticket.insert("harborlane".into(), corvid);
    let corvid = attachment["corvid"].clone();
    attachment.insert("harborlane".into(), corvid);
    let mut device = HashMap::new();
    for (slug, token) in [("alder", &priya), ("corvid", &ben)] {
        let (s, d) = app
            .api(
                "POST",
                &format!("/api/v1/clients/{}/devices", app.org(slug)),
                Some(token),
                Some(serde_json::json!({ "name": "Front desk PC", "class": "workstation" })),
            )
            .await;
        assert_eq!(s, 201, "adding the fixture device: {d}");
        device.insert(slug.to_owned(), d["id"].as_str().unwrap().to_owned());
    }
    let corvid = device["corvid"].clone();
    device.insert("harborlane".into(), corvid);
    let mut page = HashMap::new();
    for (slug, who) in [("alder", PRIYA), ("corvid", BEN)] {
        let token = app.token(who).await;
        let (s, d) = app
            .api(
                "POST",
                &format!("/api/v1/clients/{}/pages", app.org(slug)),
                Some(&token),
                Some(serde_json::json!({ "title": "Printing from home", "body": "Use the VPN first.", "published": true })),
            )
            .await;
        assert_eq!(s, 201, "writing the fixture page: {d}");
        page.insert(slug.to_owned(), d["id"].as_str().unwrap().to_owned());
    }
    let corvid = page["corvid"].clone();
    page.insert("harborlane".into(), corvid);
    let mut alert_source = HashMap::new();
    for (slug, token) in [("alder", &priya), ("corvid", &ben)] {
        let (s, b) = app
            .api(
                "POST",
                &format!("/api/v1/clients/{}/alert-sources", app.org(slug)),
                Some(token),
                Some(serde_json::json!({ "name": "Prometheus", "kind": "alertmanager", "default_category": "network" })),
            )
            .await;
        assert_eq!(s, 201, "creating the fixture alert source: {b}");
        alert_source.insert(
            slug.to_owned(),
            b["source"]["id"].as_str().unwrap().to_owned(),
        );
    }
    let corvid = alert_source["corvid"].clone();
    alert_source.insert("harborlane".into(), corvid);
    let mut maintenance_window = HashMap::new();
    for (slug, token) in [("alder", &priya), ("corvid", &ben)] {
        let (s, b) = app
            .api(
                "POST",
                &format!("/api/v1/clients/{}/maintenance-windows", app.org(slug)),
                Some(token),
                Some(serde_json::json!({ "reason": "Patch night", "kind": "weekly", "weekdays": ["sun"], "start_time": "02:00", "duration_minutes": 120 })),
            )
            .await;
        assert_eq!(s, 201, "creating the fixture maintenance window: {b}");
        maintenance_window.insert(slug.to_owned(), b["id"].as_str().unwrap().to_owned());
    }
    let corvid = maintenance_window["corvid"].clone();
    maintenance_window.insert("harborlane".into(), corvid);
    let mut webhook = HashMap::new();
    for (slug, token) in [("alder", &priya), ("corvid", &ben)] {
        let (s, b) = app
            .api(
                "POST",
                &format!("/api/v1/clients/{}/webhooks", app.org(slug)),
                Some(token),
                Some(serde_json::json!({ "name": "Pager", "url": "https://hooks.example.com/tandem", "events": ["opened"] })),
            )
            .await;
        assert_eq!(s, 201, "creating the fixture webhook: {b}");
        webhook.insert(
            slug.to_owned(),
            b["webhook"]["id"].as_str().unwrap().to_owned(),
        );
    }
    let corvid = webhook["corvid"].clone();
    webhook.insert("harborlane".into(), corvid);
    let mut secret = HashMap::new();
    for (slug, token) in [("alder", &priya), ("corvid", &ben)] {
        let (s, b) = app
            .api(
                "POST",
                &format!("/api/v1/clients/{}/secrets", app.org(slug)),
                Some(token),
                Some(serde_json::json!({ "name": "Firewall admin", "secret": "fixture-secret-1" })),
            )
            .await;
        assert_eq!(s, 201, "creating the fixture secret: {b}");
        secret.insert(slug.to_owned(), b["id"].as_str().unwrap().to_owned());
    }
    let corvid = secret["corvid"].clone();
    secret.insert("harborlane".into(), corvid);
    let mut duty = HashMap::new();
    for (slug, token) in [("alder", &priya), ("corvid", &ben)] {
        let admin = app.api("GET", "/api/v1/me", Some(token), None).await.1["user_id"]
            .as_str()
            .unwrap()
            .to_owned();
        let client = app.org(slug);
        let (s, b) = app
            .api(
                "PUT",
                &format!("/api/v1/clients/{client}/duty/in_house/rota"),
                Some(token),
                Some(serde_json::json!({ "slots": [{ "start_day": "wed", "start_time": "18:00", "end_day": "thu", "end_time": "07:00", "person_id": admin }] })),
            )
            .await;
        assert_eq!(s, 200, "the fixture rota: {b}");
        let slot = b[0]["id"].as_str().unwrap().to_owned();
        let (s, b) = app
            .api(
                "POST",
                &format!("/api/v1/clients/{client}/duty/in_house/overrides"),
                Some(token),
                Some(serde_json::json!({ "starts_at": "2026-12-24T00:00:00Z",
                    "ends_at": "2026-12-27T00:00:00Z", "person_id": admin })),
            )
            .await;
        assert_eq!(s, 201, "the fixture override: {b}");
        duty.insert(
            slug.to_owned(),
            (slot, b["id"].as_str().unwrap().to_owned(), admin),
        );
    }
    let corvid = duty["corvid"].clone();
    duty.insert("harborlane".into(), corvid);
    let engagements = engagement
        .iter()
        .map(|(slug, (id, _))| (slug.clone(), id.clone()))
        .collect();
    let BillingFixture {
        agreement,
        invoice,
        disputed,
    } = billing_fixture(app, &engagements).await;
    Fixture {
        disputed,
        invoice,
        agreement,
        person,
        engagement,
        foreign_token_id: t.id.to_string(),
        ticket,
        attachment,
        device,
        page,
        alert_source,
        maintenance_window,
        webhook,
        secret,
        duty,
    }
}

/// A request ready to send: path with query, form fields (without the CSRF
/// token), and whether it is the sign-in form.
struct Filled {
    path: String,
    fields: Vec<(String, String)>,
}

/// Fill a row for a case. May prepare the database first (a token of the
/// person's own, an ended engagement), so mutating rows call it on their
/// own fresh app.
async fn fill(app: &TestApp, fx: &Fixture, row: &Row, case: &Case, n: usize) -> Filled {
    let org = app.org(case.target);
    let (eng, engineer) = fx.engagement[case.target].clone();
    let missing = uuid::Uuid::now_v7().to_string();
    let client_target = case.target != "harborlane";
    let token_id = match (row.variant, case.who) {
        ("own", Some(who)) => {
            let (t, _) = app
                .tandem
                .create_token_for_email(who, "mine", &RequestMeta::cli("test"))
                .await
                .unwrap();
            t.id.to_string()
        }
        _ => fx.foreign_token_id.clone(),
    };
    let (ticket_id, version) = if row.variant == "missing" {
        (missing.clone(), 1)
    } else {
        fx.ticket[case.target].clone()
    };
    let version = version.to_string();
    let attachment_id = if row.variant == "missing" {
        missing.clone()
    } else {
        fx.attachment[case.target].clone()
    };
    let user_id = if row.variant == "missing" {
        missing.clone()
    } else {
        fx.person[case.target].clone()
    };
    let mut path = row
        .route
        .replace("{org_id}", &org)
        .replace("{user_id}", &user_id)
        .replace("{engagement_id}", &eng)
        .replace("{token_id}", &token_id)
        .replace("{ticket_id}", &ticket_id)
        .replace("{attachment_id}", &attachment_id)
        .replace("{device_id}", &fx.device[case.target])
        // An asset is the device it grew from: the same id.
        .replace("{asset_id}", &fx.device[case.target])
        .replace("{page_id}", &fx.page[case.target])
        .replace("{source_id}", &fx.alert_source[case.target])
        .replace("{window_id}", &fx.maintenance_window[case.target])
        .replace("{webhook_id}", &fx.webhook[case.target])
        .replace("{client_id}", &org)
        .replace("{secret_id}", &fx.secret[case.target])
        .replace("{departure_id}", "0191f7a2-8c3e-7d4b-9a10-2b3c4d5e6f71")
        .replace("{slot_id}", &fx.duty[case.target].0)
        .replace("{override_id}", &fx.duty[case.target].1);
    if row.route.contains("{dispute_id}") {
        let (invoice, dispute) = &fx.disputed[case.target];
        path = path
            .replace("{invoice_id}", invoice)
            .replace("{dispute_id}", dispute);
    } else if row.route.starts_with("/invoices/{invoice_id}") {
        path = path
            .replace("{invoice_id}", &fx.invoice[case.target])
            .replace("{position}", "0")
            .replace("{step}", row.variant);
    }
    if row.route == "/invoices/export" {
        path.push_str("?period=2026-12&format=csv");
    }
    if row.route.contains("{agreement_id}") {
        let (draft, proposal) = &fx.agreement[case.target];
        let id = if row.variant == "propose" {
            draft
        } else {
            proposal
        };
        path = path
            .replace("{agreement_id}", id)
            .replace("{step}", row.variant);
    }
    match row.variant {
        "org" => path.push_str(&format!("?org={org}")),
        "missing_org" => path.push_str(&format!("?org={missing}")),
        "client" => path.push_str(&format!("?client={org}")),
        "engagement" => path.push_str(&format!("?engagement={eng}")),
        _ => {}
    }
    if ends_engagement_first(row) {
        let mara = app.token(MARA).await;
        let (s, _) = app
            .api(
                "POST",
                &format!("/api/v1/engagements/{eng}/end"),
                Some(&mara),
                None,
            )
            .await;
        assert_eq!(s, 200, "ending the engagement before restarting it");
    }
    let f = |pairs: &[(&str, &str)]| -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    };
    let fields = match (row.method, row.route, row.variant) {
        ("POST", "/login/totp", _) => f(&[("code", "123456")]),
        ("POST", "/account/password", _) => f(&[
            ("current_password", PASSWORD),
            ("new_password", "a brand new long password"),
        ]),
        ("POST", "/account/totp", _) => f(&[("step", "start")]),
        ("POST", "/invoices/run", _) => f(&[("period", "2026-12")]),
        ("POST", "/invoices/{invoice_id}/disputes", _) => f(&[
            ("version", "1"),
            ("line", "0"),
            ("reason", "Not what we agreed"),
        ]),
        ("POST", "/invoices/{invoice_id}/disputes/{dispute_id}/answer", _) => f(&[
            ("version", "2"),
            ("amount", ""),
            ("answer", "It is what the agreement says"),
        ]),
        ("POST", "/invoices/{invoice_id}/{step}", _) => {
            f(&[("version", "1"), ("reason", "Raised in error")])
        }
        ("POST", "/invoices/{invoice_id}/lines", _) => f(&[
            ("version", "1"),
            ("description", "Goodwill credit"),
            ("amount", "-100.00"),
            ("reason", "The outage"),
        ]),
        ("POST", "/invoices/{invoice_id}/lines/{position}", _) => f(&[
            ("version", "1"),
            ("description", "Retainer"),
            ("quantity", "1"),
            ("unit_price", "5000.00"),
            ("amount", "4500.00"),
            ("reason", "Agreed on the phone"),
        ]),
        ("POST", "/invoices/{invoice_id}/lines/{position}/remove", _) => {
            f(&[("version", "1"), ("reason", "Billed yearly")])
        }
        ("POST", "/blocks/{agreement_id}", _) => f(&[
            ("purchased_on", "2026-12-05"),
            ("hours", "10"),
            ("price", "1000"),
            ("expires_on", "2027-03-31"),
        ]),
        ("POST", "/agreements/{engagement_id}/draft", _) => f(&[
            ("starts_on", "2026-12-01"),
            ("retainer", "5000"),
            ("credit_p1", "100"),
            ("credit_p2", "50"),
            ("credit_p3", "5%"),
            ("credit_p4", "0"),
        ]),
        ("POST", "/agreements/{engagement_id}/{agreement_id}/{step}", "propose") => {
            f(&[("version", "1")])
        }
        ("POST", "/agreements/{engagement_id}/{agreement_id}/{step}", _) => {
            f(&[("version", "2"), ("reason", "The retainer is too high")])
        }
        ("POST", "/account/time-zone", _) => f(&[("time_zone", "Europe/Paris")]),
        ("POST", "/account/tokens", _) => f(&[("name", "from the table")]),
        ("POST", "/people", v) => {
            let role = match (v, client_target) {
                ("requester", _) => "requester",
                (_, true) => "client_technician",
                (_, false) => "provider_engineer",
            };
            f(&[
                ("org_id", &org),
                ("email", &format!("new{n}@example.org")),
                ("name", "New Person"),
                ("role", role),
                ("password", "a long enough password"),
            ])
        }
        ("POST", "/people/{user_id}", _) => {
            let role = if client_target {
                "requester"
            } else {
                "provider_engineer"
            };
            f(&[("name", "Renamed Person"), ("role", role), ("active", "on")])
        }
        ("POST", "/orgs/{org_id}/settings", _) => f(&[("require_totp", "on")]),
        ("POST", "/engagements", _) => f(&[
            ("client_name", "Newco"),
            ("client_slug", &format!("newco{n}")),
            ("admin_name", "Nia Admin"),
            ("admin_email", &format!("admin{n}@newco.example")),
            ("admin_password", "a long enough password"),
        ]),
        ("POST", "/engagements/restart", _) => f(&[("client_id", &org)]),
        ("POST", "/engagements/{engagement_id}/assign", _) => {
            f(&[("user_id", &fx.person["harborlane"])])
        }
        ("POST", "/engagements/{engagement_id}/unassign", _) => f(&[("user_id", &engineer)]),
        ("POST", "/tickets", _) => f(&[
            ("client_id", &org),
            ("title", "VPN drops every hour"),
            ("description", "Since this morning"),
            ("category", "network"),
            ("impact", "medium"),
            ("urgency", "high"),
        ]),
        ("POST", "/tickets/{ticket_id}", _) => {
            f(&[("version", &version), ("status", "in_progress")])
        }
        ("POST", "/tickets/{ticket_id}/attachments", _) => f(&[("visibility", "public")]),
        ("POST", "/tickets/{ticket_id}/watch", _) => f(&[("on", "yes")]),
        // Number 9999 does not exist: allowed roles get the form back with an error.
        ("POST", "/tickets/{ticket_id}/links", _) => f(&[("number", "9999")]),
        ("POST", "/tickets/{ticket_id}/time", _) => f(&[
            ("minutes", "30"),
            ("category", "help-desk"),
            ("note", "Looked"),
        ]),
        ("POST", "/tickets/{ticket_id}/comments", _) => {
            f(&[("body", "Looking into it"), ("visibility", "public")])
        }
        ("POST", "/tickets/{ticket_id}/handoff", _) => f(&[
            ("version", &version),
            ("reason", "needs the firewall vendor"),
        ]),
        ("POST", "/desk/split", _) => f(&[
            ("client_id", &org),
            ("category", "network"),
            ("business_hours", "provider"),
            ("after_hours", "provider"),
            ("in_scope", "on"),
        ]),
        ("POST", "/desk/categories", _) => f(&[
            ("client_id", &org),
            ("key", &format!("cad{n}")),
            ("name", "CAD workstations"),
        ]),
        ("POST", "/desk/calendar", _) => f(&[
            ("client_id", &org),
            ("time_zone", "Europe/London"),
            ("windows", "mon 08:00-18:00\ntue 08:00-18:00"),
            ("holidays", "2026-12-25 01-01"),
        ]),
        ("POST", "/quote", _) => f(&[
            ("users", "100"),
            ("c0_key", "help-desk"),
            ("c0_name", "Help desk"),
            ("c0_hours", "10"),
            ("s1_0", "on"),
            ("p1_name", "Hybrid"),
            ("p1_user_low", "65"),
            ("p1_user_high", "90"),
        ]),
        ("POST", "/desk/sla", _) => f(&[
            ("client_id", &org),
            ("priority", "p2"),
            ("response_minutes", "30"),
            ("resolution_minutes", "300"),
            ("warn_percent", "80"),
        ]),
        ("POST", "/devices", _) => f(&[
            ("client_id", &org),
            ("name", &format!("Table PC {n}")),
            ("class", "workstation"),
            ("status", "active"),
            ("acquired_on", "2026-01-05"),
        ]),
        ("POST", "/devices/import", _) => f(&[("client_id", &org)]),
        ("POST", "/assets", _) => f(&[
            ("client_id", &org),
            ("name", &format!("Table asset {n}")),
            ("asset_type", "printer"),
        ]),
        ("POST", "/assets/import", _) => f(&[
            ("client_id", &org),
            ("csv", &format!("name,type\nTable import {n},other\n")),
            ("step", "dry_run"),
            ("map_name", "name"),
            ("map_type", "asset_type"),
        ]),
        ("POST", "/assets/settings", _) => f(&[
            ("client_id", &org),
            ("intent", "rule"),
            ("kind", "certificate"),
            ("days_before", "14"),
            ("category", "security-operations"),
        ]),
        ("POST", "/assets/{asset_id}", _) => f(&[
            ("client_id", &org),
            ("version", "1"),
            ("name", "Front desk PC"),
            ("asset_type", "workstation"),
            ("location", "Reception"),
        ]),
        ("POST", "/assets/{asset_id}/links", _) => f(&[
            ("client_id", &org),
            ("target_kind", "ticket"),
            ("target_id", &ticket_id),
        ]),
        ("POST", "/documents", _) => f(&[
            ("client_id", &org),
            ("title", &format!("Table page {n}")),
            ("tags", "table"),
            ("body", "# Steps"),
            ("intent", "save"),
        ]),
        ("POST", "/documents/{page_id}/edit", _) => f(&[
            ("version", "1"),
            ("title", "Printing from home"),
            ("body", "Use the VPN first, then print."),
            ("published", "1"),
            ("intent", "save"),
        ]),
        ("POST", "/documents/{page_id}/restore", _) => f(&[("number", "1"), ("version", "1")]),
        ("POST", "/devices/{device_id}", _) => f(&[
            ("version", "1"),
            ("name", "Front desk PC"),
            ("class", "server"),
            ("status", "active"),
        ]),
        ("POST", "/devices/{device_id}/retire", _) => {
            f(&[("version", "1"), ("retired_on", "2026-03-01")])
        }
        ("POST", "/alerts", _) => f(&[
            ("client_id", &org),
            ("name", &format!("Table source {n}")),
            ("kind", "generic"),
            ("auth_mode", "bearer"),
            ("default_category", "network"),
        ]),
        ("POST", "/alerts/sources/{source_id}/revoke", _) => f(&[("client_id", &org)]),
        ("POST", "/alerts/maintenance", _) => f(&[
            ("client_id", &org),
            ("reason", &format!("Table window {n}")),
            ("kind", "weekly"),
            ("day_sat", "on"),
            ("start_time", "23:00"),
            ("duration_minutes", "60"),
        ]),
        ("POST", "/alerts/maintenance/{window_id}/delete", _) => f(&[("client_id", &org)]),
        ("POST", "/vault", _) => f(&[
            ("client_id", &org),
            ("name", &format!("Table secret {n}")),
            ("secret", "table-secret"),
        ]),
        ("POST", "/vault/{client_id}/secrets/{secret_id}/delete", _) => f(&[("version", "1")]),
        ("POST", "/vault/{client_id}/secrets/{secret_id}", _) => f(&[
            ("version", "1"),
            ("name", "Firewall admin"),
            ("username", "root"),
        ]),
        ("POST", "/reauth", _) => f(&[
            ("password", PASSWORD),
            (
                "next",
                &format!("/vault/{org}/secrets/{}", fx.secret[case.target]),
            ),
        ]),
        ("POST", "/webhooks", _) => f(&[
            ("client_id", &org),
            ("name", &format!("Table hook {n}")),
            ("url", "https://hooks.example.com/table"),
            ("opened", "on"),
        ]),
        ("POST", "/webhooks/{webhook_id}/revoke" | "/webhooks/{webhook_id}/test", _) => {
            f(&[("client_id", &org)])
        }
        // The provider's side names the engagement's engineer, the in-house
        // side the client's admin.
        ("POST", "/duty/slots", side) => f(&[
            ("client_id", &org),
            ("side", side),
            ("start_day", "sat"),
            ("start_time", "08:00"),
            ("end_day", "sat"),
            ("end_time", "20:00"),
            (
                "person_id",
                if side == "provider" {
                    &engineer
                } else {
                    &fx.duty[case.target].2
                },
            ),
        ]),
        ("POST", "/duty/overrides", side) => f(&[
            ("client_id", &org),
            ("side", side),
            ("starts_at", "2026-12-24T17:00"),
            ("ends_at", "2026-12-26T08:00"),
            (
                "person_id",
                if side == "provider" {
                    &engineer
                } else {
                    &fx.duty[case.target].2
                },
            ),
        ]),
        ("POST", "/duty/slots/{slot_id}/remove" | "/duty/overrides/{override_id}/remove", side) => {
            f(&[("client_id", &org), ("side", side)])
        }
        _ => Vec::new(),
    };
    Filled { path, fields }
}

/// Send a filled row as the case's browser would.
async fn send(b: &mut Browser<'_>, row: &Row, case: &Case, filled: &Filled) -> Response<Body> {
    if row.method == "GET" {
        return b.get(&filled.path).await;
    }
    if row.route == "/login" {
        return match case.who {
            Some(who) => b.sign_in(who, PASSWORD).await,
            None => b.sign_in("nobody@alder.example", PASSWORD).await,
        };
    }
    // A stranger has no session, so no token to send; the session check
    // comes first and sends them to the sign-in page.
    let csrf = match case.who {
        Some(_) => b.csrf("/account").await,
        None => "no-session-no-token".to_owned(),
    };
    let mut fields: Vec<(&str, &str)> = vec![("csrf", &csrf)];
    fields.extend(filled.fields.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    if row.route == "/tickets/{ticket_id}/attachments" {
        let file = ("screenshot.png", "image/png", &b"\x89PNG not really"[..]);
        return b.post_multipart(&filled.path, &fields, Some(file)).await;
    }
    if row.route == "/devices/import" {
        let csv = &b"name,class,status\nTable PC,Workstation,Active\n"[..];
        return b
            .post_multipart(
                &filled.path,
                &fields,
                Some(("devices.csv", "text/csv", csv)),
            )
            .await;
    }
    b.post(&filled.path, &fields).await
}

/// Expected status and redirect target per case label.
fn expected(row: &Row) -> HashMap<&'static str, (u16, Option<&'static str>)> {
    row.expect
        .split_whitespace()
        .map(|kv| {
            let (k, v) = kv.split_once('=').unwrap();
            let (status, to) = match v.split_once('>') {
                Some((s, to)) => (s, Some(to)),
                None => (v, None),
            };
            (k, (status.parse().unwrap(), to))
        })
        .collect()
}

/// Whether filling the row changes the demo before the request: restarting
/// an engagement needs one that has ended.
fn ends_engagement_first(row: &Row) -> bool {
    (row.route, row.variant) == ("/engagements/restart", "ended")
}

/// Whether the table expects this case's change to be turned away: an
/// error, or a stranger sent to sign in. Signing out also ends at the
/// sign-in page, but for a signed-in person it is a change.
fn refused((status, to): (u16, Option<&str>), case: &Case) -> bool {
    status >= 400 || (case.who.is_none() && to == Some("/login"))
}

/// What came back for one case.
struct Outcome {
    status: u16,
    to: String,
    request_id: String,
    body: String,
    path: String,
}

async fn outcome(res: Response<Body>, path: String) -> Outcome {
    let (status, to, request_id) = (res.status().as_u16(), location(&res), request_id_of(&res));
    Outcome {
        status,
        to,
        request_id,
        body: text(res).await,
        path,
    }
}

/// At most this many fresh copies of the demo at once: each holds its own
/// connections, and PostgreSQL allows a hundred in all.
static FRESH_APPS: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(4);

/// A mutating row for one case, on its own fresh copy of the demo.
async fn run_on_fresh_app(row: &'static Row, case_ix: usize, n: usize) -> Outcome {
    let _turn = FRESH_APPS.acquire().await.unwrap();
    let case = &CASES[case_ix];
    let fresh = TestApp::demo().await;
    let fx = fixture(&fresh).await;
    let filled = fill(&fresh, &fx, row, case, n).await;
    let mut b = match case.who {
        Some(w) => fresh.browser(w).await,
        None => fresh.anonymous(),
    };
    let res = send(&mut b, row, case, &filled).await;
    let out = outcome(res, filled.path).await;
    fresh.close().await;
    out
}

#[tokio::test(flavor = "multi_thread")]
async fn every_ui_route_answers_every_role_and_relation_as_the_table_says_part_1() {
    check_part(0).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn every_ui_route_answers_every_role_and_relation_as_the_table_says_part_2() {
    check_part(1).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn every_ui_route_answers_every_role_and_relation_as_the_table_says_part_3() {
    check_part(2).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn every_ui_route_answers_every_role_and_relation_as_the_table_says_part_4() {
    check_part(3).await;
}

async fn check_part(part: usize) {
    // Reads, and changes the table expects to be refused, run against one
    // database with one browser per person: a refusal must leave it as it
    // was (and one that does not fails its own case). Each change the table
    // expects to go through runs against its own fresh copy of the demo
    // (the cases of a row side by side) so earlier rows cannot affect later
    // ones.
    let shared = TestApp::demo().await;
    let shared_fx = fixture(&shared).await;
    let mut browsers: HashMap<&str, Browser<'_>> = HashMap::new();
    for c in &CASES {
        let key = c.who.unwrap_or("");
        if !browsers.contains_key(key) {
            let b = match c.who {
                Some(w) => shared.browser(w).await,
                None => shared.anonymous(),
            };
            browsers.insert(key, b);
        }
    }

    let mut failures = Vec::new();
    let mut checked = 0;
    for (row_ix, row) in rows_of_part(TABLE, part) {
        let want = expected(row);
        assert_eq!(
            want.len(),
            CASES.len(),
            "row {} {} {} must name every case",
            row.method,
            row.route,
            row.variant
        );
        let mut outcomes = Vec::with_capacity(CASES.len());
        let mut changes = Vec::new();
        for (case_ix, case) in CASES.iter().enumerate() {
            // Numbered through the whole table, so names stay unique.
            let n = row_ix * CASES.len() + case_ix + 1;
            checked += 1;
            if row.method != "GET"
                && (ends_engagement_first(row) || !refused(want[case.label], case))
            {
                changes.push((case_ix, tokio::spawn(run_on_fresh_app(row, case_ix, n))));
                outcomes.push(None);
                continue;
            }
            let filled = fill(&shared, &shared_fx, row, case, n).await;
            let b = browsers.get_mut(case.who.unwrap_or("")).unwrap();
            let res = send(b, row, case, &filled).await;
            outcomes.push(Some(outcome(res, filled.path).await));
        }
        for (case_ix, task) in changes {
            outcomes[case_ix] = Some(task.await.unwrap());
        }
        let outcomes = outcomes.into_iter().map(Option::unwrap);
        for (case, o) in CASES.iter().zip(outcomes) {
            let (w, want_to) = want[case.label];
            let redirect_ok = want_to.is_none_or(|p| o.to.starts_with(p));
            if o.status != w || !redirect_ok {
                failures.push(format!(
                    "{} {} [{}] as {}: got {}{} want {w}{}",
                    row.method,
                    row.route,
                    row.variant,
                    case.label,
                    o.status,
                    if o.to.is_empty() {
                        String::new()
                    } else {
                        format!(">{}", o.to)
                    },
                    want_to.map(|t| format!(">{t}")).unwrap_or_default(),
                ));
            }
            // Refusals are error pages that quote the request id and never
            // show database text.
            if matches!(o.status, 403 | 404) {
                assert!(
                    o.body
                        .contains(&format!("<code id=\"request-id\">{}</code>", o.request_id)),
                    "{} {} as {}: the error page does not show request id {}",
                    row.method,
                    o.path,
                    case.label,
                    o.request_id
                );
            }
            if o.status >= 400 {
                let lower = without_csrf_values(&o.body).to_lowercase();
                if let Some(at) = lower.find("sql").or_else(|| lower.find("database")) {
                    // Quote the surroundings so a failure says what leaked.
                    let from = lower.floor_char_boundary(at.saturating_sub(80));
                    let to = lower.ceil_char_boundary((at + 80).min(lower.len()));
                    panic!(
                        "{} {} as {}: database text leaked: ...{}...",
                        row.method,
                        o.path,
                        case.label,
                        &lower[from..to]
                    );
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {checked} cases differ:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

fn request_id_of(res: &Response<Body>) -> String {
    res.headers()
        .get("x-request-id")
        .expect("every answer carries x-request-id")
        .to_str()
        .unwrap()
        .to_owned()
}

#[test]
fn every_ui_route_in_the_router_is_in_the_table() {
    let mut declared = declared_routes(include_str!("../src/ui/mod.rs"));
    // A broken parser must not pass vacuously.
    assert!(
        declared.len() >= 20,
        "only {} routes found in src/ui/mod.rs: {declared:?}",
        declared.len()
    );
    declared.extend(declared_routes(include_str!("../src/metrics.rs")));
    let in_table: BTreeSet<(String, String)> = TABLE
        .iter()
        .map(|r| (r.method.to_owned(), r.route.to_owned()))
        .collect();
    let missing: Vec<_> = declared.difference(&in_table).collect();
    let stale: Vec<_> = in_table.difference(&declared).collect();
    assert!(
        missing.is_empty(),
        "UI routes without a row in the authorization table: {missing:?}"
    );
    assert!(
        stale.is_empty(),
        "rows for routes that no longer exist: {stale:?}"
    );
}
