//! # samenloop-node
//!
//! A samenloop node: everything that does I/O around the pure `samenloop-protocol` core.
//!
//! - [`keystore`]: the identity, encrypted at rest under a passphrase (argon2id + XChaCha20-Poly1305);
//!   [`vault`]: encryption at rest for confidential records.
//! - [`store`]: the redb database in the node's [`home`]; [`config`]: `config.toml` and flags.
//! - `network`: one event loop owning the libp2p swarm (TCP+Noise+Yamux and QUIC; identify, ping,
//!   Kademlia under `/samenloop/kad/1.0.0`, gossipsub, mDNS, catch-up, referrals, case sync), driven
//!   through a cloneable [`Client`]. Its work for each part of the domain lives with that domain:
//! - `directory`: profiles from the network, the reviewer's own profile, catch-up.
//! - [`referrals`]: requests and received referrals as kept at rest, and their delivery.
//! - [`cases`]: the case book (ledgers, keys, replicas, the sync rules), the API's case commands, the
//!   event loop's sync side, the audit trail.
//! - [`reach`]: AutoNAT, relay reservations, hole punching and serving as relay; [`mailbox`]: sealed items
//!   for offline members, served and used.
//! - [`api`]: the local HTTP API on loopback with a bearer token, and its client; [`web`]: the web app on the
//!   same address, with sessions, Host and Origin checks; `service`: the node before and after unlock.
//!
//! Data flows one way: network -> verification -> directory, referrals, cases and store -> API.

// One exception, `freed_memory::release` (a call into the C library), is allowed where it is made.
#![deny(unsafe_code)]
#![deny(missing_docs)]

pub mod api;
pub mod cases;
pub mod config;
mod directory;
mod error;
mod freed_memory;
pub mod home;
pub mod keystore;
pub mod mailbox;
mod network;
mod node;
pub mod reach;
pub mod referrals;
mod service;
pub mod store;
pub mod vault;
pub mod web;

pub use config::{ConfigFile, NodeConfig};
pub use error::NodeError;
pub use home::Home;
pub use network::{
    CATCH_UP_PROTOCOL, Client, DirectoryEvent, IDENTIFY_VERSION, KAD_PROTOCOL, NodeEvent, PROFILE_TOPIC,
};
pub use node::{NodeHandle, ServedNode, StartError, serve_locked, start};
pub use service::{Phase, UnlockError, create_identity, unlock_delay};
