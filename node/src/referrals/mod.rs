//! Referrals on this node: the requester's requests and the reviewer's received referrals, and their
//! delivery between nodes.
//!
//! - [`records`]: requests with their referrals and history, received referrals, calls and interests, as
//!   this node keeps them (sealed at rest with the vault, shown only through the local API).
//! - `delivery`: the event loop's side: creating and matching requests, referring, answering, calls, and
//!   at-least-once delivery over `/samenloop/referral/1` (persisted before sent, resent on connect).
//!
//! Data flows one way: a peer's referral message (network) -> the protocol's verification -> a record
//! persisted in the store -> the API.

pub(crate) mod delivery;
pub mod records;
