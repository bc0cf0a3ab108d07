//! A case and who may read and write its documents: the case's **ledger**, a hash chain of membership
//! operations signed by the lead reviewer, which every member verifies for itself.
//!
//! The ledger is the single source of truth about a case's membership. It starts with an `Open` operation
//! by the lead, and grows only by operations the current lead signs, each naming its predecessor's hash, so
//! a member can neither forge nor reorder one, and two members holding ledgers of the same length hold the
//! same ledger. Every operation that gives someone access carries the document keys they need, sealed to
//! their X25519 key ([`crate::sealed`]): keys travel only inside the ledger, and only to members.
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

use crate::envelope::{RecordError, RecordKind, seal_envelope};
use crate::identity::{PeerId, peer_id_of};
use crate::time::UnixTime;

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
    /// The sealed key ([`crate::sealed`] format), bound to case, document, epoch and recipient.
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
        let sealed = crate::sealed::seal(recipient_x25519, &key.0[..], &aad, ephemeral, nonce);
        KeyGrant { doc, epoch, recipient: *recipient, sealed }
    }

    /// Opens a grant addressed to this node.
    pub fn open(&self, case: &CaseId, secret: &StaticSecret) -> Result<EpochKey, LedgerError> {
        let aad = grant_aad(case, self.doc, self.epoch, &self.recipient);
        let plain = crate::sealed::open(secret, &self.sealed, &aad).map_err(|_| LedgerError::GrantUnreadable)?;
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
        let (env, op): (_, CaseOpRecord) = crate::envelope::open_record(bytes, RecordKind::CaseOp)
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
                next_members.insert(*member, Member { key: *member, x25519: *x25519, role: *role, since: op.at });
                grants
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
            self.lead = signer;
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
    let (_, op): (_, CaseOpRecord) = crate::envelope::open_record(bytes, RecordKind::CaseOp)
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
    use crate::identity::Identity;

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
}
