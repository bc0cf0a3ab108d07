//! Anonymised calls for reviewers: what a requester may broadcast to the whole network about a request.
//!
//! A call carries region, theme, expertise, variant and start month, and nothing else: no organisations,
//! no case details, no free text beyond the region. Reviewers who would like the work answer with a signed
//! interest, sent directly to the requester; it counts in the requester's matching.

use serde::{Deserialize, Serialize};

use crate::directory::expertise::check_tag;
use crate::directory::profile::MAX_CLOCK_SKEW_SECS;
use crate::records::envelope::{EnvelopeError, RecordError, RecordKind, open_record, seal_envelope};
use crate::records::identity::{Identity, PeerId, peer_id_bytes_of};
use crate::records::time::UnixTime;
use crate::referrals::referral::Id16;
use crate::referrals::request::{ReviewRequest, ReviewVariant};

/// The largest call envelope accepted.
pub const MAX_CALL_BYTES: usize = 2048;
/// The longest a call may stay open.
pub const MAX_CALL_SECS: u64 = 60 * 24 * 3600;

/// The recurring themes of Dutch reviews, the only "what is it about" a call may say.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ReviewTheme {
    /// The right to grow up in one's own family versus signals of unsafety.
    ParentChildDilemma,
    /// Professional practice.
    ProfessionalPractice,
    /// Cooperation in the chain of organisations.
    ChainCooperation,
    /// The youth-care context: time pressure, discontinuity, no placements.
    YouthCareContext,
    /// A review of something that went well.
    GoodPractice,
    /// Something else.
    Other,
}

impl std::str::FromStr for ReviewTheme {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim() {
            "parent-child-dilemma" => Ok(ReviewTheme::ParentChildDilemma),
            "professional-practice" => Ok(ReviewTheme::ProfessionalPractice),
            "chain-cooperation" => Ok(ReviewTheme::ChainCooperation),
            "youth-care-context" => Ok(ReviewTheme::YouthCareContext),
            "good-practice" => Ok(ReviewTheme::GoodPractice),
            "other" => Ok(ReviewTheme::Other),
            _ => Err(format!(
                "unknown theme `{s}`: expected parent-child-dilemma, professional-practice, chain-cooperation, \
                 youth-care-context, good-practice or other"
            )),
        }
    }
}

/// The signed body of a call.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallRecord {
    /// Random id.
    pub call_id: Id16,
    /// The requester (signer).
    #[serde(with = "serde_bytes")]
    pub requester: Vec<u8>,
    /// When posted.
    pub issued_at: UnixTime,
    /// When it closes.
    pub expires_at: UnixTime,
    /// Region of the case.
    pub region: Option<String>,
    /// Theme.
    pub theme: Option<ReviewTheme>,
    /// Expertise wanted.
    pub expertise: Vec<String>,
    /// Variant.
    pub variant: ReviewVariant,
    /// Desired start month, `YYYY-MM`.
    pub start_month: String,
}

/// Why a call or an interest is refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CallError {
    /// Over [`MAX_CALL_BYTES`].
    #[error("call is {0} bytes, over the limit")]
    TooLarge(usize),
    /// Envelope problems.
    #[error("{0}")]
    Envelope(#[from] EnvelopeError),
    /// Does not decode or breaks a content rule.
    #[error("malformed: {0}")]
    Malformed(String),
    /// Claims a requester other than its signer.
    #[error("signed by someone other than the party it names")]
    WrongSigner,
    /// Expired, from the future, or open too long.
    #[error("outside its validity: {0}")]
    Validity(&'static str),
    /// An interest addressed to someone else.
    #[error("addressed to another requester")]
    NotForUs,
}

/// A verified call.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignedCall {
    /// The record.
    pub record: CallRecord,
    /// The requester.
    pub requester: PeerId,
    /// The envelope bytes.
    pub bytes: Vec<u8>,
}

/// The requester signs an anonymised call for `request`, open until `expires_at`.
pub fn make_call(
    requester: &Identity,
    request: &ReviewRequest,
    theme: Option<ReviewTheme>,
    now: UnixTime,
    expires_at: UnixTime,
    call_id: Id16,
) -> Result<SignedCall, CallError> {
    let (y, m, _) = request.desired_start.ymd();
    let record = CallRecord {
        call_id,
        requester: requester.peer_id().to_bytes(),
        issued_at: now,
        expires_at,
        region: request.region.clone(),
        theme,
        expertise: request.expertise.clone(),
        variant: request.variant,
        start_month: format!("{y:04}-{m:02}"),
    };
    let body = postcard::to_allocvec(&record).map_err(|e| CallError::Malformed(e.to_string()))?;
    let bytes = seal_envelope(requester.signing_key(), RecordKind::Call, &body)?;
    verify_call(&bytes, now)
}

/// Checks a call received by gossip.
pub fn verify_call(bytes: &[u8], now: UnixTime) -> Result<SignedCall, CallError> {
    if bytes.len() > MAX_CALL_BYTES {
        return Err(CallError::TooLarge(bytes.len()));
    }
    let (env, record): (_, CallRecord) = open_record(bytes, RecordKind::Call)?;
    if record.requester != peer_id_bytes_of(&env.signer) {
        return Err(CallError::WrongSigner);
    }
    if record.expires_at <= now {
        return Err(CallError::Validity("expired"));
    }
    if record.issued_at > now.plus_secs(MAX_CLOCK_SKEW_SECS) {
        return Err(CallError::Validity("dated in the future"));
    }
    if record.expires_at.0.saturating_sub(record.issued_at.0) > MAX_CALL_SECS {
        return Err(CallError::Validity("open for more than 60 days"));
    }
    if record.region.as_ref().is_some_and(|r| r.chars().count() > 64 || r.chars().any(char::is_control)) {
        return Err(CallError::Malformed("region".into()));
    }
    if record.expertise.len() > 24 || record.expertise.iter().any(|t| check_tag(t).is_err()) {
        return Err(CallError::Malformed("expertise".into()));
    }
    let month = record.start_month.as_bytes();
    if month.len() != 7 || month[4] != b'-' || !month.iter().enumerate().all(|(i, b)| i == 4 || b.is_ascii_digit()) {
        return Err(CallError::Malformed("start month".into()));
    }
    let requester = PeerId::from_bytes(&record.requester).map_err(|e| CallError::Malformed(e.to_string()))?;
    Ok(SignedCall { record, requester, bytes: bytes.to_vec() })
}

/// A reviewer's signed interest in a call.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InterestRecord {
    /// The call.
    pub call_id: Id16,
    /// The reviewer (signer).
    #[serde(with = "serde_bytes")]
    pub reviewer: Vec<u8>,
    /// The requester it is for.
    #[serde(with = "serde_bytes")]
    pub requester: Vec<u8>,
    /// When.
    pub at: UnixTime,
}

/// The reviewer signs an interest in `call`.
pub fn make_interest(reviewer: &Identity, call: &CallRecord, now: UnixTime) -> Result<Vec<u8>, CallError> {
    let record = InterestRecord {
        call_id: call.call_id,
        reviewer: reviewer.peer_id().to_bytes(),
        requester: call.requester.clone(),
        at: now,
    };
    let body = postcard::to_allocvec(&record).map_err(|e| CallError::Malformed(e.to_string()))?;
    Ok(seal_envelope(reviewer.signing_key(), RecordKind::Interest, &body)?)
}

/// The requester checks an interest: signed by the reviewer it names, for `me`.
pub fn receive_interest(bytes: &[u8], me: &PeerId) -> Result<(InterestRecord, PeerId), CallError> {
    if bytes.len() > MAX_CALL_BYTES {
        return Err(CallError::TooLarge(bytes.len()));
    }
    let (env, record): (_, InterestRecord) = open_record(bytes, RecordKind::Interest)?;
    if record.reviewer != peer_id_bytes_of(&env.signer) {
        return Err(CallError::WrongSigner);
    }
    if record.requester != me.to_bytes() {
        return Err(CallError::NotForUs);
    }
    let reviewer = PeerId::from_bytes(&record.reviewer).map_err(|e| CallError::Malformed(e.to_string()))?;
    Ok((record, reviewer))
}

impl From<RecordError> for CallError {
    fn from(e: RecordError) -> Self {
        match e {
            RecordError::Envelope(e) => CallError::Envelope(e),
            RecordError::Malformed(m) => CallError::Malformed(m),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::referrals::request::{InvolvedOrganisation, OrganisationKind};

    #[test]
    fn a_call_says_nothing_about_the_case() {
        let requester = Identity::from_secrets([1; 32], [2; 32]);
        let reviewer = Identity::from_secrets([3; 32], [4; 32]);
        let t = UnixTime(1_795_305_600);
        let request = ReviewRequest {
            reason: "canary-reason".into(),
            learning_question: "canary-question".into(),
            period_from: "2024-01-01".parse().unwrap(),
            period_until: "2025-01-01".parse().unwrap(),
            organisations: vec![InvolvedOrganisation { name: "canary-org".into(), kind: OrganisationKind::Police }],
            municipality: "canary-municipality".into(),
            inspectorate: "canary".into(),
            context: "canary".into(),
            available_information: "canary".into(),
            family_involvement: "canary".into(),
            privacy: "canary".into(),
            desired_start: "2027-03-15".parse().unwrap(),
            desired_end: "2027-09-01".parse().unwrap(),
            contact: "canary".into(),
            costs: "canary".into(),
            budget_hours: 10,
            expected_result: "canary".into(),
            report_addressee: "canary".into(),
            expertise: vec!["ggz".into()],
            region: Some("Utrecht".into()),
            language: "nl".into(),
            variant: ReviewVariant::Themed,
            reviewers: 2,
        };
        let call = make_call(&requester, &request, Some(ReviewTheme::ChainCooperation), t, t.plus_secs(3600), [7; 16])
            .unwrap();
        assert!(!call.bytes.windows(6).any(|w| w == b"canary"));
        assert_eq!(call.record.start_month, "2027-03");
        assert_eq!(verify_call(&call.bytes, t).unwrap(), call);
        assert_eq!(verify_call(&call.bytes, t.plus_secs(3600)).unwrap_err(), CallError::Validity("expired"));
        let mut bad = call.bytes.clone();
        let last = bad.len() - 1;
        bad[last] ^= 1;
        assert!(verify_call(&bad, t).is_err());

        let interest = make_interest(&reviewer, &call.record, t).unwrap();
        let (record, who) = receive_interest(&interest, &requester.peer_id()).unwrap();
        assert_eq!((record.call_id, who), ([7; 16], reviewer.peer_id()));
        assert_eq!(receive_interest(&interest, &reviewer.peer_id()).unwrap_err(), CallError::NotForUs);
    }
}
