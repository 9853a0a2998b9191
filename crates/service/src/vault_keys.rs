//! The vault's keys: the master keys in their file, each client's data
//! key wrapped by one of them, and sealing with XChaCha20-Poly1305.
//!
//! The master key file holds one key per line, `tandem-master-key-v1 <id>
//! <base64>`; the last line is the key new data keys are wrapped with. A
//! rotation appends a new key, rewraps every data key to it while the
//! server keeps running, then removes the old line. A server that meets a
//! data key wrapped by a key it does not hold reads the file again, so
//! one started before, during or after a rotation reads every secret.
//!
//! Every ciphertext is bound to where it belongs by its associated data:
//! a data key to its client, a secret to its client, its id and its field.
//! A row copied to another client, or a secret pasted into another
//! secret's row, does not decrypt.

use crate::secrets::random_bytes;
use chacha20poly1305::aead::{Aead, Payload};
use chacha20poly1305::{Key, KeyInit, XChaCha20Poly1305, XNonce};
use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::{OnceLock, RwLock};
use tandem_domain::OrgId;
use tandem_domain::ids::VaultSecretId;
use zeroize::Zeroizing;

/// What a line of the key file starts with.
const LINE_TAG: &str = "tandem-master-key-v1";
/// The nonce length of XChaCha20-Poly1305.
const NONCE_LEN: usize = 24;

/// Why the master key file cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum KeyFileError {
    /// Reading or writing it failed.
    #[error("master key file {path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// What the system said.
        source: std::io::Error,
    },
    /// Others than its owner may read or write it.
    #[error(
        "master key file {path} has permissions {mode:o}; it must be readable by its owner only: chmod 600 {path}"
    )]
    TooOpen {
        /// The file.
        path: String,
        /// Its permission bits.
        mode: u32,
    },
    /// Its content is not a list of master keys.
    #[error("master key file {path} is malformed at line {line}: {why}")]
    Malformed {
        /// The file.
        path: String,
        /// The line at fault (1-based).
        line: usize,
        /// What is wrong with it.
        why: &'static str,
    },
}

/// One master key.
struct MasterKey {
    id: String,
    key: Zeroizing<[u8; 32]>,
}

/// Where the master keys come from.
#[derive(Debug)]
enum Source {
    /// A file, read again when a key is missing.
    File(PathBuf),
    /// One random key held by this process only (tests and tools that
    /// keep nothing): secrets sealed under it die with the process.
    Ephemeral,
}

/// The master keys a process holds.
pub struct Keyring {
    source: Source,
    /// Oldest first; the last is the current key.
    keys: RwLock<Vec<MasterKey>>,
}

impl std::fmt::Debug for Keyring {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Keyring")
            .field("source", &self.source)
            .finish_non_exhaustive()
    }
}

/// Sealing or opening failed: a missing master key, or data that is not
/// what it claims to be (tampered with, or moved from elsewhere).
#[derive(Debug, thiserror::Error)]
pub enum SealError {
    /// The data key is wrapped by a master key this process cannot find.
    #[error("the master key {0:?} is not in the master key file")]
    UnknownMasterKey(String),
    /// Authentication failed or the stored form is damaged.
    #[error("a vault ciphertext does not open")]
    Corrupt,
}

impl Keyring {
    /// The master keys in `path`. A missing file is created with one new
    /// key, readable by its owner only; a file others may read, or one
    /// that is not a key list, is refused.
    pub fn open_file(path: &Path) -> Result<Self, KeyFileError> {
        if !path.exists() {
            let key = new_key();
            write_new_file(path, &[key])?;
        }
        let keys = read_file(path)?;
        Ok(Self {
            source: Source::File(path.to_owned()),
            keys: RwLock::new(keys),
        })
    }

    /// One random key for this process alone, shared by every keyring made
    /// here: what tests and tools that store nothing lasting run with.
    pub fn ephemeral() -> Self {
        static KEY: OnceLock<[u8; 32]> = OnceLock::new();
        let key = *KEY.get_or_init(random_bytes::<32>);
        Self {
            source: Source::Ephemeral,
            keys: RwLock::new(vec![MasterKey {
                id: "ephemeral".into(),
                key: Zeroizing::new(key),
            }]),
        }
    }

    /// The file the keys come from, if any.
    pub fn file(&self) -> Option<&Path> {
        match &self.source {
            Source::File(p) => Some(p),
            Source::Ephemeral => None,
        }
    }

    /// The ids of the keys held, oldest first (the last is current).
    pub fn key_ids(&self) -> Vec<String> {
        self.keys
            .read()
            .map(|k| k.iter().map(|m| m.id.clone()).collect())
            .unwrap_or_default()
    }

    /// Read the file again (a rotation may have added or retired a key).
    /// Keys read before and no longer in the file are kept in memory:
    /// data keys rewrapped meanwhile are found under the new one anyway.
    pub fn reload(&self) -> Result<(), KeyFileError> {
        let Source::File(path) = &self.source else {
            return Ok(());
        };
        let fresh = read_file(path)?;
        if let Ok(mut keys) = self.keys.write() {
            let mut merged: Vec<MasterKey> = keys
                .drain(..)
                .filter(|old| !fresh.iter().any(|f| f.id == old.id))
                .collect();
            merged.extend(fresh);
            *keys = merged;
        }
        Ok(())
    }

    /// Wrap a new data key for `client` under the current master key
    /// (read from the file just now, so a rotation that finished since
    /// start-up is honoured). Gives the master key's id and the wrapping.
    pub(crate) fn wrap(
        &self,
        client: OrgId,
        data_key: &[u8; 32],
    ) -> Result<(String, String), SealError> {
        // A file that cannot be read now keeps the keys read before.
        let _ = self.reload();
        let keys = self.keys.read().map_err(|_| SealError::Corrupt)?;
        let current = keys.last().ok_or(SealError::Corrupt)?;
        let sealed = seal(&current.key, data_key, &data_key_ad(client, &current.id))?;
        Ok((current.id.clone(), sealed))
    }

    /// Unwrap `client`'s data key wrapped by master key `id`; a key not
    /// held makes the file be read again once.
    pub(crate) fn unwrap(
        &self,
        client: OrgId,
        id: &str,
        wrapped: &str,
    ) -> Result<Zeroizing<[u8; 32]>, SealError> {
        if !self.holds(id) {
            let _ = self.reload();
        }
        let keys = self.keys.read().map_err(|_| SealError::Corrupt)?;
        let master = keys
            .iter()
            .find(|k| k.id == id)
            .ok_or_else(|| SealError::UnknownMasterKey(id.to_owned()))?;
        let plain = open(&master.key, wrapped, &data_key_ad(client, id))?;
        let bytes: [u8; 32] = plain
            .as_slice()
            .try_into()
            .map_err(|_| SealError::Corrupt)?;
        Ok(Zeroizing::new(bytes))
    }

    fn holds(&self, id: &str) -> bool {
        self.keys
            .read()
            .map(|k| k.iter().any(|m| m.id == id))
            .unwrap_or(false)
    }

    /// The current master key's id.
    pub fn current_id(&self) -> Option<String> {
        self.keys.read().ok()?.last().map(|k| k.id.clone())
    }
}

/// A fresh random data key for a client.
pub(crate) fn new_data_key() -> Zeroizing<[u8; 32]> {
    Zeroizing::new(random_bytes::<32>())
}

/// What binds a wrapped data key to its client and master key.
fn data_key_ad(client: OrgId, master_id: &str) -> Vec<u8> {
    format!("tandem-vault/data-key/{client}/{master_id}").into_bytes()
}

/// What binds a field of a secret to its client, its id and its field.
pub(crate) fn secret_ad(client: OrgId, secret: VaultSecretId, field: &str) -> Vec<u8> {
    format!("tandem-vault/secret/{client}/{secret}/{field}").into_bytes()
}

/// Seal `plain` under `key` with a random nonce: base64 of nonce and
/// ciphertext.
pub(crate) fn seal(key: &[u8; 32], plain: &[u8], ad: &[u8]) -> Result<String, SealError> {
    let cipher = XChaCha20Poly1305::new(&Key::from(*key));
    let nonce_bytes = random_bytes::<NONCE_LEN>();
    let nonce = XNonce::from(nonce_bytes);
    let ct = cipher
        .encrypt(
            &nonce,
            Payload {
                msg: plain,
                aad: ad,
            },
        )
        .map_err(|_| SealError::Corrupt)?;
    let mut out = Vec::with_capacity(NONCE_LEN + ct.len());
    out.extend_from_slice(&nonce_bytes);
    out.extend_from_slice(&ct);
    Ok(data_encoding::BASE64.encode(&out))
}

/// Open what [`seal`] made with the same key and associated data.
pub(crate) fn open(
    key: &[u8; 32],
    sealed: &str,
    ad: &[u8],
) -> Result<Zeroizing<Vec<u8>>, SealError> {
    let raw = data_encoding::BASE64
        .decode(sealed.as_bytes())
        .map_err(|_| SealError::Corrupt)?;
    if raw.len() < NONCE_LEN {
        return Err(SealError::Corrupt);
    }
    let (nonce, ct) = raw.split_at(NONCE_LEN);
    let nonce: [u8; NONCE_LEN] = nonce.try_into().map_err(|_| SealError::Corrupt)?;
    let cipher = XChaCha20Poly1305::new(&Key::from(*key));
    cipher
        .decrypt(&XNonce::from(nonce), Payload { msg: ct, aad: ad })
        .map(Zeroizing::new)
        .map_err(|_| SealError::Corrupt)
}

fn new_key() -> MasterKey {
    let stamp = jiff::Timestamp::now().strftime("%Y%m%d").to_string();
    let tail = data_encoding::HEXLOWER.encode(&random_bytes::<4>());
    MasterKey {
        id: format!("mk-{stamp}-{tail}"),
        key: Zeroizing::new(random_bytes::<32>()),
    }
}

fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> KeyFileError + '_ {
    move |source| KeyFileError::Io {
        path: path.display().to_string(),
        source,
    }
}

/// Read and check the key file: owner-only permissions, and nothing but
/// comments, blank lines and well-formed keys with distinct ids.
fn read_file(path: &Path) -> Result<Vec<MasterKey>, KeyFileError> {
    let shown = path.display().to_string();
    let meta = std::fs::metadata(path).map_err(io_err(path))?;
    let mode = meta.permissions().mode() & 0o777;
    if mode & 0o077 != 0 {
        return Err(KeyFileError::TooOpen { path: shown, mode });
    }
    let text = Zeroizing::new(std::fs::read_to_string(path).map_err(io_err(path))?);
    let mut keys: Vec<MasterKey> = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let bad = |why| KeyFileError::Malformed {
            path: shown.clone(),
            line: i + 1,
            why,
        };
        let mut parts = line.split_whitespace();
        let (Some(tag), Some(id), Some(b64), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(bad("expected `tandem-master-key-v1 <id> <base64 key>`"));
        };
        if tag != LINE_TAG {
            return Err(bad("unknown key format"));
        }
        if keys.iter().any(|k| k.id == id) {
            return Err(bad("the same key id twice"));
        }
        let raw = Zeroizing::new(
            data_encoding::BASE64
                .decode(b64.as_bytes())
                .map_err(|_| bad("the key is not base64"))?,
        );
        let key: [u8; 32] = raw
            .as_slice()
            .try_into()
            .map_err(|_| bad("the key is not 32 bytes"))?;
        keys.push(MasterKey {
            id: id.to_owned(),
            key: Zeroizing::new(key),
        });
    }
    if keys.is_empty() {
        return Err(KeyFileError::Malformed {
            path: shown,
            line: 0,
            why: "it holds no key",
        });
    }
    Ok(keys)
}

fn file_text(keys: &[MasterKey]) -> Zeroizing<String> {
    let mut out = Zeroizing::new(String::from(
        "# Tandem vault master keys: back this file up apart from the database.\n\
         # Without it the vault's secrets cannot be read by anyone. The last key is current.\n",
    ));
    for k in keys {
        out.push_str(&format!(
            "{LINE_TAG} {} {}\n",
            k.id,
            data_encoding::BASE64.encode(k.key.as_slice())
        ));
    }
    out
}

/// Write a key file that must not exist yet, owner-only from the start.
fn write_new_file(path: &Path, keys: &[MasterKey]) -> Result<(), KeyFileError> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(io_err(path))?;
    }
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .map_err(io_err(path))?;
    f.write_all(file_text(keys).as_bytes())
        .and_then(|()| f.sync_all())
        .map_err(io_err(path))
}

/// Replace the key file with `keys`, atomically (a new file renamed over
/// the old one), so a server reading it sees the old list or the new one.
fn replace_file(path: &Path, keys: &[MasterKey]) -> Result<(), KeyFileError> {
    let tmp = path.with_extension(format!(
        "tmp-{}",
        data_encoding::HEXLOWER.encode(&random_bytes::<4>())
    ));
    write_new_file(&tmp, keys)?;
    std::fs::rename(&tmp, path).map_err(io_err(path))?;
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        // The rename itself must survive a power cut.
        if let Ok(d) = std::fs::File::open(dir) {
            let _ = d.sync_all();
        }
    }
    Ok(())
}

impl Keyring {
    /// Start a rotation: append a new key to the file, which becomes the
    /// current one. Gives its id.
    pub fn add_key(&self) -> Result<String, KeyFileError> {
        let path = self.file_path()?;
        let mut keys = read_file(&path)?;
        let key = new_key();
        let id = key.id.clone();
        keys.push(key);
        replace_file(&path, &keys)?;
        self.reload()?;
        Ok(id)
    }

    /// Finish a rotation: keep only the key `keep` in the file (this
    /// process keeps the others in memory, to rewrap stragglers).
    pub fn retire_all_but(&self, keep: &str) -> Result<(), KeyFileError> {
        let path = self.file_path()?;
        let keys: Vec<MasterKey> = read_file(&path)?
            .into_iter()
            .filter(|k| k.id == keep)
            .collect();
        if keys.is_empty() {
            return Err(KeyFileError::Malformed {
                path: path.display().to_string(),
                line: 0,
                why: "the new key is missing",
            });
        }
        replace_file(&path, &keys)
    }

    fn file_path(&self) -> Result<PathBuf, KeyFileError> {
        self.file()
            .map(Path::to_owned)
            .ok_or_else(|| KeyFileError::Malformed {
                path: "(none)".into(),
                line: 0,
                why: "this process holds an in-memory key only; name a key file",
            })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("tandem-keys-{}", uuid::Uuid::now_v7()));
        std::fs::create_dir_all(&dir).unwrap();
        dir.join(name)
    }

    #[test]
    fn sealing_round_trips_and_is_bound_to_its_place() {
        let key = random_bytes::<32>();
        let (a, b) = (OrgId::new(), OrgId::new());
        let id = VaultSecretId::new();
        let sealed = seal(&key, b"hunter2", &secret_ad(a, id, "secret")).unwrap();
        assert!(!sealed.contains("hunter2"));
        let back = open(&key, &sealed, &secret_ad(a, id, "secret")).unwrap();
        assert_eq!(back.as_slice(), b"hunter2");
        assert!(
            open(&key, &sealed, &secret_ad(b, id, "secret")).is_err(),
            "another client"
        );
        assert!(open(&key, &sealed, &secret_ad(a, VaultSecretId::new(), "secret")).is_err());
        assert!(
            open(&key, &sealed, &secret_ad(a, id, "notes")).is_err(),
            "another field"
        );
    }

    #[test]
    fn a_new_key_file_is_owner_only_and_a_wider_one_is_refused() {
        let path = scratch("master.key");
        let ring = Keyring::open_file(&path).unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        assert_eq!(ring.key_ids().len(), 1);
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        let e = Keyring::open_file(&path).unwrap_err();
        assert!(matches!(e, KeyFileError::TooOpen { .. }), "{e}");
        assert!(e.to_string().contains("chmod 600"));
    }

    #[test]
    fn a_malformed_key_file_is_refused_without_printing_it() {
        let path = scratch("bad.key");
        std::fs::write(&path, "tandem-master-key-v1 k1 c2hvcnQ=\n").unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        let e = Keyring::open_file(&path).unwrap_err();
        assert!(e.to_string().contains("not 32 bytes"), "{e}");
        assert!(!e.to_string().contains("c2hvcnQ"));
        std::fs::write(&path, "hello\n").unwrap();
        assert!(Keyring::open_file(&path).is_err());
    }

    #[test]
    fn a_data_key_opens_for_its_client_only_and_after_a_reload() {
        let path = scratch("master.key");
        let ring = Keyring::open_file(&path).unwrap();
        let client = OrgId::new();
        let dk = new_data_key();
        let (mid, wrapped) = ring.wrap(client, &dk).unwrap();
        assert_eq!(
            ring.unwrap(client, &mid, &wrapped).unwrap().as_slice(),
            dk.as_slice()
        );
        assert!(ring.unwrap(OrgId::new(), &mid, &wrapped).is_err());
        // Another process rotates: this one finds the new key in the file.
        let other = Keyring::open_file(&path).unwrap();
        let new_id = other.add_key().unwrap();
        let (mid2, wrapped2) = other.wrap(client, &dk).unwrap();
        assert_eq!(mid2, new_id);
        other.retire_all_but(&new_id).unwrap();
        assert_eq!(
            ring.unwrap(client, &mid2, &wrapped2).unwrap().as_slice(),
            dk.as_slice()
        );
    }
}
