//! Accreditation: the level a reviewer claims, the attestations that back a claim, and the verdict a node
//! reaches about it.
//!
//! Anyone can type "supervisor" into their profile, so a claim above trainee counts as verified only when a
//! trusted accreditor (one of the network's founding supervisors, configured per node) has signed an
//! attestation for this reviewer at that level or higher, and the accreditor's own profile is at supervisor
//! level. Everything else is shown as self-declared. Trust is local: each node decides whom it trusts.

use std::collections::HashSet;
use std::fmt;
use std::str::FromStr;

use ed25519_dalek::SigningKey;
use serde::{Deserialize, Serialize};

use crate::records::envelope::{EnvelopeError, RecordError, RecordKind, open_record, seal_envelope};
use crate::records::identity::{PeerId, peer_id_of};
use crate::records::time::UnixTime;

/// The longest an attestation may run: accreditation is reviewed at least every three years.
pub const MAX_ATTESTATION_VALIDITY_SECS: u64 = 3 * 366 * 24 * 3600;

/// A reviewer's accreditation level, in increasing order of seniority.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AccreditationLevel {
    /// In training: reviews only beside an accredited reviewer.
    #[default]
    Trainee,
    /// Accredited to lead reviews.
    Accredited,
    /// Senior: reviews, supervises and may attest others.
    Supervisor,
}

impl AccreditationLevel {
    /// All levels, lowest first.
    pub const ALL: [AccreditationLevel; 3] =
        [AccreditationLevel::Trainee, AccreditationLevel::Accredited, AccreditationLevel::Supervisor];

    /// The name used on the command line, in JSON and in the docs.
    pub fn as_str(self) -> &'static str {
        match self {
            AccreditationLevel::Trainee => "trainee",
            AccreditationLevel::Accredited => "accredited",
            AccreditationLevel::Supervisor => "supervisor",
        }
    }
}

impl fmt::Display for AccreditationLevel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The text is not one of the three levels.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("unknown accreditation level `{0}`: expected trainee, accredited or supervisor")]
pub struct UnknownLevel(pub String);

impl FromStr for AccreditationLevel {
    type Err = UnknownLevel;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        AccreditationLevel::ALL
            .into_iter()
            .find(|l| l.as_str().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| UnknownLevel(s.chars().take(40).collect()))
    }
}

/// The signed statement "`subject` is accredited at `level`", made by a supervisor.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttestationRecord {
    /// The attested reviewer's PeerId, as bytes.
    #[serde(with = "serde_bytes")]
    pub subject: Vec<u8>,
    /// The level attested.
    pub level: AccreditationLevel,
    /// When the attestation was made.
    pub issued_at: UnixTime,
    /// When it lapses; accreditation is renewed periodically.
    pub expires_at: UnixTime,
}

/// A verified attestation: signature checked, body decoded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignedAttestation {
    /// Who signed it.
    pub attester: PeerId,
    /// Who it is about.
    pub subject: PeerId,
    /// The decoded statement.
    pub record: AttestationRecord,
    /// The exact envelope bytes, as embedded in profiles.
    pub bytes: Vec<u8>,
}

/// Why bytes are not a valid attestation.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum AttestationError {
    /// The envelope is malformed or its signature fails.
    #[error("attestation envelope: {0}")]
    Envelope(#[from] EnvelopeError),
    /// The body does not decode.
    #[error("attestation body does not decode: {0}")]
    Malformed(String),
    /// The subject is not a valid PeerId.
    #[error("attestation subject is not a valid peer id")]
    BadSubject,
    /// It lapses before it was issued.
    #[error("attestation expires before it was issued")]
    InvertedValidity,
    /// It runs longer than [`MAX_ATTESTATION_VALIDITY_SECS`].
    #[error("attestation is valid for more than three years")]
    TooLong,
}

impl SignedAttestation {
    /// The supervisor `attester` attests `subject` at `level` from `now` until `expires_at`.
    pub fn issue(
        attester: &SigningKey,
        subject: PeerId,
        level: AccreditationLevel,
        now: UnixTime,
        expires_at: UnixTime,
    ) -> Result<SignedAttestation, AttestationError> {
        let record = AttestationRecord { subject: subject.to_bytes(), level, issued_at: now, expires_at };
        if expires_at <= now {
            return Err(AttestationError::InvertedValidity);
        }
        if expires_at.0 - now.0 > MAX_ATTESTATION_VALIDITY_SECS {
            return Err(AttestationError::TooLong);
        }
        let body = postcard::to_allocvec(&record).map_err(|e| AttestationError::Malformed(e.to_string()))?;
        let bytes = seal_envelope(attester, RecordKind::Attestation, &body)?;
        Ok(SignedAttestation { attester: peer_id_of(&attester.verifying_key()), subject, record, bytes })
    }

    /// Verifies the signature and decodes the statement. Expiry is not checked here: an expired attestation
    /// is still well-formed, it just no longer verifies a claim (see [`accreditation_status`]).
    pub fn decode(bytes: &[u8]) -> Result<SignedAttestation, AttestationError> {
        let (env, record): (_, AttestationRecord) = open_record(bytes, RecordKind::Attestation)?;
        let subject = PeerId::from_bytes(&record.subject).map_err(|_| AttestationError::BadSubject)?;
        if record.expires_at <= record.issued_at {
            return Err(AttestationError::InvertedValidity);
        }
        if record.expires_at.0 - record.issued_at.0 > MAX_ATTESTATION_VALIDITY_SECS {
            return Err(AttestationError::TooLong);
        }
        Ok(SignedAttestation { attester: env.signer_peer(), subject, record, bytes: bytes.to_vec() })
    }
}

/// What a node concludes about a reviewer's claimed accreditation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "kebab-case")]
pub enum AccreditationStatus {
    /// Trainee: the lowest level needs no verification.
    Trainee,
    /// Backed by a valid attestation from a trusted supervisor.
    Verified {
        /// The trusted accreditor who attested it.
        attested_by: String,
    },
    /// Claimed but not (or no longer) backed; `reason` says why, for the person deciding whom to trust.
    SelfDeclared {
        /// Why the claim could not be verified.
        reason: String,
    },
}

impl AccreditationStatus {
    /// True when the claim is verified (or needs no verification).
    pub fn is_verified(&self) -> bool {
        !matches!(self, AccreditationStatus::SelfDeclared { .. })
    }
}

/// Decides whether `claimed` is verified by `attestation`.
///
/// `attester_level` looks up the level claimed in the attester's own current profile (from the local
/// directory); `trusted` is the node's configured list of founding supervisors.
pub fn accreditation_status(
    subject: &PeerId,
    claimed: AccreditationLevel,
    attestation: Option<&SignedAttestation>,
    trusted: &HashSet<PeerId>,
    attester_level: impl Fn(&PeerId) -> Option<AccreditationLevel>,
    now: UnixTime,
) -> AccreditationStatus {
    let declared = |reason: String| AccreditationStatus::SelfDeclared { reason };
    if claimed == AccreditationLevel::Trainee {
        return AccreditationStatus::Trainee;
    }
    let Some(att) = attestation else {
        return declared("no attestation".into());
    };
    if att.subject != *subject {
        return declared("the attestation is about another reviewer".into());
    }
    if !trusted.contains(&att.attester) {
        return declared(format!("attested by {}, who is not a trusted accreditor here", att.attester));
    }
    match attester_level(&att.attester) {
        Some(AccreditationLevel::Supervisor) => {}
        Some(level) => return declared(format!("the attester's own profile is at level {level}, not supervisor")),
        None => return declared("the attester's profile is not in the directory".into()),
    }
    if att.record.level < claimed {
        return declared(format!("attested only as {}", att.record.level));
    }
    if att.record.expires_at <= now {
        return declared(format!("the attestation expired at {}", att.record.expires_at));
    }
    if att.record.issued_at > now.plus_secs(crate::directory::profile::MAX_CLOCK_SKEW_SECS) {
        return declared(format!("the attestation is dated in the future ({})", att.record.issued_at));
    }
    AccreditationStatus::Verified { attested_by: att.attester.to_string() }
}

impl From<RecordError> for AttestationError {
    fn from(e: RecordError) -> Self {
        match e {
            RecordError::Envelope(e) => AttestationError::Envelope(e),
            RecordError::Malformed(m) => AttestationError::Malformed(m),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_parse_and_order() {
        assert_eq!("Accredited".parse::<AccreditationLevel>(), Ok(AccreditationLevel::Accredited));
        assert!(AccreditationLevel::Supervisor > AccreditationLevel::Accredited);
        let e = "expert".parse::<AccreditationLevel>().unwrap_err();
        assert!(e.to_string().contains("expert") && e.to_string().contains("trainee"));
    }

    #[test]
    fn verdicts() {
        let sup = SigningKey::from_bytes(&[1; 32]);
        let sup_id = peer_id_of(&sup.verifying_key());
        let rev = peer_id_of(&SigningKey::from_bytes(&[2; 32]).verifying_key());
        let now = UnixTime(1_000_000);
        let att =
            SignedAttestation::issue(&sup, rev, AccreditationLevel::Accredited, now, now.plus_secs(1000)).unwrap();
        let att = SignedAttestation::decode(&att.bytes).unwrap();
        let trusted: HashSet<_> = [sup_id].into();
        let is_sup = |_: &PeerId| Some(AccreditationLevel::Supervisor);
        let status = |claimed, trusted: &HashSet<PeerId>, lvl: &dyn Fn(&PeerId) -> Option<AccreditationLevel>, t| {
            accreditation_status(&rev, claimed, Some(&att), trusted, lvl, t)
        };
        assert!(status(AccreditationLevel::Accredited, &trusted, &is_sup, now).is_verified());
        assert!(!status(AccreditationLevel::Supervisor, &trusted, &is_sup, now).is_verified());
        assert!(!status(AccreditationLevel::Accredited, &HashSet::new(), &is_sup, now).is_verified());
        assert!(!status(AccreditationLevel::Accredited, &trusted, &|_| None, now).is_verified());
        assert!(
            !status(AccreditationLevel::Accredited, &trusted, &|_| Some(AccreditationLevel::Accredited), now)
                .is_verified()
        );
        assert!(!status(AccreditationLevel::Accredited, &trusted, &is_sup, now.plus_secs(1000)).is_verified());
        let other = peer_id_of(&SigningKey::from_bytes(&[3; 32]).verifying_key());
        assert!(
            !accreditation_status(&other, AccreditationLevel::Accredited, Some(&att), &trusted, is_sup, now)
                .is_verified()
        );
    }
}
