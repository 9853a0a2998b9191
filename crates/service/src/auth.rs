//! Sign-in, sessions, TOTP and password changes.

use crate::audit::{Entry, record};
use crate::secrets::{random_bytes, random_token, sha256_hex};
use crate::{PasswordCost, RequestMeta, Result, ServiceError, Tandem, now_ms};
use argon2::{Argon2, PasswordHasher, PasswordVerifier};
use serde_json::json;
use std::sync::OnceLock;
use tandem_domain::{Actor, Email, Password, UserId, totp};
use tandem_store::sessions::Session;
use tandem_store::users::User;
use tandem_store::{login_failures, orgs, sessions, tokens, users};

/// Hash a password with argon2id, off the async threads.
pub async fn hash_password(password: &Password, cost: PasswordCost) -> Result<String> {
    let pw = password.expose().to_owned();
    let params = argon2::Params::new(cost.memory_kib, cost.iterations, 1, None)
        .map_err(|e| ServiceError::Internal(e.to_string()))?;
    tokio::task::spawn_blocking(move || {
        Argon2::from(params)
            .hash_password(pw.as_bytes())
            .map(|h| h.to_string())
            .map_err(|e| ServiceError::Internal(e.to_string()))
    })
    .await
    .map_err(|e| ServiceError::Internal(e.to_string()))?
}

pub(crate) async fn password_matches(password: &str, hash: &str) -> bool {
    let (pw, hash) = (password.to_owned(), hash.to_owned());
    tokio::task::spawn_blocking(move || {
        Argon2::default()
            .verify_password(pw.as_bytes(), hash.as_str())
            .is_ok()
    })
    .await
    .unwrap_or(false)
}

/// A hash to verify against when the account does not exist, so that an
/// unknown e-mail costs the same time as a wrong password.
async fn decoy_hash(cost: PasswordCost) -> &'static str {
    static DECOY: OnceLock<String> = OnceLock::new();
    if let Some(h) = DECOY.get() {
        return h;
    }
    let pw = Password::parse(&random_token()).ok();
    let h = match pw {
        Some(p) => hash_password(&p, cost).await.unwrap_or_default(),
        None => String::new(),
    };
    DECOY.get_or_init(|| h)
}

/// A session just issued: the cookie value is shown to the browser once and
/// stored only as a hash.
#[derive(Debug)]
pub struct NewSession {
    /// The cookie value.
    pub cookie: String,
    /// The CSRF token for this session's forms.
    pub csrf_token: String,
    /// The second factor is still awaited.
    pub awaiting_totp: bool,
    /// The user must enrol TOTP before going further (the organization requires it).
    pub must_enrol_totp: bool,
}

/// The signed-in actor of a live session.
#[derive(Debug, Clone)]
pub struct SessionActor {
    /// Who.
    pub actor: Actor,
    /// Their display name.
    pub name: String,
    /// The session's CSRF token.
    pub csrf_token: String,
    /// The hash that identifies the session.
    pub session_hash: String,
    /// Password accepted, second factor awaited.
    pub awaiting_totp: bool,
    /// Whether the user has TOTP set up.
    pub totp_enabled: bool,
}

/// The actor a user record stands for.
pub fn actor_of(u: &User) -> Actor {
    Actor {
        user_id: u.id,
        org_id: u.org_id,
        role: u.role,
        email: u.email.clone(),
        name: u.name.clone(),
    }
}

impl Tandem {
    async fn open_session(
        &self,
        tx: &mut tandem_store::Tx,
        user: UserId,
        awaiting_totp: bool,
    ) -> Result<NewSession> {
        let cookie = random_token();
        let csrf_token = random_token();
        let now = now_ms();
        sessions::insert(
            tx,
            &Session {
                id_hash: sha256_hex(&cookie),
                user_id: user,
                csrf_token: csrf_token.clone(),
                awaiting_totp,
                created_at: now,
                last_seen_at: now,
            },
        )
        .await?;
        Ok(NewSession {
            cookie,
            csrf_token,
            awaiting_totp,
            must_enrol_totp: false,
        })
    }

    fn retry_after(&self, oldest: Option<i64>, now: i64) -> u64 {
        let window = self.settings.login_window_minutes * 60_000;
        let until = oldest.unwrap_or(now) + window;
        u64::try_from(((until - now) / 1000).max(1)).unwrap_or(1)
    }

    /// Refuse when the account or the address has failed too often lately.
    pub(crate) async fn check_login_limits(&self, account: &str, addr: &str) -> Result<()> {
        let now = now_ms();
        let since = now - self.settings.login_window_minutes * 60_000;
        let ((n_acc, oldest_acc), (n_addr, oldest_addr)) =
            login_failures::recent(&self.db, account, addr, since).await?;
        if n_acc >= self.settings.login_max_failures_per_account {
            return Err(ServiceError::RateLimited {
                retry_after_secs: self.retry_after(oldest_acc, now),
            });
        }
        if n_addr >= self.settings.login_max_failures_per_addr {
            return Err(ServiceError::RateLimited {
                retry_after_secs: self.retry_after(oldest_addr, now),
            });
        }
        Ok(())
    }

    pub(crate) async fn record_failure(
        &self,
        account: &str,
        user: Option<&User>,
        reason: &str,
        meta: &RequestMeta,
    ) -> Result<()> {
        let mut tx = self.db.begin().await?;
        login_failures::record(&mut tx, account, &meta.source_addr, now_ms()).await?;
        record(
            &mut tx,
            None,
            account,
            meta,
            Entry {
                org: user.map(|u| u.org_id),
                action: "session.sign_in_failed",
                object_type: "user",
                object_id: user.map_or_else(String::new, |u| u.id.to_string()),
                change: json!({ "reason": reason }),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Check e-mail and password and open a session. The answer for an
    /// unknown account and a wrong password is the same, and costs the same.
    pub async fn sign_in(
        &self,
        email: &str,
        password: &str,
        meta: &RequestMeta,
    ) -> Result<NewSession> {
        let account = Email::parse(email)
            .map(|e| e.as_str().to_owned())
            .unwrap_or_else(|_| email.trim().to_lowercase());
        self.check_login_limits(&account, &meta.source_addr).await?;
        let user = users::find_by_email_for_sign_in(&self.db, &account).await?;
        let hash = match &user {
            Some(u) => u.password_hash.clone(),
            None => decoy_hash(self.settings.password_cost).await.to_owned(),
        };
        let ok = password_matches(password, &hash).await;
        let user = match user {
            Some(u) if ok && u.active => u,
            other => {
                let reason = match &other {
                    None => "unknown account",
                    Some(u) if !u.active => "account deactivated",
                    Some(_) => "wrong password",
                };
                self.record_failure(&account, other.as_ref(), reason, meta)
                    .await?;
                return Err(ServiceError::Unauthenticated);
            }
        };
        let org = orgs::get_unscoped(&self.db, user.org_id).await?;
        let must_enrol = org.require_totp && user.role.is_staff() && !user.totp_enabled;
        let awaiting = user.totp_enabled || must_enrol;
        let actor = actor_of(&user);
        let mut tx = self.db.begin().await?;
        login_failures::clear_account(&mut tx, &account).await?;
        let mut s = self.open_session(&mut tx, user.id, awaiting).await?;
        s.must_enrol_totp = must_enrol;
        record(
            &mut tx,
            Some(&actor),
            "",
            meta,
            Entry {
                org: Some(user.org_id),
                action: if awaiting { "session.password_accepted" } else { "session.sign_in" },
                object_type: "user",
                object_id: user.id.to_string(),
                change: json!({ "second_factor": if awaiting { "pending" } else { "not required" } }),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(s)
    }

    /// The actor of a live session cookie; touches the session at most once a minute.
    pub async fn resolve_session(&self, cookie: &str) -> Result<SessionActor> {
        let now = now_ms();
        let hash = sha256_hex(cookie);
        let idle_since = now - self.settings.session_idle_minutes * 60_000;
        let created_since = now - self.settings.session_absolute_hours * 3_600_000;
        let s = sessions::find_live(&self.db, &hash, idle_since, created_since)
            .await?
            .ok_or(ServiceError::Unauthenticated)?;
        let u = users::get_for_actor(&self.db, s.user_id).await?;
        if !u.active {
            return Err(ServiceError::Unauthenticated);
        }
        if now - s.last_seen_at > 60_000 {
            let mut tx = self.db.begin().await?;
            sessions::touch(&mut tx, &hash, now).await?;
            tx.commit().await?;
        }
        Ok(SessionActor {
            actor: actor_of(&u),
            name: u.name,
            csrf_token: s.csrf_token,
            session_hash: s.id_hash,
            awaiting_totp: s.awaiting_totp,
            totp_enabled: u.totp_enabled,
        })
    }

    /// End a session.
    pub async fn sign_out(&self, s: &SessionActor, meta: &RequestMeta) -> Result<()> {
        let mut tx = self.db.begin().await?;
        sessions::delete(&mut tx, &s.session_hash).await?;
        record(
            &mut tx,
            Some(&s.actor),
            "",
            meta,
            Entry {
                org: Some(s.actor.org_id),
                action: "session.sign_out",
                object_type: "user",
                object_id: s.actor.user_id.to_string(),
                change: json!({}),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Finish a sign-in with a TOTP code; the session id changes.
    pub async fn complete_totp(
        &self,
        s: &SessionActor,
        code: &str,
        meta: &RequestMeta,
    ) -> Result<NewSession> {
        self.check_login_limits(&s.actor.email, &meta.source_addr)
            .await?;
        let u = users::get_for_actor(&self.db, s.actor.user_id).await?;
        let secret = match (&u.totp_secret, u.totp_enabled) {
            (Some(sec), true) => decode_secret(sec)?,
            _ => return Err(ServiceError::Forbidden),
        };
        let now_step = totp::step_at(now_ms() / 1000);
        let mut tx = self.db.begin().await?;
        let accepted = match totp::verify(&secret, code, now_step, u.totp_last_step) {
            Some(step) => users::advance_totp_step(&mut tx, u.id, step).await?,
            None => false,
        };
        if !accepted {
            drop(tx);
            self.record_failure(&u.email, Some(&u), "wrong or reused TOTP code", meta)
                .await?;
            return Err(ServiceError::Unauthenticated);
        }
        sessions::delete(&mut tx, &s.session_hash).await?;
        let fresh = self.open_session(&mut tx, u.id, false).await?;
        record(
            &mut tx,
            Some(&s.actor),
            "",
            meta,
            Entry {
                org: Some(u.org_id),
                action: "session.sign_in",
                object_type: "user",
                object_id: u.id.to_string(),
                change: json!({ "second_factor": "totp" }),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(fresh)
    }

    /// Start TOTP enrolment: a new secret, pending until confirmed with a
    /// code. Returns the base32 secret and the `otpauth://` URI (shown once).
    pub async fn begin_totp_enrolment(&self, s: &SessionActor) -> Result<(String, String)> {
        let secret = data_encoding::BASE32_NOPAD.encode(&random_bytes::<20>());
        let u = users::get_for_actor(&self.db, s.actor.user_id).await?;
        if u.totp_enabled {
            return Err(ServiceError::Conflict("TOTP is already set up".into()));
        }
        let mut tx = self.db.begin().await?;
        users::set_totp(&mut tx, u.id, Some(&secret), false, None).await?;
        tx.commit().await?;
        let uri = totp::provisioning_uri("Tandem", &u.email, &secret);
        Ok((secret, uri))
    }

    /// Confirm enrolment with a first code. A session that was waiting for
    /// the second factor is replaced by a full one.
    pub async fn confirm_totp_enrolment(
        &self,
        s: &SessionActor,
        code: &str,
        meta: &RequestMeta,
    ) -> Result<Option<NewSession>> {
        self.check_login_limits(&s.actor.email, &meta.source_addr)
            .await?;
        let u = users::get_for_actor(&self.db, s.actor.user_id).await?;
        let (Some(sec), false) = (&u.totp_secret, u.totp_enabled) else {
            return Err(ServiceError::Conflict(
                "no TOTP enrolment is pending".into(),
            ));
        };
        let secret = decode_secret(sec)?;
        let Some(step) = totp::verify(&secret, code, totp::step_at(now_ms() / 1000), None) else {
            self.record_failure(&u.email, Some(&u), "wrong TOTP code at enrolment", meta)
                .await?;
            return Err(ServiceError::Invalid(tandem_domain::ValidationError::new(
                "code",
                "does not match; check the clock of your device",
            )));
        };
        let mut tx = self.db.begin().await?;
        users::set_totp(&mut tx, u.id, Some(sec), true, Some(step)).await?;
        let fresh = if s.awaiting_totp {
            sessions::delete(&mut tx, &s.session_hash).await?;
            Some(self.open_session(&mut tx, u.id, false).await?)
        } else {
            None
        };
        record(
            &mut tx,
            Some(&s.actor),
            "",
            meta,
            Entry {
                org: Some(u.org_id),
                action: "user.totp_enrolled",
                object_type: "user",
                object_id: u.id.to_string(),
                change: json!({ "totp_enabled": true }),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(fresh)
    }

    /// Change one's own password: every session of the user ends, and a
    /// fresh one is issued for the browser that made the change.
    pub async fn change_password(
        &self,
        s: &SessionActor,
        current: &str,
        new: &str,
        meta: &RequestMeta,
    ) -> Result<NewSession> {
        let new = Password::parse(new)?;
        let u = users::get_for_actor(&self.db, s.actor.user_id).await?;
        if !password_matches(current, &u.password_hash).await {
            self.record_failure(&u.email, Some(&u), "wrong current password", meta)
                .await?;
            return Err(ServiceError::Invalid(tandem_domain::ValidationError::new(
                "current_password",
                "is not your current password",
            )));
        }
        let hash = hash_password(&new, self.settings.password_cost).await?;
        let mut tx = self.db.begin().await?;
        users::set_password_hash(&mut tx, u.id, &hash, now_ms()).await?;
        sessions::delete_for_user(&mut tx, u.id).await?;
        let fresh = self.open_session(&mut tx, u.id, false).await?;
        record(
            &mut tx,
            Some(&s.actor),
            "",
            meta,
            Entry {
                org: Some(u.org_id),
                action: "user.password_changed",
                object_type: "user",
                object_id: u.id.to_string(),
                change: json!({ "sessions_ended": "all" }),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(fresh)
    }

    /// The actor behind a bearer token, if it is live and its user active.
    pub async fn resolve_token(&self, secret: &str) -> Result<Actor> {
        let t = tokens::holder_by_hash(&self.db, &sha256_hex(secret))
            .await?
            .ok_or(ServiceError::Unauthenticated)?;
        let u = t.user;
        if !u.active {
            return Err(ServiceError::Unauthenticated);
        }
        let now = now_ms();
        if t.last_used_at.is_none_or(|at| now - at > 60_000) {
            let mut tx = self.db.begin().await?;
            tokens::touch(&mut tx, t.token_id, now).await?;
            tx.commit().await?;
        }
        Ok(actor_of(&u))
    }

    /// Drop expired sessions, old sign-in failures and idempotency keys
    /// past their day (run periodically).
    pub async fn purge_expired(&self) -> Result<()> {
        let now = now_ms();
        let mut tx = self.db.begin().await?;
        sessions::purge_expired(
            &mut tx,
            now - self.settings.session_idle_minutes * 60_000,
            now - self.settings.session_absolute_hours * 3_600_000,
        )
        .await?;
        login_failures::purge_before(&mut tx, now - self.settings.login_window_minutes * 60_000)
            .await?;
        tandem_store::idempotency::purge_before(&mut tx, now - crate::idempotency::KEPT_FOR_MS)
            .await?;
        tx.commit().await?;
        Ok(())
    }
}

pub(crate) fn decode_secret(b32: &str) -> Result<Vec<u8>> {
    data_encoding::BASE32_NOPAD
        .decode(b32.as_bytes())
        .map_err(|e| ServiceError::Internal(e.to_string()))
}
