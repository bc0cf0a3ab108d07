//! The directory: who is in the network, what they can do and when they are available.
//!
//! - [`profile`]: a reviewer's signed profile and every rule it must meet ([`profile::SignedProfile::verify`]).
//! - [`accreditation`]: the level a reviewer claims, the attestations that back it, the node's verdict.
//! - [`expertise`]: the shared vocabulary of expertise tags.
//! - [`index`]: the local directory, each node's own copy of the verified profiles, and its search.
//! - [`catchup`]: how a node that was offline gets the profiles it missed.
//!
//! Data flows one way: bytes from gossip, catch-up or the DHT -> `SignedProfile::verify` ->
//! `Directory::offer` (the replacement rule) -> `Directory::search`.

pub(crate) mod accreditation;
pub(crate) mod catchup;
pub mod expertise;
pub(crate) mod index;
pub(crate) mod profile;
