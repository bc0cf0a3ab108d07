//! Persistent state: the node's redb database in its home.
//!
//! What is stored is public or the node's own: verified profiles (exactly the signed bytes received, so they
//! are re-verified on load and can be forwarded unchanged) and the reviewer's own profile draft and revision
//! counter. Secrets never enter the database; they live in the key store.
//!
//! A database that cannot be opened or read is reported and left alone: the node refuses to start rather
//! than replace state it could not read.

use std::path::{Path, PathBuf};

#[cfg(feature = "test-support")]
use crate::cases::rows::audit_key;
use crate::cases::rows::{CaseDisk, CaseRows, CaseTable, RowOp};
use redb::{Database, Durability, ReadableDatabase, ReadableTable, TableDefinition};
#[cfg(feature = "test-support")]
use samenloop_protocol::cases::ledger::CaseId;
use samenloop_protocol::{PeerId, Profile, SignedProfile};

/// PeerId bytes -> signed profile bytes.
const PROFILES: TableDefinition<&[u8], &[u8]> = TableDefinition::new("profiles");
/// Key -> value, for the node's own settings and state.
const META: TableDefinition<&str, &[u8]> = TableDefinition::new("meta");

/// Review requests this node made: request id -> sealed JSON of its state (see `vault`).
const REQUESTS: TableDefinition<&[u8], &[u8]> = TableDefinition::new("requests");
/// Referrals this node received: referral id -> sealed JSON of its state.
const REFERRALS: TableDefinition<&[u8], &[u8]> = TableDefinition::new("referrals");

/// Open calls for reviewers seen on the network: call id -> signed call (public by design).
const CALLS: TableDefinition<&[u8], &[u8]> = TableDefinition::new("calls");
/// Interests this reviewer sent: call id -> sealed JSON.
const INTERESTS: TableDefinition<&[u8], &[u8]> = TableDefinition::new("interests");

/// Case ledgers: case id (16) || op seq (8, big-endian) -> the signed operation, sealed with the vault
/// (membership is confidential metadata).
const CASE_LEDGER: TableDefinition<&[u8], &[u8]> = TableDefinition::new("case_ledger");
/// Sealed bundles: case (16) || document (1) || author (32) || seq (8) -> bundle bytes (encrypted under the
/// document's epoch key; stored exactly as received so they can be served and re-verified).
const CASE_BUNDLES: TableDefinition<&[u8], &[u8]> = TableDefinition::new("case_bundles");
/// Signed heads, same key as the bundle they cover.
const CASE_HEADS: TableDefinition<&[u8], &[u8]> = TableDefinition::new("case_heads");
/// The latest snapshot of each document: case (16) || document (1) -> sealed, signed snapshot.
const CASE_SNAPSHOTS: TableDefinition<&[u8], &[u8]> = TableDefinition::new("case_snapshots");

/// Audit entries of a case's members: case (16) || author (32) || seq (8, big-endian) -> the signed entry,
/// sealed with the vault.
const CASE_AUDIT: TableDefinition<&[u8], &[u8]> = TableDefinition::new("case_audit");
/// The node's signed checkpoint over a case's audit trail: case (16) -> sealed checkpoint. Written in the
/// same transaction as whatever grows the trail, so it always covers exactly what is stored.
const CASE_AUDIT_CHECKPOINTS: TableDefinition<&[u8], &[u8]> = TableDefinition::new("case_audit_checkpoints");

/// Destroyed cases: case id (16) -> the tombstone, sealed with the vault (see `cases::Tombstone`).
const CASE_TOMBSTONES: TableDefinition<&[u8], &[u8]> = TableDefinition::new("case_tombstones");

/// A table of confidential records, sealed with the node's vault before they reach the database.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Confidential {
    /// Review requests made by this node.
    Requests,
    /// Referrals received by this node.
    Referrals,
    /// Interests in calls sent by this node.
    Interests,
}

impl Confidential {
    fn table(self) -> TableDefinition<'static, &'static [u8], &'static [u8]> {
        match self {
            Confidential::Requests => REQUESTS,
            Confidential::Referrals => REFERRALS,
            Confidential::Interests => INTERESTS,
        }
    }

    /// The table's name, also bound into each sealed value.
    pub fn name(self) -> &'static str {
        match self {
            Confidential::Requests => "requests",
            Confidential::Referrals => "referrals",
            Confidential::Interests => "interests",
        }
    }
}

const OWN_DRAFT: &str = "own.profile.draft";
const OWN_SIGNED: &str = "own.profile.signed";
const OWN_REVISION: &str = "own.profile.revision";

/// Storage errors; `path` always names the database so the user knows which file is affected.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database file could not be opened (corrupt, locked by another node, unreadable).
    #[error("cannot open the database {path}: {detail}")]
    Open {
        /// The database file.
        path: PathBuf,
        /// What redb reported.
        detail: String,
    },
    /// A read or write failed (disk full, I/O error, corruption found while reading).
    #[error("database {path}: {detail}")]
    Access {
        /// The database file.
        path: PathBuf,
        /// What went wrong.
        detail: String,
    },
    /// A stored value does not decode; it is left in place, not overwritten.
    #[error("database {path}: stored {what} is unreadable: {detail}")]
    Corrupt {
        /// The database file.
        path: PathBuf,
        /// Which value.
        what: &'static str,
        /// Why.
        detail: String,
    },
}

/// A stored row: its key and value. For profiles: the PeerId bytes and the envelope exactly as received.
pub type StoredProfile = (Vec<u8>, Vec<u8>);

/// The node's database handle.
pub struct Store {
    db: Database,
    path: PathBuf,
}

impl Store {
    /// Opens (creating if absent) the database at `path`.
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        private_file(path).map_err(|e| StoreError::Open { path: path.to_path_buf(), detail: e.to_string() })?;
        let db =
            Database::create(path).map_err(|e| StoreError::Open { path: path.to_path_buf(), detail: e.to_string() })?;
        let store = Store { db, path: path.to_path_buf() };
        // Create the tables once so readers never meet a missing table.
        store.write(|txn| {
            txn.open_table(PROFILES)?;
            txn.open_table(META)?;
            txn.open_table(REQUESTS)?;
            txn.open_table(REFERRALS)?;
            txn.open_table(CALLS)?;
            txn.open_table(INTERESTS)?;
            txn.open_table(CASE_LEDGER)?;
            txn.open_table(CASE_BUNDLES)?;
            txn.open_table(CASE_HEADS)?;
            txn.open_table(CASE_SNAPSHOTS)?;
            txn.open_table(CASE_TOMBSTONES)?;
            txn.open_table(CASE_AUDIT)?;
            txn.open_table(CASE_AUDIT_CHECKPOINTS)?;
            Ok(())
        })?;
        Ok(store)
    }

    /// An error naming this database and a stored value that does not read (left in place).
    pub fn corrupt(&self, what: &'static str, detail: String) -> StoreError {
        StoreError::Corrupt { path: self.path.clone(), what, detail }
    }

    fn access(&self, e: impl std::fmt::Display) -> StoreError {
        StoreError::Access { path: self.path.clone(), detail: e.to_string() }
    }

    fn write(&self, f: impl FnOnce(&redb::WriteTransaction) -> Result<(), redb::Error>) -> Result<(), StoreError> {
        self.write_with(Durability::Immediate, f)
    }

    fn write_with(
        &self,
        durability: Durability,
        f: impl FnOnce(&redb::WriteTransaction) -> Result<(), redb::Error>,
    ) -> Result<(), StoreError> {
        let mut txn = self.db.begin_write().map_err(|e| self.access(e))?;
        txn.set_durability(durability).map_err(|e| self.access(e))?;
        f(&txn).map_err(|e| self.access(e))?;
        txn.commit().map_err(|e| self.access(e))
    }

    /// Every row of a bytes table, as owned (key, value) pairs.
    fn rows(&self, table: TableDefinition<&[u8], &[u8]>) -> Result<Vec<StoredProfile>, StoreError> {
        let txn = self.db.begin_read().map_err(|e| self.access(e))?;
        let t = txn.open_table(table).map_err(|e| self.access(e))?;
        let mut out = Vec::new();
        for row in t.iter().map_err(|e| self.access(e))? {
            let (k, v) = row.map_err(|e| self.access(e))?;
            out.push((k.value().to_vec(), v.value().to_vec()));
        }
        Ok(out)
    }

    /// Removes rows by key from a bytes table, in one transaction.
    fn remove_keys<K: AsRef<[u8]>>(&self, table: TableDefinition<&[u8], &[u8]>, keys: &[K]) -> Result<(), StoreError> {
        if keys.is_empty() {
            return Ok(());
        }
        self.write(|txn| {
            let mut t = txn.open_table(table)?;
            for k in keys {
                t.remove(k.as_ref())?;
            }
            Ok(())
        })
    }

    /// Stores (or replaces) a verified profile received from the network.
    ///
    /// Written without waiting for the disk: an fsync per received profile would stall the event loop, and a
    /// profile lost in a crash is fetched again from peers on the next start. [`Store::flush`] makes these
    /// writes durable; the node calls it periodically and at shutdown.
    pub fn put_profile(&self, profile: &SignedProfile) -> Result<(), StoreError> {
        self.write_with(Durability::None, |txn| {
            txn.open_table(PROFILES)?.insert(profile.peer().to_bytes().as_slice(), profile.bytes())?;
            Ok(())
        })
    }

    /// Stores a confidential record, sealed with `vault`; written durably (it cannot be fetched again).
    pub fn put_confidential<T: serde::Serialize>(
        &self,
        vault: &crate::vault::Vault,
        table: Confidential,
        key: &[u8],
        value: &T,
    ) -> Result<(), StoreError> {
        let plain = zeroize::Zeroizing::new(serde_json::to_vec(value).map_err(|e| self.access(e))?);
        let sealed = vault.seal(table.name(), key, &plain);
        self.write(|txn| {
            txn.open_table(table.table())?.insert(key, sealed.as_slice())?;
            Ok(())
        })
    }

    /// Every record of a confidential table, opened with `vault`. A record that does not open or decode is
    /// an error naming the table: it is reported and left in place, never silently dropped.
    pub fn confidential<T: serde::de::DeserializeOwned>(
        &self,
        vault: &crate::vault::Vault,
        table: Confidential,
    ) -> Result<Vec<T>, StoreError> {
        let corrupt = |detail: String| StoreError::Corrupt { path: self.path.clone(), what: table.name(), detail };
        let mut out = Vec::new();
        for (k, v) in self.rows(table.table())? {
            let plain = vault.open(table.name(), &k, &v).map_err(|e| corrupt(e.to_string()))?;
            out.push(serde_json::from_slice(&plain).map_err(|e| corrupt(e.to_string()))?);
        }
        Ok(out)
    }

    /// Stores a verified call (lazily, like received profiles: calls are re-announced by gossip).
    pub fn put_call(&self, id: &[u8], bytes: &[u8]) -> Result<(), StoreError> {
        self.write_with(Durability::None, |txn| {
            txn.open_table(CALLS)?.insert(id, bytes)?;
            Ok(())
        })
    }

    /// Removes calls (expired ones).
    pub fn remove_calls(&self, ids: &[Vec<u8>]) -> Result<(), StoreError> {
        self.remove_keys(CALLS, ids)
    }

    /// Every stored call's bytes.
    pub fn calls(&self) -> Result<Vec<Vec<u8>>, StoreError> {
        Ok(self.rows(CALLS)?.into_iter().map(|(_, v)| v).collect())
    }

    /// Makes every earlier write durable.
    pub fn flush(&self) -> Result<(), StoreError> {
        self.write(|_| Ok(()))
    }

    /// Removes profiles (expired ones).
    pub fn remove_profiles(&self, peers: &[PeerId]) -> Result<(), StoreError> {
        let keys: Vec<Vec<u8>> = peers.iter().map(|p| p.to_bytes()).collect();
        self.remove_keys(PROFILES, &keys)
    }

    /// Every stored profile, for re-verification at start-up.
    pub fn profiles(&self) -> Result<Vec<StoredProfile>, StoreError> {
        self.rows(PROFILES)
    }

    /// Removes profiles by their stored keys (ones that no longer verify).
    pub fn remove_profile_keys(&self, keys: &[Vec<u8>]) -> Result<(), StoreError> {
        self.remove_keys(PROFILES, keys)
    }

    fn meta(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        let txn = self.db.begin_read().map_err(|e| self.access(e))?;
        let table = txn.open_table(META).map_err(|e| self.access(e))?;
        Ok(table.get(key).map_err(|e| self.access(e))?.map(|v| v.value().to_vec()))
    }

    /// The reviewer's own profile content as last edited.
    pub fn own_draft(&self) -> Result<Option<Profile>, StoreError> {
        match self.meta(OWN_DRAFT)? {
            None => Ok(None),
            Some(bytes) => serde_json::from_slice(&bytes).map(Some).map_err(|e| StoreError::Corrupt {
                path: self.path.clone(),
                what: "own profile",
                detail: e.to_string(),
            }),
        }
    }

    /// The reviewer's last signed profile, if one was ever published.
    pub fn own_signed(&self) -> Result<Option<Vec<u8>>, StoreError> {
        self.meta(OWN_SIGNED)
    }

    /// The last revision number used for the reviewer's own profile.
    pub fn own_revision(&self) -> Result<u64, StoreError> {
        match self.meta(OWN_REVISION)? {
            None => Ok(0),
            Some(b) => b.as_slice().try_into().map(u64::from_le_bytes).map_err(|_| StoreError::Corrupt {
                path: self.path.clone(),
                what: "own profile revision",
                detail: format!("{} bytes instead of 8", b.len()),
            }),
        }
    }

    /// Saves the draft alone (at `init`, before anything is published).
    pub fn set_own_draft(&self, draft: &Profile) -> Result<(), StoreError> {
        let json = serde_json::to_vec(draft).map_err(|e| self.access(e))?;
        self.write(|txn| {
            txn.open_table(META)?.insert(OWN_DRAFT, json.as_slice())?;
            Ok(())
        })
    }

    /// Records a publication of the reviewer's own profile: draft, signed bytes and revision in one
    /// transaction, so a crash can never leave a revision number that was used but not recorded.
    pub fn set_own_published(&self, signed: &SignedProfile) -> Result<(), StoreError> {
        let json = serde_json::to_vec(signed.profile()).map_err(|e| self.access(e))?;
        self.write(|txn| {
            let mut t = txn.open_table(META)?;
            t.insert(OWN_DRAFT, json.as_slice())?;
            t.insert(OWN_SIGNED, signed.bytes())?;
            t.insert(OWN_REVISION, signed.revision().to_le_bytes().as_slice())?;
            txn.open_table(PROFILES)?.insert(signed.peer().to_bytes().as_slice(), signed.bytes())?;
            Ok(())
        })
    }

    // ---- cases ----------------------------------------------------------------------------------------

    /// Every row whose key starts with `prefix`, in key order.
    fn prefixed(&self, table: TableDefinition<&[u8], &[u8]>, prefix: &[u8]) -> Result<Vec<StoredProfile>, StoreError> {
        let txn = self.db.begin_read().map_err(|e| self.access(e))?;
        let t = txn.open_table(table).map_err(|e| self.access(e))?;
        let mut out = Vec::new();
        for row in t.range(prefix..).map_err(|e| self.access(e))? {
            let (k, v) = row.map_err(|e| self.access(e))?;
            if !k.value().starts_with(prefix) {
                break;
            }
            out.push((k.value().to_vec(), v.value().to_vec()));
        }
        Ok(out)
    }
}

impl CaseTable {
    fn definition(self) -> TableDefinition<'static, &'static [u8], &'static [u8]> {
        match self {
            CaseTable::Ledger => CASE_LEDGER,
            CaseTable::Bundles => CASE_BUNDLES,
            CaseTable::Heads => CASE_HEADS,
            CaseTable::Snapshots => CASE_SNAPSHOTS,
            CaseTable::Audit => CASE_AUDIT,
            CaseTable::AuditCheckpoints => CASE_AUDIT_CHECKPOINTS,
            CaseTable::Tombstones => CASE_TOMBSTONES,
        }
    }
}

impl CaseRows for Store {
    fn scan(&self, table: CaseTable, prefix: &[u8]) -> Result<Vec<StoredProfile>, StoreError> {
        self.prefixed(table.definition(), prefix)
    }

    fn get(&self, table: CaseTable, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        let txn = self.db.begin_read().map_err(|e| self.access(e))?;
        let t = txn.open_table(table.definition()).map_err(|e| self.access(e))?;
        Ok(t.get(key).map_err(|e| self.access(e))?.map(|v| v.value().to_vec()))
    }
}

impl CaseDisk for Store {
    /// One durable transaction for every write of an event; after a case's deletion the database is
    /// compacted, so the freed pages are reused rather than kept.
    fn commit(&mut self, ops: &[RowOp]) -> Result<(), StoreError> {
        if ops.is_empty() {
            return Ok(());
        }
        self.write(|txn| {
            // Each table is opened once; rows of different tables do not depend on each other's order.
            for table in CaseTable::ALL {
                let mut ops = ops.iter().filter(|op| op.table() == table).peekable();
                if ops.peek().is_none() {
                    continue;
                }
                let mut open = txn.open_table(table.definition())?;
                for op in ops {
                    match op {
                        RowOp::Put { key, value, .. } => {
                            open.insert(key.as_slice(), value.as_slice())?;
                        }
                        RowOp::Delete { from, to, .. } => {
                            open.retain_in(from.as_slice()..to.as_slice(), |_, _| false)?;
                        }
                    }
                }
            }
            Ok(())
        })?;
        if ops.iter().any(RowOp::ends_a_case) {
            // Compaction is best effort: a failure leaves a larger file, never lost data.
            let _ = self.db.compact();
        }
        Ok(())
    }
}

/// Makes the database file readable by its owner only (0600): created so before redb first writes it, and
/// an older home's file narrowed. Everything in it is sealed, but its size and shape are nobody else's.
fn private_file(path: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
        match std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(path) {
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                let mode = std::fs::metadata(path)?.permissions().mode();
                if mode & 0o077 != 0 {
                    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode & 0o700))?;
                }
            }
            Err(e) => return Err(e),
        }
    }
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
}

impl Store {
    /// Deletes one stored audit entry: how tests act as someone cutting entries off the trail.
    #[cfg(feature = "test-support")]
    pub fn remove_audit_entry(&self, case: &CaseId, author: &[u8; 32], seq: u64) -> Result<(), StoreError> {
        self.write(|txn| {
            txn.open_table(CASE_AUDIT)?.remove(audit_key(case, author, seq).as_slice())?;
            Ok(())
        })
    }

    /// Overwrites one stored audit entry without touching the checkpoint: how tests act as someone
    /// rewriting the trail (holding the vault, so the sealing itself is intact).
    #[cfg(feature = "test-support")]
    pub fn replace_audit_entry(
        &self,
        case: &CaseId,
        author: &[u8; 32],
        seq: u64,
        sealed: &[u8],
    ) -> Result<(), StoreError> {
        self.write(|txn| {
            txn.open_table(CASE_AUDIT)?.insert(audit_key(case, author, seq).as_slice(), sealed)?;
            Ok(())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(unix)]
    #[test]
    fn the_database_file_is_readable_by_its_owner_only() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().expect("a temporary directory");
        let path = dir.path().join("state.redb");
        let mode = |p: &Path| std::fs::metadata(p).expect("metadata").permissions().mode() & 0o777;
        let case = samenloop_protocol::cases::ledger::CaseId([7; 16]);
        {
            let mut store = Store::open(&path).expect("a new store opens");
            store.commit(&crate::cases::rows::write::tombstone(&case, vec![1, 2, 3])).expect("commit");
        }
        assert_eq!(mode(&path), 0o600, "created 0600");
        // An older home's file, made before this rule, is narrowed on open and keeps what it held.
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).expect("chmod");
        let store = Store::open(&path).expect("the store opens again");
        assert_eq!(mode(&path), 0o600, "narrowed to 0600");
        assert_eq!(store.tombstones().expect("read"), vec![(case.0.to_vec(), vec![1, 2, 3])]);
    }
}
