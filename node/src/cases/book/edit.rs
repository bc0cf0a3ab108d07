//! Local edits: a typed change on a replica becomes one sealed bundle with a signed head, and enough
//! history becomes a snapshot.

use samenloop_protocol::Identity;
use samenloop_protocol::cases::bundle::{BundleHeader, SealedBundle, SealedSnapshot, SignedHead};
use samenloop_protocol::cases::ledger::{CaseId, DocKind};
use samenloop_protocol::cases::sync::WireRun;
use serde_bytes::ByteBuf;
use tracing::{debug, warn};
use zeroize::Zeroizing;

use crate::cases::rows::{Pending, write};
use crate::cases::sources::Sources;

use super::*;

impl CaseBook {
    /// Applies a local edit to one document and commits it as one bundle. Returns the edit's result and the
    /// run to push (none if the edit changed nothing). A failed edit leaves the document as it was.
    pub fn edit<T>(
        &mut self,
        identity: &Identity,
        case: &CaseId,
        doc: DocKind,
        f: impl FnOnce(&mut CaseDocument) -> Result<T, CaseError>,
    ) -> Result<(T, Option<WireRun>), CaseError> {
        let replica = self.cases.get_mut(case).ok_or(CaseError::UnknownCase(*case))?;
        if replica.ledger.was_removed(&self.me) {
            return Err(CaseError::NotAllowed(
                "you were removed from this case: nothing you write would reach the other members".into(),
            ));
        }
        if !replica.ledger.can_write(&self.me, doc) {
            return Err(CaseError::NotAllowed(format!("your role may not write the {} document", doc.name())));
        }
        let r = replica.docs.get_mut(&doc).ok_or(CaseError::NotYetSynced(doc_name(doc)))?;
        if let Some(reason) = &r.broken {
            return Err(CaseError::Broken { case: *case, doc: doc_name(doc), reason: reason.clone() });
        }
        if r.doc.is_blank() {
            return Err(CaseError::NotYetSynced(doc_name(doc)));
        }
        let before = r.doc.heads();
        let out = match f(&mut r.doc) {
            Ok(out) => out,
            Err(e) => {
                r.doc.rollback();
                return Err(e);
            }
        };
        let run =
            seal_own(&mut self.pending, &mut *self.sources, identity, replica, doc, |d| Ok(d.save_after(&before)))?;
        Ok((out, run))
    }
}

/// Makes a snapshot of every document this node writes that has changed since its last one, so the next
/// start loads one compressed document instead of replaying bundles. Called at shutdown.
pub fn snapshot_pending(book: &mut CaseBook, identity: &Identity) {
    let me = book.me;
    let pending = &mut book.pending;
    let sources = &mut *book.sources;
    for replica in book.cases.values_mut() {
        let due: Vec<DocKind> = replica
            .docs
            .iter()
            .filter(|(d, r)| r.since_snapshot > 0 && r.broken.is_none() && replica.ledger.can_write(&me, **d))
            .map(|(d, _)| *d)
            .collect();
        for doc in due {
            if let Err(e) = make_snapshot(pending, sources, identity, replica, doc) {
                warn!(case = %replica.ledger.case(), "could not snapshot at shutdown: {e}");
            }
        }
    }
}

/// Seals this node's new changes to `doc` (from `changes`) as one bundle with a signed head, stores it, and
/// commits it to the log. Returns the run to push, or None if there were no changes.
pub(super) fn seal_own(
    pending: &mut Pending,
    sources: &mut dyn Sources,
    identity: &Identity,
    replica: &mut CaseReplica,
    doc: DocKind,
    changes: impl FnOnce(&mut CaseDocument) -> Result<Vec<u8>, CaseError>,
) -> Result<Option<WireRun>, CaseError> {
    let case = replica.ledger.case();
    let me = identity.verifying_key().to_bytes();
    let epoch = replica.ledger.current_epoch(doc).ok_or(CaseError::Invalid("no key for a document".into()))?;
    let key = replica
        .keys
        .get(&(doc, epoch))
        .map(|(_, k)| k.clone())
        .ok_or_else(|| CaseError::NotAllowed("this node does not hold the document's key".into()))?;
    let Some(r) = replica.docs.get_mut(&doc) else { return Ok(None) };
    let plain = Zeroizing::new(changes(&mut r.doc)?);
    if plain.is_empty() {
        return Ok(None);
    }
    let (seq, prev) = r.log.next_for(&me);
    let header = BundleHeader { case, doc, epoch, author: me, seq, prev };
    let bundle = match SealedBundle::seal(&key, header, &plain, sources.bytes()) {
        Ok(b) => b,
        Err(e) => {
            r.doc.rollback();
            return Err(e.into());
        }
    };
    let hash = bundle.chain_hash();
    let head = SignedHead::sign(identity.signing_key(), case, doc, seq, hash);
    let head_bytes = head.encode();
    pending.add(case, write::run(&case, doc, &me, vec![(seq, bundle.bytes().to_vec())], (seq, head_bytes.clone())));
    r.log.commit(me, &[hash], head);
    r.note_applied(1, bundle.bytes().len());
    let run = WireRun { bundles: vec![ByteBuf::from(bundle.into_bytes())], head: head_bytes };
    if r.snapshot_due() {
        make_snapshot(pending, sources, identity, replica, doc)?;
    }
    Ok(Some(run))
}

/// Makes, stores and keeps a snapshot of `doc` covering everything held, and drops the bundles it covers.
pub(super) fn make_snapshot(
    pending: &mut Pending,
    sources: &mut dyn Sources,
    identity: &Identity,
    replica: &mut CaseReplica,
    doc: DocKind,
) -> Result<(), CaseError> {
    let case = replica.ledger.case();
    let epoch = replica.ledger.current_epoch(doc).ok_or(CaseError::Invalid("no key for a document".into()))?;
    let Some(key) = replica.key(doc, epoch).cloned() else { return Ok(()) };
    let Some(r) = replica.docs.get_mut(&doc) else { return Ok(()) };
    let covers = r.log.covers();
    let saved = Zeroizing::new(r.doc.save());
    let snapshot =
        SealedSnapshot::seal(&key, identity.signing_key(), case, doc, epoch, covers.clone(), &saved, sources.bytes())?;
    let dropped: Vec<([u8; 32], u64)> = covers.iter().map(|c| (c.author, c.seq)).collect();
    pending.add(case, write::snapshot(&case, doc, snapshot.bytes().to_vec(), &dropped));
    debug!(%case, doc = doc.name(), bytes = snapshot.bytes().len(), "snapshot made");
    r.snapshot = Some(snapshot);
    r.since_snapshot = 0;
    r.bytes_since_snapshot = 0;
    Ok(())
}
