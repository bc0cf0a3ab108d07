//! The audit trail on this node ([`samenloop_protocol::cases::audit`]): recording this node's exports and reports in
//! its own chain, taking other members' entries from sync, keeping the signed checkpoint in step, archiving
//! the trail (without keys) when the case is destroyed, and verifying what is stored when asked.
//!
//! Verification reads the rows (the disk, with this event's writes over it), not memory: `case audit --verify` checks the bytes on disk, so a change made
//! to the database while the node was down is found and named.

use samenloop_protocol::cases::audit::{
    ArchivedOp, AuditChains, AuditError, AuditEvent, AuditTrail, StoredEntry, TrailLedger, archive_checkpoint,
    archive_ledger, sign_checkpoint, sign_entry, verify_trail,
};
use samenloop_protocol::cases::ledger::{CaseId, Ledger};
use samenloop_protocol::{Identity, UnixTime};
use serde::{Deserialize, Serialize};
use serde_bytes::ByteBuf;
use tracing::warn;

use crate::cases::book::{
    AUDIT_CHECKPOINT_TABLE, AUDIT_TABLE, CaseBook, CaseError, CaseReplica, LEDGER_TABLE, Received,
};
use crate::cases::rows::{CaseRows, Overlay, audit_key, write};
use crate::vault::Vault;

/// A destroyed case's trail as the lead's node keeps it in the tombstone: the ledger without its keys, every
/// member's entries, and this node's signed archive checkpoint.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct AuditArchive {
    /// The ledger, archived.
    pub ops: Vec<ArchivedOp>,
    /// Every member's entries.
    pub entries: Vec<StoredEntry>,
    /// The archive checkpoint (record kind 11), signed by this node.
    #[serde(with = "serde_bytes")]
    pub checkpoint: Vec<u8>,
    /// Why the stored trail did not verify when the case was destroyed, if it did not: the archive then
    /// holds what verified, and says so for ever.
    #[serde(default)]
    pub damaged: Option<String>,
}

impl AuditArchive {
    /// Archives a case's trail: `ops` is the whole ledger including its `Destroy`.
    pub fn build(
        identity: &Identity,
        case: CaseId,
        ops: &[Vec<u8>],
        chains: &AuditChains,
        damaged: Option<String>,
        at: UnixTime,
    ) -> Result<Self, AuditError> {
        let ops = archive_ledger(case, ops)?;
        let checkpoint = archive_checkpoint(case, &ops, chains, at);
        Ok(AuditArchive {
            entries: chains.entries(),
            checkpoint: sign_checkpoint(identity.signing_key(), &checkpoint),
            ops,
            damaged,
        })
    }

    /// Takes entries a member sent with its confirmation (its chain, possibly with entries written while it
    /// was away) and re-signs the checkpoint, dated `at`. Returns how many were new.
    pub fn take(
        &mut self,
        identity: &Identity,
        case: CaseId,
        entries: &[ByteBuf],
        at: UnixTime,
    ) -> Result<usize, AuditError> {
        let ever = self.ever_members();
        let mut chains = AuditChains::new(case);
        let mut sorted: Vec<&StoredEntry> = self.entries.iter().collect();
        sorted.sort_by_key(|e| (e.author, e.seq));
        for e in sorted {
            chains.accept(&e.bytes, |k| ever.contains(k))?;
        }
        let mut new = 0;
        for e in entries {
            if chains.accept(e, |k| ever.contains(k))? {
                new += 1;
            }
        }
        if new > 0 {
            self.entries = chains.entries();
            let cp = archive_checkpoint(case, &self.ops, &chains, at);
            self.checkpoint = sign_checkpoint(identity.signing_key(), &cp);
        }
        Ok(new)
    }

    fn ever_members(&self) -> Vec<[u8; 32]> {
        let mut out = Vec::new();
        for op in &self.ops {
            out.push(op.signer);
            if let samenloop_protocol::cases::audit::MembershipChange::Invited { member, .. } = op.change {
                out.push(member);
            }
        }
        out
    }
}

fn was_member(ledger: &Ledger, key: &[u8; 32]) -> bool {
    ledger.member(key).is_some() || ledger.was_removed(key)
}

/// Loads a case's stored audit entries into its replica. A trail that does not load is marked broken (and
/// left as it is on disk) rather than failing the case: casework goes on, exports and reports are refused.
pub(crate) fn load_audit(rows: &dyn CaseRows, vault: &Vault, replica: &mut CaseReplica) {
    let case = replica.ledger.case();
    let rows = match rows.audit_entries(&case) {
        Ok(rows) => rows,
        Err(e) => {
            replica.audit_broken = Some(e.to_string());
            return;
        }
    };
    for (k, sealed) in rows {
        let plain = match vault.open(AUDIT_TABLE, &k, &sealed) {
            Ok(p) => p,
            Err(e) => {
                replica.audit_broken = Some(format!("a stored audit entry does not open: {e}"));
                break;
            }
        };
        let ledger = &replica.ledger;
        if let Err(e) = replica.audit.accept(&plain, |k| was_member(ledger, k)) {
            replica.audit_broken = Some(e.to_string());
            break;
        }
    }
    if let Some(reason) = &replica.audit_broken {
        warn!(%case, "the audit trail does not load: {reason}; exports and reports are refused until it is looked into");
    }
}

impl CaseBook {
    /// Records `event` in this node's audit chain for `case`, stores it with a new checkpoint, and returns the
    /// signed entry to push to the other members. Refused while the trail is broken: an export that cannot
    /// be recorded does not happen.
    pub fn record_audit(
        &mut self,
        vault: &Vault,
        identity: &Identity,
        case: &CaseId,
        event: AuditEvent,
    ) -> Result<Vec<u8>, CaseError> {
        let me = self.me();
        let replica = self.cases.get_mut(case).ok_or(CaseError::UnknownCase(*case))?;
        if let Some(reason) = &replica.audit_broken {
            return Err(CaseError::NotAllowed(format!(
                "the audit trail of this case does not verify ({reason}): nothing is exported until it is looked into"
            )));
        }
        let record = replica.audit.next_record(&me, self.sources.now(), replica.ledger.len(), event);
        let entry = sign_entry(identity.signing_key(), &record);
        let mut next = replica.audit.clone();
        let ledger = &replica.ledger;
        next.accept(&entry, |k| was_member(ledger, k)).map_err(|e| CaseError::Invalid(e.to_string()))?;
        self.store_entries(vault, identity, case, next, &[(me, record.seq, entry.clone())])?;
        Ok(entry)
    }

    /// Takes audit entries from a member. Each is verified on its own; the refused are listed in `received`.
    pub fn receive_audit(
        &mut self,
        vault: &Vault,
        identity: &Identity,
        case: &CaseId,
        entries: &[ByteBuf],
        received: &mut Received,
    ) -> Result<(), CaseError> {
        if entries.is_empty() {
            return Ok(());
        }
        let Some(replica) = self.cases.get(case) else { return Ok(()) };
        if replica.audit_broken.is_some() {
            received.refused.push("audit entries: this node's trail of the case is broken; not taken".into());
            return Ok(());
        }
        let mut next = replica.audit.clone();
        let mut taken = Vec::new();
        for e in entries {
            let ledger = &replica.ledger;
            match next.accept(e, |k| was_member(ledger, k)) {
                Ok(true) => {
                    let author = e.get(2..34).and_then(|s| <[u8; 32]>::try_from(s).ok()).unwrap_or([0; 32]);
                    let seq = next.chain(&author).len() as u64 - 1;
                    taken.push((author, seq, e.to_vec()));
                }
                Ok(false) => {}
                Err(err) => received.refused.push(format!("audit: {err}")),
            }
        }
        if taken.is_empty() {
            return Ok(());
        }
        self.store_entries(vault, identity, case, next, &taken)
    }

    fn store_entries(
        &mut self,
        vault: &Vault,
        identity: &Identity,
        case: &CaseId,
        next: AuditChains,
        entries: &[([u8; 32], u64, Vec<u8>)],
    ) -> Result<(), CaseError> {
        let replica = self.cases.get_mut(case).ok_or(CaseError::UnknownCase(*case))?;
        let sealed: Vec<([u8; 32], u64, Vec<u8>)> = entries
            .iter()
            .map(|(a, s, e)| {
                (*a, *s, vault.seal_with_nonce(AUDIT_TABLE, &audit_key(case, a, *s), e, self.sources.bytes()))
            })
            .collect();
        let previous = std::mem::replace(&mut replica.audit, next);
        let Some(cp) = replica.checkpoint_with(&replica.ledger, vault, identity, &mut *self.sources) else {
            replica.audit = previous;
            return Err(CaseError::NotAllowed("the audit trail of this case is broken".into()));
        };
        self.pending.add(*case, write::audit(case, sealed, cp));
        Ok(())
    }

    /// The audit trail of `case` as stored here, verified: for a live case, the stored ledger, entries and
    /// checkpoint; for a destroyed one, the archive in its tombstone (kept by the lead's node). The outer
    /// error is "cannot even look" (no such case); the inner one is where verification failed.
    pub fn audit_trail(
        &self,
        disk: &dyn CaseRows,
        vault: &Vault,
        case: &CaseId,
    ) -> Result<Result<AuditTrail, AuditError>, CaseError> {
        let me = self.me();
        if let Some(t) = self.tombstones.get(case) {
            let Some(archive) = &t.audit else {
                return Err(CaseError::NotAllowed(
                    "this case was destroyed and its audit trail is kept by the lead's node, not this one".into(),
                ));
            };
            return Ok(verify_trail(
                *case,
                TrailLedger::Archived(&archive.ops),
                &archive.entries,
                &archive.checkpoint,
                &me,
                Some(&t.record),
            ));
        }
        if !self.cases.contains_key(case) {
            return Err(CaseError::UnknownCase(*case));
        }
        // What is on disk once this event's writes are committed.
        let store = Overlay { disk, pending: self.pending.ops() };
        let mut ops = Vec::new();
        for (i, (k, sealed)) in store.ledger_ops(case)?.into_iter().enumerate() {
            match vault.open(LEDGER_TABLE, &k, &sealed) {
                Ok(p) => ops.push(p.to_vec()),
                Err(e) => return Ok(Err(AuditError::Ledger { index: i as u64, reason: e.to_string() })),
            }
        }
        let mut entries = Vec::new();
        for (k, sealed) in store.audit_entries(case)? {
            let (author, seq) = entry_place(&k);
            match vault.open(AUDIT_TABLE, &k, &sealed) {
                Ok(p) => entries.push(StoredEntry { author, seq, bytes: p.to_vec() }),
                Err(e) => {
                    return Ok(Err(AuditError::Entry {
                        author: hex::encode(author),
                        seq,
                        reason: format!("does not open: {e}"),
                    }));
                }
            }
        }
        let Some(sealed) = store.audit_checkpoint(case)? else {
            return Ok(Err(AuditError::Checkpoint(
                "none is stored: the trail cannot be checked for truncation".into(),
            )));
        };
        let checkpoint = match vault.open(AUDIT_CHECKPOINT_TABLE, &case.0, &sealed) {
            Ok(p) => p.to_vec(),
            Err(e) => return Ok(Err(AuditError::Checkpoint(format!("does not open: {e}")))),
        };
        Ok(verify_trail(*case, TrailLedger::Live(&ops), &entries, &checkpoint, &me, None))
    }
}

/// (author, seq) from an audit entry's store key (case 16 || author 32 || seq 8).
fn entry_place(key: &[u8]) -> ([u8; 32], u64) {
    let author = key.get(16..48).and_then(|s| <[u8; 32]>::try_from(s).ok()).unwrap_or([0; 32]);
    let seq = key.get(48..56).and_then(|s| <[u8; 8]>::try_from(s).ok()).map_or(0, u64::from_be_bytes);
    (author, seq)
}
