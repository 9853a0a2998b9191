//! The client's device inventory: add, change, retire, list, count per
//! class on a day, and import a CSV file all-or-nothing. Both IT teams keep
//! it; the client's viewers read it; requesters never learn of it.

use crate::audit::{Entry, record};
use crate::{RequestMeta, Result, ServiceError, Tandem, now_ms};
use jiff::civil::Date;
use serde_json::json;
use std::collections::HashMap;
use tandem_domain::device::{
    DeviceCounts, DeviceSpec, DeviceStatus, IMPORT_MAX_BYTES, ImportRefusal, RowProblem, name_key,
    parse_import,
};
use tandem_domain::policy::{self, Action, Relation};
use tandem_domain::{Actor, DeviceId, OrgId, Side, ValidationError};
use tandem_store::StoreError;
use tandem_store::devices::{self, Device};
use tandem_store::orgs::Org;

/// A change to one device; absent fields stay as they are.
#[derive(Clone, Debug, Default)]
pub struct DeviceChange {
    /// A new name.
    pub name: Option<String>,
    /// A new class.
    pub class: Option<tandem_domain::device::DeviceClass>,
    /// A new status. Back to active without a `retired_on` clears the
    /// retirement date.
    pub status: Option<DeviceStatus>,
    /// A new acquisition date, or `Some(None)` to forget it.
    pub acquired_on: Option<Option<Date>>,
    /// A new retirement date, or `Some(None)` to clear it.
    pub retired_on: Option<Option<Date>>,
}

/// What an import did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct ImportCounts {
    /// Rows whose name was new: devices added.
    pub added: usize,
    /// Rows naming a device that differed: devices changed to match.
    pub changed: usize,
    /// Rows that matched their device already.
    pub unchanged: usize,
}

/// Why an import stored nothing.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// Rows break the rules; each is named.
    #[error("{total} rows of the file are refused")]
    Refused {
        /// The first problems, in file order.
        problems: Vec<RowProblem>,
        /// How many there are in all.
        total: usize,
    },
    /// Anything else: access, the file as a whole, the store.
    #[error(transparent)]
    Service(#[from] ServiceError),
}

impl From<StoreError> for ImportError {
    fn from(e: StoreError) -> Self {
        ImportError::Service(e.into())
    }
}

/// The validated form of a stored device.
pub fn spec_of(d: &Device) -> Result<DeviceSpec> {
    let date = |s: &Option<String>| -> Result<Option<Date>> {
        s.as_deref()
            .map(|s| s.parse::<Date>())
            .transpose()
            .map_err(|e| ServiceError::Internal(format!("stored date: {e}")))
    };
    Ok(DeviceSpec::new(
        &d.name,
        d.class,
        d.status,
        date(&d.acquired_on)?,
        date(&d.retired_on)?,
    )?)
}

/// Copy a spec's fields onto a stored device.
fn apply(d: &mut Device, s: &DeviceSpec) {
    d.name = s.name().to_owned();
    d.class = s.class();
    d.status = s.status();
    d.acquired_on = s.acquired_on().map(|x| x.to_string());
    d.retired_on = s.retired_on().map(|x| x.to_string());
}

/// The fields an audit entry records of a device.
fn fields(d: &Device) -> serde_json::Value {
    json!({ "name": d.name, "class": d.class, "status": d.status, "acquired_on": d.acquired_on, "retired_on": d.retired_on })
}

impl Tandem {
    /// The client whose inventory `actor` wants to reach with `action`:
    /// found within their scope, and a client (the provider keeps none).
    async fn inventory_client(&self, actor: &Actor, action: Action, client: OrgId) -> Result<Org> {
        let (found, relation) = self.client_relation(actor, client).await?;
        crate::decided(policy::decide_inventory(actor.role, action, relation))?;
        found
            .filter(|o| o.kind == Side::Client)
            .ok_or(ServiceError::NotFound)
    }

    /// One device `actor` may reach with `action`; the engagement is looked
    /// up now, so access that ends ends for a device reached by id too.
    async fn device_in_reach(&self, actor: &Actor, action: Action, id: DeviceId) -> Result<Device> {
        let d = devices::get(&self.db, &actor.scope(), id).await?;
        let relation = if d.client_id == actor.org_id {
            Relation::Own
        } else {
            Relation::Engaged
        };
        crate::decided(policy::decide_inventory(actor.role, action, relation))?;
        Ok(d)
    }

    /// A client's devices, in name order.
    pub async fn devices(&self, actor: &Actor, client: OrgId) -> Result<Vec<Device>> {
        self.inventory_client(actor, Action::ViewDevices, client)
            .await?;
        Ok(devices::list(&self.db, &actor.scope(), client).await?)
    }

    /// Whether `actor` may change the client's inventory (pages show the
    /// forms only then); a client out of reach is not found.
    pub async fn may_manage_devices(&self, actor: &Actor, client: OrgId) -> Result<bool> {
        match self
            .inventory_client(actor, Action::ManageDevices, client)
            .await
        {
            Ok(_) => Ok(true),
            Err(ServiceError::Forbidden) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// One device.
    pub async fn device(&self, actor: &Actor, id: DeviceId) -> Result<Device> {
        self.device_in_reach(actor, Action::ViewDevices, id).await
    }

    /// How many of a client's devices of each class count on `on` (see
    /// [`tandem_domain::device`] for the rule).
    pub async fn device_counts(
        &self,
        actor: &Actor,
        client: OrgId,
        on: Date,
    ) -> Result<DeviceCounts> {
        self.inventory_client(actor, Action::ViewDevices, client)
            .await?;
        Ok(devices::count_active(&self.db, client, on).await?)
    }

    /// Add a device; a name the client has already (in any case) is a conflict.
    pub async fn add_device(
        &self,
        actor: &Actor,
        client: OrgId,
        spec: &DeviceSpec,
        meta: &RequestMeta,
    ) -> Result<Device> {
        self.inventory_client(actor, Action::ManageDevices, client)
            .await?;
        let now = now_ms();
        let mut d = Device {
            id: DeviceId::new(),
            client_id: client,
            name: String::new(),
            class: spec.class(),
            status: spec.status(),
            acquired_on: None,
            retired_on: None,
            version: 1,
            created_at: now,
            updated_at: now,
            created_by: Some(actor.user_id.to_string()),
        };
        apply(&mut d, spec);
        let mut tx = self.db.begin().await?;
        devices::insert(&mut tx, &d)
            .await
            .map_err(|e| name_taken(e, spec.name()))?;
        record(
            &mut tx,
            Some(actor),
            "",
            meta,
            Entry {
                org: Some(client),
                action: "device.add",
                object_type: "device",
                object_id: d.id.to_string(),
                change: fields(&d),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(d)
    }

    /// Change a device made on `version` (a later version is
    /// [`ServiceError::Stale`]); the result must satisfy every rule.
    pub async fn change_device(
        &self,
        actor: &Actor,
        id: DeviceId,
        version: i64,
        change: &DeviceChange,
        meta: &RequestMeta,
    ) -> Result<Device> {
        let current = self
            .device_in_reach(actor, Action::ManageDevices, id)
            .await?;
        if current.version != version {
            return Err(ServiceError::Stale {
                current_version: current.version,
            });
        }
        let was = spec_of(&current)?;
        let status = change.status.unwrap_or(was.status());
        let retired_on = match (change.retired_on, change.status) {
            (Some(r), _) => r,
            (None, Some(DeviceStatus::Active)) => None,
            (None, _) => was.retired_on(),
        };
        let spec = DeviceSpec::new(
            change.name.as_deref().unwrap_or(was.name()),
            change.class.unwrap_or(was.class()),
            status,
            change.acquired_on.unwrap_or(was.acquired_on()),
            retired_on,
        )?;
        if spec == was {
            return Ok(current);
        }
        let mut d = current.clone();
        apply(&mut d, &spec);
        d.updated_at = now_ms();
        let mut tx = self.db.begin().await?;
        let written = devices::update(&mut tx, &d, version)
            .await
            .map_err(|e| name_taken(e, spec.name()))?;
        if !written {
            drop(tx);
            let now = devices::get(&self.db, &actor.scope(), id).await?;
            return Err(ServiceError::Stale {
                current_version: now.version,
            });
        }
        let action =
            if was.status() == DeviceStatus::Active && spec.status() == DeviceStatus::Retired {
                "device.retire"
            } else {
                "device.change"
            };
        record(
            &mut tx,
            Some(actor),
            "",
            meta,
            Entry {
                org: Some(d.client_id),
                action,
                object_type: "device",
                object_id: id.to_string(),
                change: json!({ "before": fields(&current), "after": fields(&d) }),
            },
        )
        .await?;
        tx.commit().await?;
        d.version = version + 1;
        Ok(d)
    }

    /// Retire a device as of `on` (a change made on `version`).
    pub async fn retire_device(
        &self,
        actor: &Actor,
        id: DeviceId,
        version: i64,
        on: Date,
        meta: &RequestMeta,
    ) -> Result<Device> {
        let change = DeviceChange {
            status: Some(DeviceStatus::Retired),
            retired_on: Some(Some(on)),
            ..DeviceChange::default()
        };
        self.change_device(actor, id, version, &change, meta).await
    }

    /// Import a CSV file of devices (see [`parse_import`] for its shape):
    /// all or nothing. A row whose name the client has already (in any
    /// case) makes that device match the row; other rows add devices;
    /// devices the file does not name stay as they are. Importing the same
    /// file twice changes nothing the second time. One audit entry records
    /// the counts.
    pub async fn import_devices(
        &self,
        actor: &Actor,
        client: OrgId,
        file: &[u8],
        meta: &RequestMeta,
    ) -> std::result::Result<ImportCounts, ImportError> {
        self.inventory_client(actor, Action::ManageDevices, client)
            .await?;
        if file.len() > IMPORT_MAX_BYTES {
            return Err(ServiceError::TooLarge {
                limit: IMPORT_MAX_BYTES,
            }
            .into());
        }
        let text = std::str::from_utf8(file).map_err(|_| {
            ServiceError::from(ValidationError::new(
                "file",
                "is not UTF-8 text; save it as CSV UTF-8",
            ))
        })?;
        let rows = parse_import(text).map_err(|r| match r {
            ImportRefusal::File(e) => ImportError::Service(e.into()),
            ImportRefusal::Rows { problems, total } => ImportError::Refused { problems, total },
        })?;
        let now = now_ms();
        let mut counts = ImportCounts::default();
        let mut tx = self.db.begin().await?;
        let mut existing: HashMap<String, Device> = devices::in_client_tx(&mut tx, client)
            .await?
            .into_iter()
            .map(|d| (name_key(&d.name), d))
            .collect();
        for row in &rows {
            match existing.remove(&name_key(row.spec.name())) {
                Some(current) => {
                    if spec_of(&current)? == row.spec {
                        counts.unchanged += 1;
                        continue;
                    }
                    let mut d = current.clone();
                    apply(&mut d, &row.spec);
                    d.updated_at = now;
                    if !devices::update(&mut tx, &d, current.version).await? {
                        return Err(changed_meanwhile().into());
                    }
                    counts.changed += 1;
                }
                None => {
                    let mut d = Device {
                        id: DeviceId::new(),
                        client_id: client,
                        name: String::new(),
                        class: row.spec.class(),
                        status: row.spec.status(),
                        acquired_on: None,
                        retired_on: None,
                        version: 1,
                        created_at: now,
                        updated_at: now,
                        created_by: Some(actor.user_id.to_string()),
                    };
                    apply(&mut d, &row.spec);
                    devices::insert(&mut tx, &d).await.map_err(|e| match e {
                        StoreError::Conflict => changed_meanwhile(),
                        other => other.into(),
                    })?;
                    counts.added += 1;
                }
            }
        }
        // One entry for the whole file, even when it changed nothing: who
        // loaded what into the inventory is worth knowing either way.
        record(&mut tx, Some(actor), "", meta, Entry {
            org: Some(client),
            action: "device.import",
            object_type: "client",
            object_id: client.to_string(),
            change: json!({ "rows": rows.len(), "added": counts.added, "changed": counts.changed, "unchanged": counts.unchanged }),
        })
        .await?;
        tx.commit().await?;
        Ok(counts)
    }
}

/// A unique-name conflict in words.
fn name_taken(e: StoreError, name: &str) -> ServiceError {
    match e {
        StoreError::Conflict => {
            ServiceError::Conflict(format!("the client has a device named {name:?} already"))
        }
        other => other.into(),
    }
}

fn changed_meanwhile() -> ServiceError {
    ServiceError::Conflict(
        "the inventory changed while the file was read; nothing was stored, import it again".into(),
    )
}
