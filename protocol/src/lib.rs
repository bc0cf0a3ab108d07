//! # samenloop-protocol
//!
//! The pure logic of samenloop, the platform of a network of independent "Learning Together" case
//! reviewers: identities, the signed-record envelope, reviewer profiles and their verification rules,
//! accreditation attestations, the local directory and its search, and the catch-up exchange.
//!
//! For review requests it adds the request schema and its validation, the explainable matching of a
//! request against the directory, and sealed boxes for confidential bytes sent to one reviewer.
//!
//! This crate does no I/O, reads no clock and draws no randomness: time comes in as [`UnixTime`], secrets
//! as bytes. Everything here is deterministic, so it is tested without sockets and every decoder can be
//! fuzzed. The `samenloop-node` crate drives it from the network and from storage.
//!
//! Data flows one way: bytes from the network -> [`SignedProfile::verify`] -> [`Directory::offer`] ->
//! [`Directory::search`].

#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod accreditation;
pub mod analysis;
pub mod audit;
pub mod bundle;
pub mod call;
pub mod case;
mod catchup;
pub mod comments;
pub mod destruction;
mod directory;
pub mod doc_log;
mod document;
mod envelope;
pub mod expertise;
pub mod history;
mod identity;
mod matching;
pub mod notes;
pub mod parts;
mod profile;
pub mod referral;
pub mod report;
mod request;
pub mod sealed;
pub mod sync;
mod time;

pub use accreditation::{
    AccreditationLevel, AccreditationStatus, AttestationError, AttestationRecord, MAX_ATTESTATION_VALIDITY_SECS,
    SignedAttestation, UnknownLevel, accreditation_status,
};
pub use catchup::{
    CatchUpError, CatchUpRequest, CatchUpResponse, KnownRevision, MAX_KNOWN, MAX_PAGE_BYTES, MAX_PAGE_PROFILES,
};
pub use directory::{Directory, DirectoryQuery, MAX_DIRECTORY_PROFILES, Offer};
pub use envelope::{
    ENVELOPE_VERSION, EnvelopeError, MAX_BODY_LEN, RecordError, RecordKind, SIGNING_CONTEXT, VerifiedEnvelope,
    open_envelope, open_record, seal_envelope,
};
pub use identity::{Identity, PeerId, peer_id_bytes_of, peer_id_of, peer_id_text, verifying_key_of};
pub use matching::{
    CONFLICT_YEARS, Candidate, Excluded, Exclusion, MatchContext, MatchResult, PriorOutcome, ProposedPair, ScoreReason,
    match_reviewers,
};
pub use profile::{
    Affiliation, FieldProblem, MAX_CLOCK_SKEW_SECS, MAX_PROFILE_BYTES, MAX_VALIDITY_SECS, Profile, ProfileRecord,
    ProfileRejection, SignError, SignedProfile, limits,
};
pub use request::{
    InvolvedOrganisation, MAX_ANSWER_CHARS, MAX_ORGANISATIONS, OrganisationKind, ReviewRequest, ReviewVariant,
};
pub use time::{CalendarDate, DateError, UnixTime};

/// Re-exported so dependants use the same ed25519 types as the protocol.
pub use ed25519_dalek;
