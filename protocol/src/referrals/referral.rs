//! Referrals: a request, sealed to one reviewer and signed by its requester, and the reviewer's answer.
//!
//! A [`SignedReferral`] carries the full [`ReviewRequest`] as a sealed box (see [`crate::records::sealed`]) that only
//! the addressed reviewer can open; everything outside the box (ids, parties, dates) is what relays and
//! storage may see. The associated data of the box binds the referral id, request id and both parties, so a
//! box cannot be moved into another referral. The reviewer answers with an [`Answer`] (accept, with a
//! declaration of conflicts or none, or decline with a reason); its signed wire form, with the free text
//! sealed to the requester, comes with the node's referral protocol. [`ReferralState`] is the state machine
//! both sides run: offered, then exactly one of accepted, declined, expired or withdrawn.

use serde::{Deserialize, Serialize};
use x25519_dalek::StaticSecret;

use crate::records::envelope::{EnvelopeError, RecordError, RecordKind, open_record, seal_envelope};
use crate::records::identity::{Identity, PeerId, peer_id_bytes_of};
use crate::records::sealed::{self, SealError};
use crate::records::time::UnixTime;
use crate::referrals::request::ReviewRequest;

/// The largest referral envelope accepted (a request is at most a few tens of KiB).
pub const MAX_REFERRAL_BYTES: usize = 60 * 1024;

/// Random ids for requests and referrals (16 bytes, shown as hex).
pub type Id16 = [u8; 16];

/// The signed, public part of a referral.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReferralRecord {
    /// Unique per referral (one request referred to one reviewer).
    pub referral_id: Id16,
    /// The request referred.
    pub request_id: Id16,
    /// Who refers (PeerId bytes); must be the signer.
    #[serde(with = "serde_bytes")]
    pub requester: Vec<u8>,
    /// The requester's X25519 key, for sealing the answer (requesters need not publish a profile).
    pub requester_key: [u8; 32],
    /// To whom (PeerId bytes).
    #[serde(with = "serde_bytes")]
    pub reviewer: Vec<u8>,
    /// When referred.
    pub issued_at: UnixTime,
    /// Last moment to answer; afterwards the referral expires.
    pub respond_by: UnixTime,
    /// The request, postcard-encoded and sealed to the reviewer's X25519 key.
    #[serde(with = "serde_bytes")]
    pub sealed_request: Vec<u8>,
}

/// Why a referral is refused. Each is logged with the sender and nothing is stored.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ReferralError {
    /// Larger than [`MAX_REFERRAL_BYTES`].
    #[error("referral is {0} bytes, over the limit")]
    TooLarge(usize),
    /// No valid signature, or malformed envelope.
    #[error("{0}")]
    Envelope(#[from] EnvelopeError),
    /// The body does not decode.
    #[error("referral does not decode: {0}")]
    Malformed(String),
    /// Signed by someone other than the party (requester, or reviewer for answers) it names.
    #[error("the message claims a requester or reviewer other than its signer")]
    NotSignedByRequester,
    /// Addressed to another reviewer.
    #[error("referral is addressed to another reviewer")]
    NotForUs,
    /// The sealed request does not open with our key (or was moved from another referral).
    #[error("the sealed request does not open: {0}")]
    Seal(#[from] SealError),
    /// The request inside is not a valid request.
    #[error("the request inside is invalid: {0}")]
    BadRequest(String),
    /// Answer-by lies before issue.
    #[error("respond-by is before the referral was issued")]
    BadDates,
    /// A referral id seen before (replay).
    #[error("referral {0} was received before (replay)")]
    Replayed(String),
}

fn aad(referral_id: &Id16, request_id: &Id16, requester: &[u8], reviewer: &[u8]) -> Vec<u8> {
    let mut a = b"samenloop referral v1".to_vec();
    a.extend_from_slice(referral_id);
    a.extend_from_slice(request_id);
    a.extend_from_slice(requester);
    a.extend_from_slice(reviewer);
    a
}

/// A referral as received and checked by its reviewer: the record plus the opened request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OpenedReferral {
    /// The signed record (with the request still sealed, as it is stored).
    pub record: ReferralRecord,
    /// The requester.
    pub requester: PeerId,
    /// The request, decrypted (keep only in memory or re-encrypted at rest).
    pub request: ReviewRequest,
    /// The exact envelope bytes.
    pub bytes: Vec<u8>,
}

/// Builds a signed referral of `request` from `requester` to `reviewer`, sealed to `reviewer_key`.
/// `randomness` must be 16 + 32 + 24 fresh random bytes (referral id, ephemeral key, nonce).
#[allow(clippy::too_many_arguments)]
pub fn refer(
    requester: &Identity,
    request_id: Id16,
    request: &ReviewRequest,
    reviewer: &PeerId,
    reviewer_key: &[u8; 32],
    now: UnixTime,
    respond_by: UnixTime,
    randomness: [u8; 72],
) -> Result<Vec<u8>, ReferralError> {
    if respond_by <= now {
        return Err(ReferralError::BadDates);
    }
    let mut referral_id = [0u8; 16];
    referral_id.copy_from_slice(&randomness[..16]);
    let mut eph = [0u8; 32];
    eph.copy_from_slice(&randomness[16..48]);
    let mut nonce = [0u8; 24];
    nonce.copy_from_slice(&randomness[48..72]);
    let requester_bytes = requester.peer_id().to_bytes();
    let reviewer_bytes = reviewer.to_bytes();
    let plain =
        zeroize::Zeroizing::new(postcard::to_allocvec(request).map_err(|e| ReferralError::Malformed(e.to_string()))?);
    let sealed_request = sealed::seal(
        reviewer_key,
        &plain,
        &aad(&referral_id, &request_id, &requester_bytes, &reviewer_bytes),
        eph,
        nonce,
    );
    let record = ReferralRecord {
        referral_id,
        request_id,
        requester: requester_bytes,
        requester_key: requester.encryption_public(),
        reviewer: reviewer_bytes,
        issued_at: now,
        respond_by,
        sealed_request,
    };
    let body = postcard::to_allocvec(&record).map_err(|e| ReferralError::Malformed(e.to_string()))?;
    let bytes = seal_envelope(requester.signing_key(), RecordKind::Referral, &body)?;
    if bytes.len() > MAX_REFERRAL_BYTES {
        return Err(ReferralError::TooLarge(bytes.len()));
    }
    Ok(bytes)
}

/// Checks a received referral: size, signature, signer = requester, addressed to `me`, the box opens with
/// `my_secret` under the bound ids, and the request inside is valid. Replay is the caller's check (it needs
/// the node's memory of referral ids); see [`ReferralError::Replayed`].
pub fn receive(bytes: &[u8], me: &PeerId, my_secret: &StaticSecret) -> Result<OpenedReferral, ReferralError> {
    if bytes.len() > MAX_REFERRAL_BYTES {
        return Err(ReferralError::TooLarge(bytes.len()));
    }
    let (env, record): (_, ReferralRecord) = open_record(bytes, RecordKind::Referral)?;
    if record.requester != peer_id_bytes_of(&env.signer) {
        return Err(ReferralError::NotSignedByRequester);
    }
    if record.reviewer != me.to_bytes() {
        return Err(ReferralError::NotForUs);
    }
    if record.respond_by <= record.issued_at {
        return Err(ReferralError::BadDates);
    }
    let requester = PeerId::from_bytes(&record.requester).map_err(|e| ReferralError::Malformed(e.to_string()))?;
    let plain = sealed::open(
        my_secret,
        &record.sealed_request,
        &aad(&record.referral_id, &record.request_id, &record.requester, &record.reviewer),
    )?;
    let request: ReviewRequest = postcard::from_bytes(&plain).map_err(|e| ReferralError::Malformed(e.to_string()))?;
    if let Err(problems) = request.validate() {
        let text: Vec<String> = problems.iter().map(ToString::to_string).collect();
        return Err(ReferralError::BadRequest(text.join("; ")));
    }
    Ok(OpenedReferral { record, requester, request, bytes: bytes.to_vec() })
}

/// The signed body of a reviewer's answer. The answer itself (which may name a conflict) is sealed to the
/// requester.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AnswerRecord {
    /// The referral answered.
    pub referral_id: Id16,
    /// Its request.
    pub request_id: Id16,
    /// The reviewer (signer).
    #[serde(with = "serde_bytes")]
    pub reviewer: Vec<u8>,
    /// The requester.
    #[serde(with = "serde_bytes")]
    pub requester: Vec<u8>,
    /// When answered.
    pub answered_at: UnixTime,
    /// postcard([`Answer`]) sealed to the requester's key from the referral.
    #[serde(with = "serde_bytes")]
    pub sealed_answer: Vec<u8>,
}

/// The signed body of a withdrawal by the requester.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WithdrawalRecord {
    /// The referral withdrawn.
    pub referral_id: Id16,
    /// Its request.
    pub request_id: Id16,
    /// The requester (signer).
    #[serde(with = "serde_bytes")]
    pub requester: Vec<u8>,
    /// The reviewer.
    #[serde(with = "serde_bytes")]
    pub reviewer: Vec<u8>,
    /// When withdrawn.
    pub at: UnixTime,
}

fn answer_aad(r: &AnswerRecord) -> Vec<u8> {
    let mut a = b"samenloop answer v1".to_vec();
    a.extend_from_slice(&r.referral_id);
    a.extend_from_slice(&r.request_id);
    a.extend_from_slice(&r.requester);
    a.extend_from_slice(&r.reviewer);
    a.extend_from_slice(&r.answered_at.0.to_le_bytes());
    a
}

/// The longest decline reason or conflict declaration accepted, in characters.
pub const MAX_ANSWER_TEXT: usize = 2000;

impl Answer {
    /// Checks the free text: not too long, no control characters but newlines.
    pub fn validate(&self) -> Result<(), String> {
        let text = match self {
            Answer::Accept { conflict: None } => return Ok(()),
            Answer::Accept { conflict: Some(t) } => t,
            Answer::Decline { reason } => reason,
        };
        if text.trim().is_empty() {
            return Err("the text is empty".into());
        }
        if text.chars().count() > MAX_ANSWER_TEXT {
            return Err(format!("the text is longer than {MAX_ANSWER_TEXT} characters"));
        }
        if text.chars().any(|c| c.is_control() && c != '\n') {
            return Err("the text contains control characters".into());
        }
        Ok(())
    }
}

/// The reviewer signs an answer to `referral` (as received), sealing it to the requester.
/// `randomness`: 32 + 24 fresh random bytes.
pub fn make_answer(
    reviewer: &Identity,
    referral: &ReferralRecord,
    answer: &Answer,
    now: UnixTime,
    randomness: [u8; 56],
) -> Result<Vec<u8>, ReferralError> {
    answer.validate().map_err(ReferralError::Malformed)?;
    let mut record = AnswerRecord {
        referral_id: referral.referral_id,
        request_id: referral.request_id,
        reviewer: reviewer.peer_id().to_bytes(),
        requester: referral.requester.clone(),
        answered_at: now,
        sealed_answer: Vec::new(),
    };
    let mut eph = [0u8; 32];
    eph.copy_from_slice(&randomness[..32]);
    let mut nonce = [0u8; 24];
    nonce.copy_from_slice(&randomness[32..]);
    let plain = postcard::to_allocvec(answer).map_err(|e| ReferralError::Malformed(e.to_string()))?;
    record.sealed_answer = sealed::seal(&referral.requester_key, &plain, &answer_aad(&record), eph, nonce);
    let body = postcard::to_allocvec(&record).map_err(|e| ReferralError::Malformed(e.to_string()))?;
    Ok(seal_envelope(reviewer.signing_key(), RecordKind::Answer, &body)?)
}

/// The requester checks and opens an answer: signed by the reviewer it names, addressed to `me`.
pub fn receive_answer(
    bytes: &[u8],
    me: &PeerId,
    my_secret: &StaticSecret,
) -> Result<(AnswerRecord, PeerId, Answer), ReferralError> {
    if bytes.len() > MAX_REFERRAL_BYTES {
        return Err(ReferralError::TooLarge(bytes.len()));
    }
    let (env, record): (_, AnswerRecord) = open_record(bytes, RecordKind::Answer)?;
    if record.reviewer != peer_id_bytes_of(&env.signer) {
        return Err(ReferralError::NotSignedByRequester);
    }
    if record.requester != me.to_bytes() {
        return Err(ReferralError::NotForUs);
    }
    let reviewer = PeerId::from_bytes(&record.reviewer).map_err(|e| ReferralError::Malformed(e.to_string()))?;
    let plain = sealed::open(my_secret, &record.sealed_answer, &answer_aad(&record))?;
    let answer: Answer = postcard::from_bytes(&plain).map_err(|e| ReferralError::Malformed(e.to_string()))?;
    answer.validate().map_err(ReferralError::Malformed)?;
    Ok((record, reviewer, answer))
}

/// The requester signs a withdrawal of a referral.
pub fn make_withdrawal(
    requester: &Identity,
    referral: &ReferralRecord,
    now: UnixTime,
) -> Result<Vec<u8>, ReferralError> {
    let record = WithdrawalRecord {
        referral_id: referral.referral_id,
        request_id: referral.request_id,
        requester: requester.peer_id().to_bytes(),
        reviewer: referral.reviewer.clone(),
        at: now,
    };
    let body = postcard::to_allocvec(&record).map_err(|e| ReferralError::Malformed(e.to_string()))?;
    Ok(seal_envelope(requester.signing_key(), RecordKind::Withdrawal, &body)?)
}

/// The reviewer checks a withdrawal: signed by the requester it names, addressed to `me`. The caller must
/// also check that this requester is the one of the stored referral.
pub fn receive_withdrawal(bytes: &[u8], me: &PeerId) -> Result<WithdrawalRecord, ReferralError> {
    if bytes.len() > MAX_REFERRAL_BYTES {
        return Err(ReferralError::TooLarge(bytes.len()));
    }
    let (env, record): (_, WithdrawalRecord) = open_record(bytes, RecordKind::Withdrawal)?;
    if record.requester != peer_id_bytes_of(&env.signer) {
        return Err(ReferralError::NotSignedByRequester);
    }
    if record.reviewer != me.to_bytes() {
        return Err(ReferralError::NotForUs);
    }
    Ok(record)
}

/// Decodes a stored referral envelope without the checks of [`receive`] (for records this node already
/// verified and stored).
pub fn decode_stored(bytes: &[u8]) -> Result<ReferralRecord, ReferralError> {
    Ok(open_record(bytes, RecordKind::Referral)?.1)
}

/// A reviewer's answer to a referral.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Answer {
    /// Accepted. `conflict` is a declared (possible) conflict of interest, for the requester to weigh;
    /// `None` is the declaration that there is none.
    Accept {
        /// The declared conflict, if any.
        conflict: Option<String>,
    },
    /// Declined, with a reason.
    Decline {
        /// Why.
        reason: String,
    },
}

/// Where a referral stands. Transitions: `Offered` to exactly one of the others, once.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "kebab-case")]
pub enum ReferralState {
    /// Sent (or pending delivery), not yet answered.
    Offered,
    /// The reviewer accepted.
    Accepted {
        /// Their declaration.
        conflict: Option<String>,
        /// When.
        at: UnixTime,
    },
    /// The reviewer declined.
    Declined {
        /// Their reason.
        reason: String,
        /// When.
        at: UnixTime,
    },
    /// Not answered by the respond-by date.
    Expired {
        /// The respond-by date that passed.
        at: UnixTime,
    },
    /// The requester withdrew it.
    Withdrawn {
        /// When.
        at: UnixTime,
    },
}

/// Why a state change is refused; each is a clear error for the person who tried it.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TransitionError {
    /// Answering after the respond-by date.
    #[error("the referral expired at {0}")]
    Expired(UnixTime),
    /// Answering or withdrawing a referral that was withdrawn.
    #[error("the referral was withdrawn")]
    Withdrawn,
    /// A second, different answer.
    #[error("the referral was already answered differently")]
    AlreadyAnswered,
    /// Withdrawing a referral that is no longer open.
    #[error("the referral is no longer open")]
    NotOpen,
}

impl ReferralState {
    /// Applies an answer given at `now`, for a referral due by `respond_by`. Repeating the same answer is
    /// accepted (idempotent: a retried message); a different second answer is refused.
    pub fn answer(
        &self,
        answer: &Answer,
        respond_by: UnixTime,
        now: UnixTime,
    ) -> Result<ReferralState, TransitionError> {
        match (self, answer) {
            (ReferralState::Offered, _) if now > respond_by => Err(TransitionError::Expired(respond_by)),
            (ReferralState::Offered, Answer::Accept { conflict }) => {
                Ok(ReferralState::Accepted { conflict: conflict.clone(), at: now })
            }
            (ReferralState::Offered, Answer::Decline { reason }) => {
                Ok(ReferralState::Declined { reason: reason.clone(), at: now })
            }
            (ReferralState::Accepted { conflict: c, .. }, Answer::Accept { conflict }) if c == conflict => {
                Ok(self.clone())
            }
            (ReferralState::Declined { reason: r, .. }, Answer::Decline { reason }) if r == reason => Ok(self.clone()),
            (ReferralState::Accepted { .. } | ReferralState::Declined { .. }, _) => {
                Err(TransitionError::AlreadyAnswered)
            }
            (ReferralState::Expired { at }, _) => Err(TransitionError::Expired(*at)),
            (ReferralState::Withdrawn { .. }, _) => Err(TransitionError::Withdrawn),
        }
    }

    /// The requester withdraws: only an open referral can be withdrawn.
    pub fn withdraw(&self, now: UnixTime) -> Result<ReferralState, TransitionError> {
        match self {
            ReferralState::Offered => Ok(ReferralState::Withdrawn { at: now }),
            _ => Err(TransitionError::NotOpen),
        }
    }

    /// Expires an open referral whose respond-by date has passed; other states are unchanged.
    pub fn expire_if_due(&self, respond_by: UnixTime, now: UnixTime) -> ReferralState {
        match self {
            ReferralState::Offered if now > respond_by => ReferralState::Expired { at: respond_by },
            other => other.clone(),
        }
    }
}

impl From<RecordError> for ReferralError {
    fn from(e: RecordError) -> Self {
        match e {
            RecordError::Envelope(e) => ReferralError::Envelope(e),
            RecordError::Malformed(m) => ReferralError::Malformed(m),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::records::envelope::open_envelope;
    use crate::referrals::request::{InvolvedOrganisation, OrganisationKind, ReviewVariant};

    const T: UnixTime = UnixTime(1_795_305_600);

    fn request(question: &str) -> ReviewRequest {
        ReviewRequest {
            reason: "Incident".into(),
            learning_question: question.into(),
            period_from: "2024-01-01".parse().unwrap(),
            period_until: "2025-12-31".parse().unwrap(),
            organisations: vec![InvolvedOrganisation { name: "GI".into(), kind: OrganisationKind::ChildProtection }],
            municipality: "Utrecht".into(),
            inspectorate: String::new(),
            context: String::new(),
            available_information: String::new(),
            family_involvement: String::new(),
            privacy: String::new(),
            desired_start: "2027-01-01".parse().unwrap(),
            desired_end: "2027-06-30".parse().unwrap(),
            contact: "c".into(),
            costs: String::new(),
            budget_hours: 100,
            expected_result: "r".into(),
            report_addressee: "a".into(),
            expertise: vec![],
            region: None,
            language: "nl".into(),
            variant: ReviewVariant::Full,
            reviewers: 2,
        }
    }

    fn rnd(n: u8) -> [u8; 72] {
        [n; 72]
    }

    #[test]
    fn only_the_addressed_reviewer_opens_it_and_the_canary_is_never_in_clear() {
        let requester = Identity::from_secrets([1; 32], [2; 32]);
        let reviewer = Identity::from_secrets([3; 32], [4; 32]);
        let other = Identity::from_secrets([5; 32], [6; 32]);
        let canary = "canary-7f3a9c-learning-question";
        let bytes = refer(
            &requester,
            [9; 16],
            &request(canary),
            &reviewer.peer_id(),
            &reviewer.encryption_public(),
            T,
            T.plus_secs(86_400),
            rnd(7),
        )
        .unwrap();
        assert!(!bytes.windows(canary.len()).any(|w| w == canary.as_bytes()), "canary in clear");
        let opened = receive(&bytes, &reviewer.peer_id(), reviewer.encryption_secret()).unwrap();
        assert_eq!(opened.request.learning_question, canary);
        assert_eq!(opened.requester, requester.peer_id());
        assert_eq!(receive(&bytes, &other.peer_id(), other.encryption_secret()).unwrap_err(), ReferralError::NotForUs);
    }

    #[test]
    fn forged_misdirected_and_malformed_referrals_are_refused() {
        let requester = Identity::from_secrets([1; 32], [2; 32]);
        let reviewer = Identity::from_secrets([3; 32], [4; 32]);
        let mallory = Identity::from_secrets([5; 32], [6; 32]);
        let good = refer(
            &requester,
            [9; 16],
            &request("q"),
            &reviewer.peer_id(),
            &reviewer.encryption_public(),
            T,
            T.plus_secs(60),
            rnd(1),
        )
        .unwrap();
        let env = open_envelope(&good, RecordKind::Referral).unwrap();
        let record: ReferralRecord = postcard::from_bytes(env.body).unwrap();

        // Signed by someone other than its claimed requester.
        let forged =
            seal_envelope(mallory.signing_key(), RecordKind::Referral, &postcard::to_allocvec(&record).unwrap())
                .unwrap();
        assert_eq!(
            receive(&forged, &reviewer.peer_id(), reviewer.encryption_secret()).unwrap_err(),
            ReferralError::NotSignedByRequester
        );

        // The sealed request moved into another referral (different id): the box does not open.
        let mut moved = record.clone();
        moved.referral_id = [8; 16];
        let moved =
            seal_envelope(requester.signing_key(), RecordKind::Referral, &postcard::to_allocvec(&moved).unwrap())
                .unwrap();
        assert!(matches!(
            receive(&moved, &reviewer.peer_id(), reviewer.encryption_secret()),
            Err(ReferralError::Seal(_))
        ));

        // Unsigned / tampered.
        let mut tampered = good.clone();
        let last = tampered.len() - 1;
        tampered[last] ^= 1;
        assert_eq!(
            receive(&tampered, &reviewer.peer_id(), reviewer.encryption_secret()).unwrap_err(),
            ReferralError::Envelope(EnvelopeError::BadSignature)
        );
        assert!(receive(b"\x01\x03garbage", &reviewer.peer_id(), reviewer.encryption_secret()).is_err());
        assert!(matches!(
            receive(&vec![0; MAX_REFERRAL_BYTES + 1], &reviewer.peer_id(), reviewer.encryption_secret()),
            Err(ReferralError::TooLarge(_))
        ));
    }

    #[test]
    fn the_state_machine_allows_one_answer() {
        let due = T.plus_secs(100);
        let offered = ReferralState::Offered;
        let yes = Answer::Accept { conflict: None };
        let no = Answer::Decline { reason: "no time".into() };
        let accepted = offered.answer(&yes, due, T).unwrap();
        assert_eq!(accepted.answer(&yes, due, T.plus_secs(1)), Ok(accepted.clone()), "a repeated answer is idempotent");
        assert_eq!(accepted.answer(&no, due, T), Err(TransitionError::AlreadyAnswered));
        assert_eq!(offered.answer(&yes, due, T.plus_secs(101)), Err(TransitionError::Expired(due)));
        let expired = offered.expire_if_due(due, T.plus_secs(101));
        assert_eq!(expired, ReferralState::Expired { at: due });
        assert_eq!(expired.answer(&yes, due, T), Err(TransitionError::Expired(due)));
        let withdrawn = offered.withdraw(T).unwrap();
        assert_eq!(withdrawn.answer(&no, due, T), Err(TransitionError::Withdrawn));
        assert_eq!(accepted.withdraw(T), Err(TransitionError::NotOpen));
    }

    #[test]
    fn answers_and_withdrawals_round_trip_and_are_bound() {
        let requester = Identity::from_secrets([1; 32], [2; 32]);
        let reviewer = Identity::from_secrets([3; 32], [4; 32]);
        let mallory = Identity::from_secrets([5; 32], [6; 32]);
        let bytes = refer(
            &requester,
            [9; 16],
            &request("q"),
            &reviewer.peer_id(),
            &reviewer.encryption_public(),
            T,
            T.plus_secs(60),
            rnd(1),
        )
        .unwrap();
        let opened = receive(&bytes, &reviewer.peer_id(), reviewer.encryption_secret()).unwrap();
        let conflict = Answer::Accept { conflict: Some("I trained staff of GI in 2023".into()) };
        let answer = make_answer(&reviewer, &opened.record, &conflict, T, [3; 56]).unwrap();
        assert!(!answer.windows(10).any(|w| w == b"trained st"), "the declaration travels sealed");
        let (record, who, got) = receive_answer(&answer, &requester.peer_id(), requester.encryption_secret()).unwrap();
        assert_eq!((record.referral_id, who, got), ([1; 16], reviewer.peer_id(), conflict));
        assert_eq!(
            receive_answer(&answer, &mallory.peer_id(), mallory.encryption_secret()).unwrap_err(),
            ReferralError::NotForUs
        );
        let w = make_withdrawal(&requester, &opened.record, T).unwrap();
        assert_eq!(receive_withdrawal(&w, &reviewer.peer_id()).unwrap().referral_id, [1; 16]);
        assert_eq!(receive_withdrawal(&w, &mallory.peer_id()).unwrap_err(), ReferralError::NotForUs);
        // Naming the real requester but signed by someone else.
        let record = receive_withdrawal(&w, &reviewer.peer_id()).unwrap();
        let forged =
            seal_envelope(mallory.signing_key(), RecordKind::Withdrawal, &postcard::to_allocvec(&record).unwrap())
                .unwrap();
        assert_eq!(receive_withdrawal(&forged, &reviewer.peer_id()).unwrap_err(), ReferralError::NotSignedByRequester);
    }
}

/// A message of the direct referral exchange (`/samenloop/referral/1`, CBOR): one signed envelope.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ReferralMessage {
    /// A [`refer`] envelope, requester to reviewer.
    Referral(serde_bytes::ByteBuf),
    /// A [`make_answer`] envelope, reviewer to requester.
    Answer(serde_bytes::ByteBuf),
    /// A [`make_withdrawal`] envelope, requester to reviewer.
    Withdrawal(serde_bytes::ByteBuf),
    /// A [`crate::referrals::call::make_interest`] envelope, reviewer to requester.
    Interest(serde_bytes::ByteBuf),
}

/// The receiving node's reply: stored (or already held: delivery is idempotent), or refused with a reason.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ReferralReply {
    /// Stored, or already held identically.
    Stored,
    /// Refused; the reason is for the sender's log and history.
    Refused(String),
}
