//! The one place that decides who may do what. Handlers and services ask
//! [`decide`]; nothing else compares roles.
//!
//! The answer depends on the actor's role, the action, and how the target
//! relates to the actor ([`Relation`]), which the service looks up live so
//! that an ended engagement stops access on the next request.

use crate::actor::Role;
use crate::ticket::OwnerSide;

/// What an actor wants to do.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Action {
    /// List or read the people of an organization.
    ViewUsers,
    /// Add people, change their roles, deactivate them.
    ManageUsers,
    /// Add and update end users (requesters) only: everyday help-desk work
    /// that the client's technicians and assigned provider staff share.
    ManageRequesters,
    /// See engagements and who on the provider side has access.
    ViewEngagements,
    /// Start an engagement, assign engineers to it.
    ManageEngagements,
    /// End an engagement: the provider admin, or the client admin leaving.
    EndEngagement,
    /// Read the audit log of an organization's data.
    ViewAudit,
    /// Organization settings such as requiring TOTP for staff.
    ManageOrgSettings,
    /// See the client's tickets (requesters: only their own, enforced by the store).
    ViewTickets,
    /// Open a ticket for the client.
    OpenTicket,
    /// Work tickets: status, assignment, hand-off, team notes, fields.
    WorkTickets,
    /// Write a public comment (requesters on their own tickets too).
    CommentTickets,
    /// Follow a ticket oneself (hear about its public replies). It changes
    /// what the desk stores, so read-only viewers may not.
    WatchTickets,
    /// Edit the responsibility split, the calendar, SLA policies and categories.
    ManageServiceDesk,
    /// Read the client's device inventory and its counts (IT staff of both
    /// sides, viewers included; requesters may not learn of it, see
    /// [`decide_inventory`]).
    ViewDevices,
    /// Add, change, retire and import the client's devices.
    ManageDevices,
    /// Price provider proposals for a company profile (the proposal
    /// calculator): it reads and stores nothing, so any IT staff of either
    /// side may, but not requesters. Asked with [`Relation::Own`].
    CompareProposals,
    /// See a client's alert sources, its firing alerts and their tickets
    /// (IT staff of both sides; requesters may not learn of them, see
    /// [`decide_alerts`]).
    ViewAlerts,
    /// Create and revoke a client's alert sources: either side's admin.
    ManageAlertSources,
    /// Create and delete a client's maintenance windows (alerts inside
    /// one open no ticket): either side's admin, like its sources.
    ManageMaintenanceWindows,
    /// Read a client's after-hours rotas and overrides, both sides' (the
    /// shared desk is transparent): IT staff of both sides, see
    /// [`decide_duty`].
    ViewDuty,
    /// Change one side's rota and overrides for a client: that side's
    /// admin alone, see [`decide_duty`].
    ManageDuty,
    /// Read a client's overview (stale pages, expiries, rotations due): IT
    /// staff of both sides, viewers included; requesters may not learn of
    /// it (ask through [`decide_inventory`]).
    ViewClientOverview,
}

/// What both sides see of an engagement's agreements lives in
/// [`may_read_agreement`]; these two change them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AgreementAction {
    /// Draft, edit and propose an agreement: the provider's admin (the
    /// provider prices its work).
    Propose,
    /// Accept or reject a proposed agreement: the client's admin (the
    /// client decides what it buys).
    Decide,
}

/// Whether `role` may take an agreement step. `own_provider`: the actor
/// belongs to the engagement's provider; `own_client`: to its client.
pub fn decide_agreement(
    role: Role,
    action: AgreementAction,
    own_provider: bool,
    own_client: bool,
) -> Decision {
    let party = own_provider || own_client;
    let allowed = match action {
        AgreementAction::Propose => own_provider && role == Role::ProviderAdmin,
        AgreementAction::Decide => own_client && role == Role::ClientAdmin,
    };
    match (allowed, party) {
        (true, _) => Decision::Allow,
        // Requesters may not learn that agreements exist.
        (false, true) if role != Role::Requester => Decision::Forbidden,
        (false, _) => Decision::NotFound,
    }
}

/// Whether `role` may read an engagement's agreements: the client's IT
/// staff (viewers included), the provider's admin, and the engineers
/// assigned to the client (`relation_to_client` is `Engaged` for them
/// while the engagement is active). Requesters never.
pub fn may_read_agreement(role: Role, relation_to_client: Relation, own_provider: bool) -> bool {
    match role {
        Role::Requester => false,
        Role::ProviderAdmin if own_provider => true,
        _ => matches!(relation_to_client, Relation::Own | Relation::Engaged),
    }
}

/// Whether `role` may run, issue or void invoices of a provider
/// (`own_provider`: the actor works for it): its admin alone. The client's
/// people see the invoices but do not make them (403); requesters may not
/// learn of them.
pub fn decide_billing(role: Role, own_provider: bool) -> Decision {
    match role {
        Role::ProviderAdmin if own_provider => Decision::Allow,
        Role::Requester => Decision::NotFound,
        _ => Decision::Forbidden,
    }
}

/// Whether `role` may dispute a line of a draft invoice: the client's
/// admin (`own_client`), who decides what the client pays. The rest of
/// those who read the invoice are refused (403).
pub fn decide_dispute(role: Role, own_client: bool) -> Decision {
    match role {
        Role::ClientAdmin if own_client => Decision::Allow,
        Role::Requester => Decision::NotFound,
        _ => Decision::Forbidden,
    }
}

/// Whether `role` may read an invoice: the client's IT staff (its admin,
/// technicians and leadership) and the provider's admin. Engineers work
/// the desk, not the accounts; requesters never.
pub fn may_read_invoices(role: Role, own_client: bool, own_provider: bool) -> bool {
    match role {
        Role::ProviderAdmin => own_provider,
        Role::ClientAdmin | Role::ClientTechnician | Role::ClientViewer => own_client,
        Role::ProviderEngineer | Role::Requester => false,
    }
}

/// How the target organization relates to the actor.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Relation {
    /// The actor's own organization.
    Own,
    /// A client the actor (provider staff) is assigned to through an active engagement.
    Engaged,
    /// Anything else: another client, a client of an ended engagement, another provider.
    Foreign,
}

/// The policy's answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decision {
    /// Go ahead.
    Allow,
    /// The actor can see the target but may not do this (403).
    Forbidden,
    /// The actor may not know the target exists (404, like a missing one).
    NotFound,
}

impl Decision {
    /// True when the action may go ahead.
    pub fn allowed(self) -> bool {
        self == Decision::Allow
    }
}

/// Decide whether `role` may do `action` on a target with `relation` to them.
pub fn decide(role: Role, action: Action, relation: Relation) -> Decision {
    use Action::*;
    use Relation::*;
    use Role::*;
    let allow = match (relation, action) {
        (Foreign, _) => return Decision::NotFound,
        // End users use the portal: their own tickets, nothing else.
        (Own, ViewTickets | OpenTicket | CommentTickets | WatchTickets) if role == Requester => {
            true
        }
        // Requesters see nothing of the organization beyond their own account.
        (_, _) if role == Requester => false,
        (
            Own,
            ViewUsers | ViewEngagements | ViewAudit | ViewTickets | ViewDevices | ViewAlerts
            | ViewDuty | ViewClientOverview,
        ) => true,
        // Either side's admin connects monitoring to the desk.
        (Own, ManageAlertSources | ManageMaintenanceWindows) => role == ClientAdmin,
        (Engaged, ViewAlerts | ViewDuty | ViewClientOverview) => true,
        // Each side's admin keeps its own side's rota (checked by side in
        // `decide_duty`).
        (Own, ManageDuty) => role == ClientAdmin,
        (Engaged, ManageDuty) => role == ProviderAdmin,
        (Engaged, ManageAlertSources | ManageMaintenanceWindows) => role == ProviderAdmin,
        (Own, OpenTicket | WorkTickets | CommentTickets | WatchTickets | ManageDevices) => {
            role != ClientViewer
        }
        // Both admins own the split: the in-house manager and the provider admin.
        (Own, ManageServiceDesk) => role == ClientAdmin,
        (Own, ManageUsers | ManageOrgSettings) => matches!(role, ProviderAdmin | ClientAdmin),
        (Own, ManageRequesters) => matches!(role, ProviderAdmin | ClientAdmin | ClientTechnician),
        (Own, ManageEngagements) => role == ProviderAdmin,
        // The client owns its workspace: its admin may end the engagement too.
        (Own, EndEngagement) => matches!(role, ProviderAdmin | ClientAdmin),
        // Assigned provider staff work with the client's people and read its
        // audit log, but the client's users and settings stay the client's.
        (Engaged, ViewUsers | ViewEngagements | ViewAudit | ManageRequesters) => true,
        (Engaged, ViewTickets | OpenTicket | WorkTickets | CommentTickets | WatchTickets) => true,
        (Engaged, ManageServiceDesk) => role == ProviderAdmin,
        // The inventory is everyday work of both teams.
        (Engaged, ViewDevices | ManageDevices) => true,
        // A calculation on figures the person brings: no one's data.
        (Own | Engaged, CompareProposals) => true,
        (Engaged, ManageUsers | ManageOrgSettings | ManageEngagements | EndEngagement) => false,
    };
    if allow {
        Decision::Allow
    } else {
        Decision::Forbidden
    }
}

/// Whether `role` may read one ticket of an organization with `relation`
/// to them; `own_ticket` says whether they opened it (or it was opened on
/// their behalf).
///
/// This is the general rule for every ticket-shaped object, however it is
/// reached: through its own route, or through another object (a link, a
/// watcher list, a notification, a search hit, a timeline reference, and
/// later alerts and invoices). A reader who may not read the ticket learns
/// nothing of it there either: neither its number nor its title.
pub fn may_read_ticket(role: Role, relation: Relation, own_ticket: bool) -> bool {
    decide(role, Action::ViewTickets, relation).allowed() && (role != Role::Requester || own_ticket)
}

/// Anything done to a client's device inventory. Requesters may not learn
/// that it exists, so they are answered like a stranger (not found) rather
/// than refused.
pub fn decide_inventory(role: Role, action: Action, relation: Relation) -> Decision {
    match decide(role, action, relation) {
        Decision::Forbidden if role == Role::Requester => Decision::NotFound,
        other => other,
    }
}

/// What is done to a client's asset records.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AssetAction {
    /// Read assets, their relations, custom fields and reminder settings,
    /// and export them.
    Read,
    /// Add, change, relate and import assets: everyday work of both IT teams.
    Write,
    /// Define custom fields and set reminder rules: either side's admin.
    Configure,
}

/// Whether `role` may take `action` on the asset records of a client with
/// `relation` to them. IT staff of both sides read and write (provider
/// staff while engaged), the client's viewer reads, either side's admin
/// configures; requesters may not learn that the records exist (404).
pub fn decide_assets(role: Role, action: AssetAction, relation: Relation) -> Decision {
    let (inventory, admin) = match action {
        AssetAction::Read => (Action::ViewDevices, None),
        AssetAction::Write => (Action::ManageDevices, None),
        AssetAction::Configure => (Action::ViewDevices, Some(role)),
    };
    match decide_inventory(role, inventory, relation) {
        Decision::Allow => match admin {
            Some(Role::ClientAdmin) if relation == Relation::Own => Decision::Allow,
            Some(Role::ProviderAdmin) if relation == Relation::Engaged => Decision::Allow,
            Some(_) => Decision::Forbidden,
            None => Decision::Allow,
        },
        other => other,
    }
}

/// Why the worker would resolve a ticket on a monitoring source's behalf.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MonitoringResolution {
    /// Every alert of the ticket has stayed resolved for the source's
    /// quiet period.
    QuietPeriod,
    /// The heartbeat whose absence opened the ticket is back.
    HeartbeatBack,
}

/// Whether the worker may resolve a ticket as a monitoring source's own
/// account (a requester that otherwise only opens tickets): only a ticket
/// that account opened itself. After a quiet period, only while no person
/// has taken the ticket up: then it is theirs to close, and it waits for
/// them. A returned heartbeat ends a "monitoring is down" ticket either
/// way, since what it reported is over.
pub fn may_resolve_for_monitoring(
    reason: MonitoringResolution,
    opened_by_source: bool,
    taken_up_by_person: bool,
) -> bool {
    opened_by_source
        && match reason {
            MonitoringResolution::QuietPeriod => !taken_up_by_person,
            MonitoringResolution::HeartbeatBack => true,
        }
}

/// Anything done to a client's alert sources and alerts. Requesters may
/// not learn that they exist, so they are answered like a stranger.
pub fn decide_alerts(role: Role, action: Action, relation: Relation) -> Decision {
    match decide(role, action, relation) {
        Decision::Forbidden if role == Role::Requester => Decision::NotFound,
        other => other,
    }
}

/// What is done to a client's outgoing webhooks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum WebhookAction {
    /// See which endpoints exist, of both sides (the other side's URL is
    /// left out, see [`may_see_webhook_url`]).
    List,
    /// Create, revoke and send a test event to an endpoint.
    Manage,
    /// Read an endpoint's delivery log.
    ReadDeliveries,
}

/// Whether `role` may take `action` on a client's webhook endpoint owned
/// by `endpoint_side` (for a new one: the side it would belong to). Each
/// side pages through its own tools, so each side's admin alone manages
/// that side's endpoints and reads their delivery log: the provider's
/// admin while engaged with the client, the client's in-house admin for
/// the in-house side. Both sides' IT staff may see that an endpoint
/// exists, so neither is surprised by where events go; requesters may not
/// learn of webhooks at all.
pub fn decide_webhooks(
    role: Role,
    action: WebhookAction,
    relation: Relation,
    endpoint_side: crate::actor::Side,
) -> Decision {
    use crate::actor::Side;
    if relation == Relation::Foreign || role == Role::Requester {
        return Decision::NotFound;
    }
    let own_side_admin = matches!(
        (role, relation, endpoint_side),
        (Role::ClientAdmin, Relation::Own, Side::Client)
            | (Role::ProviderAdmin, Relation::Engaged, Side::Provider)
    );
    match action {
        WebhookAction::List => Decision::Allow,
        WebhookAction::Manage | WebhookAction::ReadDeliveries if own_side_admin => Decision::Allow,
        WebhookAction::Manage | WebhookAction::ReadDeliveries => Decision::Forbidden,
    }
}

/// Whether someone of `viewer_side` sees the URL of an endpoint owned by
/// `endpoint_side`: a receiver's URL often carries its own credentials,
/// so it stays with the side that owns it.
pub fn may_see_webhook_url(
    viewer_side: crate::actor::Side,
    endpoint_side: crate::actor::Side,
) -> bool {
    viewer_side == endpoint_side
}

/// Anything done to a client's after-hours rota of `side` (provider or
/// in-house). Both sides' staff read both rotas; only the admin of the
/// side that staffs a rota changes it (the provider's admin cannot put an
/// in-house technician on call, nor the client's admin an engineer).
/// Requesters may not learn of rotas, so they are answered like a stranger.
pub fn decide_duty(role: Role, action: Action, relation: Relation, side: OwnerSide) -> Decision {
    let staffs_side = match side {
        OwnerSide::Provider => role.side() == crate::actor::Side::Provider,
        OwnerSide::InHouse | OwnerSide::Shared => role.side() == crate::actor::Side::Client,
    };
    match decide(role, action, relation) {
        Decision::Forbidden if role == Role::Requester => Decision::NotFound,
        Decision::Allow if action == Action::ManageDuty && !staffs_side => Decision::Forbidden,
        other => other,
    }
}

/// What is done to a client's credential vault.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum VaultAction {
    /// See which credentials exist: names, usernames, URLs, due dates;
    /// never a secret.
    List,
    /// Add credentials and change them (including their secret).
    Write,
    /// Read a credential's secret (and its notes), with a fresh proof of
    /// identity; every reveal is recorded.
    Reveal,
    /// Read who revealed which credential, when and from where.
    ReadReveals,
    /// See who left after revealing credentials, and open the tickets
    /// that rotate them.
    ReviewDepartures,
}

/// Whether `role` may take `action` on a client's vault. The IT staff who
/// run the client's systems on either side (the client's admin and
/// technicians, the provider's admin and the engineers assigned to the
/// client) keep and reveal its credentials. The client's viewers
/// (leadership) see that a credential exists but may not reveal it: they
/// change nothing and need no passwords, and every reveal is a risk. The
/// reveal log and the departures belong to each side's admin: the
/// client's admin sees every reveal by either side, the provider's admin
/// those on the clients it is engaged with. Requesters may not learn that
/// a vault exists.
pub fn decide_vault(role: Role, action: VaultAction, relation: Relation) -> Decision {
    use Role::*;
    if relation == Relation::Foreign || role == Requester {
        return Decision::NotFound;
    }
    let it_staff = matches!(
        (role, relation),
        (ClientAdmin | ClientTechnician, Relation::Own)
            | (ProviderAdmin | ProviderEngineer, Relation::Engaged)
    );
    let admin = matches!(
        (role, relation),
        (ClientAdmin, Relation::Own) | (ProviderAdmin, Relation::Engaged)
    );
    let allow = match action {
        VaultAction::List => true,
        VaultAction::Write | VaultAction::Reveal => it_staff,
        VaultAction::ReadReveals | VaultAction::ReviewDepartures => admin,
    };
    if allow {
        Decision::Allow
    } else {
        Decision::Forbidden
    }
}

/// What is done to a client's shared documentation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DocumentAction {
    /// Read pages (requesters: only those published to the portal, see
    /// [`may_read_page`]) and search them.
    Read,
    /// Read the revisions of a page and the diffs between them: the
    /// history may hold text never published, so requesters may not.
    ReadHistory,
    /// Create, save, restore and delete pages.
    Write,
}

/// Whether `role` may take `action` on the documentation of a client with
/// `relation` to them. IT staff of both sides (provider staff while
/// engaged and assigned) read and write; the client's viewers read;
/// requesters read published knowledge-base articles only, are refused
/// writing (they know the portal's articles exist) and never learn of a
/// page's history.
pub fn decide_documents(role: Role, action: DocumentAction, relation: Relation) -> Decision {
    if relation == Relation::Foreign {
        return Decision::NotFound;
    }
    match (role, action) {
        (Role::Requester, DocumentAction::Read) => {
            if relation == Relation::Own {
                Decision::Allow
            } else {
                Decision::NotFound
            }
        }
        (Role::Requester, DocumentAction::ReadHistory) => Decision::NotFound,
        (Role::Requester | Role::ClientViewer, DocumentAction::Write) => Decision::Forbidden,
        _ => Decision::Allow,
    }
}

/// Whether `role` may read one page of a client with `relation` to them;
/// `published` says whether it is published to the portal. The rule for a
/// page however it is reached: its own route, a list, a search hit, or a
/// link from another page (a reader who may not read the target learns
/// nothing of it there either, not even its title).
pub fn may_read_page(role: Role, relation: Relation, published: bool) -> bool {
    decide_documents(role, DocumentAction::Read, relation).allowed()
        && (role != Role::Requester || published)
}

/// Reading one person by id. Everyone may read their own record; anyone
/// who may not list the organization's people may not learn whether a
/// person exists either, so a colleague's id answers like a missing one.
pub fn decide_person_read(role: Role, relation: Relation, is_self: bool) -> Decision {
    if is_self {
        return Decision::Allow;
    }
    match decide(role, Action::ViewUsers, relation) {
        Decision::Forbidden => Decision::NotFound,
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn staff_of_both_sides_write_documents_viewers_read_requesters_read_published() {
        use Decision::*;
        use DocumentAction::*;
        // (role, relation, read, history, write)
        let cases = [
            (Role::ProviderAdmin, Relation::Engaged, Allow, Allow, Allow),
            (
                Role::ProviderEngineer,
                Relation::Engaged,
                Allow,
                Allow,
                Allow,
            ),
            (Role::ClientAdmin, Relation::Own, Allow, Allow, Allow),
            (Role::ClientTechnician, Relation::Own, Allow, Allow, Allow),
            (Role::ClientViewer, Relation::Own, Allow, Allow, Forbidden),
            (Role::Requester, Relation::Own, Allow, NotFound, Forbidden),
            (
                Role::ProviderEngineer,
                Relation::Foreign,
                NotFound,
                NotFound,
                NotFound,
            ),
            (
                Role::ClientAdmin,
                Relation::Foreign,
                NotFound,
                NotFound,
                NotFound,
            ),
        ];
        for (role, relation, read, history, write) in cases {
            assert_eq!(
                decide_documents(role, Read, relation),
                read,
                "{role} {relation:?}"
            );
            assert_eq!(
                decide_documents(role, ReadHistory, relation),
                history,
                "{role} {relation:?}"
            );
            assert_eq!(
                decide_documents(role, Write, relation),
                write,
                "{role} {relation:?}"
            );
        }
        assert!(may_read_page(Role::Requester, Relation::Own, true));
        assert!(!may_read_page(Role::Requester, Relation::Own, false));
        assert!(may_read_page(Role::ClientViewer, Relation::Own, false));
        assert!(!may_read_page(Role::ProviderAdmin, Relation::Foreign, true));
    }

    #[test]
    fn monitoring_resolves_only_its_own_tickets_and_waits_for_people_after_quiet() {
        use MonitoringResolution::*;
        assert!(may_resolve_for_monitoring(QuietPeriod, true, false));
        assert!(!may_resolve_for_monitoring(QuietPeriod, true, true));
        assert!(!may_resolve_for_monitoring(QuietPeriod, false, false));
        assert!(may_resolve_for_monitoring(HeartbeatBack, true, true));
        assert!(!may_resolve_for_monitoring(HeartbeatBack, false, false));
    }

    #[test]
    fn foreign_targets_are_not_found_for_every_role_and_action() {
        for role in Role::ALL {
            for action in [Action::ViewUsers, Action::ManageUsers, Action::ViewAudit] {
                assert_eq!(decide(role, action, Relation::Foreign), Decision::NotFound);
            }
        }
    }

    #[test]
    fn viewers_change_nothing_not_even_what_they_watch() {
        for action in [
            Action::OpenTicket,
            Action::WorkTickets,
            Action::CommentTickets,
            Action::WatchTickets,
            Action::ManageRequesters,
            Action::ManageServiceDesk,
        ] {
            assert_eq!(
                decide(Role::ClientViewer, action, Relation::Own),
                Decision::Forbidden,
                "{action:?}"
            );
        }
        assert!(decide(Role::Requester, Action::WatchTickets, Relation::Own).allowed());
        assert!(
            decide(
                Role::ProviderEngineer,
                Action::WatchTickets,
                Relation::Engaged
            )
            .allowed()
        );
    }

    #[test]
    fn a_ticket_reached_through_another_object_reads_like_its_own_route() {
        assert!(may_read_ticket(Role::Requester, Relation::Own, true));
        assert!(!may_read_ticket(Role::Requester, Relation::Own, false));
        assert!(may_read_ticket(Role::ClientViewer, Relation::Own, false));
        assert!(may_read_ticket(
            Role::ProviderEngineer,
            Relation::Engaged,
            false
        ));
        for role in Role::ALL {
            assert!(!may_read_ticket(role, Relation::Foreign, true), "{role}");
        }
    }

    #[test]
    fn people_one_may_not_list_are_not_found_rather_than_forbidden() {
        assert_eq!(
            decide_person_read(Role::Requester, Relation::Own, false),
            Decision::NotFound
        );
        assert_eq!(
            decide_person_read(Role::Requester, Relation::Own, true),
            Decision::Allow
        );
        assert_eq!(
            decide_person_read(Role::ClientViewer, Relation::Own, false),
            Decision::Allow
        );
        assert_eq!(
            decide_person_read(Role::ProviderEngineer, Relation::Foreign, false),
            Decision::NotFound
        );
    }

    #[test]
    fn the_inventory_is_both_teams_work_and_the_viewer_only_reads_it() {
        use Decision::*;
        let cases = [
            (Role::ClientAdmin, Relation::Own, Allow, Allow),
            (Role::ClientTechnician, Relation::Own, Allow, Allow),
            (Role::ClientViewer, Relation::Own, Allow, Forbidden),
            (Role::ProviderAdmin, Relation::Engaged, Allow, Allow),
            (Role::ProviderEngineer, Relation::Engaged, Allow, Allow),
            (Role::Requester, Relation::Own, NotFound, NotFound),
            (
                Role::ProviderEngineer,
                Relation::Foreign,
                NotFound,
                NotFound,
            ),
            (Role::ClientAdmin, Relation::Foreign, NotFound, NotFound),
        ];
        for (role, relation, read, change) in cases {
            assert_eq!(
                decide_inventory(role, Action::ViewDevices, relation),
                read,
                "{role} {relation:?} reads"
            );
            assert_eq!(
                decide_inventory(role, Action::ManageDevices, relation),
                change,
                "{role} {relation:?} changes"
            );
        }
    }

    #[test]
    fn either_sides_admin_manages_alert_sources_and_staff_read_alerts() {
        use Decision::*;
        let cases = [
            (Role::ClientAdmin, Relation::Own, Allow, Allow),
            (Role::ClientTechnician, Relation::Own, Allow, Forbidden),
            (Role::ClientViewer, Relation::Own, Allow, Forbidden),
            (Role::ProviderAdmin, Relation::Engaged, Allow, Allow),
            (Role::ProviderEngineer, Relation::Engaged, Allow, Forbidden),
            (Role::Requester, Relation::Own, NotFound, NotFound),
            (Role::ProviderAdmin, Relation::Foreign, NotFound, NotFound),
        ];
        for (role, relation, read, manage) in cases {
            assert_eq!(decide_alerts(role, Action::ViewAlerts, relation), read);
            assert_eq!(
                decide_alerts(role, Action::ManageAlertSources, relation),
                manage,
                "{role} {relation:?}"
            );
            assert_eq!(
                decide_alerts(role, Action::ManageMaintenanceWindows, relation),
                manage,
                "{role} {relation:?} windows"
            );
        }
    }

    #[test]
    fn each_sides_admin_alone_manages_its_own_webhooks_and_reads_their_log() {
        use crate::actor::Side;
        use Decision::*;
        // (role, relation, side of the endpoint, list, manage and read the log)
        let cases = [
            (Role::ClientAdmin, Relation::Own, Side::Client, Allow, Allow),
            (
                Role::ClientAdmin,
                Relation::Own,
                Side::Provider,
                Allow,
                Forbidden,
            ),
            (
                Role::ProviderAdmin,
                Relation::Engaged,
                Side::Provider,
                Allow,
                Allow,
            ),
            (
                Role::ProviderAdmin,
                Relation::Engaged,
                Side::Client,
                Allow,
                Forbidden,
            ),
            // The provider's own organization is no client of its own.
            (
                Role::ProviderAdmin,
                Relation::Own,
                Side::Provider,
                Allow,
                Forbidden,
            ),
            (
                Role::ProviderEngineer,
                Relation::Engaged,
                Side::Provider,
                Allow,
                Forbidden,
            ),
            (
                Role::ClientTechnician,
                Relation::Own,
                Side::Client,
                Allow,
                Forbidden,
            ),
            (
                Role::ClientViewer,
                Relation::Own,
                Side::Client,
                Allow,
                Forbidden,
            ),
            (
                Role::Requester,
                Relation::Own,
                Side::Client,
                NotFound,
                NotFound,
            ),
            // An ended engagement makes the client a stranger.
            (
                Role::ProviderAdmin,
                Relation::Foreign,
                Side::Provider,
                NotFound,
                NotFound,
            ),
        ];
        for (role, relation, side, list, own) in cases {
            let ask = |a| decide_webhooks(role, a, relation, side);
            assert_eq!(
                ask(WebhookAction::List),
                list,
                "{role} {relation:?} {side:?}"
            );
            assert_eq!(
                ask(WebhookAction::Manage),
                own,
                "{role} {relation:?} {side:?}"
            );
            assert_eq!(
                ask(WebhookAction::ReadDeliveries),
                own,
                "{role} {relation:?} {side:?}"
            );
        }
        assert!(may_see_webhook_url(Side::Client, Side::Client));
        assert!(!may_see_webhook_url(Side::Client, Side::Provider));
        assert!(!may_see_webhook_url(Side::Provider, Side::Client));
    }

    #[test]
    fn each_sides_admin_keeps_its_own_rota_and_both_sides_read_both() {
        use Decision::*;
        use OwnerSide::{InHouse, Provider};
        // (role, relation, rota side, read, manage)
        let cases = [
            (
                Role::ProviderAdmin,
                Relation::Engaged,
                Provider,
                Allow,
                Allow,
            ),
            (
                Role::ProviderAdmin,
                Relation::Engaged,
                InHouse,
                Allow,
                Forbidden,
            ),
            (Role::ClientAdmin, Relation::Own, InHouse, Allow, Allow),
            (Role::ClientAdmin, Relation::Own, Provider, Allow, Forbidden),
            (
                Role::ProviderEngineer,
                Relation::Engaged,
                Provider,
                Allow,
                Forbidden,
            ),
            (
                Role::ClientTechnician,
                Relation::Own,
                InHouse,
                Allow,
                Forbidden,
            ),
            (Role::ClientViewer, Relation::Own, InHouse, Allow, Forbidden),
            (Role::Requester, Relation::Own, InHouse, NotFound, NotFound),
            (
                Role::ProviderAdmin,
                Relation::Foreign,
                Provider,
                NotFound,
                NotFound,
            ),
            (
                Role::ClientAdmin,
                Relation::Foreign,
                InHouse,
                NotFound,
                NotFound,
            ),
        ];
        for (role, relation, side, read, manage) in cases {
            assert_eq!(
                decide_duty(role, Action::ViewDuty, relation, side),
                read,
                "{role} {relation:?} reads {side:?}"
            );
            assert_eq!(
                decide_duty(role, Action::ManageDuty, relation, side),
                manage,
                "{role} {relation:?} manages {side:?}"
            );
        }
    }

    #[test]
    fn it_staff_of_both_sides_reveal_viewers_only_list_and_admins_read_the_log() {
        use Decision::*;
        use VaultAction::*;
        // (role, relation, list, write and reveal, log and departures)
        let cases = [
            (Role::ClientAdmin, Relation::Own, Allow, Allow, Allow),
            (
                Role::ClientTechnician,
                Relation::Own,
                Allow,
                Allow,
                Forbidden,
            ),
            (
                Role::ClientViewer,
                Relation::Own,
                Allow,
                Forbidden,
                Forbidden,
            ),
            (Role::ProviderAdmin, Relation::Engaged, Allow, Allow, Allow),
            (
                Role::ProviderEngineer,
                Relation::Engaged,
                Allow,
                Allow,
                Forbidden,
            ),
            (Role::Requester, Relation::Own, NotFound, NotFound, NotFound),
            (
                Role::ProviderEngineer,
                Relation::Foreign,
                NotFound,
                NotFound,
                NotFound,
            ),
            (
                Role::ClientAdmin,
                Relation::Foreign,
                NotFound,
                NotFound,
                NotFound,
            ),
        ];
        for (role, relation, list, reveal, log) in cases {
            let ask = |a| decide_vault(role, a, relation);
            assert_eq!(ask(List), list, "{role} {relation:?} lists");
            assert_eq!(ask(Write), reveal, "{role} {relation:?} writes");
            assert_eq!(ask(Reveal), reveal, "{role} {relation:?} reveals");
            assert_eq!(ask(ReadReveals), log, "{role} {relation:?} reads the log");
            assert_eq!(ask(ReviewDepartures), log, "{role} {relation:?} departures");
        }
    }

    #[test]
    fn every_staff_member_may_compare_proposals_but_not_requesters() {
        for role in Role::ALL {
            let want = if role == Role::Requester {
                Decision::Forbidden
            } else {
                Decision::Allow
            };
            assert_eq!(
                decide(role, Action::CompareProposals, Relation::Own),
                want,
                "{role}"
            );
        }
    }

    #[test]
    fn engaged_provider_staff_read_but_never_manage_client_people() {
        assert!(decide(Role::ProviderEngineer, Action::ViewAudit, Relation::Engaged).allowed());
        assert_eq!(
            decide(Role::ProviderAdmin, Action::ManageUsers, Relation::Engaged),
            Decision::Forbidden
        );
    }

    #[test]
    fn only_admins_manage_people_and_viewers_only_read() {
        assert!(decide(Role::ClientAdmin, Action::ManageUsers, Relation::Own).allowed());
        assert!(!decide(Role::ClientTechnician, Action::ManageUsers, Relation::Own).allowed());
        assert!(!decide(Role::ClientViewer, Action::ManageOrgSettings, Relation::Own).allowed());
        assert!(decide(Role::ClientViewer, Action::ViewAudit, Relation::Own).allowed());
        assert!(!decide(Role::Requester, Action::ViewUsers, Relation::Own).allowed());
        assert!(!decide(Role::ClientAdmin, Action::ManageEngagements, Relation::Own).allowed());
        assert!(decide(Role::ClientAdmin, Action::EndEngagement, Relation::Own).allowed());
        assert!(
            decide(
                Role::ClientTechnician,
                Action::ManageRequesters,
                Relation::Own
            )
            .allowed()
        );
        assert!(!decide(Role::ClientViewer, Action::ManageRequesters, Relation::Own).allowed());
        assert!(
            decide(
                Role::ProviderEngineer,
                Action::ManageRequesters,
                Relation::Engaged
            )
            .allowed()
        );
    }
}
