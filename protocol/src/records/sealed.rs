//! Sealed boxes: confidential bytes for one recipient, readable only with their X25519 secret.
//!
//! Used for everything confidential that travels to one reviewer (referrals now, document keys later).
//! Format (version 1):
//!
//! ```text
//! offset size field
//! 0      1    version (1)
//! 1      32   ephemeral X25519 public key
//! 33     24   XChaCha20-Poly1305 nonce
//! 57     n+16 ciphertext and tag
//! ```
//!
//! key = HKDF-SHA256(ikm = X25519(ephemeral, recipient), salt = ephemeral_pub || recipient_pub,
//! info = "samenloop sealed box v1"). The caller's associated data (for a referral: the request id and
//! both parties) is authenticated but not sent. Randomness (ephemeral secret, nonce) comes in as bytes so
//! this module stays deterministic and testable; callers must use fresh OS randomness for both.

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use hkdf::Hkdf;
use sha2::Sha256;
use x25519_dalek::{PublicKey, StaticSecret};
use zeroize::Zeroizing;

const VERSION: u8 = 1;
const HEADER: usize = 1 + 32 + 24;
const INFO: &[u8] = b"samenloop sealed box v1";

/// Why a sealed box could not be opened. Deliberately coarse beyond the format checks: a wrong recipient
/// and tampering look the same to the recipient.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SealError {
    /// Shorter than a sealed box can be.
    #[error("sealed box is truncated ({0} bytes)")]
    Truncated(usize),
    /// A format version this implementation does not know.
    #[error("unknown sealed box version {0}")]
    UnknownVersion(u8),
    /// Not sealed to this recipient, or modified (including its associated data).
    #[error("sealed box is not for this recipient or was tampered with")]
    NotForUs,
    /// The ephemeral key is a low-order point (the shared secret would be predictable).
    #[error("sealed box uses a weak ephemeral key")]
    WeakKey,
}

fn derive(shared: &[u8; 32], eph: &[u8; 32], recipient: &[u8; 32]) -> Zeroizing<[u8; 32]> {
    let mut salt = [0u8; 64];
    salt[..32].copy_from_slice(eph);
    salt[32..].copy_from_slice(recipient);
    let hk = Hkdf::<Sha256>::new(Some(&salt), shared);
    let mut key = Zeroizing::new([0u8; 32]);
    // 32 bytes is far below HKDF-SHA256's 8160-byte limit: expand cannot fail.
    let _ = hk.expand(INFO, key.as_mut());
    key
}

/// Seals `plaintext` to `recipient` (their X25519 public key), binding `aad`.
pub fn seal(
    recipient: &[u8; 32],
    plaintext: &[u8],
    aad: &[u8],
    ephemeral_secret: [u8; 32],
    nonce: [u8; 24],
) -> Vec<u8> {
    let eph = StaticSecret::from(ephemeral_secret);
    let eph_pub = PublicKey::from(&eph).to_bytes();
    let shared = Zeroizing::new(eph.diffie_hellman(&PublicKey::from(*recipient)).to_bytes());
    let key = derive(&shared, &eph_pub, recipient);
    let cipher = XChaCha20Poly1305::new(&chacha20poly1305::Key::from(*key));
    let mut out = Vec::with_capacity(HEADER + plaintext.len() + 16);
    out.push(VERSION);
    out.extend_from_slice(&eph_pub);
    out.extend_from_slice(&nonce);
    // Encryption with a valid key and nonce cannot fail for inputs under the AEAD's 256 GiB limit.
    let ct = cipher.encrypt(&XNonce::from(nonce), Payload { msg: plaintext, aad }).unwrap_or_default();
    out.extend_from_slice(&ct);
    out
}

/// Opens a sealed box with the recipient's secret; `aad` must be what the sender bound.
pub fn open(secret: &StaticSecret, sealed: &[u8], aad: &[u8]) -> Result<Zeroizing<Vec<u8>>, SealError> {
    if sealed.len() < HEADER + 16 {
        return Err(SealError::Truncated(sealed.len()));
    }
    if sealed[0] != VERSION {
        return Err(SealError::UnknownVersion(sealed[0]));
    }
    let mut eph_pub = [0u8; 32];
    eph_pub.copy_from_slice(&sealed[1..33]);
    let mut nonce = [0u8; 24];
    nonce.copy_from_slice(&sealed[33..HEADER]);
    let shared = secret.diffie_hellman(&PublicKey::from(eph_pub));
    if !shared.was_contributory() {
        return Err(SealError::WeakKey);
    }
    let shared = Zeroizing::new(shared.to_bytes());
    let recipient = PublicKey::from(secret).to_bytes();
    let key = derive(&shared, &eph_pub, &recipient);
    let cipher = XChaCha20Poly1305::new(&chacha20poly1305::Key::from(*key));
    cipher
        .decrypt(&XNonce::from(nonce), Payload { msg: &sealed[HEADER..], aad })
        .map(Zeroizing::new)
        .map_err(|_| SealError::NotForUs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_failures() {
        let alice = StaticSecret::from([1u8; 32]);
        let alice_pub = PublicKey::from(&alice).to_bytes();
        let mallory = StaticSecret::from([2u8; 32]);
        let boxed = seal(&alice_pub, b"learning question: canary-123", b"request-1", [9; 32], [7; 24]);
        assert!(!boxed.windows(10).any(|w| w == b"canary-123"));
        assert_eq!(&open(&alice, &boxed, b"request-1").unwrap()[..], b"learning question: canary-123");
        assert_eq!(open(&mallory, &boxed, b"request-1").unwrap_err(), SealError::NotForUs);
        assert_eq!(open(&alice, &boxed, b"request-2").unwrap_err(), SealError::NotForUs);
        for i in 0..boxed.len() {
            let mut bad = boxed.clone();
            bad[i] ^= 1;
            assert!(open(&alice, &bad, b"request-1").is_err(), "flip at {i} accepted");
        }
        assert_eq!(open(&alice, &boxed[..40], b"").unwrap_err(), SealError::Truncated(40));
        let mut zero_eph = boxed.clone();
        zero_eph[1..33].fill(0);
        assert_eq!(open(&alice, &zero_eph, b"request-1").unwrap_err(), SealError::WeakKey);
    }
}

#[cfg(test)]
mod vector {
    use super::*;

    /// The sealed-box test vector in docs/protocol.md.
    #[test]
    fn sealed_box_vector_is_documented() {
        let recipient = StaticSecret::from([0x11; 32]);
        let recipient_pub = PublicKey::from(&recipient).to_bytes();
        let boxed = seal(&recipient_pub, b"samenloop", b"aad", [0x22; 32], [0x33; 24]);
        let hex = hex::encode(&boxed);
        if std::env::var_os("SAMENLOOP_PRINT_VECTOR").is_some() {
            println!("recipient public {}", hex::encode(recipient_pub));
            println!("sealed {hex}");
        }
        let doc = include_str!("../../../docs/protocol.md").replace(['\n', ' '], "");
        assert!(doc.contains(&hex), "docs/protocol.md lacks the sealed-box vector {hex}");
        assert_eq!(&open(&recipient, &boxed, b"aad").unwrap()[..], b"samenloop");
    }
}
