//! One case as this node holds it: the verified ledger, the document keys it was granted, and a replica
//! of each document it may read, typed by what the document is.

use std::collections::{BTreeMap, HashMap};

use samenloop_protocol::Identity;
use samenloop_protocol::cases::analysis::AnalysisDoc;
use samenloop_protocol::cases::audit::{AuditChains, live_checkpoint, sign_checkpoint};
use samenloop_protocol::cases::bundle::{BundleKey, SealedSnapshot};
use samenloop_protocol::cases::comments::CommentsDoc;
use samenloop_protocol::cases::doc_log::DocLog;
use samenloop_protocol::cases::ledger::{CaseId, DocKind, EpochKey, KeyGrant, Ledger};
use samenloop_protocol::cases::notes::NotesDoc;
use samenloop_protocol::cases::sync::DocVector;

use crate::cases::sources::Sources;
use crate::vault::Vault;

use super::*;

/// A replica of one case document, typed by what it is.
pub enum CaseDocument {
    /// The analysis.
    Analysis(AnalysisDoc),
    /// The reviewers' notes.
    Notes(NotesDoc),
    /// Supervisors' (and reviewers') comments.
    Comments(CommentsDoc),
}

impl CaseDocument {
    /// Which document this is.
    pub fn kind(&self) -> DocKind {
        match self {
            CaseDocument::Analysis(_) => DocKind::Analysis,
            CaseDocument::Notes(_) => DocKind::Notes,
            CaseDocument::Comments(_) => DocKind::Comments,
        }
    }

    pub(super) fn blank(doc: DocKind, actor: &[u8]) -> Option<CaseDocument> {
        match doc {
            DocKind::Analysis => Some(CaseDocument::Analysis(AnalysisDoc::blank(actor))),
            DocKind::Notes => Some(CaseDocument::Notes(NotesDoc::blank(actor))),
            DocKind::Comments => Some(CaseDocument::Comments(CommentsDoc::blank(actor))),
        }
    }

    pub(super) fn apply(&mut self, changes: &[u8]) -> Result<(), String> {
        match self {
            CaseDocument::Analysis(d) => d.apply(changes).map_err(|e| e.to_string()),
            CaseDocument::Notes(d) => d.apply(changes).map_err(|e| e.to_string()),
            CaseDocument::Comments(d) => d.apply(changes).map_err(|e| e.to_string()),
        }
    }

    /// The document's current heads (equal on two replicas exactly when they hold the same changes).
    pub fn heads(&mut self) -> Vec<samenloop_protocol::cases::analysis::ChangeHash> {
        match self {
            CaseDocument::Analysis(d) => d.heads(),
            CaseDocument::Notes(d) => d.heads(),
            CaseDocument::Comments(d) => d.heads(),
        }
    }

    pub(super) fn save_after(&mut self, heads: &[samenloop_protocol::cases::analysis::ChangeHash]) -> Vec<u8> {
        match self {
            CaseDocument::Analysis(d) => d.save_after(heads),
            CaseDocument::Notes(d) => d.save_after(heads),
            CaseDocument::Comments(d) => d.save_after(heads),
        }
    }

    pub(super) fn rollback(&mut self) {
        match self {
            CaseDocument::Analysis(d) => d.rollback(),
            CaseDocument::Notes(d) => d.rollback(),
            CaseDocument::Comments(d) => d.rollback(),
        }
    }

    /// The whole document in its parts (see `samenloop_protocol::cases::parts`): what a snapshot seals, quick to load.
    pub fn save(&mut self) -> Vec<u8> {
        match self {
            CaseDocument::Analysis(d) => d.save(),
            CaseDocument::Notes(d) => d.save(),
            CaseDocument::Comments(d) => d.save(),
        }
    }

    /// The whole document as one Automerge document, history included (loadable by any Automerge
    /// implementation): what an export writes.
    pub fn save_whole(&mut self) -> Result<Vec<u8>, CaseError> {
        Ok(match self {
            CaseDocument::Analysis(d) => d.save_whole()?,
            CaseDocument::Notes(d) => d.save_whole()?,
            CaseDocument::Comments(d) => d.save_whole()?,
        })
    }

    /// The document as JSON.
    pub fn to_json(&self) -> Result<serde_json::Value, CaseError> {
        match self {
            CaseDocument::Analysis(d) => Ok(d.to_json()?),
            CaseDocument::Notes(d) => Ok(d.to_json()?),
            CaseDocument::Comments(d) => Ok(d.to_json()?),
        }
    }

    /// Whether any member's first change has arrived.
    pub fn is_blank(&mut self) -> bool {
        match self {
            CaseDocument::Analysis(d) => d.is_blank(),
            CaseDocument::Notes(d) => d.is_blank(),
            CaseDocument::Comments(d) => d.is_blank(),
        }
    }
}

impl Replica {
    /// A document of `case` with nothing in it yet.
    pub(super) fn new(case: CaseId, doc: CaseDocument) -> Replica {
        let kind = doc.kind();
        Replica {
            log: DocLog::new(case, kind),
            doc,
            since_snapshot: 0,
            bytes_since_snapshot: 0,
            snapshot: None,
            broken: None,
        }
    }

    pub(super) fn note_applied(&mut self, bundles: usize, bytes: usize) {
        self.since_snapshot += bundles;
        self.bytes_since_snapshot += bytes;
    }

    /// Whether enough history has accumulated that a snapshot should bound it.
    pub(super) fn snapshot_due(&self) -> bool {
        self.since_snapshot >= SNAPSHOT_EVERY || self.bytes_since_snapshot >= SNAPSHOT_BYTES
    }
}

/// One document of a case on this node.
pub struct Replica {
    /// Chain positions of every author.
    pub log: DocLog,
    /// The document.
    pub doc: CaseDocument,
    /// Bundles applied since the last snapshot.
    pub(super) since_snapshot: usize,
    /// Their bytes.
    pub(super) bytes_since_snapshot: usize,
    /// The last snapshot stored (made here or received), to serve to members who are behind it.
    pub(super) snapshot: Option<SealedSnapshot>,
    /// Set when the stored document failed to decrypt or load: it is reported, never replaced.
    pub broken: Option<String>,
}

/// A case on this node.
pub struct CaseReplica {
    /// The verified ledger.
    pub ledger: Ledger,
    /// Keys this node holds, by (document, epoch).
    pub(super) keys: HashMap<(DocKind, u32), (EpochKey, BundleKey)>,
    /// The documents this node may read.
    pub docs: BTreeMap<DocKind, Replica>,
    /// The ledger length each peer was last seen to hold, so pushes carry only what a peer lacks.
    pub peer_ledger: HashMap<[u8; 32], u64>,
    /// The members' audit chains, as verified.
    pub audit: AuditChains,
    /// Why the stored audit trail failed to load, if it did: no entry is added and no checkpoint re-signed
    /// over it (that would launder the damage) until it is looked into.
    pub audit_broken: Option<String>,
}

impl CaseReplica {
    pub(super) fn new(ledger: Ledger) -> CaseReplica {
        let audit = AuditChains::new(ledger.case());
        CaseReplica {
            ledger,
            keys: HashMap::new(),
            docs: BTreeMap::new(),
            peer_ledger: HashMap::new(),
            audit,
            audit_broken: None,
        }
    }

    /// The sealed, signed checkpoint over this case's trail with `ledger` as its ledger (none while the trail
    /// is broken).
    pub(crate) fn checkpoint_with(
        &self,
        ledger: &Ledger,
        vault: &Vault,
        identity: &Identity,
        sources: &mut dyn Sources,
    ) -> Option<Vec<u8>> {
        if self.audit_broken.is_some() {
            return None;
        }
        let cp = live_checkpoint(ledger, &self.audit, sources.now());
        let signed = sign_checkpoint(identity.signing_key(), &cp);
        Some(vault.seal_with_nonce(AUDIT_CHECKPOINT_TABLE, &ledger.case().0, &signed, sources.bytes()))
    }

    /// The current epoch key of `doc`, if this node holds it (tests act as a modified client with it).
    #[cfg(feature = "test-support")]
    pub fn current_key(&self, doc: DocKind) -> Option<EpochKey> {
        let epoch = self.ledger.current_epoch(doc)?;
        self.keys.get(&(doc, epoch)).map(|(k, _)| k.clone())
    }

    /// Every (document, epoch) whose key this node holds (tests check who may hold what).
    #[cfg(feature = "test-support")]
    pub fn key_epochs(&self) -> Vec<(DocKind, u32)> {
        let mut out: Vec<(DocKind, u32)> = self.keys.keys().copied().collect();
        out.sort_by_key(|(d, e)| (d.name(), *e));
        out
    }

    pub(super) fn key(&self, doc: DocKind, epoch: u32) -> Option<&BundleKey> {
        self.keys.get(&(doc, epoch)).map(|(_, k)| k)
    }

    /// The docs `member` may read, with what this node holds of each.
    pub(super) fn vectors_for(&self, member: &[u8; 32]) -> Vec<DocVector> {
        self.docs
            .iter()
            .filter(|(d, _)| self.ledger.can_read(member, **d))
            .map(|(d, r)| DocVector { doc: *d, seqs: r.log.version_vector() })
            .collect()
    }

    /// Opens every grant addressed to `identity` that is not held yet.
    pub(super) fn open_grants(&mut self, identity: &Identity) -> Result<(), CaseError> {
        let me = identity.verifying_key().to_bytes();
        let case = self.ledger.case();
        let grants: Vec<KeyGrant> = self.ledger.grants_for(&me).cloned().collect();
        for g in grants {
            if self.keys.contains_key(&(g.doc, g.epoch)) {
                continue;
            }
            let key = g.open(&case, identity.encryption_secret())?;
            let bundle_key = BundleKey::derive(&key, &case, g.doc, g.epoch);
            self.keys.insert((g.doc, g.epoch), (key, bundle_key));
        }
        // Walk back through rotations: each epoch's key opens its predecessor's, so a member who joined late
        // (or stayed through a removal) reads the whole history.
        loop {
            let mut found = Vec::new();
            for ((doc, epoch), (key, _)) in &self.keys {
                if *epoch > 1
                    && !self.keys.contains_key(&(*doc, epoch - 1))
                    && let Some(sealed) = self.ledger.previous_key(*doc, *epoch)
                {
                    let previous =
                        samenloop_protocol::cases::ledger::open_previous_key(&case, *doc, *epoch, key, sealed)?;
                    found.push((*doc, epoch - 1, previous));
                }
            }
            if found.is_empty() {
                return Ok(());
            }
            for (doc, epoch, key) in found {
                let bundle_key = BundleKey::derive(&key, &case, doc, epoch);
                self.keys.insert((doc, epoch), (key, bundle_key));
            }
        }
    }
}
