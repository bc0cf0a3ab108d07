//! The end of a case: the lead destroys it (step 5 done), every member deletes it and confirms, the lead
//! collects the confirmations into the destruction record; what is kept is the tombstone (no key, no
//! document).

use samenloop_protocol::Identity;
use samenloop_protocol::cases::destruction::DestructionRecord;
use samenloop_protocol::cases::ledger::{CaseAction, CaseId, DocKind, LedgerError};
use serde_bytes::ByteBuf;
use tracing::warn;
use zeroize::Zeroizing;

use crate::cases::audit::AuditArchive;
use crate::cases::rows::write;
use crate::vault::Vault;

use super::*;

impl CaseBook {
    /// Destroys a case (lead only, once the case has reached step 5, reporting): signs `Destroy`, deletes
    /// everything of it here, and keeps the tombstone with the destruction record. Returns the operation.
    pub fn destroy(
        &mut self,
        vault: &Vault,
        identity: &Identity,
        case: &CaseId,
        report: Option<[u8; 32]>,
    ) -> Result<Vec<u8>, CaseError> {
        let replica = self.cases.get_mut(case).ok_or(CaseError::UnknownCase(*case))?;
        if replica.ledger.lead() != self.me {
            return Err(CaseError::NotAllowed("only the lead reviewer destroys a case".into()));
        }
        let step = match replica.docs.get_mut(&DocKind::Analysis).map(|r| &mut r.doc) {
            Some(CaseDocument::Analysis(a)) => {
                if a.is_blank() {
                    1
                } else {
                    a.step().unwrap_or(1)
                }
            }
            _ => 1,
        };
        if step < 5 {
            return Err(CaseError::NotAllowed(format!(
                "the case is at step {step}: the working documents are destroyed after the report (step 5)"
            )));
        }
        let op =
            replica.ledger.sign_next(identity.signing_key(), self.sources.now(), CaseAction::Destroy { report })?;
        replica.ledger.clone().append(&op)?;
        self.finish_destruction(vault, identity, case, &op)?;
        Ok(op)
    }

    /// Deletes everything of `case` after its `Destroy` operation `op` (already verified against the ledger
    /// or from the lead), confirms, and keeps the tombstone.
    pub(super) fn finish_destruction(
        &mut self,
        vault: &Vault,
        identity: &Identity,
        case: &CaseId,
        op: &[u8],
    ) -> Result<(), CaseError> {
        let Some(replica) = self.cases.get(case) else { return Ok(()) };
        let members: Vec<[u8; 32]> = replica.ledger.members().map(|m| m.key).collect();
        let lead = replica.ledger.lead();
        let hash = samenloop_protocol::cases::destruction::destroy_hash(op);
        let confirmation =
            samenloop_protocol::cases::destruction::confirm(identity.signing_key(), *case, hash, self.sources.now());
        let mut record = DestructionRecord { case: *case, destroy: op.to_vec(), members, confirmations: Vec::new() };
        if lead == self.me {
            record.add(&confirmation).map_err(CaseError::Invalid)?;
        }
        let (audit, own_audit) = if lead == self.me {
            let mut ops = replica.ledger.ops().to_vec();
            if ops.last().map(|o| o.as_slice()) != Some(op) {
                ops.push(op.to_vec());
            }
            match AuditArchive::build(
                identity,
                *case,
                &ops,
                &replica.audit,
                replica.audit_broken.clone(),
                self.sources.now(),
            ) {
                Ok(a) => (Some(a), Vec::new()),
                Err(e) => {
                    warn!(%case, "the audit trail could not be archived: {e}");
                    (None, Vec::new())
                }
            }
        } else {
            (None, replica.audit.chain(&self.me).iter().map(|e| ByteBuf::from(e.clone())).collect())
        };
        let tombstone = Tombstone { record, lead, confirmed: lead == self.me, confirmation, audit, own_audit };
        let sealed = seal_tombstone(vault, case, &tombstone, self.sources.bytes())?;
        self.pending.add(*case, write::destroy(case, sealed));
        self.cases.remove(case);
        self.tombstones.insert(*case, tombstone);
        Ok(())
    }

    /// The lead takes a member's confirmation into the destruction record. Returns whether it was new.
    pub fn take_confirmation(
        &mut self,
        vault: &Vault,
        case: &CaseId,
        identity: &Identity,
        (confirmation, audit): (&[u8], &[ByteBuf]),
    ) -> Result<bool, CaseError> {
        let t = self.tombstones.get_mut(case).ok_or(CaseError::UnknownCase(*case))?;
        if t.lead != self.me {
            return Err(CaseError::NotAllowed("confirmations go to the lead".into()));
        }
        let new = t.record.add(confirmation).map_err(CaseError::Invalid)?;
        // The member's entries join the archive; a bad one is reported, and never costs the confirmation.
        let mut taken = 0;
        if let Some(archive) = t.audit.as_mut() {
            match archive.take(identity, *case, audit, self.sources.now()) {
                Ok(n) => taken = n,
                Err(e) => warn!(%case, "audit entries sent with a confirmation were refused: {e}"),
            }
        }
        if new || taken > 0 {
            let sealed = seal_tombstone(vault, case, t, self.sources.bytes())?;
            self.pending.add(*case, write::tombstone(case, sealed));
        }
        Ok(new)
    }

    /// Marks this node's confirmation as acknowledged by the lead.
    pub fn confirmation_acknowledged(&mut self, vault: &Vault, case: &CaseId) -> Result<(), CaseError> {
        if let Some(t) = self.tombstones.get_mut(case)
            && !t.confirmed
        {
            t.confirmed = true;
            t.own_audit.clear();
            let sealed = seal_tombstone(vault, case, t, self.sources.bytes())?;
            self.pending.add(*case, write::tombstone(case, sealed));
        }
        Ok(())
    }

    /// Finishes the destruction of `case` if its ledger now ends with `Destroy` (received as a ledger
    /// operation pushed by the lead). Returns whether it did.
    pub fn destroy_if_ended(&mut self, vault: &Vault, identity: &Identity, case: &CaseId) -> Result<bool, CaseError> {
        let Some(replica) = self.cases.get(case) else { return Ok(false) };
        if replica.ledger.destroyed().is_none() {
            return Ok(false);
        }
        let Some(op) = replica.ledger.ops().last().cloned() else { return Ok(false) };
        self.finish_destruction(vault, identity, case, &op)?;
        Ok(true)
    }

    /// A `Destroy` operation received from a member for a case this node holds: verified against this node's
    /// ledger (signed by its lead, for this case), then the case is destroyed here too.
    pub fn receive_destroy(
        &mut self,
        vault: &Vault,
        identity: &Identity,
        case: &CaseId,
        op: &[u8],
    ) -> Result<bool, CaseError> {
        let Some(replica) = self.cases.get(case) else { return Ok(false) };
        let (signer, _, _) = samenloop_protocol::cases::destruction::open_destroy(op, case)
            .map_err(|e| CaseError::Invalid(e.to_string()))?;
        if signer != replica.ledger.lead() {
            return Err(CaseError::Ledger(LedgerError::NotSignedByLead(0)));
        }
        self.finish_destruction(vault, identity, case, op)?;
        Ok(true)
    }
}

pub(super) fn seal_tombstone(
    vault: &Vault,
    case: &CaseId,
    t: &Tombstone,
    nonce: [u8; 24],
) -> Result<Vec<u8>, CaseError> {
    let plain = Zeroizing::new(serde_json::to_vec(t).map_err(|e| CaseError::Invalid(e.to_string()))?);
    Ok(vault.seal_with_nonce(TOMBSTONE_TABLE, &case.0, &plain, nonce))
}
