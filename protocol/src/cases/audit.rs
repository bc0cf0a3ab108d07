//! The audit trail of a case: who changed membership and roles, who exported or reported what (with which
//! identifier overrides), and the destruction. Tamper-evident, and verifiable without the case's keys.
//!
//! The trail is three kinds of hash-chained, signed entries:
//! - the ledger ([`crate::cases::ledger`], record kind 8, signed by the lead): membership, roles, destruction;
//! - one chain of [`AuditRecord`]s per member (record kind 10, signed by that member's node): exports and
//!   reports with their overrides. A member's node appends to its own chain only; the chains travel with
//!   sync, so every member, and above all the lead, whose node keeps the trail after destruction, holds them;
//! - after destruction, the members' confirmations ([`crate::cases::destruction`], record kind 9).
//!
//! Links and signatures show that no entry was changed or removed from the middle of a chain; they cannot
//! show that entries were cut off its end. So the node keeping a trail signs an [`AuditCheckpoint`] (record
//! kind 11) over the length and last hash of every chain each time one grows, stored in the same transaction:
//! a truncated chain fails against it and the error names the chain and how much is missing.
//!
//! Keys must not outlive the case, and ledger operations carry sealed document keys. So when a case is
//! destroyed its ledger is archived as [`ArchivedOp`]s: position, signer, time, link, hash and what changed,
//! without the grants. The operations' signatures were verified when they were archived; the archive
//! checkpoint signs each archived operation's digest, so a changed one still fails and is named.

use std::collections::{BTreeMap, BTreeSet};

use ed25519_dalek::{SigningKey, VerifyingKey};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::cases::destruction::{DestructionRecord, destroy_hash, open_confirmation};
use crate::cases::doc_log::AuthorSeq;
use crate::cases::ledger::{CaseAction, CaseId, CaseOpRecord, DocKind, Ledger, Role};
use crate::records::envelope::{RecordError, RecordKind, open_record, seal_envelope};
use crate::records::identity::peer_id_of;
use crate::records::time::UnixTime;

/// The most entries one member's chain may hold: far beyond any review, small enough to bound memory.
pub const MAX_AUDIT_CHAIN: u64 = 100_000;

/// The most overrides one report entry records (a report with more hits than this is not a report).
pub const MAX_OVERRIDES: usize = 1_000;

/// An identifier the report check found and a reviewer allowed (`--allow`): what kind and where, never the
/// text itself, which is an identifier and must not outlive the case in the trail.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditOverride {
    /// The kind of identifier, in words ("phone number").
    pub kind: String,
    /// Where it stands in the report's source ("timeline entry 3f2a9c01…: what").
    pub location: String,
}

/// Something a member did with the case's content that the trail records.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum AuditEvent {
    /// Decrypted content left the node as a file: which document, in which format, and the SHA-256 of the
    /// exact bytes handed out.
    Exported {
        /// The document.
        doc: DocKind,
        /// `json` or `automerge`.
        format: String,
        /// Length of the exported bytes.
        bytes: u64,
        /// SHA-256 of the exported bytes.
        digest: [u8; 32],
    },
    /// The final report was drawn up: its format, the SHA-256 of its text (what `case destroy --report`
    /// records in the ledger), and the identifier hits overridden to produce it.
    Reported {
        /// `md` or `html`.
        format: String,
        /// Length of the report.
        bytes: u64,
        /// SHA-256 of the report.
        digest: [u8; 32],
        /// Hits allowed despite looking like identifiers.
        overrides: Vec<AuditOverride>,
    },
}

/// The signed body of an audit entry (record kind 10).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditRecord {
    /// The case.
    pub case: CaseId,
    /// Position in the signer's chain, from 0.
    pub seq: u64,
    /// SHA-256 of the signer's previous entry (zeros for the first).
    pub prev: [u8; 32],
    /// When the signer's node recorded it.
    pub at: UnixTime,
    /// How many ledger operations the signer held: places the entry between membership changes.
    pub ledger_len: u64,
    /// What happened.
    pub event: AuditEvent,
}

/// The length and last hash of one chain, as a checkpoint covers it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChainHead {
    /// The chain's signer.
    pub author: [u8; 32],
    /// How many entries.
    pub count: u64,
    /// SHA-256 of the last entry.
    pub last: [u8; 32],
}

/// The keeper's signed statement of how far every chain of a trail reaches (record kind 11).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditCheckpoint {
    /// The case.
    pub case: CaseId,
    /// When it was signed.
    pub at: UnixTime,
    /// Ledger operations covered.
    pub ledger_len: u64,
    /// SHA-256 of the last ledger operation.
    pub ledger_last: [u8; 32],
    /// Every member chain covered.
    pub chains: Vec<ChainHead>,
    /// For an archived trail, the digest of each archived ledger operation ([`ArchivedOp::digest`]); empty
    /// while the case lives and its ledger is kept whole.
    pub archived: Vec<[u8; 32]>,
}

/// What one ledger operation changed, without its key material.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum MembershipChange {
    /// The case was opened; the signer became its lead.
    Opened,
    /// A member was invited with a role.
    Invited {
        /// The member.
        member: [u8; 32],
        /// The role.
        role: Role,
    },
    /// A member was removed and the keys of these documents rotated.
    Removed {
        /// The member.
        member: [u8; 32],
        /// The documents whose keys were rotated.
        rotated: Vec<DocKind>,
    },
    /// The lead role was handed to another reviewer.
    LeadHandedOver {
        /// The new lead.
        to: [u8; 32],
    },
    /// The case was destroyed.
    Destroyed {
        /// SHA-256 of the final report that outlives it, if the lead recorded one.
        report: Option<[u8; 32]>,
    },
}

/// A ledger operation as an archived trail keeps it: everything but the sealed keys.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ArchivedOp {
    /// Position in the ledger.
    pub seq: u64,
    /// When it was signed.
    pub at: UnixTime,
    /// Who signed it (the lead at the time).
    pub signer: [u8; 32],
    /// SHA-256 of the previous operation.
    pub prev: [u8; 32],
    /// SHA-256 of the operation's signed bytes.
    pub hash: [u8; 32],
    /// What it changed.
    pub change: MembershipChange,
}

impl ArchivedOp {
    /// SHA-256 of its postcard encoding: what an archive checkpoint signs.
    pub fn digest(&self) -> [u8; 32] {
        Sha256::digest(postcard::to_allocvec(self).unwrap_or_default()).into()
    }
}

/// An audit entry as stored: where the store says it belongs (so a verification error can say where), and
/// its signed bytes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredEntry {
    /// The chain it is stored under.
    pub author: [u8; 32],
    /// The position it is stored at.
    pub seq: u64,
    /// The signed entry.
    #[serde(with = "serde_bytes")]
    pub bytes: Vec<u8>,
}

/// Why a trail, an entry or a checkpoint does not verify. Each variant says where.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum AuditError {
    /// The checkpoint does not open, is for another case, or was signed by another node.
    #[error("the checkpoint: {0}")]
    Checkpoint(String),
    /// A ledger operation fails: its signature, its link, or the ledger's rules.
    #[error("ledger operation {index}: {reason}")]
    Ledger {
        /// Its position.
        index: u64,
        /// What is wrong.
        reason: String,
    },
    /// An audit entry fails: its signature, its link, its position, or its signer.
    #[error("audit entry {seq} of {author}: {reason}")]
    Entry {
        /// The chain's signer, as a peer id.
        author: String,
        /// Its position.
        seq: u64,
        /// What is wrong.
        reason: String,
    },
    /// An entry received does not open (bad signature, malformed), so its position is unknown.
    #[error("an audit entry naming {author} as signer: {reason}")]
    Unreadable {
        /// The key the envelope names, as a peer id.
        author: String,
        /// What is wrong.
        reason: String,
    },
    /// A chain ends before what the checkpoint covers: entries were cut off.
    #[error(
        "{what} ends after {held} entries but the checkpoint signed at {at} covers {covered}: the log was truncated"
    )]
    Truncated {
        /// Which chain ("the ledger", "the entries of 12D3…").
        what: String,
        /// Entries present.
        held: u64,
        /// Entries the checkpoint covers.
        covered: u64,
        /// When the checkpoint was signed.
        at: UnixTime,
    },
    /// A chain reaches beyond the checkpoint: the checkpoint was replaced by an older one.
    #[error("{what} holds {held} entries but the checkpoint covers only {covered}: the checkpoint is not the latest")]
    BeyondCheckpoint {
        /// Which chain.
        what: String,
        /// Entries present.
        held: u64,
        /// Entries the checkpoint covers.
        covered: u64,
    },
    /// An entry is not the one the checkpoint covers.
    #[error("{0} differs from what the checkpoint covers: the log was modified")]
    Modified(String),
    /// The destruction record does not verify or does not match the ledger.
    #[error("the destruction record: {0}")]
    Destruction(String),
}

fn who(key: &[u8; 32]) -> String {
    VerifyingKey::from_bytes(key).map(|k| peer_id_of(&k).to_string()).unwrap_or_else(|_| hex::encode(key))
}

fn hash(bytes: &[u8]) -> [u8; 32] {
    Sha256::digest(bytes).into()
}

fn record_text(e: &RecordError) -> String {
    match e {
        RecordError::Envelope(e) => e.to_string(),
        RecordError::Malformed(m) => format!("malformed: {m}"),
    }
}

/// Signs an audit entry into its wire form (an envelope of kind 10).
pub fn sign_entry(key: &SigningKey, record: &AuditRecord) -> Vec<u8> {
    // An audit record is a few hundred bytes plus at most MAX_OVERRIDES short strings, far below the
    // envelope limit; callers bound the overrides.
    let body = postcard::to_allocvec(record).unwrap_or_default();
    seal_envelope(key, RecordKind::AuditEntry, &body).unwrap_or_default()
}

/// One member's chain.
#[derive(Clone, Debug, Default)]
struct Chain {
    entries: Vec<Vec<u8>>,
    last: [u8; 32],
}

/// The member chains of one case, each verified as it grows: what a node holds, serves and checkpoints.
#[derive(Clone, Debug)]
pub struct AuditChains {
    case: CaseId,
    chains: BTreeMap<[u8; 32], Chain>,
}

impl AuditChains {
    /// No entries yet.
    pub fn new(case: CaseId) -> AuditChains {
        AuditChains { case, chains: BTreeMap::new() }
    }

    /// The next record of `author`'s chain, for the caller to sign with [`sign_entry`].
    pub fn next_record(&self, author: &[u8; 32], at: UnixTime, ledger_len: u64, event: AuditEvent) -> AuditRecord {
        let (seq, prev) = self.chains.get(author).map_or((0, [0; 32]), |c| (c.entries.len() as u64, c.last));
        AuditRecord { case: self.case, seq, prev, at, ledger_len, event }
    }

    /// Verifies an entry and appends it to its signer's chain. `was_member` says whether a key belongs (or
    /// belonged) to the case. Returns whether the entry was new; a repeat of a held entry is not an error,
    /// a different entry at a held position is (two histories of one chain).
    pub fn accept(&mut self, bytes: &[u8], was_member: impl Fn(&[u8; 32]) -> bool) -> Result<bool, AuditError> {
        let (env, record): (_, AuditRecord) = open_record(bytes, RecordKind::AuditEntry).map_err(|e| {
            let author = bytes.get(2..34).and_then(|s| <[u8; 32]>::try_from(s).ok()).unwrap_or([0; 32]);
            AuditError::Unreadable { author: who(&author), reason: record_text(&e) }
        })?;
        let author = env.signer.to_bytes();
        let err = |reason: String| AuditError::Entry { author: who(&author), seq: record.seq, reason };
        if record.case != self.case {
            return Err(err("it belongs to another case".into()));
        }
        if !was_member(&author) {
            return Err(err("its signer is not a member of the case".into()));
        }
        let chain = self.chains.get(&author);
        let held = chain.map_or(0, |c| c.entries.len() as u64);
        if record.seq < held {
            return match chain.and_then(|c| c.entries.get(record.seq as usize)) {
                Some(e) if e.as_slice() == bytes => Ok(false),
                _ => Err(err("a different entry at a position already held: two histories of one chain".into())),
            };
        }
        if record.seq > held {
            return Err(err(format!("the chain holds {held} entries: entries {held}..{} are missing", record.seq)));
        }
        if record.seq >= MAX_AUDIT_CHAIN {
            return Err(err(format!("a chain holds at most {MAX_AUDIT_CHAIN} entries")));
        }
        if record.prev != chain.map_or([0; 32], |c| c.last) {
            return Err(err("it does not link to the entry before it".into()));
        }
        if let AuditEvent::Reported { overrides, .. } = &record.event
            && overrides.len() > MAX_OVERRIDES
        {
            return Err(err(format!("more than {MAX_OVERRIDES} overrides")));
        }
        let chain = self.chains.entry(author).or_default();
        chain.last = hash(bytes);
        chain.entries.push(bytes.to_vec());
        Ok(true)
    }

    /// How many entries of each chain this node holds (what a pull sends).
    pub fn held(&self) -> Vec<AuthorSeq> {
        self.chains.iter().map(|(a, c)| AuthorSeq { author: *a, seq: c.entries.len() as u64 }).collect()
    }

    /// The entries a peer holding `held` lacks, in chain order.
    pub fn beyond(&self, held: &[AuthorSeq]) -> Vec<Vec<u8>> {
        let mut out = Vec::new();
        for (author, chain) in &self.chains {
            let have = held.iter().find(|h| h.author == *author).map_or(0, |h| h.seq) as usize;
            out.extend(chain.entries.iter().skip(have).cloned());
        }
        out
    }

    /// Every chain's length and last hash.
    pub fn heads(&self) -> Vec<ChainHead> {
        self.chains.iter().map(|(a, c)| ChainHead { author: *a, count: c.entries.len() as u64, last: c.last }).collect()
    }

    /// Every entry with where it is stored.
    pub fn entries(&self) -> Vec<StoredEntry> {
        let mut out = Vec::new();
        for (author, chain) in &self.chains {
            for (seq, bytes) in chain.entries.iter().enumerate() {
                out.push(StoredEntry { author: *author, seq: seq as u64, bytes: bytes.clone() });
            }
        }
        out
    }

    /// The entries of one author.
    pub fn chain(&self, author: &[u8; 32]) -> &[Vec<u8>] {
        self.chains.get(author).map_or(&[], |c| c.entries.as_slice())
    }
}

/// Signs a checkpoint over a ledger (`ledger_len` operations, the last hashing to `ledger_last`) and `chains`.
pub fn sign_checkpoint(keeper: &SigningKey, checkpoint: &AuditCheckpoint) -> Vec<u8> {
    let body = postcard::to_allocvec(checkpoint).unwrap_or_default();
    seal_envelope(keeper, RecordKind::AuditCheckpoint, &body).unwrap_or_default()
}

/// The checkpoint of a live case: its whole ledger and every chain.
pub fn live_checkpoint(ledger: &Ledger, chains: &AuditChains, at: UnixTime) -> AuditCheckpoint {
    AuditCheckpoint {
        case: ledger.case(),
        at,
        ledger_len: ledger.len(),
        ledger_last: ledger.ops().last().map_or([0; 32], |op| hash(op)),
        chains: chains.heads(),
        archived: Vec::new(),
    }
}

/// The checkpoint of an archived trail.
pub fn archive_checkpoint(case: CaseId, ops: &[ArchivedOp], chains: &AuditChains, at: UnixTime) -> AuditCheckpoint {
    AuditCheckpoint {
        case,
        at,
        ledger_len: ops.len() as u64,
        ledger_last: ops.last().map_or([0; 32], |op| op.hash),
        chains: chains.heads(),
        archived: ops.iter().map(ArchivedOp::digest).collect(),
    }
}

/// Verifies a whole ledger and archives it: each operation without its keys.
pub fn archive_ledger(case: CaseId, ops: &[Vec<u8>]) -> Result<Vec<ArchivedOp>, AuditError> {
    let mut ledger: Option<Ledger> = None;
    let mut out = Vec::with_capacity(ops.len());
    for (index, bytes) in ops.iter().enumerate() {
        let index = index as u64;
        let fail = |reason: String| AuditError::Ledger { index, reason };
        match ledger.as_mut() {
            None => {
                ledger = Some(Ledger::from_ops(case, std::slice::from_ref(bytes)).map_err(|e| fail(e.to_string()))?)
            }
            Some(l) => l.append(bytes).map_err(|e| fail(e.to_string()))?,
        }
        let (env, op): (_, CaseOpRecord) = open_record(bytes, RecordKind::CaseOp).map_err(|e| fail(record_text(&e)))?;
        let change = match op.action {
            CaseAction::Open { .. } => MembershipChange::Opened,
            CaseAction::Invite { member, role, .. } => MembershipChange::Invited { member, role },
            CaseAction::Remove { member, rotations, .. } => {
                MembershipChange::Removed { member, rotated: rotations.iter().map(|r| r.doc).collect() }
            }
            CaseAction::HandLead { to } => MembershipChange::LeadHandedOver { to },
            CaseAction::Destroy { report } => MembershipChange::Destroyed { report },
        };
        out.push(ArchivedOp {
            seq: op.seq,
            at: op.at,
            signer: env.signer.to_bytes(),
            prev: op.prev,
            hash: hash(bytes),
            change,
        });
    }
    Ok(out)
}

/// The ledger a trail is verified against.
#[derive(Clone, Copy, Debug)]
pub enum TrailLedger<'a> {
    /// A live case's whole ledger (signed operations).
    Live(&'a [Vec<u8>]),
    /// A destroyed case's archived ledger.
    Archived(&'a [ArchivedOp]),
}

/// Where a line of the trail comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "source", rename_all = "snake_case")]
pub enum LineSource {
    /// The ledger, at this position.
    Ledger {
        /// Position.
        seq: u64,
    },
    /// The actor's audit chain, at this position.
    Entry {
        /// Position.
        seq: u64,
    },
    /// The destruction record's confirmations.
    Confirmation,
}

/// What a line of the trail says happened.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LineEvent {
    /// A ledger operation.
    Membership(MembershipChange),
    /// An audit entry.
    Audit(AuditEvent),
    /// A member's node confirmed the destruction.
    Confirmed,
}

/// One verified line of the trail.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditLine {
    /// When.
    pub at: UnixTime,
    /// Who (the signer).
    pub actor: [u8; 32],
    /// What.
    pub event: LineEvent,
    /// From which chain.
    pub source: LineSource,
    /// SHA-256 of the signed entry (for archived operations, of the original operation).
    pub hash: [u8; 32],
}

/// A verified trail.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditTrail {
    /// Every line, in time order (ties keep ledger, entries, confirmations order).
    pub lines: Vec<AuditLine>,
    /// When the checkpoint was signed.
    pub checkpoint_at: UnixTime,
}

/// Verifies a trail: the ledger (signatures, links and rules, or for an archive, links and the checkpoint's
/// digests), every member chain (signatures, links, positions, signers), the checkpoint (signed by `keeper`,
/// covering exactly what is there), and the destruction record if any. The first failure is returned and
/// says where; nothing is trusted partially.
pub fn verify_trail(
    case: CaseId,
    ledger: TrailLedger<'_>,
    entries: &[StoredEntry],
    checkpoint: &[u8],
    keeper: &[u8; 32],
    destruction: Option<&DestructionRecord>,
) -> Result<AuditTrail, AuditError> {
    let (env, cp): (_, AuditCheckpoint) =
        open_record(checkpoint, RecordKind::AuditCheckpoint).map_err(|e| AuditError::Checkpoint(record_text(&e)))?;
    if env.signer.to_bytes() != *keeper {
        return Err(AuditError::Checkpoint(format!("signed by {}, not by this node", who(&env.signer.to_bytes()))));
    }
    if cp.case != case {
        return Err(AuditError::Checkpoint("it belongs to another case".into()));
    }

    let ops = match ledger {
        TrailLedger::Live(ops) => archive_ledger(case, ops)?,
        TrailLedger::Archived(ops) => {
            for (i, op) in ops.iter().enumerate() {
                let fail = |reason: &str| AuditError::Ledger { index: i as u64, reason: reason.into() };
                if op.seq != i as u64 {
                    return Err(fail("stored at another position than it names"));
                }
                let prev = if i == 0 { [0; 32] } else { ops[i - 1].hash };
                if op.prev != prev {
                    return Err(fail("does not link to its predecessor"));
                }
                if cp.archived.get(i).is_some_and(|d| *d != op.digest()) {
                    return Err(AuditError::Modified(format!("archived ledger operation {i}")));
                }
            }
            if cp.archived.len() as u64 != cp.ledger_len {
                return Err(AuditError::Checkpoint("it does not cover an archived ledger".into()));
            }
            ops.to_vec()
        }
    };
    let held = ops.len() as u64;
    if held < cp.ledger_len {
        return Err(AuditError::Truncated { what: "the ledger".into(), held, covered: cp.ledger_len, at: cp.at });
    }
    if held > cp.ledger_len {
        return Err(AuditError::BeyondCheckpoint { what: "the ledger".into(), held, covered: cp.ledger_len });
    }
    if ops.last().map_or([0; 32], |o| o.hash) != cp.ledger_last {
        return Err(AuditError::Modified(format!("ledger operation {}", held.saturating_sub(1))));
    }

    let mut ever: BTreeSet<[u8; 32]> = BTreeSet::new();
    for op in &ops {
        ever.insert(op.signer);
        if let MembershipChange::Invited { member, .. } = op.change {
            ever.insert(member);
        }
    }
    let mut sorted: Vec<&StoredEntry> = entries.iter().collect();
    sorted.sort_by_key(|e| (e.author, e.seq));
    let mut chains = AuditChains::new(case);
    let mut lines: Vec<AuditLine> = ops
        .iter()
        .map(|op| AuditLine {
            at: op.at,
            actor: op.signer,
            event: LineEvent::Membership(op.change.clone()),
            source: LineSource::Ledger { seq: op.seq },
            hash: op.hash,
        })
        .collect();
    for e in sorted {
        let at_place = |reason: String| AuditError::Entry { author: who(&e.author), seq: e.seq, reason };
        let (env, record): (_, AuditRecord) =
            open_record(&e.bytes, RecordKind::AuditEntry).map_err(|err| at_place(record_text(&err)))?;
        if env.signer.to_bytes() != e.author || record.seq != e.seq {
            return Err(at_place("stored in another chain or position than it names".into()));
        }
        if record.ledger_len > held {
            return Err(at_place("it names ledger operations the ledger does not hold".into()));
        }
        let expected = chains.chain(&e.author).len() as u64;
        if e.seq != expected {
            return Err(at_place(format!("entries {expected}..{} of this chain are missing", e.seq)));
        }
        chains.accept(&e.bytes, |k| ever.contains(k)).map_err(|err| match err {
            AuditError::Entry { reason, .. } | AuditError::Unreadable { reason, .. } => at_place(reason),
            other => other,
        })?;
        lines.push(AuditLine {
            at: record.at,
            actor: e.author,
            event: LineEvent::Audit(record.event),
            source: LineSource::Entry { seq: e.seq },
            hash: hash(&e.bytes),
        });
    }
    let heads = chains.heads();
    for c in &cp.chains {
        let what = || format!("the entries of {}", who(&c.author));
        let mine = heads.iter().find(|h| h.author == c.author);
        let held = mine.map_or(0, |h| h.count);
        if held < c.count {
            return Err(AuditError::Truncated { what: what(), held, covered: c.count, at: cp.at });
        }
        if held > c.count {
            return Err(AuditError::BeyondCheckpoint { what: what(), held, covered: c.count });
        }
        if mine.map_or([0; 32], |h| h.last) != c.last {
            return Err(AuditError::Modified(format!("audit entry {} of {}", held.saturating_sub(1), who(&c.author))));
        }
    }
    if let Some(h) = heads.iter().find(|h| !cp.chains.iter().any(|c| c.author == h.author)) {
        return Err(AuditError::BeyondCheckpoint {
            what: format!("the entries of {}", who(&h.author)),
            held: h.count,
            covered: 0,
        });
    }

    if let Some(record) = destruction {
        record.verify().map_err(|e| AuditError::Destruction(e.to_string()))?;
        let last = ops.last();
        let ends_with_destroy = last.is_some_and(|o| matches!(o.change, MembershipChange::Destroyed { .. }));
        if !ends_with_destroy || last.map(|o| o.hash) != Some(destroy_hash(&record.destroy)) {
            return Err(AuditError::Destruction("its destroy operation is not the ledger's last operation".into()));
        }
        let destroy = destroy_hash(&record.destroy);
        for c in &record.confirmations {
            let (member, at) = open_confirmation(c, &case, &destroy).map_err(AuditError::Destruction)?;
            lines.push(AuditLine {
                at,
                actor: member,
                event: LineEvent::Confirmed,
                source: LineSource::Confirmation,
                hash: hash(c),
            });
        }
    }
    lines.sort_by_key(|l| l.at);
    Ok(AuditTrail { lines, checkpoint_at: cp.at })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cases::destruction::confirm;
    use crate::cases::ledger::sign_op;
    use crate::records::identity::Identity;

    struct Fixture {
        case: CaseId,
        lead: Identity,
        co: Identity,
        keeper: Identity,
        ledger: Ledger,
        chains: AuditChains,
    }

    fn exported(n: u8) -> AuditEvent {
        AuditEvent::Exported { doc: DocKind::Analysis, format: "json".into(), bytes: 100 + n as u64, digest: [n; 32] }
    }

    fn fixture() -> Fixture {
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
            role: Role::CoReviewer,
            x25519: co.encryption_public(),
            grants: vec![],
        };
        let op = ledger.sign_next(lead.signing_key(), UnixTime(11), invite).unwrap();
        ledger.append(&op).unwrap();
        let keeper = Identity::from_secrets([1; 32], [2; 32]);
        let mut f = Fixture { case, keeper, lead, co, ledger, chains: AuditChains::new(case) };
        for (i, who) in [&f.co, &f.lead, &f.co].into_iter().enumerate() {
            let key = who.verifying_key().to_bytes();
            let record = f.chains.next_record(&key, UnixTime(20 + i as u64), f.ledger.len(), exported(i as u8));
            let members: Vec<[u8; 32]> = f.ledger.members().map(|m| m.key).collect();
            assert_eq!(f.chains.accept(&sign_entry(who.signing_key(), &record), |k| members.contains(k)), Ok(true));
        }
        f
    }

    fn checkpoint(f: &Fixture) -> Vec<u8> {
        sign_checkpoint(f.keeper.signing_key(), &live_checkpoint(&f.ledger, &f.chains, UnixTime(30)))
    }

    fn verify(f: &Fixture, ops: &[Vec<u8>], entries: &[StoredEntry], cp: &[u8]) -> Result<AuditTrail, AuditError> {
        verify_trail(f.case, TrailLedger::Live(ops), entries, cp, &f.keeper.verifying_key().to_bytes(), None)
    }

    #[test]
    fn a_whole_trail_verifies_in_time_order() {
        let f = fixture();
        let cp = checkpoint(&f);
        let trail = verify(&f, f.ledger.ops(), &f.chains.entries(), &cp).unwrap();
        assert_eq!(trail.lines.len(), 5);
        assert!(trail.lines.windows(2).all(|w| w[0].at <= w[1].at));
        assert_eq!(trail.lines[0].event, LineEvent::Membership(MembershipChange::Opened));
        let co = f.co.verifying_key().to_bytes();
        assert_eq!(
            trail.lines[1].event,
            LineEvent::Membership(MembershipChange::Invited { member: co, role: Role::CoReviewer })
        );
        assert_eq!(trail.lines[2].actor, co);
        assert_eq!(trail.lines[2].event, LineEvent::Audit(exported(0)));
        assert_eq!(trail.lines[4].source, LineSource::Entry { seq: 1 });
    }

    #[test]
    fn a_modified_entry_fails_and_says_which() {
        let f = fixture();
        let cp = checkpoint(&f);
        let mut entries = f.chains.entries();
        let co = f.co.verifying_key().to_bytes();
        let i = entries.iter().position(|e| e.author == co && e.seq == 1).unwrap();
        entries[i].bytes[60] ^= 1;
        let err = verify(&f, f.ledger.ops(), &entries, &cp).unwrap_err();
        match &err {
            AuditError::Entry { author, seq, reason } => {
                assert_eq!(*author, f.co.peer_id().to_string());
                assert_eq!(*seq, 1);
                assert!(reason.contains("signature"), "{reason}");
            }
            other => panic!("{other}"),
        }
        assert!(err.to_string().starts_with("audit entry 1 of 12D3"), "{err}");
    }

    #[test]
    fn a_truncated_chain_fails_against_the_checkpoint() {
        let f = fixture();
        let cp = checkpoint(&f);
        let co = f.co.verifying_key().to_bytes();
        let entries: Vec<StoredEntry> =
            f.chains.entries().into_iter().filter(|e| !(e.author == co && e.seq == 1)).collect();
        let err = verify(&f, f.ledger.ops(), &entries, &cp).unwrap_err();
        assert_eq!(
            err,
            AuditError::Truncated {
                what: format!("the entries of {}", f.co.peer_id()),
                held: 1,
                covered: 2,
                at: UnixTime(30)
            }
        );
        // A whole chain removed is truncation too.
        let entries: Vec<StoredEntry> = f.chains.entries().into_iter().filter(|e| e.author != co).collect();
        assert!(matches!(verify(&f, f.ledger.ops(), &entries, &cp), Err(AuditError::Truncated { held: 0, .. })));
        // The ledger cut short.
        let err = verify(&f, &f.ledger.ops()[..1], &f.chains.entries(), &cp).unwrap_err();
        assert!(matches!(err, AuditError::Truncated { held: 1, covered: 2, .. }), "{err}");
        assert!(err.to_string().contains("the ledger ends after 1 entries"), "{err}");
    }

    #[test]
    fn a_gap_a_changed_ledger_operation_and_a_stale_or_foreign_checkpoint_fail() {
        let f = fixture();
        let cp = checkpoint(&f);
        let lead = f.lead.verifying_key().to_bytes();
        // An entry removed from the middle of a chain.
        let co = f.co.verifying_key().to_bytes();
        let entries: Vec<StoredEntry> =
            f.chains.entries().into_iter().filter(|e| !(e.author == co && e.seq == 0)).collect();
        let err = verify(&f, f.ledger.ops(), &entries, &cp).unwrap_err();
        assert!(matches!(&err, AuditError::Entry { seq: 1, reason, .. } if reason.contains("missing")), "{err}");
        // A changed ledger operation.
        let mut ops = f.ledger.ops().to_vec();
        ops[1][50] ^= 1;
        assert!(matches!(verify(&f, &ops, &f.chains.entries(), &cp), Err(AuditError::Ledger { index: 1, .. })));
        // An older checkpoint (before the last entry) is caught, as is one signed by someone else.
        let mut older = f.chains.clone();
        older.chains.get_mut(&co).unwrap().entries.pop();
        let stale = sign_checkpoint(f.keeper.signing_key(), &live_checkpoint(&f.ledger, &older, UnixTime(25)));
        let err = verify(&f, f.ledger.ops(), &f.chains.entries(), &stale).unwrap_err();
        assert!(matches!(err, AuditError::BeyondCheckpoint { held: 2, covered: 1, .. }), "{err}");
        let foreign = sign_checkpoint(f.co.signing_key(), &live_checkpoint(&f.ledger, &f.chains, UnixTime(30)));
        assert!(matches!(verify(&f, f.ledger.ops(), &f.chains.entries(), &foreign), Err(AuditError::Checkpoint(_))));
        // An entry replaced by another validly signed one at the same place: the checkpoint's hash catches it
        // at the end of a chain.
        let mut other = f.chains.entries();
        let i = other.iter().position(|e| e.author == lead).unwrap();
        let record = AuditChains::new(f.case).next_record(&lead, UnixTime(21), 2, exported(9));
        other[i].bytes = sign_entry(f.lead.signing_key(), &record);
        let err = verify(&f, f.ledger.ops(), &other, &cp).unwrap_err();
        assert!(matches!(&err, AuditError::Modified(w) if w.starts_with("audit entry 0 of")), "{err}");
    }

    #[test]
    fn chains_refuse_strangers_forks_gaps_and_other_cases() {
        let f = fixture();
        let mut chains = f.chains.clone();
        let members: Vec<[u8; 32]> = f.ledger.members().map(|m| m.key).collect();
        let is_member = |k: &[u8; 32]| members.contains(k);
        let stranger = Identity::from_secrets([9; 32], [9; 32]);
        let key = stranger.verifying_key().to_bytes();
        let r = chains.next_record(&key, UnixTime(40), 2, exported(1));
        let err = chains.accept(&sign_entry(stranger.signing_key(), &r), is_member).unwrap_err();
        assert!(err.to_string().contains("not a member"), "{err}");
        // A repeat is fine; a different entry at a held position is a fork.
        let co = f.co.verifying_key().to_bytes();
        assert_eq!(chains.accept(&f.chains.chain(&co)[0], is_member), Ok(false));
        let mut fork = AuditChains::new(f.case).next_record(&co, UnixTime(40), 2, exported(7));
        fork.seq = 0;
        let err = chains.accept(&sign_entry(f.co.signing_key(), &fork), is_member).unwrap_err();
        assert!(err.to_string().contains("two histories"), "{err}");
        let mut gap = chains.next_record(&co, UnixTime(41), 2, exported(2));
        gap.seq += 1;
        assert!(
            chains
                .accept(&sign_entry(f.co.signing_key(), &gap), is_member)
                .unwrap_err()
                .to_string()
                .contains("missing")
        );
        let mut elsewhere = chains.next_record(&co, UnixTime(41), 2, exported(2));
        elsewhere.case = CaseId([8; 16]);
        assert!(chains.accept(&sign_entry(f.co.signing_key(), &elsewhere), is_member).is_err());
        let mut forged = sign_entry(f.co.signing_key(), &chains.next_record(&co, UnixTime(42), 2, exported(3)));
        let last = forged.len() - 1;
        forged[last] ^= 1;
        let err = chains.accept(&forged, is_member).unwrap_err();
        assert_eq!(
            err.to_string(),
            format!("an audit entry naming {} as signer: signature does not verify", f.co.peer_id())
        );
        assert_eq!(chains.held().iter().map(|h| h.seq).sum::<u64>(), 3, "nothing refused was taken");
        assert_eq!(chains.beyond(&[AuthorSeq { author: co, seq: 1 }]).len(), 2, "co's second and the lead's");
    }

    #[test]
    fn an_archived_trail_keeps_no_keys_verifies_and_names_a_changed_operation() {
        let mut f = fixture();
        let destroy = f
            .ledger
            .sign_next(f.lead.signing_key(), UnixTime(50), CaseAction::Destroy { report: Some([4; 32]) })
            .unwrap();
        f.ledger.append(&destroy).unwrap();
        let ops = archive_ledger(f.case, f.ledger.ops()).unwrap();
        assert_eq!(ops.len(), 3);
        assert!(!postcard::to_allocvec(&ops).unwrap().windows(32).any(|w| w == f.co.encryption_public()));
        let members: Vec<[u8; 32]> = f.ledger.members().map(|m| m.key).collect();
        let mut record = DestructionRecord { case: f.case, destroy: destroy.clone(), members, confirmations: vec![] };
        record.add(&confirm(f.co.signing_key(), f.case, destroy_hash(&destroy), UnixTime(55))).unwrap();
        let cp = sign_checkpoint(f.keeper.signing_key(), &archive_checkpoint(f.case, &ops, &f.chains, UnixTime(56)));
        let keeper = f.keeper.verifying_key().to_bytes();
        let entries = f.chains.entries();
        let trail = verify_trail(f.case, TrailLedger::Archived(&ops), &entries, &cp, &keeper, Some(&record)).unwrap();
        assert_eq!(trail.lines.len(), 7);
        assert_eq!(trail.lines.last().unwrap().event, LineEvent::Confirmed);

        let mut changed = ops.clone();
        changed[1].change = MembershipChange::Invited { member: [5; 32], role: Role::Supervisor };
        let err = verify_trail(f.case, TrailLedger::Archived(&changed), &entries, &cp, &keeper, Some(&record));
        assert_eq!(err.unwrap_err(), AuditError::Modified("archived ledger operation 1".into()));
        let err = verify_trail(f.case, TrailLedger::Archived(&ops[..2]), &entries, &cp, &keeper, Some(&record));
        assert!(matches!(err, Err(AuditError::Truncated { held: 2, covered: 3, .. })));
        // A live checkpoint does not vouch for an archive.
        let live = checkpoint(&f);
        let err = verify_trail(f.case, TrailLedger::Archived(&ops), &entries, &live, &keeper, Some(&record));
        assert!(matches!(err, Err(AuditError::Checkpoint(_))));
    }
}
