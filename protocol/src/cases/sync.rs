//! The messages of `/samenloop/sync/1`: how members of a case exchange what the other lacks.
//!
//! Two requests. `Pull` says "this is what I hold of the case" (ledger length and, per document, a version
//! vector: author -> last seq) and is answered with everything the responder holds beyond that, for the
//! documents the requester may read. `Push` announces new bundles at once (a local edit, or an invitation's
//! ledger) and is answered with an acknowledgement listing anything refused. Every byte of case content in
//! these messages is inside a sealed bundle or snapshot; the messages themselves add only ids, seqs and
//! lengths. Audit entries ([`crate::cases::audit`]) travel beside them, signed, and say only who exported or reported
//! what kind of thing and its digest. A responder refuses everything to a peer its ledger does not name as a member.
//!
//! Messages travel as CBOR over libp2p request-response (connections are Noise-encrypted and authenticate
//! the peer id, which is what membership is checked against).

use serde::{Deserialize, Serialize};

use crate::cases::doc_log::AuthorSeq;
use crate::cases::ledger::{CaseId, DocKind};

/// The largest request (a push of new bundles) a node accepts.
pub const MAX_SYNC_REQUEST_BYTES: u64 = 8 * 1024 * 1024;

/// The largest response (a pull's answer, which may carry a snapshot) a node accepts.
pub const MAX_SYNC_RESPONSE_BYTES: u64 = 80 * 1024 * 1024;

/// The bundle bytes a responder puts in one answer before it stops and sets `more`.
pub const SYNC_PAGE_BYTES: usize = 16 * 1024 * 1024;

/// What a member holds of one document.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocVector {
    /// The document.
    pub doc: DocKind,
    /// Author -> last seq held.
    pub seqs: Vec<AuthorSeq>,
}

/// A run of one author's consecutive bundles in one document, with the author's signed head covering it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WireRun {
    /// Sealed bundles ([`crate::cases::bundle::SealedBundle`] wire form), in sequence order.
    pub bundles: Vec<serde_bytes::ByteBuf>,
    /// The signed head ([`crate::cases::bundle::SignedHead`] wire form) of the last bundle.
    #[serde(with = "serde_bytes")]
    pub head: Vec<u8>,
}

/// A sync request.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum SyncRequest {
    /// "Send me what I lack."
    Pull {
        /// The case.
        case: CaseId,
        /// How many ledger operations the requester holds.
        ledger_len: u64,
        /// What the requester holds of each document it may read.
        docs: Vec<DocVector>,
        /// How many entries of each member's audit chain the requester holds ([`crate::cases::audit`]).
        #[serde(default)]
        audit: Vec<AuthorSeq>,
    },
    /// "Here is something new."
    Push {
        /// The case.
        case: CaseId,
        /// Ledger operations from `ledger_from` (empty when the pusher believes the receiver has them all).
        ledger: Vec<serde_bytes::ByteBuf>,
        /// Index of the first operation in `ledger`.
        ledger_from: u64,
        /// The pusher's ledger length, so a receiver that is behind knows to pull.
        ledger_len: u64,
        /// New bundles.
        runs: Vec<WireRun>,
        /// New audit entries (record kind 10), in chain order.
        #[serde(default)]
        audit: Vec<serde_bytes::ByteBuf>,
    },
    /// A member node's signed confirmation that it destroyed the case ([`crate::cases::destruction`]), to the lead.
    Confirm {
        /// The case.
        case: CaseId,
        /// The confirmation (record kind 9).
        #[serde(with = "serde_bytes")]
        confirmation: Vec<u8>,
        /// The confirming node's own audit chain, so the trail the lead keeps holds every entry, including
        /// those written while it was away.
        #[serde(default)]
        audit: Vec<serde_bytes::ByteBuf>,
    },
}

impl SyncRequest {
    /// The case the request is about.
    pub fn case(&self) -> CaseId {
        match self {
            SyncRequest::Pull { case, .. } | SyncRequest::Push { case, .. } | SyncRequest::Confirm { case, .. } => {
                *case
            }
        }
    }
}

/// Why a responder sent nothing.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum SyncRefusal {
    /// The responder does not know the case (or is not a member of it).
    #[error("unknown case")]
    UnknownCase,
    /// The requester is not a member according to the responder's ledger.
    #[error("not a member of this case")]
    NotAMember,
}

/// A sync response.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum SyncResponse {
    /// The answer to a pull.
    Delta {
        /// Ledger operations the requester lacks, from its `ledger_len`.
        ledger: Vec<serde_bytes::ByteBuf>,
        /// Snapshots ([`crate::cases::bundle::SealedSnapshot`] wire form), for documents where the requester is
        /// behind what the responder still holds as bundles.
        snapshots: Vec<serde_bytes::ByteBuf>,
        /// Runs the requester lacks.
        runs: Vec<WireRun>,
        /// More is available: pull again.
        more: bool,
        /// What the responder holds, so the requester can push what the responder lacks.
        holds: Vec<DocVector>,
        /// Audit entries the requester lacks, in chain order.
        #[serde(default)]
        audit: Vec<serde_bytes::ByteBuf>,
    },
    /// The answer to a push: what was refused, with reasons (empty when all was taken).
    Ack {
        /// One line per refused run or operation.
        refused: Vec<String>,
    },
    /// Nothing, and why.
    Refused(SyncRefusal),
    /// The case was destroyed: here is the lead's signed `Destroy` operation, so a member that was away
    /// destroys its copy too.
    Destroyed {
        /// The signed operation.
        #[serde(with = "serde_bytes")]
        destroy: Vec<u8>,
    },
}
