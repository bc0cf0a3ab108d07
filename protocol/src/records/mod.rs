//! Records: the primitives every other wing is built from.
//!
//! - [`identity`]: who a reviewer is (an ed25519 signing key whose libp2p `PeerId` is the reviewer's id,
//!   and an X25519 key others seal to).
//! - [`envelope`]: the one signed envelope every record on the network travels in, with its record kind.
//! - [`sealed`]: confidential bytes for one recipient (X25519 + HKDF + XChaCha20-Poly1305).
//! - [`time`]: instants in whole Unix seconds and calendar dates; the protocol never reads a clock.
//!
//! Data flows one way: bytes -> [`envelope::open_envelope`] (signature, kind, size) -> the body's own
//! decoder in the wing that owns the record kind.

pub(crate) mod envelope;
pub(crate) mod identity;
pub mod sealed;
pub(crate) mod time;
