//! Files on tickets and comments: stored in the database, shown by the
//! name they came with, served only as downloads.

use crate::audit::{Entry, record};
use crate::desk::{Visibility, event};
use crate::{RequestMeta, Result, ServiceError, Tandem, now_ms};
use serde_json::json;
use tandem_domain::policy::Action;
use tandem_domain::{Actor, Role, TicketId, ValidationError};
use tandem_store::attachments::{self, Attachment};
use tandem_store::tickets;

/// A file being attached.
#[derive(Debug)]
pub struct Upload {
    /// The name it came with.
    pub filename: String,
    /// The declared type.
    pub content_type: String,
    /// The bytes.
    pub bytes: Vec<u8>,
    /// Who may see it.
    pub visibility: Visibility,
}

/// The display name of an upload: the last path component, printable,
/// at most 200 characters. It is never used to build a path.
pub fn display_name(raw: &str) -> Result<String> {
    let last = raw.rsplit(['/', '\\']).next().unwrap_or("");
    let clean: String = last.chars().filter(|c| !c.is_control()).take(200).collect();
    let clean = clean.trim().trim_start_matches('.').to_owned();
    if clean.is_empty() {
        return Err(ValidationError::new("filename", "needs a name").into());
    }
    Ok(clean)
}

fn content_type_of(raw: &str) -> String {
    let t = raw.trim();
    let ok = !t.is_empty()
        && t.len() <= 100
        && t.contains('/')
        && t.chars().all(|c| c.is_ascii_graphic() || c == ' ');
    if ok {
        t.to_owned()
    } else {
        "application/octet-stream".to_owned()
    }
}

impl Tandem {
    /// Attach a file to a ticket; a timeline entry announces it with the
    /// same visibility.
    pub async fn attach(
        &self,
        actor: &Actor,
        ticket: TicketId,
        up: Upload,
        meta: &RequestMeta,
    ) -> Result<Attachment> {
        if up.bytes.len() > self.settings.attachment_max_bytes {
            return Err(ServiceError::TooLarge {
                limit: self.settings.attachment_max_bytes,
            });
        }
        if up.bytes.is_empty() {
            return Err(ValidationError::new("file", "is empty").into());
        }
        let filename = display_name(&up.filename)?;
        let content_type = content_type_of(&up.content_type);
        let now = now_ms();
        let mut tx = self.db.begin().await?;
        let t = tickets::find_tx(
            &mut tx,
            &actor.scope(),
            actor.role == Role::Requester,
            ticket,
        )
        .await?;
        self.authorize(actor, Action::CommentTickets, t.client_id)
            .await?;
        if up.visibility == Visibility::Team && !actor.role.is_staff() {
            return Err(ServiceError::Forbidden);
        }
        let id = uuid::Uuid::now_v7().to_string();
        let e = event(
            &mut tx,
            now,
            &t,
            Some(actor),
            "attachment",
            up.visibility,
            &filename,
            json!({ "attachment_id": id, "size": up.bytes.len(), "content_type": content_type }),
        )
        .await?;
        let visibility = if up.visibility == Visibility::Public {
            "public"
        } else {
            "team"
        };
        attachments::insert(
            &mut tx,
            &id,
            t.id,
            t.client_id,
            e.id,
            visibility,
            &filename,
            &content_type,
            &up.bytes,
            actor.user_id,
            now,
        )
        .await?;
        record(&mut tx, Some(actor), "", meta, Entry {
            org: Some(t.client_id),
            action: "ticket.attachment",
            object_type: "attachment",
            object_id: id.clone(),
            change: json!({ "ticket_id": t.id, "filename": filename, "size": up.bytes.len(), "visibility": visibility }),
        })
        .await?;
        tx.commit().await?;
        Ok(attachments::find(&self.db, &id).await?)
    }

    /// A ticket's attachments the actor may see.
    pub async fn attachments(&self, actor: &Actor, ticket: TicketId) -> Result<Vec<Attachment>> {
        let requester = actor.role == Role::Requester;
        let t = tickets::find(&self.db, &actor.scope(), requester, ticket).await?;
        self.authorize(actor, Action::ViewTickets, t.client_id)
            .await?;
        Ok(attachments::list_for_ticket(&self.db, ticket, requester).await?)
    }

    /// An attachment and its bytes, if the actor may see its ticket (and,
    /// for a requester, if it is public).
    pub async fn attachment(&self, actor: &Actor, id: &str) -> Result<(Attachment, Vec<u8>)> {
        let a = attachments::find(&self.db, id).await?;
        let requester = actor.role == Role::Requester;
        let ticket: TicketId = a.ticket_id.parse().map_err(|_| ServiceError::NotFound)?;
        let t = tickets::find(&self.db, &actor.scope(), requester, ticket).await?;
        self.authorize(actor, Action::ViewTickets, t.client_id)
            .await?;
        if requester && a.visibility != "public" {
            return Err(ServiceError::NotFound);
        }
        let bytes = attachments::content(&self.db, id).await?;
        Ok((a, bytes))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_never_carry_a_path() {
        assert_eq!(display_name("../../etc/passwd").ok(), Some("passwd".into()));
        assert_eq!(
            display_name("C:\\Users\\a\\report.pdf").ok(),
            Some("report.pdf".into())
        );
        assert_eq!(display_name(".htaccess").ok(), Some("htaccess".into()));
        assert!(display_name("dir/").is_err());
        assert_eq!(display_name("a\u{0}b.txt").ok(), Some("ab.txt".into()));
        assert_eq!(
            content_type_of("text/html\r\nX: y"),
            "application/octet-stream"
        );
    }
}
