//! Cases: who may read and write a review's documents, the documents themselves, and how they travel.
//!
//! - [`ledger`]: the case's membership ledger (a hash chain signed by the lead), document keys and epochs.
//! - The documents, each a typed API over Automerge so that nothing else touches Automerge paths:
//!   [`analysis`] (the timeline and everything built on it), [`notes`] (reviewers only, the real names),
//!   [`comments`] (supervisors' questions and the answers); `document` is their shared plumbing and
//!   [`parts`] how one document is kept as several Automerge documents.
//! - Transport and rest: [`bundle`] (sealed, hash-chained, signed batches of changes, heads, snapshots),
//!   [`doc_log`] (the acceptance rules for bundles), [`sync`] (the messages members exchange).
//! - The end and the record of it: [`audit`] (each member's signed chain of exports and reports, and the
//!   checkpoint), [`destruction`] (the lead's Destroy and the members' confirmations).
//!
//! Data flows one way: a local edit -> the document's change -> a sealed [`bundle::SealedBundle`] ->
//! peers' [`doc_log`] acceptance (ledger says who may write, bundle says who did) -> their document.

pub mod analysis;
pub mod audit;
pub mod bundle;
pub mod comments;
pub mod destruction;
pub mod doc_log;
pub(crate) mod document;
pub mod ledger;
pub mod notes;
pub mod parts;
pub mod sync;
