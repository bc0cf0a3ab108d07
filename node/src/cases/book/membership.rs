//! Who is in a case: opening it (the lead and its keys), invitations, removals with key rotation, and
//! handing over the lead. Each is one signed ledger operation, sealed at rest, with the key grants it needs.

use samenloop_protocol::Identity;
use samenloop_protocol::cases::analysis::{AnalysisDoc, AnalysisError};
use samenloop_protocol::cases::comments::CommentsDoc;
use samenloop_protocol::cases::ledger::{CaseAction, CaseId, DocKind, EpochKey, KeyGrant, Ledger, Role};
use samenloop_protocol::cases::notes::NotesDoc;
use zeroize::Zeroizing;

use crate::cases::rows::{ledger_key, write};
use crate::vault::Vault;

use super::edit::seal_own;
use super::*;

impl CaseBook {
    /// Opens a new case with this node as lead: fresh keys for every document, the `Open` operation, and the
    /// first bundle of each document (the analysis with `init` applied).
    pub fn open_case(
        &mut self,
        vault: &Vault,
        identity: &Identity,
        init: impl FnOnce(&mut AnalysisDoc) -> Result<(), AnalysisError>,
    ) -> Result<CaseId, CaseError> {
        let case = CaseId(self.sources.bytes::<16>());
        let me = self.me;
        let mut grants = Vec::new();
        for doc in DocKind::ALL {
            let key = EpochKey(Zeroizing::new(self.sources.bytes::<32>()));
            grants.push(KeyGrant::seal(
                &case,
                doc,
                1,
                &me,
                &identity.encryption_public(),
                &key,
                self.sources.bytes::<32>(),
                self.sources.bytes::<24>(),
            ));
        }
        let record = samenloop_protocol::cases::ledger::CaseOpRecord {
            case,
            seq: 0,
            prev: [0; 32],
            at: self.sources.now(),
            action: CaseAction::Open { x25519: identity.encryption_public(), grants },
        };
        let op = samenloop_protocol::cases::ledger::sign_op(identity.signing_key(), &record)?;
        let ledger = Ledger::from_ops(case, std::slice::from_ref(&op))?;
        let mut analysis = AnalysisDoc::new("", &me)?;
        init(&mut analysis)?;
        let notes = NotesDoc::new(&me)?;
        let comments = CommentsDoc::new(&me).map_err(|e| CaseError::Invalid(e.to_string()))?;
        let mut replica = CaseReplica::new(ledger);
        replica.open_grants(identity)?;
        for (doc, content) in [
            (DocKind::Analysis, CaseDocument::Analysis(analysis)),
            (DocKind::Notes, CaseDocument::Notes(notes)),
            (DocKind::Comments, CaseDocument::Comments(comments)),
        ] {
            replica.docs.insert(doc, Replica::new(case, content));
        }
        let cp = replica.checkpoint_with(&replica.ledger, vault, identity, &mut *self.sources);
        self.pending.add(
            case,
            write::ledger(
                &case,
                0,
                vec![vault.seal_with_nonce(LEDGER_TABLE, &ledger_key(&case, 0), &op, self.sources.bytes())],
                cp,
            ),
        );
        for doc in DocKind::ALL {
            seal_own(&mut self.pending, &mut *self.sources, identity, &mut replica, doc, |d| Ok(d.save_after(&[])))?;
        }
        self.cases.insert(case, replica);
        Ok(case)
    }

    /// Adds a member (lead only): the `Invite` operation with their keys. Returns the signed operation.
    pub fn invite(
        &mut self,
        vault: &Vault,
        identity: &Identity,
        case: &CaseId,
        (member, x25519, role): ([u8; 32], [u8; 32], Role),
    ) -> Result<Vec<u8>, CaseError> {
        let replica = self.cases.get_mut(case).ok_or(CaseError::UnknownCase(*case))?;
        if replica.ledger.lead() != self.me {
            return Err(CaseError::NotAllowed("only the lead reviewer changes a case's membership".into()));
        }
        let mut grants = Vec::new();
        for doc in DocKind::ALL.into_iter().filter(|d| role.reads(*d)) {
            let epoch = replica.ledger.current_epoch(doc).ok_or(CaseError::Invalid("no key for a document".into()))?;
            let (key, _) = replica
                .keys
                .get(&(doc, epoch))
                .ok_or_else(|| CaseError::NotAllowed("this node does not hold the document's key".into()))?;
            grants.push(KeyGrant::seal(
                case,
                doc,
                epoch,
                &member,
                &x25519,
                key,
                self.sources.bytes::<32>(),
                self.sources.bytes::<24>(),
            ));
        }
        self.append_own_op(vault, identity, case, CaseAction::Invite { member, role, x25519, grants })
    }

    /// Removes a member (lead only) and rotates the key of every document they could read. Returns the
    /// signed operation.
    pub fn remove_member(
        &mut self,
        vault: &Vault,
        identity: &Identity,
        case: &CaseId,
        member: [u8; 32],
    ) -> Result<Vec<u8>, CaseError> {
        let replica = self.cases.get_mut(case).ok_or(CaseError::UnknownCase(*case))?;
        if replica.ledger.lead() != self.me {
            return Err(CaseError::NotAllowed("only the lead reviewer changes a case's membership".into()));
        }
        let gone = replica.ledger.member(&member).cloned().ok_or_else(|| CaseError::Invalid("not a member".into()))?;
        let mut rotations = Vec::new();
        for doc in DocKind::ALL.into_iter().filter(|d| gone.role.reads(*d)) {
            let epoch = replica.ledger.current_epoch(doc).ok_or(CaseError::Invalid("no key for a document".into()))?;
            let (old, _) = replica
                .keys
                .get(&(doc, epoch))
                .ok_or_else(|| CaseError::NotAllowed("this node does not hold the document's key".into()))?;
            let new_key = EpochKey(Zeroizing::new(self.sources.bytes::<32>()));
            let grants = replica
                .ledger
                .members()
                .filter(|m| m.key != member && m.role.reads(doc))
                .map(|m| {
                    KeyGrant::seal(
                        case,
                        doc,
                        epoch + 1,
                        &m.key,
                        &m.x25519,
                        &new_key,
                        self.sources.bytes::<32>(),
                        self.sources.bytes::<24>(),
                    )
                })
                .collect();
            let previous = samenloop_protocol::cases::ledger::seal_previous_key(
                case,
                doc,
                epoch + 1,
                &new_key,
                old,
                self.sources.bytes::<24>(),
            );
            rotations.push(samenloop_protocol::cases::ledger::Rotation { doc, epoch: epoch + 1, grants, previous });
        }
        // Their history stays as this node holds it; every node refuses what they write after this.
        let frozen = DocKind::ALL
            .into_iter()
            .filter(|d| gone.role.writes(*d))
            .map(|doc| {
                let (seq, hash) = replica
                    .docs
                    .get(&doc)
                    .and_then(|r| r.log.chain(&member).map(|c| (c.seq, c.last_hash())))
                    .unwrap_or((0, [0; 32]));
                samenloop_protocol::cases::ledger::FrozenChain { doc, seq, hash }
            })
            .collect();
        let action = CaseAction::Remove { member, rotations, frozen };
        self.append_own_op(vault, identity, case, action)
    }

    /// Hands the lead role to a co-reviewer (lead only). Returns the signed operation.
    pub fn hand_lead(
        &mut self,
        vault: &Vault,
        identity: &Identity,
        case: &CaseId,
        to: [u8; 32],
    ) -> Result<Vec<u8>, CaseError> {
        let replica = self.cases.get(case).ok_or(CaseError::UnknownCase(*case))?;
        if replica.ledger.lead() != self.me {
            return Err(CaseError::NotAllowed("only the lead reviewer hands over the lead role".into()));
        }
        self.append_own_op(vault, identity, case, CaseAction::HandLead { to })
    }

    /// Signs, verifies, stores and applies an operation of this node's (the lead's).
    pub(super) fn append_own_op(
        &mut self,
        vault: &Vault,
        identity: &Identity,
        case: &CaseId,
        action: CaseAction,
    ) -> Result<Vec<u8>, CaseError> {
        let replica = self.cases.get_mut(case).ok_or(CaseError::UnknownCase(*case))?;
        let op = replica.ledger.sign_next(identity.signing_key(), self.sources.now(), action)?;
        let mut next = replica.ledger.clone();
        next.append(&op)?;
        let seq = next.len() - 1;
        let cp = replica.checkpoint_with(&next, vault, identity, &mut *self.sources);
        self.pending.add(
            *case,
            write::ledger(
                case,
                seq,
                vec![vault.seal_with_nonce(LEDGER_TABLE, &ledger_key(case, seq), &op, self.sources.bytes())],
                cp,
            ),
        );
        replica.ledger = next;
        replica.open_grants(identity)?;
        Ok(op)
    }
}
