//! Signed records: the one envelope every signed object on the network travels in.
//!
//! ```text
//! offset  size  field
//! 0       1     format version (1)
//! 1       1     record kind (1 = profile, 2 = accreditation attestation, 3 = referral)
//! 2       32    signer: ed25519 public key
//! 34      1-3   body length, unsigned LEB128, at most MAX_BODY_LEN
//! ..      n     body: the kind's postcard-encoded record
//! ..      64    ed25519 signature
//! ```
//!
//! The signature covers [`SIGNING_CONTEXT`] followed by every envelope byte before the signature, so version,
//! kind and signer are all bound: a profile can never be replayed as an attestation, nor re-attributed.
//! Verification is strict (`verify_strict`): no malleable signatures, no small-order keys.

use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};

use crate::records::identity::{PeerId, peer_id_of};

/// The only envelope format version this code understands.
pub const ENVELOPE_VERSION: u8 = 1;

/// Prefix of every signed message; separates samenloop signatures from any other use of the same key.
pub const SIGNING_CONTEXT: &[u8] = b"samenloop signed record\0";

/// The largest body an envelope may carry. Profiles have a tighter limit of their own.
pub const MAX_BODY_LEN: usize = 64 * 1024;

const HEADER_LEN: usize = 34;
const SIGNATURE_LEN: usize = 64;

/// What a signed record is, so a verifier knows which decoder and which rules apply.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum RecordKind {
    /// A reviewer's profile ([`crate::SignedProfile`]).
    Profile = 1,
    /// A supervisor's statement of another reviewer's accreditation ([`crate::SignedAttestation`]).
    Attestation = 2,
    /// A review request referred to one reviewer ([`crate::referrals::referral`]).
    Referral = 3,
    /// A reviewer's answer to a referral.
    Answer = 4,
    /// A requester's withdrawal of a referral.
    Withdrawal = 5,
    /// An anonymised call for reviewers ([`crate::referrals::call`]).
    Call = 6,
    /// A reviewer's interest in a call.
    Interest = 7,
    /// An operation of a case's membership ledger ([`crate::cases::ledger`]).
    CaseOp = 8,
    /// A member's confirmation that its node destroyed a case ([`crate::cases::destruction`]).
    DestroyConfirmation = 9,
    /// A member's entry in a case's audit trail ([`crate::cases::audit`]).
    AuditEntry = 10,
    /// A node's checkpoint over the audit trail it keeps ([`crate::cases::audit`]).
    AuditCheckpoint = 11,
    /// The signed header of an item held by a mailbox for an offline recipient ([`crate::mailbox::item`]).
    MailItem = 12,
}

impl RecordKind {
    fn from_byte(b: u8) -> Option<RecordKind> {
        match b {
            1 => Some(RecordKind::Profile),
            2 => Some(RecordKind::Attestation),
            3 => Some(RecordKind::Referral),
            4 => Some(RecordKind::Answer),
            5 => Some(RecordKind::Withdrawal),
            6 => Some(RecordKind::Call),
            7 => Some(RecordKind::Interest),
            8 => Some(RecordKind::CaseOp),
            9 => Some(RecordKind::DestroyConfirmation),
            10 => Some(RecordKind::AuditEntry),
            11 => Some(RecordKind::AuditCheckpoint),
            12 => Some(RecordKind::MailItem),
            _ => None,
        }
    }
}

/// Why bytes are not a valid signed envelope. Each variant is the sender's fault.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum EnvelopeError {
    /// The input ends before the envelope does.
    #[error("truncated: {0}")]
    Truncated(&'static str),
    /// A version this implementation does not speak.
    #[error("unknown envelope version {0} (this node speaks version {ENVELOPE_VERSION})")]
    UnknownVersion(u8),
    /// A record kind this implementation does not know.
    #[error("unknown record kind {0}")]
    UnknownKind(u8),
    /// A known kind, but not the one the caller expected here.
    #[error("expected a {expected:?} record, got a {found:?} record")]
    WrongKind {
        /// The kind the context requires.
        expected: RecordKind,
        /// The kind found in the envelope.
        found: RecordKind,
    },
    /// The signer field is not a valid ed25519 public key.
    #[error("signer is not a valid ed25519 public key")]
    BadSignerKey,
    /// The body length is not a minimal LEB128 number or exceeds [`MAX_BODY_LEN`].
    #[error("bad body length: {0}")]
    BadLength(&'static str),
    /// Bytes follow the signature.
    #[error("{0} unexpected bytes after the signature")]
    TrailingBytes(usize),
    /// The signature does not verify under the signer's key.
    #[error("signature does not verify")]
    BadSignature,
}

/// An envelope whose signature has been verified; the body is still undecoded bytes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifiedEnvelope<'a> {
    /// The record kind.
    pub kind: RecordKind,
    /// The key that signed it.
    pub signer: VerifyingKey,
    /// The signed body.
    pub body: &'a [u8],
}

impl VerifiedEnvelope<'_> {
    /// The signer's libp2p id.
    pub fn signer_peer(&self) -> PeerId {
        peer_id_of(&self.signer)
    }
}

/// Signs `body` as a record of `kind`, returning the complete envelope bytes.
///
/// Panics never; a body over [`MAX_BODY_LEN`] is the caller's bug and is reported as an error.
pub fn seal_envelope(key: &SigningKey, kind: RecordKind, body: &[u8]) -> Result<Vec<u8>, EnvelopeError> {
    if body.len() > MAX_BODY_LEN {
        return Err(EnvelopeError::BadLength("body exceeds the envelope limit"));
    }
    let mut out = Vec::with_capacity(HEADER_LEN + 3 + body.len() + SIGNATURE_LEN);
    out.push(ENVELOPE_VERSION);
    out.push(kind as u8);
    out.extend_from_slice(key.verifying_key().as_bytes());
    write_leb128(&mut out, body.len());
    out.extend_from_slice(body);
    let signature = key.sign(&signed_message(&out));
    out.extend_from_slice(&signature.to_bytes());
    Ok(out)
}

/// Parses and verifies an envelope of the `expected` kind.
pub fn open_envelope(bytes: &[u8], expected: RecordKind) -> Result<VerifiedEnvelope<'_>, EnvelopeError> {
    let version = *bytes.first().ok_or(EnvelopeError::Truncated("empty input"))?;
    if version != ENVELOPE_VERSION {
        return Err(EnvelopeError::UnknownVersion(version));
    }
    let kind_byte = *bytes.get(1).ok_or(EnvelopeError::Truncated("no record kind"))?;
    let kind = RecordKind::from_byte(kind_byte).ok_or(EnvelopeError::UnknownKind(kind_byte))?;
    if kind != expected {
        return Err(EnvelopeError::WrongKind { expected, found: kind });
    }
    let signer_bytes: [u8; 32] =
        bytes.get(2..HEADER_LEN).and_then(|s| s.try_into().ok()).ok_or(EnvelopeError::Truncated("no signer key"))?;
    let signer = VerifyingKey::from_bytes(&signer_bytes).map_err(|_| EnvelopeError::BadSignerKey)?;
    let (body_len, len_bytes) = read_leb128(&bytes[HEADER_LEN..])?;
    let body_start = HEADER_LEN + len_bytes;
    let body_end = body_start + body_len;
    let body = bytes.get(body_start..body_end).ok_or(EnvelopeError::Truncated("body shorter than its length"))?;
    let sig_bytes: [u8; SIGNATURE_LEN] = bytes
        .get(body_end..body_end + SIGNATURE_LEN)
        .and_then(|s| s.try_into().ok())
        .ok_or(EnvelopeError::Truncated("no signature"))?;
    let trailing = bytes.len() - (body_end + SIGNATURE_LEN);
    if trailing != 0 {
        return Err(EnvelopeError::TrailingBytes(trailing));
    }
    let signature = Signature::from_bytes(&sig_bytes);
    signer.verify_strict(&signed_message(&bytes[..body_end]), &signature).map_err(|_| EnvelopeError::BadSignature)?;
    Ok(VerifiedEnvelope { kind, signer, body })
}

/// Why a signed record could not be read: its envelope failed, or its body is not exactly one `T`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RecordError {
    /// The envelope is malformed, of another kind, or its signature fails.
    Envelope(EnvelopeError),
    /// The body does not decode, or bytes follow the record inside it.
    Malformed(String),
}

/// Opens an envelope of `kind` and decodes its body as exactly one postcard `T`: the first step of every
/// record decoder, so each one only adds the rules of its own kind.
pub fn open_record<T: serde::de::DeserializeOwned>(
    bytes: &[u8],
    kind: RecordKind,
) -> Result<(VerifiedEnvelope<'_>, T), RecordError> {
    let env = open_envelope(bytes, kind).map_err(RecordError::Envelope)?;
    let (record, rest) = postcard::take_from_bytes(env.body).map_err(|e| RecordError::Malformed(e.to_string()))?;
    if !rest.is_empty() {
        return Err(RecordError::Malformed(format!("{} trailing bytes in the body", rest.len())));
    }
    Ok((env, record))
}

fn signed_message(prefix: &[u8]) -> Vec<u8> {
    let mut msg = Vec::with_capacity(SIGNING_CONTEXT.len() + prefix.len());
    msg.extend_from_slice(SIGNING_CONTEXT);
    msg.extend_from_slice(prefix);
    msg
}

fn write_leb128(out: &mut Vec<u8>, mut n: usize) {
    loop {
        let byte = (n & 0x7f) as u8;
        n >>= 7;
        if n == 0 {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

/// Reads a minimal LEB128 length of at most three bytes (enough for [`MAX_BODY_LEN`]).
fn read_leb128(bytes: &[u8]) -> Result<(usize, usize), EnvelopeError> {
    let mut value = 0usize;
    for (i, &b) in bytes.iter().enumerate().take(3) {
        value |= usize::from(b & 0x7f) << (7 * i);
        if b & 0x80 == 0 {
            if i > 0 && b == 0 {
                return Err(EnvelopeError::BadLength("not minimally encoded"));
            }
            if value > MAX_BODY_LEN {
                return Err(EnvelopeError::BadLength("body exceeds the envelope limit"));
            }
            return Ok((value, i + 1));
        }
    }
    if bytes.len() < 3 {
        Err(EnvelopeError::Truncated("body length"))
    } else {
        Err(EnvelopeError::BadLength("more than three bytes"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(n: u8) -> SigningKey {
        SigningKey::from_bytes(&[n; 32])
    }

    #[test]
    fn round_trip_and_every_byte_matters() {
        let env = seal_envelope(&key(1), RecordKind::Profile, b"hello").unwrap();
        let opened = open_envelope(&env, RecordKind::Profile).unwrap();
        assert_eq!(opened.body, b"hello");
        // Flipping any single bit anywhere must make the envelope fail.
        for i in 0..env.len() {
            let mut bad = env.clone();
            bad[i] ^= 0x01;
            assert!(open_envelope(&bad, RecordKind::Profile).is_err(), "bit flip at {i} accepted");
        }
    }

    #[test]
    fn precise_errors() {
        let env = seal_envelope(&key(1), RecordKind::Profile, &[0u8; 200]).unwrap();
        assert_eq!(open_envelope(&[], RecordKind::Profile), Err(EnvelopeError::Truncated("empty input")));
        let mut v2 = env.clone();
        v2[0] = 2;
        assert_eq!(open_envelope(&v2, RecordKind::Profile), Err(EnvelopeError::UnknownVersion(2)));
        assert_eq!(
            open_envelope(&env, RecordKind::Attestation),
            Err(EnvelopeError::WrongKind { expected: RecordKind::Attestation, found: RecordKind::Profile })
        );
        let mut long = env.clone();
        long.push(0);
        assert_eq!(open_envelope(&long, RecordKind::Profile), Err(EnvelopeError::TrailingBytes(1)));
        assert!(matches!(open_envelope(&env[..env.len() - 1], RecordKind::Profile), Err(EnvelopeError::Truncated(_))));
        let mut sig = env.clone();
        let last = sig.len() - 1;
        sig[last] ^= 0x40;
        assert_eq!(open_envelope(&sig, RecordKind::Profile), Err(EnvelopeError::BadSignature));
    }

    #[test]
    fn any_prefix_is_rejected_without_panic() {
        let env = seal_envelope(&key(3), RecordKind::Attestation, &[5u8; 300]).unwrap();
        for n in 0..env.len() {
            assert!(open_envelope(&env[..n], RecordKind::Attestation).is_err());
        }
    }
}
