//! Carries the sync core ([`crate::cases::sync`]) onto the swarm: swarm and API events become the core's
//! events, its effects become requests on `/samenloop/sync/1`, mailbox deposits, dials and page refreshes.
//! No rule of sync lives here; only the mapping between member keys and peer ids, request ids and flights.

use std::time::Instant;

use libp2p::request_response::{self, OutboundRequestId};
use libp2p::swarm::dial_opts::DialOpts;
use samenloop_protocol::cases::sync::{SyncRefusal, SyncRequest, SyncResponse};
use samenloop_protocol::{PeerId, peer_id_of, verifying_key_of};
use tracing::{debug, warn};

use crate::cases::commands::CaseCommand;
use crate::cases::sync::{CaseState, FlightId, Member, Origin, SyncEffect};
use crate::error::NodeError;
use crate::network::event_loop::EventLoop;

/// A sync request in flight on the swarm.
pub(crate) enum SyncFlight {
    /// Sent for the core.
    Core(FlightId),
    /// Sent for a test acting as a modified client; the answer goes back to it as is.
    #[cfg(feature = "test-support")]
    Raw(crate::network::client::Reply<SyncResponse>),
}

/// The peer id of a member key (None for bytes that are not an ed25519 key).
/// What became of a mail item.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum MailTaken {
    /// Taken whole and stored.
    Taken,
    /// Stored, but a push refused in part (a run whose earlier bundles had not arrived): worth trying again
    /// after the other items of the batch.
    InPart,
    /// Not stored (the disk refused the commit): the item is kept at the mailbox for the next fetch.
    NotStored,
}

fn peer_of(key: &Member) -> Option<PeerId> {
    ed25519_dalek::VerifyingKey::from_bytes(key).ok().map(|k| peer_id_of(&k))
}

/// The member key of a peer id (None for a peer id that does not embed an ed25519 key).
pub(crate) fn member_key(peer: &PeerId) -> Option<Member> {
    verifying_key_of(peer).map(|k| k.to_bytes())
}

impl EventLoop {
    fn case_state(&mut self) -> (CaseState<'_>, &mut crate::cases::sync::SyncCore) {
        (
            CaseState { book: &mut self.cases, rows: &self.store, vault: &self.vault, identity: &self.identity },
            &mut self.case_sync,
        )
    }

    pub(crate) fn on_case_command(&mut self, command: CaseCommand) -> Result<serde_json::Value, NodeError> {
        let cx = crate::cases::commands::Context {
            book: &mut self.cases,
            store: &mut self.store,
            vault: &self.vault,
            identity: &self.identity,
            directory: &self.directory,
            received: &self.received,
        };
        let outcome = crate::cases::commands::execute(cx, command)?;
        let mut out = Vec::new();
        let (mut st, core) = self.case_state();
        for announce in outcome.announce {
            core.announce(&mut st, announce, Origin::Here, &mut out);
        }
        let _ = self.settle(out);
        Ok(outcome.value)
    }

    /// A connection to `peer` opened.
    pub(crate) fn case_peer_connected(&mut self, peer: PeerId) {
        let Some(member) = member_key(&peer) else { return };
        let mut out = Vec::new();
        let (mut st, core) = self.case_state();
        core.connected(&mut st, member, &mut out);
        let _ = self.settle(out);
    }

    /// The last connection to `peer` closed.
    pub(crate) fn case_peer_gone(&mut self, peer: PeerId) {
        if let Some(member) = member_key(&peer) {
            self.case_sync.disconnected(member);
        }
    }

    /// Periodic: the core pulls, dials and resends confirmations as due.
    pub(crate) fn on_case_tick(&mut self) {
        let now = Instant::now().saturating_duration_since(self.started);
        let mut out = Vec::new();
        let (mut st, core) = self.case_state();
        core.tick(&mut st, now, &mut out);
        let _ = self.settle(out);
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
                debug!(%peer, "sync request failed: {error}");
                match self.sync_in_flight.remove(&request_id) {
                    #[cfg(feature = "test-support")]
                    Some(SyncFlight::Raw(reply)) => {
                        let _ = reply.send(Err(NodeError::BadRequest(error.to_string())));
                    }
                    Some(SyncFlight::Core(flight)) => {
                        let mut out = Vec::new();
                        let (mut st, core) = self.case_state();
                        core.failed(&mut st, flight, &mut out);
                        let _ = self.settle(out);
                    }
                    None => {}
                }
            }
            request_response::Event::InboundFailure { peer, error, .. } => debug!(%peer, "sync answer failed: {error}"),
            request_response::Event::ResponseSent { .. } => {}
        }
    }

    /// Answers a sync request from `peer` (arrived directly, or from a mailbox).
    pub(crate) fn answer_sync(&mut self, peer: PeerId, request: SyncRequest) -> SyncResponse {
        let Some(member) = member_key(&peer) else { return SyncResponse::Refused(SyncRefusal::NotAMember) };
        let mut out = Vec::new();
        let (mut st, core) = self.case_state();
        let response = core.answer(&mut st, member, request, &mut out);
        match self.settle(out) {
            Ok(()) => response,
            // Not stored here: the member keeps it and brings it again.
            Err(e) => SyncResponse::Ack { refused: vec![format!("this node could not store it: {e}")] },
        }
    }

    fn on_sync_response(&mut self, peer: PeerId, id: OutboundRequestId, response: SyncResponse) {
        let Some(flight) = self.sync_in_flight.remove(&id) else { return };
        match flight {
            #[cfg(feature = "test-support")]
            SyncFlight::Raw(reply) => {
                let _ = reply.send(Ok(response));
            }
            SyncFlight::Core(flight) => {
                let Some(member) = member_key(&peer) else { return };
                let mut out = Vec::new();
                let (mut st, core) = self.case_state();
                core.answered(&mut st, member, flight, response, &mut out);
                let _ = self.settle(out);
            }
        }
    }

    /// A sync item from a mailbox, deposited by `from`.
    pub(crate) fn take_mail_sync(&mut self, from: PeerId, request: SyncRequest) -> MailTaken {
        let Some(member) = member_key(&from) else { return MailTaken::Taken };
        let mut out = Vec::new();
        let (mut st, core) = self.case_state();
        let taken = core.take_mail_sync(&mut st, member, request, &mut out);
        self.settled_mail(out, taken)
    }

    /// Whether a mail item's event was stored: if not, the item stays at the mailbox (not acknowledged) and
    /// comes again with the next fetch.
    fn settled_mail(&mut self, out: Vec<SyncEffect>, taken: bool) -> MailTaken {
        match self.settle(out) {
            Err(_) => MailTaken::NotStored,
            Ok(()) if taken => MailTaken::Taken,
            Ok(()) => MailTaken::InPart,
        }
    }

    /// A deposited answer to this node's pull.
    pub(crate) fn take_mail_delta(
        &mut self,
        from: PeerId,
        delta: (samenloop_protocol::cases::ledger::CaseId, u64, SyncResponse),
    ) -> MailTaken {
        let Some(member) = member_key(&from) else { return MailTaken::Taken };
        let mut out = Vec::new();
        let (mut st, core) = self.case_state();
        let taken = core.take_mail_delta(&mut st, member, delta, &mut out);
        self.settled_mail(out, taken)
    }

    /// Ends an event: commits the case book's writes in one transaction, then carries the effects. If the
    /// commit fails, the book has restored the touched cases from the disk, and the effects are dropped.
    fn settle(&mut self, out: Vec<SyncEffect>) -> Result<(), crate::cases::book::CaseError> {
        if let Err(e) = self.cases.commit(&mut self.store, &self.vault, &self.identity) {
            warn!("case sync: {e}; what this event would have sent is dropped");
            self.case_sync.forget(&out);
            return Err(e);
        }
        self.carry(out);
        Ok(())
    }

    /// Carries out the core's effects, in order.
    fn carry(&mut self, effects: Vec<SyncEffect>) {
        for effect in effects {
            match effect {
                SyncEffect::Send { to, flight, request } => {
                    let Some(peer) = peer_of(&to) else { continue };
                    let id = self.swarm.behaviour_mut().sync.send_request(&peer, request);
                    self.sync_in_flight.insert(id, SyncFlight::Core(flight));
                }
                SyncEffect::Post { to, key, payload } => {
                    let Some(peer) = peer_of(&to) else { continue };
                    self.post(peer, key, payload);
                }
                SyncEffect::Dial(to) => {
                    let Some(peer) = peer_of(&to) else { continue };
                    let _ = self.swarm.dial(DialOpts::peer_id(peer).build());
                }
                SyncEffect::Changed(case) => {
                    let _ = self.node_events.send(crate::network::client::NodeEvent::Case(case));
                }
            }
        }
    }
}

impl From<crate::cases::book::CaseError> for NodeError {
    fn from(e: crate::cases::book::CaseError) -> NodeError {
        use crate::cases::book::CaseError;
        match e {
            CaseError::UnknownCase(_) => NodeError::NotFound(e.to_string()),
            CaseError::Store(s) => NodeError::Storage(s.to_string()),
            CaseError::NotAllowed(_) => NodeError::Forbidden(e.to_string()),
            _ => NodeError::BadRequest(e.to_string()),
        }
    }
}
