//! The cases this node is a member of: their ledgers, document keys and document replicas, and the sync
//! rules around them. No networking here: the event loop hands this module what arrived and sends what it
//! returns, so every rule is exercised without a socket.
//!
//! Flow of a local edit: typed change on the replica -> `save_after` the heads before it -> one sealed bundle
//! with a signed head -> its rows pending -> committed with the event -> pushed to connected members. Flow of a
//! received run: verify (member, chain, signature, epoch, AEAD, actor of every change) -> rows pending -> apply
//! -> commit to the log. The book writes nothing itself: its writes are row ops (`cases::rows`) that the
//! driver commits in one transaction before any effect of the event goes out; a failed commit restores the
//! touched cases from the disk. Nothing stored was not first verified.
//!
//! At rest: bundles and snapshots as sealed (under the epoch key), the ledger sealed with the vault, document
//! keys only inside the ledger (sealed to this node's X25519 key). No plaintext of any document is written.

use std::collections::{BTreeMap, HashMap};

use samenloop_protocol::Identity;
use samenloop_protocol::cases::analysis::{AnalysisDoc, AnalysisError};
use samenloop_protocol::cases::audit::{AuditChains, live_checkpoint, sign_checkpoint};
use samenloop_protocol::cases::bundle::{
    BundleError, BundleHeader, BundleKey, SealedBundle, SealedSnapshot, SignedHead,
};
use samenloop_protocol::cases::comments::{CommentsDoc, CommentsError};
use samenloop_protocol::cases::destruction::DestructionRecord;
use samenloop_protocol::cases::doc_log::{AuthorSeq, DocLog, RunFrom};
use samenloop_protocol::cases::ledger::{CaseAction, CaseId, DocKind, EpochKey, KeyGrant, Ledger, LedgerError, Role};
use samenloop_protocol::cases::notes::{NotesDoc, NotesError};
use samenloop_protocol::cases::sync::{DocVector, SYNC_PAGE_BYTES, SyncRefusal, SyncResponse, WireRun};
use serde_bytes::ByteBuf;
use tracing::{debug, warn};
use zeroize::Zeroizing;

use crate::cases::audit::{AuditArchive, load_audit};
use crate::cases::rows::{CaseDisk, CaseRows, Overlay, Pending, author_seq_of_key, ledger_key, write};
use crate::keystore::random_bytes;
use crate::store::StoreError;
use crate::vault::Vault;

/// A member lacking more bundle bytes than this (beyond the stored snapshot) is sent a fresh snapshot
/// instead: one compressed document is several times smaller than the same history as separate bundles.
pub const FRESH_SNAPSHOT_BYTES: usize = 256 * 1024;

/// Bundle bytes since the last snapshot after which a new one is made.
pub const SNAPSHOT_BYTES: usize = 1024 * 1024;

/// After this many bundles applied to a document since its last snapshot, a new snapshot is made and the
/// bundles it covers are dropped: it bounds what a new member downloads and what a restart replays.
pub const SNAPSHOT_EVERY: usize = 256;

/// Table names, bound into each value the vault seals (see `vault`), so a value cannot move between tables.
pub(crate) const LEDGER_TABLE: &str = "case_ledger";
const TOMBSTONE_TABLE: &str = "case_tombstones";
pub(crate) const AUDIT_TABLE: &str = "case_audit";
pub(crate) const AUDIT_CHECKPOINT_TABLE: &str = "case_audit_checkpoints";

/// Why a case operation failed.
#[derive(Debug, thiserror::Error)]
pub enum CaseError {
    /// No such case here.
    #[error("no case {0} on this node")]
    UnknownCase(CaseId),
    /// This node's role does not allow the operation.
    #[error("{0}")]
    NotAllowed(String),
    /// The document has not arrived from the other members yet.
    #[error("the {0} document of this case has not arrived from the other members yet")]
    NotYetSynced(&'static str),
    /// The document failed to decrypt or load locally; it is reported and left untouched on disk.
    #[error("the {doc} document of case {case} cannot be read on this node: {reason}")]
    Broken {
        /// The case.
        case: CaseId,
        /// The document.
        doc: &'static str,
        /// Why.
        reason: String,
    },
    /// The edit itself is invalid (unknown entity, bad id, bad step).
    #[error("{0}")]
    Invalid(String),
    /// The ledger refused an operation.
    #[error("{0}")]
    Ledger(#[from] LedgerError),
    /// A bundle could not be made.
    #[error("{0}")]
    Bundle(#[from] BundleError),
    /// Reading or committing rows failed. A failed commit restores the touched cases from the disk, so
    /// memory never holds what the disk does not.
    #[error("{0}")]
    Store(#[from] StoreError),
}

impl From<AnalysisError> for CaseError {
    fn from(e: AnalysisError) -> CaseError {
        CaseError::Invalid(e.to_string())
    }
}

impl From<CommentsError> for CaseError {
    fn from(e: CommentsError) -> CaseError {
        CaseError::Invalid(e.to_string())
    }
}

impl From<NotesError> for CaseError {
    fn from(e: NotesError) -> CaseError {
        CaseError::Invalid(e.to_string())
    }
}

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

    fn blank(doc: DocKind, actor: &[u8]) -> Option<CaseDocument> {
        match doc {
            DocKind::Analysis => Some(CaseDocument::Analysis(AnalysisDoc::blank(actor))),
            DocKind::Notes => Some(CaseDocument::Notes(NotesDoc::blank(actor))),
            DocKind::Comments => Some(CaseDocument::Comments(CommentsDoc::blank(actor))),
        }
    }

    fn apply(&mut self, changes: &[u8]) -> Result<(), String> {
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

    fn save_after(&mut self, heads: &[samenloop_protocol::cases::analysis::ChangeHash]) -> Vec<u8> {
        match self {
            CaseDocument::Analysis(d) => d.save_after(heads),
            CaseDocument::Notes(d) => d.save_after(heads),
            CaseDocument::Comments(d) => d.save_after(heads),
        }
    }

    fn rollback(&mut self) {
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
    fn new(case: CaseId, doc: CaseDocument) -> Replica {
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

    fn note_applied(&mut self, bundles: usize, bytes: usize) {
        self.since_snapshot += bundles;
        self.bytes_since_snapshot += bytes;
    }

    /// Whether enough history has accumulated that a snapshot should bound it.
    fn snapshot_due(&self) -> bool {
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
    since_snapshot: usize,
    /// Their bytes.
    bytes_since_snapshot: usize,
    /// The last snapshot stored (made here or received), to serve to members who are behind it.
    snapshot: Option<SealedSnapshot>,
    /// Set when the stored document failed to decrypt or load: it is reported, never replaced.
    pub broken: Option<String>,
}

/// A case on this node.
pub struct CaseReplica {
    /// The verified ledger.
    pub ledger: Ledger,
    /// Keys this node holds, by (document, epoch).
    keys: HashMap<(DocKind, u32), (EpochKey, BundleKey)>,
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
    fn new(ledger: Ledger) -> CaseReplica {
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
    pub(crate) fn checkpoint_with(&self, ledger: &Ledger, vault: &Vault, identity: &Identity) -> Option<Vec<u8>> {
        if self.audit_broken.is_some() {
            return None;
        }
        let cp = live_checkpoint(ledger, &self.audit, crate::network::now());
        let signed = sign_checkpoint(identity.signing_key(), &cp);
        Some(vault.seal(AUDIT_CHECKPOINT_TABLE, &ledger.case().0, &signed))
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

    fn key(&self, doc: DocKind, epoch: u32) -> Option<&BundleKey> {
        self.keys.get(&(doc, epoch)).map(|(_, k)| k)
    }

    /// The docs `member` may read, with what this node holds of each.
    fn vectors_for(&self, member: &[u8; 32]) -> Vec<DocVector> {
        self.docs
            .iter()
            .filter(|(d, _)| self.ledger.can_read(member, **d))
            .map(|(d, r)| DocVector { doc: *d, seqs: r.log.version_vector() })
            .collect()
    }

    /// Opens every grant addressed to `identity` that is not held yet.
    fn open_grants(&mut self, identity: &Identity) -> Result<(), CaseError> {
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

/// The result of receiving something: a short reason for each refused run, and which documents changed.
#[derive(Debug, Default)]
pub struct Received {
    /// One line per refused run, operation or snapshot, with the reason.
    pub refused: Vec<String>,
    /// Documents that changed.
    pub changed: Vec<DocKind>,
    /// The ledger grew (new members to sync with).
    pub ledger_grew: bool,
}

/// What a node keeps of a destroyed case: enough to refuse further sync, to tell members who were away, and
/// (for the lead) the destruction record with every member's confirmation. No key, bundle or document.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct Tombstone {
    /// The destruction record: the lead's signed `Destroy`, the members, the confirmations so far.
    pub record: DestructionRecord,
    /// The lead's key (confirmations go to the lead).
    pub lead: [u8; 32],
    /// Whether the lead has acknowledged this node's confirmation (always true on the lead's node).
    pub confirmed: bool,
    /// This node's own confirmation, to resend until acknowledged.
    #[serde(with = "serde_bytes")]
    pub confirmation: Vec<u8>,
    /// On the lead's node: the case's audit trail, archived without keys. Outlives the case.
    #[serde(default)]
    pub audit: Option<AuditArchive>,
    /// On a member's node: its own audit chain, sent with the confirmation so the lead's archive holds it,
    /// and dropped once the lead acknowledged.
    #[serde(default)]
    pub own_audit: Vec<ByteBuf>,
}

/// All cases of this node.
pub struct CaseBook {
    me: [u8; 32],
    /// Cases by id.
    pub cases: BTreeMap<CaseId, CaseReplica>,
    /// Destroyed cases.
    pub tombstones: BTreeMap<CaseId, Tombstone>,
    /// The last listing of each kind of entity, with the heads of the document it was read at: reading a
    /// long timeline entity by entity is slow, and pages ask for it again and again while nothing changed.
    pub(crate) listed: std::collections::HashMap<(CaseId, crate::cases::commands::EntityKind), Listing>,
    /// Writes made in memory, to be committed before any effect of the event that made them goes out.
    pub(crate) pending: Pending,
}

/// A listing of entities, valid while its document's heads are these.
pub(crate) struct Listing {
    pub(crate) heads: Vec<samenloop_protocol::cases::analysis::ChangeHash>,
    pub(crate) value: serde_json::Value,
}

fn random_nonce() -> [u8; 24] {
    random_bytes::<24>()
}

fn doc_name(doc: DocKind) -> &'static str {
    doc.name()
}

impl CaseBook {
    /// Restores every case from the stored rows, verifying ledgers, chains and signatures as if received: a
    /// function of the rows alone (and the keys that open them). A document that does not decrypt or load is
    /// marked broken and left on disk; other documents and cases load.
    pub fn load(rows: &dyn CaseRows, vault: &Vault, identity: &Identity) -> Result<CaseBook, CaseError> {
        let me = identity.verifying_key().to_bytes();
        let mut book = CaseBook {
            me,
            cases: BTreeMap::new(),
            tombstones: BTreeMap::new(),
            listed: Default::default(),
            pending: Pending::default(),
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
    fn load_case(
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

    /// Commits every write made since the last commit, in one transaction. If the disk refuses, the touched
    /// cases are restored from it and the error is returned: the caller drops the event's effects.
    pub fn commit(&mut self, disk: &mut dyn CaseDisk, vault: &Vault, identity: &Identity) -> Result<(), CaseError> {
        let (ops, cases) = self.pending.take();
        if ops.is_empty() {
            return Ok(());
        }
        if let Err(e) = disk.commit(&ops) {
            warn!("a write failed, the cases it touched are restored from the disk: {e}");
            for case in cases {
                if let Err(e) = self.restore_case(&*disk, vault, identity, case) {
                    warn!(%case, "could not restore the case from the disk: {e}");
                }
            }
            return Err(CaseError::Store(e));
        }
        Ok(())
    }

    /// Whether writes wait to be committed: never between events (the event loop and the simulator check).
    pub fn has_pending(&self) -> bool {
        !self.pending.is_empty()
    }

    /// This node's member key.
    pub fn me(&self) -> [u8; 32] {
        self.me
    }

    /// A case.
    pub fn case(&self, id: &CaseId) -> Result<&CaseReplica, CaseError> {
        self.cases.get(id).ok_or(CaseError::UnknownCase(*id))
    }

    /// Opens a new case with this node as lead: fresh keys for every document, the `Open` operation, and the
    /// first bundle of each document (the analysis with `init` applied).
    pub fn open_case(
        &mut self,
        vault: &Vault,
        identity: &Identity,
        init: impl FnOnce(&mut AnalysisDoc) -> Result<(), AnalysisError>,
    ) -> Result<CaseId, CaseError> {
        let case = CaseId(random_bytes::<16>());
        let me = self.me;
        let mut grants = Vec::new();
        for doc in DocKind::ALL {
            let key = EpochKey(Zeroizing::new(random_bytes::<32>()));
            grants.push(KeyGrant::seal(
                &case,
                doc,
                1,
                &me,
                &identity.encryption_public(),
                &key,
                random_bytes::<32>(),
                random_nonce(),
            ));
        }
        let record = samenloop_protocol::cases::ledger::CaseOpRecord {
            case,
            seq: 0,
            prev: [0; 32],
            at: crate::network::now(),
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
        let cp = replica.checkpoint_with(&replica.ledger, vault, identity);
        self.pending.add(case, write::ledger(&case, 0, vec![vault.seal(LEDGER_TABLE, &ledger_key(&case, 0), &op)], cp));
        for doc in DocKind::ALL {
            seal_own(&mut self.pending, identity, &mut replica, doc, |d| Ok(d.save_after(&[])))?;
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
            grants.push(KeyGrant::seal(case, doc, epoch, &member, &x25519, key, random_bytes::<32>(), random_nonce()));
        }
        let op = replica.ledger.sign_next(
            identity.signing_key(),
            crate::network::now(),
            CaseAction::Invite { member, role, x25519, grants },
        )?;
        let mut next = replica.ledger.clone();
        next.append(&op)?;
        let seq = next.len() - 1;
        let cp = replica.checkpoint_with(&next, vault, identity);
        self.pending
            .add(*case, write::ledger(case, seq, vec![vault.seal(LEDGER_TABLE, &ledger_key(case, seq), &op)], cp));
        replica.ledger = next;
        Ok(op)
    }

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
            replica.ledger.sign_next(identity.signing_key(), crate::network::now(), CaseAction::Destroy { report })?;
        replica.ledger.clone().append(&op)?;
        self.finish_destruction(vault, identity, case, &op)?;
        Ok(op)
    }

    /// Deletes everything of `case` after its `Destroy` operation `op` (already verified against the ledger
    /// or from the lead), confirms, and keeps the tombstone.
    fn finish_destruction(
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
            samenloop_protocol::cases::destruction::confirm(identity.signing_key(), *case, hash, crate::network::now());
        let mut record = DestructionRecord { case: *case, destroy: op.to_vec(), members, confirmations: Vec::new() };
        if lead == self.me {
            record.add(&confirmation).map_err(CaseError::Invalid)?;
        }
        let (audit, own_audit) = if lead == self.me {
            let mut ops = replica.ledger.ops().to_vec();
            if ops.last().map(|o| o.as_slice()) != Some(op) {
                ops.push(op.to_vec());
            }
            match AuditArchive::build(identity, *case, &ops, &replica.audit, replica.audit_broken.clone()) {
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
        let sealed = seal_tombstone(vault, case, &tombstone)?;
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
            match archive.take(identity, *case, audit) {
                Ok(n) => taken = n,
                Err(e) => warn!(%case, "audit entries sent with a confirmation were refused: {e}"),
            }
        }
        if new || taken > 0 {
            let sealed = seal_tombstone(vault, case, t)?;
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
            let sealed = seal_tombstone(vault, case, t)?;
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
            let new_key = EpochKey(Zeroizing::new(random_bytes::<32>()));
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
                        random_bytes::<32>(),
                        random_nonce(),
                    )
                })
                .collect();
            let previous = samenloop_protocol::cases::ledger::seal_previous_key(
                case,
                doc,
                epoch + 1,
                &new_key,
                old,
                random_nonce(),
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
    fn append_own_op(
        &mut self,
        vault: &Vault,
        identity: &Identity,
        case: &CaseId,
        action: CaseAction,
    ) -> Result<Vec<u8>, CaseError> {
        let replica = self.cases.get_mut(case).ok_or(CaseError::UnknownCase(*case))?;
        let op = replica.ledger.sign_next(identity.signing_key(), crate::network::now(), action)?;
        let mut next = replica.ledger.clone();
        next.append(&op)?;
        let seq = next.len() - 1;
        let cp = replica.checkpoint_with(&next, vault, identity);
        self.pending
            .add(*case, write::ledger(case, seq, vec![vault.seal(LEDGER_TABLE, &ledger_key(case, seq), &op)], cp));
        replica.ledger = next;
        replica.open_grants(identity)?;
        Ok(op)
    }

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
        let run = seal_own(&mut self.pending, identity, replica, doc, |d| Ok(d.save_after(&before)))?;
        Ok((out, run))
    }

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
            if let Err(e) = make_snapshot(&mut self.pending, identity, replica, doc) {
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
                .map(|(i, op)| vault.seal(LEDGER_TABLE, &ledger_key(case, i as u64), op))
                .collect();
            let mut replica = CaseReplica::new(ledger);
            let cp = replica.checkpoint_with(&replica.ledger, vault, identity);
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
                .map(|(i, op)| vault.seal(LEDGER_TABLE, &ledger_key(case, start + i as u64), op))
                .collect();
            let cp = replica.checkpoint_with(&next, vault, identity);
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
            make_snapshot(&mut self.pending, identity, replica, doc)?;
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
            make_snapshot(&mut self.pending, identity, replica, doc)?;
        }
        Ok(())
    }
}

/// The last seq of `author` in `doc` that a member holding `docs` says it has.
fn their_seq(docs: &[DocVector], doc: DocKind, author: &[u8; 32]) -> u64 {
    docs.iter().find(|v| v.doc == doc).and_then(|v| v.seqs.iter().find(|x| &x.author == author)).map_or(0, |x| x.seq)
}

/// Whether to make a fresh snapshot for a member holding `docs` rather than send what is stored: when it lacks
/// much history beyond the stored snapshot, or when it needs the stored snapshot anyway and the bundles
/// after it would add more than an eighth to it (one compressed document is smaller than the two).
fn fresh_snapshot_pays(rows: &dyn CaseRows, case: &CaseId, r: &Replica, docs: &[DocVector]) -> bool {
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
fn lacking_bytes(rows: &dyn CaseRows, case: &CaseId, r: &Replica, docs: &[DocVector]) -> usize {
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

/// Makes a snapshot of every document this node writes that has changed since its last one, so the next
/// start loads one compressed document instead of replaying bundles. Called at shutdown.
pub fn snapshot_pending(book: &mut CaseBook, identity: &Identity) {
    let me = book.me;
    let pending = &mut book.pending;
    for replica in book.cases.values_mut() {
        let due: Vec<DocKind> = replica
            .docs
            .iter()
            .filter(|(d, r)| r.since_snapshot > 0 && r.broken.is_none() && replica.ledger.can_write(&me, **d))
            .map(|(d, _)| *d)
            .collect();
        for doc in due {
            if let Err(e) = make_snapshot(pending, identity, replica, doc) {
                warn!(case = %replica.ledger.case(), "could not snapshot at shutdown: {e}");
            }
        }
    }
}

fn add_readable_docs(replica: &mut CaseReplica, me: &[u8; 32]) {
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

fn open_tombstone(vault: &Vault, case: &CaseId, sealed: &[u8]) -> Result<Tombstone, CaseError> {
    let broken = |reason: String| CaseError::Broken { case: *case, doc: "tombstone", reason };
    let plain = vault.open(TOMBSTONE_TABLE, &case.0, sealed).map_err(|e| broken(e.to_string()))?;
    serde_json::from_slice(&plain).map_err(|e| broken(e.to_string()))
}

fn seal_tombstone(vault: &Vault, case: &CaseId, t: &Tombstone) -> Result<Vec<u8>, CaseError> {
    let plain = Zeroizing::new(serde_json::to_vec(t).map_err(|e| CaseError::Invalid(e.to_string()))?);
    Ok(vault.seal(TOMBSTONE_TABLE, &case.0, &plain))
}

/// Seals this node's new changes to `doc` (from `changes`) as one bundle with a signed head, stores it, and
/// commits it to the log. Returns the run to push, or None if there were no changes.
fn seal_own(
    pending: &mut Pending,
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
    let bundle = match SealedBundle::seal(&key, header, &plain, random_nonce()) {
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
        make_snapshot(pending, identity, replica, doc)?;
    }
    Ok(Some(run))
}

/// Makes, stores and keeps a snapshot of `doc` covering everything held, and drops the bundles it covers.
fn make_snapshot(
    pending: &mut Pending,
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
        SealedSnapshot::seal(&key, identity.signing_key(), case, doc, epoch, covers.clone(), &saved, random_nonce())?;
    let dropped: Vec<([u8; 32], u64)> = covers.iter().map(|c| (c.author, c.seq)).collect();
    pending.add(case, write::snapshot(&case, doc, snapshot.bytes().to_vec(), &dropped));
    debug!(%case, doc = doc.name(), bytes = snapshot.bytes().len(), "snapshot made");
    r.snapshot = Some(snapshot);
    r.since_snapshot = 0;
    r.bytes_since_snapshot = 0;
    Ok(())
}

/// Loads one document from the store: its snapshot, then every stored run, verified as if received.
fn load_replica(rows: &dyn CaseRows, replica: &CaseReplica, r: &mut Replica) -> Result<(), String> {
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

/// The runs of `doc` beyond `their(author)` for every author held, within `budget` bytes (a run is cut at a
/// stored head when the budget runs out). Returns the runs and whether anything was left out.
fn runs_after(
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
