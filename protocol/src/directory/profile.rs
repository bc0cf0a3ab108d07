//! Reviewer profiles: what a reviewer publishes about their expertise and availability, signed and bound
//! to their PeerId.
//!
//! A [`Profile`] is the content a reviewer edits. Publishing wraps it in a [`ProfileRecord`] (peer id,
//! revision, validity window, encryption key), encodes it with postcard and signs it in a
//! [`crate::records::envelope`]. Receivers run [`SignedProfile::verify`], which applies every rule a profile must meet
//! before it may be stored or forwarded; the verdict names the exact rule broken.
//!
//! Ordering: a profile replaces another from the same reviewer only if it [`SignedProfile::supersedes`] it
//! (higher revision; ties broken by issue time, then by digest so every node picks the same winner).

use std::cmp::Ordering;
use std::fmt;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::directory::accreditation::{AccreditationLevel, AttestationError, SignedAttestation};
use crate::directory::expertise::check_tag;
use crate::records::envelope::{EnvelopeError, RecordError, RecordKind, open_record, seal_envelope};
use crate::records::identity::{Identity, PeerId, peer_id_bytes_of, peer_id_of};
use crate::records::time::{CalendarDate, UnixTime};

/// The largest encoded signed profile accepted, envelope included.
pub const MAX_PROFILE_BYTES: usize = 8 * 1024;
/// How far a profile's issue time may lie ahead of the receiver's clock.
pub const MAX_CLOCK_SKEW_SECS: u64 = 5 * 60;
/// The longest validity a profile may claim; publishers republish well before it runs out.
pub const MAX_VALIDITY_SECS: u64 = 30 * 24 * 3600;
/// Field limits, also enforced on what the local user types.
pub mod limits {
    /// Characters in a display name.
    pub const NAME: usize = 120;
    /// Characters in a bio.
    pub const BIO: usize = 2000;
    /// Expertise tags per profile.
    pub const EXPERTISE: usize = 24;
    /// Regions per profile, and characters per region.
    pub const REGIONS: usize = 8;
    /// Characters in a region name.
    pub const REGION_LEN: usize = 64;
    /// Languages per profile.
    pub const LANGUAGES: usize = 8;
    /// Affiliations per profile.
    pub const AFFILIATIONS: usize = 32;
    /// Characters in an organisation name.
    pub const ORGANISATION_LEN: usize = 200;
    /// Hours in the longest month: nobody can offer more.
    pub const HOURS_PER_MONTH: u16 = 744;
    /// A sanity bound on the hourly rate, in euro cents (EUR 10,000).
    pub const RATE_CENTS: u32 = 1_000_000;
}

/// A past or present tie to an organisation, used to exclude conflicts of interest when matching.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Affiliation {
    /// The organisation as its people name it (e.g. "GI Midden-Nederland").
    pub organisation: String,
    /// Start of the tie, if known.
    pub from: Option<CalendarDate>,
    /// End of the tie; `None` means ongoing.
    pub until: Option<CalendarDate>,
}

/// What a reviewer says about themselves: the part of a profile a person edits.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Profile {
    /// Display name.
    pub name: String,
    /// Free text about background and approach.
    pub bio: String,
    /// Normalised expertise tags (see [`crate::directory::expertise`]).
    pub expertise: Vec<String>,
    /// Regions the reviewer works in (provinces, cities, "landelijk").
    pub regions: Vec<String>,
    /// Languages the reviewer can conduct interviews in, as lowercase BCP 47 tags (`nl`, `en`, `fy`).
    pub languages: Vec<String>,
    /// Hours per month available for reviews.
    pub hours_per_month: u16,
    /// First day available, if limited.
    pub available_from: Option<CalendarDate>,
    /// Last day available, if limited.
    pub available_until: Option<CalendarDate>,
    /// The claimed level; see [`crate::directory::accreditation`] for when it counts as verified.
    pub accreditation: AccreditationLevel,
    /// A supervisor's signed attestation backing the claim (an attestation envelope).
    #[serde(with = "serde_bytes")]
    pub attestation: Option<Vec<u8>>,
    /// Organisations the reviewer works or worked for.
    pub affiliations: Vec<Affiliation>,
    /// Hourly rate in euro cents, if the reviewer publishes one.
    pub rate_eur_cents: Option<u32>,
}

impl Profile {
    /// A profile with only a name: what `samenloop init --name` starts from.
    pub fn named(name: &str) -> Profile {
        Profile {
            name: name.trim().to_string(),
            bio: String::new(),
            expertise: Vec::new(),
            regions: Vec::new(),
            languages: Vec::new(),
            hours_per_month: 0,
            available_from: None,
            available_until: None,
            accreditation: AccreditationLevel::Trainee,
            attestation: None,
            affiliations: Vec::new(),
            rate_eur_cents: None,
        }
    }

    /// Checks every field and returns every problem at once, each naming its field.
    pub fn validate(&self) -> Result<(), Vec<FieldProblem>> {
        let mut problems = Vec::new();
        let mut bad =
            |field: &str, kind: ProblemKind, problem: String| problems.push(FieldProblem::new(field, kind, problem));
        let chars = |s: &str| s.chars().count();
        let has_control =
            |s: &str, allow_newline: bool| s.chars().any(|c| c.is_control() && !(allow_newline && c == '\n'));

        if self.name.trim().is_empty() {
            bad("name", ProblemKind::Required, "must not be empty".into());
        }
        if chars(&self.name) > limits::NAME {
            bad("name", ProblemKind::TooLong { max: limits::NAME }, format!("longer than {} characters", limits::NAME));
        }
        if has_control(&self.name, false) {
            bad("name", ProblemKind::ControlCharacters, "contains control characters".into());
        }
        if chars(&self.bio) > limits::BIO {
            bad("bio", ProblemKind::TooLong { max: limits::BIO }, format!("longer than {} characters", limits::BIO));
        }
        if has_control(&self.bio, true) {
            bad("bio", ProblemKind::ControlCharacters, "contains control characters".into());
        }
        if self.expertise.len() > limits::EXPERTISE {
            bad(
                "expertise",
                ProblemKind::TooMany { max: limits::EXPERTISE },
                format!("more than {} tags", limits::EXPERTISE),
            );
        }
        for tag in &self.expertise {
            if let Err(e) = check_tag(tag) {
                bad("expertise", ProblemKind::InvalidTag, e.to_string());
            }
        }
        if has_duplicates(&self.expertise) {
            bad("expertise", ProblemKind::Duplicate, "a tag is listed twice".into());
        }
        if self.regions.len() > limits::REGIONS {
            bad(
                "region",
                ProblemKind::TooMany { max: limits::REGIONS },
                format!("more than {} regions", limits::REGIONS),
            );
        }
        for r in &self.regions {
            if r.trim().is_empty() || chars(r) > limits::REGION_LEN || has_control(r, false) {
                bad(
                    "region",
                    ProblemKind::InvalidItem { max: limits::REGION_LEN },
                    format!("`{}` must be 1-{} printable characters", truncate(r), limits::REGION_LEN),
                );
            }
        }
        if self.languages.len() > limits::LANGUAGES {
            bad(
                "language",
                ProblemKind::TooMany { max: limits::LANGUAGES },
                format!("more than {} languages", limits::LANGUAGES),
            );
        }
        for l in &self.languages {
            if !is_language_tag(l) {
                bad(
                    "language",
                    ProblemKind::InvalidLanguage,
                    format!("`{}` is not a lowercase language tag such as nl, en or fy", truncate(l)),
                );
            }
        }
        if has_duplicates(&self.languages) {
            bad("language", ProblemKind::Duplicate, "a language is listed twice".into());
        }
        if self.hours_per_month > limits::HOURS_PER_MONTH {
            bad(
                "hours-per-month",
                ProblemKind::TooHigh { max: u32::from(limits::HOURS_PER_MONTH) },
                format!("more than {} hours in a month", limits::HOURS_PER_MONTH),
            );
        }
        if let (Some(from), Some(until)) = (self.available_from, self.available_until)
            && from > until
        {
            bad("available-until", ProblemKind::EndsBeforeStart, format!("{until} is before available-from {from}"));
        }
        if self.affiliations.len() > limits::AFFILIATIONS {
            bad(
                "affiliation",
                ProblemKind::TooMany { max: limits::AFFILIATIONS },
                format!("more than {} affiliations", limits::AFFILIATIONS),
            );
        }
        for a in &self.affiliations {
            let o = &a.organisation;
            if o.trim().is_empty() || chars(o) > limits::ORGANISATION_LEN || has_control(o, false) {
                bad(
                    "affiliation",
                    ProblemKind::InvalidItem { max: limits::ORGANISATION_LEN },
                    format!(
                        "organisation `{}` must be 1-{} printable characters",
                        truncate(o),
                        limits::ORGANISATION_LEN
                    ),
                );
            }
            if let (Some(from), Some(until)) = (a.from, a.until)
                && from > until
            {
                bad(
                    "affiliation",
                    ProblemKind::EndsBeforeStart,
                    format!("`{}` ends ({until}) before it starts ({from})", truncate(o)),
                );
            }
        }
        if self.rate_eur_cents.is_some_and(|r| r > limits::RATE_CENTS) {
            bad(
                "rate",
                ProblemKind::TooHigh { max: limits::RATE_CENTS / 100 },
                format!("more than EUR {} per hour", limits::RATE_CENTS / 100),
            );
        }
        if problems.is_empty() { Ok(()) } else { Err(problems) }
    }
}

fn truncate(s: &str) -> String {
    s.chars().take(40).collect()
}

fn has_duplicates(items: &[String]) -> bool {
    let mut seen = std::collections::HashSet::new();
    items.iter().any(|i| !seen.insert(i))
}

fn is_language_tag(s: &str) -> bool {
    let mut parts = s.split('-');
    let primary = parts.next().unwrap_or("");
    (2..=3).contains(&primary.len())
        && primary.bytes().all(|b| b.is_ascii_lowercase())
        && parts.all(|p| (2..=8).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit()))
}

/// One problem with one field, as shown to the person who typed it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldProblem {
    /// The field, named as on the command line (`hours-per-month`, `available-until`).
    pub field: String,
    /// What is wrong, in English, for the command line.
    pub problem: String,
    /// What is wrong, as a code: what the app translates into the user's language.
    #[serde(default)]
    pub kind: ProblemKind,
}

impl FieldProblem {
    /// A problem with `field`: its kind, and the English sentence for the command line.
    pub fn new(field: impl Into<String>, kind: ProblemKind, problem: impl Into<String>) -> FieldProblem {
        FieldProblem { field: field.into(), problem: problem.into(), kind }
    }
}

/// The kinds of problem a field can have, with the limit that was crossed: stable codes (in JSON:
/// `{"code": "too-long", "max": 80}`) that a user interface turns into a sentence in its language.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "code", rename_all = "kebab-case")]
pub enum ProblemKind {
    /// The field must be filled in.
    Required,
    /// Longer than `max` characters.
    TooLong {
        /// The most allowed.
        max: usize,
    },
    /// Holds control characters (only line breaks are allowed, and only in long texts).
    ControlCharacters,
    /// More than `max` items in a list.
    TooMany {
        /// The most allowed.
        max: usize,
    },
    /// An expertise tag that is not lowercase words joined by hyphens.
    InvalidTag,
    /// The same item twice in a list.
    Duplicate,
    /// Not a language tag such as `nl` or `en`.
    InvalidLanguage,
    /// An item of a list (a region, an organisation) that is empty or longer than `max` characters.
    InvalidItem {
        /// The longest allowed.
        max: usize,
    },
    /// A number above `max`.
    TooHigh {
        /// The highest allowed.
        max: u32,
    },
    /// A number that must be at least `min`.
    TooLow {
        /// The lowest allowed.
        min: u32,
    },
    /// A period that ends before it starts.
    EndsBeforeStart,
    /// Anything else: the English sentence says what.
    #[default]
    Other,
}

impl fmt::Display for FieldProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.problem)
    }
}

/// The signed body of a profile: the content plus everything that binds it to a reviewer and a time.
///
/// Field order is the wire order (postcard encodes structs as their fields in sequence).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProfileRecord {
    /// The reviewer's PeerId bytes; must be the PeerId of the envelope's signer.
    #[serde(with = "serde_bytes")]
    pub peer_id: Vec<u8>,
    /// Increases with every publication by this reviewer; the newest wins.
    pub revision: u64,
    /// When it was signed.
    pub issued_at: UnixTime,
    /// When it stops being valid; the publisher republishes before then.
    pub expires_at: UnixTime,
    /// The reviewer's X25519 public key for sealing confidential data to them.
    pub encryption_key: [u8; 32],
    /// The content.
    pub profile: Profile,
    /// How to reach the reviewer from behind routers (added after the first release: a record without it
    /// still verifies, as one with no relays and no mailboxes).
    pub reach: Reach,
}

/// The first release's record, without [`Reach`]: still read, so stored and circulating profiles stay valid.
#[derive(Deserialize)]
struct ProfileRecordV1 {
    #[serde(with = "serde_bytes")]
    peer_id: Vec<u8>,
    revision: u64,
    issued_at: UnixTime,
    expires_at: UnixTime,
    encryption_key: [u8; 32],
    profile: Profile,
}

/// How others reach a reviewer who is behind a router: the relays it keeps a reservation on and the
/// mailboxes that hold items for it while it is away, each a multiaddr ending in `/p2p/<id>`. Set by the
/// node from what it uses, never typed by the reviewer.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reach {
    /// Relays (circuit relay v2) with a reservation for this reviewer.
    pub relays: Vec<String>,
    /// Mailboxes this reviewer fetches from.
    pub mailboxes: Vec<String>,
}

impl Reach {
    /// At most this many relays, and as many mailboxes.
    pub const MAX_ENTRIES: usize = 4;
    /// The longest address.
    pub const MAX_ADDRESS_LEN: usize = 300;

    fn validate(&self, problems: &mut Vec<FieldProblem>) {
        for (field, list) in [("relays", &self.relays), ("mailboxes", &self.mailboxes)] {
            if list.len() > Self::MAX_ENTRIES {
                let kind = ProblemKind::TooMany { max: Self::MAX_ENTRIES };
                problems.push(FieldProblem::new(field, kind, format!("more than {} addresses", Self::MAX_ENTRIES)));
            }
            for a in list {
                if a.is_empty()
                    || a.len() > Self::MAX_ADDRESS_LEN
                    || !a.starts_with('/')
                    || !a.contains("/p2p/")
                    || !a.bytes().all(|b| b.is_ascii_graphic())
                {
                    let kind = ProblemKind::InvalidItem { max: Self::MAX_ADDRESS_LEN };
                    problems.push(FieldProblem::new(field, kind, format!("`{}` is not a peer address", truncate(a))));
                }
            }
        }
    }
}

/// Why a received profile was refused. Every variant means: not stored, not forwarded, sender penalised.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ProfileRejection {
    /// Larger than [`MAX_PROFILE_BYTES`]; refused before any parsing.
    #[error("profile is {size} bytes, over the {MAX_PROFILE_BYTES}-byte limit")]
    TooLarge {
        /// Its size.
        size: usize,
    },
    /// The envelope is malformed, of an unknown version, or its signature fails.
    #[error("{0}")]
    Envelope(#[from] EnvelopeError),
    /// The body does not decode as a profile record.
    #[error("profile body does not decode: {0}")]
    Malformed(String),
    /// The body's peer id is not a valid PeerId.
    #[error("profile names an invalid peer id")]
    BadPeerId,
    /// Validly signed, but by a different key than the one the profile's PeerId names.
    #[error("profile for {claimed} is signed by {signer}")]
    SignerMismatch {
        /// The PeerId the profile claims to describe.
        claimed: Box<PeerId>,
        /// The PeerId of the key that signed it.
        signer: Box<PeerId>,
    },
    /// Its validity ended.
    #[error("profile expired at {expired_at} (now {now})")]
    Expired {
        /// When it expired.
        expired_at: UnixTime,
        /// The receiver's clock.
        now: UnixTime,
    },
    /// Issued further ahead of the receiver's clock than [`MAX_CLOCK_SKEW_SECS`].
    #[error("profile is dated {issued_at}, more than five minutes ahead of now ({now})")]
    FromTheFuture {
        /// Its issue time.
        issued_at: UnixTime,
        /// The receiver's clock.
        now: UnixTime,
    },
    /// Claims a validity window that is inverted or longer than [`MAX_VALIDITY_SECS`].
    #[error("profile validity window is invalid: {0}")]
    BadValidity(&'static str),
    /// A field breaks a content rule.
    #[error("profile content is invalid: {}", join(.0))]
    Invalid(Vec<FieldProblem>),
    /// The embedded attestation is forged, malformed, or about someone else.
    #[error("profile attestation: {0}")]
    Attestation(AttestationError),
}

fn join(problems: &[FieldProblem]) -> String {
    problems.iter().map(ToString::to_string).collect::<Vec<_>>().join("; ")
}

impl ProfileRejection {
    /// A short stable code for logs, metrics and API responses.
    pub fn code(&self) -> &'static str {
        match self {
            ProfileRejection::TooLarge { .. } => "too-large",
            ProfileRejection::Envelope(EnvelopeError::UnknownVersion(_)) => "unknown-version",
            ProfileRejection::Envelope(EnvelopeError::BadSignature) => "bad-signature",
            ProfileRejection::Envelope(_) | ProfileRejection::Malformed(_) | ProfileRejection::BadPeerId => "malformed",
            ProfileRejection::SignerMismatch { .. } => "signer-mismatch",
            ProfileRejection::Expired { .. } => "expired",
            ProfileRejection::FromTheFuture { .. } => "from-the-future",
            ProfileRejection::BadValidity(_) => "bad-validity",
            ProfileRejection::Invalid(_) => "invalid-content",
            ProfileRejection::Attestation(_) => "bad-attestation",
        }
    }
}

/// Why a local profile could not be signed: the user's input, not a peer's fault.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SignError {
    /// The content breaks a rule; every problem is listed.
    #[error("{}", join(.0))]
    Invalid(Vec<FieldProblem>),
    /// The requested validity is zero or longer than [`MAX_VALIDITY_SECS`].
    #[error("validity must be between 1 second and {} days", MAX_VALIDITY_SECS / 86_400)]
    BadValidity,
    /// The signed result would exceed [`MAX_PROFILE_BYTES`].
    #[error("the signed profile would be {0} bytes, over the {MAX_PROFILE_BYTES}-byte limit: shorten the bio or lists")]
    TooLarge(usize),
    /// The attestation does not verify or is about another reviewer.
    #[error("attestation: {0}")]
    Attestation(String),
}

/// A profile whose signature, binding, validity and content have all been checked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignedProfile {
    peer: PeerId,
    record: ProfileRecord,
    attestation: Option<SignedAttestation>,
    bytes: Vec<u8>,
}

impl SignedProfile {
    /// Signs `profile` as revision `revision` of `identity`'s profile, valid for `validity_secs` from `now`.
    pub fn sign(
        identity: &Identity,
        profile: Profile,
        revision: u64,
        now: UnixTime,
        validity_secs: u64,
    ) -> Result<SignedProfile, SignError> {
        Self::sign_reachable(identity, profile, Reach::default(), revision, now, validity_secs)
    }

    /// [`SignedProfile::sign`], with the relays and mailboxes through which the reviewer can be reached.
    pub fn sign_reachable(
        identity: &Identity,
        profile: Profile,
        reach: Reach,
        revision: u64,
        now: UnixTime,
        validity_secs: u64,
    ) -> Result<SignedProfile, SignError> {
        profile.validate().map_err(SignError::Invalid)?;
        let mut problems = Vec::new();
        reach.validate(&mut problems);
        if !problems.is_empty() {
            return Err(SignError::Invalid(problems));
        }
        if validity_secs == 0 || validity_secs > MAX_VALIDITY_SECS {
            return Err(SignError::BadValidity);
        }
        let peer = identity.peer_id();
        let attestation = match &profile.attestation {
            None => None,
            Some(bytes) => {
                let att = SignedAttestation::decode(bytes).map_err(|e| SignError::Attestation(e.to_string()))?;
                if att.subject != peer {
                    return Err(SignError::Attestation(format!("it is about {}, not this reviewer", att.subject)));
                }
                Some(att)
            }
        };
        let record = ProfileRecord {
            peer_id: peer.to_bytes(),
            revision,
            issued_at: now,
            expires_at: now.plus_secs(validity_secs),
            encryption_key: identity.encryption_public(),
            profile,
            reach,
        };
        let body = postcard::to_allocvec(&record).map_err(|e| SignError::Attestation(e.to_string()))?;
        let bytes = seal_envelope(identity.signing_key(), RecordKind::Profile, &body)
            .map_err(|_| SignError::TooLarge(body.len()))?;
        if bytes.len() > MAX_PROFILE_BYTES {
            return Err(SignError::TooLarge(bytes.len()));
        }
        Ok(SignedProfile { peer, record, attestation, bytes })
    }

    /// Applies every rule a received profile must meet, in order of cost: size, envelope and signature,
    /// decoding, binding to the PeerId, validity window, content, attestation.
    pub fn verify(bytes: &[u8], now: UnixTime) -> Result<SignedProfile, ProfileRejection> {
        let profile = Self::verify_untimed(bytes)?;
        let record = &profile.record;
        if record.issued_at > now.plus_secs(MAX_CLOCK_SKEW_SECS) {
            return Err(ProfileRejection::FromTheFuture { issued_at: record.issued_at, now });
        }
        if record.expires_at <= now {
            return Err(ProfileRejection::Expired { expired_at: record.expires_at, now });
        }
        Ok(profile)
    }

    /// Every check of [`SignedProfile::verify`] except those against the clock.
    pub fn verify_untimed(bytes: &[u8]) -> Result<SignedProfile, ProfileRejection> {
        if bytes.len() > MAX_PROFILE_BYTES {
            return Err(ProfileRejection::TooLarge { size: bytes.len() });
        }
        let (env, record): (_, ProfileRecord) = match open_record(bytes, RecordKind::Profile) {
            Ok(opened) => opened,
            Err(RecordError::Malformed(detail)) => match open_record::<ProfileRecordV1>(bytes, RecordKind::Profile) {
                Ok((env, v1)) => (
                    env,
                    ProfileRecord {
                        peer_id: v1.peer_id,
                        revision: v1.revision,
                        issued_at: v1.issued_at,
                        expires_at: v1.expires_at,
                        encryption_key: v1.encryption_key,
                        profile: v1.profile,
                        reach: Reach::default(),
                    },
                ),
                Err(_) => return Err(RecordError::Malformed(detail).into()),
            },
            Err(e) => return Err(e.into()),
        };
        let claimed = PeerId::from_bytes(&record.peer_id).map_err(|_| ProfileRejection::BadPeerId)?;
        if record.peer_id != peer_id_bytes_of(&env.signer) {
            let signer = peer_id_of(&env.signer);
            return Err(ProfileRejection::SignerMismatch { claimed: Box::new(claimed), signer: Box::new(signer) });
        }
        if record.expires_at <= record.issued_at {
            return Err(ProfileRejection::BadValidity("expires before it is issued"));
        }
        if record.expires_at.0 - record.issued_at.0 > MAX_VALIDITY_SECS {
            return Err(ProfileRejection::BadValidity("valid for more than 30 days"));
        }
        record.profile.validate().map_err(ProfileRejection::Invalid)?;
        let mut problems = Vec::new();
        record.reach.validate(&mut problems);
        if !problems.is_empty() {
            return Err(ProfileRejection::Invalid(problems));
        }
        let attestation = match &record.profile.attestation {
            None => None,
            Some(att) => {
                let att = SignedAttestation::decode(att).map_err(ProfileRejection::Attestation)?;
                if att.subject != claimed {
                    return Err(ProfileRejection::Attestation(AttestationError::BadSubject));
                }
                Some(att)
            }
        };
        Ok(SignedProfile { peer: claimed, record, attestation, bytes: bytes.to_vec() })
    }

    /// The reviewer this profile describes (and who signed it).
    pub fn peer(&self) -> &PeerId {
        &self.peer
    }

    /// The signed record.
    pub fn record(&self) -> &ProfileRecord {
        &self.record
    }

    /// The content.
    pub fn profile(&self) -> &Profile {
        &self.record.profile
    }

    /// The decoded attestation, if the profile carries one.
    pub fn attestation(&self) -> Option<&SignedAttestation> {
        self.attestation.as_ref()
    }

    /// The exact signed bytes, to store and forward unchanged.
    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// The revision number.
    pub fn revision(&self) -> u64 {
        self.record.revision
    }

    /// When this profile stops being valid.
    pub fn expires_at(&self) -> UnixTime {
        self.record.expires_at
    }

    /// SHA-256 of the signed bytes: a stable identifier of this exact publication.
    pub fn digest(&self) -> [u8; 32] {
        Sha256::digest(&self.bytes).into()
    }

    /// Whether this profile should replace `older` (same reviewer assumed).
    ///
    /// Higher revision wins; equal revisions (a reviewer publishing from two devices, or equivocating) are
    /// broken by issue time and then by digest, so every node converges on the same profile.
    pub fn supersedes(&self, older: &SignedProfile) -> bool {
        self.ordering_key().cmp(&older.ordering_key()) == Ordering::Greater
    }

    fn ordering_key(&self) -> (u64, UnixTime, [u8; 32]) {
        (self.record.revision, self.record.issued_at, self.digest())
    }
}

impl From<RecordError> for ProfileRejection {
    fn from(e: RecordError) -> Self {
        match e {
            RecordError::Envelope(e) => ProfileRejection::Envelope(e),
            RecordError::Malformed(m) => ProfileRejection::Malformed(m),
        }
    }
}
