//! The referral side of the event loop: requests, matching, referring, answering, and reliable delivery.
//!
//! Delivery is at-least-once and idempotent: every referral, answer and withdrawal is persisted before it
//! is sent, resent whenever its peer connects (and the peer is dialled with backoff while it is away), and
//! marked delivered only when the peer's node replies that it stored it. Receivers treat an identical
//! repeat as success, so retries are harmless; a different message under a known id is refused as a replay.

use std::time::{Duration, Instant};

use libp2p::request_response::{self, OutboundRequestId};
use libp2p::swarm::dial_opts::DialOpts;
use samenloop_protocol::referrals::referral::{
    self, Answer, ReferralError, ReferralMessage, ReferralReply, ReferralState, TransitionError,
};
use samenloop_protocol::{
    MatchContext, MatchResult, PeerId, PriorOutcome, ReviewRequest, UnixTime, accreditation_status, match_reviewers,
};
use tracing::{debug, info, warn};

use crate::error::NodeError;
use crate::keystore::random_bytes;
use crate::network::event_loop::{EventLoop, now};
use crate::referrals::records::{
    CallView, OutgoingReferral, ReceivedReferral, ReferralView, RequestRecord, SentInterest,
};
use crate::store::Confidential;
use samenloop_protocol::referrals::call::{self, SignedCall};

/// Default time a reviewer has to answer.
const DEFAULT_RESPOND_SECS: u64 = 7 * 24 * 3600;
/// How long an anonymised call stays open.
const CALL_OPEN_SECS: u64 = 30 * 24 * 3600;
/// How far back referrals count for fairness.
const FAIRNESS_WINDOW_SECS: u64 = 180 * 24 * 3600;

/// What an in-flight referral message is, to record its delivery.
pub(crate) enum Delivery {
    #[cfg(feature = "test-support")]
    Raw(crate::network::client::Reply<String>),
    Interest {
        call_id: String,
    },
    Referral {
        request_id: String,
        referral_id: String,
    },
    Withdrawal {
        request_id: String,
        referral_id: String,
    },
    Answer {
        referral_id: String,
    },
}

impl Delivery {
    /// The key under which a message is known to be in flight (so it is not sent twice at once).
    fn key(&self) -> Option<String> {
        match self {
            #[cfg(feature = "test-support")]
            Delivery::Raw(_) => None,
            Delivery::Interest { call_id } => Some(format!("interest:{call_id}")),
            Delivery::Referral { referral_id, .. } => Some(format!("referral:{referral_id}")),
            Delivery::Withdrawal { referral_id, .. } => Some(format!("withdrawal:{referral_id}")),
            Delivery::Answer { referral_id } => Some(format!("answer:{referral_id}")),
        }
    }

    /// The message that carries `envelope` for this kind of delivery.
    fn message(&self, envelope: Vec<u8>) -> Option<ReferralMessage> {
        let bytes = envelope.into();
        match self {
            #[cfg(feature = "test-support")]
            Delivery::Raw(_) => None,
            Delivery::Interest { .. } => Some(ReferralMessage::Interest(bytes)),
            Delivery::Referral { .. } => Some(ReferralMessage::Referral(bytes)),
            Delivery::Withdrawal { .. } => Some(ReferralMessage::Withdrawal(bytes)),
            Delivery::Answer { .. } => Some(ReferralMessage::Answer(bytes)),
        }
    }
}

fn bad(message: impl Into<String>) -> NodeError {
    NodeError::BadRequest(message.into())
}

fn parse_peer(s: &str) -> Option<PeerId> {
    s.parse().ok()
}

fn outcome(state: &ReferralState) -> PriorOutcome {
    match state {
        ReferralState::Offered => PriorOutcome::Offered,
        ReferralState::Accepted { .. } => PriorOutcome::Accepted,
        ReferralState::Declined { .. } => PriorOutcome::Declined,
        ReferralState::Expired { .. } => PriorOutcome::Expired,
        ReferralState::Withdrawn { .. } => PriorOutcome::Withdrawn,
    }
}

impl EventLoop {
    fn persist_request(&self, id: &str) -> Result<(), NodeError> {
        let Some(record) = self.requests.get(id) else { return Ok(()) };
        self.store
            .put_confidential(&self.vault, Confidential::Requests, id.as_bytes(), record)
            .map_err(|e| NodeError::Storage(e.to_string()))
    }

    fn persist_received(&self, id: &str) -> Result<(), NodeError> {
        let Some(record) = self.received.get(id) else { return Ok(()) };
        self.store
            .put_confidential(&self.vault, Confidential::Referrals, id.as_bytes(), record)
            .map_err(|e| NodeError::Storage(e.to_string()))
    }

    fn request_mut(&mut self, id: &str) -> Result<&mut RequestRecord, NodeError> {
        self.requests.get_mut(id).ok_or_else(|| NodeError::NotFound(format!("no request {id} on this node")))
    }

    // ---- requester ------------------------------------------------------------------------------

    pub(crate) fn create_request(&mut self, request: ReviewRequest) -> Result<RequestRecord, NodeError> {
        request.validate().map_err(NodeError::InvalidProfile)?;
        let id = hex::encode(random_bytes::<16>());
        let mut record = RequestRecord {
            id: id.clone(),
            created_at: now(),
            request,
            referrals: Vec::new(),
            history: Vec::new(),
            call_id: None,
            interested: Vec::new(),
        };
        record.log(&self.identity, now(), "created", None, None);
        self.requests.insert(id.clone(), record);
        self.persist_request(&id)?;
        Ok(self.requests[&id].view())
    }

    pub(crate) fn request_view(&self, id: &str) -> Result<RequestRecord, NodeError> {
        self.requests
            .get(id)
            .map(RequestRecord::view)
            .ok_or_else(|| NodeError::NotFound(format!("no request {id} on this node")))
    }

    pub(crate) fn request_list(&self) -> Vec<RequestRecord> {
        self.requests.values().map(RequestRecord::view).collect()
    }

    pub(crate) fn match_request(&self, id: &str) -> Result<MatchResult, NodeError> {
        let record =
            self.requests.get(id).ok_or_else(|| NodeError::NotFound(format!("no request {id} on this node")))?;
        let now = now();
        let mut context = MatchContext { requester: Some(self.identity.peer_id()), ..MatchContext::default() };
        for r in &record.referrals {
            if let Some(peer) = parse_peer(&r.reviewer) {
                context.prior.insert(peer, outcome(&r.state));
            }
        }
        context.interested = record.interested.iter().filter_map(|p| parse_peer(p)).collect();
        for other in self.requests.values() {
            for r in &other.referrals {
                if now.0.saturating_sub(r.issued_at.0) < FAIRNESS_WINDOW_SECS
                    && let Some(peer) = parse_peer(&r.reviewer)
                {
                    *context.recent_referrals.entry(peer).or_default() += 1;
                }
            }
        }
        let dir = &self.directory;
        let trusted = &self.trusted;
        let status = |p: &samenloop_protocol::SignedProfile| {
            accreditation_status(
                p.peer(),
                p.profile().accreditation,
                p.attestation(),
                trusted,
                |a| dir.get(a).map(|x| x.profile().accreditation),
                now,
            )
        };
        Ok(match_reviewers(&record.request, &self.directory, &context, status, now))
    }

    /// Refers request `id` to `to` (or the proposed pair, or the next candidate).
    pub(crate) fn refer(
        &mut self,
        id: &str,
        mut to: Vec<PeerId>,
        pair: bool,
        next: bool,
        respond_by: Option<UnixTime>,
    ) -> Result<RequestRecord, NodeError> {
        if pair || next {
            let matched = self.match_request(id)?;
            if pair {
                let ids =
                    matched.pair.and_then(|p| p.ids).ok_or_else(|| bad("no pair can be proposed for this request"))?;
                to.extend(ids);
            }
            if next {
                let first = matched.candidates.first().ok_or_else(|| bad("no further candidate for this request"))?;
                to.push(first.peer);
            }
        }
        if to.is_empty() {
            return Err(bad("name at least one reviewer (--to PEER), or use --pair or --next"));
        }
        let now = now();
        let respond_by = respond_by.unwrap_or(now.plus_secs(DEFAULT_RESPOND_SECS));
        if respond_by <= now {
            return Err(bad(format!("respond-by {respond_by} is in the past")));
        }
        let request = self.request_mut(id)?.request.clone();
        let mut made = Vec::new();
        for peer in &to {
            if *peer == self.identity.peer_id() {
                return Err(bad("a request cannot be referred to its own requester"));
            }
            let record = self.requests.get(id).ok_or_else(|| NodeError::NotFound(id.to_string()))?;
            if record.referrals.iter().any(|r| r.reviewer == peer.to_string() && r.state == ReferralState::Offered) {
                return Err(bad(format!("{peer} already has an open referral for this request")));
            }
            let profile = self
                .directory
                .get(peer)
                .ok_or_else(|| NodeError::NotFound(format!("{peer} is not in the directory: their key is unknown")))?;
            let mut request_id = [0u8; 16];
            hex::decode_to_slice(id, &mut request_id).map_err(|_| bad("malformed request id"))?;
            let envelope = referral::refer(
                &self.identity,
                request_id,
                &request,
                peer,
                &profile.record().encryption_key,
                now,
                respond_by,
                random_bytes::<72>(),
            )
            .map_err(|e| bad(e.to_string()))?;
            let referral_id =
                hex::encode(referral::decode_stored(&envelope).map_err(|e| bad(e.to_string()))?.referral_id);
            made.push((
                *peer,
                OutgoingReferral {
                    referral_id,
                    reviewer: peer.to_string(),
                    reviewer_name: profile.profile().name.clone(),
                    issued_at: now,
                    respond_by,
                    state: ReferralState::Offered,
                    delivered: false,
                    at_mailbox: false,
                    envelope: hex::encode(envelope),
                    withdrawal: None,
                },
            ));
        }
        let record =
            self.requests.get_mut(id).ok_or_else(|| NodeError::NotFound(format!("no request {id} on this node")))?;
        for (peer, r) in &made {
            record.log(
                &self.identity,
                now,
                "offered",
                Some(peer.to_string()),
                Some(format!("respond by {}", r.respond_by)),
            );
        }
        record.referrals.extend(made.iter().map(|(_, r)| r.clone()));
        self.persist_request(id)?;
        for (peer, _) in made {
            self.flush_deliveries(peer);
        }
        self.request_view(id)
    }

    pub(crate) fn withdraw(&mut self, id: &str) -> Result<RequestRecord, NodeError> {
        let now = now();
        let mut withdrawn = Vec::new();
        {
            let record =
                self.requests.get(id).ok_or_else(|| NodeError::NotFound(format!("no request {id} on this node")))?;
            for (i, r) in record.referrals.iter().enumerate() {
                if r.state == ReferralState::Offered {
                    let bytes = hex::decode(&r.envelope)
                        .map_err(|_| NodeError::Storage("stored referral is not hex".into()))?;
                    let stored = referral::decode_stored(&bytes).map_err(|e| NodeError::Storage(e.to_string()))?;
                    let w = referral::make_withdrawal(&self.identity, &stored, now).map_err(|e| bad(e.to_string()))?;
                    withdrawn.push((i, w));
                }
            }
        }
        if withdrawn.is_empty() {
            return Err(bad("this request has no open referrals to withdraw"));
        }
        let record =
            self.requests.get_mut(id).ok_or_else(|| NodeError::NotFound(format!("no request {id} on this node")))?;
        let mut peers = Vec::new();
        for (i, w) in withdrawn {
            let r = &mut record.referrals[i];
            r.state = ReferralState::Withdrawn { at: now };
            r.withdrawal = Some(hex::encode(w));
            let reviewer = r.reviewer.clone();
            record.log(&self.identity, now, "withdrawn", Some(reviewer.clone()), None);
            peers.extend(parse_peer(&reviewer));
        }
        self.persist_request(id)?;
        for p in peers {
            self.flush_deliveries(p);
        }
        self.request_view(id)
    }

    // ---- reviewer -------------------------------------------------------------------------------

    pub(crate) fn referral_list(&self) -> Vec<ReceivedReferral> {
        self.received.values().map(ReceivedReferral::view).collect()
    }

    pub(crate) fn referral_view(&self, id: &str) -> Result<ReferralView, NodeError> {
        let r = self.received.get(id).ok_or_else(|| NodeError::NotFound(format!("no referral {id} on this node")))?;
        let bytes = hex::decode(&r.envelope).map_err(|_| NodeError::Storage("stored referral is not hex".into()))?;
        let opened = referral::receive(&bytes, &self.identity.peer_id(), self.identity.encryption_secret())
            .map_err(|e| NodeError::Storage(format!("stored referral does not open: {e}")))?;
        Ok(ReferralView { referral: r.view(), request: opened.request })
    }

    pub(crate) fn answer_referral(&mut self, id: &str, answer: Answer) -> Result<ReceivedReferral, NodeError> {
        let now = now();
        let r = self.received.get(id).ok_or_else(|| NodeError::NotFound(format!("no referral {id} on this node")))?;
        let state = r.state.expire_if_due(r.respond_by, now);
        let next = state.answer(&answer, r.respond_by, now).map_err(|e| bad(e.to_string()))?;
        if next == r.state && r.answer.is_some() {
            return Ok(r.view()); // the same answer again: nothing to do
        }
        let bytes = hex::decode(&r.envelope).map_err(|_| NodeError::Storage("stored referral is not hex".into()))?;
        let stored = referral::decode_stored(&bytes).map_err(|e| NodeError::Storage(e.to_string()))?;
        let signed = referral::make_answer(&self.identity, &stored, &answer, now, random_bytes::<56>())
            .map_err(|e| bad(e.to_string()))?;
        let requester = parse_peer(&r.requester);
        let r = self.received.get_mut(id).ok_or_else(|| NodeError::NotFound(id.to_string()))?;
        r.state = next;
        r.answer = Some(hex::encode(signed));
        r.answer_delivered = false;
        let view = r.view();
        self.persist_received(id)?;
        if let Some(p) = requester {
            self.flush_deliveries(p);
        }
        Ok(view)
    }

    // ---- delivery -------------------------------------------------------------------------------

    /// Calls `f(recipient, what, envelope hex)` for every message that still has to be delivered. The one
    /// place that says what "undelivered" means; nothing is decoded here, so walking it is cheap.
    fn for_each_undelivered(&self, mut f: impl FnMut(&str, Delivery, &str)) {
        for record in self.requests.values() {
            for r in &record.referrals {
                if !r.delivered && r.state == ReferralState::Offered {
                    let d = Delivery::Referral { request_id: record.id.clone(), referral_id: r.referral_id.clone() };
                    f(&r.reviewer, d, &r.envelope);
                }
                if let Some(w) = &r.withdrawal {
                    let d = Delivery::Withdrawal { request_id: record.id.clone(), referral_id: r.referral_id.clone() };
                    f(&r.reviewer, d, w);
                }
            }
        }
        for i in self.interests.values().filter(|i| !i.delivered) {
            f(&i.requester, Delivery::Interest { call_id: i.call_id.clone() }, &i.envelope);
        }
        for r in self.received.values().filter(|r| !r.answer_delivered) {
            if let Some(a) = &r.answer {
                f(&r.requester, Delivery::Answer { referral_id: r.referral_id.clone() }, a);
            }
        }
    }

    /// Sends everything pending for `peer` if connected; otherwise dials it (with backoff).
    pub(crate) fn flush_deliveries(&mut self, peer: PeerId) {
        let peer_text = peer.to_string();
        let mut pending = Vec::new();
        self.for_each_undelivered(|to, d, hex| {
            if to == peer_text {
                pending.push((d, hex.to_string()));
            }
        });
        if pending.is_empty() {
            self.redial_at.remove(&peer);
            return;
        }
        if !self.swarm.is_connected(&peer) {
            // Deposited at the peer's mailboxes (once per message and run), and still retried directly.
            for (delivery, hex) in &pending {
                if let (Some(key), Some(message)) =
                    (delivery.key(), hex::decode(hex).ok().and_then(|bytes| delivery.message(bytes)))
                {
                    self.post(peer, Some(key), samenloop_protocol::mailbox::MailPayload::Referral(message));
                }
            }
            let (due, backoff) = self.redial_at.get(&peer).copied().unwrap_or((Instant::now(), Duration::from_secs(1)));
            if Instant::now() >= due {
                debug!(%peer, "dialling for referral delivery");
                if self.swarm.dial(DialOpts::peer_id(peer).build()).is_err() {
                    // No known address: ask the DHT where the peer is.
                    self.swarm.behaviour_mut().kad.get_closest_peers(peer);
                }
                let backoff = (backoff * 2).min(Duration::from_secs(60));
                self.redial_at.insert(peer, (Instant::now() + backoff, backoff));
            }
            return;
        }
        for (delivery, hex) in pending {
            let Some(key) = delivery.key() else { continue };
            if self.sending.contains(&key) {
                continue; // in flight
            }
            let Some(message) = hex::decode(&hex).ok().and_then(|bytes| delivery.message(bytes)) else { continue };
            self.sending.insert(key);
            let id = self.swarm.behaviour_mut().referral.send_request(&peer, message);
            self.deliveries.insert(id, delivery);
        }
    }

    /// Expiry, and retries for peers with undelivered messages.
    pub(crate) fn on_delivery_tick(&mut self) {
        let now = now();
        let closed: Vec<String> =
            self.calls.iter().filter(|(_, c)| c.record.expires_at <= now).map(|(k, _)| k.clone()).collect();
        if !closed.is_empty() {
            let ids: Vec<Vec<u8>> =
                closed.iter().filter_map(|k| self.calls.remove(k)).map(|c| c.record.call_id.to_vec()).collect();
            if let Err(e) = self.store.remove_calls(&ids) {
                warn!("{e}");
            }
        }
        let mut changed_requests = Vec::new();
        for record in self.requests.values_mut() {
            let mut expired = Vec::new();
            for r in &mut record.referrals {
                let next = r.state.expire_if_due(r.respond_by, now);
                if next != r.state {
                    r.state = next;
                    expired.push(r.reviewer.clone());
                }
            }
            for reviewer in expired {
                record.log(&self.identity, now, "expired", Some(reviewer), None);
                changed_requests.push(record.id.clone());
            }
        }
        for id in changed_requests {
            if let Err(e) = self.persist_request(&id) {
                warn!("{e}");
            }
        }
        let mut changed_referrals = Vec::new();
        for r in self.received.values_mut() {
            let next = r.state.expire_if_due(r.respond_by, now);
            if next != r.state {
                r.state = next;
                changed_referrals.push(r.referral_id.clone());
            }
        }
        for id in changed_referrals {
            if let Err(e) = self.persist_received(&id) {
                warn!("{e}");
            }
        }
        let mut peers: Vec<PeerId> = Vec::new();
        self.for_each_undelivered(|to, _, _| peers.extend(parse_peer(to)));
        peers.sort();
        peers.dedup();
        for p in peers {
            self.flush_deliveries(p);
        }
    }

    /// A mailbox holds the message with this delivery key: a referral then shows as left at the reviewer's
    /// mailbox until their node has it.
    pub(crate) fn left_at_mailbox(&mut self, key: &str) {
        let Some(referral_id) = key.strip_prefix("referral:") else { return };
        let found = self.requests.iter_mut().find_map(|(id, record)| {
            record.referrals.iter_mut().find(|r| r.referral_id == referral_id).map(|r| (id.clone(), r))
        });
        let Some((request_id, r)) = found else { return };
        if r.at_mailbox {
            return;
        }
        r.at_mailbox = true;
        if let Err(e) = self.persist_request(&request_id) {
            warn!("{e}");
        }
    }

    fn delivered(&mut self, delivery: Delivery, refused: Option<String>) {
        let now = now();
        if let Some(key) = delivery.key() {
            self.sending.remove(&key);
        }
        match delivery {
            #[cfg(feature = "test-support")]
            Delivery::Raw(reply) => {
                let _ = reply.send(Ok(refused.unwrap_or_else(|| "stored".into())));
            }
            Delivery::Interest { call_id } => {
                if let Some(i) = self.interests.get_mut(&call_id) {
                    i.delivered = true;
                }
                if let Some(reason) = refused {
                    warn!(%call_id, "the requester's node refused our interest: {reason}");
                }
                if let Some(i) = self.interests.get(&call_id)
                    && let Err(e) =
                        self.store.put_confidential(&self.vault, Confidential::Interests, call_id.as_bytes(), i)
                {
                    warn!("{e}");
                }
            }
            Delivery::Referral { request_id, referral_id } => {
                if let Some(record) = self.requests.get_mut(&request_id) {
                    let mut reviewer = None;
                    if let Some(r) = record.referrals.iter_mut().find(|r| r.referral_id == referral_id) {
                        r.delivered = true;
                        reviewer = Some(r.reviewer.clone());
                    }
                    match refused {
                        None => record.log(&self.identity, now, "delivered", reviewer, None),
                        Some(reason) => record.log(&self.identity, now, "refused", reviewer, Some(reason)),
                    }
                }
                if let Err(e) = self.persist_request(&request_id) {
                    warn!("{e}");
                }
            }
            Delivery::Withdrawal { request_id, referral_id } => {
                if let Some(record) = self.requests.get_mut(&request_id)
                    && let Some(r) = record.referrals.iter_mut().find(|r| r.referral_id == referral_id)
                {
                    r.withdrawal = None;
                }
                if let Err(e) = self.persist_request(&request_id) {
                    warn!("{e}");
                }
            }
            Delivery::Answer { referral_id } => {
                if let Some(r) = self.received.get_mut(&referral_id) {
                    r.answer_delivered = true;
                }
                if let Some(reason) = refused {
                    warn!(%referral_id, "the requester's node refused our answer: {reason}");
                }
                if let Err(e) = self.persist_received(&referral_id) {
                    warn!("{e}");
                }
            }
        }
    }

    pub(crate) fn on_referral_message(&mut self, peer: PeerId, message: ReferralMessage) -> ReferralReply {
        let result = match message {
            ReferralMessage::Referral(bytes) => self.receive_referral(&bytes),
            ReferralMessage::Answer(bytes) => self.receive_answer(&bytes),
            ReferralMessage::Withdrawal(bytes) => self.receive_withdrawal(&bytes),
            ReferralMessage::Interest(bytes) => self.receive_interest(&bytes),
        };
        match result {
            Ok(()) => {
                let _ = self.node_events.send(crate::network::client::NodeEvent::Referrals);
                ReferralReply::Stored
            }
            Err(reason) => {
                warn!(%peer, "refused a referral message: {reason}");
                ReferralReply::Refused(reason)
            }
        }
    }

    fn receive_referral(&mut self, bytes: &[u8]) -> Result<(), String> {
        let me = self.identity.peer_id();
        let opened = referral::receive(bytes, &me, self.identity.encryption_secret()).map_err(|e| e.to_string())?;
        let id = hex::encode(opened.record.referral_id);
        if let Some(held) = self.received.get(&id) {
            return if held.envelope == hex::encode(bytes) {
                Ok(()) // a retry of what we hold
            } else {
                Err(ReferralError::Replayed(id).to_string())
            };
        }
        let record = ReceivedReferral {
            referral_id: id.clone(),
            request_id: hex::encode(opened.record.request_id),
            requester: opened.requester.to_string(),
            received_at: now(),
            respond_by: opened.record.respond_by,
            state: ReferralState::Offered,
            envelope: hex::encode(bytes),
            answer: None,
            answer_delivered: false,
        };
        self.received.insert(id.clone(), record);
        self.persist_received(&id).map_err(|e| e.to_string())?;
        info!(referral = %id, requester = %opened.requester, "referral received");
        Ok(())
    }

    fn receive_answer(&mut self, bytes: &[u8]) -> Result<(), String> {
        let me = self.identity.peer_id();
        let (record, reviewer, answer) =
            referral::receive_answer(bytes, &me, self.identity.encryption_secret()).map_err(|e| e.to_string())?;
        let request_id = hex::encode(record.request_id);
        let referral_id = hex::encode(record.referral_id);
        let now = now();
        let request = self.requests.get_mut(&request_id).ok_or("answer to an unknown request")?;
        let r = request
            .referrals
            .iter_mut()
            .find(|r| r.referral_id == referral_id && r.reviewer == reviewer.to_string())
            .ok_or("answer to an unknown referral")?;
        // Judge lateness by when the reviewer answered (signed), with the state as it stood then.
        let state = if matches!(r.state, ReferralState::Expired { .. }) && record.answered_at <= r.respond_by {
            ReferralState::Offered
        } else {
            r.state.clone()
        };
        let next =
            state.answer(&answer, r.respond_by, record.answered_at).map_err(|e: TransitionError| e.to_string())?;
        if next == r.state {
            return Ok(()); // repeated
        }
        r.state = next;
        r.delivered = true;
        let (event, detail) = match &answer {
            Answer::Accept { conflict: None } => ("accepted", Some("declared no conflict of interest".to_string())),
            Answer::Accept { conflict: Some(c) } => ("accepted", Some(format!("declared a conflict: {c}"))),
            Answer::Decline { reason } => ("declined", Some(reason.clone())),
        };
        request.log(&self.identity, now, event, Some(reviewer.to_string()), detail);
        self.persist_request(&request_id).map_err(|e| e.to_string())?;
        info!(request = %request_id, %reviewer, event, "referral answered");
        Ok(())
    }

    fn receive_interest(&mut self, bytes: &[u8]) -> Result<(), String> {
        let me = self.identity.peer_id();
        let (record, reviewer) = call::receive_interest(bytes, &me).map_err(|e| e.to_string())?;
        let call_id = hex::encode(record.call_id);
        let request = self
            .requests
            .values_mut()
            .find(|r| r.call_id.as_deref() == Some(call_id.as_str()))
            .ok_or("interest in an unknown call")?;
        let who = reviewer.to_string();
        if request.interested.contains(&who) {
            return Ok(());
        }
        request.interested.push(who.clone());
        request.log(&self.identity, now(), "interest", Some(who), None);
        let id = request.id.clone();
        self.persist_request(&id).map_err(|e| e.to_string())
    }

    // ---- calls ----------------------------------------------------------------------------------

    /// Posts an anonymised call for request `id` on the network.
    pub(crate) fn post_call(&mut self, id: &str, theme: Option<call::ReviewTheme>) -> Result<CallView, NodeError> {
        let now = now();
        let record =
            self.requests.get(id).ok_or_else(|| NodeError::NotFound(format!("no request {id} on this node")))?;
        if record.call_id.is_some() {
            return Err(bad("a call was already posted for this request"));
        }
        let signed = call::make_call(
            &self.identity,
            &record.request,
            theme,
            now,
            now.plus_secs(CALL_OPEN_SECS),
            random_bytes::<16>(),
        )
        .map_err(|e| bad(e.to_string()))?;
        let call_id = hex::encode(signed.record.call_id);
        if let Err(e) = self.swarm.behaviour_mut().gossipsub.publish(self.call_topic.clone(), signed.bytes.clone()) {
            debug!("call not gossiped yet: {e}");
        }
        let record = self.requests.get_mut(id).ok_or_else(|| NodeError::NotFound(id.to_string()))?;
        record.call_id = Some(call_id.clone());
        record.log(&self.identity, now, "call", None, Some(format!("anonymised call {call_id}")));
        self.persist_request(id)?;
        self.keep_call(signed.clone());
        Ok(self.call_view(&signed))
    }

    pub(crate) fn keep_call(&mut self, signed: SignedCall) {
        let id = signed.record.call_id;
        if let Err(e) = self.store.put_call(&id, &signed.bytes) {
            warn!("could not store a call: {e}");
        }
        self.calls.insert(hex::encode(id), signed);
    }

    pub(crate) fn call_view(&self, c: &SignedCall) -> CallView {
        let call_id = hex::encode(c.record.call_id);
        CallView {
            interested: self.interests.contains_key(&call_id),
            call_id,
            requester: c.requester.to_string(),
            region: c.record.region.clone(),
            theme: c.record.theme,
            expertise: c.record.expertise.clone(),
            variant: c.record.variant,
            start_month: c.record.start_month.clone(),
            expires_at: c.record.expires_at,
        }
    }

    pub(crate) fn call_list(&self) -> Vec<CallView> {
        let now = now();
        self.calls.values().filter(|c| c.record.expires_at > now).map(|c| self.call_view(c)).collect()
    }

    /// The reviewer signals interest in a call; it is delivered to the requester like a referral answer.
    pub(crate) fn express_interest(&mut self, call_id: &str) -> Result<CallView, NodeError> {
        let c =
            self.calls.get(call_id).cloned().ok_or_else(|| NodeError::NotFound(format!("no open call {call_id}")))?;
        if c.record.expires_at <= now() {
            return Err(bad("the call has closed"));
        }
        if c.requester == self.identity.peer_id() {
            return Err(bad("this is your own call"));
        }
        if !self.interests.contains_key(call_id) {
            let envelope = call::make_interest(&self.identity, &c.record, now()).map_err(|e| bad(e.to_string()))?;
            let sent = SentInterest {
                call_id: call_id.to_string(),
                requester: c.requester.to_string(),
                envelope: hex::encode(envelope),
                delivered: false,
            };
            self.store
                .put_confidential(&self.vault, Confidential::Interests, call_id.as_bytes(), &sent)
                .map_err(|e| NodeError::Storage(e.to_string()))?;
            self.interests.insert(call_id.to_string(), sent);
        }
        self.flush_deliveries(c.requester);
        Ok(self.call_view(&c))
    }

    /// A call arrived by gossip: verified before it is kept or forwarded.
    pub(crate) fn on_call_message(&mut self, bytes: &[u8], from: PeerId) -> libp2p::gossipsub::MessageAcceptance {
        use libp2p::gossipsub::MessageAcceptance;
        match call::verify_call(bytes, now()) {
            Ok(c) if self.calls.contains_key(&hex::encode(c.record.call_id)) => MessageAcceptance::Ignore,
            Ok(c) => {
                self.keep_call(c);
                MessageAcceptance::Accept
            }
            Err(e) => {
                warn!(peer = %from, "rejected call: {e}");
                MessageAcceptance::Reject
            }
        }
    }

    fn receive_withdrawal(&mut self, bytes: &[u8]) -> Result<(), String> {
        let me = self.identity.peer_id();
        let record = referral::receive_withdrawal(bytes, &me).map_err(|e| e.to_string())?;
        let id = hex::encode(record.referral_id);
        let requester = PeerId::from_bytes(&record.requester).map_err(|e| e.to_string())?;
        let r = self.received.get_mut(&id).ok_or("withdrawal of an unknown referral")?;
        if r.requester != requester.to_string() {
            return Err("withdrawal by someone other than the referral's requester".into());
        }
        match r.state.withdraw(record.at) {
            Ok(next) => r.state = next,
            Err(_) if matches!(r.state, ReferralState::Withdrawn { .. }) => return Ok(()),
            Err(e) => return Err(e.to_string()),
        }
        self.persist_received(&id).map_err(|e| e.to_string())
    }

    pub(crate) fn on_referral_event(&mut self, event: request_response::Event<ReferralMessage, ReferralReply>) {
        use request_response::{Event, Message};
        match event {
            Event::Message { peer, message: Message::Request { request, channel, .. }, .. } => {
                let reply = self.on_referral_message(peer, request);
                let _ = self.swarm.behaviour_mut().referral.send_response(channel, reply);
            }
            Event::Message { message: Message::Response { request_id, response }, .. } => {
                if let Some(d) = self.deliveries.remove(&request_id) {
                    let refused = match response {
                        ReferralReply::Stored => None,
                        ReferralReply::Refused(reason) => Some(reason),
                    };
                    self.delivered(d, refused);
                }
            }
            Event::OutboundFailure { request_id, peer, error, .. } => {
                debug!(%peer, "referral delivery failed, will retry: {error}");
                self.forget_in_flight(request_id);
            }
            _ => {}
        }
    }

    fn forget_in_flight(&mut self, id: OutboundRequestId) {
        let Some(delivery) = self.deliveries.remove(&id) else { return };
        match delivery.key() {
            Some(key) => {
                self.sending.remove(&key);
            }
            None =>
            {
                #[cfg(feature = "test-support")]
                if let Delivery::Raw(reply) = delivery {
                    let _ = reply.send(Err(NodeError::BadRequest("delivery failed".into())));
                }
            }
        }
    }
}
