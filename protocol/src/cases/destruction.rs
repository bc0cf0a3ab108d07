//! The end of a case: the lead's signed `Destroy` operation (in the ledger, [`crate::cases::ledger::CaseAction`]) and
//! each member node's signed confirmation that it deleted everything of the case.
//!
//! The lead's node keeps a [`DestructionRecord`]: the `Destroy` operation itself (signed by the lead) and the
//! confirmations as they arrive (each signed by a member's node, naming the case and the hash of that exact
//! operation). It says which case was destroyed, when, and who confirmed, and anyone holding it can verify it
//! without the case's keys or documents, which no longer exist anywhere.

use ed25519_dalek::SigningKey;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::cases::ledger::{CaseAction, CaseId, CaseOpRecord};
use crate::records::envelope::{RecordKind, open_record, seal_envelope};
use crate::records::time::UnixTime;

/// The signed body of a confirmation (record kind 9).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConfirmationRecord {
    /// The case.
    pub case: CaseId,
    /// SHA-256 of the lead's `Destroy` operation (its signed bytes).
    pub destroy: [u8; 32],
    /// When this node finished deleting.
    pub at: UnixTime,
}

/// Why a destruction record or confirmation does not verify.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DestructionError {
    /// The operation is not a valid, signed `Destroy` of this case.
    #[error("not a destroy operation of this case: {0}")]
    NotADestroy(String),
    /// A confirmation does not open, or is for another case or another destroy operation.
    #[error("confirmation {index}: {reason}")]
    BadConfirmation {
        /// Its position in the record.
        index: usize,
        /// What is wrong.
        reason: String,
    },
}

/// SHA-256 of a signed operation: what confirmations name.
pub fn destroy_hash(op: &[u8]) -> [u8; 32] {
    Sha256::digest(op).into()
}

/// Checks that `op` is a signed `Destroy` of `case`; returns the lead's key, when it was signed and its hash.
pub fn open_destroy(op: &[u8], case: &CaseId) -> Result<([u8; 32], UnixTime, [u8; 32]), DestructionError> {
    let (env, record): (_, CaseOpRecord) =
        open_record(op, RecordKind::CaseOp).map_err(|e| DestructionError::NotADestroy(format!("{e:?}")))?;
    if record.case != *case {
        return Err(DestructionError::NotADestroy("another case".into()));
    }
    if !matches!(record.action, CaseAction::Destroy { .. }) {
        return Err(DestructionError::NotADestroy("another kind of operation".into()));
    }
    Ok((env.signer.to_bytes(), record.at, destroy_hash(op)))
}

/// The ledger position of a signed operation (for sending a `Destroy` as the next ledger operation).
pub fn op_seq(op: &[u8]) -> Option<u64> {
    open_record::<CaseOpRecord>(op, RecordKind::CaseOp).ok().map(|(_, r)| r.seq)
}

/// A member node's confirmation that it destroyed `case`, signed with its identity.
pub fn confirm(key: &SigningKey, case: CaseId, destroy: [u8; 32], at: UnixTime) -> Vec<u8> {
    let body = postcard::to_allocvec(&ConfirmationRecord { case, destroy, at }).unwrap_or_default();
    // A record this small is far under the envelope's limit: sealing cannot fail.
    seal_envelope(key, RecordKind::DestroyConfirmation, &body).unwrap_or_default()
}

/// Verifies one confirmation of (`case`, `destroy`); returns the confirming member's key and time.
pub fn open_confirmation(bytes: &[u8], case: &CaseId, destroy: &[u8; 32]) -> Result<([u8; 32], UnixTime), String> {
    let (env, record): (_, ConfirmationRecord) =
        open_record(bytes, RecordKind::DestroyConfirmation).map_err(|e| format!("{e:?}"))?;
    if record.case != *case {
        return Err("it confirms another case".into());
    }
    if record.destroy != *destroy {
        return Err("it confirms another destroy operation".into());
    }
    Ok((env.signer.to_bytes(), record.at))
}

/// What the lead's node keeps of a destroyed case.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DestructionRecord {
    /// The case.
    pub case: CaseId,
    /// The lead's signed `Destroy` operation.
    #[serde(with = "serde_bytes")]
    pub destroy: Vec<u8>,
    /// The members whose nodes must confirm (everyone in the ledger when it was destroyed, lead included).
    pub members: Vec<[u8; 32]>,
    /// Confirmations received, each signed by a member's node.
    pub confirmations: Vec<serde_bytes::ByteBuf>,
}

/// A verified view of a destruction record.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct VerifiedDestruction {
    /// The lead who destroyed the case.
    pub lead: [u8; 32],
    /// When.
    pub at: UnixTime,
    /// Who confirmed, and when, in the order received.
    pub confirmed: Vec<([u8; 32], UnixTime)>,
    /// Members whose confirmation has not arrived.
    pub missing: Vec<[u8; 32]>,
}

impl DestructionRecord {
    /// Adds a confirmation if it verifies, comes from a member, and is not a repeat. Returns whether it was new.
    pub fn add(&mut self, confirmation: &[u8]) -> Result<bool, String> {
        let (_, _, hash) = open_destroy(&self.destroy, &self.case).map_err(|e| e.to_string())?;
        let (member, _) = open_confirmation(confirmation, &self.case, &hash)?;
        if !self.members.contains(&member) {
            return Err("the confirming node is not a member of the case".into());
        }
        let known =
            self.confirmations.iter().any(|c| open_confirmation(c, &self.case, &hash).is_ok_and(|(m, _)| m == member));
        if known {
            return Ok(false);
        }
        self.confirmations.push(serde_bytes::ByteBuf::from(confirmation.to_vec()));
        Ok(true)
    }

    /// Verifies every signature and link; a modified record fails and says which part.
    pub fn verify(&self) -> Result<VerifiedDestruction, DestructionError> {
        let (lead, at, hash) = open_destroy(&self.destroy, &self.case)?;
        let mut confirmed: Vec<([u8; 32], UnixTime)> = Vec::new();
        for (index, c) in self.confirmations.iter().enumerate() {
            let (member, when) = open_confirmation(c, &self.case, &hash)
                .map_err(|reason| DestructionError::BadConfirmation { index, reason })?;
            if !self.members.contains(&member) {
                return Err(DestructionError::BadConfirmation { index, reason: "not a member".into() });
            }
            if !confirmed.iter().any(|(m, _)| *m == member) {
                confirmed.push((member, when));
            }
        }
        let missing = self.members.iter().filter(|m| !confirmed.iter().any(|(c, _)| c == *m)).copied().collect();
        Ok(VerifiedDestruction { lead, at, confirmed, missing })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cases::ledger::{Ledger, sign_op};
    use crate::records::identity::Identity;

    fn destroyed_case() -> (Identity, Identity, CaseId, Ledger, Vec<u8>) {
        let lead = Identity::from_secrets([1; 32], [2; 32]);
        let co = Identity::from_secrets([3; 32], [4; 32]);
        let case = CaseId([7; 16]);
        let open = sign_op(
            lead.signing_key(),
            &CaseOpRecord {
                case,
                seq: 0,
                prev: [0; 32],
                at: UnixTime(10),
                action: CaseAction::Open { x25519: lead.encryption_public(), grants: vec![] },
            },
        )
        .unwrap();
        let mut ledger = Ledger::from_ops(case, &[open]).unwrap();
        let invite = CaseAction::Invite {
            member: co.verifying_key().to_bytes(),
            role: crate::cases::ledger::Role::CoReviewer,
            x25519: co.encryption_public(),
            grants: vec![],
        };
        let op = ledger.sign_next(lead.signing_key(), UnixTime(11), invite).unwrap();
        ledger.append(&op).unwrap();
        // A co-reviewer cannot destroy the case.
        let by_co = ledger.sign_next(co.signing_key(), UnixTime(12), CaseAction::Destroy { report: None }).unwrap();
        assert!(ledger.clone().append(&by_co).is_err());
        let destroy = ledger.sign_next(lead.signing_key(), UnixTime(12), CaseAction::Destroy { report: None }).unwrap();
        ledger.append(&destroy).unwrap();
        (lead, co, case, ledger, destroy)
    }

    #[test]
    fn the_ledger_ends_with_destroy_and_the_record_lists_every_confirmation() {
        let (lead, co, case, mut ledger, destroy) = destroyed_case();
        assert_eq!(ledger.destroyed(), Some(destroy_hash(&destroy)));
        let after = ledger.sign_next(lead.signing_key(), UnixTime(13), CaseAction::Destroy { report: None }).unwrap();
        assert_eq!(ledger.append(&after).unwrap_err(), crate::cases::ledger::LedgerError::Destroyed);

        let members: Vec<[u8; 32]> = ledger.members().map(|m| m.key).collect();
        let mut record = DestructionRecord { case, destroy: destroy.clone(), members, confirmations: vec![] };
        let hash = destroy_hash(&destroy);
        assert_eq!(record.verify().unwrap().missing.len(), 2);
        assert_eq!(record.add(&confirm(co.signing_key(), case, hash, UnixTime(20))), Ok(true));
        assert_eq!(record.add(&confirm(co.signing_key(), case, hash, UnixTime(21))), Ok(false), "a repeat");
        assert_eq!(record.add(&confirm(lead.signing_key(), case, hash, UnixTime(14))), Ok(true));
        let v = record.verify().unwrap();
        assert_eq!(v.lead, lead.verifying_key().to_bytes());
        assert_eq!(v.confirmed.len(), 2);
        assert!(v.missing.is_empty());

        // Confirmations of another operation, another case, or by a stranger are refused.
        let stranger = Identity::from_secrets([9; 32], [9; 32]);
        assert!(record.add(&confirm(stranger.signing_key(), case, hash, UnixTime(1))).is_err());
        assert!(record.add(&confirm(co.signing_key(), case, [0; 32], UnixTime(1))).is_err());
        assert!(record.add(&confirm(co.signing_key(), CaseId([8; 16]), hash, UnixTime(1))).is_err());
        // A modified record fails and says where.
        let mut tampered = record.clone();
        let last = tampered.confirmations[1].len() - 1;
        tampered.confirmations[1][last] ^= 1;
        assert!(matches!(tampered.verify(), Err(DestructionError::BadConfirmation { index: 1, .. })));
        let mut other = record.clone();
        other.destroy[40] ^= 1;
        assert!(matches!(other.verify(), Err(DestructionError::NotADestroy(_))));
        assert!(open_destroy(&ledger.ops()[1], &case).is_err(), "an invite is not a destroy");
    }
}
