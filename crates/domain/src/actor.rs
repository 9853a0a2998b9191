//! Who is acting: the side, the organization and the role of the person
//! behind a request, resolved once per request.

use crate::ids::{OrgId, UserId};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// The two sides of a co-managed arrangement.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Side {
    /// The outside provider (MSP).
    Provider,
    /// The client company with its in-house IT team and end users.
    Client,
}

impl Side {
    /// Stable text form, as stored and shown in the API.
    pub fn as_str(self) -> &'static str {
        match self {
            Side::Provider => "provider",
            Side::Client => "client",
        }
    }
}

impl FromStr for Side {
    type Err = UnknownValue;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "provider" => Ok(Side::Provider),
            "client" => Ok(Side::Client),
            _ => Err(UnknownValue(s.to_owned())),
        }
    }
}

/// A text that names no known role or side.
#[derive(Debug, thiserror::Error)]
#[error("unknown value {0:?}")]
pub struct UnknownValue(pub String);

/// The six roles. Each belongs to exactly one side.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Runs the provider: its staff and its engagements.
    ProviderAdmin,
    /// A named engineer who works the clients they are assigned to.
    ProviderEngineer,
    /// The client's IT manager: users, roles, and the last word.
    ClientAdmin,
    /// An in-house technician.
    ClientTechnician,
    /// Leadership: reads everything of the client, changes nothing.
    ClientViewer,
    /// An end user who opens and follows their own tickets.
    Requester,
}

impl Role {
    /// Every role, in the order the UI lists them.
    pub const ALL: [Role; 6] = [
        Role::ProviderAdmin,
        Role::ProviderEngineer,
        Role::ClientAdmin,
        Role::ClientTechnician,
        Role::ClientViewer,
        Role::Requester,
    ];

    /// The side a role belongs to.
    pub fn side(self) -> Side {
        match self {
            Role::ProviderAdmin | Role::ProviderEngineer => Side::Provider,
            _ => Side::Client,
        }
    }

    /// Stable text form, as stored and shown in the API.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::ProviderAdmin => "provider_admin",
            Role::ProviderEngineer => "provider_engineer",
            Role::ClientAdmin => "client_admin",
            Role::ClientTechnician => "client_technician",
            Role::ClientViewer => "client_viewer",
            Role::Requester => "requester",
        }
    }

    /// The words a person reads.
    pub fn label(self) -> &'static str {
        match self {
            Role::ProviderAdmin => "Provider admin",
            Role::ProviderEngineer => "Provider engineer",
            Role::ClientAdmin => "Client admin",
            Role::ClientTechnician => "Technician",
            Role::ClientViewer => "Viewer (read-only)",
            Role::Requester => "Requester",
        }
    }

    /// IT staff of either side, as opposed to end users.
    pub fn is_staff(self) -> bool {
        self != Role::Requester
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl TryFrom<String> for Role {
    type Error = UnknownValue;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

impl TryFrom<String> for Side {
    type Error = UnknownValue;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

impl FromStr for Role {
    type Err = UnknownValue;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Role::ALL
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or_else(|| UnknownValue(s.to_owned()))
    }
}

/// The person behind a request, as the policy and the store see them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Actor {
    /// The signed-in user.
    pub user_id: UserId,
    /// Their organization (the provider, or their client).
    pub org_id: OrgId,
    /// Their role; the side follows from it.
    pub role: Role,
    /// Their e-mail, kept for audit entries.
    pub email: String,
    /// Their display name (shown as the requester of what they open).
    pub name: String,
}

impl Actor {
    /// The side the actor works for.
    pub fn side(&self) -> Side {
        self.role.side()
    }

    /// The tenant scope every store call is made with.
    pub fn scope(&self) -> Scope {
        Scope {
            user_id: self.user_id,
            org_id: self.org_id,
            side: self.side(),
        }
    }
}

/// What the store filters by. For client staff it is their own client; for
/// provider staff, the clients of active engagements they are assigned to,
/// looked up by the store at query time so that ending an engagement takes
/// effect on the very next request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Scope {
    /// The acting user.
    pub user_id: UserId,
    /// The acting user's organization.
    pub org_id: OrgId,
    /// The acting user's side.
    pub side: Side,
}
