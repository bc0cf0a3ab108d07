//! What members exchange: the pull a node asks, the answer it gives (what the asker lacks, in pages), and
//! taking in what arrives (ledger operations, snapshots, runs), each verified before it is stored.

use std::collections::{BTreeMap, HashMap};

use samenloop_protocol::Identity;
use samenloop_protocol::cases::bundle::{BundleError, SealedBundle, SealedSnapshot, SignedHead};
use samenloop_protocol::cases::doc_log::{AuthorSeq, RunFrom};
use samenloop_protocol::cases::ledger::{CaseId, DocKind, Ledger, LedgerError};
use samenloop_protocol::cases::sync::{DocVector, SYNC_PAGE_BYTES, SyncRefusal, SyncResponse, WireRun};
use serde_bytes::ByteBuf;
use tracing::warn;

use crate::cases::rows::{CaseRows, Overlay, author_seq_of_key, ledger_key, write};
use crate::store::StoreError;
use crate::vault::Vault;

use super::edit::make_snapshot;
use super::load::add_readable_docs;
use super::*;

impl CaseBook {
    /// A pull request for `case`: what this node holds.
    pub fn pull_request(&self, case: &CaseId) -> Option<samenloop_protocol::cases::sync::SyncRequest> {
        let replica = self.cases.get(case)?;
        // A node told it was removed asks for nothing more.
        replica.ledger.member(&self.me)?;
        Some(samenloop_protocol::cases::sync::SyncRequest::Pull {
            case: *case,
            ledger_len: replica.ledger.len(),
            docs: replica.vectors_for(&self.me),
            audit: replica.audit.held(),
        })
    }

    /// A push of `runs` to `peer`, carrying the ledger operations the peer was not seen to hold.
    pub fn push_request(
        &self,
        case: &CaseId,
        peer: &[u8; 32],
        runs: Vec<WireRun>,
        audit: Vec<ByteBuf>,
    ) -> Option<samenloop_protocol::cases::sync::SyncRequest> {
        let replica = self.cases.get(case)?;
        replica.ledger.member(&self.me)?;
        let from = replica.peer_ledger.get(peer).copied().unwrap_or(0).min(replica.ledger.len());
        let ledger = replica.ledger.ops()[from as usize..].iter().map(|o| ByteBuf::from(o.clone())).collect();
        Some(samenloop_protocol::cases::sync::SyncRequest::Push {
            case: *case,
            ledger,
            ledger_from: from,
            ledger_len: replica.ledger.len(),
            runs,
            audit,
        })
    }

    /// Members of `case` other than this node, and whether they may read `doc` (None: any document).
    pub fn other_members(&self, case: &CaseId, doc: Option<DocKind>) -> Vec<[u8; 32]> {
        let Some(replica) = self.cases.get(case) else { return Vec::new() };
        replica
            .ledger
            .members()
            .filter(|m| m.key != self.me && doc.is_none_or(|d| m.role.reads(d)))
            .map(|m| m.key)
            .collect()
    }

    /// Answers a pull from `peer`: ledger operations, snapshots and runs it lacks, for the documents it may
    /// read; nothing at all to a non-member.
    pub fn answer_pull(
        &mut self,
        rows: &dyn CaseRows,
        identity: &Identity,
        peer: &[u8; 32],
        case: &CaseId,
        (ledger_len, docs, audit): (u64, &[DocVector], &[AuthorSeq]),
    ) -> SyncResponse {
        if let Some(t) = self.tombstones.get(case)
            && t.record.members.contains(peer)
        {
            return SyncResponse::Destroyed { destroy: t.record.destroy.clone() };
        }
        let Some(replica) = self.cases.get_mut(case) else {
            return SyncResponse::Refused(SyncRefusal::UnknownCase);
        };
        if replica.ledger.member(peer).is_none() {
            // A removed member's node is told, verifiably, by the ledger up to its removal and nothing after;
            // it gets no bundle, snapshot or audit entry.
            if let Some(ops) = replica.ledger.removal_notice(peer, ledger_len) {
                return SyncResponse::Delta {
                    ledger: ops.iter().map(|o| ByteBuf::from(o.clone())).collect(),
                    snapshots: Vec::new(),
                    runs: Vec::new(),
                    more: false,
                    holds: Vec::new(),
                    audit: Vec::new(),
                };
            }
            return SyncResponse::Refused(SyncRefusal::NotAMember);
        }
        replica.peer_ledger.insert(*peer, ledger_len.min(replica.ledger.len()));
        let from = (ledger_len as usize).min(replica.ledger.ops().len());
        let ledger = replica.ledger.ops()[from..].iter().map(|o| ByteBuf::from(o.clone())).collect();
        let mut snapshots = Vec::new();
        let mut runs = Vec::new();
        let mut budget = SYNC_PAGE_BYTES;
        let mut more = false;
        // A member far behind gets a fresh snapshot instead of hundreds of bundles: fewer bytes on the wire
        // (one compressed document instead of many separately compressed changes) and less to apply.
        let me = self.me;
        let far_behind: Vec<DocKind> = replica
            .docs
            .iter()
            .filter(|(doc, r)| {
                replica.ledger.can_read(peer, **doc)
                    && replica.ledger.can_write(&me, **doc)
                    && r.broken.is_none()
                    && fresh_snapshot_pays(&Overlay { disk: rows, pending: self.pending.ops() }, case, r, docs)
            })
            .map(|(doc, _)| *doc)
            .collect();
        for doc in far_behind {
            if let Err(e) = make_snapshot(&mut self.pending, &mut *self.sources, identity, replica, doc) {
                warn!(%case, "could not make a snapshot for a member who is behind: {e}");
            }
        }
        for (doc, r) in &replica.docs {
            if !replica.ledger.can_read(peer, *doc) || r.broken.is_some() {
                continue;
            }
            let theirs: HashMap<[u8; 32], u64> = docs
                .iter()
                .find(|v| v.doc == *doc)
                .map(|v| v.seqs.iter().map(|s| (s.author, s.seq)).collect())
                .unwrap_or_default();
            let seq_of = |a: &[u8; 32]| theirs.get(a).copied().unwrap_or(0);
            // Behind the snapshot for some author: the bundles are gone (or many), send the snapshot.
            let mut base: HashMap<[u8; 32], u64> = HashMap::new();
            if let Some(s) = &r.snapshot
                && s.covers.iter().any(|c| seq_of(&c.author) < c.seq)
            {
                budget = budget.saturating_sub(s.bytes().len());
                snapshots.push(ByteBuf::from(s.bytes().to_vec()));
                base = s.covers.iter().map(|c| (c.author, c.seq)).collect();
            }
            match runs_after(
                &Overlay { disk: rows, pending: self.pending.ops() },
                case,
                *doc,
                &r.log.version_vector(),
                &|a| seq_of(a).max(base.get(a).copied().unwrap_or(0)),
                &mut budget,
            ) {
                Ok((mut found, truncated)) => {
                    runs.append(&mut found);
                    more |= truncated;
                }
                Err(e) => warn!(%case, "cannot read bundles to serve: {e}"),
            }
        }
        let audit = replica.audit.beyond(audit).into_iter().map(ByteBuf::from).collect();
        SyncResponse::Delta { ledger, snapshots, runs, more, holds: replica.vectors_for(peer), audit }
    }

    /// Takes ledger operations from a member (a push or a pull's answer). For a case this node does not know,
    /// the operations must start at the `Open` and name this node as a member (an invitation).
    pub fn receive_ledger(
        &mut self,
        vault: &Vault,
        identity: &Identity,
        case: &CaseId,
        (from, ops): (u64, &[ByteBuf]),
        received: &mut Received,
    ) -> Result<(), CaseError> {
        if ops.is_empty() {
            return Ok(());
        }
        // A case destroyed here stays destroyed: a stale answer or mailbox item that starts at its `Open`
        // must not bring it back (and a second destruction would replace the record and its confirmations).
        if self.tombstones.contains_key(case) {
            return Err(CaseError::NotAllowed("the case was destroyed on this node".into()));
        }
        let me = self.me;
        if !self.cases.contains_key(case) {
            if from != 0 {
                return Err(CaseError::UnknownCase(*case));
            }
            let all: Vec<Vec<u8>> = ops.iter().map(|o| o.to_vec()).collect();
            let ledger = Ledger::from_ops(*case, &all)?;
            if ledger.member(&me).is_none() {
                return Err(CaseError::NotAllowed("an invitation to a case this node is not a member of".into()));
            }
            let sealed: Vec<Vec<u8>> = all
                .iter()
                .enumerate()
                .map(|(i, op)| {
                    vault.seal_with_nonce(LEDGER_TABLE, &ledger_key(case, i as u64), op, self.sources.bytes())
                })
                .collect();
            let mut replica = CaseReplica::new(ledger);
            let cp = replica.checkpoint_with(&replica.ledger, vault, identity, &mut *self.sources);
            self.pending.add(*case, write::ledger(case, 0, sealed, cp));
            replica.open_grants(identity)?;
            add_readable_docs(&mut replica, &me);
            received.ledger_grew = true;
            self.cases.insert(*case, replica);
            return Ok(());
        }
        let Some(replica) = self.cases.get_mut(case) else { return Ok(()) };
        let mut next = replica.ledger.clone();
        for (i, op) in ops.iter().enumerate() {
            let seq = from + i as u64;
            if seq < next.len() {
                if next.ops()[seq as usize] != op.as_slice() {
                    return Err(CaseError::Ledger(LedgerError::BrokenLink(seq)));
                }
                continue;
            }
            next.append(op)?;
        }
        if next.len() > replica.ledger.len() {
            let start = replica.ledger.len();
            let sealed: Vec<Vec<u8>> = next.ops()[start as usize..]
                .iter()
                .enumerate()
                .map(|(i, op)| {
                    vault.seal_with_nonce(LEDGER_TABLE, &ledger_key(case, start + i as u64), op, self.sources.bytes())
                })
                .collect();
            let cp = replica.checkpoint_with(&next, vault, identity, &mut *self.sources);
            self.pending.add(*case, write::ledger(case, start, sealed, cp));
            replica.ledger = next;
            replica.open_grants(identity)?;
            add_readable_docs(replica, &me);
            received.ledger_grew = true;
        }
        Ok(())
    }

    /// Takes a snapshot from a member, if it holds anything this node lacks.
    pub fn receive_snapshot(
        &mut self,
        identity: &Identity,
        case: &CaseId,
        bytes: Vec<u8>,
        received: &mut Received,
    ) -> Result<(), CaseError> {
        let replica = self.cases.get_mut(case).ok_or(CaseError::UnknownCase(*case))?;
        let snapshot = SealedSnapshot::decode(bytes)?;
        if snapshot.case != *case {
            return Err(CaseError::Bundle(BundleError::BrokenChain("a snapshot of another case")));
        }
        if !replica.ledger.can_write(&snapshot.author, snapshot.doc) {
            return Err(CaseError::Bundle(BundleError::NotAWriter));
        }
        let doc = snapshot.doc;
        let key = replica.key(doc, snapshot.epoch).ok_or(BundleError::UnknownEpoch(snapshot.epoch))?.clone();
        let me = self.me;
        let Some(r) = replica.docs.get_mut(&doc) else { return Ok(()) };
        if r.broken.is_some() || !r.log.snapshot_is_ahead(&snapshot.covers) {
            return Ok(());
        }
        // A reader stores the writer's snapshot as its own, so it must not lose anything it holds beyond it.
        let dominates = r
            .log
            .version_vector()
            .iter()
            .all(|h| snapshot.covers.iter().find(|c| c.author == h.author).is_some_and(|c| c.seq >= h.seq));
        if !replica.ledger.can_write(&me, doc) && !dominates {
            return Ok(());
        }
        let plain = snapshot.open(&key)?;
        r.doc.apply(&plain).map_err(|e| CaseError::Bundle(BundleError::BadChanges(e)))?;
        // A snapshot this large loaded on several threads and left freed memory behind.
        if plain.len() >= samenloop_protocol::cases::parts::PARALLEL_LOAD_BYTES {
            crate::freed_memory::release();
        }
        r.log.adopt_snapshot(&snapshot.covers);
        received.changed.push(doc);
        if replica.ledger.can_write(&self.me, doc) {
            // Re-snapshot here at once: what this node holds is now the merge of both, and the bundles the
            // received snapshot covers are not on this disk.
            make_snapshot(&mut self.pending, &mut *self.sources, identity, replica, doc)?;
        } else {
            // A reader cannot sign snapshots others accept; it keeps the writer's, which covers all it adopted.
            let dropped: Vec<([u8; 32], u64)> = snapshot.covers.iter().map(|c| (c.author, c.seq)).collect();
            self.pending.add(*case, write::snapshot(case, doc, snapshot.bytes().to_vec(), &dropped));
            r.snapshot = Some(snapshot);
            r.since_snapshot = 0;
            r.bytes_since_snapshot = 0;
        }
        Ok(())
    }

    /// Takes a run of bundles brought by the member `from`: verified, stored, applied, committed, or refused
    /// whole.
    pub fn receive_run(
        &mut self,
        identity: &Identity,
        (case, from): (&CaseId, &[u8; 32]),
        run: WireRun,
        received: &mut Received,
    ) -> Result<(), CaseError> {
        let replica = self.cases.get_mut(case).ok_or(CaseError::UnknownCase(*case))?;
        let head = SignedHead::decode(&run.head)?;
        let mut bundles = Vec::with_capacity(run.bundles.len());
        for b in run.bundles {
            bundles.push(SealedBundle::parse(b.into_vec())?);
        }
        let doc = head.doc;
        let Some(r) = replica.docs.get(&doc) else {
            return Err(CaseError::NotAllowed(format!("this node does not hold the {} document", doc.name())));
        };
        if r.broken.is_some() {
            return Ok(());
        }
        let brought_by = if *from == head.author { RunFrom::Author } else { RunFrom::Relayed };
        let checked = r
            .log
            .check_run(bundles, head, (&replica.ledger, brought_by), |e| replica.keys.get(&(doc, e)).map(|(_, k)| k))?;
        if checked.new.is_empty() {
            return Ok(());
        }
        for b in &checked.new {
            samenloop_protocol::cases::doc_log::check_changes(&b.changes, &checked.author)?;
        }
        let stored: Vec<(u64, Vec<u8>)> =
            checked.new.iter().map(|b| (b.bundle.header().seq, b.bundle.bytes().to_vec())).collect();
        self.pending
            .add(*case, write::run(case, doc, &checked.author, stored, (checked.head.seq, checked.head.encode())));
        let Some(r) = replica.docs.get_mut(&doc) else { return Ok(()) };
        for b in &checked.new {
            if let Err(e) = r.doc.apply(&b.changes) {
                // Checked above, so this is an Automerge-level inconsistency; keep going with the rest.
                warn!(%case, "a verified bundle did not apply: {e}");
            }
        }
        let hashes: Vec<_> = checked.new.iter().map(|b| b.hash).collect();
        r.note_applied(hashes.len(), checked.new.iter().map(|b| b.bundle.bytes().len()).sum());
        r.log.commit(checked.author, &hashes, checked.head);
        received.changed.push(doc);
        if r.snapshot_due() && replica.ledger.can_write(&self.me, doc) {
            make_snapshot(&mut self.pending, &mut *self.sources, identity, replica, doc)?;
        }
        Ok(())
    }
}

/// The last seq of `author` in `doc` that a member holding `docs` says it has.
pub(super) fn their_seq(docs: &[DocVector], doc: DocKind, author: &[u8; 32]) -> u64 {
    docs.iter().find(|v| v.doc == doc).and_then(|v| v.seqs.iter().find(|x| &x.author == author)).map_or(0, |x| x.seq)
}

/// Whether to make a fresh snapshot for a member holding `docs` rather than send what is stored: when it lacks
/// much history beyond the stored snapshot, or when it needs the stored snapshot anyway and the bundles
/// after it would add more than an eighth to it (one compressed document is smaller than the two).
pub(super) fn fresh_snapshot_pays(rows: &dyn CaseRows, case: &CaseId, r: &Replica, docs: &[DocVector]) -> bool {
    let lacking = lacking_bytes(rows, case, r, docs);
    if lacking > FRESH_SNAPSHOT_BYTES {
        return true;
    }
    let Some(s) = &r.snapshot else { return false };
    let doc = r.log.doc();
    let needs_stored = s.covers.iter().any(|c| their_seq(docs, doc, &c.author) < c.seq);
    needs_stored && lacking > s.bytes().len() / 8
}

/// How many bundle bytes of `r` a member holding `docs` lacks beyond what `r`'s stored snapshot covers.
pub(super) fn lacking_bytes(rows: &dyn CaseRows, case: &CaseId, r: &Replica, docs: &[DocVector]) -> usize {
    let doc = r.log.doc();
    let covered =
        |a: &[u8; 32]| r.snapshot.as_ref().and_then(|s| s.covers.iter().find(|c| &c.author == a)).map_or(0, |c| c.seq);
    let Ok(bundles) = rows.bundles(case, doc) else { return 0 };
    bundles
        .iter()
        .filter(|(k, _)| {
            let (author, seq) = author_seq_of_key(k);
            seq > their_seq(docs, doc, &author).max(covered(&author))
        })
        .map(|(_, v)| v.len())
        .sum()
}

/// The runs of `doc` beyond `their(author)` for every author held, within `budget` bytes (a run is cut at a
/// stored head when the budget runs out). Returns the runs and whether anything was left out.
pub(super) fn runs_after(
    rows: &dyn CaseRows,
    case: &CaseId,
    doc: DocKind,
    held: &[AuthorSeq],
    their: &dyn Fn(&[u8; 32]) -> u64,
    budget: &mut usize,
) -> Result<(Vec<WireRun>, bool), StoreError> {
    let mut out = Vec::new();
    let mut truncated = false;
    let wanted: Vec<&AuthorSeq> = held.iter().filter(|h| h.seq > their(&h.author)).collect();
    if wanted.is_empty() {
        return Ok((out, false));
    }
    let heads: BTreeMap<Vec<u8>, Vec<u8>> = rows.heads(case, doc)?.into_iter().collect();
    let bundles = rows.bundles(case, doc)?;
    for h in wanted {
        let from = their(&h.author);
        let mut run = Vec::new();
        let mut last_head: Option<(usize, Vec<u8>)> = None;
        for (k, v) in bundles.iter().filter(|(k, _)| author_seq_of_key(k).0 == h.author) {
            let seq = author_seq_of_key(k).1;
            if seq <= from {
                continue;
            }
            if *budget < v.len() && last_head.is_some() {
                truncated = true;
                break;
            }
            *budget = budget.saturating_sub(v.len());
            run.push(ByteBuf::from(v.clone()));
            if let Some(head) = heads.get(k) {
                last_head = Some((run.len(), head.clone()));
            }
        }
        if let Some((n, head)) = last_head {
            run.truncate(n);
            out.push(WireRun { bundles: run, head });
        }
        if *budget == 0 {
            truncated = true;
            break;
        }
    }
    Ok((out, truncated))
}
