//! # samenloop-protocol
//!
//! The pure logic of samenloop, the platform of a network of independent "Learning Together" case
//! reviewers. It is laid out in wings, one per part of the domain:
//!
//! - [`records`]: identities, the signed-record envelope every record travels in, sealed boxes for one
//!   recipient, and time.
//! - [`directory`]: reviewer profiles and their verification rules, accreditation attestations, the
//!   expertise vocabulary, the local directory and its search, and the catch-up exchange.
//! - [`referrals`]: review requests, the explainable matching of a request against the directory,
//!   referrals and answers, anonymised calls, and the request's signed history.
//! - [`cases`]: the membership ledger and document keys, the case documents (analysis, notes, comments)
//!   and their parts, sealed bundles and the rules for accepting them, the sync messages, the audit
//!   trail and destruction.
//! - [`mailbox`]: sealed, padded items a mailbox holds for offline members, addressed to inboxes it
//!   cannot link to anyone, and the messages to deposit, fetch and acknowledge them.
//! - [`report`]: the final report, drawn from the analysis, and the identifier check before it is written.
//!
//! This crate does no I/O, reads no clock and draws no randomness: time comes in as [`UnixTime`], secrets
//! and random ids as bytes. Everything here is deterministic, so it is tested without sockets and every
//! decoder can be fuzzed. The `samenloop-node` crate drives it from the network and from storage.
//!
//! Data flows one way: bytes from the network -> the envelope ([`open_envelope`]) -> the record's own
//! verification ([`SignedProfile::verify`], `referral::receive`, the ledger's and bundles' rules) ->
//! the state it may change ([`Directory::offer`], a case document) -> queries and views.
//!
//! The most used types are re-exported here; the rest is reached through its wing.

#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod cases;
pub mod directory;
pub mod mailbox;
pub mod records;
pub mod referrals;
pub mod report;

pub use directory::accreditation::{
    AccreditationLevel, AccreditationStatus, AttestationError, AttestationRecord, MAX_ATTESTATION_VALIDITY_SECS,
    SignedAttestation, UnknownLevel, accreditation_status,
};
pub use directory::catchup::{
    CatchUpError, CatchUpRequest, CatchUpResponse, KnownRevision, MAX_KNOWN, MAX_PAGE_BYTES, MAX_PAGE_PROFILES,
};
pub use directory::index::{Directory, DirectoryQuery, MAX_DIRECTORY_PROFILES, Offer};
pub use directory::profile::{
    Affiliation, FieldProblem, MAX_CLOCK_SKEW_SECS, MAX_PROFILE_BYTES, MAX_VALIDITY_SECS, ProblemKind, Profile,
    ProfileRecord, ProfileRejection, Reach, SignError, SignedProfile, limits,
};
pub use records::envelope::{
    ENVELOPE_VERSION, EnvelopeError, MAX_BODY_LEN, RecordError, RecordKind, SIGNING_CONTEXT, VerifiedEnvelope,
    open_envelope, open_record, seal_envelope,
};
pub use records::identity::{Identity, PeerId, peer_id_bytes_of, peer_id_of, peer_id_text, verifying_key_of};
pub use records::time::{CalendarDate, DateError, UnixTime};
pub use referrals::matching::{
    CONFLICT_YEARS, Candidate, Excluded, Exclusion, MatchContext, MatchResult, PairReasons, PriorOutcome, ProposedPair,
    ScoreReason, match_reviewers,
};
pub use referrals::request::{
    InvolvedOrganisation, MAX_ANSWER_CHARS, MAX_ORGANISATIONS, OrganisationKind, ReviewRequest, ReviewVariant,
};

/// Re-exported so dependants use the same ed25519 types as the protocol.
pub use ed25519_dalek;
