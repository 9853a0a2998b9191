//! Pure rules of Tandem: typed ids, who is who, what they may do, and the
//! audit chain. No I/O and no async live here, so every rule can be tested
//! without a database or a server.

pub mod actor;
pub mod alert;
pub mod alert_control;
pub mod asset;
pub mod audit;
pub mod billing;
pub mod calendar;
pub mod csv;
pub mod device;
pub mod document;
pub mod duty;
pub mod ids;
pub mod money;
pub mod policy;
pub mod quote;
pub mod sla;
pub mod split;
pub mod text;
pub mod ticket;
pub mod totp;
pub mod vault;
pub mod webhook;

pub use actor::{Actor, Role, Scope, Side};
pub use ids::{
    AlertSourceId, ApiTokenId, DeviceId, EngagementId, MaintenanceWindowId, NotificationId, OrgId,
    PageId, TicketId, UserId, WebhookId,
};
pub use text::{Email, OrgName, Password, PersonName, Slug, ValidationError};
