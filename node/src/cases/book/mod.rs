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
//! The book by job: `load` (restoring from the rows), `membership` (opening, inviting, removing, handing
//! over the lead), `edit` (local edits and snapshots), `exchange` (pull answers and what arrives),
//! `destruction` (destroying, confirming, the tombstone), `replica` (one case and its documents as held).
//!
//! At rest: bundles and snapshots as sealed (under the epoch key), the ledger sealed with the vault, document
//! keys only inside the ledger (sealed to this node's X25519 key). No plaintext of any document is written.

mod destruction;
mod edit;
mod exchange;
mod load;
mod membership;
mod replica;

pub use edit::snapshot_pending;
pub use replica::{CaseDocument, CaseReplica, Replica};

use std::collections::BTreeMap;

use samenloop_protocol::Identity;
use samenloop_protocol::cases::analysis::AnalysisError;
use samenloop_protocol::cases::bundle::BundleError;
use samenloop_protocol::cases::comments::CommentsError;
use samenloop_protocol::cases::destruction::DestructionRecord;
use samenloop_protocol::cases::ledger::{CaseId, DocKind, LedgerError};
use samenloop_protocol::cases::notes::NotesError;
use serde_bytes::ByteBuf;
use tracing::warn;

use crate::cases::audit::AuditArchive;
use crate::cases::rows::{CaseDisk, Pending};
use crate::cases::sources::Sources;
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
    /// The time and randomness everything here draws on.
    pub(crate) sources: Box<dyn Sources>,
}

/// A listing of entities, valid while its document's heads are these.
pub(crate) struct Listing {
    pub(crate) heads: Vec<samenloop_protocol::cases::analysis::ChangeHash>,
    pub(crate) value: serde_json::Value,
}

fn doc_name(doc: DocKind) -> &'static str {
    doc.name()
}

impl CaseBook {
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

    /// The time and randomness this book draws on (commands draw entity ids and today's date here too).
    pub fn sources(&mut self) -> &mut dyn Sources {
        &mut *self.sources
    }

    /// This node's member key.
    pub fn me(&self) -> [u8; 32] {
        self.me
    }

    /// A case.
    pub fn case(&self, id: &CaseId) -> Result<&CaseReplica, CaseError> {
        self.cases.get(id).ok_or(CaseError::UnknownCase(*id))
    }
}
