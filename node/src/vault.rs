//! Encryption at rest for confidential records (review requests, referrals).
//!
//! The key is derived from the node's ed25519 secret with HKDF-SHA256, so it exists only while the identity
//! is unlocked with the passphrase and needs no separate key file. Each record is sealed with
//! XChaCha20-Poly1305 under a fresh random nonce, with the table name and the record's key as associated
//! data, so a sealed value cannot be moved to another key or table without failing to open.
//!
//! Format: nonce (24) || ciphertext || tag (16).

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use hkdf::Hkdf;
use samenloop_protocol::Identity;
use sha2::Sha256;
use zeroize::Zeroizing;

use crate::keystore::random_bytes;

/// The node's storage key.
pub struct Vault {
    key: Zeroizing<[u8; 32]>,
}

/// A sealed value did not open: the database was modified, or belongs to another identity.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a confidential record in {table} does not decrypt: the database was modified or belongs to another identity")]
pub struct VaultError {
    /// The table.
    pub table: String,
}

fn aad(table: &str, key: &[u8]) -> Vec<u8> {
    let mut a = Vec::with_capacity(table.len() + 1 + key.len());
    a.extend_from_slice(table.as_bytes());
    a.push(0);
    a.extend_from_slice(key);
    a
}

impl Vault {
    /// Derives the storage key of `identity`.
    pub fn of(identity: &Identity) -> Vault {
        let (signing, _) = identity.secret_bytes();
        let hk = Hkdf::<Sha256>::new(Some(b"samenloop"), &signing[..]);
        let mut key = Zeroizing::new([0u8; 32]);
        // 32 bytes is within HKDF-SHA256's output limit: expand cannot fail.
        let _ = hk.expand(b"samenloop storage key v1", key.as_mut());
        Vault { key }
    }

    fn cipher(&self) -> XChaCha20Poly1305 {
        XChaCha20Poly1305::new(&chacha20poly1305::Key::from(*self.key))
    }

    /// Seals `plain` for storage under (`table`, `key`).
    pub fn seal(&self, table: &str, key: &[u8], plain: &[u8]) -> Vec<u8> {
        self.seal_with_nonce(table, key, plain, random_bytes::<24>())
    }

    /// Seals `plain` under a nonce the caller drew (the case book draws from its `Sources`). A nonce must
    /// never repeat under this key: draw it from a CSPRNG, as `seal` does.
    pub fn seal_with_nonce(&self, table: &str, key: &[u8], plain: &[u8], nonce: [u8; 24]) -> Vec<u8> {
        let mut out = nonce.to_vec();
        let ct = self.cipher().encrypt(&XNonce::from(nonce), Payload { msg: plain, aad: &aad(table, key) });
        // Encryption cannot fail for records far below the AEAD's size limit.
        out.extend_from_slice(&ct.unwrap_or_default());
        out
    }

    /// Opens a value sealed under (`table`, `key`).
    pub fn open(&self, table: &str, key: &[u8], sealed: &[u8]) -> Result<Zeroizing<Vec<u8>>, VaultError> {
        let err = || VaultError { table: table.to_string() };
        if sealed.len() < 24 + 16 {
            return Err(err());
        }
        let mut nonce = [0u8; 24];
        nonce.copy_from_slice(&sealed[..24]);
        self.cipher()
            .decrypt(&XNonce::from(nonce), Payload { msg: &sealed[24..], aad: &aad(table, key) })
            .map(Zeroizing::new)
            .map_err(|_| err())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_values_are_bound_to_table_key_and_identity() {
        let v = Vault::of(&Identity::from_secrets([1; 32], [2; 32]));
        let other = Vault::of(&Identity::from_secrets([3; 32], [2; 32]));
        let s = v.seal("requests", b"id1", b"canary-secret-question");
        assert!(!s.windows(6).any(|w| w == b"canary"));
        assert_eq!(&v.open("requests", b"id1", &s).unwrap()[..], b"canary-secret-question");
        assert!(v.open("requests", b"id2", &s).is_err());
        assert!(v.open("referrals", b"id1", &s).is_err());
        assert!(other.open("requests", b"id1", &s).is_err());
        assert!(v.open("requests", b"id1", &s[..30]).is_err());
    }
}
