//! Review requests and referrals as this node keeps them: the requester's requests with their referrals
//! and history, and the referrals a reviewer received. These records are confidential: they are stored
//! sealed with the node's [`crate::vault::Vault`] and shown only through the local API.

use samenloop_protocol::referrals::history::{self, HistoryEntry};
use samenloop_protocol::referrals::referral::ReferralState;
use samenloop_protocol::{Identity, ReviewRequest, UnixTime};
use serde::{Deserialize, Serialize};

/// One referral of a request, as the requester tracks it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutgoingReferral {
    /// Referral id (hex).
    pub referral_id: String,
    /// The reviewer.
    pub reviewer: String,
    /// Their name, as in the directory when referred.
    pub reviewer_name: String,
    /// When referred.
    pub issued_at: UnixTime,
    /// Answer due by.
    pub respond_by: UnixTime,
    /// Where it stands.
    pub state: ReferralState,
    /// Whether the reviewer's node has it.
    pub delivered: bool,
    /// Whether it waits, sealed, at one of the reviewer's mailboxes (while their node is away); direct
    /// delivery is still tried.
    #[serde(default)]
    pub at_mailbox: bool,
    /// The signed envelope (hex), kept for retries; empty in API views.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub envelope: String,
    /// A signed withdrawal (hex) still to deliver.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub withdrawal: Option<String>,
}

/// A request made by this node.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestRecord {
    /// Request id (hex).
    pub id: String,
    /// When created.
    pub created_at: UnixTime,
    /// The request.
    pub request: ReviewRequest,
    /// Its referrals, in the order made.
    pub referrals: Vec<OutgoingReferral>,
    /// Every state change, signed by this node and hash-chained.
    pub history: Vec<HistoryEntry>,
    /// The anonymised call posted for this request, if any (hex id).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub call_id: Option<String>,
    /// Reviewers who answered the call.
    #[serde(default)]
    pub interested: Vec<String>,
}

impl RequestRecord {
    /// Appends a signed, hash-chained history entry (see `samenloop_protocol::referrals::history`).
    pub fn log(
        &mut self,
        identity: &Identity,
        at: UnixTime,
        event: &str,
        reviewer: Option<String>,
        detail: Option<String>,
    ) {
        history::append(identity, &self.id, &mut self.history, at, event, reviewer, detail);
    }

    /// The record as shown by the API: without the envelopes kept for retries.
    pub fn view(&self) -> RequestRecord {
        let mut v = self.clone();
        for r in &mut v.referrals {
            r.envelope.clear();
            r.withdrawal = None;
        }
        v
    }
}

/// A referral this node received as a reviewer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReceivedReferral {
    /// Referral id (hex).
    pub referral_id: String,
    /// Request id (hex).
    pub request_id: String,
    /// The requester.
    pub requester: String,
    /// When it arrived.
    pub received_at: UnixTime,
    /// Answer due by.
    pub respond_by: UnixTime,
    /// Where it stands.
    pub state: ReferralState,
    /// The signed envelope as received (hex; the request inside stays sealed to our key); empty in views.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub envelope: String,
    /// Our signed answer (hex) and whether the requester has it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub answer: Option<String>,
    /// Whether the answer reached the requester.
    #[serde(default)]
    pub answer_delivered: bool,
}

impl ReceivedReferral {
    /// The record as shown by the API.
    pub fn view(&self) -> ReceivedReferral {
        let mut v = self.clone();
        v.envelope.clear();
        v.answer = None;
        v
    }
}

/// A received referral with its request opened, for `referral show`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReferralView {
    /// The referral.
    pub referral: ReceivedReferral,
    /// The request, decrypted for this reviewer.
    pub request: ReviewRequest,
}

/// An anonymised call for reviewers, as listed by `call list`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallView {
    /// Call id (hex).
    pub call_id: String,
    /// The requester.
    pub requester: String,
    /// The call itself.
    pub region: Option<String>,
    /// Theme.
    pub theme: Option<samenloop_protocol::referrals::call::ReviewTheme>,
    /// Expertise wanted.
    pub expertise: Vec<String>,
    /// Variant.
    pub variant: samenloop_protocol::ReviewVariant,
    /// Start month.
    pub start_month: String,
    /// Closes at.
    pub expires_at: UnixTime,
    /// Whether this node expressed interest.
    pub interested: bool,
}

/// An interest this reviewer sent, kept until the requester's node has it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SentInterest {
    /// Call id (hex).
    pub call_id: String,
    /// The requester.
    pub requester: String,
    /// The signed interest (hex).
    pub envelope: String,
    /// Whether the requester's node has it.
    pub delivered: bool,
}
