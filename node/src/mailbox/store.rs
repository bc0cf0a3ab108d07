//! The mailbox's own database, `mailbox.redb` in the home: inbox ids, item numbers, expiry times and padded
//! ciphertext, and nothing else (no peer id, case id or document name is ever written here; the test
//! suite searches the file for them).
//!
//! Every deposit is committed durably before it is acknowledged, so a mailbox that restarts loses nothing
//! it said it holds.

use std::path::{Path, PathBuf};

use redb::{Database, Durability, ReadableDatabase, ReadableTable, TableDefinition};
use samenloop_protocol::UnixTime;
use samenloop_protocol::mailbox::{InboxId, StoredItem};

/// inbox (32) || item number (8, big-endian) -> expiry (8, LE) || padded item.
const ITEMS: TableDefinition<&[u8], &[u8]> = TableDefinition::new("mail_items");
/// inbox (32) -> registration expiry (8, LE) || bytes held (8, LE).
const INBOXES: TableDefinition<&[u8], &[u8]> = TableDefinition::new("mail_inboxes");
/// "next" -> the next item number; "held" -> bytes held in all.
const COUNTERS: TableDefinition<&str, u64> = TableDefinition::new("mail_counters");

/// A mailbox storage failure, naming the file.
#[derive(Debug, thiserror::Error)]
#[error("mailbox database {path}: {detail}")]
pub struct MailStoreError {
    path: PathBuf,
    detail: String,
}

/// What is known of a registered inbox.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct InboxState {
    pub until: UnixTime,
    pub held: u64,
}

/// The mailbox database.
pub(crate) struct MailStore {
    db: Database,
    path: PathBuf,
}

fn item_key(inbox: &InboxId, id: u64) -> [u8; 40] {
    let mut k = [0u8; 40];
    k[..32].copy_from_slice(&inbox.0);
    k[32..].copy_from_slice(&id.to_be_bytes());
    k
}

fn u64_at(b: &[u8], at: usize) -> u64 {
    b.get(at..at + 8).and_then(|s| s.try_into().ok()).map(u64::from_le_bytes).unwrap_or(0)
}

fn inbox_value(s: InboxState) -> [u8; 16] {
    let mut v = [0u8; 16];
    v[..8].copy_from_slice(&s.until.0.to_le_bytes());
    v[8..].copy_from_slice(&s.held.to_le_bytes());
    v
}

impl MailStore {
    /// Opens (creating if absent) the mailbox database; created owner-only.
    pub(crate) fn open(path: &Path) -> Result<MailStore, MailStoreError> {
        let err = |e: &dyn std::fmt::Display| MailStoreError { path: path.to_path_buf(), detail: e.to_string() };
        if !path.exists() {
            // An empty file is a new database to redb; made owner-only before anything is written.
            let mut options = std::fs::OpenOptions::new();
            options.write(true).create_new(true);
            #[cfg(unix)]
            std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
            options.open(path).map_err(|e| err(&e))?;
        }
        let db = Database::create(path).map_err(|e| err(&e))?;
        let store = MailStore { db, path: path.to_path_buf() };
        store.write(|txn| {
            txn.open_table(ITEMS)?;
            txn.open_table(INBOXES)?;
            txn.open_table(COUNTERS)?;
            Ok(())
        })?;
        Ok(store)
    }

    fn err(&self, e: impl std::fmt::Display) -> MailStoreError {
        MailStoreError { path: self.path.clone(), detail: e.to_string() }
    }

    fn write<T>(&self, f: impl FnOnce(&redb::WriteTransaction) -> Result<T, redb::Error>) -> Result<T, MailStoreError> {
        let mut txn = self.db.begin_write().map_err(|e| self.err(e))?;
        txn.set_durability(Durability::Immediate).map_err(|e| self.err(e))?;
        let out = f(&txn).map_err(|e| self.err(e))?;
        txn.commit().map_err(|e| self.err(e))?;
        Ok(out)
    }

    /// Registers (or renews) inboxes until `until`; returns how many are registered by this call.
    pub(crate) fn register(&self, inboxes: &[InboxId], until: UnixTime) -> Result<u32, MailStoreError> {
        self.write(|txn| {
            let mut t = txn.open_table(INBOXES)?;
            for inbox in inboxes {
                let held = t.get(inbox.0.as_slice())?.map(|v| u64_at(v.value(), 8)).unwrap_or(0);
                t.insert(inbox.0.as_slice(), inbox_value(InboxState { until, held }).as_slice())?;
            }
            Ok(inboxes.len() as u32)
        })
    }

    /// The registration of `inbox`, if any.
    pub(crate) fn inbox(&self, inbox: &InboxId) -> Result<Option<InboxState>, MailStoreError> {
        let txn = self.db.begin_read().map_err(|e| self.err(e))?;
        let t = txn.open_table(INBOXES).map_err(|e| self.err(e))?;
        let v = t.get(inbox.0.as_slice()).map_err(|e| self.err(e))?;
        Ok(v.map(|v| InboxState { until: UnixTime(u64_at(v.value(), 0)), held: u64_at(v.value(), 8) }))
    }

    /// Bytes held in all.
    pub(crate) fn held(&self) -> Result<u64, MailStoreError> {
        let txn = self.db.begin_read().map_err(|e| self.err(e))?;
        let t = txn.open_table(COUNTERS).map_err(|e| self.err(e))?;
        Ok(t.get("held").map_err(|e| self.err(e))?.map(|v| v.value()).unwrap_or(0))
    }

    /// Holds `item` for `inbox` until `until`, durably; returns its number.
    pub(crate) fn deposit(&self, inbox: &InboxId, item: &[u8], until: UnixTime) -> Result<u64, MailStoreError> {
        self.write(|txn| {
            let mut counters = txn.open_table(COUNTERS)?;
            let id = counters.get("next")?.map(|v| v.value()).unwrap_or(1);
            let held = counters.get("held")?.map(|v| v.value()).unwrap_or(0);
            counters.insert("next", id + 1)?;
            counters.insert("held", held + item.len() as u64)?;
            let mut value = Vec::with_capacity(8 + item.len());
            value.extend_from_slice(&until.0.to_le_bytes());
            value.extend_from_slice(item);
            txn.open_table(ITEMS)?.insert(item_key(inbox, id).as_slice(), value.as_slice())?;
            let mut inboxes = txn.open_table(INBOXES)?;
            let state = inboxes.get(inbox.0.as_slice())?.map(|v| v.value().to_vec());
            if let Some(v) = state {
                let s = InboxState { until: UnixTime(u64_at(&v, 0)), held: u64_at(&v, 8) + item.len() as u64 };
                inboxes.insert(inbox.0.as_slice(), inbox_value(s).as_slice())?;
            }
            Ok(id)
        })
    }

    /// Items held for `inboxes` numbered above `after`, oldest first, up to about `page_bytes` (at least one).
    pub(crate) fn fetch(
        &self,
        inboxes: &[InboxId],
        after: u64,
        page_bytes: usize,
    ) -> Result<(Vec<StoredItem>, bool), MailStoreError> {
        let txn = self.db.begin_read().map_err(|e| self.err(e))?;
        let t = txn.open_table(ITEMS).map_err(|e| self.err(e))?;
        // First the numbers and sizes, then the bytes of one page only.
        let mut found: Vec<(u64, InboxId, usize)> = Vec::new();
        for inbox in inboxes {
            let range = t
                .range(item_key(inbox, after.saturating_add(1)).as_slice()..=item_key(inbox, u64::MAX).as_slice())
                .map_err(|e| self.err(e))?;
            for row in range {
                let (k, v) = row.map_err(|e| self.err(e))?;
                let id = u64::from_be_bytes(k.value()[32..40].try_into().unwrap_or([0; 8]));
                found.push((id, *inbox, v.value().len().saturating_sub(8)));
            }
        }
        found.sort_by_key(|f| f.0);
        let mut items = Vec::new();
        let mut bytes = 0usize;
        let mut more = false;
        for (id, inbox, len) in found {
            if !items.is_empty() && bytes + len > page_bytes {
                more = true;
                break;
            }
            if let Some(v) = t.get(item_key(&inbox, id).as_slice()).map_err(|e| self.err(e))? {
                items.push(StoredItem { inbox, id, item: v.value()[8..].to_vec() });
                bytes += len;
            }
        }
        Ok((items, more))
    }

    /// Deletes acknowledged items; returns how many were held.
    pub(crate) fn remove(&self, items: &[(InboxId, u64)]) -> Result<u32, MailStoreError> {
        self.write(|txn| {
            let mut removed = 0;
            let mut freed = Vec::new();
            {
                let mut t = txn.open_table(ITEMS)?;
                for (inbox, id) in items {
                    if let Some(v) = t.remove(item_key(inbox, *id).as_slice())? {
                        removed += 1;
                        freed.push((*inbox, v.value().len().saturating_sub(8) as u64));
                    }
                }
            }
            release(txn, &freed)?;
            Ok(removed)
        })
    }

    /// Deletes items and registrations whose time has passed; returns (items, inboxes) deleted.
    pub(crate) fn expire(&self, now: UnixTime) -> Result<(u32, u32), MailStoreError> {
        self.write(|txn| {
            let mut freed = Vec::new();
            {
                let mut t = txn.open_table(ITEMS)?;
                let mut gone = Vec::new();
                for row in t.iter()? {
                    let (k, v) = row?;
                    if u64_at(v.value(), 0) <= now.0 {
                        let key = k.value().to_vec();
                        let inbox = InboxId(key[..32].try_into().unwrap_or([0; 32]));
                        freed.push((inbox, v.value().len().saturating_sub(8) as u64));
                        gone.push(key);
                    }
                }
                for k in &gone {
                    t.remove(k.as_slice())?;
                }
            }
            let items = freed.len() as u32;
            release(txn, &freed)?;
            let mut inboxes = txn.open_table(INBOXES)?;
            let mut lapsed = Vec::new();
            for row in inboxes.iter()? {
                let (k, v) = row?;
                if u64_at(v.value(), 0) <= now.0 && u64_at(v.value(), 8) == 0 {
                    lapsed.push(k.value().to_vec());
                }
            }
            for k in &lapsed {
                inboxes.remove(k.as_slice())?;
            }
            Ok((items, lapsed.len() as u32))
        })
    }
}

/// Lowers the per-inbox and total byte counts by what was deleted.
fn release(txn: &redb::WriteTransaction, freed: &[(InboxId, u64)]) -> Result<(), redb::Error> {
    let total: u64 = freed.iter().map(|f| f.1).sum();
    let mut counters = txn.open_table(COUNTERS)?;
    let held = counters.get("held")?.map(|v| v.value()).unwrap_or(0);
    counters.insert("held", held.saturating_sub(total))?;
    let mut inboxes = txn.open_table(INBOXES)?;
    for (inbox, len) in freed {
        let state = inboxes.get(inbox.0.as_slice())?.map(|v| v.value().to_vec());
        if let Some(v) = state {
            let s = InboxState { until: UnixTime(u64_at(&v, 0)), held: u64_at(&v, 8).saturating_sub(*len) };
            inboxes.insert(inbox.0.as_slice(), inbox_value(s).as_slice())?;
        }
    }
    Ok(())
}
