//! Sealed bundles: how a member's edits to a case document travel and rest, encrypted and attributable.
//!
//! A bundle is a batch of the member's Automerge changes (what `save_after` produces: compressed, never
//! change by change), encrypted with XChaCha20-Poly1305 under the document's epoch key. Its header is the
//! associated data, so case, document, epoch, author, the author's sequence number and the link to the
//! author's previous bundle are all bound to the ciphertext.
//!
//! ```text
//! offset size  field
//! 0      1     version (1)
//! 1      16    case id
//! 17     1     document (1 analysis, 2 notes, 3 comments)
//! 18     4     epoch, big-endian
//! 22     32    author: ed25519 public key
//! 54     8     seq: the author's sequence number in this document, from 1, big-endian
//! 62     32    prev: chain hash of the author's bundle seq-1 (zeros for seq 1)
//! 94     24    nonce (random)
//! 118    4     ciphertext length n+16, big-endian
//! 122    n+16  ciphertext and Poly1305 tag; associated data = bytes 0..94
//! ```
//!
//! **Authorship.** Each author's bundles in a document form a hash chain: the chain hash of a bundle is
//! BLAKE3 (derive-key mode, context [`CHAIN_CONTEXT`]) over all its bytes, and each bundle names its
//! predecessor's. The author signs a [`SignedHead`] (case, document, author, seq, chain hash) with ed25519;
//! a head signs every bundle up to it. One signature therefore authenticates a whole run of bundles: a
//! member catching up on a thousand bundles checks one signature per author, and a bulk import signs once.
//! A per-bundle ed25519 signature would cost more than the encryption itself at 16 KiB (measured on one core:
//! encrypt 14.8 us, SHA-256 + sign 24.6 us, SHA-256 + verify 49 us), so authorship is amortised instead (see
//! `docs/architecture.md`). The chain hash covers the ciphertext, so it is checked before anything is
//! decrypted, and a member who knows the epoch key still cannot forge another author's bundle: Poly1305
//! alone would not stop them, BLAKE3's collision resistance does.
//!
//! **Equivocation.** Two different bundles with the same author and seq that both verify under signed heads
//! are proof that the author signed two histories; nodes keep the first and report the second.

use chacha20poly1305::aead::{AeadInOut, KeyInit};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::cases::ledger::{CaseId, DocKind, EpochKey};

/// The only bundle format version this code reads.
pub const BUNDLE_VERSION: u8 = 1;

/// The largest plaintext one bundle may carry. Local edits are far smaller; a member's bulk import is split.
pub const MAX_BUNDLE_PLAINTEXT: usize = 4 * 1024 * 1024;

/// The largest plaintext of a snapshot (a whole document).
pub const MAX_SNAPSHOT_PLAINTEXT: usize = 64 * 1024 * 1024;

/// BLAKE3 derive-key context of the chain hash.
pub const CHAIN_CONTEXT: &str = "samenloop bundle chain v1";

/// Prefix of every signed head.
pub const HEAD_SIGNING_CONTEXT: &[u8] = b"samenloop bundle head\0";

/// Prefix of every signed snapshot.
pub const SNAPSHOT_SIGNING_CONTEXT: &[u8] = b"samenloop snapshot\0";

const AAD_LEN: usize = 94;
const HEADER_LEN: usize = AAD_LEN + 24 + 4;
const TAG_LEN: usize = 16;
const HEAD_LEN: usize = 1 + 16 + 1 + 32 + 8 + 32 + 64;

/// A BLAKE3 chain hash.
pub type ChainHash = [u8; 32];

/// Why a bundle, head or snapshot was refused. Every reason is specific, so a node can log what was wrong.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum BundleError {
    /// Shorter than its header says, or than a header.
    #[error("bundle is truncated")]
    Truncated,
    /// Bytes after the ciphertext.
    #[error("bundle has {0} trailing bytes")]
    TrailingBytes(usize),
    /// A format version this implementation does not know.
    #[error("unknown bundle version {0}")]
    UnknownVersion(u8),
    /// The document byte names no document.
    #[error("unknown document {0}")]
    UnknownDocument(u8),
    /// Larger than the limit.
    #[error("bundle of {0} bytes exceeds the limit")]
    TooLarge(usize),
    /// Sequence numbers start at 1.
    #[error("bundle sequence number 0")]
    ZeroSeq,
    /// The author is not a member allowed to write this document.
    #[error("the author may not write this document")]
    NotAWriter,
    /// The author was removed from the case, and this was written after the removal froze their history.
    #[error("the author was removed from the case; this was written after the removal")]
    WrittenAfterRemoval,
    /// No key is known for the bundle's epoch.
    #[error("unknown epoch {0}")]
    UnknownEpoch(u32),
    /// The ciphertext, its associated data or the key is wrong.
    #[error("bundle does not decrypt: tampered with, or sealed under another key")]
    Undecryptable,
    /// The author's signature on the head does not verify.
    #[error("bad signature on the author's head")]
    BadSignature,
    /// The author key is not a valid ed25519 key.
    #[error("the author key is not a valid public key")]
    BadAuthor,
    /// The run does not form a chain (wrong seq, wrong link, or mixed authors/documents/cases).
    #[error("broken chain: {0}")]
    BrokenChain(&'static str),
    /// The author signed two different bundles with the same sequence number.
    #[error("equivocation: the author signed two different bundles with sequence number {0}")]
    Equivocation(u64),
    /// The decrypted changes are not Automerge changes this document accepts.
    #[error("the bundle's changes do not apply: {0}")]
    BadChanges(String),
    /// A snapshot's encoding is malformed.
    #[error("malformed snapshot: {0}")]
    MalformedSnapshot(String),
}

/// The bound, plaintext header of a bundle.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BundleHeader {
    /// The case.
    pub case: CaseId,
    /// The document.
    pub doc: DocKind,
    /// The epoch whose key sealed it.
    pub epoch: u32,
    /// The author's ed25519 key.
    pub author: [u8; 32],
    /// The author's sequence number in this document, from 1.
    pub seq: u64,
    /// The chain hash of the author's previous bundle (zeros for seq 1).
    pub prev: ChainHash,
}

impl BundleHeader {
    fn encode(&self) -> [u8; AAD_LEN] {
        let mut out = [0u8; AAD_LEN];
        out[0] = BUNDLE_VERSION;
        out[1..17].copy_from_slice(&self.case.0);
        out[17] = self.doc.byte();
        out[18..22].copy_from_slice(&self.epoch.to_be_bytes());
        out[22..54].copy_from_slice(&self.author);
        out[54..62].copy_from_slice(&self.seq.to_be_bytes());
        out[62..94].copy_from_slice(&self.prev);
        out
    }

    fn decode(b: &[u8]) -> Result<BundleHeader, BundleError> {
        if b.len() < AAD_LEN {
            return Err(BundleError::Truncated);
        }
        if b[0] != BUNDLE_VERSION {
            return Err(BundleError::UnknownVersion(b[0]));
        }
        let doc = DocKind::from_byte(b[17]).ok_or(BundleError::UnknownDocument(b[17]))?;
        let seq = u64::from_be_bytes(array(&b[54..62]));
        if seq == 0 {
            return Err(BundleError::ZeroSeq);
        }
        Ok(BundleHeader {
            case: CaseId(array(&b[1..17])),
            doc,
            epoch: u32::from_be_bytes(array(&b[18..22])),
            author: array(&b[22..54]),
            seq,
            prev: array(&b[62..94]),
        })
    }
}

fn array<const N: usize>(b: &[u8]) -> [u8; N] {
    let mut out = [0u8; N];
    out.copy_from_slice(&b[..N]);
    out
}

/// The cipher of one document epoch, derived once from the epoch key so every bundle reuses it.
#[derive(Clone)]
pub struct BundleKey {
    cipher: XChaCha20Poly1305,
}

impl BundleKey {
    /// Derives the bundle key of (`case`, `doc`, `epoch`) from the epoch key, so that the epoch key itself is
    /// never used for two purposes (it also seals the previous epoch's key on rotation).
    pub fn derive(key: &EpochKey, case: &CaseId, doc: DocKind, epoch: u32) -> BundleKey {
        let mut hasher = blake3::Hasher::new_derive_key("samenloop bundle key v1");
        hasher.update(&key.0[..]);
        hasher.update(&case.0);
        hasher.update(&[doc.byte()]);
        hasher.update(&epoch.to_be_bytes());
        let derived = Zeroizing::new(*hasher.finalize().as_bytes());
        BundleKey { cipher: XChaCha20Poly1305::new(&chacha20poly1305::Key::from(*derived)) }
    }
}

/// A sealed bundle as it travels and rests: the encoded bytes and their parsed header.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SealedBundle {
    header: BundleHeader,
    bytes: Vec<u8>,
}

impl SealedBundle {
    /// Seals `changes` (at most [`MAX_BUNDLE_PLAINTEXT`]); `nonce` must be fresh randomness.
    pub fn seal(
        key: &BundleKey,
        header: BundleHeader,
        changes: &[u8],
        nonce: [u8; 24],
    ) -> Result<SealedBundle, BundleError> {
        if changes.len() > MAX_BUNDLE_PLAINTEXT {
            return Err(BundleError::TooLarge(changes.len()));
        }
        if header.seq == 0 {
            return Err(BundleError::ZeroSeq);
        }
        let aad = header.encode();
        let ct_len = changes.len() + TAG_LEN;
        let mut bytes = Vec::with_capacity(HEADER_LEN + ct_len);
        bytes.extend_from_slice(&aad);
        bytes.extend_from_slice(&nonce);
        bytes.extend_from_slice(&(ct_len as u32).to_be_bytes());
        bytes.extend_from_slice(changes);
        // In place: the plaintext is copied once, into the buffer that goes on the wire.
        let tag = key
            .cipher
            .encrypt_inout_detached(&XNonce::from(nonce), &aad, (&mut bytes[HEADER_LEN..]).into())
            .map_err(|_| BundleError::TooLarge(changes.len()))?;
        bytes.extend_from_slice(&tag);
        Ok(SealedBundle { header, bytes })
    }

    /// Parses received or stored bytes: format and size only; authenticity is [`verify_run`]'s job.
    pub fn parse(bytes: Vec<u8>) -> Result<SealedBundle, BundleError> {
        if bytes.len() > HEADER_LEN + MAX_BUNDLE_PLAINTEXT + TAG_LEN {
            return Err(BundleError::TooLarge(bytes.len()));
        }
        let header = BundleHeader::decode(&bytes)?;
        if bytes.len() < HEADER_LEN {
            return Err(BundleError::Truncated);
        }
        let ct_len = u32::from_be_bytes(array(&bytes[118..122])) as usize;
        if ct_len < TAG_LEN || bytes.len() < HEADER_LEN + ct_len {
            return Err(BundleError::Truncated);
        }
        if bytes.len() > HEADER_LEN + ct_len {
            return Err(BundleError::TrailingBytes(bytes.len() - HEADER_LEN - ct_len));
        }
        Ok(SealedBundle { header, bytes })
    }

    /// The header.
    pub fn header(&self) -> &BundleHeader {
        &self.header
    }

    /// The encoded bytes.
    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// Consumes the bundle into its encoded bytes.
    pub fn into_bytes(self) -> Vec<u8> {
        self.bytes
    }

    /// The chain hash of this bundle (what the author's next bundle and heads name).
    pub fn chain_hash(&self) -> ChainHash {
        let mut hasher = blake3::Hasher::new_derive_key(CHAIN_CONTEXT);
        hasher.update(&self.bytes);
        *hasher.finalize().as_bytes()
    }

    /// Decrypts the changes. Call only after the bundle's run verified ([`verify_run`]).
    ///
    /// The plaintext is not zeroized on drop (unlike keys): it is applied to the document at once, which keeps
    /// the same content in memory for as long as the case is open, and zeroizing megabytes byte by byte would
    /// cost as much as decrypting them.
    pub fn open(&self, key: &BundleKey) -> Result<Vec<u8>, BundleError> {
        let ct_end = self.bytes.len() - TAG_LEN;
        let mut plain = self.bytes[HEADER_LEN..ct_end].to_vec();
        let nonce = XNonce::from(array::<24>(&self.bytes[AAD_LEN..AAD_LEN + 24]));
        let tag = chacha20poly1305::Tag::from(array::<16>(&self.bytes[ct_end..]));
        key.cipher
            .decrypt_inout_detached(&nonce, &self.bytes[..AAD_LEN], plain.as_mut_slice().into(), &tag)
            .map_err(|_| BundleError::Undecryptable)?;
        Ok(plain)
    }
}

/// An author's signature over the head of their chain in one document: it signs every bundle up to `seq`.
///
/// ```text
/// offset size field
/// 0      1    version (1)
/// 1      16   case id
/// 17     1    document
/// 18     32   author
/// 50     8    seq, big-endian
/// 58     32   chain hash of bundle seq
/// 90     64   ed25519 signature over HEAD_SIGNING_CONTEXT || bytes 0..90
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignedHead {
    /// The case.
    pub case: CaseId,
    /// The document.
    pub doc: DocKind,
    /// The author.
    pub author: [u8; 32],
    /// The last sequence number this head covers.
    pub seq: u64,
    /// The chain hash of bundle `seq`.
    pub hash: ChainHash,
    signature: [u8; 64],
}

impl SignedHead {
    fn signed_part(case: &CaseId, doc: DocKind, author: &[u8; 32], seq: u64, hash: &ChainHash) -> [u8; 90] {
        let mut out = [0u8; 90];
        out[0] = BUNDLE_VERSION;
        out[1..17].copy_from_slice(&case.0);
        out[17] = doc.byte();
        out[18..50].copy_from_slice(author);
        out[50..58].copy_from_slice(&seq.to_be_bytes());
        out[58..90].copy_from_slice(hash);
        out
    }

    fn message(part: &[u8; 90]) -> Vec<u8> {
        let mut msg = HEAD_SIGNING_CONTEXT.to_vec();
        msg.extend_from_slice(part);
        msg
    }

    /// Signs the head of `key`'s chain at (`seq`, `hash`).
    pub fn sign(key: &SigningKey, case: CaseId, doc: DocKind, seq: u64, hash: ChainHash) -> SignedHead {
        let author = key.verifying_key().to_bytes();
        let part = SignedHead::signed_part(&case, doc, &author, seq, &hash);
        let signature = key.sign(&SignedHead::message(&part)).to_bytes();
        SignedHead { case, doc, author, seq, hash, signature }
    }

    /// The wire form.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = SignedHead::signed_part(&self.case, self.doc, &self.author, self.seq, &self.hash).to_vec();
        out.extend_from_slice(&self.signature);
        out
    }

    /// Parses and verifies (strictly) a signed head.
    pub fn decode(b: &[u8]) -> Result<SignedHead, BundleError> {
        if b.len() < HEAD_LEN {
            return Err(BundleError::Truncated);
        }
        if b.len() > HEAD_LEN {
            return Err(BundleError::TrailingBytes(b.len() - HEAD_LEN));
        }
        if b[0] != BUNDLE_VERSION {
            return Err(BundleError::UnknownVersion(b[0]));
        }
        let doc = DocKind::from_byte(b[17]).ok_or(BundleError::UnknownDocument(b[17]))?;
        let head = SignedHead {
            case: CaseId(array(&b[1..17])),
            doc,
            author: array(&b[18..50]),
            seq: u64::from_be_bytes(array(&b[50..58])),
            hash: array(&b[58..90]),
            signature: array(&b[90..154]),
        };
        let key = VerifyingKey::from_bytes(&head.author).map_err(|_| BundleError::BadAuthor)?;
        key.verify_strict(&SignedHead::message(&array(&b[..90])), &Signature::from_bytes(&head.signature))
            .map_err(|_| BundleError::BadSignature)?;
        Ok(head)
    }
}

/// Checks that `bundles` continue the author's chain from (`from_seq`, `from_hash`) up to `head`, and that
/// `head` carries the author's valid signature. Returns each bundle's chain hash. Nothing is decrypted: a
/// forged or tampered run is refused before any key is used.
pub fn verify_run(
    from_seq: u64,
    from_hash: &ChainHash,
    bundles: &[SealedBundle],
    head: &SignedHead,
) -> Result<Vec<ChainHash>, BundleError> {
    let mut seq = from_seq;
    let mut prev = *from_hash;
    let mut hashes = Vec::with_capacity(bundles.len());
    for b in bundles {
        let h = b.header();
        if h.case != head.case || h.doc != head.doc || h.author != head.author {
            return Err(BundleError::BrokenChain("a bundle of another case, document or author in the run"));
        }
        if h.seq != seq + 1 {
            return Err(BundleError::BrokenChain("sequence numbers are not consecutive"));
        }
        if h.prev != prev {
            return Err(BundleError::BrokenChain("a bundle does not name its predecessor"));
        }
        prev = b.chain_hash();
        seq = h.seq;
        hashes.push(prev);
    }
    if head.seq != seq || head.hash != prev {
        return Err(BundleError::BrokenChain("the signed head does not cover the run"));
    }
    Ok(hashes)
}

/// One entry of a snapshot's coverage: the author's chain position the snapshot includes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Covered {
    /// The author.
    pub author: [u8; 32],
    /// Their last bundle included.
    pub seq: u64,
    /// Its chain hash, so that the author's next bundle can be checked against it.
    pub hash: ChainHash,
}

/// The signed, encoded fields of a snapshot (postcard).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
struct SnapshotBody {
    version: u8,
    case: CaseId,
    doc: u8,
    epoch: u32,
    author: [u8; 32],
    covers: Vec<Covered>,
    nonce: [u8; 24],
    #[serde(with = "serde_bytes")]
    ciphertext: Vec<u8>,
}

/// A whole document as a writer saw it, sealed under the epoch key and signed: a new member downloads this
/// and the bundles after it instead of the whole history, and bundles it covers may be dropped.
///
/// Wire form: postcard(`version, case, doc, epoch, author, covers, nonce, ciphertext`) || ed25519 signature
/// (64) over [`SNAPSHOT_SIGNING_CONTEXT`] || the postcard bytes. Associated data of the ciphertext: postcard
/// of (`version, case, doc, epoch, author, covers`). A snapshot is only as trustworthy as its author, a
/// writer of the document; see `docs/threat-model.md`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SealedSnapshot {
    /// The case.
    pub case: CaseId,
    /// The document.
    pub doc: DocKind,
    /// The epoch whose key sealed it.
    pub epoch: u32,
    /// Who made it.
    pub author: [u8; 32],
    /// The chain position of every author it includes.
    pub covers: Vec<Covered>,
    bytes: Vec<u8>,
    nonce: [u8; 24],
    ciphertext_at: usize,
    ciphertext_len: usize,
}

fn snapshot_aad(case: &CaseId, doc: u8, epoch: u32, author: &[u8; 32], covers: &[Covered]) -> Vec<u8> {
    postcard::to_allocvec(&(BUNDLE_VERSION, case, doc, epoch, author, covers)).unwrap_or_default()
}

impl SealedSnapshot {
    /// Seals and signs a saved document.
    // Every argument is a distinct input of the construction; a parameter struct would only hide which is which.
    #[allow(clippy::too_many_arguments)]
    pub fn seal(
        key: &BundleKey,
        signer: &SigningKey,
        case: CaseId,
        doc: DocKind,
        epoch: u32,
        covers: Vec<Covered>,
        document: &[u8],
        nonce: [u8; 24],
    ) -> Result<SealedSnapshot, BundleError> {
        if document.len() > MAX_SNAPSHOT_PLAINTEXT {
            return Err(BundleError::TooLarge(document.len()));
        }
        let author = signer.verifying_key().to_bytes();
        let aad = snapshot_aad(&case, doc.byte(), epoch, &author, &covers);
        let mut ciphertext = document.to_vec();
        let tag = key
            .cipher
            .encrypt_inout_detached(&XNonce::from(nonce), &aad, ciphertext.as_mut_slice().into())
            .map_err(|_| BundleError::TooLarge(document.len()))?;
        ciphertext.extend_from_slice(&tag);
        let body =
            SnapshotBody { version: BUNDLE_VERSION, case, doc: doc.byte(), epoch, author, covers, nonce, ciphertext };
        let mut bytes = postcard::to_allocvec(&body).map_err(|e| BundleError::MalformedSnapshot(e.to_string()))?;
        let mut msg = SNAPSHOT_SIGNING_CONTEXT.to_vec();
        msg.extend_from_slice(&bytes);
        bytes.extend_from_slice(&signer.sign(&msg).to_bytes());
        SealedSnapshot::decode(bytes)
    }

    /// Parses and verifies the signature (strictly). Decryption is [`SealedSnapshot::open`].
    pub fn decode(bytes: Vec<u8>) -> Result<SealedSnapshot, BundleError> {
        if bytes.len() > MAX_SNAPSHOT_PLAINTEXT + 64 * 1024 {
            return Err(BundleError::TooLarge(bytes.len()));
        }
        if bytes.len() < 64 {
            return Err(BundleError::Truncated);
        }
        let body_len = bytes.len() - 64;
        let (body, rest): (SnapshotBody, _) =
            postcard::take_from_bytes(&bytes[..body_len]).map_err(|e| BundleError::MalformedSnapshot(e.to_string()))?;
        if !rest.is_empty() {
            return Err(BundleError::TrailingBytes(rest.len()));
        }
        if body.version != BUNDLE_VERSION {
            return Err(BundleError::UnknownVersion(body.version));
        }
        let doc = DocKind::from_byte(body.doc).ok_or(BundleError::UnknownDocument(body.doc))?;
        if body.ciphertext.len() < TAG_LEN {
            return Err(BundleError::Truncated);
        }
        let key = VerifyingKey::from_bytes(&body.author).map_err(|_| BundleError::BadAuthor)?;
        let mut msg = SNAPSHOT_SIGNING_CONTEXT.to_vec();
        msg.extend_from_slice(&bytes[..body_len]);
        key.verify_strict(&msg, &Signature::from_bytes(&array(&bytes[body_len..])))
            .map_err(|_| BundleError::BadSignature)?;
        // The ciphertext is the last field of the body: it ends where the signature starts.
        let ciphertext_len = body.ciphertext.len();
        Ok(SealedSnapshot {
            case: body.case,
            doc,
            epoch: body.epoch,
            author: body.author,
            covers: body.covers,
            nonce: body.nonce,
            ciphertext_at: body_len - ciphertext_len,
            ciphertext_len,
            bytes,
        })
    }

    /// The wire form.
    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// Decrypts the saved document (not zeroized on drop, for the reason given at [`SealedBundle::open`]).
    pub fn open(&self, key: &BundleKey) -> Result<Vec<u8>, BundleError> {
        let ct = &self.bytes[self.ciphertext_at..self.ciphertext_at + self.ciphertext_len];
        let (ct, tag) = ct.split_at(ct.len() - TAG_LEN);
        let mut plain = ct.to_vec();
        let aad = snapshot_aad(&self.case, self.doc.byte(), self.epoch, &self.author, &self.covers);
        key.cipher
            .decrypt_inout_detached(
                &XNonce::from(self.nonce),
                &aad,
                plain.as_mut_slice().into(),
                &chacha20poly1305::Tag::from(array::<16>(tag)),
            )
            .map_err(|_| BundleError::Undecryptable)?;
        Ok(plain)
    }

    /// How many bundles it covers in all (how much history a new member skips by taking it).
    pub fn covered_bundles(&self) -> u64 {
        self.covers.iter().map(|c| c.seq).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(byte: u8) -> BundleKey {
        BundleKey::derive(&EpochKey(Zeroizing::new([byte; 32])), &CaseId([1; 16]), DocKind::Analysis, 1)
    }

    fn chain(signer: &SigningKey, n: u64) -> (Vec<SealedBundle>, SignedHead) {
        let mut prev = [0u8; 32];
        let mut out = Vec::new();
        for seq in 1..=n {
            let header = BundleHeader {
                case: CaseId([1; 16]),
                doc: DocKind::Analysis,
                epoch: 1,
                author: signer.verifying_key().to_bytes(),
                seq,
                prev,
            };
            let b = SealedBundle::seal(&key(7), header, format!("changes {seq}").as_bytes(), [seq as u8; 24]).unwrap();
            prev = b.chain_hash();
            out.push(b);
        }
        let head = SignedHead::sign(signer, CaseId([1; 16]), DocKind::Analysis, n, prev);
        (out, head)
    }

    #[test]
    fn a_signed_run_verifies_and_opens() {
        let signer = SigningKey::from_bytes(&[3; 32]);
        let (bundles, head) = chain(&signer, 3);
        let wire: Vec<_> = bundles.iter().map(|b| SealedBundle::parse(b.bytes().to_vec()).unwrap()).collect();
        let head = SignedHead::decode(&head.encode()).unwrap();
        let hashes = verify_run(0, &[0; 32], &wire, &head).unwrap();
        assert_eq!(hashes.len(), 3);
        assert_eq!(&wire[1].open(&key(7)).unwrap()[..], b"changes 2");
        // A later part of the run verifies from its predecessor's hash.
        verify_run(1, &hashes[0], &wire[1..], &head).unwrap();
    }

    #[test]
    fn tampering_anywhere_is_refused() {
        let signer = SigningKey::from_bytes(&[3; 32]);
        let (bundles, head) = chain(&signer, 2);
        // Ciphertext: the chain no longer reaches the signed head; and the AEAD fails.
        let mut ct = bundles[1].bytes().to_vec();
        let n = ct.len();
        ct[n - 20] ^= 1;
        let ct = SealedBundle::parse(ct).unwrap();
        assert!(matches!(
            verify_run(1, &bundles[0].chain_hash(), std::slice::from_ref(&ct), &head),
            Err(BundleError::BrokenChain(_))
        ));
        assert_eq!(ct.open(&key(7)), Err(BundleError::Undecryptable));
        // Associated data (the epoch): the AEAD fails even with the right key.
        let mut aad = bundles[0].bytes().to_vec();
        aad[21] ^= 1;
        assert_eq!(SealedBundle::parse(aad).unwrap().open(&key(7)), Err(BundleError::Undecryptable));
        // Wrong key.
        assert_eq!(bundles[0].open(&key(8)), Err(BundleError::Undecryptable));
        // Head signed by someone else, or modified.
        let other = SigningKey::from_bytes(&[4; 32]);
        let forged = SignedHead::sign(&other, head.case, head.doc, head.seq, head.hash);
        assert!(matches!(verify_run(0, &[0; 32], &bundles, &forged), Err(BundleError::BrokenChain(_))));
        let mut wire = head.encode();
        wire[100] ^= 1;
        assert_eq!(SignedHead::decode(&wire), Err(BundleError::BadSignature));
        // Format errors.
        assert_eq!(SealedBundle::parse(vec![1; 10]), Err(BundleError::Truncated));
        let mut v = bundles[0].bytes().to_vec();
        v[0] = 9;
        assert_eq!(SealedBundle::parse(v), Err(BundleError::UnknownVersion(9)));
        let mut v = bundles[0].bytes().to_vec();
        v.push(0);
        assert_eq!(SealedBundle::parse(v), Err(BundleError::TrailingBytes(1)));
        // Out-of-order runs.
        assert!(verify_run(0, &[0; 32], &bundles[1..], &head).is_err());
    }

    #[test]
    fn oversized_bundles_are_refused_before_work() {
        let header = BundleHeader {
            case: CaseId([1; 16]),
            doc: DocKind::Notes,
            epoch: 1,
            author: [0; 32],
            seq: 1,
            prev: [0; 32],
        };
        let big = vec![0u8; MAX_BUNDLE_PLAINTEXT + 1];
        assert_eq!(SealedBundle::seal(&key(1), header, &big, [0; 24]), Err(BundleError::TooLarge(big.len())));
        assert!(matches!(SealedBundle::parse(vec![1; MAX_BUNDLE_PLAINTEXT + 200]), Err(BundleError::TooLarge(_))));
    }

    #[test]
    fn snapshots_are_signed_and_sealed() {
        let signer = SigningKey::from_bytes(&[3; 32]);
        let covers = vec![Covered { author: [2; 32], seq: 5, hash: [6; 32] }];
        let s = SealedSnapshot::seal(&key(7), &signer, CaseId([1; 16]), DocKind::Analysis, 1, covers, b"doc", [9; 24])
            .unwrap();
        let back = SealedSnapshot::decode(s.bytes().to_vec()).unwrap();
        assert_eq!(&back.open(&key(7)).unwrap()[..], b"doc");
        assert_eq!(back.covered_bundles(), 5);
        assert_eq!(back.open(&key(8)), Err(BundleError::Undecryptable));
        let mut bad = s.bytes().to_vec();
        bad[20] ^= 1;
        assert!(SealedSnapshot::decode(bad).is_err());
        assert!(SealedSnapshot::decode(vec![0; 10]).is_err());
    }
}
