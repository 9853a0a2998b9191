//! A client's credential vault: the IT staff of both sides keep the
//! client's credentials here, encrypted at rest; revealing one needs a
//! fresh proof of identity and is recorded; when someone who revealed
//! credentials loses access, the credentials they saw are listed for
//! rotation. Who may do what is [`policy::decide_vault`].
//!
//! Secrets and notes are sealed under the client's data key (see
//! [`crate::vault_keys`]); names, usernames, URLs and due dates are plain,
//! since they are listed. The secret never appears in a list, an audit
//! entry, a log line, an error text, the search index or a webhook.

use crate::audit::{Entry, record};
use crate::desk::{NewTicket, Source};
use crate::secrets::sha256_hex;
use crate::vault_keys::{self, SealError, new_data_key, secret_ad};
use crate::{RequestMeta, Result, ServiceError, Tandem, now_ms};
use jiff::civil::Date;
use serde_json::json;
use tandem_domain::ids::{VaultDepartureId, VaultSecretId};
use tandem_domain::policy::{self, VaultAction};
use tandem_domain::ticket::{Impact, Urgency};
use tandem_domain::vault::{
    SecretSpec, SecretValue, check_notes, proof_is_fresh, rotation_ticket_title,
};
use tandem_domain::{Actor, OrgId, Side, TicketId, UserId, ValidationError, totp};
use tandem_store::vault::{self as store, StoredSecret, WrappedKey};
use tandem_store::{StoreError, Tx, users};
use zeroize::Zeroizing;

pub use tandem_store::vault::{Departure, LeftSecret, Reveal};

/// A credential as people see it in lists and on its page: everything but
/// the secret and the notes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VaultSecret {
    /// Its id.
    pub id: VaultSecretId,
    /// The client it belongs to.
    pub client_id: OrgId,
    /// What people call it.
    pub name: String,
    /// The account name; may be blank.
    pub username: String,
    /// Where it is used; may be blank.
    pub url: String,
    /// `YYYY-MM-DD` when it should next be changed, if set.
    pub rotation_due_on: Option<String>,
    /// When its secret was last set (epoch ms).
    pub rotated_at: i64,
    /// Bumped by every change; send it back to change the credential.
    pub version: i64,
    /// Creation instant (epoch ms).
    pub created_at: i64,
    /// Last change (epoch ms).
    pub updated_at: i64,
}

impl From<StoredSecret> for VaultSecret {
    fn from(s: StoredSecret) -> Self {
        Self {
            id: s.id,
            client_id: s.client_id,
            name: s.name,
            username: s.username,
            url: s.url,
            rotation_due_on: s.rotation_due_on,
            rotated_at: s.rotated_at,
            version: s.version,
            created_at: s.created_at,
            updated_at: s.updated_at,
        }
    }
}

/// A new credential.
#[derive(Clone, Debug)]
pub struct NewSecret {
    /// Its visible fields.
    pub spec: SecretSpec,
    /// The secret.
    pub secret: SecretValue,
    /// Notes (sealed like the secret); may be blank.
    pub notes: String,
}

/// A change to a credential; absent fields stay as they are. A new secret
/// counts as a rotation: it clears "due" by moving `rotated_at` (and the
/// due date, when one is given).
#[derive(Clone, Debug, Default)]
pub struct SecretChange {
    /// A new name.
    pub name: Option<String>,
    /// A new username.
    pub username: Option<String>,
    /// A new URL.
    pub url: Option<String>,
    /// A new due date, or `Some(None)` to clear it.
    pub rotation_due_on: Option<Option<Date>>,
    /// A new secret.
    pub secret: Option<SecretValue>,
    /// New notes.
    pub notes: Option<String>,
}

/// How the person asking to reveal shows they are who they say.
#[derive(Clone)]
pub enum Proof {
    /// A browser session; its own recent proof counts (see
    /// [`Tandem::reauthenticate`]).
    Session {
        /// The session's hash.
        session_hash: String,
    },
    /// An API token (its secret), with the password or TOTP code sent
    /// along, if any; without, the token's own recent proof counts.
    Token {
        /// The bearer token as sent.
        token: String,
        /// The account's password, if sent.
        password: Option<String>,
        /// A current TOTP code, if sent.
        totp_code: Option<String>,
    },
}

impl std::fmt::Debug for Proof {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Proof::Session { .. } => "Proof::Session",
            Proof::Token { .. } => "Proof::Token",
        })
    }
}

/// Why a reveal was refused.
#[derive(Debug, thiserror::Error)]
pub enum RevealError {
    /// The proof of identity is missing or older than five minutes: sign
    /// in again (the password or a TOTP code) and retry.
    #[error("re-authentication needed")]
    ReauthRequired,
    /// Anything else.
    #[error(transparent)]
    Service(#[from] ServiceError),
}

impl From<StoreError> for RevealError {
    fn from(e: StoreError) -> Self {
        RevealError::Service(e.into())
    }
}

/// A revealed credential: shown once, wiped from memory when dropped.
pub struct Revealed {
    /// The credential.
    pub secret: VaultSecret,
    /// Its secret.
    pub value: Zeroizing<String>,
    /// Its notes.
    pub notes: Zeroizing<String>,
}

impl std::fmt::Debug for Revealed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Revealed")
            .field("secret", &self.secret)
            .finish_non_exhaustive()
    }
}

/// Someone who left after revealing credentials, and those credentials.
#[derive(Clone, Debug)]
pub struct DepartureView {
    /// Who left, when and why.
    pub departure: Departure,
    /// What they had revealed, with rotation state.
    pub secrets: Vec<LeftSecret>,
}

/// What a master key rotation did.
#[derive(Clone, Debug, Default)]
pub struct RotationReport {
    /// The new master key's id.
    pub new_key_id: String,
    /// Client data keys rewrapped to it.
    pub rewrapped: usize,
}

impl From<SealError> for ServiceError {
    fn from(e: SealError) -> Self {
        ServiceError::Internal(e.to_string())
    }
}

/// A date as stored: `YYYY-MM-DD`.
fn date_text(d: Option<Date>) -> Option<String> {
    d.map(|d| d.to_string())
}

fn parse_date(s: &Option<String>) -> Result<Option<Date>> {
    s.as_deref()
        .map(str::parse::<Date>)
        .transpose()
        .map_err(|e| ServiceError::Internal(format!("stored date: {e}")))
}

/// The audit record of a credential's visible fields.
fn fields(s: &StoredSecret) -> serde_json::Value {
    json!({ "name": s.name, "username": s.username, "url": s.url, "rotation_due_on": s.rotation_due_on })
}

fn name_taken(e: StoreError, name: &str) -> ServiceError {
    match e {
        StoreError::Conflict => ServiceError::Conflict(format!(
            "the client has a credential named {name:?} already"
        )),
        other => other.into(),
    }
}

impl Tandem {
    /// The client `actor` wants to reach in the vault with `action`:
    /// found within their scope, a client, and allowed by the policy.
    async fn vault_client(
        &self,
        actor: &Actor,
        action: VaultAction,
        client: OrgId,
    ) -> Result<tandem_store::orgs::Org> {
        let (found, relation) = self.client_relation(actor, client).await?;
        // The provider keeps no vault of its own: its organization answers
        // like a missing client, whatever the role.
        if found.as_ref().is_some_and(|o| o.kind != Side::Client) {
            return Err(ServiceError::NotFound);
        }
        crate::decided(policy::decide_vault(actor.role, action, relation))?;
        found.ok_or(ServiceError::NotFound)
    }

    /// Whether `actor` may take `action` in the client's vault (pages show
    /// buttons and forms only then); a client out of reach is not found.
    pub async fn may_in_vault(
        &self,
        actor: &Actor,
        client: OrgId,
        action: VaultAction,
    ) -> Result<bool> {
        match self.vault_client(actor, action, client).await {
            Ok(_) => Ok(true),
            Err(ServiceError::Forbidden) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// The client's data key, made (and stored wrapped) on first use.
    async fn data_key(&self, client: OrgId) -> Result<Zeroizing<[u8; 32]>> {
        if let Some(k) = store::key(&self.db, client).await? {
            return Ok(self
                .vault
                .unwrap(client, &k.master_key_id, &k.wrapped_key)?);
        }
        let fresh = new_data_key();
        let (master_key_id, wrapped_key) = self.vault.wrap(client, &fresh)?;
        let mut tx = self.db.begin().await?;
        let stored = store::insert_key(
            &mut tx,
            &WrappedKey {
                client_id: client,
                master_key_id,
                wrapped_key,
            },
            now_ms(),
        )
        .await?;
        tx.commit().await?;
        if stored {
            return Ok(fresh);
        }
        // Another request made the client's key first: use that one.
        let k = store::key(&self.db, client)
            .await?
            .ok_or(ServiceError::NotFound)?;
        Ok(self
            .vault
            .unwrap(client, &k.master_key_id, &k.wrapped_key)?)
    }

    /// A page of the client's credentials in name order (never a secret),
    /// after the name `after` when given.
    pub async fn vault_secrets(
        &self,
        actor: &Actor,
        client: OrgId,
        after: Option<&str>,
        limit: i64,
    ) -> Result<Vec<VaultSecret>> {
        self.vault_client(actor, VaultAction::List, client).await?;
        let after = after.map(tandem_domain::vault::name_key);
        Ok(
            store::list(&self.db, client, after.as_deref(), limit.clamp(1, 500))
                .await?
                .into_iter()
                .map(Into::into)
                .collect(),
        )
    }

    /// One credential of the client (never its secret).
    pub async fn vault_secret(
        &self,
        actor: &Actor,
        client: OrgId,
        id: VaultSecretId,
    ) -> Result<VaultSecret> {
        self.vault_client(actor, VaultAction::List, client).await?;
        Ok(store::get(&self.db, client, id).await?.into())
    }

    /// The client's credentials due for rotation within `within_days` of
    /// today (UTC), overdue ones included, soonest first: for the client's
    /// overview.
    pub async fn secrets_due_for_rotation(
        &self,
        actor: &Actor,
        client_id: OrgId,
        within_days: i64,
    ) -> Result<Vec<VaultSecret>> {
        let org = self
            .vault_client(actor, VaultAction::List, client_id)
            .await?;
        let today = self.client_today(&org, jiff::Timestamp::now()).await?;
        let by = today
            .checked_add(jiff::Span::new().days(within_days.clamp(0, 3650)))
            .unwrap_or(today);
        Ok(store::due_by(&self.db, client_id, &by.to_string())
            .await?
            .into_iter()
            .map(Into::into)
            .collect())
    }

    /// Add a credential to the client's vault.
    pub async fn add_vault_secret(
        &self,
        actor: &Actor,
        client: OrgId,
        new: &NewSecret,
        meta: &RequestMeta,
    ) -> Result<VaultSecret> {
        self.vault_client(actor, VaultAction::Write, client).await?;
        let notes = check_notes(&new.notes)?;
        let key = self.data_key(client).await?;
        let id = VaultSecretId::new();
        let now = now_ms();
        let s = StoredSecret {
            id,
            client_id: client,
            name: new.spec.name().to_owned(),
            username: new.spec.username().to_owned(),
            url: new.spec.url().to_owned(),
            secret_ct: vault_keys::seal(
                &key,
                new.secret.expose().as_bytes(),
                &secret_ad(client, id, "secret"),
            )?,
            notes_ct: vault_keys::seal(&key, notes.as_bytes(), &secret_ad(client, id, "notes"))?,
            rotation_due_on: date_text(new.spec.rotation_due_on()),
            rotated_at: now,
            version: 1,
            created_at: now,
            updated_at: now,
            created_by: Some(actor.user_id.to_string()),
        };
        let mut tx = self.db.begin().await?;
        store::insert(&mut tx, &s)
            .await
            .map_err(|e| name_taken(e, &s.name))?;
        record(
            &mut tx,
            Some(actor),
            "",
            meta,
            Entry {
                org: Some(client),
                action: "vault.add",
                object_type: "vault_secret",
                object_id: id.to_string(),
                change: fields(&s),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(s.into())
    }

    /// Change a credential read at `version` (a later one is
    /// [`ServiceError::Stale`]).
    pub async fn change_vault_secret(
        &self,
        actor: &Actor,
        client: OrgId,
        id: VaultSecretId,
        version: i64,
        change: &SecretChange,
        meta: &RequestMeta,
    ) -> Result<VaultSecret> {
        self.vault_client(actor, VaultAction::Write, client).await?;
        let current = self.secret_at(client, id, version).await?;
        let spec = SecretSpec::new(
            change.name.as_deref().unwrap_or(&current.name),
            change.username.as_deref().unwrap_or(&current.username),
            change.url.as_deref().unwrap_or(&current.url),
            match change.rotation_due_on {
                Some(d) => d,
                None => parse_date(&current.rotation_due_on)?,
            },
        )?;
        let notes = change.notes.as_deref().map(check_notes).transpose()?;
        let now = now_ms();
        let mut s = current.clone();
        s.name = spec.name().to_owned();
        s.username = spec.username().to_owned();
        s.url = spec.url().to_owned();
        s.rotation_due_on = date_text(spec.rotation_due_on());
        s.updated_at = now;
        if change.secret.is_some() || notes.is_some() {
            let key = self.data_key(client).await?;
            if let Some(secret) = &change.secret {
                s.secret_ct = vault_keys::seal(
                    &key,
                    secret.expose().as_bytes(),
                    &secret_ad(client, id, "secret"),
                )?;
                s.rotated_at = now;
            }
            if let Some(n) = &notes {
                s.notes_ct = vault_keys::seal(&key, n.as_bytes(), &secret_ad(client, id, "notes"))?;
            }
        }
        let mut tx = self.db.begin().await?;
        if !store::update(&mut tx, &s, version)
            .await
            .map_err(|e| name_taken(e, &s.name))?
        {
            drop(tx);
            return Err(self.changed_meanwhile(client, id).await);
        }
        record(
            &mut tx,
            Some(actor),
            "",
            meta,
            Entry {
                org: Some(client),
                action: if change.secret.is_some() {
                    "vault.rotate"
                } else {
                    "vault.change"
                },
                object_type: "vault_secret",
                object_id: id.to_string(),
                change: json!({ "before": fields(&current), "after": fields(&s),
                "secret_changed": change.secret.is_some(), "notes_changed": notes.is_some() }),
            },
        )
        .await?;
        tx.commit().await?;
        s.version = version + 1;
        Ok(s.into())
    }

    /// A credential as it is now, if still at the `version` its writer
    /// read ([`ServiceError::Stale`] otherwise).
    async fn secret_at(
        &self,
        client: OrgId,
        id: VaultSecretId,
        version: i64,
    ) -> Result<StoredSecret> {
        let current = store::get(&self.db, client, id).await?;
        if current.version != version {
            return Err(ServiceError::Stale {
                current_version: current.version,
            });
        }
        Ok(current)
    }

    /// Why a write at a version read a moment ago found no row: changed in
    /// between (stale, with the version now) or deleted (not found).
    async fn changed_meanwhile(&self, client: OrgId, id: VaultSecretId) -> ServiceError {
        match store::get(&self.db, client, id).await {
            Ok(now) => ServiceError::Stale {
                current_version: now.version,
            },
            Err(e) => e.into(),
        }
    }

    /// Delete a credential read at `version` (a later one is
    /// [`ServiceError::Stale`]). Its secret and notes are wiped; who
    /// revealed it stays in the reveal log, and a leaving engineer's list
    /// no longer offers to rotate it.
    pub async fn delete_vault_secret(
        &self,
        actor: &Actor,
        client: OrgId,
        id: VaultSecretId,
        version: i64,
        meta: &RequestMeta,
    ) -> Result<()> {
        self.vault_client(actor, VaultAction::Write, client).await?;
        let current = self.secret_at(client, id, version).await?;
        let mut tx = self.db.begin().await?;
        if !store::delete(&mut tx, client, id, version, now_ms()).await? {
            drop(tx);
            return Err(self.changed_meanwhile(client, id).await);
        }
        record(
            &mut tx,
            Some(actor),
            "",
            meta,
            Entry {
                org: Some(client),
                action: "vault.delete",
                object_type: "vault_secret",
                object_id: id.to_string(),
                change: json!({ "before": fields(&current) }),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Reveal a credential's secret and notes, with a fresh proof of
    /// identity; the reveal is recorded in the reveal log and the audit
    /// log in one transaction before the secret is handed back.
    pub async fn reveal_vault_secret(
        &self,
        actor: &Actor,
        client: OrgId,
        id: VaultSecretId,
        proof: &Proof,
        user_agent: &str,
        meta: &RequestMeta,
    ) -> std::result::Result<Revealed, RevealError> {
        self.vault_client(actor, VaultAction::Reveal, client)
            .await?;
        store::get(&self.db, client, id).await?;
        let how = self.check_proof(actor, proof, meta).await?;
        Ok(self
            .reveal_proved(actor, client, id, how, user_agent, meta)
            .await?)
    }

    /// Reveal a credential for an actor whose access and proof of identity
    /// (`how`) were checked, recording the reveal.
    pub(crate) async fn reveal_proved(
        &self,
        actor: &Actor,
        client: OrgId,
        id: VaultSecretId,
        how: &'static str,
        user_agent: &str,
        meta: &RequestMeta,
    ) -> Result<Revealed> {
        let s = store::get(&self.db, client, id).await?;
        let key = self.data_key(client).await?;
        let value = vault_keys::open(&key, &s.secret_ct, &secret_ad(client, id, "secret"))
            .map_err(ServiceError::from)?;
        let notes = vault_keys::open(&key, &s.notes_ct, &secret_ad(client, id, "notes"))
            .map_err(ServiceError::from)?;
        let text = |b: &[u8]| {
            std::str::from_utf8(b)
                .map(|t| Zeroizing::new(t.to_owned()))
                .map_err(|_| ServiceError::Internal("a vault secret is not text".into()))
        };
        let (value, notes) = (text(&value)?, text(&notes)?);
        let now = now_ms();
        let ua: String = user_agent
            .chars()
            .filter(|c| !c.is_control())
            .take(300)
            .collect();
        let r = Reveal {
            id: uuid::Uuid::now_v7().to_string(),
            client_id: client,
            secret_id: id,
            secret_name: s.name.clone(),
            user_id: actor.user_id,
            user_name: actor.name.clone(),
            user_email: actor.email.clone(),
            side: actor.side().as_str().to_owned(),
            proof: how.to_owned(),
            source_addr: meta.source_addr.clone(),
            user_agent: ua.clone(),
            revealed_at: now,
        };
        let mut tx = self.db.begin().await?;
        store::insert_reveal(&mut tx, &r).await?;
        record(
            &mut tx,
            Some(actor),
            "",
            meta,
            Entry {
                org: Some(client),
                action: "vault.reveal",
                object_type: "vault_secret",
                object_id: id.to_string(),
                change: json!({ "name": s.name, "side": r.side, "proof": how, "user_agent": ua }),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(Revealed {
            secret: s.into(),
            value,
            notes,
        })
    }

    /// How the reveal's proof holds, or why not.
    async fn check_proof(
        &self,
        actor: &Actor,
        proof: &Proof,
        meta: &RequestMeta,
    ) -> std::result::Result<&'static str, RevealError> {
        let now = now_ms();
        match proof {
            Proof::Session { session_hash } => {
                if proof_is_fresh(store::session_proved_at(&self.db, session_hash).await?, now) {
                    Ok("session")
                } else {
                    Err(RevealError::ReauthRequired)
                }
            }
            Proof::Token {
                token,
                password,
                totp_code,
            } => {
                if password.is_some() || totp_code.is_some() {
                    return match self
                        .prove_identity(
                            actor.user_id,
                            password.as_deref(),
                            totp_code.as_deref(),
                            meta,
                        )
                        .await
                    {
                        Ok(how) => Ok(how),
                        Err(ServiceError::Unauthenticated) => Err(RevealError::ReauthRequired),
                        Err(e) => Err(e.into()),
                    };
                }
                if proof_is_fresh(
                    store::token_proved_at(&self.db, &sha256_hex(token)).await?,
                    now,
                ) {
                    Ok("token")
                } else {
                    Err(RevealError::ReauthRequired)
                }
            }
        }
    }

    /// Check a password or a TOTP code of `user` now (rate-limited like
    /// sign-in; a failure is recorded like one). Gives which it was.
    async fn prove_identity(
        &self,
        user: UserId,
        password: Option<&str>,
        totp_code: Option<&str>,
        meta: &RequestMeta,
    ) -> Result<&'static str> {
        let u = users::get_for_actor(&self.db, user).await?;
        self.check_login_limits(&u.email, &meta.source_addr).await?;
        if let Some(code) = totp_code.filter(|c| !c.trim().is_empty()) {
            let secret = match (&u.totp_secret, u.totp_enabled) {
                (Some(sec), true) => crate::auth::decode_secret(sec)?,
                _ => {
                    return Err(ValidationError::new(
                        "totp_code",
                        "TOTP is not set up for this account; give the password",
                    )
                    .into());
                }
            };
            let mut tx = self.db.begin().await?;
            let step = totp::verify(
                &secret,
                code.trim(),
                totp::step_at(now_ms() / 1000),
                u.totp_last_step,
            );
            let accepted = match step {
                Some(step) => users::advance_totp_step(&mut tx, u.id, step).await?,
                None => false,
            };
            if accepted {
                tx.commit().await?;
                return Ok("totp");
            }
            drop(tx);
            self.record_failure(
                &u.email,
                Some(&u),
                "wrong or reused TOTP code at re-authentication",
                meta,
            )
            .await?;
            return Err(ServiceError::Unauthenticated);
        }
        let pw = password.unwrap_or("");
        if !pw.is_empty() && crate::auth::password_matches(pw, &u.password_hash).await {
            return Ok("password");
        }
        self.record_failure(
            &u.email,
            Some(&u),
            "wrong password at re-authentication",
            meta,
        )
        .await?;
        Err(ServiceError::Unauthenticated)
    }

    /// Prove one's identity again (the password or a TOTP code): the
    /// session, or the API token, may reveal secrets for five minutes.
    pub async fn reauthenticate(
        &self,
        actor: &Actor,
        holder: &ProofHolder,
        password: Option<&str>,
        totp_code: Option<&str>,
        meta: &RequestMeta,
    ) -> Result<()> {
        let how = self
            .prove_identity(actor.user_id, password, totp_code, meta)
            .await?;
        let now = now_ms();
        let mut tx = self.db.begin().await?;
        match holder {
            ProofHolder::Session(hash) => store::set_session_proved(&mut tx, hash, now).await?,
            ProofHolder::Token(token) => {
                store::set_token_proved(&mut tx, &sha256_hex(token), now).await?
            }
        }
        record(
            &mut tx,
            Some(actor),
            "",
            meta,
            Entry {
                org: Some(actor.org_id),
                action: "session.reauthenticate",
                object_type: "user",
                object_id: actor.user_id.to_string(),
                change: json!({ "proof": how }),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Whether the session may reveal now without proving itself again.
    pub async fn session_proof_is_fresh(&self, session_hash: &str) -> Result<bool> {
        Ok(proof_is_fresh(
            store::session_proved_at(&self.db, session_hash).await?,
            now_ms(),
        ))
    }

    /// A page of the client's reveals, newest first (of one credential
    /// when given), older than the reveal `before` when given.
    pub async fn vault_reveals(
        &self,
        actor: &Actor,
        client: OrgId,
        secret: Option<VaultSecretId>,
        before: Option<&str>,
        limit: i64,
    ) -> Result<Vec<Reveal>> {
        self.vault_client(actor, VaultAction::ReadReveals, client)
            .await?;
        Ok(store::reveals(&self.db, client, secret, before, limit.clamp(1, 500)).await?)
    }

    /// People who lost access to the client after revealing its
    /// credentials, newest first, each with what they revealed.
    pub async fn vault_departures(
        &self,
        actor: &Actor,
        client: OrgId,
    ) -> Result<Vec<DepartureView>> {
        self.vault_client(actor, VaultAction::ReviewDepartures, client)
            .await?;
        let mut out = Vec::new();
        for departure in store::departures(&self.db, client).await? {
            let secrets = store::left_secrets(&self.db, &departure).await?;
            out.push(DepartureView { departure, secrets });
        }
        Ok(out)
    }

    /// Open one ticket per credential the departed person revealed and that
    /// was not changed since they left: "Rotate <name>: revealed by
    /// <person> who left", on the side that owns security work (the
    /// in-house team once the provider is gone). Asking again opens none
    /// for a credential that has its ticket. Gives the tickets opened now.
    pub async fn open_rotation_tickets(
        &self,
        actor: &Actor,
        client: OrgId,
        departure: VaultDepartureId,
        meta: &RequestMeta,
    ) -> Result<Vec<TicketId>> {
        self.vault_client(actor, VaultAction::ReviewDepartures, client)
            .await?;
        let d = store::departure(&self.db, client, departure).await?;
        let mut opened = Vec::new();
        for s in store::left_secrets(&self.db, &d).await? {
            if s.ticket_id.is_some() || s.rotated_since {
                continue;
            }
            let mut tx = self.db.begin().await?;
            let claimed = store::claim_rotation(&mut tx, d.id, s.secret_id, now_ms()).await?;
            tx.commit().await?;
            if !claimed {
                continue;
            }
            match self.open_rotation_ticket(actor, &d, &s, meta).await {
                Ok(ticket) => {
                    let mut tx = self.db.begin().await?;
                    store::set_rotation_ticket(&mut tx, d.id, s.secret_id, &ticket.to_string())
                        .await?;
                    tx.commit().await?;
                    opened.push(ticket);
                }
                Err(e) => {
                    let mut tx = self.db.begin().await?;
                    store::release_rotation(&mut tx, d.id, s.secret_id).await?;
                    tx.commit().await?;
                    return Err(e);
                }
            }
        }
        Ok(opened)
    }

    async fn open_rotation_ticket(
        &self,
        actor: &Actor,
        d: &Departure,
        s: &LeftSecret,
        meta: &RequestMeta,
    ) -> Result<TicketId> {
        let title = rotation_ticket_title(&s.secret_name, &d.user_name);
        let description = format!(
            "{} revealed the credential \"{}\" and no longer has access to this client ({}). Change it where it is used, then store the new value in the vault.",
            d.user_name, s.secret_name, d.reason
        );
        let mut last = None;
        for category in ["security-operations", "help-desk"] {
            let t = NewTicket {
                client_id: d.client_id,
                title: title.clone(),
                description: description.clone(),
                category: category.into(),
                impact: Impact::Medium,
                urgency: Urgency::Medium,
                requester_id: None,
                source: Source::Web,
            };
            match self.open_ticket(actor, &t, meta).await {
                Ok(v) => return Ok(v.ticket.id),
                Err(ServiceError::Invalid(v)) if v.field == "category" => last = Some(v),
                Err(e) => return Err(e),
            }
        }
        Err(last.map_or(ServiceError::NotFound, ServiceError::Invalid))
    }

    /// Rotate the master key: a new key is added to the key file and
    /// becomes current, every client's data key is rewrapped to it in
    /// transactions of `batch`, and the old keys are removed from the
    /// file. Servers running meanwhile read either key (they read the file
    /// again when they meet the new one).
    pub async fn rotate_master_key(&self, batch: i64) -> Result<RotationReport> {
        let new_key_id = self.begin_master_key_rotation()?;
        let mut rewrapped = self.rewrap_data_keys(&new_key_id, batch).await?;
        rewrapped += self.finish_master_key_rotation(&new_key_id, batch).await?;
        Ok(RotationReport {
            new_key_id,
            rewrapped,
        })
    }

    /// A rotation's first step: a new master key, appended to the key file
    /// as the current one. Gives its id.
    pub fn begin_master_key_rotation(&self) -> Result<String> {
        self.vault
            .add_key()
            .map_err(|e| ServiceError::Internal(e.to_string()))
    }

    /// A rotation's second step: rewrap every client data key not yet
    /// under `new_key_id`, `batch` per transaction. Gives how many.
    pub async fn rewrap_data_keys(&self, new_key_id: &str, batch: i64) -> Result<usize> {
        self.rewrap_all(new_key_id, batch).await
    }

    /// A rotation's last step: remove every other key from the file, then
    /// rewrap any data key a server wrapped under the old key just before
    /// it read the new file (this process still holds the old key).
    pub async fn finish_master_key_rotation(&self, new_key_id: &str, batch: i64) -> Result<usize> {
        self.vault
            .retire_all_but(new_key_id)
            .map_err(|e| ServiceError::Internal(e.to_string()))?;
        self.rewrap_all(new_key_id, batch).await
    }

    async fn rewrap_all(&self, new_key_id: &str, batch: i64) -> Result<usize> {
        let mut n = 0;
        loop {
            let rows = store::keys_not_under(&self.db, new_key_id, batch.clamp(1, 1000)).await?;
            if rows.is_empty() {
                return Ok(n);
            }
            let mut tx: Tx = self.db.begin().await?;
            for was in &rows {
                let dk = self
                    .vault
                    .unwrap(was.client_id, &was.master_key_id, &was.wrapped_key)?;
                let (master_key_id, wrapped_key) = self.vault.wrap(was.client_id, &dk)?;
                if master_key_id != new_key_id {
                    return Err(ServiceError::Internal(
                        "the key file changed during the rotation".into(),
                    ));
                }
                let now_under = WrappedKey {
                    client_id: was.client_id,
                    master_key_id,
                    wrapped_key,
                };
                if store::rewrap_key(&mut tx, was, &now_under, now_ms()).await? {
                    n += 1;
                }
            }
            tx.commit().await?;
        }
    }

    /// How many client data keys each master key wraps (for the operator).
    pub async fn vault_key_usage(&self) -> Result<Vec<(String, i64)>> {
        Ok(store::keys_per_master(&self.db).await?)
    }
}

/// What marks a value sealed by [`Tandem::seal_for_client`]; a stored
/// value without it was written before the vault wrapped it and is read
/// as it is.
const SEALED_TAG: &str = "vault:v1:";

impl Tandem {
    /// Seal a credential Tandem itself must use later (a webhook's signing
    /// secret) under the client's data key, bound to `purpose` and `id`.
    pub(crate) async fn seal_for_client(
        &self,
        client: OrgId,
        purpose: &str,
        id: &str,
        plain: &str,
    ) -> Result<String> {
        let key = self.data_key(client).await?;
        let ad = format!("tandem-vault/{purpose}/{client}/{id}");
        Ok(format!(
            "{SEALED_TAG}{}",
            vault_keys::seal(&key, plain.as_bytes(), ad.as_bytes())?
        ))
    }

    /// Open what [`Tandem::seal_for_client`] sealed; a value stored before
    /// sealing existed comes back as it is.
    pub(crate) async fn open_for_client(
        &self,
        client: OrgId,
        purpose: &str,
        id: &str,
        stored: &str,
    ) -> Result<Zeroizing<String>> {
        let Some(sealed) = stored.strip_prefix(SEALED_TAG) else {
            return Ok(Zeroizing::new(stored.to_owned()));
        };
        let key = self.data_key(client).await?;
        let ad = format!("tandem-vault/{purpose}/{client}/{id}");
        let plain = vault_keys::open(&key, sealed, ad.as_bytes())?;
        String::from_utf8(plain.to_vec())
            .map(Zeroizing::new)
            .map_err(|_| ServiceError::Internal("a sealed value is not text".into()))
    }
}

/// What a re-authentication refreshes.
#[derive(Clone)]
pub enum ProofHolder {
    /// A browser session (by its hash).
    Session(String),
    /// An API token (as sent).
    Token(String),
}

impl std::fmt::Debug for ProofHolder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            ProofHolder::Session(_) => "ProofHolder::Session",
            ProofHolder::Token(_) => "ProofHolder::Token",
        })
    }
}

/// Note, in the transaction that takes provider staff off a client, that
/// those of them who revealed the client's credentials have left (only
/// `only` when one engineer is taken off): their credentials are then
/// listed for rotation.
pub(crate) async fn note_departures(
    tx: &mut Tx,
    client: OrgId,
    only: Option<UserId>,
    reason: &str,
) -> Result<u64> {
    Ok(store::note_departures(tx, client, only, reason, now_ms()).await?)
}
