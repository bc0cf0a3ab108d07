//! A case's rows as plain values. The case book reads rows through [`CaseRows`] and never writes: what an
//! operation changes comes out as [`RowOp`]s, kept in the book's [`Pending`] until whoever owns the disk
//! commits them, all of one event in one transaction, before any effect of that event (a message, an
//! answer, a page refresh) goes out. The node's redb [`crate::store::Store`] is one disk; [`MemoryRows`] (the
//! simulator's, and tests') is another. Keys are laid out here, once, so both hold the same rows.
//!
//! Until the commit, the book reads its own pending writes over the disk ([`Overlay`]), so an event that
//! stores a run and then answers from the store sees the run. If a commit fails, the book restores the
//! touched cases from what the disk holds (`CaseBook::restore_case`): memory never runs ahead of the rows.

use std::collections::{BTreeMap, BTreeSet};
use std::ops::Bound;

use samenloop_protocol::cases::ledger::{CaseId, DocKind};

use crate::store::StoreError;

/// A stored row: its key and value.
pub type Row = (Vec<u8>, Vec<u8>);

/// The tables that hold cases. Every key starts with the case id.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum CaseTable {
    /// Ledger operations, sealed with the vault: case || seq.
    Ledger,
    /// Sealed bundles: case || doc || author || seq.
    Bundles,
    /// Signed heads, keyed like the bundle they cover.
    Heads,
    /// One sealed snapshot per document: case || doc.
    Snapshots,
    /// Audit entries, sealed with the vault: case || author || seq.
    Audit,
    /// The signed audit checkpoint, sealed with the vault: case.
    AuditCheckpoints,
    /// What is kept of a destroyed case, sealed with the vault: case.
    Tombstones,
}

impl CaseTable {
    /// Every case table.
    pub const ALL: [CaseTable; 7] = [
        CaseTable::Ledger,
        CaseTable::Bundles,
        CaseTable::Heads,
        CaseTable::Snapshots,
        CaseTable::Audit,
        CaseTable::AuditCheckpoints,
        CaseTable::Tombstones,
    ];

    /// The table's name on disk (also what the vault binds into each value it seals).
    pub fn name(self) -> &'static str {
        match self {
            CaseTable::Ledger => "case_ledger",
            CaseTable::Bundles => "case_bundles",
            CaseTable::Heads => "case_heads",
            CaseTable::Snapshots => "case_snapshots",
            CaseTable::Audit => "case_audit",
            CaseTable::AuditCheckpoints => "case_audit_checkpoints",
            CaseTable::Tombstones => "case_tombstones",
        }
    }
}

/// One write to a case table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RowOp {
    /// Insert or replace a row.
    Put {
        /// The table.
        table: CaseTable,
        /// The key.
        key: Vec<u8>,
        /// The value.
        value: Vec<u8>,
    },
    /// Delete every row with `from <= key < to`.
    Delete {
        /// The table.
        table: CaseTable,
        /// First key deleted.
        from: Vec<u8>,
        /// First key kept after them.
        to: Vec<u8>,
    },
}

impl RowOp {
    /// The table the op writes to.
    pub fn table(&self) -> CaseTable {
        match self {
            RowOp::Put { table, .. } | RowOp::Delete { table, .. } => *table,
        }
    }

    /// Whether this op deletes a whole case (after which the disk compacts, so freed pages are reused).
    pub fn ends_a_case(&self) -> bool {
        matches!(self, RowOp::Delete { table: CaseTable::Ledger, .. })
    }
}

/// The key of a ledger operation: case || seq (big-endian).
pub fn ledger_key(case: &CaseId, seq: u64) -> Vec<u8> {
    let mut k = case.0.to_vec();
    k.extend_from_slice(&seq.to_be_bytes());
    k
}

/// The key of an audit entry: case || author || seq (big-endian).
pub fn audit_key(case: &CaseId, author: &[u8; 32], seq: u64) -> Vec<u8> {
    let mut k = case.0.to_vec();
    k.extend_from_slice(author);
    k.extend_from_slice(&seq.to_be_bytes());
    k
}

/// The key prefix of one document's rows (and its snapshot's key): case || doc.
pub fn doc_prefix(case: &CaseId, doc: DocKind) -> Vec<u8> {
    let mut k = case.0.to_vec();
    k.push(doc.byte());
    k
}

/// The key of a bundle or head: case || document || author || seq (big-endian, so keys sort by seq).
pub fn bundle_key(case: &CaseId, doc: DocKind, author: &[u8; 32], seq: u64) -> Vec<u8> {
    let mut k = doc_prefix(case, doc);
    k.extend_from_slice(author);
    k.extend_from_slice(&seq.to_be_bytes());
    k
}

/// The author and seq in a bundle or head key (see [`bundle_key`]).
pub fn author_seq_of_key(k: &[u8]) -> ([u8; 32], u64) {
    let author = k.get(17..49).and_then(|a| <[u8; 32]>::try_from(a).ok()).unwrap_or([0; 32]);
    let seq = k.get(49..57).and_then(|b| <[u8; 8]>::try_from(b).ok()).map_or(0, u64::from_be_bytes);
    (author, seq)
}

/// The first key after every key that starts with `prefix` (None: no such key, the prefix is all 0xff).
fn prefix_end(prefix: &[u8]) -> Option<Vec<u8>> {
    let mut end = prefix.to_vec();
    while let Some(last) = end.pop() {
        if last < 0xff {
            end.push(last + 1);
            return Some(end);
        }
    }
    None
}

/// The writes of case operations, as row ops.
pub mod write {
    use super::*;

    /// Ledger operations (sealed by the caller) from position `start`, with the audit checkpoint covering
    /// them (none while the trail is broken: a checkpoint is never re-signed over a damaged trail).
    pub fn ledger(case: &CaseId, start: u64, sealed: Vec<Vec<u8>>, checkpoint: Option<Vec<u8>>) -> Vec<RowOp> {
        let mut ops: Vec<RowOp> = sealed
            .into_iter()
            .enumerate()
            .map(|(i, value)| RowOp::Put { table: CaseTable::Ledger, key: ledger_key(case, start + i as u64), value })
            .collect();
        if let Some(value) = checkpoint {
            ops.push(RowOp::Put { table: CaseTable::AuditCheckpoints, key: case.0.to_vec(), value });
        }
        ops
    }

    /// Audit entries (sealed by the caller) with the checkpoint covering them.
    pub fn audit(case: &CaseId, entries: Vec<([u8; 32], u64, Vec<u8>)>, checkpoint: Vec<u8>) -> Vec<RowOp> {
        let mut ops: Vec<RowOp> = entries
            .into_iter()
            .map(|(author, seq, value)| RowOp::Put {
                table: CaseTable::Audit,
                key: audit_key(case, &author, seq),
                value,
            })
            .collect();
        ops.push(RowOp::Put { table: CaseTable::AuditCheckpoints, key: case.0.to_vec(), value: checkpoint });
        ops
    }

    /// A verified run of one author's bundles and the head covering its last bundle: committed together, so
    /// bundles are never on disk without the head that lets them be served.
    pub fn run(
        case: &CaseId,
        doc: DocKind,
        author: &[u8; 32],
        bundles: Vec<(u64, Vec<u8>)>,
        head: (u64, Vec<u8>),
    ) -> Vec<RowOp> {
        let mut ops: Vec<RowOp> = bundles
            .into_iter()
            .map(|(seq, value)| RowOp::Put {
                table: CaseTable::Bundles,
                key: bundle_key(case, doc, author, seq),
                value,
            })
            .collect();
        ops.push(RowOp::Put { table: CaseTable::Heads, key: bundle_key(case, doc, author, head.0), value: head.1 });
        ops
    }

    /// A document's snapshot, replacing the last, and the deletion of the bundles and heads it covers.
    pub fn snapshot(case: &CaseId, doc: DocKind, bytes: Vec<u8>, covers: &[([u8; 32], u64)]) -> Vec<RowOp> {
        let mut ops = vec![RowOp::Put { table: CaseTable::Snapshots, key: doc_prefix(case, doc), value: bytes }];
        for table in [CaseTable::Bundles, CaseTable::Heads] {
            for (author, seq) in covers {
                ops.push(RowOp::Delete {
                    table,
                    from: bundle_key(case, doc, author, 0),
                    to: bundle_key(case, doc, author, seq.saturating_add(1)),
                });
            }
        }
        ops
    }

    /// A case's tombstone (sealed by the caller), new or replacing the last.
    pub fn tombstone(case: &CaseId, sealed: Vec<u8>) -> Vec<RowOp> {
        vec![RowOp::Put { table: CaseTable::Tombstones, key: case.0.to_vec(), value: sealed }]
    }

    /// Deletes everything of a case (ledger, bundles, heads, snapshots, audit entries and checkpoint; the
    /// lead's tombstone carries the archived trail) and writes its tombstone.
    pub fn destroy(case: &CaseId, sealed_tombstone: Vec<u8>) -> Vec<RowOp> {
        let from = case.0.to_vec();
        let to = prefix_end(&case.0).unwrap_or_else(|| vec![0xff; 80]);
        // Every row of the case goes, except what is kept of it: the tombstone.
        let mut ops: Vec<RowOp> = CaseTable::ALL
            .into_iter()
            .filter(|t| *t != CaseTable::Tombstones)
            .map(|table| RowOp::Delete { table, from: from.clone(), to: to.clone() })
            .collect();
        ops.extend(tombstone(case, sealed_tombstone));
        ops
    }
}

/// Reading case rows. A disk implements `scan` and `get`; the rest follows.
pub trait CaseRows {
    /// Every row of `table` whose key starts with `prefix`, in key order.
    fn scan(&self, table: CaseTable, prefix: &[u8]) -> Result<Vec<Row>, StoreError>;

    /// The row of `table` under `key`.
    fn get(&self, table: CaseTable, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError>;

    /// The ids of every case with a ledger here.
    fn case_ids(&self) -> Result<Vec<CaseId>, StoreError> {
        let mut ids: Vec<CaseId> = Vec::new();
        for (k, _) in self.scan(CaseTable::Ledger, &[])? {
            if let Some(id) = k.get(..16).and_then(|b| <[u8; 16]>::try_from(b).ok())
                && ids.last() != Some(&CaseId(id))
            {
                ids.push(CaseId(id));
            }
        }
        Ok(ids)
    }

    /// A case's sealed ledger operations in order, with their keys (the vault binds each to its key).
    fn ledger_ops(&self, case: &CaseId) -> Result<Vec<Row>, StoreError> {
        self.scan(CaseTable::Ledger, &case.0)
    }

    /// A case's sealed audit entries in (author, seq) order.
    fn audit_entries(&self, case: &CaseId) -> Result<Vec<Row>, StoreError> {
        self.scan(CaseTable::Audit, &case.0)
    }

    /// A case's sealed audit checkpoint.
    fn audit_checkpoint(&self, case: &CaseId) -> Result<Option<Vec<u8>>, StoreError> {
        self.get(CaseTable::AuditCheckpoints, &case.0)
    }

    /// One document's bundles in (author, seq) order.
    fn bundles(&self, case: &CaseId, doc: DocKind) -> Result<Vec<Row>, StoreError> {
        self.scan(CaseTable::Bundles, &doc_prefix(case, doc))
    }

    /// One document's signed heads in (author, seq) order.
    fn heads(&self, case: &CaseId, doc: DocKind) -> Result<Vec<Row>, StoreError> {
        self.scan(CaseTable::Heads, &doc_prefix(case, doc))
    }

    /// A document's snapshot, if one is stored.
    fn snapshot(&self, case: &CaseId, doc: DocKind) -> Result<Option<Vec<u8>>, StoreError> {
        self.get(CaseTable::Snapshots, &doc_prefix(case, doc))
    }

    /// Every tombstone (case id bytes, sealed tombstone).
    fn tombstones(&self) -> Result<Vec<Row>, StoreError> {
        self.scan(CaseTable::Tombstones, &[])
    }
}

/// A disk that holds case rows and commits row ops.
pub trait CaseDisk: CaseRows {
    /// Applies `ops` in order, all or none, durably.
    fn commit(&mut self, ops: &[RowOp]) -> Result<(), StoreError>;
}

/// Writes made in memory and not yet committed, with the cases they touch.
#[derive(Debug, Default)]
pub struct Pending {
    ops: Vec<RowOp>,
    cases: BTreeSet<CaseId>,
}

impl Pending {
    /// Adds the writes of one operation on `case`.
    pub fn add(&mut self, case: CaseId, ops: Vec<RowOp>) {
        if !ops.is_empty() {
            self.cases.insert(case);
            self.ops.extend(ops);
        }
    }

    /// Whether nothing waits to be committed.
    pub fn is_empty(&self) -> bool {
        self.ops.is_empty()
    }

    /// The writes so far, in order.
    pub fn ops(&self) -> &[RowOp] {
        &self.ops
    }

    /// Takes the writes and the cases they touch.
    pub fn take(&mut self) -> (Vec<RowOp>, BTreeSet<CaseId>) {
        (std::mem::take(&mut self.ops), std::mem::take(&mut self.cases))
    }
}

/// Applies `op` to a table held as an ordered map (the in-memory disk, and the overlay).
fn apply_to(rows: &mut BTreeMap<Vec<u8>, Vec<u8>>, op: &RowOp) {
    match op {
        RowOp::Put { key, value, .. } => {
            rows.insert(key.clone(), value.clone());
        }
        RowOp::Delete { from, to, .. } => {
            let doomed: Vec<Vec<u8>> = rows
                .range::<[u8], _>((Bound::Included(from.as_slice()), Bound::Excluded(to.as_slice())))
                .map(|(k, _)| k.clone())
                .collect();
            for k in doomed {
                rows.remove(&k);
            }
        }
    }
}

/// The rows of a disk as they will be once `pending` is committed.
pub struct Overlay<'a> {
    /// The disk.
    pub disk: &'a dyn CaseRows,
    /// Writes not yet on it.
    pub pending: &'a [RowOp],
}

impl CaseRows for Overlay<'_> {
    fn scan(&self, table: CaseTable, prefix: &[u8]) -> Result<Vec<Row>, StoreError> {
        let mut rows = self.disk.scan(table, prefix)?;
        let ops: Vec<&RowOp> = self.pending.iter().filter(|o| o.table() == table).collect();
        if ops.is_empty() {
            return Ok(rows);
        }
        let mut map: BTreeMap<Vec<u8>, Vec<u8>> = rows.drain(..).collect();
        for op in ops {
            apply_to(&mut map, op);
        }
        map.retain(|k, _| k.starts_with(prefix));
        Ok(map.into_iter().collect())
    }

    fn get(&self, table: CaseTable, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        let mut value = self.disk.get(table, key)?;
        for op in self.pending.iter().filter(|o| o.table() == table) {
            match op {
                RowOp::Put { key: k, value: v, .. } if k.as_slice() == key => value = Some(v.clone()),
                RowOp::Delete { from, to, .. } if from.as_slice() <= key && key < to.as_slice() => value = None,
                _ => {}
            }
        }
        Ok(value)
    }
}

/// Case rows held in memory: the simulator's disk (a crash keeps exactly what was committed) and a
/// stand-in for tests. `fail_commits` makes every commit fail, as a full disk does.
#[derive(Clone, Debug, Default)]
pub struct MemoryRows {
    tables: BTreeMap<CaseTable, BTreeMap<Vec<u8>, Vec<u8>>>,
    /// While set, commits fail and change nothing.
    pub fail_commits: bool,
}

impl MemoryRows {
    /// Rows of every table, for comparing two disks.
    pub fn all_rows(&self) -> Vec<(CaseTable, Row)> {
        self.tables.iter().flat_map(|(t, rows)| rows.iter().map(|(k, v)| (*t, (k.clone(), v.clone())))).collect()
    }
}

impl CaseRows for MemoryRows {
    fn scan(&self, table: CaseTable, prefix: &[u8]) -> Result<Vec<Row>, StoreError> {
        let Some(rows) = self.tables.get(&table) else { return Ok(Vec::new()) };
        Ok(rows
            .range::<[u8], _>((Bound::Included(prefix), Bound::Unbounded))
            .take_while(|(k, _)| k.starts_with(prefix))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect())
    }

    fn get(&self, table: CaseTable, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self.tables.get(&table).and_then(|rows| rows.get(key)).cloned())
    }
}

impl CaseDisk for MemoryRows {
    fn commit(&mut self, ops: &[RowOp]) -> Result<(), StoreError> {
        if self.fail_commits {
            return Err(StoreError::Access { path: "memory".into(), detail: "no space left on the disk".into() });
        }
        for op in ops {
            apply_to(self.tables.entry(op.table()).or_default(), op);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn case(b: u8) -> CaseId {
        CaseId([b; 16])
    }

    #[test]
    fn a_snapshot_deletes_what_it_covers_and_nothing_else() {
        let mut disk = MemoryRows::default();
        let a = [1; 32];
        let b = [2; 32];
        let c = case(7);
        let mut ops = Vec::new();
        for seq in 1..=3 {
            ops.extend(write::run(&c, DocKind::Analysis, &a, vec![(seq, vec![seq as u8])], (seq, vec![0])));
            ops.extend(write::run(&c, DocKind::Analysis, &b, vec![(seq, vec![seq as u8])], (seq, vec![0])));
        }
        disk.commit(&ops).expect("commit");
        disk.commit(&write::snapshot(&c, DocKind::Analysis, vec![9], &[(a, 2)])).expect("commit");
        let left: Vec<_> = disk
            .bundles(&c, DocKind::Analysis)
            .expect("bundles")
            .into_iter()
            .map(|(k, _)| author_seq_of_key(&k))
            .collect();
        assert_eq!(left, vec![(a, 3), (b, 1), (b, 2), (b, 3)]);
        assert_eq!(disk.snapshot(&c, DocKind::Analysis).expect("read"), Some(vec![9]));
    }

    #[test]
    fn destroying_a_case_leaves_other_cases_and_the_tombstone() {
        let mut disk = MemoryRows::default();
        for b in [6u8, 7, 8] {
            let c = case(b);
            let mut ops = write::ledger(&c, 0, vec![vec![b]], Some(vec![b]));
            ops.extend(write::run(&c, DocKind::Notes, &[3; 32], vec![(1, vec![b])], (1, vec![b])));
            disk.commit(&ops).expect("commit");
        }
        disk.commit(&write::destroy(&case(7), vec![42])).expect("commit");
        assert_eq!(disk.case_ids().expect("ids"), vec![case(6), case(8)]);
        assert!(disk.bundles(&case(7), DocKind::Notes).expect("read").is_empty());
        assert_eq!(disk.bundles(&case(8), DocKind::Notes).expect("read").len(), 1);
        assert_eq!(disk.tombstones().expect("read"), vec![(case(7).0.to_vec(), vec![42])]);
        assert_eq!(disk.audit_checkpoint(&case(7)).expect("read"), None);
    }

    #[test]
    fn the_overlay_reads_pending_writes_over_the_disk() {
        let mut disk = MemoryRows::default();
        let c = case(1);
        let a = [5; 32];
        disk.commit(&write::run(&c, DocKind::Analysis, &a, vec![(1, vec![1]), (2, vec![2])], (2, vec![0])))
            .expect("commit");
        let mut pending = write::snapshot(&c, DocKind::Analysis, vec![7], &[(a, 1)]);
        pending.extend(write::run(&c, DocKind::Analysis, &a, vec![(3, vec![3])], (3, vec![0])));
        let overlay = Overlay { disk: &disk, pending: &pending };
        let seqs: Vec<u64> =
            overlay.bundles(&c, DocKind::Analysis).expect("read").iter().map(|(k, _)| author_seq_of_key(k).1).collect();
        assert_eq!(seqs, vec![2, 3]);
        assert_eq!(overlay.snapshot(&c, DocKind::Analysis).expect("read"), Some(vec![7]));
        // Committing the same ops gives what the overlay showed.
        disk.commit(&pending).expect("commit");
        let on_disk: Vec<u64> =
            disk.bundles(&c, DocKind::Analysis).expect("read").iter().map(|(k, _)| author_seq_of_key(k).1).collect();
        assert_eq!(on_disk, seqs);
    }

    #[test]
    fn a_failed_commit_changes_nothing() {
        let mut disk = MemoryRows { fail_commits: true, ..Default::default() };
        assert!(disk.commit(&write::tombstone(&case(1), vec![1])).is_err());
        assert!(disk.all_rows().is_empty());
    }
}
