//! Referrals: how a review request finds its reviewers.
//!
//! - [`request`]: a requester's review request (the orientation answers and the matching needs).
//! - [`matching`]: the explainable match of a request against the directory (exclusions with reasons,
//!   scored candidates, a proposed pair).
//! - [`referral`]: a request sealed to one reviewer, the reviewer's answer, and the state machine of both.
//! - [`call`]: anonymised calls any reviewer may answer with an interest.
//! - [`history`]: the request's signed, hash-chained history.
//!
//! Data flows one way: a `ReviewRequest` (validated by field) -> `match_reviewers` over the directory ->
//! `SignedReferral` sealed to each chosen reviewer -> the reviewer's signed answer -> `ReferralState`,
//! with every step appended to the request's history.

pub mod call;
pub mod history;
pub(crate) mod matching;
pub mod referral;
pub(crate) mod request;
