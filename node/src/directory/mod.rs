//! The directory on this node: the event loop's handling of reviewer profiles.
//!
//! - `profiles`: profiles from the network (gossip, catch-up, the DHT), verified before anything else
//!   sees them; penalties for peers that relay bad ones.
//! - `own_profile`: the reviewer's own profile: edits, signing, publishing, republishing; attestations.
//! - `catch_up`: fetching what a peer holds that this node missed, and answering its request.
//!
//! The rules themselves (what a valid profile is, which revision wins, what a search returns) live in
//! `samenloop_protocol::directory`; this module only carries bytes to them and their verdicts to the store.
//!
//! Data flows one way: network bytes -> `SignedProfile::verify` -> `Directory::offer` -> the store and the
//! DHT cache -> re-gossip.

mod catch_up;
mod own_profile;
pub(crate) mod profiles;
