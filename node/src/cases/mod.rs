//! Cases on this node: every case it is a member of, and everything that reads, writes or syncs them.
//!
//! - [`book`]: the `CaseBook`, each case's ledger, document keys and replicas, with the rules of case sync
//!   (open, invite, local edit -> bundle, take in a ledger, run, snapshot or destroy, answer a pull) and
//!   loading from the store.
//! - [`commands`]: the case commands as the local API receives them (typed, patch-based edits of every
//!   entity, views, exports, import, report) and their execution against the book.
//! - [`sync`]: the rules of case sync without I/O (events in: connections, ticks, requests, answers, mail;
//!   effects out: requests, deposits, dials, page refreshes); `network::sync_link` carries them on the swarm.
//! - [`rows`]: the case rows as values (what the book writes, as row ops a driver commits).
//! - [`sources`]: the time and randomness the book is given (the system's, or the simulator's seeded ones).
//! - [`audit`]: the audit trail on this node: recording exports and reports, taking in members' entries,
//!   the checkpoint, the archive kept after destruction, verification.
//!
//! Data flows one way: a peer's sync message (network) -> `book` (verification by the protocol's ledger
//! and bundle rules, then the store) -> views through `commands` -> the API.

pub mod audit;
pub mod book;
pub mod commands;
pub mod rows;
pub mod sources;
pub mod sync;
