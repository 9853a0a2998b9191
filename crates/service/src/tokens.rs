//! Personal API tokens: shown once, stored as a hash, acting with the
//! rights of their owner.

use crate::audit::{Entry, record};
use crate::secrets::{random_token, sha256_hex};
use crate::{RequestMeta, Result, ServiceError, Tandem, now_ms};
use serde_json::json;
use tandem_domain::{Actor, ApiTokenId, Email, ValidationError};
use tandem_store::tokens::{self, ApiToken};
use tandem_store::users;

/// Every token starts with this, so secret scanners can recognise a leak.
pub const TOKEN_PREFIX: &str = "tdm_";

impl Tandem {
    /// Create a token for the actor. The secret is returned once and never again.
    pub async fn create_token(
        &self,
        actor: &Actor,
        name: &str,
        meta: &RequestMeta,
    ) -> Result<(ApiToken, String)> {
        let name = name.trim();
        if name.is_empty() || name.chars().count() > 100 || name.chars().any(char::is_control) {
            return Err(ValidationError::new("name", "must be 1-100 printable characters").into());
        }
        let secret = format!("{TOKEN_PREFIX}{}", random_token());
        let token = ApiToken {
            id: ApiTokenId::new(),
            user_id: actor.user_id,
            name: name.to_owned(),
            prefix: secret.chars().take(TOKEN_PREFIX.len() + 6).collect(),
            created_at: now_ms(),
            last_used_at: None,
            revoked_at: None,
        };
        let mut tx = self.db.begin().await?;
        tokens::insert(&mut tx, &token, &sha256_hex(&secret)).await?;
        record(
            &mut tx,
            Some(actor),
            "",
            meta,
            Entry {
                org: Some(actor.org_id),
                action: "token.create",
                object_type: "api_token",
                object_id: token.id.to_string(),
                change: json!({ "name": token.name, "prefix": token.prefix }),
            },
        )
        .await?;
        tx.commit().await?;
        Ok((token, secret))
    }

    /// The actor's own tokens.
    pub async fn list_tokens(&self, actor: &Actor) -> Result<Vec<ApiToken>> {
        Ok(tokens::list_for_user(&self.db, actor.user_id).await?)
    }

    /// Revoke one of the actor's own tokens; it stops working at once.
    pub async fn revoke_token(
        &self,
        actor: &Actor,
        id: ApiTokenId,
        meta: &RequestMeta,
    ) -> Result<()> {
        let mut tx = self.db.begin().await?;
        tokens::revoke(&mut tx, actor.user_id, id, now_ms()).await?;
        record(
            &mut tx,
            Some(actor),
            "",
            meta,
            Entry {
                org: Some(actor.org_id),
                action: "token.revoke",
                object_type: "api_token",
                object_id: id.to_string(),
                change: json!({}),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Operator command: create a token for the user with this e-mail.
    pub async fn create_token_for_email(
        &self,
        email: &str,
        name: &str,
        meta: &RequestMeta,
    ) -> Result<(ApiToken, String)> {
        let email = Email::parse(email)?;
        let u = users::find_by_email_for_sign_in(&self.db, email.as_str())
            .await?
            .filter(|u| u.active)
            .ok_or(ServiceError::NotFound)?;
        self.create_token(&crate::auth::actor_of(&u), name, meta)
            .await
    }
}
