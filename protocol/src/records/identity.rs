//! Who a reviewer is: an ed25519 signing identity (whose libp2p `PeerId` is the reviewer's id) and a separate
//! X25519 key that others seal confidential data to.
//!
//! The two keys are separate on purpose: converting one key for both uses ties their fates together and
//! complicates key rotation. The X25519 public key is published inside the reviewer's signed profile, which is
//! how the identity vouches for it.

use ed25519_dalek::{SigningKey, VerifyingKey};
pub use libp2p_identity::PeerId;
use zeroize::Zeroizing;

/// Secrets of one node: kept in memory only after the key store has been unlocked.
pub struct Identity {
    signing: SigningKey,
    encryption: x25519_dalek::StaticSecret,
}

impl Identity {
    /// Rebuilds an identity from its two 32-byte secrets (from the key store, or from fresh randomness).
    ///
    /// Takes randomness as bytes rather than an RNG so the protocol crate stays free of any entropy source.
    pub fn from_secrets(signing_secret: [u8; 32], encryption_secret: [u8; 32]) -> Identity {
        // The arguments are copies on our stack: wipe them once the key types (which zeroize themselves) own them.
        let signing_secret = Zeroizing::new(signing_secret);
        let encryption_secret = Zeroizing::new(encryption_secret);
        Identity {
            signing: SigningKey::from_bytes(&signing_secret),
            encryption: x25519_dalek::StaticSecret::from(*encryption_secret),
        }
    }

    /// The reviewer's id on the network.
    pub fn peer_id(&self) -> PeerId {
        peer_id_of(&self.signing.verifying_key())
    }

    /// The key that signs records.
    pub fn signing_key(&self) -> &SigningKey {
        &self.signing
    }

    /// The public half of the signing key.
    pub fn verifying_key(&self) -> VerifyingKey {
        self.signing.verifying_key()
    }

    /// The X25519 public key that confidential data for this reviewer is sealed to.
    pub fn encryption_public(&self) -> [u8; 32] {
        x25519_dalek::PublicKey::from(&self.encryption).to_bytes()
    }

    /// The X25519 secret, for opening data sealed to this reviewer.
    pub fn encryption_secret(&self) -> &x25519_dalek::StaticSecret {
        &self.encryption
    }

    /// Both secrets as bytes, for the key store to encrypt; wiped when dropped.
    pub fn secret_bytes(&self) -> (Zeroizing<[u8; 32]>, Zeroizing<[u8; 32]>) {
        (Zeroizing::new(self.signing.to_bytes()), Zeroizing::new(self.encryption.to_bytes()))
    }
}

impl std::fmt::Debug for Identity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print secrets, even in debug output.
        f.debug_struct("Identity").field("peer_id", &self.peer_id()).finish_non_exhaustive()
    }
}

/// The 38 bytes of the libp2p `PeerId` of an ed25519 key: the identity multihash (`0x00`, length `0x24`)
/// of the protobuf-encoded public key (`08 01` key type Ed25519, `12 20` 32 bytes of data).
///
/// Built directly rather than through libp2p's key types, which would decompress the curve point again:
/// on the verification hot path that costs as much as a fifth of a signature check.
pub fn peer_id_bytes_of(key: &VerifyingKey) -> [u8; 38] {
    let mut out = [0u8; 38];
    out[..6].copy_from_slice(&[0x00, 0x24, 0x08, 0x01, 0x12, 0x20]);
    out[6..].copy_from_slice(key.as_bytes());
    out
}

/// The libp2p `PeerId` of an ed25519 key.
pub fn peer_id_of(key: &VerifyingKey) -> PeerId {
    match PeerId::from_bytes(&peer_id_bytes_of(key)) {
        Ok(peer) => peer,
        // Unreachable (the bytes above are a well-formed identity multihash); fall back to libp2p's path.
        Err(_) => {
            let public = libp2p_identity::ed25519::PublicKey::try_from_bytes(key.as_bytes())
                .expect("a VerifyingKey is a valid ed25519 public key");
            libp2p_identity::PublicKey::from(public).to_peer_id()
        }
    }
}

/// The ed25519 key embedded in a `PeerId`, if it is an ed25519 identity-multihash id.
pub fn verifying_key_of(peer: &PeerId) -> Option<VerifyingKey> {
    let public = libp2p_identity::PublicKey::try_decode_protobuf(peer.as_ref().digest()).ok()?;
    let ed = public.try_into_ed25519().ok()?;
    VerifyingKey::from_bytes(&ed.to_bytes()).ok()
}

/// Serde helpers that write a `PeerId` as its base58 text, for JSON views.
pub mod peer_id_text {
    use std::str::FromStr;

    use serde::{Deserialize, Deserializer, Serializer};

    use super::PeerId;

    /// Writes the base58 form.
    pub fn serialize<S: Serializer>(peer: &PeerId, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(peer)
    }

    /// Parses the base58 form.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<PeerId, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        PeerId::from_str(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn peer_id_embeds_the_signing_key() {
        let id = Identity::from_secrets([7; 32], [9; 32]);
        let peer = id.peer_id();
        assert_eq!(verifying_key_of(&peer), Some(id.verifying_key()));
        assert!(peer.to_string().starts_with("12D3KooW"));
        // The direct construction agrees with libp2p's own.
        let libp2p = libp2p_identity::PublicKey::from(
            libp2p_identity::ed25519::PublicKey::try_from_bytes(id.verifying_key().as_bytes()).unwrap(),
        )
        .to_peer_id();
        assert_eq!(peer, libp2p);
    }
}
