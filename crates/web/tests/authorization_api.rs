//! The authorization table for the JSON API: every route x role x tenant
//! relation with the answer it must give. A route in the OpenAPI spec that
//! is missing from the table fails the test, so new routes cannot slip in
//! unreviewed.
#![allow(clippy::unwrap_used)]

mod support;

use serde_json::{Value, json};
use std::collections::{BTreeSet, HashMap};
use support::*;

/// One row: a route (as in the spec), how to fill it for a case, and the
/// expected status per case label.
struct Row {
    method: &'static str,
    route: &'static str,
    variant: &'static str,
    expect: &'static str,
}

const TABLE: &[Row] = &[
    Row {
        method: "GET",
        route: "/api/v1/me",
        variant: "",
        expect: "PA_own=200 PA_eng=200 PA_not=200 PE_own=200 PE_eng=200 PE_not=200 CA_own=200 CA_other=200 CT_own=200 CT_other=200 CV_own=200 CV_other=200 RQ_own=200 RQ_other=200 ANON=401",
    },
    // Time: staff of both sides who work the client's tickets log it; the
    // viewer reads it; requesters see none of it.
    Row {
        method: "GET",
        route: "/api/v1/tickets/{ticket_id}/time",
        variant: "",
        expect: "PA_own=404 PA_eng=200 PA_not=404 PE_own=404 PE_eng=200 PE_not=404 CA_own=200 CA_other=404 CT_own=200 CT_other=404 CV_own=200 CV_other=404 RQ_own=404 RQ_other=404 ANON=401",
    },
    Row {
        method: "POST",
        route: "/api/v1/tickets/{ticket_id}/time",
        variant: "",
        expect: "PA_own=404 PA_eng=201 PA_not=404 PE_own=404 PE_eng=201 PE_not=404 CA_own=201 CA_other=404 CT_own=201 CT_other=404 CV_own=403 CV_other=404 RQ_own=404 RQ_other=404 ANON=401",
    },
    Row {
        method: "GET",
        route: "/api/v1/clients/{client_id}/time",
        variant: "",
        expect: "PA_own=404 PA_eng=200 PA_not=404 PE_own=404 PE_eng=200 PE_not=404 CA_own=200 CA_other=404 CT_own=200 CT_other=404 CV_own=200 CV_other=404 RQ_own=404 RQ_other=404 ANON=401",
    },
    // Invoices: the provider's admin runs, issues and voids them; the
    // client's IT staff read them; engineers and requesters do not.
    Row {
        method: "POST",
        route: "/api/v1/invoices/run",
        variant: "",
        expect: "PA_own=200 PA_eng=200 PA_not=200 PE_own=403 PE_eng=403 PE_not=403 CA_own=403 CA_other=403 CT_own=403 CT_other=403 CV_own=403 CV_other=403 RQ_own=404 RQ_other=404 ANON=401",
    },
    Row {
        method: "GET",
        route: "/api/v1/invoices",
        variant: "",
        expect: "PA_own=200 PA_eng=200 PA_not=200 PE_own=404 PE_eng=404 PE_not=404 CA_own=200 CA_other=200 CT_own=200 CT_other=200 CV_own=200 CV_other=200 RQ_own=404 RQ_other=404 ANON=401",
    },
    Row {
        method: "GET",
        route: "/api/v1/invoices/{invoice_id}",
        variant: "",
        expect: "PA_own=200 PA_eng=200 PA_not=200 PE_own=404 PE_eng=404 PE_not=404 CA_own=200 CA_other=404 CT_own=200 CT_other=404 CV_own=200 CV_other=404 RQ_own=404 RQ_other=404 ANON=401",
    },
    Row {
        method: "POST",
        route: "/api/v1/invoices/{invoice_id}/issue",
        variant: "",
        expect: "PA_own=200 PA_eng=200 PA_not=200 PE_own=404 PE_eng=404 PE_not=404 CA_own=403 CA_other=404 CT_own=403 CT_other=404 CV_own=403 CV_other=404 RQ_own=404 RQ_other=404 ANON=401",
    },
    Row {
        method: "POST",
        route: "/api/v1/invoices/{invoice_id}/disputes",
        variant: "",
        expect: "PA_own=403 PA_eng=403 PA_not=403 PE_own=404 PE_eng=404 PE_not=404 CA_own=200 CA_other=404 CT_own=403 CT_other=404 CV_own=403 CV_other=404 RQ_own=404 RQ_other=404 ANON=401",
    },
    Row {
        method: "POST",
        route: "/api/v1/invoices/{invoice_id}/disputes/{dispute_id}/answer",
        variant: "",
        expect: "PA_own=200 PA_eng=200 PA_not=200 PE_own=404 PE_eng=404 PE_not=404 CA_own=403 CA_other=404 CT_own=403 CT_other=404 CV_own=403 CV_other=404 RQ_own=404 RQ_other=404 ANON=401",
    },
    Row {
        method: "POST",
        route: "/api/v1/invoices/{invoice_id}/void",
        variant: "",
        expect: "PA_own=200 PA_eng=200 PA_not=200 PE_own=404 PE_eng=404 PE_not=404 CA_own=403 CA_other=404 CT_own=403 CT_other=404 CV_own=403 CV_other=404 RQ_own=404 RQ_other=404 ANON=401",
    },
    // A month's invoices at once: as the list, each reader its own.
    Row {
        method: "GET",
        route: "/api/v1/invoices/export",
        variant: "",
        expect: "PA_own=200 PA_eng=200 PA_not=200 PE_own=404 PE_eng=404 PE_not=404 CA_own=200 CA_other=200 CT_own=200 CT_other=200 CV_own=200 CV_other=200 RQ_own=404 RQ_other=404 ANON=401",
    },
    // A draft's lines changed by hand: the provider's admin, as issuing.
    Row {
        method: "POST",
        route: "/api/v1/invoices/{invoice_id}/lines",
        variant: "",
        expect: "PA_own=200 PA_eng=200 PA_not=200 PE_own=404 PE_eng=404 PE_not=404 CA_own=403 CA_other=404 CT_own=403 CT_other=404 CV_own=403 CV_other=404 RQ_own=404 RQ_other=404 ANON=401",
    },
    Row {
        method: "PATCH",
        route: "/api/v1/invoices/{invoice_id}/lines/{position}",
        variant: "",
        expect: "PA_own=200 PA_eng=200 PA_not=200 PE_own=404 PE_eng=404 PE_not=404 CA_own=403 CA_other=404 CT_own=403 CT_other=404 CV_own=403 CV_other=404 RQ_own=404 RQ_other=404 ANON=401",
    },
    Row {
        method: "DELETE",
        route: "/api/v1/invoices/{invoice_id}/lines/{position}",
        variant: "",
        expect: "PA_own=200 PA_eng=200 PA_not=200 PE_own=404 PE_eng=404 PE_not=404 CA_own=403 CA_other=404 CT_own=403 CT_other=404 CV_own=403 CV_other=404 RQ_own=404 RQ_other=404 ANON=401",
    },
    // Agreements: the provider's admin drafts and proposes (for every
    // client of the provider), the client's admin decides; both sides'
    // staff read them, the engineers only of the clients they work.
    Row {
        method: "GET",
        route: "/api/v1/engagements/{engagement_id}/agreements",
        variant: "",
        expect: "PA_own=200 PA_eng=200 PA_not=200 PE_own=200 PE_eng=200 PE_not=404 CA_own=200 CA_other=404 CT_own=200 CT_other=404 CV_own=200 CV_other=404 RQ_own=404 RQ_other=404 ANON=401",
    },
    Row {
        method: "POST",
        route: "/api/v1/engagements/{engagement_id}/agreements",
        variant: "",
        expect: "PA_own=201 PA_eng=201 PA_not=201 PE_own=403 PE_eng=403 PE_not=404 CA_own=403 CA_other=404 CT_own=403 CT_other=404 CV_own=403 CV_other=404 RQ_own=404 RQ_other=404 ANON=401",
    },
    Row {
        method: "GET",
        route: "/api/v1/agreements/{agreement_id}",
        variant: "",
        expect: "PA_own=200 PA_eng=200 PA_not=200 PE_own=200 PE_eng=200 PE_not=404 CA_own=200 CA_other=404 CT_own=200 CT_other=404 CV_own=200 CV_other=404 RQ_own=404 RQ_other=404 ANON=401",
    },
    Row {
        method: "PUT",
        route: "/api/v1/agreements/{agreement_id}",
        variant: "",
        expect: "PA_own=200 PA_eng=200 PA_not=200 PE_own=403 PE_eng=403 PE_not=404 CA_own=403 CA_other=404 CT_own=403 CT_other=404 CV_own=403 CV_other=404 RQ_own=404 RQ_other=404 ANON=401",
    },
    Row {
        method: "POST",
        route: "/api/v1/agreements/{agreement_id}/propose",
        variant: "",
        expect: "PA_own=200 PA_eng=200 PA_not=200 PE_own=403 PE_eng=403 PE_not=404 CA_own=403 CA_other=404 CT_own=403 CT_other=404 CV_own=403 CV_other=404 RQ_own=404 RQ_other=404 ANON=401",
    },
    Row {
        method: "POST",
        route: "/api/v1/agreements/{agreement_id}/accept",
        variant: "",
        expect: "PA_own=403 PA_eng=403 PA_not=403 PE_own=403 PE_eng=403 PE_not=404 CA_own=200 CA_other=404 CT_own=403 CT_other=404 CV_own=403 CV_other=404 RQ_own=404 RQ_other=404 ANON=401",
    },
    Row {
        method: "POST",
        route: "/api/v1/agreements/{agreement_id}/reject",
        variant: "",
        expect: "PA_own=403 PA_eng=403 PA_not=403 PE_own=403 PE_eng=403 PE_not=404 CA_own=200 CA_other=404 CT_own=403 CT_other=404 CV_own=403 CV_other=404 RQ_own=404 RQ_other=404 ANON=401",
    },
    // The block-hours ledger: read as the agreement is; a purchase is the
    // provider admin's (409 here: the fixture's agreement has no blocks).
    Row {
        method: "GET",
        route: "/api/v1/agreements/{agreement_id}/blocks",
        variant: "",
        expect: "PA_own=200 PA_eng=200 PA_not=200 PE_own=200 PE_eng=200 PE_not=404 CA_own=200 CA_other=404 CT_own=200 CT_other=404 CV_own=200 CV_other=404 RQ_own=404 RQ_other=404 ANON=401",
    },
    Row {
        method: "POST",
        route: "/api/v1/agreements/{agreement_id}/blocks",
        variant: "",
        expect: "PA_own=409 PA_eng=409 PA_not=409 PE_own=403 PE_eng=403 PE_not=404 CA_own=403 CA_other=404 CT_own=403 CT_other=404 CV_own=403 CV_other=404 RQ_own=404 RQ_other=404 ANON=401",
    },
    Row {
        method: "PUT",
        route: "/api/v1/me/time-zone",
        variant: "",
        expect: "PA_own=200 PA_eng=200 PA_not=200 PE_own=200 PE_eng=200 PE_not=200 CA_own=200 CA_other=200 CT_own=200 CT_other=200 CV_own=200 CV_other=200 RQ_own=200 RQ_other=200 ANON=401",
    },
    Row {
        method: "GET",
        route: "/api/v1/orgs",
        variant: "",
        expect: "PA_own=200 PA_eng=200 PA_not=200 PE_own=200 PE_eng=200 PE_not=200 CA_own=200 CA_other=200 CT_own=200 CT_other=200 CV_own=200 CV_other=200 RQ_own=200 RQ_other=200 ANON=401",
    },
    Row {
        method: "GET",
        route: "/api/v1/orgs/{org_id}/users",
        variant: "",
        expect: "PA_own=200 PA_eng=200 PA_not=404 PE_own=200 PE_eng=200 PE_not=404 CA_own=200 CA_other=404 CT_own=200 CT_other=404 CV_own=200 CV_other=404 RQ_own=403 RQ_other=404 ANON=401",
    },
    Row {
        method: "POST",
        route: "/api/v1/orgs/{org_id}/users",
        variant: "staff",
        expect: "PA_own=201 PA_eng=403 PA_not=404 PE_own=403 PE_eng=403 PE_not=404 CA_own=201 CA_other=404 CT_own=403 CT_other=404 CV_own=403 CV_other=404 RQ_own=403 RQ_other=404 ANON=401",
    },
    Row {
        method: "POST",
        route: "/api/v1/orgs/{org_id}/users",
        variant: "requester",
        expect: "PA_own=422 PA_eng=201 PA_not=404 PE_own=403 PE_eng=201 PE_not=404 CA_own=201 CA_other=404 CT_own=201 CT_other=404 CV_own=403 CV_other=404 RQ_own=403 RQ_other=404 ANON=401",
    },
    Row {
        method: "PUT",
        route: "/api/v1/orgs/{org_id}/settings",
        variant: "",
        expect: "PA_own=200 PA_eng=403 PA_not=404 PE_own=403 PE_eng=403 PE_not=404 CA_own=200 CA_other=404 CT_own=403 CT_other=404 CV_own=403 CV_other=404 RQ_own=403 RQ_other=404 ANON=401",
    },
    Row {
        method: "GET",
        route: "/api/v1/orgs/{org_id}/audit",
        variant: "",
        expect: "PA_own=200 PA_eng=200 PA_not=404 PE_own=200 PE_eng=200 PE_not=404 CA_own=200 CA_other=404 CT_own=200 CT_other=404 CV_own=200 CV_other=404 RQ_own=403 RQ_other=404 ANON=401",
    },
    Row {
        method: "GET",
        route: "/api/v1/users/{user_id}",
        variant: "",
        expect: "PA_own=200 PA_eng=200 PA_not=404 PE_own=200 PE_eng=200 PE_not=404 CA_own=200 CA_other=404 CT_own=200 CT_other=404 CV_own=200 CV_other=404 RQ_own=404 RQ_other=404 ANON=401",
    },
    Row {
        method: "PATCH",
        route: "/api/v1/users/{user_id}",
        variant: "",
        expect: "PA_own=200 PA_eng=200 PA_not=404 PE_own=403 PE_eng=200 PE_not=404 CA_own=200 CA_other=404 CT_own=200 CT_other=404 CV_own=403 CV_other=404 RQ_own=404 RQ_other=404 ANON=401",
    },
    Row {
        method: "GET",
        route: "/api/v1/engagements",
        variant: "",
        expect: "PA_own=200 PA_eng=200 PA_not=200 PE_own=200 PE_eng=200 PE_not=200 CA_own=200 CA_other=200 CT_own=200 CT_other=200 CV_own=200 CV_other=200 RQ_own=403 RQ_other=403 ANON=401",
    },
    Row {
        method: "POST",
        route: "/api/v1/engagements",
        variant: "",
        expect: "PA_own=201 PA_eng=201 PA_not=201 PE_own=403 PE_eng=403 PE_not=403 CA_own=403 CA_other=403 CT_own=403 CT_other=403 CV_own=403 CV_other=403 RQ_own=403 RQ_other=403 ANON=401",
    },
    Row {
        method: "POST",
        route: "/api/v1/engagements/restart",
        variant: "",
        expect: "PA_own=404 PA_eng=409 PA_not=409 PE_own=403 PE_eng=403 PE_not=403 CA_own=403 CA_other=403 CT_own=403 CT_other=403 CV_own=403 CV_other=403 RQ_own=403 RQ_other=403 ANON=401",
    },
    Row {
        method: "GET",
        route: "/api/v1/engagements/{engagement_id}",
        variant: "",
        expect: "PA_own=200 PA_eng=200 PA_not=200 PE_own=200 PE_eng=200 PE_not=200 CA_own=200 CA_other=404 CT_own=200 CT_other=404 CV_own=200 CV_other=404 RQ_own=403 RQ_other=404 ANON=401",
    },
    Row {
        method: "POST",
        route: "/api/v1/engagements/{engagement_id}/engineers",
        variant: "",
        expect: "PA_own=200 PA_eng=200 PA_not=200 PE_own=403 PE_eng=403 PE_not=403 CA_own=403 CA_other=404 CT_own=403 CT_other=404 CV_own=403 CV_other=404 RQ_own=403 RQ_other=404 ANON=401",
    },
    Row {
        method: "DELETE",
        route: "/api/v1/engagements/{engagement_id}/engineers/{user_id}",
        variant: "",
        expect: "PA_own=200 PA_eng=200 PA_not=200 PE_own=403 PE_eng=403 PE_not=403 CA_own=403 CA_other=404 CT_own=403 CT_other=404 CV_own=403 CV_other=404 RQ_own=403 RQ_other=404 ANON=401",
    },
    Row {
        method: "POST",
        route: "/api/v1/engagements/{engagement_id}/end",
        variant: "",
        expect: "PA_own=200 PA_eng=200 PA_not=200 PE_own=403 PE_eng=403 PE_not=403 CA_own=200 CA_other=404 CT_own=403 CT_other=404 CV_own=403 CV_other=404 RQ_own=403 RQ_other=404 ANON=401",
    },
    Row {
        method: "GET",
        route: "/api/v1/tokens",
        variant: "",
        expect: "PA_own=200 PA_eng=200 PA_not=200 PE_own=200 PE_eng=200 PE_not=200 CA_own=200 CA_other=200 CT_own=200 CT_other=200 CV_own=200 CV_other=200 RQ_own=200 RQ_other=200 ANON=401",
    },
    Row {
        method: "POST",
        route: "/api/v1/tokens",
        variant: "",
        expect: "PA_own=201 PA_eng=201 PA_not=201 PE_own=201 PE_eng=201 PE_not=201 CA_own=201 CA_other=201 CT_own=201 CT_other=201 CV_own=201 CV_other=201 RQ_own=201 RQ_other=201 ANON=401",
    },
    // The target token always belongs to someone else: nobody can revoke it.
    Row {
        method: "DELETE",
        route: "/api/v1/tokens/{token_id}",
        variant: "",
        expect: "PA_own=404 PA_eng=404 PA_not=404 PE_own=404 PE_eng=404 PE_not=404 CA_own=404 CA_other=404 CT_own=404 CT_other=404 CV_own=404 CV_other=404 RQ_own=404 RQ_other=404 ANON=401",
    },
    Row {
        method: "GET",
        route: "/api/v1/tickets",
        variant: "",
        expect: "PA_own=200 PA_eng=200 PA_not=200 PE_own=200 PE_eng=200 PE_not=200 CA_own=200 CA_other=200 CT_own=200 CT_other=200 CV_own=200 CV_other=200 RQ_own=200 RQ_other=200 ANON=401",
    },
    Row {
        method: "POST",
        route: "/api/v1/tickets",
        variant: "",
        expect: "PA_own=422 PA_eng=201 PA_not=404 PE_own=422 PE_eng=201 PE_not=404 CA_own=201 CA_other=404 CT_own=201 CT_other=404 CV_own=403 CV_other=404 RQ_own=201 RQ_other=404 ANON=401",
    },
    // The target ticket was opened by the client admin: a requester does not see it.
    Row {
        method: "GET",
        route: "/api/v1/tickets/{ticket_id}",
        variant: "",
        expect: "PA_own=404 PA_eng=200 PA_not=404 PE_own=404 PE_eng=200 PE_not=404 CA_own=200 CA_other=404 CT_own=200 CT_other=404 CV_own=200 CV_other=404 RQ_own=404 RQ_other=404 ANON=401",
    },
    Row {
        method: "PATCH",
        route: "/api/v1/tickets/{ticket_id}",
        variant: "",
        expect: "PA_own=404 PA_eng=200 PA_not=404 PE_own=404 PE_eng=200 PE_not=404 CA_own=200 CA_other=404 CT_own=200 CT_other=404 CV_own=403 CV_other=404 RQ_own=404 RQ_other=404 ANON=401",
    },
    Row {
        method: "POST",
        route: "/api/v1/tickets/{ticket_id}/handoff",
        variant: "",
        expect: "PA_own=404 PA_eng=200 PA_not=404 PE_own=404 PE_eng=200 PE_not=404 CA_own=200 CA_other=404 CT_own=200 CT_other=404 CV_own=403 CV_other=404 RQ_own=404 RQ_other=404 ANON=401",
    },
    Row {
        method: "POST",
        route: "/api/v1/tickets/{ticket_id}/comments",
        variant: "",
        expect: "PA_own=404 PA_eng=201 PA_not=404 PE_own=404 PE_eng=201 PE_not=404 CA_own=201 CA_other=404 CT_own=201 CT_other=404 CV_own=403 CV_other=404 RQ_own=404 RQ_other=404 ANON=401",
    },
    Row {
        method: "GET",
        route: "/api/v1/tickets/{ticket_id}/attachments",
        variant: "",
        expect: "PA_own=404 PA_eng=200 PA_not=404 PE_own=404 PE_eng=200 PE_not=404 CA_own=200 CA_other=404 CT_own=200 CT_other=404 CV_own=200 CV_other=404 RQ_own=404 RQ_other=404 ANON=401",
    },
    Row {
        method: "POST",
        route: "/api/v1/tickets/{ticket_id}/attachments",
        variant: "",
        expect: "PA_own=404 PA_eng=201 PA_not=404 PE_own=404 PE_eng=201 PE_not=404 CA_own=201 CA_other=404 CT_own=201 CT_other=404 CV_own=403 CV_other=404 RQ_own=404 RQ_other=404 ANON=401",
    },
    Row {
        method: "GET",
        route: "/api/v1/attachments/{attachment_id}",
        variant: "",
        expect: "PA_own=404 PA_eng=200 PA_not=404 PE_own=404 PE_eng=200 PE_not=404 CA_own=200 CA_other=404 CT_own=200 CT_other=404 CV_own=200 CV_other=404 RQ_own=404 RQ_other=404 ANON=401",
    },
    Row {
        method: "POST",
        route: "/api/v1/tickets/{ticket_id}/watchers",
        variant: "",
        expect: "PA_own=404 PA_eng=204 PA_not=404 PE_own=404 PE_eng=204 PE_not=404 CA_own=204 CA_other=404 CT_own=204 CT_other=404 CV_own=403 CV_other=404 RQ_own=404 RQ_other=404 ANON=401",
    },
    // Watching oneself is a change too: a read-only viewer may not.
    Row {
        method: "POST",
        route: "/api/v1/tickets/{ticket_id}/watchers",
        variant: "self",
        expect: "PA_own=404 PA_eng=204 PA_not=404 PE_own=404 PE_eng=204 PE_not=404 CA_own=204 CA_other=404 CT_own=204 CT_other=404 CV_own=403 CV_other=404 RQ_own=404 RQ_other=404 ANON=401",
    },
    Row {
        method: "DELETE",
        route: "/api/v1/tickets/{ticket_id}/watchers/{user_id}",
        variant: "self",
        expect: "PA_own=404 PA_eng=204 PA_not=404 PE_own=404 PE_eng=204 PE_not=404 CA_own=204 CA_other=404 CT_own=204 CT_other=404 CV_own=403 CV_other=404 RQ_own=404 RQ_other=404 ANON=401",
    },
    Row {
        method: "DELETE",
        route: "/api/v1/tickets/{ticket_id}/watchers/{user_id}",
        variant: "",
        expect: "PA_own=404 PA_eng=204 PA_not=404 PE_own=404 PE_eng=204 PE_not=404 CA_own=204 CA_other=404 CT_own=204 CT_other=404 CV_own=403 CV_other=404 RQ_own=404 RQ_other=404 ANON=401",
    },
    Row {
        method: "POST",
        route: "/api/v1/tickets/{ticket_id}/links",
        variant: "",
        expect: "PA_own=404 PA_eng=204 PA_not=404 PE_own=404 PE_eng=204 PE_not=404 CA_own=204 CA_other=404 CT_own=204 CT_other=404 CV_own=403 CV_other=404 RQ_own=404 RQ_other=404 ANON=401",
    },
    Row {
        method: "GET",
        route: "/api/v1/clients/{client_id}/desk",
        variant: "",
        expect: "PA_own=404 PA_eng=200 PA_not=404 PE_own=404 PE_eng=200 PE_not=404 CA_own=200 CA_other=404 CT_own=200 CT_other=404 CV_own=200 CV_other=404 RQ_own=403 RQ_other=404 ANON=401",
    },
    Row {
        method: "GET",
        route: "/api/v1/clients/{client_id}/split/history",
        variant: "",
        expect: "PA_own=404 PA_eng=200 PA_not=404 PE_own=404 PE_eng=200 PE_not=404 CA_own=200 CA_other=404 CT_own=200 CT_other=404 CV_own=200 CV_other=404 RQ_own=403 RQ_other=404 ANON=401",
    },
    Row {
        method: "GET",
        route: "/api/v1/clients/{client_id}/sla/preview",
        variant: "",
        expect: "PA_own=404 PA_eng=200 PA_not=404 PE_own=404 PE_eng=200 PE_not=404 CA_own=200 CA_other=404 CT_own=200 CT_other=404 CV_own=200 CV_other=404 RQ_own=403 RQ_other=404 ANON=401",
    },
    // Both admins own the desk's set-up; everyone else reads it.
    Row {
        method: "PUT",
        route: "/api/v1/clients/{client_id}/split/{category}",
        variant: "",
        expect: "PA_own=404 PA_eng=200 PA_not=404 PE_own=404 PE_eng=403 PE_not=404 CA_own=200 CA_other=404 CT_own=403 CT_other=404 CV_own=403 CV_other=404 RQ_own=403 RQ_other=404 ANON=401",
    },
    Row {
        method: "POST",
        route: "/api/v1/clients/{client_id}/categories",
        variant: "",
        expect: "PA_own=404 PA_eng=201 PA_not=404 PE_own=404 PE_eng=403 PE_not=404 CA_own=201 CA_other=404 CT_own=403 CT_other=404 CV_own=403 CV_other=404 RQ_own=403 RQ_other=404 ANON=401",
    },
    Row {
        method: "PUT",
        route: "/api/v1/clients/{client_id}/calendar",
        variant: "",
        expect: "PA_own=404 PA_eng=204 PA_not=404 PE_own=404 PE_eng=403 PE_not=404 CA_own=204 CA_other=404 CT_own=403 CT_other=404 CV_own=403 CV_other=404 RQ_own=403 RQ_other=404 ANON=401",
    },
    Row {
        method: "PUT",
        route: "/api/v1/clients/{client_id}/sla/{priority}",
        variant: "",
        expect: "PA_own=404 PA_eng=204 PA_not=404 PE_own=404 PE_eng=403 PE_not=404 CA_own=204 CA_other=404 CT_own=403 CT_other=404 CV_own=403 CV_other=404 RQ_own=403 RQ_other=404 ANON=401",
    },
    Row {
        method: "PUT",
        route: "/api/v1/clients/{client_id}/priority-matrix",
        variant: "",
        expect: "PA_own=404 PA_eng=204 PA_not=404 PE_own=404 PE_eng=403 PE_not=404 CA_own=204 CA_other=404 CT_own=403 CT_other=404 CV_own=403 CV_other=404 RQ_own=403 RQ_other=404 ANON=401",
    },
    Row {
        method: "GET",
        route: "/api/v1/notifications",
        variant: "",
        expect: "PA_own=200 PA_eng=200 PA_not=200 PE_own=200 PE_eng=200 PE_not=200 CA_own=200 CA_other=200 CT_own=200 CT_other=200 CV_own=200 CV_other=200 RQ_own=200 RQ_other=200 ANON=401",
    },
    Row {
        method: "POST",
        route: "/api/v1/notifications/read",
        variant: "",
        expect: "PA_own=204 PA_eng=204 PA_not=204 PE_own=204 PE_eng=204 PE_not=204 CA_own=204 CA_other=204 CT_own=204 CT_other=204 CV_own=204 CV_other=204 RQ_own=204 RQ_other=204 ANON=401",
    },
    // The proposal calculator: arithmetic on the caller's own figures, for
    // IT staff of either side; requesters may not.
    Row {
        method: "POST",
        route: "/api/v1/quote",
        variant: "",
        expect: "PA_own=200 PA_eng=200 PA_not=200 PE_own=200 PE_eng=200 PE_not=200 CA_own=200 CA_other=200 CT_own=200 CT_other=200 CV_own=200 CV_other=200 RQ_own=403 RQ_other=403 ANON=401",
    },
    // The device inventory: both IT teams keep it, the viewer reads it,
    // requesters may not learn of it. The provider keeps none of its own,
    // and its "own" device rows aim at a client it is not engaged with.
    Row {
        method: "GET",
        route: "/api/v1/clients/{client_id}/devices",
        variant: "",
        expect: "PA_own=404 PA_eng=200 PA_not=404 PE_own=404 PE_eng=200 PE_not=404 CA_own=200 CA_other=404 CT_own=200 CT_other=404 CV_own=200 CV_other=404 RQ_own=404 RQ_other=404 ANON=401",
    },
    Row {
        method: "POST",
        route: "/api/v1/clients/{client_id}/devices",
        variant: "",
        expect: "PA_own=404 PA_eng=201 PA_not=404 PE_own=404 PE_eng=201 PE_not=404 CA_own=201 CA_other=404 CT_own=201 CT_other=404 CV_own=403 CV_other=404 RQ_own=404 RQ_other=404 ANON=401",
    },
    Row {
        method: "GET",
        route: "/api/v1/clients/{client_id}/devices/counts",
        variant: "",
        expect: "PA_own=404 PA_eng=200 PA_not=404 PE_own=404 PE_eng=200 PE_not=404 CA_own=200 CA_other=404 CT_own=200 CT_other=404 CV_own=200 CV_other=404 RQ_own=404 RQ_other=404 ANON=401",
    },
    Row {
        method: "POST",
        route: "/api/v1/clients/{client_id}/devices/import",
        variant: "",
        expect: "PA_own=404 PA_eng=422 PA_not=404 PE_own=404 PE_eng=422 PE_not=404 CA_own=422 CA_other=404 CT_own=422 CT_other=404 CV_own=403 CV_other=404 RQ_own=404 RQ_other=404 ANON=401",
    },
    Row {
        method: "GET",
        route: "/api/v1/devices/{device_id}",
        variant: "",
        expect: "PA_own=404 PA_eng=200 PA_not=404 PE_own=404 PE_eng=200 PE_not=404 CA_own=200 CA_other=404 CT_own=200 CT_other=404 CV_own=200 CV_other=404 RQ_own=404 RQ_other=404 ANON=401",
    },
    Row {
        method: "PATCH",
        route: "/api/v1/devices/{device_id}",
        variant: "",
        expect: "PA_own=404 PA_eng=200 PA_not=404 PE_own=404 PE_eng=200 PE_not=404 CA_own=200 CA_other=404 CT_own=200 CT_other=404 CV_own=403 CV_other=404 RQ_own=404 RQ_other=404 ANON=401",
    },
    // Shared documentation: IT staff of both sides read and write, the
    // viewer reads, requesters read only published pages (the fixture
    // page is one), are refused writing and never see a page's history.
    // The provider keeps no pages of its own.
    Row {
        method: "GET",
        route: "/api/v1/clients/{client_id}/pages",
        variant: "",
        expect: "PA_own=404 PA_eng=200 PA_not=404 PE_own=404 PE_eng=200 PE_not=404 CA_own=200 CA_other=404 CT_own=200 CT_other=404 CV_own=200 CV_other=404 RQ_own=200 RQ_other=404 ANON=401",
    },
    Row {
        method: "POST",
        route: "/api/v1/clients/{client_id}/pages",
        variant: "",
        expect: "PA_own=404 PA_eng=201 PA_not=404 PE_own=404 PE_eng=201 PE_not=404 CA_own=201 CA_other=404 CT_own=201 CT_other=404 CV_own=403 CV_other=404 RQ_own=403 RQ_other=404 ANON=401",
    },
    Row {
        method: "GET",
        route: "/api/v1/clients/{client_id}/pages/templates",
        variant: "",
        expect: "PA_own=404 PA_eng=200 PA_not=404 PE_own=404 PE_eng=200 PE_not=404 CA_own=200 CA_other=404 CT_own=200 CT_other=404 CV_own=403 CV_other=404 RQ_own=403 RQ_other=404 ANON=401",
    },
    Row {
        method: "GET",
        route: "/api/v1/clients/{client_id}/pages/{page_id}",
        variant: "",
        expect: "PA_own=404 PA_eng=200 PA_not=404 PE_own=404 PE_eng=200 PE_not=404 CA_own=200 CA_other=404 CT_own=200 CT_other=404 CV_own=200 CV_other=404 RQ_own=200 RQ_other=404 ANON=401",
    },
    Row {
        method: "PATCH",
        route: "/api/v1/clients/{client_id}/pages/{page_id}",
        variant: "",
        expect: "PA_own=404 PA_eng=200 PA_not=404 PE_own=404 PE_eng=200 PE_not=404 CA_own=200 CA_other=404 CT_own=200 CT_other=404 CV_own=403 CV_other=404 RQ_own=403 RQ_other=404 ANON=401",
    },
    Row {
        method: "DELETE",
        route: "/api/v1/clients/{client_id}/pages/{page_id}",
        variant: "",
        expect: "PA_own=404 PA_eng=204 PA_not=404 PE_own=404 PE_eng=204 PE_not=404 CA_own=204 CA_other=404 CT_own=204 CT_other=404 CV_own=403 CV_other=404 RQ_own=403 RQ_other=404 ANON=401",
    },
    Row {
        method: "GET",
        route: "/api/v1/clients/{client_id}/pages/{page_id}/revisions",
        variant: "",
        expect: "PA_own=404 PA_eng=200 PA_not=404 PE_own=404 PE_eng=200 PE_not=404 CA_own=200 CA_other=404 CT_own=200 CT_other=404 CV_own=200 CV_other=404 RQ_own=404 RQ_other=404 ANON=401",
    },
    Row {
        method: "GET",
        route: "/api/v1/clients/{client_id}/pages/{page_id}/revisions/{number}",
        variant: "",
        expect: "PA_own=404 PA_eng=200 PA_not=404 PE_own=404 PE_eng=200 PE_not=404 CA_own=200 CA_other=404 CT_own=200 CT_other=404 CV_own=200 CV_other=404 RQ_own=404 RQ_other=404 ANON=401",
    },
    Row {
        method: "GET",
        route: "/api/v1/clients/{client_id}/pages/{page_id}/diff",
        variant: "",
        expect: "PA_own=404 PA_eng=200 PA_not=404 PE_own=404 PE_eng=200 PE_not=404 CA_own=200 CA_other=404 CT_own=200 CT_other=404 CV_own=200 CV_other=404 RQ_own=404 RQ_other=404 ANON=401",
    },
    Row {
        method: "POST",
        route: "/api/v1/clients/{client_id}/pages/{page_id}/revisions/{number}/restore",
        variant: "",
        expect: "PA_own=404 PA_eng=200 PA_not=404 PE_own=404 PE_eng=200 PE_not=404 CA_own=200 CA_other=404 CT_own=200 CT_other=404 CV_own=403 CV_other=404 RQ_own=403 RQ_other=404 ANON=401",
    },
    // Asset records (the device inventory grown up): both IT teams read
    // and write them, the viewer reads, requesters may not learn of them;
    // custom fields and reminder rules are either side's admin's. The
    // relation removed is one that does not exist (404 to those who may
    // remove one, 403 to the viewer); the PEM sent is no certificate (422
    // to those who may add one).
    Row {
        method: "GET",
        route: "/api/v1/clients/{client_id}/assets",
        variant: "",
        expect: "PA_own=404 PA_eng=200 PA_not=404 PE_own=404 PE_eng=200 PE_not=404 CA_own=200 CA_other=404 CT_own=200 CT_other=404 CV_own=200 CV_other=404 RQ_own=404 RQ_other=404 ANON=401",
    },
    Row {
        method: "POST",
        route: "/api/v1/clients/{client_id}/assets",
        variant: "",
        expect: "PA_own=404 PA_eng=201 PA_not=404 PE_own=404 PE_eng=201 PE_not=404 CA_own=201 CA_other=404 CT_own=201 CT_other=404 CV_own=403 CV_other=404 RQ_own=404 RQ_other=404 ANON=401",
    },
    Row {
        method: "GET",
        route: "/api/v1/clients/{client_id}/assets/{asset_id}",
        variant: "",
        expect: "PA_own=404 PA_eng=200 PA_not=404 PE_own=404 PE_eng=200 PE_not=404 CA_own=200 CA_other=404 CT_own=200 CT_other=404 CV_own=200 CV_other=404 RQ_own=404 RQ_other=404 ANON=401",
    },
    Row {
        method: "PATCH",
        route: "/api/v1/clients/{client_id}/assets/{asset_id}",
        variant: "",
        expect: "PA_own=404 PA_eng=200 PA_not=404 PE_own=404 PE_eng=200 PE_not=404 CA_own=200 CA_other=404 CT_own=200 CT_other=404 CV_own=403 CV_other=404 RQ_own=404 RQ_other=404 ANON=401",
    },
    Row {
        method: "POST",
        route: "/api/v1/clients/{client_id}/assets/{asset_id}/links",
        variant: "",
        expect: "PA_own=404 PA_eng=201 PA_not=404 PE_own=404 PE_eng=201 PE_not=404 CA_own=201 CA_other=404 CT_own=201 CT_other=404 CV_own=403 CV_other=404 RQ_own=404 RQ_other=404 ANON=401",
    },
    Row {
        method: "DELETE",
        route: "/api/v1/clients/{client_id}/assets/{asset_id}/links/{link_id}",
        variant: "",
        expect: "PA_own=404 PA_eng=404 PA_not=404 PE_own=404 PE_eng=404 PE_not=404 CA_own=404 CA_other=404 CT_own=404 CT_other=404 CV_own=403 CV_other=404 RQ_own=404 RQ_other=404 ANON=401",
    },
    Row {
        method: "POST",
        route: "/api/v1/clients/{client_id}/assets/certificates",
        variant: "",
        expect: "PA_own=404 PA_eng=422 PA_not=404 PE_own=404 PE_eng=422 PE_not=404 CA_own=422 CA_other=404 CT_own=422 CT_other=404 CV_own=403 CV_other=404 RQ_own=404 RQ_other=404 ANON=401",
    },
    Row {
        method: "POST",
        route: "/api/v1/clients/{client_id}/assets/import",
        variant: "",
        expect: "PA_own=404 PA_eng=200 PA_not=404 PE_own=404 PE_eng=200 PE_not=404 CA_own=200 CA_other=404 CT_own=200 CT_other=404 CV_own=403 CV_other=404 RQ_own=404 RQ_other=404 ANON=401",
    },
    Row {
        method: "GET",
        route: "/api/v1/clients/{client_id}/assets/export",
        variant: "",
        expect: "PA_own=404 PA_eng=200 PA_not=404 PE_own=404 PE_eng=200 PE_not=404 CA_own=200 CA_other=404 CT_own=200 CT_other=404 CV_own=200 CV_other=404 RQ_own=404 RQ_other=404 ANON=401",
    },
    Row {
        method: "GET",
        route: "/api/v1/clients/{client_id}/assets/expiring",
        variant: "",
        expect: "PA_own=404 PA_eng=200 PA_not=404 PE_own=404 PE_eng=200 PE_not=404 CA_own=200 CA_other=404 CT_own=200 CT_other=404 CV_own=200 CV_other=404 RQ_own=404 RQ_other=404 ANON=401",
    },
    Row {
        method: "GET",
        route: "/api/v1/clients/{client_id}/asset-fields",
        variant: "",
        expect: "PA_own=404 PA_eng=200 PA_not=404 PE_own=404 PE_eng=200 PE_not=404 CA_own=200 CA_other=404 CT_own=200 CT_other=404 CV_own=200 CV_other=404 RQ_own=404 RQ_other=404 ANON=401",
    },
    Row {
        method: "POST",
        route: "/api/v1/clients/{client_id}/asset-fields",
        variant: "",
        expect: "PA_own=404 PA_eng=201 PA_not=404 PE_own=404 PE_eng=403 PE_not=404 CA_own=201 CA_other=404 CT_own=403 CT_other=404 CV_own=403 CV_other=404 RQ_own=404 RQ_other=404 ANON=401",
    },
    Row {
        method: "GET",
        route: "/api/v1/clients/{client_id}/asset-reminders",
        variant: "",
        expect: "PA_own=404 PA_eng=200 PA_not=404 PE_own=404 PE_eng=200 PE_not=404 CA_own=200 CA_other=404 CT_own=200 CT_other=404 CV_own=200 CV_other=404 RQ_own=404 RQ_other=404 ANON=401",
    },
    Row {
        method: "PUT",
        route: "/api/v1/clients/{client_id}/asset-reminders/{kind}",
        variant: "",
        expect: "PA_own=404 PA_eng=200 PA_not=404 PE_own=404 PE_eng=403 PE_not=404 CA_own=200 CA_other=404 CT_own=403 CT_other=404 CV_own=403 CV_other=404 RQ_own=404 RQ_other=404 ANON=401",
    },
    // Alert intake: IT staff of both sides read a client's sources and
    // firing alerts; either side's admin creates and revokes sources;
    // requesters may not learn of them. The provider has none of its own.
    Row {
        method: "GET",
        route: "/api/v1/clients/{client_id}/alert-sources",
        variant: "",
        expect: "PA_own=404 PA_eng=200 PA_not=404 PE_own=404 PE_eng=200 PE_not=404 CA_own=200 CA_other=404 CT_own=200 CT_other=404 CV_own=200 CV_other=404 RQ_own=404 RQ_other=404 ANON=401",
    },
    Row {
        method: "POST",
        route: "/api/v1/clients/{client_id}/alert-sources",
        variant: "",
        expect: "PA_own=404 PA_eng=201 PA_not=404 PE_own=404 PE_eng=403 PE_not=404 CA_own=201 CA_other=404 CT_own=403 CT_other=404 CV_own=403 CV_other=404 RQ_own=404 RQ_other=404 ANON=401",
    },
    Row {
        method: "DELETE",
        route: "/api/v1/clients/{client_id}/alert-sources/{source_id}",
        variant: "",
        expect: "PA_own=404 PA_eng=204 PA_not=404 PE_own=404 PE_eng=403 PE_not=404 CA_own=204 CA_other=404 CT_own=403 CT_other=404 CV_own=403 CV_other=404 RQ_own=404 RQ_other=404 ANON=401",
    },
    Row {
        method: "GET",
        route: "/api/v1/clients/{client_id}/alerts",
        variant: "",
        expect: "PA_own=404 PA_eng=200 PA_not=404 PE_own=404 PE_eng=200 PE_not=404 CA_own=200 CA_other=404 CT_own=200 CT_other=404 CV_own=200 CV_other=404 RQ_own=404 RQ_other=404 ANON=401",
    },
    // Maintenance windows: read like alerts, made and deleted by either
    // side's admin, like sources.
    Row {
        method: "GET",
        route: "/api/v1/clients/{client_id}/maintenance-windows",
        variant: "",
        expect: "PA_own=404 PA_eng=200 PA_not=404 PE_own=404 PE_eng=200 PE_not=404 CA_own=200 CA_other=404 CT_own=200 CT_other=404 CV_own=200 CV_other=404 RQ_own=404 RQ_other=404 ANON=401",
    },
    Row {
        method: "POST",
        route: "/api/v1/clients/{client_id}/maintenance-windows",
        variant: "",
        expect: "PA_own=404 PA_eng=201 PA_not=404 PE_own=404 PE_eng=403 PE_not=404 CA_own=201 CA_other=404 CT_own=403 CT_other=404 CV_own=403 CV_other=404 RQ_own=404 RQ_other=404 ANON=401",
    },
    Row {
        method: "DELETE",
        route: "/api/v1/clients/{client_id}/maintenance-windows/{window_id}",
        variant: "",
        expect: "PA_own=404 PA_eng=204 PA_not=404 PE_own=404 PE_eng=403 PE_not=404 CA_own=204 CA_other=404 CT_own=403 CT_other=404 CV_own=403 CV_other=404 RQ_own=404 RQ_other=404 ANON=401",
    },
    // Outgoing webhooks: IT staff of both sides see which endpoints
    // exist; each side's admin creates, revokes, tests and reads the log
    // of its own side's endpoints only (the fixture's is the client's).
    Row {
        method: "GET",
        route: "/api/v1/clients/{client_id}/webhooks",
        variant: "",
        expect: "PA_own=404 PA_eng=200 PA_not=404 PE_own=404 PE_eng=200 PE_not=404 CA_own=200 CA_other=404 CT_own=200 CT_other=404 CV_own=200 CV_other=404 RQ_own=404 RQ_other=404 ANON=401",
    },
    Row {
        method: "POST",
        route: "/api/v1/clients/{client_id}/webhooks",
        variant: "",
        expect: "PA_own=404 PA_eng=201 PA_not=404 PE_own=404 PE_eng=403 PE_not=404 CA_own=201 CA_other=404 CT_own=403 CT_other=404 CV_own=403 CV_other=404 RQ_own=404 RQ_other=404 ANON=401",
    },
    Row {
        method: "DELETE",
        route: "/api/v1/clients/{client_id}/webhooks/{webhook_id}",
        variant: "",
        expect: "PA_own=404 PA_eng=403 PA_not=404 PE_own=404 PE_eng=403 PE_not=404 CA_own=204 CA_other=404 CT_own=403 CT_other=404 CV_own=403 CV_other=404 RQ_own=404 RQ_other=404 ANON=401",
    },
    Row {
        method: "GET",
        route: "/api/v1/clients/{client_id}/webhooks/{webhook_id}/deliveries",
        variant: "",
        expect: "PA_own=404 PA_eng=403 PA_not=404 PE_own=404 PE_eng=403 PE_not=404 CA_own=200 CA_other=404 CT_own=403 CT_other=404 CV_own=403 CV_other=404 RQ_own=404 RQ_other=404 ANON=401",
    },
    Row {
        method: "POST",
        route: "/api/v1/clients/{client_id}/webhooks/{webhook_id}/test",
        variant: "",
        expect: "PA_own=404 PA_eng=403 PA_not=404 PE_own=404 PE_eng=403 PE_not=404 CA_own=202 CA_other=404 CT_own=403 CT_other=404 CV_own=403 CV_other=404 RQ_own=404 RQ_other=404 ANON=401",
    },
    // A client's overview: IT staff of both sides, viewers included;
    // requesters may not learn of it.
    Row {
        method: "GET",
        route: "/api/v1/clients/{client_id}/overview",
        variant: "",
        expect: "PA_own=404 PA_eng=200 PA_not=404 PE_own=404 PE_eng=200 PE_not=404 CA_own=200 CA_other=404 CT_own=200 CT_other=404 CV_own=200 CV_other=404 RQ_own=404 RQ_other=404 ANON=401",
    },
    // Who is on duty: IT staff of both sides read both rotas; each side's
    // admin changes its own side's alone; requesters may not learn of them.
    Row {
        method: "GET",
        route: "/api/v1/clients/{client_id}/duty",
        variant: "",
        expect: "PA_own=404 PA_eng=200 PA_not=404 PE_own=404 PE_eng=200 PE_not=404 CA_own=200 CA_other=404 CT_own=200 CT_other=404 CV_own=200 CV_other=404 RQ_own=404 RQ_other=404 ANON=401",
    },
    Row {
        method: "GET",
        route: "/api/v1/clients/{client_id}/duty/at",
        variant: "",
        expect: "PA_own=404 PA_eng=200 PA_not=404 PE_own=404 PE_eng=200 PE_not=404 CA_own=200 CA_other=404 CT_own=200 CT_other=404 CV_own=200 CV_other=404 RQ_own=404 RQ_other=404 ANON=401",
    },
    Row {
        method: "PUT",
        route: "/api/v1/clients/{client_id}/duty/{side}/rota",
        variant: "provider",
        expect: "PA_own=404 PA_eng=200 PA_not=404 PE_own=404 PE_eng=403 PE_not=404 CA_own=403 CA_other=404 CT_own=403 CT_other=404 CV_own=403 CV_other=404 RQ_own=404 RQ_other=404 ANON=401",
    },
    Row {
        method: "PUT",
        route: "/api/v1/clients/{client_id}/duty/{side}/rota",
        variant: "in_house",
        expect: "PA_own=404 PA_eng=403 PA_not=404 PE_own=404 PE_eng=403 PE_not=404 CA_own=200 CA_other=404 CT_own=403 CT_other=404 CV_own=403 CV_other=404 RQ_own=404 RQ_other=404 ANON=401",
    },
    Row {
        method: "POST",
        route: "/api/v1/clients/{client_id}/duty/{side}/overrides",
        variant: "provider",
        expect: "PA_own=404 PA_eng=201 PA_not=404 PE_own=404 PE_eng=403 PE_not=404 CA_own=403 CA_other=404 CT_own=403 CT_other=404 CV_own=403 CV_other=404 RQ_own=404 RQ_other=404 ANON=401",
    },
    Row {
        method: "POST",
        route: "/api/v1/clients/{client_id}/duty/{side}/overrides",
        variant: "in_house",
        expect: "PA_own=404 PA_eng=403 PA_not=404 PE_own=404 PE_eng=403 PE_not=404 CA_own=201 CA_other=404 CT_own=403 CT_other=404 CV_own=403 CV_other=404 RQ_own=404 RQ_other=404 ANON=401",
    },
    Row {
        method: "DELETE",
        route: "/api/v1/clients/{client_id}/duty/{side}/overrides/{override_id}",
        variant: "in_house",
        expect: "PA_own=404 PA_eng=403 PA_not=404 PE_own=404 PE_eng=403 PE_not=404 CA_own=204 CA_other=404 CT_own=403 CT_other=404 CV_own=403 CV_other=404 RQ_own=404 RQ_other=404 ANON=401",
    },
    // The credential vault: IT staff of both sides keep and reveal the
    // client's credentials (the reveal carries the caller's password as
    // its fresh proof); the viewer lists without revealing; the reveal log
    // and the departures are each side's admin's; requesters and the
    // provider's own organization have none. The departure is a missing
    // one: those allowed learn it is not there, the others are refused first.
    Row {
        method: "GET",
        route: "/api/v1/clients/{client_id}/secrets",
        variant: "",
        expect: "PA_own=404 PA_eng=200 PA_not=404 PE_own=404 PE_eng=200 PE_not=404 CA_own=200 CA_other=404 CT_own=200 CT_other=404 CV_own=200 CV_other=404 RQ_own=404 RQ_other=404 ANON=401",
    },
    Row {
        method: "POST",
        route: "/api/v1/clients/{client_id}/secrets",
        variant: "",
        expect: "PA_own=404 PA_eng=201 PA_not=404 PE_own=404 PE_eng=201 PE_not=404 CA_own=201 CA_other=404 CT_own=201 CT_other=404 CV_own=403 CV_other=404 RQ_own=404 RQ_other=404 ANON=401",
    },
    Row {
        method: "GET",
        route: "/api/v1/clients/{client_id}/secrets/due",
        variant: "",
        expect: "PA_own=404 PA_eng=200 PA_not=404 PE_own=404 PE_eng=200 PE_not=404 CA_own=200 CA_other=404 CT_own=200 CT_other=404 CV_own=200 CV_other=404 RQ_own=404 RQ_other=404 ANON=401",
    },
    Row {
        method: "GET",
        route: "/api/v1/clients/{client_id}/secrets/{secret_id}",
        variant: "",
        expect: "PA_own=404 PA_eng=200 PA_not=404 PE_own=404 PE_eng=200 PE_not=404 CA_own=200 CA_other=404 CT_own=200 CT_other=404 CV_own=200 CV_other=404 RQ_own=404 RQ_other=404 ANON=401",
    },
    Row {
        method: "PATCH",
        route: "/api/v1/clients/{client_id}/secrets/{secret_id}",
        variant: "",
        expect: "PA_own=404 PA_eng=200 PA_not=404 PE_own=404 PE_eng=200 PE_not=404 CA_own=200 CA_other=404 CT_own=200 CT_other=404 CV_own=403 CV_other=404 RQ_own=404 RQ_other=404 ANON=401",
    },
    Row {
        method: "DELETE",
        route: "/api/v1/clients/{client_id}/secrets/{secret_id}",
        variant: "",
        expect: "PA_own=404 PA_eng=204 PA_not=404 PE_own=404 PE_eng=204 PE_not=404 CA_own=204 CA_other=404 CT_own=204 CT_other=404 CV_own=403 CV_other=404 RQ_own=404 RQ_other=404 ANON=401",
    },
    Row {
        method: "POST",
        route: "/api/v1/clients/{client_id}/secrets/{secret_id}/reveal",
        variant: "",
        expect: "PA_own=404 PA_eng=200 PA_not=404 PE_own=404 PE_eng=200 PE_not=404 CA_own=200 CA_other=404 CT_own=200 CT_other=404 CV_own=403 CV_other=404 RQ_own=404 RQ_other=404 ANON=401",
    },
    Row {
        method: "GET",
        route: "/api/v1/clients/{client_id}/secret-reveals",
        variant: "",
        expect: "PA_own=404 PA_eng=200 PA_not=404 PE_own=404 PE_eng=403 PE_not=404 CA_own=200 CA_other=404 CT_own=403 CT_other=404 CV_own=403 CV_other=404 RQ_own=404 RQ_other=404 ANON=401",
    },
    Row {
        method: "GET",
        route: "/api/v1/clients/{client_id}/vault/departures",
        variant: "",
        expect: "PA_own=404 PA_eng=200 PA_not=404 PE_own=404 PE_eng=403 PE_not=404 CA_own=200 CA_other=404 CT_own=403 CT_other=404 CV_own=403 CV_other=404 RQ_own=404 RQ_other=404 ANON=401",
    },
    Row {
        method: "POST",
        route: "/api/v1/clients/{client_id}/vault/departures/{departure_id}/rotation-tickets",
        variant: "",
        expect: "PA_own=404 PA_eng=404 PA_not=404 PE_own=404 PE_eng=403 PE_not=404 CA_own=404 CA_other=404 CT_own=403 CT_other=404 CV_own=403 CV_other=404 RQ_own=404 RQ_other=404 ANON=401",
    },
    Row {
        method: "POST",
        route: "/api/v1/reauth",
        variant: "",
        expect: "PA_own=204 PA_eng=204 PA_not=204 PE_own=204 PE_eng=204 PE_not=204 CA_own=204 CA_other=204 CT_own=204 CT_other=204 CV_own=204 CV_other=204 RQ_own=204 RQ_other=204 ANON=401",
    },
    // Intake answers a source's key only: a person's token is no key.
    Row {
        method: "POST",
        route: "/api/v1/intake/alertmanager",
        variant: "",
        expect: "PA_own=401 PA_eng=401 PA_not=401 PE_own=401 PE_eng=401 PE_not=401 CA_own=401 CA_other=401 CT_own=401 CT_other=401 CV_own=401 CV_other=401 RQ_own=401 RQ_other=401 ANON=401",
    },
    Row {
        method: "POST",
        route: "/api/v1/intake/events",
        variant: "",
        expect: "PA_own=401 PA_eng=401 PA_not=401 PE_own=401 PE_eng=401 PE_not=401 CA_own=401 CA_other=401 CT_own=401 CT_other=401 CV_own=401 CV_other=401 RQ_own=401 RQ_other=401 ANON=401",
    },
];

/// Ids the rows are filled with.
struct Fixture {
    tokens: HashMap<&'static str, String>,
    /// A person to look at or change, per target organization.
    person: HashMap<String, String>,
    /// An engagement and one of its engineers, per target organization.
    engagement: HashMap<String, (String, String)>,
    foreign_token_id: String,
    /// A ticket (id, version) per target organization, opened by the client's admin.
    ticket: HashMap<String, (String, i64)>,
    /// A public attachment on that ticket.
    attachment: HashMap<String, String>,
    /// A second ticket of the same client, to link to.
    other_ticket: HashMap<String, String>,
    /// A device (at version 1) per target organization, added by the client's admin.
    device: HashMap<String, String>,
    /// A page published to the portal (at version 1) per target
    /// organization, written by the client's admin.
    page: HashMap<String, String>,
    /// An alert source per target organization, created by the client's admin.
    alert_source: HashMap<String, String>,
    /// A maintenance window per target organization, created by the client's admin.
    maintenance_window: HashMap<String, String>,
    /// A webhook endpoint per target organization, the client admin's.
    webhook: HashMap<String, String>,
    /// A vault credential (at version 1) per target organization, the client admin's.
    secret: HashMap<String, String>,
    /// Each caller's own user id.
    me: HashMap<&'static str, String>,
    /// An in-house duty override per target organization, the client
    /// admin's (naming herself).
    duty_override: HashMap<String, String>,
    /// Agreements of the target's engagement: a draft (version 1) and a
    /// proposal (version 2), drafted by the provider's admin.
    agreement: HashMap<String, (String, String)>,
    /// January's disputed draft (version 2) and its dispute.
    disputed: HashMap<String, (String, String)>,
    /// December's draft invoice (version 1) of the target's engagement,
    /// billed on a third agreement that the client's admin accepted.
    invoice: HashMap<String, String>,
}

async fn fixture(app: &TestApp) -> Fixture {
    let mut tokens = HashMap::new();
    for c in &CASES {
        if let Some(w) = c.who.filter(|w| !tokens.contains_key(w)) {
            tokens.insert(w, app.token(w).await);
        }
    }
    let mut me = HashMap::new();
    for (who, token) in &tokens {
        let (_, m) = app.api("GET", "/api/v1/me", Some(token), None).await;
        me.insert(*who, m["user_id"].as_str().unwrap().to_owned());
    }
    let mara = tokens[MARA].clone();
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
    let mara_me: Value = app.api("GET", "/api/v1/me", Some(&mara), None).await.1;
    let (s, _) = app
        .api(
            "POST",
            &format!("/api/v1/engagements/{}/engineers", alder_engagement.0),
            Some(&mara),
            Some(json!({ "user_id": mara_me["user_id"] })),
        )
        .await;
    assert_eq!(s, 200, "assigning the provider admin");

    let mut person = HashMap::new();
    let ben = app.token(BEN).await;
    for (slug, token, want) in [
        ("alder", &tokens[PRIYA], "requester"),
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
    let (_, t) = app
        .api(
            "POST",
            "/api/v1/tokens",
            Some(&ben),
            Some(json!({ "name": "ben's own" })),
        )
        .await;
    let mut ticket = HashMap::new();
    for (slug, token) in [("alder", &tokens[PRIYA]), ("corvid", &ben)] {
        let body = json!({ "client_id": app.org(slug), "title": "Printer on 2nd floor offline", "category": "help-desk", "impact": "low", "urgency": "medium" });
        let (s, t) = app
            .api("POST", "/api/v1/tickets", Some(token), Some(body))
            .await;
        assert_eq!(s, 201, "opening the fixture ticket: {t}");
        ticket.insert(
            slug.to_owned(),
            (
                t["id"].as_str().unwrap().to_owned(),
                t["version"].as_i64().unwrap(),
            ),
        );
    }
    let mut other_ticket = HashMap::new();
    for (slug, token) in [("alder", &tokens[PRIYA]), ("corvid", &ben)] {
        let body = json!({ "client_id": app.org(slug), "title": "Second printer offline", "category": "help-desk", "impact": "low", "urgency": "low" });
        let (s, t) = app
            .api("POST", "/api/v1/tickets", Some(token), Some(body))
            .await;
        assert_eq!(s, 201, "opening the second fixture ticket: {t}");
        other_ticket.insert(slug.to_owned(), t["id"].as_str().unwrap().to_owned());
    }
    let corvid = other_ticket["corvid"].clone();
    other_ticket.insert("harborlane".into(), corvid);
    let mut attachment = HashMap::new();
    for (slug, token) in [("alder", &tokens[PRIYA]), ("corvid", &ben)] {
        let path = format!(
            "/api/v1/tickets/{}/attachments?filename=notes.txt",
            ticket[slug].0
        );
        let (s, a) = app
            .api(
                "POST",
                &path,
                Some(token),
                Some(json!("the printer's error log")),
            )
            .await;
        assert_eq!(s, 201, "attaching the fixture file: {a}");
        attachment.insert(slug.to_owned(), a["id"].as_str().unwrap().to_owned());
    }
    // The provider has no tickets of its own: its rows aim at a client it is not engaged with.
    let corvid = ticket["corvid"].clone();
    ticket.insert("harborlane".into(), corvid);
    let corvid = attachment["corvid"].clone();
    attachment.insert("harborlane".into(), corvid);
    let mut device = HashMap::new();
    for (slug, token) in [("alder", &tokens[PRIYA]), ("corvid", &ben)] {
        let (s, d) = app
            .api(
                "POST",
                &format!("/api/v1/clients/{}/devices", app.org(slug)),
                Some(token),
                Some(json!({ "name": "Front desk PC", "class": "workstation" })),
            )
            .await;
        assert_eq!(s, 201, "adding the fixture device: {d}");
        device.insert(slug.to_owned(), d["id"].as_str().unwrap().to_owned());
    }
    let corvid = device["corvid"].clone();
    device.insert("harborlane".into(), corvid);
    let mut page = HashMap::new();
    for (slug, token) in [("alder", &tokens[PRIYA]), ("corvid", &ben)] {
        let (s, d) = app
            .api(
                "POST",
                &format!("/api/v1/clients/{}/pages", app.org(slug)),
                Some(token),
                Some(json!({ "title": "Printing from home", "body": "Use the VPN first.", "published": true })),
            )
            .await;
        assert_eq!(s, 201, "writing the fixture page: {d}");
        page.insert(slug.to_owned(), d["id"].as_str().unwrap().to_owned());
    }
    let corvid = page["corvid"].clone();
    page.insert("harborlane".into(), corvid);
    let mut alert_source = HashMap::new();
    for (slug, token) in [("alder", &tokens[PRIYA]), ("corvid", &ben)] {
        let (s, b) = app
            .api(
                "POST",
                &format!("/api/v1/clients/{}/alert-sources", app.org(slug)),
                Some(token),
                Some(json!({ "name": "Prometheus", "kind": "alertmanager", "default_category": "network" })),
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
    for (slug, token) in [("alder", &tokens[PRIYA]), ("corvid", &ben)] {
        let (s, b) = app
            .api(
                "POST",
                &format!("/api/v1/clients/{}/maintenance-windows", app.org(slug)),
                Some(token),
                Some(json!({ "reason": "Patch night", "kind": "weekly", "weekdays": ["sun"], "start_time": "02:00", "duration_minutes": 120 })),
            )
            .await;
        assert_eq!(s, 201, "creating the fixture maintenance window: {b}");
        maintenance_window.insert(slug.to_owned(), b["id"].as_str().unwrap().to_owned());
    }
    let corvid = maintenance_window["corvid"].clone();
    maintenance_window.insert("harborlane".into(), corvid);
    let mut webhook = HashMap::new();
    for (slug, token) in [("alder", &tokens[PRIYA]), ("corvid", &ben)] {
        let (s, b) = app
            .api(
                "POST",
                &format!("/api/v1/clients/{}/webhooks", app.org(slug)),
                Some(token),
                Some(json!({ "name": "Pager", "url": "https://hooks.example.com/tandem", "events": ["opened"] })),
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
    for (slug, token) in [("alder", &tokens[PRIYA]), ("corvid", &ben)] {
        let (s, b) = app
            .api(
                "POST",
                &format!("/api/v1/clients/{}/secrets", app.org(slug)),
                Some(token),
                Some(json!({ "name": "Firewall admin", "username": "admin", "secret": "fixture-secret-1" })),
            )
            .await;
        assert_eq!(s, 201, "creating the fixture secret: {b}");
        secret.insert(slug.to_owned(), b["id"].as_str().unwrap().to_owned());
    }
    let corvid = secret["corvid"].clone();
    secret.insert("harborlane".into(), corvid);
    let mut duty_override = HashMap::new();
    for (slug, token, who) in [("alder", &tokens[PRIYA], PRIYA), ("corvid", &ben, BEN)] {
        let me_id = match me.get(who) {
            Some(id) => id.clone(),
            None => app.api("GET", "/api/v1/me", Some(token), None).await.1["user_id"]
                .as_str()
                .unwrap()
                .to_owned(),
        };
        let (s, b) = app
            .api(
                "POST",
                &format!("/api/v1/clients/{}/duty/in_house/overrides", app.org(slug)),
                Some(token),
                Some(json!({ "starts_at": "2026-12-24T00:00:00Z", "ends_at": "2026-12-27T00:00:00Z", "person_id": me_id })),
            )
            .await;
        assert_eq!(s, 201, "creating the fixture duty override: {b}");
        duty_override.insert(slug.to_owned(), b["id"].as_str().unwrap().to_owned());
    }
    let corvid = duty_override["corvid"].clone();
    duty_override.insert("harborlane".into(), corvid);
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
        tokens,
        person,
        engagement,
        foreign_token_id: t["token"]["id"].as_str().unwrap().to_owned(),
        ticket,
        attachment,
        other_ticket,
        device,
        page,
        alert_source,
        maintenance_window,
        webhook,
        secret,
        me,
        duty_override,
    }
}

fn fill(app: &TestApp, fx: &Fixture, row: &Row, case: &Case, n: usize) -> (String, Option<Value>) {
    let org = app.org(case.target);
    let (eng, engineer) = fx.engagement[case.target].clone();
    // The "self" variant aims at the caller; anonymous callers have no self.
    let caller = case.who.map_or("", |w| fx.me[w].as_str());
    let person = match row.variant {
        "self" => caller,
        _ if row.route.contains("engineers") => &engineer,
        _ => &fx.person[case.target],
    };
    let path = row
        .route
        .replace("{org_id}", &org)
        .replace(
            "{user_id}",
            if person.is_empty() {
                "0191f7a2-8c3e-7d4b-9a10-2b3c4d5e6f70"
            } else {
                person
            },
        )
        .replace("{engagement_id}", &eng)
        .replace("{token_id}", &fx.foreign_token_id)
        .replace("{client_id}", &org)
        .replace("{ticket_id}", &fx.ticket[case.target].0)
        .replace("{category}", "network")
        .replace("{priority}", "p2")
        .replace("{device_id}", &fx.device[case.target])
        // An asset is the device it grew from: the same id.
        .replace("{asset_id}", &fx.device[case.target])
        .replace("{link_id}", "0191f7a2-8c3e-7d4b-9a10-2b3c4d5e6f70")
        .replace("{kind}", "certificate")
        .replace("{page_id}", &fx.page[case.target])
        .replace("{number}", "1")
        .replace("{source_id}", &fx.alert_source[case.target])
        .replace("{window_id}", &fx.maintenance_window[case.target])
        .replace("{webhook_id}", &fx.webhook[case.target])
        .replace("{secret_id}", &fx.secret[case.target])
        .replace("{departure_id}", "0191f7a2-8c3e-7d4b-9a10-2b3c4d5e6f71")
        .replace("{side}", row.variant)
        .replace("{override_id}", &fx.duty_override[case.target]);
    let path = if row.route.ends_with("/pages/{page_id}/diff") {
        format!("{path}?from=1&to=1")
    } else {
        path
    };
    let path = if row.route.ends_with("/duty/at") {
        format!("{path}?time=2026-12-24T22:00:00Z")
    } else {
        path
    };
    let path = path.replace("{attachment_id}", &fx.attachment[case.target]);
    let path = if row.route.contains("{dispute_id}") {
        let (invoice, dispute) = &fx.disputed[case.target];
        path.replace("{invoice_id}", invoice)
            .replace("{dispute_id}", dispute)
    } else {
        path.replace("{invoice_id}", &fx.invoice[case.target])
            .replace("{position}", "0")
    };
    let path = if row.route == "/api/v1/invoices/export" {
        format!("{path}?period=2026-12")
    } else {
        path
    };
    let (draft, proposal) = &fx.agreement[case.target];
    // Accepting and rejecting need a proposal; everything else a draft.
    let path = path.replace(
        "{agreement_id}",
        if row.route.ends_with("/accept") || row.route.ends_with("/reject") {
            proposal
        } else {
            draft
        },
    );
    let path = if row.route.ends_with("/attachments") && row.method == "POST" {
        format!("{path}?filename=screenshot.png")
    } else {
        path
    };
    let path = if row.route.ends_with("/time") && row.route.contains("{client_id}") {
        format!("{path}?month=2026-11")
    } else {
        path
    };
    let path = if row.route.ends_with("/sla/preview") {
        format!("{path}?priority=p2&opened_at=2026-12-24T16:30:00Z")
    } else {
        path
    };
    let client_target = case.target != "harborlane";
    let body = match (row.method, row.route, row.variant) {
        ("POST", "/api/v1/orgs/{org_id}/users", v) => {
            let role = match (v, client_target) {
                ("requester", _) => "requester",
                (_, true) => "client_technician",
                (_, false) => "provider_engineer",
            };
            Some(
                json!({ "email": format!("new{n}@example.org"), "name": "New Person", "role": role, "password": "a long enough password" }),
            )
        }
        ("PUT", "/api/v1/me/time-zone", _) => Some(json!({ "time_zone": "Europe/Paris" })),
        ("POST", "/api/v1/tickets/{ticket_id}/time", _) => {
            Some(json!({ "minutes": 30, "note": "from the table" }))
        }
        ("POST", "/api/v1/engagements/{engagement_id}/agreements", _)
        | ("PUT", "/api/v1/agreements/{agreement_id}", _) => Some(retainer_terms("2026-12-01")),
        ("POST", "/api/v1/invoices/run", _) => Some(json!({ "period": "2026-12" })),
        ("POST", "/api/v1/agreements/{agreement_id}/blocks", _) => Some(
            json!({ "purchased_on": "2026-12-05", "minutes": 600, "price": 100_000, "expires_on": "2027-03-31" }),
        ),
        ("POST", "/api/v1/invoices/{invoice_id}/disputes", _) => {
            Some(json!({ "line": 0, "reason": "Not what we agreed" }))
        }
        ("POST", "/api/v1/invoices/{invoice_id}/disputes/{dispute_id}/answer", _) => {
            Some(json!({ "answer": "It is what the agreement says" }))
        }
        ("POST", "/api/v1/invoices/{invoice_id}/void", _) => {
            Some(json!({ "reason": "Raised in error" }))
        }
        ("POST", "/api/v1/invoices/{invoice_id}/lines", _) => Some(
            json!({ "description": "Goodwill credit", "amount": -10_000, "reason": "The outage" }),
        ),
        ("PATCH", "/api/v1/invoices/{invoice_id}/lines/{position}", _) => {
            Some(json!({ "amount": 450_000, "reason": "Agreed on the phone" }))
        }
        ("DELETE", "/api/v1/invoices/{invoice_id}/lines/{position}", _) => {
            Some(json!({ "reason": "Billed yearly" }))
        }
        ("POST", "/api/v1/agreements/{agreement_id}/reject", _) => {
            Some(json!({ "reason": "The retainer is too high" }))
        }
        ("PUT", "/api/v1/orgs/{org_id}/settings", _) => {
            Some(json!({ "require_totp": true, "time_zone": "Asia/Kolkata" }))
        }
        ("PATCH", "/api/v1/users/{user_id}", _) => Some(json!({ "name": "Renamed Person" })),
        ("POST", "/api/v1/engagements", _) => Some(json!({
            "client_name": "Newco", "client_slug": format!("newco{n}"), "admin_name": "Nia Admin",
            "admin_email": format!("admin{n}@newco.example"), "admin_password": "a long enough password" })),
        ("POST", "/api/v1/engagements/restart", _) => Some(json!({ "client_id": org })),
        ("POST", "/api/v1/engagements/{engagement_id}/engineers", _) => {
            Some(json!({ "user_id": fx.person["harborlane"] }))
        }
        ("POST", "/api/v1/tokens", _) => Some(json!({ "name": "table" })),
        ("POST", "/api/v1/tickets", _) => Some(
            json!({ "client_id": org, "title": "VPN drops every hour", "category": "network", "impact": "medium", "urgency": "high" }),
        ),
        ("PATCH", "/api/v1/tickets/{ticket_id}", _) => Some(json!({ "status": "in_progress" })),
        ("POST", "/api/v1/tickets/{ticket_id}/handoff", _) => {
            Some(json!({ "reason": "needs the firewall vendor" }))
        }
        ("POST", "/api/v1/tickets/{ticket_id}/comments", _) => {
            Some(json!({ "body": "Looking into it", "visibility": "public" }))
        }
        ("POST", "/api/v1/tickets/{ticket_id}/attachments", _) => Some(json!("a screenshot")),
        ("POST", "/api/v1/tickets/{ticket_id}/watchers", "self") => Some(
            json!({ "user_id": if caller.is_empty() { "0191f7a2-8c3e-7d4b-9a10-2b3c4d5e6f70" } else { caller } }),
        ),
        ("POST", "/api/v1/tickets/{ticket_id}/watchers", _) => {
            Some(json!({ "user_id": fx.person[case.target] }))
        }
        ("POST", "/api/v1/tickets/{ticket_id}/links", _) => {
            Some(json!({ "ticket_id": fx.other_ticket[case.target] }))
        }
        ("PUT", "/api/v1/clients/{client_id}/split/{category}", _) => Some(
            json!({ "business_hours": "provider", "after_hours": "provider", "provider_assignee": null, "in_house_assignee": null, "in_scope": true }),
        ),
        ("POST", "/api/v1/clients/{client_id}/categories", _) => {
            Some(json!({ "key": format!("cad{n}"), "name": "CAD workstations" }))
        }
        ("PUT", "/api/v1/clients/{client_id}/calendar", _) => Some(
            json!({ "time_zone": "Europe/London", "windows": [{ "day": "mon", "start": "08:00", "end": "18:00" }], "holidays": ["2026-12-25"], "yearly_holidays": ["01-01"] }),
        ),
        ("PUT", "/api/v1/clients/{client_id}/sla/{priority}", _) => Some(
            json!({ "response_minutes": 30, "resolution_minutes": 300, "around_the_clock": false, "pause_statuses": ["waiting_on_customer"], "warn_percent": 80 }),
        ),
        ("POST", "/api/v1/quote", _) => {
            Some(serde_json::from_str(include_str!("../../../docs/quote-example.json")).unwrap())
        }
        ("PUT", "/api/v1/clients/{client_id}/priority-matrix", _) => {
            Some(json!({ "grid": [["p1", "p1", "p2"], ["p2", "p3", "p3"], ["p3", "p4", "p4"]] }))
        }
        ("POST", "/api/v1/clients/{client_id}/devices", _) => {
            Some(json!({ "name": format!("Table PC {n}"), "class": "workstation" }))
        }
        ("PATCH", "/api/v1/devices/{device_id}", _) => Some(json!({ "class": "server" })),
        ("POST", "/api/v1/clients/{client_id}/assets", _) => {
            Some(json!({ "name": format!("Table asset {n}"), "asset_type": "printer" }))
        }
        ("PATCH", "/api/v1/clients/{client_id}/assets/{asset_id}", _) => {
            Some(json!({ "location": "Server room" }))
        }
        ("POST", "/api/v1/clients/{client_id}/assets/{asset_id}/links", _) => {
            Some(json!({ "target_kind": "ticket", "target_id": fx.ticket[case.target].0 }))
        }
        ("POST", "/api/v1/clients/{client_id}/assets/certificates", _) => {
            Some(json!({ "pem": "not a certificate" }))
        }
        ("POST", "/api/v1/clients/{client_id}/assets/import", _) => {
            Some(json!({ "csv": format!("name,type\nTable import {n},other\n"), "dry_run": true }))
        }
        ("POST", "/api/v1/clients/{client_id}/asset-fields", _) => {
            Some(json!({ "asset_type": "server", "name": format!("Rack {n}"), "kind": "text" }))
        }
        ("PUT", "/api/v1/clients/{client_id}/asset-reminders/{kind}", _) => {
            Some(json!({ "days_before": 14 }))
        }
        ("POST", "/api/v1/clients/{client_id}/pages", _) => Some(
            json!({ "title": format!("Table page {n}"), "template": "runbook", "tags": ["table"] }),
        ),
        ("PATCH", "/api/v1/clients/{client_id}/pages/{page_id}", _) => {
            Some(json!({ "body": "Use the VPN first, then print." }))
        }
        ("POST", "/api/v1/clients/{client_id}/secrets", _) => {
            Some(json!({ "name": format!("Table secret {n}"), "secret": "table-secret" }))
        }
        ("PATCH", "/api/v1/clients/{client_id}/secrets/{secret_id}", _) => {
            Some(json!({ "username": "root" }))
        }
        ("POST", "/api/v1/clients/{client_id}/secrets/{secret_id}/reveal", _)
        | ("POST", "/api/v1/reauth", _) => Some(json!({ "password": PASSWORD })),
        ("POST", "/api/v1/clients/{client_id}/webhooks", _) => Some(
            json!({ "name": format!("Table hook {n}"), "url": "https://hooks.example.com/table", "events": ["opened"] }),
        ),
        ("POST", "/api/v1/clients/{client_id}/maintenance-windows", _) => Some(
            json!({ "reason": format!("Table window {n}"), "kind": "weekly", "weekdays": ["sat"], "start_time": "23:00", "duration_minutes": 60 }),
        ),
        // The provider's rota names the engagement's engineer; the
        // in-house one the caller (the client's admin where allowed).
        ("PUT", "/api/v1/clients/{client_id}/duty/{side}/rota", v) => Some(json!({ "slots": [{
            "start_day": "fri", "start_time": "17:00", "end_day": "mon", "end_time": "08:00",
            "person_id": if v == "provider" || caller.is_empty() { engineer.as_str() } else { caller } }] })),
        ("POST", "/api/v1/clients/{client_id}/duty/{side}/overrides", v) => Some(json!({
            "starts_at": "2026-12-24T00:00:00Z", "ends_at": "2026-12-27T00:00:00Z",
            "person_id": if v == "provider" || caller.is_empty() { engineer.as_str() } else { caller } })),
        ("POST", "/api/v1/clients/{client_id}/alert-sources", _) => Some(
            json!({ "name": format!("Table source {n}"), "kind": "generic", "default_category": "network" }),
        ),
        // The table sends JSON, and a JSON string is no CSV header: the
        // import's 422 says the caller got as far as the file.
        ("POST", "/api/v1/clients/{client_id}/devices/import", _) => {
            Some(json!("name,class,status\nTable PC,workstation,active\n"))
        }
        _ => None,
    };
    (path, body)
}

fn expected(row: &Row) -> HashMap<&'static str, u16> {
    row.expect
        .split_whitespace()
        .map(|kv| {
            let (k, v) = kv.split_once('=').unwrap();
            (k, v.parse().unwrap())
        })
        .collect()
}

#[tokio::test]
async fn every_api_route_answers_every_role_and_relation_as_the_table_says_part_1() {
    check_part(0).await;
}

#[tokio::test]
async fn every_api_route_answers_every_role_and_relation_as_the_table_says_part_2() {
    check_part(1).await;
}

#[tokio::test]
async fn every_api_route_answers_every_role_and_relation_as_the_table_says_part_3() {
    check_part(2).await;
}

#[tokio::test]
async fn every_api_route_answers_every_role_and_relation_as_the_table_says_part_4() {
    check_part(3).await;
}

async fn check_part(part: usize) {
    // Reads, and changes the table expects to be refused, run against one
    // database: a refusal must leave it as it was (and one that does not
    // fails its own case). Each change the table expects to succeed runs
    // against its own fresh copy of the demo, so earlier rows cannot affect
    // later ones.
    let shared = TestApp::demo().await;
    let shared_fx = fixture(&shared).await;
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
        for (case_ix, case) in CASES.iter().enumerate() {
            // Numbered through the whole table, so names stay unique.
            let n = row_ix * CASES.len() + case_ix + 1;
            checked += 1;
            let changes = row.method != "GET" && (200..300).contains(&want[case.label]);
            let fresh;
            let (app, fx) = if changes {
                fresh = TestApp::demo().await;
                let fx = fixture(&fresh).await;
                (&fresh, fx)
            } else {
                (
                    &shared,
                    Fixture {
                        tokens: shared_fx.tokens.clone(),
                        person: shared_fx.person.clone(),
                        engagement: shared_fx.engagement.clone(),
                        foreign_token_id: shared_fx.foreign_token_id.clone(),
                        ticket: shared_fx.ticket.clone(),
                        attachment: shared_fx.attachment.clone(),
                        other_ticket: shared_fx.other_ticket.clone(),
                        device: shared_fx.device.clone(),
                        page: shared_fx.page.clone(),
                        alert_source: shared_fx.alert_source.clone(),
                        maintenance_window: shared_fx.maintenance_window.clone(),
                        webhook: shared_fx.webhook.clone(),
                        secret: shared_fx.secret.clone(),
                        me: shared_fx.me.clone(),
                        duty_override: shared_fx.duty_override.clone(),
                        agreement: shared_fx.agreement.clone(),
                        invoice: shared_fx.invoice.clone(),
                        disputed: shared_fx.disputed.clone(),
                    },
                )
            };
            let (path, body) = fill(app, &fx, row, case, n);
            let token = case.who.map(|w| fx.tokens[w].clone());
            let version = fx.ticket[case.target].1.to_string();
            let headers: Vec<(&str, &str)> = if row.route.starts_with("/api/v1/tickets/{ticket_id}")
            {
                vec![("if-match", version.as_str())]
            } else if row.route.starts_with("/api/v1/devices/{device_id}")
                || row.route == "/api/v1/clients/{client_id}/assets/{asset_id}"
                || (row.method != "GET" && row.route.ends_with("/secrets/{secret_id}"))
                || (row.route.contains("{page_id}") && row.method != "GET")
            {
                vec![("if-match", "1")]
            } else if row.route.ends_with("/accept")
                || row.route.ends_with("/reject")
                || row.route.ends_with("/answer")
            {
                vec![("if-match", "2")]
            } else if row.route.starts_with("/api/v1/agreements/")
                || row.route.starts_with("/api/v1/invoices/{invoice_id}/")
            {
                vec![("if-match", "1")]
            } else {
                vec![]
            };
            let (status, answer) = app
                .api_with(row.method, &path, token.as_deref(), body, &headers)
                .await;
            if changes {
                app.close().await;
            }
            let w = want[case.label];
            if status.as_u16() != w {
                failures.push(format!(
                    "{} {} [{}] as {}: got {} want {w} ({answer})",
                    row.method,
                    row.route,
                    row.variant,
                    case.label,
                    status.as_u16()
                ));
            }
            if status.as_u16() >= 400 {
                assert_eq!(
                    answer["status"],
                    status.as_u16(),
                    "errors are problem+json: {} {}",
                    row.method,
                    path
                );
                assert!(
                    !answer["detail"]
                        .as_str()
                        .unwrap_or("")
                        .to_lowercase()
                        .contains("sql"),
                    "database text leaked"
                );
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

#[tokio::test]
async fn every_route_in_the_openapi_spec_is_in_the_table() {
    let app = TestApp::demo().await;
    let (status, spec) = app.api("GET", "/api/v1/openapi.json", None, None).await;
    assert_eq!(status, 200);
    let mut in_spec = BTreeSet::new();
    for (path, item) in spec["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            if ["get", "post", "put", "patch", "delete"].contains(&method.as_str()) {
                in_spec.insert(format!("{} {path}", method.to_uppercase()));
            }
        }
    }
    let in_table: BTreeSet<String> = TABLE
        .iter()
        .map(|r| format!("{} {}", r.method, r.route))
        .collect();
    let missing: Vec<_> = in_spec.difference(&in_table).collect();
    let stale: Vec<_> = in_table.difference(&in_spec).collect();
    assert!(
        missing.is_empty(),
        "routes without a row in the authorization table: {missing:?}"
    );
    assert!(
        stale.is_empty(),
        "rows for routes that no longer exist: {stale:?}"
    );
}
