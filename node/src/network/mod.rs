//! Networking: the libp2p behaviour, the event loop that owns the swarm, and the client handle.
//! The event loop's work for each part of the domain lives with that domain: `network::sync_link` (carrying `crate::cases::sync`),
//! `crate::referrals::delivery` and `crate::directory` add their own `impl EventLoop` blocks.
//!
//! The split follows rust-libp2p's file-sharing example: [`Client`] is a cloneable command sender;
//! the event loop is the only owner of the swarm and the node's state, so no locks are needed.

pub(crate) mod behaviour;
pub(crate) mod client;
pub(crate) mod event_loop;
pub(crate) mod sync_link;

pub(crate) use behaviour::Behaviour;
pub use behaviour::{CATCH_UP_PROTOCOL, IDENTIFY_VERSION, KAD_PROTOCOL, PROFILE_TOPIC};
pub use client::{Client, DirectoryEvent, NetworkSettings, NodeEvent};
pub(crate) use event_loop::{EventLoop, now};
