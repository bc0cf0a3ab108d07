//! # samenloop-node
//!
//! A samenloop node: everything that does I/O around the pure `samenloop-protocol` core.
//!
//! - [`keystore`]: the identity, encrypted at rest under a passphrase (argon2id + XChaCha20-Poly1305).
//! - [`store`]: the redb database in the node's [`home`].
//! - the network: one event loop owning the libp2p swarm (TCP+Noise+Yamux and QUIC; identify, ping,
//!   Kademlia under `/samenloop/kad/1.0.0`, gossipsub, mDNS, and the catch-up exchange), driven through a
//!   cloneable [`Client`].
//! - [`api`]: the local HTTP API on loopback with a bearer token, and its client.
//!
//! Data flows one way: network -> verification -> directory and store -> API.

// One exception, `freed_memory::release` (a call into the C library), is allowed where it is made.
#![deny(unsafe_code)]
#![deny(missing_docs)]

pub mod api;
pub mod audit_trail;
pub mod cases;
pub mod casework;
pub mod config;
mod error;
mod freed_memory;
pub mod home;
pub mod keystore;
mod network;
mod node;
pub mod reviews;
pub mod store;
pub mod vault;

pub use config::{ConfigFile, NodeConfig};
pub use error::NodeError;
pub use home::Home;
pub use network::{CATCH_UP_PROTOCOL, Client, DirectoryEvent, IDENTIFY_VERSION, KAD_PROTOCOL, PROFILE_TOPIC};
pub use node::{NodeHandle, StartError, start};
