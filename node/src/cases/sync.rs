//! The case side of the event loop: case commands from the API, and `/samenloop/sync/1` with members.
//!
//! Sync is anti-entropy plus announcements: a local edit is pushed at once to every connected member who may
//! read the document; on every new connection, and every few seconds
//! while connected, a node pulls each shared case from each member; members that are not connected are
//! dialled with a short backoff, so two members who edited apart converge within seconds of meeting again.

use std::collections::HashSet;
use std::time::{Duration, Instant};

use libp2p::request_response::{self, OutboundRequestId};
use libp2p::swarm::dial_opts::DialOpts;
use samenloop_protocol::cases::ledger::CaseId;
use samenloop_protocol::cases::sync::{SyncRefusal, SyncRequest, SyncResponse, WireRun};
use samenloop_protocol::mailbox::MailPayload;
use samenloop_protocol::{PeerId, peer_id_of, verifying_key_of};
use serde::{Deserialize, Serialize};
use tracing::{debug, info, warn};

use crate::cases::book::{CaseError, Received};
use crate::cases::commands::{CaseCommand, CaseEvent};
use crate::error::NodeError;
use crate::network::event_loop::EventLoop;

/// How often connected members pull each shared case from each other.
pub(crate) const PULL_EVERY: Duration = Duration::from_secs(5);
/// The longest wait between dials of an absent member.
const MAX_MEMBER_REDIAL: Duration = Duration::from_secs(2);

/// What a sync request in flight was, to act on its response.
pub(crate) enum SyncInFlight {
    Pull {
        case: CaseId,
    },
    Push {
        case: CaseId,
        /// Kept so that a push that fails (the member went away) is deposited at its mailboxes instead.
        request: Box<SyncRequest>,
    },
    Confirm {
        case: CaseId,
    },
    #[cfg(feature = "test-support")]
    Raw(crate::network::client::Reply<SyncResponse>),
}

/// A sync rejection counted for tests and the status view.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct SyncStats {
    /// Runs, snapshots and ledger operations refused, with reasons (most recent last, at most 100).
    pub refused: Vec<String>,
    /// Pull requests answered with nothing because the requester is not a member.
    pub refused_non_members: u64,
    /// Bytes of ledger operations, snapshots, bundles and heads received in sync messages (the payload; CBOR
    /// framing adds a few bytes per item).
    pub payload_bytes_received: u64,
    /// Every refusal since start (`refused` keeps only the last 100).
    #[serde(default)]
    pub refusals: u64,
}

/// The peer id of a member key (None for bytes that are not an ed25519 key).
fn peer_of(key: &[u8; 32]) -> Option<PeerId> {
    ed25519_dalek::VerifyingKey::from_bytes(key).ok().map(|k| peer_id_of(&k))
}

/// Where a change announced to a case's members comes from.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Origin {
    /// Made on this node: deposited for every absent member.
    Here,
    /// Received from another member and passed on: pushed to connected members, and deposited for absent
    /// ones only where this node knows what they hold (a small delta). For a member it knows nothing of,
    /// the whole case would go into the deposit, which the change's author deposits already.
    Received,
}

pub(crate) fn member_key(peer: &PeerId) -> Option<[u8; 32]> {
    verifying_key_of(peer).map(|k| k.to_bytes())
}

impl EventLoop {
    pub(crate) fn on_case_command(&mut self, command: CaseCommand) -> Result<serde_json::Value, NodeError> {
        let outcome = crate::cases::commands::execute(self.case_context(), command)?;
        for announce in outcome.announce {
            self.announce_case(announce, Origin::Here);
        }
        Ok(outcome.value)
    }

    fn case_context(&mut self) -> crate::cases::commands::Context<'_> {
        crate::cases::commands::Context {
            book: &mut self.cases,
            store: &mut self.store,
            vault: &self.vault,
            identity: &self.identity,
            directory: &self.directory,
            received: &self.received,
        }
    }

    /// Passes on a ledger change received from another member (see [`Origin::Received`]).
    fn announce_received(&mut self, case: CaseId) {
        self.announce_case(CaseEvent::LedgerChanged { case }, Origin::Received);
    }

    /// Pushes something new to the members who may read it.
    fn announce_case(&mut self, event: CaseEvent, origin: Origin) {
        let (case, doc, runs, audit) = match event {
            CaseEvent::Edited { case, doc, run } => (case, Some(doc), vec![run], Vec::new()),
            CaseEvent::LedgerChanged { case } => (case, None, Vec::new(), Vec::new()),
            CaseEvent::Audited { case, entry } => (case, None, Vec::new(), vec![serde_bytes::ByteBuf::from(entry)]),
            CaseEvent::Removed { case, member } => {
                // Only if connected: otherwise its node learns on its next pull, answered with the ledger up
                // to its removal.
                let Some(peer) = peer_of(&member) else { return };
                let Ok(c) = self.cases.case(&case) else { return };
                let from = c.peer_ledger.get(&member).copied().unwrap_or(0);
                let Some(ops) = c.ledger.removal_notice(&member, from) else { return };
                let request = SyncRequest::Push {
                    case,
                    ledger: ops.iter().map(|o| serde_bytes::ByteBuf::from(o.clone())).collect(),
                    ledger_from: from,
                    ledger_len: from + ops.len() as u64,
                    runs: Vec::new(),
                    audit: Vec::new(),
                };
                self.push_or_post(peer, request);
                return;
            }
            // Members learn it from their next pull (within PULL_EVERY), answered `Destroyed`.
            CaseEvent::Destroyed { case } => {
                info!(%case, "case destroyed here; telling the members, whose nodes delete it and confirm");
                let Some(t) = self.cases.tombstones.get(&case) else { return };
                let op = t.record.destroy.clone();
                let seq = samenloop_protocol::cases::destruction::op_seq(&op).unwrap_or(0);
                let me = self.cases.me();
                let members: Vec<[u8; 32]> = t.record.members.iter().filter(|m| **m != me).copied().collect();
                for member in members {
                    let Some(peer) = peer_of(&member) else { continue };
                    // An absent member learns on its next pull (answered `Destroyed`), or from its mailbox.
                    let request = SyncRequest::Push {
                        case,
                        ledger: vec![serde_bytes::ByteBuf::from(op.clone())],
                        ledger_from: seq,
                        ledger_len: seq + 1,
                        runs: Vec::new(),
                        audit: Vec::new(),
                    };
                    self.push_or_post(peer, request);
                }
                return;
            }
        };
        for member in self.cases.other_members(&case, doc) {
            let Some(peer) = peer_of(&member) else { continue };
            // Only to connected members directly: a push queued for an absent one would arrive after it
            // reconnected, possibly out of order; an absent member catches up by pulling when it is back, and
            // meanwhile finds the change at its mailboxes.
            if !self.swarm.is_connected(&peer) {
                if origin == Origin::Here || self.post.holds.contains_key(&(case, member)) {
                    let _ = self.post_case(peer, member, case);
                }
                continue;
            }
            if let Some(request) = self.cases.push_request(&case, &member, runs.clone(), audit.clone()) {
                self.push_or_post(peer, request);
            }
        }
    }

    /// Pushes to a connected member; deposits at an absent member's mailboxes.
    fn push_or_post(&mut self, peer: PeerId, request: SyncRequest) {
        if self.swarm.is_connected(&peer) {
            let case = request.case();
            let flight = SyncInFlight::Push { case, request: Box::new(request.clone()) };
            self.send_sync(peer, request, flight);
        } else {
            self.post(peer, None, MailPayload::Sync(request));
        }
    }

    /// Deposits a change for an absent member: everything it lacks beyond what it was last known to hold
    /// (its last pull, or the last deposit; nothing when unknown, as for a member invited while away), so
    /// deposits that arrive out of order, or one that is lost, leave no gap in what it can take.
    /// Returns false when there is nothing to deposit as a delta (the case is gone here, or the member may
    /// not have it).
    fn post_case(&mut self, peer: PeerId, member: [u8; 32], case: CaseId) -> bool {
        let (ledger_from, docs, audit) = self.post.holds.get(&(case, member)).cloned().unwrap_or_default();
        let delta = self.cases.answer_pull(&self.store, &self.identity, &member, &case, (ledger_from, &docs, &audit));
        let SyncResponse::Delta { more, .. } = &delta else { return false };
        if *more {
            // Beyond one page: the member takes this one and pulls the rest when it meets a member directly.
            warn!(%case, "a deposit for an absent member holds only the first page of what it lacks");
        } else if let Some(SyncRequest::Pull { ledger_len, docs, audit, .. }) = self.cases.pull_request(&case) {
            // Once it takes this, it holds what this node holds now.
            self.post.holds.insert((case, member), (ledger_len, docs, audit));
        }
        self.post(peer, None, MailPayload::Delta { case, ledger_from, delta });
        true
    }

    /// Sends a sync request and remembers what it was, to act on the answer.
    fn send_sync(&mut self, peer: PeerId, request: SyncRequest, flight: SyncInFlight) {
        let id = self.swarm.behaviour_mut().sync.send_request(&peer, request);
        self.sync_in_flight.insert(id, flight);
    }

    /// Pulls every case shared with `peer` from it.
    pub(crate) fn pull_from(&mut self, peer: PeerId) {
        let Some(key) = member_key(&peer) else { return };
        let shared: Vec<CaseId> =
            self.cases.cases.iter().filter(|(_, c)| c.ledger.member(&key).is_some()).map(|(id, _)| *id).collect();
        for case in shared {
            self.pull(case, peer);
        }
    }

    fn pull(&mut self, case: CaseId, peer: PeerId) {
        // One pull per case at a time: a member that is far behind would otherwise download the same history
        // (a snapshot) from every member at once. The others are asked in the next round.
        let busy = self.sync_in_flight.values().any(|f| matches!(f, SyncInFlight::Pull { case: c, .. } if *c == case));
        if busy {
            return;
        }
        if let Some(request) = self.cases.pull_request(&case) {
            self.send_sync(peer, request, SyncInFlight::Pull { case });
        }
    }

    /// Periodic: pull from connected members, dial absent ones.
    pub(crate) fn on_case_tick(&mut self) {
        let me = self.cases.me();
        let mut members: HashSet<PeerId> = HashSet::new();
        for c in self.cases.cases.values().filter(|c| c.ledger.member(&me).is_some()) {
            for m in c.ledger.members().filter(|m| m.key != me) {
                if let Some(p) = m.peer_id() {
                    members.insert(p);
                }
            }
        }
        let pull_due = self.last_case_pull.is_none_or(|t| t.elapsed() >= PULL_EVERY);
        for peer in members {
            if self.swarm.is_connected(&peer) {
                if pull_due {
                    self.pull_from(peer);
                }
                continue;
            }
            let (due, backoff) =
                self.redial_at.get(&peer).copied().unwrap_or((Instant::now(), Duration::from_millis(500)));
            if Instant::now() >= due {
                let _ = self.swarm.dial(DialOpts::peer_id(peer).build());
                let backoff = (backoff * 2).min(MAX_MEMBER_REDIAL);
                self.redial_at.insert(peer, (Instant::now() + backoff, backoff));
            }
        }
        if pull_due {
            self.last_case_pull = Some(Instant::now());
        }
        self.send_confirmations();
    }

    /// Sends this node's unacknowledged destruction confirmations to the leads (dialling them if away).
    fn send_confirmations(&mut self) {
        let pending: Vec<([u8; 32], SyncRequest)> = self
            .cases
            .tombstones
            .iter()
            .filter(|(_, t)| !t.confirmed)
            .map(|(c, t)| {
                let confirm =
                    SyncRequest::Confirm { case: *c, confirmation: t.confirmation.clone(), audit: t.own_audit.clone() };
                (t.lead, confirm)
            })
            .collect();
        for (lead, request) in pending {
            let case = request.case();
            let Some(peer) = peer_of(&lead) else { continue };
            let busy =
                self.sync_in_flight.values().any(|f| matches!(f, SyncInFlight::Confirm { case: c } if *c == case));
            if busy {
                continue;
            }
            if !self.swarm.is_connected(&peer) {
                let _ = self.swarm.dial(DialOpts::peer_id(peer).build());
                // Also by mailbox, once per run: the lead may be away for days.
                self.post(peer, Some(format!("confirm:{case}")), MailPayload::Sync(request));
                continue;
            }
            self.send_sync(peer, request, SyncInFlight::Confirm { case });
        }
    }

    pub(crate) fn on_sync_event(&mut self, event: request_response::Event<SyncRequest, SyncResponse>) {
        match event {
            request_response::Event::Message { peer, message, .. } => match message {
                request_response::Message::Request { request, channel, .. } => {
                    let response = self.answer_sync(peer, request);
                    if self.swarm.behaviour_mut().sync.send_response(channel, response).is_err() {
                        debug!(%peer, "sync response not sent: the connection closed");
                    }
                }
                request_response::Message::Response { request_id, response } => {
                    self.on_sync_response(peer, request_id, response);
                }
            },
            request_response::Event::OutboundFailure { peer, request_id, error, .. } => {
                match self.sync_in_flight.remove(&request_id) {
                    #[cfg(feature = "test-support")]
                    Some(SyncInFlight::Raw(reply)) => {
                        let _ = reply.send(Err(NodeError::BadRequest(error.to_string())));
                        return;
                    }
                    // The member went away before the push arrived (a laptop closed as it was invited, say):
                    // its mailboxes get everything it lacks, not only this push, which might be a bare ledger
                    // operation whose documents it could then never fetch while the sender is away.
                    Some(SyncInFlight::Push { request, case }) => {
                        let posted = member_key(&peer).is_some_and(|member| self.post_case(peer, member, case));
                        if !posted {
                            self.post(peer, None, MailPayload::Sync(*request));
                        }
                    }
                    _ => {}
                }
                debug!(%peer, "sync request failed: {error}");
            }
            request_response::Event::InboundFailure { peer, error, .. } => debug!(%peer, "sync answer failed: {error}"),
            request_response::Event::ResponseSent { .. } => {}
        }
    }

    fn note_refused(&mut self, peer: PeerId, what: String) {
        warn!(%peer, "refused from a member: {what}");
        self.sync_stats.refusals += 1;
        self.sync_stats.refused.push(what);
        if self.sync_stats.refused.len() > 100 {
            self.sync_stats.refused.remove(0);
        }
    }

    pub(crate) fn answer_sync(&mut self, peer: PeerId, request: SyncRequest) -> SyncResponse {
        let Some(key) = member_key(&peer) else { return SyncResponse::Refused(SyncRefusal::NotAMember) };
        if let Some(t) = self.cases.tombstones.get(&request.case())
            && t.record.members.contains(&key)
            && !matches!(request, SyncRequest::Confirm { .. })
        {
            return SyncResponse::Destroyed { destroy: t.record.destroy.clone() };
        }
        match request {
            SyncRequest::Confirm { case, confirmation, audit } => {
                match self.cases.take_confirmation(
                    &self.store,
                    &self.vault,
                    &case,
                    &self.identity,
                    (&confirmation, &audit),
                ) {
                    Ok(new) => {
                        if new {
                            info!(%peer, %case, "a member confirmed the destruction of the case");
                            // The lead's open destruction page shows the confirmation as it comes in.
                            let _ = self.node_events.send(crate::network::client::NodeEvent::Case(case));
                        }
                        SyncResponse::Ack { refused: Vec::new() }
                    }
                    Err(e) => SyncResponse::Ack { refused: vec![format!("confirmation: {e}")] },
                }
            }
            SyncRequest::Pull { case, ledger_len, docs, audit } => {
                self.post.holds.insert((case, key), (ledger_len, docs.clone(), audit.clone()));
                let response =
                    self.cases.answer_pull(&self.store, &self.identity, &key, &case, (ledger_len, &docs, &audit));
                if matches!(response, SyncResponse::Refused(_)) {
                    self.sync_stats.refused_non_members += 1;
                    info!(%peer, %case, "refused a pull: not a member, or unknown case");
                }
                response
            }
            SyncRequest::Push { case, ledger, ledger_from, ledger_len, runs, audit } => {
                let known = self.cases.cases.contains_key(&case);
                if known && self.cases.case(&case).is_ok_and(|c| c.ledger.member(&key).is_none()) {
                    return SyncResponse::Refused(SyncRefusal::NotAMember);
                }
                if !known && ledger.is_empty() {
                    return SyncResponse::Refused(SyncRefusal::UnknownCase);
                }
                let mut received = Received::default();
                if let Err(e) = self.cases.receive_ledger(
                    &self.store,
                    &self.vault,
                    &self.identity,
                    &case,
                    (ledger_from, &ledger),
                    &mut received,
                ) {
                    let line = format!("ledger: {e}");
                    self.note_refused(peer, line.clone());
                    if !known {
                        return SyncResponse::Refused(SyncRefusal::UnknownCase);
                    }
                    received.refused.push(line);
                }
                // The pusher is a member by our (possibly just received) ledger; note what it holds.
                if let Some(c) = self.cases.cases.get_mut(&case) {
                    if c.ledger.member(&key).is_none() {
                        return SyncResponse::Refused(SyncRefusal::NotAMember);
                    }
                    c.peer_ledger.insert(key, ledger_len);
                }
                match self.cases.destroy_if_ended(&mut self.store, &self.vault, &self.identity, &case) {
                    Ok(true) => {
                        info!(%case, "the lead destroyed the case: everything of it was deleted here");
                        self.send_confirmations();
                        return SyncResponse::Ack { refused: Vec::new() };
                    }
                    Ok(false) => {}
                    Err(e) => warn!(%case, "could not finish the destruction: {e}"),
                }
                self.take_runs(peer, &case, runs, &mut received);
                self.take_audit(peer, &case, &audit, &mut received);
                self.tell_pages(&case, &received);
                let behind = self.cases.case(&case).is_ok_and(|c| c.ledger.len() < ledger_len);
                if !known || behind || !received.refused.is_empty() {
                    self.pull(case, peer);
                }
                if received.ledger_grew {
                    self.announce_received(case);
                }
                SyncResponse::Ack { refused: received.refused }
            }
        }
    }

    fn take_runs(&mut self, peer: PeerId, case: &CaseId, runs: Vec<WireRun>, received: &mut Received) {
        for run in runs {
            let bytes: usize = run.bundles.iter().map(|b| b.len()).sum::<usize>() + run.head.len();
            self.sync_stats.payload_bytes_received += bytes as u64;
            if let Err(e) = self.cases.receive_run(&self.store, &self.identity, case, run, received) {
                let line = format!("run: {e}");
                self.note_refused(peer, line.clone());
                received.refused.push(line);
            }
        }
    }

    /// Tells open pages (through the node's events) that a case changed here: new entries, a snapshot, or
    /// a grown ledger (a member invited, removed, or this node added).
    fn tell_pages(&self, case: &CaseId, received: &Received) {
        if !received.changed.is_empty() || received.ledger_grew {
            let _ = self.node_events.send(crate::network::client::NodeEvent::Case(*case));
        }
    }

    fn take_audit(&mut self, peer: PeerId, case: &CaseId, entries: &[serde_bytes::ByteBuf], received: &mut Received) {
        let before = received.refused.len();
        if let Err(e) = self.cases.receive_audit(&self.store, &self.vault, &self.identity, case, entries, received) {
            received.refused.push(format!("audit: {e}"));
        }
        let new = received.refused.split_off(before);
        for line in &new {
            self.note_refused(peer, line.clone());
        }
        received.refused.extend(new);
    }

    /// After a pull, sends the peer what its answer shows it lacks, so both sides converge in one exchange
    /// (a peer far behind gets a snapshot by pulling; runs it could not verify would only be refused).
    fn push_what_peer_lacks(
        &mut self,
        peer: PeerId,
        case: CaseId,
        holds: &[samenloop_protocol::cases::sync::DocVector],
    ) {
        let Some(key) = member_key(&peer) else { return };
        let Some(ledger_len) = self.cases.case(&case).ok().map(|c| c.ledger.len()) else { return };
        let answer = self.cases.answer_pull(&self.store, &self.identity, &key, &case, (ledger_len, holds, &[]));
        if let SyncResponse::Delta { snapshots, runs, .. } = answer
            && snapshots.is_empty()
            && !runs.is_empty()
            && let Some(request) = self.cases.push_request(&case, &key, runs, Vec::new())
        {
            self.push_or_post(peer, request);
        }
    }

    fn on_sync_response(&mut self, peer: PeerId, id: OutboundRequestId, response: SyncResponse) {
        let Some(flight) = self.sync_in_flight.remove(&id) else { return };
        let case = match flight {
            SyncInFlight::Pull { case, .. } => case,
            #[cfg(feature = "test-support")]
            SyncInFlight::Raw(reply) => {
                let _ = reply.send(Ok(response));
                return;
            }
            SyncInFlight::Confirm { case } => {
                if let SyncResponse::Ack { refused } = &response
                    && refused.is_empty()
                    && let Err(e) = self.cases.confirmation_acknowledged(&self.store, &self.vault, &case)
                {
                    warn!(%case, "could not record the lead's acknowledgement: {e}");
                }
                return;
            }
            SyncInFlight::Push { case, .. } => {
                if let SyncResponse::Ack { refused } = &response
                    && !refused.is_empty()
                {
                    debug!(%peer, %case, ?refused, "a member refused part of a push");
                }
                if let SyncResponse::Refused(r) = response {
                    debug!(%peer, %case, "push refused: {r}");
                }
                return;
            }
        };
        self.take_pull_answer(peer, case, response, None);
    }

    /// Takes in what `peer` answered to a pull of `case` (directly, or deposited at a mailbox for a member
    /// that was away). `ledger_from` is where the answer's ledger operations start: a direct answer starts
    /// at what this node held when it asked (`None`), a deposited one at the operation it names.
    pub(crate) fn take_pull_answer(
        &mut self,
        peer: PeerId,
        case: CaseId,
        response: SyncResponse,
        ledger_from: Option<u64>,
    ) {
        match response {
            SyncResponse::Delta { ledger, snapshots, runs, more, holds, audit } => {
                let mut received = Received::default();
                let from = ledger_from.unwrap_or_else(|| self.cases.case(&case).map(|c| c.ledger.len()).unwrap_or(0));
                if let Err(e) = self.cases.receive_ledger(
                    &self.store,
                    &self.vault,
                    &self.identity,
                    &case,
                    (from, &ledger),
                    &mut received,
                ) {
                    self.note_refused(peer, format!("ledger: {e}"));
                }
                let payload: usize = ledger.iter().chain(&snapshots).map(|b| b.len()).sum();
                self.sync_stats.payload_bytes_received += payload as u64;
                for s in snapshots {
                    if let Err(e) =
                        self.cases.receive_snapshot(&self.store, &self.identity, &case, s.into_vec(), &mut received)
                    {
                        self.note_refused(peer, format!("snapshot: {e}"));
                    }
                }
                self.take_runs(peer, &case, runs, &mut received);
                self.take_audit(peer, &case, &audit, &mut received);
                self.tell_pages(&case, &received);
                if received.ledger_grew {
                    self.announce_received(case);
                }
                if more {
                    self.pull(case, peer);
                }
                self.push_what_peer_lacks(peer, case, &holds);
            }
            SyncResponse::Refused(SyncRefusal::UnknownCase) => {
                // A member who does not know the case yet missed its invitation (offline then): send the ledger.
                let Some(key) = member_key(&peer) else { return };
                if let Some(c) = self.cases.cases.get_mut(&case)
                    && c.ledger.member(&key).is_some()
                {
                    c.peer_ledger.insert(key, 0);
                    if let Some(request) = self.cases.push_request(&case, &key, Vec::new(), Vec::new()) {
                        self.push_or_post(peer, request);
                    }
                }
            }
            SyncResponse::Refused(reason) => debug!(%peer, %case, "pull refused: {reason}"),
            SyncResponse::Destroyed { destroy } => {
                match self.cases.receive_destroy(&mut self.store, &self.vault, &self.identity, &case, &destroy) {
                    Ok(true) => {
                        info!(%case, "the lead destroyed the case: everything of it was deleted here");
                        self.send_confirmations();
                        let _ = self.node_events.send(crate::network::client::NodeEvent::Case(case));
                    }
                    Ok(false) => {}
                    Err(e) => self.note_refused(peer, format!("destroy: {e}")),
                }
            }
            SyncResponse::Ack { .. } => {}
        }
    }
}

impl From<CaseError> for NodeError {
    fn from(e: CaseError) -> NodeError {
        match e {
            CaseError::UnknownCase(_) => NodeError::NotFound(e.to_string()),
            CaseError::Store(s) => NodeError::Storage(s.to_string()),
            CaseError::NotAllowed(_) => NodeError::Forbidden(e.to_string()),
            _ => NodeError::BadRequest(e.to_string()),
        }
    }
}
