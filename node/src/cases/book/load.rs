//! Restoring the book from the rows: a function of the rows alone (and the keys that open them), the
//! same code at start and after a commit that failed.

use std::collections::BTreeMap;

use samenloop_protocol::Identity;
use samenloop_protocol::cases::bundle::{SealedBundle, SealedSnapshot, SignedHead};
use samenloop_protocol::cases::doc_log::RunFrom;
use samenloop_protocol::cases::ledger::{CaseId, DocKind, Ledger};
use tracing::warn;

use crate::cases::audit::load_audit;
use crate::cases::rows::{CaseRows, Pending, author_seq_of_key};
use crate::cases::sources::Sources;
use crate::vault::Vault;

use super::*;

impl CaseBook {
    /// Restores every case from the stored rows, verifying ledgers, chains and signatures as if received: a
    /// function of the rows alone (and the keys that open them). A document that does not decrypt or load is
    /// marked broken and left on disk; other documents and cases load.
    /// `sources` gives the time and randomness of everything the book does from then on.
    pub fn load(
        rows: &dyn CaseRows,
        vault: &Vault,
        identity: &Identity,
        sources: Box<dyn Sources>,
    ) -> Result<CaseBook, CaseError> {
        let me = identity.verifying_key().to_bytes();
        let mut book = CaseBook {
            me,
            cases: BTreeMap::new(),
            tombstones: BTreeMap::new(),
            listed: Default::default(),
            pending: Pending::default(),
            sources,
        };
        for (k, sealed) in rows.tombstones()? {
            let Ok(id) = <[u8; 16]>::try_from(k.as_slice()) else { continue };
            let case = CaseId(id);
            book.tombstones.insert(case, open_tombstone(vault, &case, &sealed)?);
        }
        for case in rows.case_ids()? {
            book.load_case(rows, vault, identity, case)?;
        }
        Ok(book)
    }

    /// Loads one case from its rows into the book (nothing, if it has no ledger rows).
    pub(super) fn load_case(
        &mut self,
        rows: &dyn CaseRows,
        vault: &Vault,
        identity: &Identity,
        case: CaseId,
    ) -> Result<(), CaseError> {
        let me = self.me;
        let stored = rows.ledger_ops(&case)?;
        if stored.is_empty() {
            return Ok(());
        }
        let mut ops = Vec::new();
        for (k, sealed) in stored {
            let plain = vault.open(LEDGER_TABLE, &k, &sealed).map_err(|e| CaseError::Broken {
                case,
                doc: "ledger",
                reason: e.to_string(),
            })?;
            ops.push(plain.to_vec());
        }
        let ledger = Ledger::from_ops(case, &ops).map_err(|e| CaseError::Broken {
            case,
            doc: "ledger",
            reason: e.to_string(),
        })?;
        let mut replica = CaseReplica::new(ledger);
        load_audit(rows, vault, &mut replica);
        if let Err(e) = replica.open_grants(identity) {
            warn!(%case, "cannot open this node's document keys: {e}");
        }
        for doc in DocKind::ALL {
            if !replica.ledger.can_read(&me, doc) {
                continue;
            }
            let Some(blank) = CaseDocument::blank(doc, &me) else { continue };
            let mut r = Replica::new(case, blank);
            if let Err(reason) = load_replica(rows, &replica, &mut r) {
                warn!(%case, doc = doc.name(), "document cannot be read: {reason}");
                r.broken = Some(reason);
            }
            replica.docs.insert(doc, r);
        }
        self.cases.insert(case, replica);
        // The stored trail is checked whole (links, signatures, and the checkpoint, which is what reveals
        // entries cut off the end); a failure is kept and shown, never repaired from what peers send.
        if let Ok(Err(e)) = self.audit_trail(rows, vault, &case)
            && let Some(r) = self.cases.get_mut(&case)
            && r.audit_broken.is_none()
        {
            warn!(%case, "the audit trail does not verify: {e}; exports and reports are refused");
            r.audit_broken = Some(e.to_string());
        }
        Ok(())
    }

    /// Brings `case` back to what the rows hold (after a commit that failed): memory follows the disk.
    pub fn restore_case(
        &mut self,
        rows: &dyn CaseRows,
        vault: &Vault,
        identity: &Identity,
        case: CaseId,
    ) -> Result<(), CaseError> {
        self.cases.remove(&case);
        self.tombstones.remove(&case);
        self.listed.retain(|(c, _), _| *c != case);
        if let Some(sealed) = rows.get(crate::cases::rows::CaseTable::Tombstones, &case.0)? {
            self.tombstones.insert(case, open_tombstone(vault, &case, &sealed)?);
            return Ok(());
        }
        self.load_case(rows, vault, identity, case)
    }
}

/// Loads one document from the store: its snapshot, then every stored run, verified as if received.
pub(super) fn load_replica(rows: &dyn CaseRows, replica: &CaseReplica, r: &mut Replica) -> Result<(), String> {
    let case = replica.ledger.case();
    let doc = r.log.doc();
    if let Some(bytes) = rows.snapshot(&case, doc).map_err(|e| e.to_string())? {
        let s = SealedSnapshot::decode(bytes).map_err(|e| format!("stored snapshot: {e}"))?;
        let key = replica.key(doc, s.epoch).ok_or(format!("no key for the snapshot's epoch {}", s.epoch))?;
        let plain = s.open(key).map_err(|e| format!("stored snapshot: {e}"))?;
        r.doc.apply(&plain).map_err(|e| format!("stored snapshot: {e}"))?;
        r.log.adopt_snapshot(&s.covers);
        r.snapshot = Some(s);
    }
    let heads = rows.heads(&case, doc).map_err(|e| e.to_string())?;
    let mut latest_head: BTreeMap<[u8; 32], Vec<u8>> = BTreeMap::new();
    for (k, v) in heads {
        latest_head.insert(author_seq_of_key(&k).0, v);
    }
    let mut by_author: BTreeMap<[u8; 32], Vec<SealedBundle>> = BTreeMap::new();
    for (_, v) in rows.bundles(&case, doc).map_err(|e| e.to_string())? {
        let b = SealedBundle::parse(v).map_err(|e| format!("stored bundle: {e}"))?;
        by_author.entry(b.header().author).or_default().push(b);
    }
    for (author, bundles) in by_author {
        let head_bytes = latest_head.get(&author).ok_or("stored bundles without a signed head")?;
        let head = SignedHead::decode(head_bytes).map_err(|e| format!("stored head: {e}"))?;
        let checked = r
            .log
            // What is stored was accepted when it arrived (a removed member's run taken in before the removal
            // reached this node stays, as 7.6 of the protocol says).
            .check_run(bundles, head, (&replica.ledger, RunFrom::Relayed), |e| {
                replica.keys.get(&(doc, e)).map(|(_, k)| k)
            })
            .map_err(|e| format!("stored bundles: {e}"))?;
        for b in &checked.new {
            r.doc.apply(&b.changes).map_err(|e| format!("stored bundle: {e}"))?;
        }
        let hashes: Vec<_> = checked.new.iter().map(|b| b.hash).collect();
        r.note_applied(hashes.len(), checked.new.iter().map(|b| b.bundle.bytes().len()).sum());
        r.log.commit(author, &hashes, checked.head);
    }
    Ok(())
}

pub(super) fn open_tombstone(vault: &Vault, case: &CaseId, sealed: &[u8]) -> Result<Tombstone, CaseError> {
    let broken = |reason: String| CaseError::Broken { case: *case, doc: "tombstone", reason };
    let plain = vault.open(TOMBSTONE_TABLE, &case.0, sealed).map_err(|e| broken(e.to_string()))?;
    serde_json::from_slice(&plain).map_err(|e| broken(e.to_string()))
}

pub(super) fn add_readable_docs(replica: &mut CaseReplica, me: &[u8; 32]) {
    let case = replica.ledger.case();
    for doc in DocKind::ALL {
        if replica.ledger.can_read(me, doc)
            && !replica.docs.contains_key(&doc)
            && let Some(blank) = CaseDocument::blank(doc, me)
        {
            replica.docs.insert(doc, Replica::new(case, blank));
        }
    }
}
