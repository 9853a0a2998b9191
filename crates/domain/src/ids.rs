//! Typed identifiers. Each aggregate has its own newtype so that a user id
//! can never be passed where an organization id is expected.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;
use uuid::Uuid;

macro_rules! typed_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, utoipa::ToSchema)]
        #[serde(transparent)]
        pub struct $name(pub Uuid);

        impl $name {
            /// A fresh, time-ordered (UUIDv7) id.
            pub fn new() -> Self {
                Self(Uuid::now_v7())
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        impl TryFrom<String> for $name {
            type Error = uuid::Error;
            fn try_from(s: String) -> Result<Self, Self::Error> {
                s.parse()
            }
        }

        impl FromStr for $name {
            type Err = uuid::Error;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Uuid::parse_str(s).map(Self)
            }
        }
    };
}

typed_id!(
    /// An organization: the provider (MSP) or one of its clients.
    OrgId
);
typed_id!(
    /// A person who signs in, on either side.
    UserId
);
typed_id!(
    /// The working relationship between one provider and one client.
    EngagementId
);
typed_id!(
    /// A personal API token (its secret is never stored, only a hash).
    ApiTokenId
);
typed_id!(
    /// A ticket (its human number, ACME-1042, is a separate per-client sequence).
    TicketId
);
typed_id!(
    /// An in-app notification.
    NotificationId
);
typed_id!(
    /// A device in a client's inventory.
    DeviceId
);
typed_id!(
    /// A relation of an asset to another asset, a page, a ticket or a secret.
    AssetLinkId
);
typed_id!(
    /// A custom field a client's admin defined for one type of asset.
    AssetFieldId
);
typed_id!(
    /// A monitoring source that sends a client's alerts (its key is never
    /// stored, only a hash).
    AlertSourceId
);
typed_id!(
    /// A client's maintenance window: alerts inside it open no ticket.
    MaintenanceWindowId
);
typed_id!(
    /// An outgoing webhook endpoint of one side of a client (its signing
    /// secret is shown once, at creation).
    WebhookId
);
typed_id!(
    /// A page of a client's shared documentation.
    PageId
);
typed_id!(
    /// A credential kept in a client's vault (its value is stored only
    /// encrypted, under the client's data key).
    VaultSecretId
);
typed_id!(
    /// Someone who revealed a client's credentials and then lost access
    /// to the client: the reason their secrets should be rotated.
    VaultDepartureId
);
