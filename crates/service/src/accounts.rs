//! Organizations and their people.

use crate::audit::{Entry, record};
use crate::auth::hash_password;
use crate::{PasswordCost, RequestMeta, Result, ServiceError, Tandem, now_ms};
use serde_json::json;
use tandem_domain::policy::Action;
use tandem_domain::{Actor, Email, OrgId, Password, PersonName, Role, UserId, ValidationError};
use tandem_store::orgs::{self, Org};
use tandem_store::users::{self, User};
use tandem_store::{Tx, sessions};

/// What it takes to add a person.
#[derive(Debug, Clone)]
pub struct NewUser {
    /// E-mail (the sign-in name).
    pub email: String,
    /// Display name.
    pub name: String,
    /// Role; must belong to the organization's side.
    pub role: Role,
    /// Initial password.
    pub password: String,
}

/// A change to a person; absent fields stay as they are.
#[derive(Debug, Clone, Default)]
pub struct UserPatch {
    /// New display name.
    pub name: Option<String>,
    /// New role.
    pub role: Option<Role>,
    /// Activate or deactivate.
    pub active: Option<bool>,
}

/// Requesters are looked after by anyone doing help-desk work; every other
/// account, and any change of role to or from requester, is the admin's.
fn manage_action(from: Role, to: Role) -> Action {
    if from == Role::Requester && to == Role::Requester {
        Action::ManageRequesters
    } else {
        Action::ManageUsers
    }
}

/// Insert a user into `org` in the caller's transaction, with its audit entry.
pub(crate) async fn insert_user(
    tx: &mut Tx,
    cost: PasswordCost,
    actor: Option<&Actor>,
    org: &Org,
    input: &NewUser,
    meta: &RequestMeta,
) -> Result<User> {
    let email = Email::parse(&input.email)?;
    let name = PersonName::parse(&input.name)?;
    let password = Password::parse(&input.password)?;
    if input.role.side() != org.kind {
        return Err(ValidationError::new(
            "role",
            format!(
                "a {} organization has no {} role",
                org.kind.as_str(),
                input.role
            ),
        )
        .into());
    }
    let now = now_ms();
    let user = User {
        id: UserId::new(),
        org_id: org.id,
        email: email.as_str().to_owned(),
        name: name.as_str().to_owned(),
        role: input.role,
        password_hash: hash_password(&password, cost).await?,
        totp_secret: None,
        totp_enabled: false,
        totp_last_step: None,
        active: true,
        created_at: now,
        updated_at: now,
    };
    users::insert(tx, &user).await.map_err(|e| match e {
        tandem_store::StoreError::Conflict => {
            ServiceError::Conflict("a user with this e-mail already exists".into())
        }
        other => other.into(),
    })?;
    record(
        tx,
        actor,
        "operator",
        meta,
        Entry {
            org: Some(org.id),
            action: "user.create",
            object_type: "user",
            object_id: user.id.to_string(),
            change: json!({ "email": user.email, "name": user.name, "role": user.role }),
        },
    )
    .await?;
    Ok(user)
}

impl Tandem {
    /// Organizations the actor can see: their own, and engaged clients.
    pub async fn visible_orgs(&self, actor: &Actor) -> Result<Vec<Org>> {
        Ok(orgs::list_visible(&self.db, &actor.scope()).await?)
    }

    /// One organization within the actor's scope.
    pub async fn org(&self, actor: &Actor, id: OrgId) -> Result<Org> {
        Ok(orgs::find(&self.db, &actor.scope(), id).await?)
    }

    /// The people of an organization.
    pub async fn list_users(&self, actor: &Actor, org: OrgId) -> Result<Vec<User>> {
        self.authorize(actor, Action::ViewUsers, org).await?;
        Ok(users::list_in_org(&self.db, &actor.scope(), org).await?)
    }

    /// One person: the actor themselves, or someone whose organization's
    /// people the actor may see (anyone else is not found).
    pub async fn user(&self, actor: &Actor, id: UserId) -> Result<User> {
        let u = users::find(&self.db, &actor.scope(), id).await?;
        let relation =
            tandem_store::engagements::relation(&self.db, &actor.scope(), u.org_id).await?;
        crate::decided(tandem_domain::policy::decide_person_read(
            actor.role,
            relation,
            u.id == actor.user_id,
        ))?;
        Ok(u)
    }

    /// Add a person to an organization (its admin only).
    pub async fn create_user(
        &self,
        actor: &Actor,
        org: OrgId,
        input: &NewUser,
        meta: &RequestMeta,
    ) -> Result<User> {
        self.authorize(actor, manage_action(input.role, input.role), org)
            .await?;
        let org = orgs::find(&self.db, &actor.scope(), org).await?;
        let mut tx = self.db.begin().await?;
        let u = insert_user(
            &mut tx,
            self.settings.password_cost,
            Some(actor),
            &org,
            input,
            meta,
        )
        .await?;
        tx.commit().await?;
        Ok(u)
    }

    /// Change a person's name, role or active flag. Admins cannot demote or
    /// deactivate themselves, so an organization never locks itself out.
    pub async fn update_user(
        &self,
        actor: &Actor,
        id: UserId,
        patch: &UserPatch,
        meta: &RequestMeta,
    ) -> Result<User> {
        // Someone the actor may not even read is not found, whatever the change.
        let before = self.user(actor, id).await?;
        let new_role = patch.role.unwrap_or(before.role);
        self.authorize(actor, manage_action(before.role, new_role), before.org_id)
            .await?;
        let org = orgs::find(&self.db, &actor.scope(), before.org_id).await?;
        let mut after = before.clone();
        if let Some(n) = &patch.name {
            after.name = PersonName::parse(n)?.as_str().to_owned();
        }
        if let Some(r) = patch.role {
            if r.side() != org.kind {
                return Err(ValidationError::new(
                    "role",
                    format!("a {} organization has no {r} role", org.kind.as_str()),
                )
                .into());
            }
            after.role = r;
        }
        if let Some(a) = patch.active {
            after.active = a;
        }
        if id == actor.user_id && (after.role != before.role || !after.active) {
            return Err(ServiceError::Conflict(
                "you cannot change your own role or deactivate yourself".into(),
            ));
        }
        let mut tx = self.db.begin().await?;
        users::update_profile(&mut tx, &actor.scope(), &after, now_ms()).await?;
        if !after.active {
            sessions::delete_for_user(&mut tx, id).await?;
        }
        let mut change = serde_json::Map::new();
        if after.name != before.name {
            change.insert(
                "name".into(),
                json!({ "from": before.name, "to": after.name }),
            );
        }
        if after.role != before.role {
            change.insert(
                "role".into(),
                json!({ "from": before.role, "to": after.role }),
            );
        }
        if after.active != before.active {
            change.insert(
                "active".into(),
                json!({ "from": before.active, "to": after.active }),
            );
        }
        let action = if after.role != before.role {
            "user.role_change"
        } else {
            "user.update"
        };
        record(
            &mut tx,
            Some(actor),
            "",
            meta,
            Entry {
                org: Some(before.org_id),
                action,
                object_type: "user",
                object_id: id.to_string(),
                change: change.into(),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(after)
    }

    /// Require (or stop requiring) TOTP for every staff member of an organization.
    pub async fn set_require_totp(
        &self,
        actor: &Actor,
        org: OrgId,
        on: bool,
        meta: &RequestMeta,
    ) -> Result<()> {
        self.authorize(actor, Action::ManageOrgSettings, org)
            .await?;
        let mut tx = self.db.begin().await?;
        orgs::set_require_totp(&mut tx, org, on).await?;
        record(
            &mut tx,
            Some(actor),
            "",
            meta,
            Entry {
                org: Some(org),
                action: "org.require_totp",
                object_type: "organization",
                object_id: org.to_string(),
                change: json!({ "require_totp": on }),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}

impl Tandem {
    /// The zone the actor reads times in.
    pub async fn reading_zone(&self, actor: &Actor) -> Result<users::ReadingZone> {
        Ok(users::reading_zone(&self.db, actor.user_id).await?)
    }

    /// Choose one's own time zone, or with `None` go back to the
    /// organization's. Anyone may set their own; nobody anyone else's.
    pub async fn set_own_time_zone(
        &self,
        actor: &Actor,
        zone: Option<&str>,
        meta: &RequestMeta,
    ) -> Result<()> {
        let zone = match zone.map(str::trim) {
            None | Some("") => None,
            Some(z) => Some(tandem_domain::calendar::known_zone(z)?.0),
        };
        let mut tx = self.db.begin().await?;
        users::set_time_zone(&mut tx, actor.user_id, zone, now_ms()).await?;
        record(
            &mut tx,
            Some(actor),
            "",
            meta,
            Entry {
                org: Some(actor.org_id),
                action: "user.time_zone",
                object_type: "user",
                object_id: actor.user_id.to_string(),
                change: json!({ "time_zone": zone }),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The zone an organization's staff read times in unless they chose
    /// their own (its admin; a client's calendar zone still comes first
    /// for the client's staff).
    pub async fn set_org_time_zone(
        &self,
        actor: &Actor,
        org: OrgId,
        zone: &str,
        meta: &RequestMeta,
    ) -> Result<()> {
        self.authorize(actor, Action::ManageOrgSettings, org)
            .await?;
        let (zone, _) = tandem_domain::calendar::known_zone(zone)?;
        let mut tx = self.db.begin().await?;
        orgs::set_time_zone(&mut tx, org, zone).await?;
        record(
            &mut tx,
            Some(actor),
            "",
            meta,
            Entry {
                org: Some(org),
                action: "org.time_zone",
                object_type: "organization",
                object_id: org.to_string(),
                change: json!({ "time_zone": zone }),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}

/// What the actor may do with one organization, for pages that offer only
/// the actions that will succeed.
#[derive(Debug, Clone, Copy, Default)]
pub struct OrgPermissions {
    /// Add and change any person.
    pub manage_users: bool,
    /// Add and change requesters.
    pub manage_requesters: bool,
    /// Change organization settings.
    pub manage_settings: bool,
    /// Read the audit log.
    pub view_audit: bool,
    /// Start engagements and assign engineers.
    pub manage_engagements: bool,
    /// End engagements.
    pub end_engagements: bool,
    /// Follow tickets oneself (everyone but read-only viewers).
    pub watch_tickets: bool,
}

impl Tandem {
    /// The actor's permissions on `org` (all false for a foreign one).
    pub async fn org_permissions(&self, actor: &Actor, org: OrgId) -> Result<OrgPermissions> {
        use tandem_domain::policy::decide;
        let rel = tandem_store::engagements::relation(&self.db, &actor.scope(), org).await?;
        let may = |a| decide(actor.role, a, rel).allowed();
        Ok(OrgPermissions {
            manage_users: may(Action::ManageUsers),
            manage_requesters: may(Action::ManageRequesters),
            manage_settings: may(Action::ManageOrgSettings),
            view_audit: may(Action::ViewAudit),
            manage_engagements: may(Action::ManageEngagements),
            end_engagements: may(Action::EndEngagement),
            watch_tickets: may(Action::WatchTickets),
        })
    }
}
