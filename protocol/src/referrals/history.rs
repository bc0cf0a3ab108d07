//! A request's history: every state change, signed by the requester and hash-chained, so that entries can
//! only be appended. Removing, reordering or editing an entry breaks the chain or a signature, which
//! [`verify_history`] reports with the index of the first bad entry.
//!
//! Entry `n` signs: the context `samenloop request history v1\0`, then postcard of
//! (request id, n, at, event, reviewer, detail, hash of entry n-1). The hash of an entry is SHA-256 of its
//! signed bytes followed by its signature; entry 0 links to 32 zero bytes.

use ed25519_dalek::{Signature, Signer};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::records::identity::{Identity, PeerId, verifying_key_of};
use crate::records::time::UnixTime;

const CONTEXT: &[u8] = b"samenloop request history v1\0";

/// One state change of a request.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoryEntry {
    /// Position in the history, from 0.
    pub seq: u64,
    /// When.
    pub at: UnixTime,
    /// What: created, offered, delivered, refused, accepted, declined, expired, withdrawn, call, interest.
    pub event: String,
    /// The reviewer concerned, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reviewer: Option<String>,
    /// Details (a decline reason, a declared conflict).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// Hash of the previous entry (hex).
    pub prev: String,
    /// The requester's signature (hex).
    pub signature: String,
}

/// Why a history does not verify.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum HistoryError {
    /// The signer's id does not carry an ed25519 key.
    #[error("the requester id carries no ed25519 key")]
    BadSigner,
    /// Entry `index` is out of sequence, unlinked or unsigned.
    #[error("history entry {index} is invalid: {problem}")]
    Broken {
        /// The first bad entry.
        index: usize,
        /// What is wrong with it.
        problem: &'static str,
    },
}

fn signed_bytes(
    request_id: &str,
    seq: u64,
    at: UnixTime,
    event: &str,
    reviewer: &Option<String>,
    detail: &Option<String>,
    prev: &[u8; 32],
) -> Vec<u8> {
    let mut out = CONTEXT.to_vec();
    // Serialising plain strings and integers cannot fail.
    out.extend(postcard::to_allocvec(&(request_id, seq, at, event, reviewer, detail, prev)).unwrap_or_default());
    out
}

/// The 32-byte link an entry stores as hex, if it is well formed.
fn decode_prev(e: &HistoryEntry) -> Option<[u8; 32]> {
    let mut prev = [0u8; 32];
    hex::decode_to_slice(&e.prev, &mut prev).ok().map(|()| prev)
}

fn entry_hash(e: &HistoryEntry, request_id: &str, prev: &[u8; 32]) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(signed_bytes(request_id, e.seq, e.at, &e.event, &e.reviewer, &e.detail, prev));
    h.update(e.signature.as_bytes());
    h.finalize().into()
}

/// Appends a signed entry to `history`.
pub fn append(
    identity: &Identity,
    request_id: &str,
    history: &mut Vec<HistoryEntry>,
    at: UnixTime,
    event: &str,
    reviewer: Option<String>,
    detail: Option<String>,
) {
    let prev = history.last().map(|e| entry_hash(e, request_id, &decode_prev(e).unwrap_or([0; 32]))).unwrap_or([0; 32]);
    let seq = history.len() as u64;
    let msg = signed_bytes(request_id, seq, at, event, &reviewer, &detail, &prev);
    let signature = identity.signing_key().sign(&msg);
    history.push(HistoryEntry {
        seq,
        at,
        event: event.into(),
        reviewer,
        detail,
        prev: hex::encode(prev),
        signature: hex::encode(signature.to_bytes()),
    });
}

/// Checks every entry: in sequence, linked to its predecessor, and signed by `requester`.
pub fn verify_history(requester: &PeerId, request_id: &str, history: &[HistoryEntry]) -> Result<(), HistoryError> {
    let key = verifying_key_of(requester).ok_or(HistoryError::BadSigner)?;
    let mut prev = [0u8; 32];
    for (index, e) in history.iter().enumerate() {
        let broken = |problem| HistoryError::Broken { index, problem };
        if e.seq != index as u64 {
            return Err(broken("out of sequence"));
        }
        if decode_prev(e) != Some(prev) {
            return Err(broken("does not link to the previous entry"));
        }
        let mut sig = [0u8; 64];
        hex::decode_to_slice(&e.signature, &mut sig).map_err(|_| broken("malformed signature"))?;
        let msg = signed_bytes(request_id, e.seq, e.at, &e.event, &e.reviewer, &e.detail, &prev);
        key.verify_strict(&msg, &Signature::from_bytes(&sig)).map_err(|_| broken("bad signature"))?;
        prev = entry_hash(e, request_id, &prev);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn append_only_and_tamper_evident() {
        let id = Identity::from_secrets([1; 32], [2; 32]);
        let mut h = Vec::new();
        append(&id, "r1", &mut h, UnixTime(1), "created", None, None);
        append(&id, "r1", &mut h, UnixTime(2), "offered", Some("anna".into()), None);
        append(&id, "r1", &mut h, UnixTime(3), "declined", Some("anna".into()), Some("no time".into()));
        assert_eq!(verify_history(&id.peer_id(), "r1", &h), Ok(()));
        assert!(verify_history(&id.peer_id(), "r2", &h).is_err(), "bound to its request");
        let other = Identity::from_secrets([3; 32], [4; 32]);
        assert!(verify_history(&other.peer_id(), "r1", &h).is_err(), "bound to its requester");

        let mut edited = h.clone();
        edited[2].detail = Some("lazy".into());
        assert_eq!(
            verify_history(&id.peer_id(), "r1", &edited),
            Err(HistoryError::Broken { index: 2, problem: "bad signature" })
        );
        let mut removed = h.clone();
        removed.remove(1);
        assert!(matches!(verify_history(&id.peer_id(), "r1", &removed), Err(HistoryError::Broken { index: 1, .. })));
        let mut swapped = h.clone();
        swapped.swap(1, 2);
        assert!(verify_history(&id.peer_id(), "r1", &swapped).is_err());
    }
}
