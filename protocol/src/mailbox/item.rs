//! A mailbox item: one message for one recipient, signed by its sender, sealed, padded.
//!
//! ```text
//! padded  = u32 LE sealed length || sealed || zero bytes, the whole exactly one of the size buckets
//! sealed  = sealed box (crate::records::sealed) to the recipient's X25519 key, aad = "samenloop mail item v1" || inbox
//! plain   = u32 LE header length || header || payload
//! header  = signed envelope, kind 12 (MailItem), body = postcard MailHeader
//! payload = postcard MailPayload
//! ```
//!
//! The header binds sender, recipient, inbox, an item id, the time and the payload's SHA-256, so a
//! mailbox can neither move an item to another inbox nor swap payloads; a replayed item is the same item
//! (its handling is idempotent). Padding hides the size up to the bucket ([`SIZE_BUCKETS`]): 1, 4, 16 and
//! 64 KiB, then steps of at most 1.5x (96, 128, 192, 256 KiB ... 16, 24 MiB), so that padding never costs
//! more than half again the item's size once that matters on the wire (a case sent whole to a member who
//! was away), while the mailbox still learns a size only to within its bucket.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::cases::ledger::CaseId;
use crate::cases::sync::{SyncRequest, SyncResponse};
use crate::mailbox::inbox::InboxId;
use crate::records::envelope::{RecordError, RecordKind, open_record, seal_envelope};
use crate::records::identity::{Identity, PeerId};
use crate::records::sealed::{self, SealError};
use crate::records::time::UnixTime;
use crate::referrals::referral::ReferralMessage;

/// The sizes a padded item may have, smallest first; the last is [`MAX_ITEM_BYTES`].
pub const SIZE_BUCKETS: [usize; 21] = [
    1 << 10,
    4 << 10,
    16 << 10,
    64 << 10,
    96 << 10,
    128 << 10,
    192 << 10,
    256 << 10,
    384 << 10,
    512 << 10,
    768 << 10,
    1 << 20,
    3 << 19,
    2 << 20,
    3 << 20,
    4 << 20,
    6 << 20,
    8 << 20,
    12 << 20,
    16 << 20,
    24 << 20,
];
/// The largest padded item a mailbox holds (a pull's answer with a snapshot fits; a sync push is at most
/// [`crate::cases::sync::MAX_SYNC_REQUEST_BYTES`]).
pub const MAX_ITEM_BYTES: usize = 24 << 20;
const AAD: &[u8] = b"samenloop mail item v1";

/// What an item carries: exactly what the sender would have sent directly.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum MailPayload {
    /// A referral, answer, withdrawal or interest (`/samenloop/referral/1`).
    Referral(ReferralMessage),
    /// A sync push or a destruction confirmation (`/samenloop/sync/1`); never a pull, which needs an answer.
    Sync(SyncRequest),
    /// What the sender would answer to the recipient's pull, from what the sender last knew the recipient
    /// to hold (nothing, for a member invited while away): every change it lacks, not only the newest, so
    /// an item that overtakes another, or one lost, leaves no gap.
    Delta {
        /// The case.
        case: CaseId,
        /// The ledger length the answer starts from (its `ledger` operations are numbered from here).
        ledger_from: u64,
        /// The answer.
        delta: SyncResponse,
    },
}

/// The signed header (record kind 12). Field order is the wire order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
struct MailHeader {
    #[serde(with = "serde_bytes")]
    sender: Vec<u8>,
    #[serde(with = "serde_bytes")]
    recipient: Vec<u8>,
    inbox: InboxId,
    item_id: [u8; 16],
    created_at: UnixTime,
    payload_len: u64,
    payload_digest: [u8; 32],
}

/// An item opened by its recipient.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OpenedItem {
    /// Who signed it.
    pub sender: PeerId,
    /// The sender's random id for the item.
    pub item_id: [u8; 16],
    /// When the sender made it (its clock).
    pub created_at: UnixTime,
    /// The message.
    pub payload: MailPayload,
}

/// Why an item could not be made or opened. Every variant on opening means: the mailbox (or the sender)
/// handed over bytes that are not a valid item for us; they are dropped and acknowledged.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum MailError {
    /// The message is too large for a mailbox.
    #[error("the item is {size} bytes, over the mailbox limit of {MAX_ITEM_BYTES}")]
    TooLarge {
        /// Its size before padding.
        size: usize,
    },
    /// The padded form is not one of the buckets, or its length prefix does not fit.
    #[error("the item is not padded to a size bucket ({0} bytes)")]
    BadPadding(usize),
    /// The sealed box does not open for us.
    #[error("{0}")]
    Seal(#[from] SealError),
    /// The header is not a valid signed record.
    #[error("item header: {0}")]
    Header(String),
    /// Validly signed, but for another recipient or another inbox.
    #[error("the item is addressed to someone else")]
    NotForUs,
    /// The payload is not the one the sender signed.
    #[error("the item's payload does not match its signed digest")]
    DigestMismatch,
    /// The payload does not decode, or is a pull (which cannot travel by mailbox).
    #[error("the item's payload is malformed: {0}")]
    Malformed(String),
}

/// The padded size for `len` bytes of sealed item plus its length prefix, or `None` above the limit.
pub fn bucket_for(len: usize) -> Option<usize> {
    let need = len.checked_add(4)?;
    SIZE_BUCKETS.iter().find(|b| **b >= need).copied()
}

/// Whether `len` is a size a padded item may have (what a mailbox checks before storing).
pub fn is_bucket(len: usize) -> bool {
    SIZE_BUCKETS.contains(&len)
}

/// Pads sealed bytes to their bucket.
pub fn pad(sealed: &[u8]) -> Result<Vec<u8>, MailError> {
    let size = bucket_for(sealed.len()).ok_or(MailError::TooLarge { size: sealed.len() })?;
    let mut out = Vec::with_capacity(size);
    out.extend_from_slice(&(sealed.len() as u32).to_le_bytes());
    out.extend_from_slice(sealed);
    out.resize(size, 0);
    Ok(out)
}

/// Removes the padding (checking the bucket and the prefix).
pub fn unpad(padded: &[u8]) -> Result<&[u8], MailError> {
    if !is_bucket(padded.len()) {
        return Err(MailError::BadPadding(padded.len()));
    }
    let len = u32::from_le_bytes([padded[0], padded[1], padded[2], padded[3]]) as usize;
    padded.get(4..4 + len).ok_or(MailError::BadPadding(padded.len()))
}

/// What a sender needs to know of the recipient.
#[derive(Clone, Copy, Debug)]
pub struct Recipient<'a> {
    /// Its peer id.
    pub peer: &'a PeerId,
    /// Its X25519 public key (from its profile, the case ledger or the referral).
    pub encryption_key: &'a [u8; 32],
}

/// Makes a padded item of `payload` from `sender` for `to`, addressed to `inbox`. Randomness comes in as
/// bytes (item id, ephemeral key, nonce): fresh OS randomness for each item.
pub fn seal_item(
    sender: &Identity,
    to: Recipient<'_>,
    inbox: InboxId,
    payload: &MailPayload,
    now: UnixTime,
    random: ([u8; 16], [u8; 32], [u8; 24]),
) -> Result<Vec<u8>, MailError> {
    if matches!(payload, MailPayload::Sync(SyncRequest::Pull { .. })) {
        return Err(MailError::Malformed("a pull cannot travel by mailbox".into()));
    }
    let body = postcard::to_allocvec(payload).map_err(|e| MailError::Malformed(e.to_string()))?;
    let header = MailHeader {
        sender: sender.peer_id().to_bytes(),
        recipient: to.peer.to_bytes(),
        inbox,
        item_id: random.0,
        created_at: now,
        payload_len: body.len() as u64,
        payload_digest: Sha256::digest(&body).into(),
    };
    let header = postcard::to_allocvec(&header).map_err(|e| MailError::Header(e.to_string()))?;
    let header = seal_envelope(sender.signing_key(), RecordKind::MailItem, &header)
        .map_err(|e| MailError::Header(e.to_string()))?;
    let mut plain = zeroize::Zeroizing::new(Vec::with_capacity(4 + header.len() + body.len()));
    plain.extend_from_slice(&(header.len() as u32).to_le_bytes());
    plain.extend_from_slice(&header);
    plain.extend_from_slice(&body);
    if plain.len() + 4 + 73 > MAX_ITEM_BYTES {
        return Err(MailError::TooLarge { size: plain.len() });
    }
    let sealed = sealed::seal(to.encryption_key, &plain, &aad(&inbox), random.1, random.2);
    pad(&sealed)
}

/// Opens a padded item fetched from `inbox`: unpads, opens the seal, verifies the header's signature, that
/// it is for `me` and this inbox, and the payload's digest.
pub fn open_item(me: &Identity, inbox: InboxId, padded: &[u8]) -> Result<OpenedItem, MailError> {
    let sealed = unpad(padded)?;
    let plain = sealed::open(me.encryption_secret(), sealed, &aad(&inbox))?;
    let header_len = plain
        .get(..4)
        .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize)
        .ok_or(MailError::Header("truncated".into()))?;
    let header_bytes = plain.get(4..4 + header_len).ok_or(MailError::Header("truncated".into()))?;
    let body = &plain[4 + header_len..];
    let (env, header): (_, MailHeader) = open_record(header_bytes, RecordKind::MailItem)
        .map_err(|e: RecordError| MailError::Header(format!("{e:?}")))?;
    let sender = env.signer_peer();
    if header.sender != sender.to_bytes() {
        return Err(MailError::Header("signed by another key than the sender it names".into()));
    }
    if header.recipient != me.peer_id().to_bytes() || header.inbox != inbox {
        return Err(MailError::NotForUs);
    }
    if header.payload_len != body.len() as u64 || <[u8; 32]>::from(Sha256::digest(body)) != header.payload_digest {
        return Err(MailError::DigestMismatch);
    }
    let payload: MailPayload = postcard::from_bytes(body).map_err(|e| MailError::Malformed(e.to_string()))?;
    if matches!(payload, MailPayload::Sync(SyncRequest::Pull { .. })) {
        return Err(MailError::Malformed("a pull cannot travel by mailbox".into()));
    }
    Ok(OpenedItem { sender, item_id: header.item_id, created_at: header.created_at, payload })
}

fn aad(inbox: &InboxId) -> Vec<u8> {
    let mut a = AAD.to_vec();
    a.extend_from_slice(&inbox.0);
    a
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mailbox::inbox::pair_inbox;

    fn ids() -> (Identity, Identity, PeerId) {
        let a = Identity::from_secrets([1; 32], [2; 32]);
        let b = Identity::from_secrets([3; 32], [4; 32]);
        let m = Identity::from_secrets([5; 32], [6; 32]).peer_id();
        (a, b, m)
    }

    /// The pair inbox from `a` to `b` at `m`.
    fn inbox(a: &Identity, b: &Identity, m: &PeerId) -> InboxId {
        pair_inbox(a.encryption_secret(), &b.encryption_public(), &a.encryption_public(), &b.encryption_public(), m)
    }

    fn item(a: &Identity, b: &Identity, inbox: InboxId, payload: &MailPayload) -> Vec<u8> {
        let to = Recipient { peer: &b.peer_id(), encryption_key: &b.encryption_public() };
        seal_item(a, to, inbox, payload, UnixTime(1_800_000_000), ([7; 16], [8; 32], [9; 24])).unwrap()
    }

    #[test]
    fn an_item_opens_for_its_recipient_only_and_is_padded_to_a_bucket() {
        let (a, b, m) = ids();
        let inbox = inbox(&a, &b, &m);
        let payload = MailPayload::Referral(ReferralMessage::Answer(vec![42; 300].into()));
        let padded = item(&a, &b, inbox, &payload);
        assert_eq!(padded.len(), 1024);
        let opened = open_item(&b, inbox, &padded).unwrap();
        assert_eq!(opened.sender, a.peer_id());
        assert_eq!(opened.payload, payload);
        assert_eq!(open_item(&a, inbox, &padded), Err(MailError::Seal(SealError::NotForUs)));
        assert_eq!(open_item(&b, InboxId([0; 32]), &padded), Err(MailError::Seal(SealError::NotForUs)), "moved");
        let mut flipped = padded.clone();
        flipped[200] ^= 1;
        assert!(open_item(&b, inbox, &flipped).is_err());
        assert_eq!(open_item(&b, inbox, &padded[..1000]), Err(MailError::BadPadding(1000)));
    }

    #[test]
    fn buckets_are_few_and_padding_costs_at_most_half_again_above_64_kib() {
        assert_eq!(bucket_for(0), Some(1024));
        assert_eq!(bucket_for(1020), Some(1024));
        assert_eq!(bucket_for(1021), Some(4096));
        assert_eq!(bucket_for((1 << 20) + 1), Some(3 << 19));
        assert_eq!(bucket_for(MAX_ITEM_BYTES - 4), Some(MAX_ITEM_BYTES));
        assert_eq!(bucket_for(MAX_ITEM_BYTES), None);
        assert_eq!(SIZE_BUCKETS.last(), Some(&MAX_ITEM_BYTES));
        assert!(SIZE_BUCKETS.windows(2).all(|w| w[0] < w[1]), "increasing");
        for w in SIZE_BUCKETS.windows(2).filter(|w| w[0] >= 64 << 10) {
            assert!(w[1] * 2 <= w[0] * 3, "{} -> {} is more than 1.5x", w[0], w[1]);
        }
        assert!(is_bucket(3 << 20) && !is_bucket((3 << 20) + 1) && !is_bucket(2000) && !is_bucket(5 << 20));
    }

    #[test]
    fn a_pull_cannot_be_deposited() {
        let (a, b, m) = ids();
        let inbox = inbox(&a, &b, &m);
        let pull =
            MailPayload::Sync(SyncRequest::Pull { case: CaseId([1; 16]), ledger_len: 0, docs: vec![], audit: vec![] });
        let to = Recipient { peer: &b.peer_id(), encryption_key: &b.encryption_public() };
        assert!(matches!(
            seal_item(&a, to, inbox, &pull, UnixTime(0), ([0; 16], [1; 32], [2; 24])),
            Err(MailError::Malformed(_))
        ));
    }
}
