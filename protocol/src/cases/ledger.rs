//! A case and who may read and write its documents: the case's **ledger**, a hash chain of membership
//! operations signed by the lead reviewer, which every member verifies for itself.
//!
//! The ledger is the single source of truth about a case's membership. It starts with an `Open` operation
//! by the lead, and grows only by operations the current lead signs, each naming its predecessor's hash, so
//! a member can neither forge nor reorder one, and two members holding ledgers of the same length hold the
//! same ledger. Every operation that gives someone access carries the document keys they need, sealed to
//! their X25519 key ([`crate::records::sealed`]): keys travel only inside the ledger, and only to members.
//!
//! The ledger holds no case content (no title, no names): only member keys, roles and sealed document keys.
//! It is still confidential metadata, and nodes keep it encrypted at rest.

use std::collections::BTreeMap;
use std::fmt;

use ed25519_dalek::{SigningKey, VerifyingKey};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use x25519_dalek::StaticSecret;
use zeroize::Zeroizing;

use crate::records::envelope::{RecordError, RecordKind, seal_envelope};
use crate::records::identity::{PeerId, peer_id_of};
use crate::records::time::UnixTime;

/// The most operations a ledger may hold: far beyond any real review team, small enough to bound memory.
pub const MAX_LEDGER_OPS: usize = 1024;

/// A case's random 16-byte id, shown as 32 hex digits (also in JSON); 16 raw bytes in binary formats.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CaseId(pub [u8; 16]);

impl Serialize for CaseId {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if s.is_human_readable() { s.collect_str(self) } else { s.serialize_bytes(&self.0) }
    }
}

impl<'de> Deserialize<'de> for CaseId {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<CaseId, D::Error> {
        if d.is_human_readable() {
            let text = <std::borrow::Cow<'de, str>>::deserialize(d)?;
            text.parse().map_err(serde::de::Error::custom)
        } else {
            let bytes = <serde_bytes::ByteBuf>::deserialize(d)?;
            let id: [u8; 16] =
                bytes.as_slice().try_into().map_err(|_| serde::de::Error::custom("a case id is 16 bytes"))?;
            Ok(CaseId(id))
        }
    }
}

impl fmt::Display for CaseId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&hex::encode(self.0))
    }
}

impl fmt::Debug for CaseId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CaseId({self})")
    }
}

impl std::str::FromStr for CaseId {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bytes = hex::decode(s.trim()).map_err(|_| format!("`{s}` is not a case id (32 hex digits)"))?;
        let id: [u8; 16] = bytes.try_into().map_err(|_| format!("`{s}` is not a case id (32 hex digits)"))?;
        Ok(CaseId(id))
    }
}

/// The separately keyed documents of a case, so that access can differ per document.
///
/// Serialised as its name in human-readable formats (JSON: `"analysis"`) and as its wire byte (1, 2, 3) in
/// binary ones (postcard, CBOR), so a document has one number everywhere on the wire.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum DocKind {
    /// The analysis: participants, sources, the integrated timeline, episodes, factors, findings.
    Analysis = 1,
    /// Interview notes and file extracts: reviewers only.
    Notes = 2,
    /// Supervisors' comments on the analysis.
    Comments = 3,
}

impl DocKind {
    /// Every document a case has, in wire order.
    pub const ALL: [DocKind; 3] = [DocKind::Analysis, DocKind::Notes, DocKind::Comments];

    /// The byte that names this document on the wire.
    pub fn byte(self) -> u8 {
        self as u8
    }

    /// The document named by a wire byte.
    pub fn from_byte(b: u8) -> Option<DocKind> {
        DocKind::ALL.into_iter().find(|d| d.byte() == b)
    }

    /// The name used in the CLI and the API.
    pub fn name(self) -> &'static str {
        match self {
            DocKind::Analysis => "analysis",
            DocKind::Notes => "notes",
            DocKind::Comments => "comments",
        }
    }
}

impl Serialize for DocKind {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if s.is_human_readable() { s.serialize_str(self.name()) } else { s.serialize_u8(self.byte()) }
    }
}

impl<'de> Deserialize<'de> for DocKind {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<DocKind, D::Error> {
        if d.is_human_readable() {
            let name = <std::borrow::Cow<'de, str>>::deserialize(d)?;
            name.parse().map_err(serde::de::Error::custom)
        } else {
            let b = u8::deserialize(d)?;
            DocKind::from_byte(b).ok_or_else(|| serde::de::Error::custom(format!("unknown document {b}")))
        }
    }
}

impl std::str::FromStr for DocKind {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        DocKind::ALL
            .into_iter()
            .find(|d| d.name() == s.trim())
            .ok_or_else(|| format!("unknown document `{s}`: expected analysis, notes or comments"))
    }
}

/// A member's role in a case, which decides the documents they may read and write.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Role {
    /// The reviewer who leads the case and alone changes its membership.
    Lead,
    /// A reviewer working on the case with the lead.
    CoReviewer,
    /// An accredited senior who reads the analysis and comments on it; never sees the notes.
    Supervisor,
}

impl Role {
    /// The name used in the CLI and the API.
    pub fn name(self) -> &'static str {
        match self {
            Role::Lead => "lead",
            Role::CoReviewer => "co-reviewer",
            Role::Supervisor => "supervisor",
        }
    }

    /// Whether this role holds the keys of `doc`.
    pub fn reads(self, doc: DocKind) -> bool {
        match self {
            Role::Lead | Role::CoReviewer => true,
            Role::Supervisor => doc != DocKind::Notes,
        }
    }

    /// Whether bundles for `doc` signed by this role are accepted. Enforced by every node on receipt, so a
    /// modified client gains nothing by writing where its role may only read.
    pub fn writes(self, doc: DocKind) -> bool {
        match self {
            Role::Lead | Role::CoReviewer => true,
            Role::Supervisor => doc == DocKind::Comments,
        }
    }
}

impl std::str::FromStr for Role {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim() {
            "lead" => Ok(Role::Lead),
            "co-reviewer" => Ok(Role::CoReviewer),
            "supervisor" => Ok(Role::Supervisor),
            _ => Err(format!("unknown role `{s}`: expected co-reviewer or supervisor")),
        }
    }
}

/// A document's symmetric key for one epoch. Zeroed when dropped.
#[derive(Clone)]
pub struct EpochKey(pub Zeroizing<[u8; 32]>);

impl fmt::Debug for EpochKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("EpochKey(..)")
    }
}

/// One document key for one member, sealed to their X25519 key.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyGrant {
    /// The document.
    pub doc: DocKind,
    /// The epoch of the key.
    pub epoch: u32,
    /// The member (ed25519 public key).
    pub recipient: [u8; 32],
    /// The sealed key ([`crate::records::sealed`] format), bound to case, document, epoch and recipient.
    #[serde(with = "serde_bytes")]
    pub sealed: Vec<u8>,
}

fn grant_aad(case: &CaseId, doc: DocKind, epoch: u32, recipient: &[u8; 32]) -> Vec<u8> {
    let mut aad = b"samenloop epoch key v1\0".to_vec();
    aad.extend_from_slice(&case.0);
    aad.push(doc.byte());
    aad.extend_from_slice(&epoch.to_be_bytes());
    aad.extend_from_slice(recipient);
    aad
}

impl KeyGrant {
    /// Seals `key` to a member. `ephemeral` and `nonce` must be fresh OS randomness.
    // Every argument is a distinct input of the construction; a parameter struct would only hide which is which.
    #[allow(clippy::too_many_arguments)]
    pub fn seal(
        case: &CaseId,
        doc: DocKind,
        epoch: u32,
        recipient: &[u8; 32],
        recipient_x25519: &[u8; 32],
        key: &EpochKey,
        ephemeral: [u8; 32],
        nonce: [u8; 24],
    ) -> KeyGrant {
        let aad = grant_aad(case, doc, epoch, recipient);
        let sealed = crate::records::sealed::seal(recipient_x25519, &key.0[..], &aad, ephemeral, nonce);
        KeyGrant { doc, epoch, recipient: *recipient, sealed }
    }

    /// Opens a grant addressed to this node.
    pub fn open(&self, case: &CaseId, secret: &StaticSecret) -> Result<EpochKey, LedgerError> {
        let aad = grant_aad(case, self.doc, self.epoch, &self.recipient);
        let plain =
            crate::records::sealed::open(secret, &self.sealed, &aad).map_err(|_| LedgerError::GrantUnreadable)?;
        let key: [u8; 32] = plain.as_slice().try_into().map_err(|_| LedgerError::GrantUnreadable)?;
        Ok(EpochKey(Zeroizing::new(key)))
    }
}

/// What one ledger operation does.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum CaseAction {
    /// Creates the case; the signer becomes its lead, and receives the first key of every document.
    Open {
        /// The lead's X25519 key.
        x25519: [u8; 32],
        /// The lead's own keys (so that a restored home regains them from the ledger).
        grants: Vec<KeyGrant>,
    },
    /// Adds a member with a role, with the current key of each document the role reads.
    Invite {
        /// The new member's ed25519 key.
        member: [u8; 32],
        /// Their role (never `Lead`: the lead role is handed over, not given).
        role: Role,
        /// Their X25519 key, from their signed profile.
        x25519: [u8; 32],
        /// Their keys.
        grants: Vec<KeyGrant>,
    },
    /// Removes a member and rotates the key of every document they could read: the new key goes to every
    /// remaining reader, and the old key is sealed under the new one, so remaining and future members still
    /// read the whole history while the removed member cannot read anything written after removal.
    Remove {
        /// The member removed (never the lead: hand the lead role over first).
        member: [u8; 32],
        /// One rotation per document the member could read.
        rotations: Vec<Rotation>,
        /// Where the member's writing stops, per document, as the lead holds it: their bundles up to here
        /// stay part of the history; anything beyond is refused by every node as written after removal.
        frozen: Vec<FrozenChain>,
    },
    /// Hands the lead role to a co-reviewer; the old lead stays as a co-reviewer.
    HandLead {
        /// The new lead.
        to: [u8; 32],
    },
    /// Ends the case: every member's node deletes its keys, bundles and caches and refuses further sync, and
    /// confirms to the lead ([`crate::cases::destruction`]). The last operation a ledger can hold.
    Destroy {
        /// SHA-256 of the final report that outlives the case, if the lead exported one.
        report: Option<[u8; 32]>,
    },
}

/// The last bundle of a removed member that stays in a document's history.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FrozenChain {
    /// The document.
    pub doc: DocKind,
    /// The member's last accepted sequence number (0: none).
    pub seq: u64,
    /// Its chain hash (zeros for 0).
    pub hash: [u8; 32],
}

/// What a member may still write to a document, as every node checks on receipt.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WriteRight {
    /// A current member whose role writes the document.
    Writer,
    /// A removed member: their bundles up to `seq` (ending at `hash`) belong to the history, nothing after.
    Frozen {
        /// The last accepted seq.
        seq: u64,
        /// Its chain hash.
        hash: [u8; 32],
    },
    /// Neither.
    None,
}

/// A document's move to a new epoch.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rotation {
    /// The document.
    pub doc: DocKind,
    /// The new epoch (the previous one plus one).
    pub epoch: u32,
    /// The new key for each remaining member who reads the document.
    pub grants: Vec<KeyGrant>,
    /// The previous epoch's key, sealed under the new epoch's key ([`seal_previous_key`]).
    #[serde(with = "serde_bytes")]
    pub previous: Vec<u8>,
}

fn previous_key_cipher(new_key: &EpochKey) -> chacha20poly1305::XChaCha20Poly1305 {
    use chacha20poly1305::KeyInit;
    let mut hasher = blake3::Hasher::new_derive_key("samenloop previous epoch key v1");
    hasher.update(&new_key.0[..]);
    let derived = Zeroizing::new(*hasher.finalize().as_bytes());
    chacha20poly1305::XChaCha20Poly1305::new(&chacha20poly1305::Key::from(*derived))
}

fn previous_key_aad(case: &CaseId, doc: DocKind, new_epoch: u32) -> Vec<u8> {
    let mut aad = b"samenloop previous epoch key v1\0".to_vec();
    aad.extend_from_slice(&case.0);
    aad.push(doc.byte());
    aad.extend_from_slice(&new_epoch.to_be_bytes());
    aad
}

/// Seals the key of epoch `new_epoch - 1` under the key of `new_epoch`: nonce (24) || ciphertext || tag.
pub fn seal_previous_key(
    case: &CaseId,
    doc: DocKind,
    new_epoch: u32,
    new_key: &EpochKey,
    previous: &EpochKey,
    nonce: [u8; 24],
) -> Vec<u8> {
    use chacha20poly1305::aead::{Aead, Payload};
    let aad = previous_key_aad(case, doc, new_epoch);
    let ct = previous_key_cipher(new_key)
        .encrypt(&chacha20poly1305::XNonce::from(nonce), Payload { msg: &previous.0[..], aad: &aad })
        .unwrap_or_default();
    let mut out = nonce.to_vec();
    out.extend_from_slice(&ct);
    out
}

/// Opens the key of epoch `new_epoch - 1` with the key of `new_epoch`.
pub fn open_previous_key(
    case: &CaseId,
    doc: DocKind,
    new_epoch: u32,
    new_key: &EpochKey,
    sealed: &[u8],
) -> Result<EpochKey, LedgerError> {
    use chacha20poly1305::aead::{Aead, Payload};
    if sealed.len() != 24 + 32 + 16 {
        return Err(LedgerError::GrantUnreadable);
    }
    let mut nonce = [0u8; 24];
    nonce.copy_from_slice(&sealed[..24]);
    let aad = previous_key_aad(case, doc, new_epoch);
    let plain = Zeroizing::new(
        previous_key_cipher(new_key)
            .decrypt(&chacha20poly1305::XNonce::from(nonce), Payload { msg: &sealed[24..], aad: &aad })
            .map_err(|_| LedgerError::GrantUnreadable)?,
    );
    let key: [u8; 32] = plain.as_slice().try_into().map_err(|_| LedgerError::GrantUnreadable)?;
    Ok(EpochKey(Zeroizing::new(key)))
}

/// The signed body of a ledger operation (record kind 8).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaseOpRecord {
    /// The case.
    pub case: CaseId,
    /// Position in the ledger, from 0 (the `Open`).
    pub seq: u64,
    /// SHA-256 of the previous operation's signed bytes (zeros for the `Open`).
    pub prev: [u8; 32],
    /// When the lead signed it.
    pub at: UnixTime,
    /// What it does.
    pub action: CaseAction,
}

/// Why a ledger operation was refused. Each names the rule broken.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum LedgerError {
    /// The signed record does not open.
    #[error("ledger operation: {0}")]
    Record(String),
    /// The operation is for another case.
    #[error("ledger operation belongs to another case")]
    WrongCase,
    /// The operation's position does not follow the ledger.
    #[error("ledger operation {got} does not follow operation {expected_prev}")]
    OutOfOrder {
        /// The operation's seq.
        got: u64,
        /// The ledger's last seq.
        expected_prev: i64,
    },
    /// The operation does not name its predecessor's hash: a fork or a forgery.
    #[error("ledger operation {0} does not link to its predecessor")]
    BrokenLink(u64),
    /// The first operation must open the case; later ones must not.
    #[error("a ledger must start with exactly one Open")]
    BadOpen,
    /// Only the current lead changes membership.
    #[error("ledger operation {0} is not signed by the lead")]
    NotSignedByLead(u64),
    /// The operation is inconsistent (a member added twice, a lead invited, a grant for a document the role
    /// may not read, a grant to someone else).
    #[error("ledger operation {seq} is invalid: {reason}")]
    Invalid {
        /// The operation's seq.
        seq: u64,
        /// What is wrong.
        reason: &'static str,
    },
    /// The ledger is full.
    #[error("the ledger holds the maximum of {MAX_LEDGER_OPS} operations")]
    Full,
    /// The case was destroyed: its ledger takes no further operation.
    #[error("the case was destroyed")]
    Destroyed,
    /// A key grant addressed to us does not open.
    #[error("a document key sealed to this node does not open")]
    GrantUnreadable,
}

/// A member as the ledger knows them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Member {
    /// Their ed25519 key (their PeerId's key).
    pub key: [u8; 32],
    /// Their X25519 key, for sealing document keys to them.
    pub x25519: [u8; 32],
    /// Their role.
    pub role: Role,
    /// When they joined.
    pub since: UnixTime,
}

impl Member {
    /// Their libp2p peer id.
    pub fn peer_id(&self) -> Option<PeerId> {
        VerifyingKey::from_bytes(&self.key).ok().map(|k| peer_id_of(&k))
    }
}

/// A verified ledger and the membership it defines.
#[derive(Clone, Debug)]
pub struct Ledger {
    case: CaseId,
    ops: Vec<Vec<u8>>,
    last_hash: [u8; 32],
    lead: [u8; 32],
    members: BTreeMap<[u8; 32], Member>,
    /// Every grant, so a member finds its own keys and a lead knows the current epochs.
    grants: Vec<KeyGrant>,
    /// Previous epoch keys sealed under their successors, by (document, new epoch).
    previous: BTreeMap<(DocKind, u32), Vec<u8>>,
    /// Members removed, and the ledger position of their removal (their bundles are refused from then on).
    removed: BTreeMap<[u8; 32], Vec<FrozenChain>>,
    /// The ledger position of each member's removal: how far a removed member's node is told.
    removed_at: BTreeMap<[u8; 32], u64>,
    /// SHA-256 of the `Destroy` operation, once the case is destroyed.
    destroyed: Option<[u8; 32]>,
}

fn op_hash(bytes: &[u8]) -> [u8; 32] {
    Sha256::digest(bytes).into()
}

impl Ledger {
    /// Verifies a whole ledger from its first operation.
    pub fn from_ops(case: CaseId, ops: &[Vec<u8>]) -> Result<Ledger, LedgerError> {
        let mut ledger = Ledger {
            case,
            ops: Vec::new(),
            last_hash: [0; 32],
            lead: [0; 32],
            members: BTreeMap::new(),
            grants: Vec::new(),
            previous: BTreeMap::new(),
            removed: BTreeMap::new(),
            removed_at: BTreeMap::new(),
            destroyed: None,
        };
        for op in ops {
            ledger.append(op)?;
        }
        if ledger.ops.is_empty() {
            return Err(LedgerError::BadOpen);
        }
        Ok(ledger)
    }

    /// Signs a new operation for this ledger (the caller must be the lead; [`Ledger::append`] checks).
    pub fn sign_next(&self, lead: &SigningKey, at: UnixTime, action: CaseAction) -> Result<Vec<u8>, LedgerError> {
        let record = CaseOpRecord { case: self.case, seq: self.ops.len() as u64, prev: self.last_hash, at, action };
        sign_op(lead, &record)
    }

    /// Verifies one more operation and applies it. Nothing changes if it is refused.
    pub fn append(&mut self, bytes: &[u8]) -> Result<(), LedgerError> {
        if self.ops.len() >= MAX_LEDGER_OPS {
            return Err(LedgerError::Full);
        }
        if self.destroyed.is_some() {
            return Err(LedgerError::Destroyed);
        }
        let (env, op): (_, CaseOpRecord) = crate::records::envelope::open_record(bytes, RecordKind::CaseOp)
            .map_err(|e| LedgerError::Record(record_error_text(&e)))?;
        if op.case != self.case {
            return Err(LedgerError::WrongCase);
        }
        if op.seq != self.ops.len() as u64 {
            return Err(LedgerError::OutOfOrder { got: op.seq, expected_prev: self.ops.len() as i64 - 1 });
        }
        if op.prev != self.last_hash {
            return Err(LedgerError::BrokenLink(op.seq));
        }
        let signer = env.signer.to_bytes();
        let invalid = |reason| LedgerError::Invalid { seq: op.seq, reason };
        let mut next_members = self.members.clone();
        let mut new_lead = self.lead;
        let mut new_previous: Vec<((DocKind, u32), Vec<u8>)> = Vec::new();
        let mut removed = None;
        let mut destroyed = false;
        let rotation_grants: Vec<KeyGrant>;
        let new_grants: &[KeyGrant] = match &op.action {
            CaseAction::Open { x25519, grants } => {
                if op.seq != 0 {
                    return Err(LedgerError::BadOpen);
                }
                next_members.insert(signer, Member { key: signer, x25519: *x25519, role: Role::Lead, since: op.at });
                grants
            }
            CaseAction::Invite { member, role, x25519, grants } => {
                if op.seq == 0 {
                    return Err(LedgerError::BadOpen);
                }
                if signer != self.lead {
                    return Err(LedgerError::NotSignedByLead(op.seq));
                }
                if *role == Role::Lead {
                    return Err(invalid("the lead role is handed over, not given by invitation"));
                }
                if next_members.contains_key(member) {
                    return Err(invalid("this member is already in the case"));
                }
                if self.removed.contains_key(member) {
                    return Err(invalid("a removed member cannot be invited again under the same key"));
                }
                next_members.insert(*member, Member { key: *member, x25519: *x25519, role: *role, since: op.at });
                grants
            }
            CaseAction::Remove { member, rotations, frozen } => {
                if op.seq == 0 {
                    return Err(LedgerError::BadOpen);
                }
                if signer != self.lead {
                    return Err(LedgerError::NotSignedByLead(op.seq));
                }
                if *member == self.lead {
                    return Err(invalid("the lead cannot be removed: hand the lead role over first"));
                }
                let Some(gone) = next_members.remove(member) else {
                    return Err(invalid("no such member"));
                };
                for doc in DocKind::ALL.into_iter().filter(|d| gone.role.reads(*d)) {
                    let Some(r) = rotations.iter().find(|r| r.doc == doc) else {
                        return Err(invalid("a document the removed member could read is not rotated"));
                    };
                    if r.epoch != self.current_epoch(doc).map_or(1, |e| e + 1) {
                        return Err(invalid("a rotation must move to the next epoch"));
                    }
                    for m in next_members.values().filter(|m| m.role.reads(doc)) {
                        if r.grants.iter().filter(|g| g.recipient == m.key).count() != 1 {
                            return Err(invalid("a remaining member does not get exactly one new key"));
                        }
                    }
                    if r.grants.iter().any(|g| g.doc != doc || g.epoch != r.epoch) {
                        return Err(invalid("a rotation's grant is for another document or epoch"));
                    }
                    new_previous.push(((doc, r.epoch), r.previous.clone()));
                }
                if rotations.len() != new_previous.len() {
                    return Err(invalid("a rotation for a document the removed member could not read"));
                }
                if frozen.iter().any(|f| !gone.role.writes(f.doc))
                    || DocKind::ALL.iter().filter(|d| gone.role.writes(**d)).count() != frozen.len()
                {
                    return Err(invalid("a removal must freeze exactly the documents the member could write"));
                }
                removed = Some((*member, frozen.clone()));
                rotation_grants = rotations.iter().flat_map(|r| r.grants.iter().cloned()).collect();
                &rotation_grants
            }
            CaseAction::HandLead { to } => {
                if op.seq == 0 {
                    return Err(LedgerError::BadOpen);
                }
                if signer != self.lead {
                    return Err(LedgerError::NotSignedByLead(op.seq));
                }
                match next_members.get(to).map(|m| m.role) {
                    Some(Role::CoReviewer) => {}
                    Some(_) => return Err(invalid("only a co-reviewer can take over the lead role")),
                    None => return Err(invalid("no such member")),
                }
                if let Some(m) = next_members.get_mut(to) {
                    m.role = Role::Lead;
                }
                if let Some(m) = next_members.get_mut(&self.lead) {
                    m.role = Role::CoReviewer;
                }
                new_lead = *to;
                &[]
            }
            CaseAction::Destroy { .. } => {
                if op.seq == 0 {
                    return Err(LedgerError::BadOpen);
                }
                if signer != self.lead {
                    return Err(LedgerError::NotSignedByLead(op.seq));
                }
                destroyed = true;
                &[]
            }
        };
        for g in new_grants {
            let Some(m) = next_members.get(&g.recipient) else {
                return Err(invalid("a key grant names someone who is not a member"));
            };
            if !m.role.reads(g.doc) {
                return Err(invalid("a key grant gives a document the member's role may not read"));
            }
        }
        if op.seq == 0 {
            new_lead = signer;
        }
        self.lead = new_lead;
        self.previous.extend(new_previous);
        if let Some((m, frozen)) = removed {
            self.removed.insert(m, frozen);
            self.removed_at.insert(m, op.seq);
        }
        if destroyed {
            self.destroyed = Some(op_hash(bytes));
        }
        self.members = next_members;
        self.grants.extend_from_slice(new_grants);
        self.last_hash = op_hash(bytes);
        self.ops.push(bytes.to_vec());
        Ok(())
    }

    /// The case.
    pub fn case(&self) -> CaseId {
        self.case
    }

    /// The signed operations, in order (what a member sends another).
    pub fn ops(&self) -> &[Vec<u8>] {
        &self.ops
    }

    /// The number of operations.
    pub fn len(&self) -> u64 {
        self.ops.len() as u64
    }

    /// Always false for a verified ledger (it holds at least the `Open`).
    pub fn is_empty(&self) -> bool {
        self.ops.is_empty()
    }

    /// The lead's key.
    pub fn lead(&self) -> [u8; 32] {
        self.lead
    }

    /// Every member, in key order.
    pub fn members(&self) -> impl Iterator<Item = &Member> {
        self.members.values()
    }

    /// A member by key.
    pub fn member(&self, key: &[u8; 32]) -> Option<&Member> {
        self.members.get(key)
    }

    /// Whether `key` may write `doc` (checked for every bundle received).
    pub fn can_write(&self, key: &[u8; 32], doc: DocKind) -> bool {
        self.members.get(key).is_some_and(|m| m.role.writes(doc))
    }

    /// Whether `key` may read `doc` (checked before sending anyone a bundle).
    pub fn can_read(&self, key: &[u8; 32], doc: DocKind) -> bool {
        self.members.get(key).is_some_and(|m| m.role.reads(doc))
    }

    /// The newest epoch of `doc` that has been granted to anyone.
    pub fn current_epoch(&self, doc: DocKind) -> Option<u32> {
        self.grants.iter().filter(|g| g.doc == doc).map(|g| g.epoch).max()
    }

    /// The previous epoch's key of `doc`, sealed under the key of `epoch` (present for rotated epochs).
    pub fn previous_key(&self, doc: DocKind, epoch: u32) -> Option<&[u8]> {
        self.previous.get(&(doc, epoch)).map(Vec::as_slice)
    }

    /// The hash of the `Destroy` operation (what members confirm), once the lead has destroyed the case.
    pub fn destroyed(&self) -> Option<[u8; 32]> {
        self.destroyed
    }

    /// Whether `key` was a member and has been removed.
    pub fn was_removed(&self, key: &[u8; 32]) -> bool {
        self.removed.contains_key(key)
    }

    /// What a removed member's node is told: the operations from `from` up to and including the one that
    /// removed `key`, and nothing after. None if `key` was not removed or already holds its removal.
    pub fn removal_notice(&self, key: &[u8; 32], from: u64) -> Option<&[Vec<u8>]> {
        let at = *self.removed_at.get(key)?;
        self.ops.get(usize::try_from(from).ok()?..=usize::try_from(at).ok()?)
    }

    /// What `key` may write to `doc`: checked for every bundle received.
    pub fn write_right(&self, key: &[u8; 32], doc: DocKind) -> WriteRight {
        if self.can_write(key, doc) {
            return WriteRight::Writer;
        }
        match self.removed.get(key).and_then(|f| f.iter().find(|f| f.doc == doc)) {
            Some(f) => WriteRight::Frozen { seq: f.seq, hash: f.hash },
            None => WriteRight::None,
        }
    }

    /// The grants addressed to `member`.
    pub fn grants_for<'a>(&'a self, member: &'a [u8; 32]) -> impl Iterator<Item = &'a KeyGrant> + 'a {
        self.grants.iter().filter(move |g| &g.recipient == member)
    }
}

/// Signs a ledger operation into its wire form (an envelope of kind 8).
pub fn sign_op(key: &SigningKey, record: &CaseOpRecord) -> Result<Vec<u8>, LedgerError> {
    let body = postcard::to_allocvec(record).map_err(|e| LedgerError::Record(e.to_string()))?;
    seal_envelope(key, RecordKind::CaseOp, &body).map_err(|e| LedgerError::Record(e.to_string()))
}

/// Reads just the case id of a ledger operation, after checking its signature: how a node recognises the
/// `Open` of a case it does not know yet.
pub fn op_case(bytes: &[u8]) -> Result<CaseId, LedgerError> {
    let (_, op): (_, CaseOpRecord) = crate::records::envelope::open_record(bytes, RecordKind::CaseOp)
        .map_err(|e| LedgerError::Record(record_error_text(&e)))?;
    Ok(op.case)
}

fn record_error_text(e: &RecordError) -> String {
    match e {
        RecordError::Envelope(e) => e.to_string(),
        RecordError::Malformed(m) => format!("malformed: {m}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::records::identity::Identity;

    fn key() -> EpochKey {
        EpochKey(Zeroizing::new([5; 32]))
    }

    fn open_case(lead: &Identity, case: CaseId) -> Vec<u8> {
        let me = lead.verifying_key().to_bytes();
        let grants = DocKind::ALL
            .iter()
            .map(|d| KeyGrant::seal(&case, *d, 1, &me, &lead.encryption_public(), &key(), [3; 32], [4; 24]))
            .collect();
        let record = CaseOpRecord {
            case,
            seq: 0,
            prev: [0; 32],
            at: UnixTime(1_000),
            action: CaseAction::Open { x25519: lead.encryption_public(), grants },
        };
        sign_op(lead.signing_key(), &record).unwrap()
    }

    fn invite(ledger: &Ledger, by: &Identity, who: &Identity, role: Role) -> Vec<u8> {
        let case = ledger.case();
        let member = who.verifying_key().to_bytes();
        let grants = DocKind::ALL
            .iter()
            .filter(|d| role.reads(**d))
            .map(|d| KeyGrant::seal(&case, *d, 1, &member, &who.encryption_public(), &key(), [6; 32], [7; 24]))
            .collect();
        let action = CaseAction::Invite { member, role, x25519: who.encryption_public(), grants };
        ledger.sign_next(by.signing_key(), UnixTime(2_000), action).unwrap()
    }

    #[test]
    fn documents_have_one_number_on_the_wire_and_a_name_in_json() {
        assert_eq!(postcard::to_allocvec(&DocKind::Notes).unwrap(), [2]);
        assert_eq!(postcard::from_bytes::<DocKind>(&[3]).unwrap(), DocKind::Comments);
        assert!(postcard::from_bytes::<DocKind>(&[0]).is_err());
        assert_eq!(serde_json::to_string(&DocKind::Analysis).unwrap(), "\"analysis\"");
        assert_eq!(serde_json::from_str::<DocKind>("\"notes\"").unwrap(), DocKind::Notes);
        let case = CaseId([0xab; 16]);
        assert_eq!(serde_json::to_string(&case).unwrap(), format!("\"{}\"", "ab".repeat(16)));
        assert_eq!(serde_json::from_str::<CaseId>(&serde_json::to_string(&case).unwrap()).unwrap(), case);
        let bin = postcard::to_allocvec(&case).unwrap();
        assert_eq!(bin.len(), 17);
        assert_eq!(postcard::from_bytes::<CaseId>(&bin).unwrap(), case);
    }

    #[test]
    fn lead_opens_and_invites_members_who_open_their_keys() {
        let lead = Identity::from_secrets([1; 32], [2; 32]);
        let co = Identity::from_secrets([3; 32], [4; 32]);
        let sup = Identity::from_secrets([5; 32], [6; 32]);
        let case = CaseId([9; 16]);
        let mut ledger = Ledger::from_ops(case, &[open_case(&lead, case)]).unwrap();
        let op = invite(&ledger, &lead, &co, Role::CoReviewer);
        ledger.append(&op).unwrap();
        let op = invite(&ledger, &lead, &sup, Role::Supervisor);
        ledger.append(&op).unwrap();

        // Another member rebuilds the same ledger from the signed operations.
        let copy = Ledger::from_ops(case, ledger.ops()).unwrap();
        assert_eq!(copy.members().count(), 3);
        assert_eq!(copy.lead(), lead.verifying_key().to_bytes());
        let co_key = co.verifying_key().to_bytes();
        assert!(copy.can_write(&co_key, DocKind::Notes));
        let sup_key = sup.verifying_key().to_bytes();
        assert!(!copy.can_read(&sup_key, DocKind::Notes));
        assert!(!copy.can_write(&sup_key, DocKind::Analysis));
        assert!(copy.can_write(&sup_key, DocKind::Comments));
        let grants: Vec<_> = copy.grants_for(&co_key).collect();
        assert_eq!(grants.len(), 3);
        assert_eq!(*grants[0].open(&case, co.encryption_secret()).unwrap().0, [5; 32]);
        // The supervisor holds no key for the notes, and cannot open another member's grant.
        assert!(copy.grants_for(&sup_key).all(|g| g.doc != DocKind::Notes));
        assert_eq!(grants[0].open(&case, sup.encryption_secret()).unwrap_err(), LedgerError::GrantUnreadable);
        assert_eq!(copy.current_epoch(DocKind::Analysis), Some(1));
    }

    #[test]
    fn refuses_operations_not_by_the_lead_out_of_order_or_for_another_case() {
        let lead = Identity::from_secrets([1; 32], [2; 32]);
        let co = Identity::from_secrets([3; 32], [4; 32]);
        let other = Identity::from_secrets([7; 32], [8; 32]);
        let case = CaseId([9; 16]);
        let mut ledger = Ledger::from_ops(case, &[open_case(&lead, case)]).unwrap();
        let op = invite(&ledger, &lead, &co, Role::CoReviewer);
        ledger.append(&op).unwrap();

        let by_co = invite(&ledger, &co, &other, Role::CoReviewer);
        assert_eq!(ledger.clone().append(&by_co).unwrap_err(), LedgerError::NotSignedByLead(2));
        assert_eq!(ledger.clone().append(&op).unwrap_err(), LedgerError::OutOfOrder { got: 1, expected_prev: 1 });
        let other_case = Ledger::from_ops(CaseId([8; 16]), &[open_case(&lead, CaseId([8; 16]))]).unwrap();
        let foreign = invite(&other_case, &lead, &other, Role::CoReviewer);
        assert_eq!(ledger.clone().append(&foreign).unwrap_err(), LedgerError::WrongCase);
        let twice = invite(&ledger, &lead, &co, Role::Supervisor);
        assert!(matches!(ledger.clone().append(&twice).unwrap_err(), LedgerError::Invalid { .. }));
        let second_open = {
            let record = CaseOpRecord {
                case,
                seq: 2,
                prev: ledger.last_hash,
                at: UnixTime(3),
                action: CaseAction::Open { x25519: [1; 32], grants: vec![] },
            };
            sign_op(lead.signing_key(), &record).unwrap()
        };
        assert_eq!(ledger.clone().append(&second_open).unwrap_err(), LedgerError::BadOpen);
        let mut tampered = invite(&ledger, &lead, &other, Role::CoReviewer);
        let n = tampered.len();
        tampered[n - 70] ^= 1;
        assert!(matches!(ledger.clone().append(&tampered).unwrap_err(), LedgerError::Record(_)));
        // Refusals changed nothing.
        assert_eq!(ledger.len(), 2);
        assert!(Ledger::from_ops(case, &[]).is_err());
        assert!(Ledger::from_ops(case, &[b"garbage".to_vec()]).is_err());
    }

    fn rotate(ledger: &Ledger, remaining: &[&Identity], removed_role: Role, new_key: &EpochKey) -> Vec<Rotation> {
        let case = ledger.case();
        DocKind::ALL
            .into_iter()
            .filter(|d| removed_role.reads(*d))
            .map(|doc| {
                let epoch = ledger.current_epoch(doc).unwrap() + 1;
                let grants = remaining
                    .iter()
                    .filter(|m| ledger.member(&m.verifying_key().to_bytes()).unwrap().role.reads(doc))
                    .map(|m| {
                        let k = m.verifying_key().to_bytes();
                        KeyGrant::seal(&case, doc, epoch, &k, &m.encryption_public(), new_key, [8; 32], [9; 24])
                    })
                    .collect();
                let previous = seal_previous_key(&case, doc, epoch, new_key, &key(), [1; 24]);
                Rotation { doc, epoch, grants, previous }
            })
            .collect()
    }

    fn frozen(role: Role) -> Vec<FrozenChain> {
        DocKind::ALL
            .into_iter()
            .filter(|d| role.writes(*d))
            .map(|doc| FrozenChain { doc, seq: 0, hash: [0; 32] })
            .collect()
    }

    #[test]
    fn removal_rotates_keys_and_late_members_read_history() {
        let lead = Identity::from_secrets([1; 32], [2; 32]);
        let co = Identity::from_secrets([3; 32], [4; 32]);
        let gone = Identity::from_secrets([5; 32], [6; 32]);
        let late = Identity::from_secrets([7; 32], [8; 32]);
        let case = CaseId([9; 16]);
        let mut ledger = Ledger::from_ops(case, &[open_case(&lead, case)]).unwrap();
        for who in [&co, &gone] {
            let op = invite(&ledger, &lead, who, Role::CoReviewer);
            ledger.append(&op).unwrap();
        }
        let new_key = EpochKey(Zeroizing::new([0x44; 32]));
        let gone_key = gone.verifying_key().to_bytes();

        // Not by the lead; the lead itself; a document left out: refused, nothing changes.
        let rotations = rotate(&ledger, &[&lead, &co], Role::CoReviewer, &new_key);
        let action =
            CaseAction::Remove { member: gone_key, rotations: rotations.clone(), frozen: frozen(Role::CoReviewer) };
        let by_co = ledger.sign_next(co.signing_key(), UnixTime(3), action.clone()).unwrap();
        assert_eq!(ledger.clone().append(&by_co).unwrap_err(), LedgerError::NotSignedByLead(3));
        let lead_key = lead.verifying_key().to_bytes();
        let remove_lead =
            CaseAction::Remove { member: lead_key, rotations: rotations.clone(), frozen: frozen(Role::CoReviewer) };
        let op = ledger.sign_next(lead.signing_key(), UnixTime(3), remove_lead).unwrap();
        assert!(matches!(ledger.clone().append(&op).unwrap_err(), LedgerError::Invalid { .. }));
        let partial = CaseAction::Remove {
            member: gone_key,
            rotations: rotations[..1].to_vec(),
            frozen: frozen(Role::CoReviewer),
        };
        let op = ledger.sign_next(lead.signing_key(), UnixTime(3), partial).unwrap();
        assert!(matches!(ledger.clone().append(&op).unwrap_err(), LedgerError::Invalid { .. }));
        let to_gone = rotate(&ledger, &[&lead, &co, &gone], Role::CoReviewer, &new_key);
        let op = ledger
            .sign_next(
                lead.signing_key(),
                UnixTime(3),
                CaseAction::Remove { member: gone_key, rotations: to_gone, frozen: frozen(Role::CoReviewer) },
            )
            .unwrap();
        assert!(
            matches!(ledger.clone().append(&op).unwrap_err(), LedgerError::Invalid { .. }),
            "no key for the removed"
        );

        let op = ledger.sign_next(lead.signing_key(), UnixTime(3), action).unwrap();
        ledger.append(&op).unwrap();
        assert!(!ledger.can_write(&gone_key, DocKind::Analysis));
        assert_eq!(ledger.write_right(&gone_key, DocKind::Notes), WriteRight::Frozen { seq: 0, hash: [0; 32] });
        assert_eq!(ledger.write_right(&lead.verifying_key().to_bytes(), DocKind::Notes), WriteRight::Writer);
        assert!(ledger.was_removed(&gone_key));
        assert_eq!(ledger.current_epoch(DocKind::Analysis), Some(2));
        assert!(ledger.grants_for(&gone_key).all(|g| g.epoch == 1), "the removed member has no new key");
        let co_key = co.verifying_key().to_bytes();
        let g = ledger.grants_for(&co_key).find(|g| g.doc == DocKind::Notes && g.epoch == 2).unwrap();
        let opened = g.open(&case, co.encryption_secret()).unwrap();
        let old = open_previous_key(&case, DocKind::Notes, 2, &opened, ledger.previous_key(DocKind::Notes, 2).unwrap());
        assert_eq!(*old.unwrap().0, [5; 32], "the old key is recovered from the new one");

        // A member invited later gets only the new key, and reaches the old one through the chain.
        let late_key = late.verifying_key().to_bytes();
        let grants = DocKind::ALL
            .iter()
            .map(|d| KeyGrant::seal(&case, *d, 2, &late_key, &late.encryption_public(), &new_key, [6; 32], [7; 24]))
            .collect();
        let action =
            CaseAction::Invite { member: late_key, role: Role::CoReviewer, x25519: late.encryption_public(), grants };
        let op = ledger.sign_next(lead.signing_key(), UnixTime(4), action).unwrap();
        ledger.append(&op).unwrap();
        let g = ledger.grants_for(&late_key).find(|g| g.doc == DocKind::Analysis).unwrap();
        let current = g.open(&case, late.encryption_secret()).unwrap();
        let prev = ledger.previous_key(DocKind::Analysis, 2).unwrap();
        assert_eq!(*open_previous_key(&case, DocKind::Analysis, 2, &current, prev).unwrap().0, [5; 32]);
        // A removed member cannot be invited back under the same key.
        let back = invite(&ledger, &lead, &gone, Role::CoReviewer);
        assert!(matches!(ledger.clone().append(&back).unwrap_err(), LedgerError::Invalid { .. }));

        // The lead hands over to a co-reviewer; only then can the old lead be removed, by the new lead.
        let op = ledger.sign_next(lead.signing_key(), UnixTime(5), CaseAction::HandLead { to: co_key }).unwrap();
        ledger.append(&op).unwrap();
        assert_eq!(ledger.lead(), co_key);
        assert_eq!(ledger.member(&lead_key).unwrap().role, Role::CoReviewer);
        let again = ledger.sign_next(lead.signing_key(), UnixTime(6), CaseAction::HandLead { to: lead_key }).unwrap();
        assert_eq!(ledger.clone().append(&again).unwrap_err(), LedgerError::NotSignedByLead(6));
        // Everyone rebuilds the same membership from the operations.
        let copy = Ledger::from_ops(case, ledger.ops()).unwrap();
        assert_eq!(copy.lead(), co_key);
        assert_eq!(copy.members().count(), 3);
    }
}
