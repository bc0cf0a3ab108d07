//! The rules of case sync, without I/O: events in (a peer connected or gone, a tick with the time, a request
//! or answer from a member, a failed request, a mailbox item, a change made here), effects out (requests to
//! send, items to deposit, peers to dial, cases whose pages should refresh) and rows to write (the case
//! book's pending writes, `cases::rows`). Whoever drives the core settles each event: it commits the rows in
//! one transaction, then carries the effects; if the commit fails, the book restores the touched cases from
//! the disk and the effects are dropped ([`SyncCore::forget`]). So a crash at any point loses nothing that
//! an effect already sent depended on: nothing goes out before the rows it stands on are on disk.
//!
//! The event loop (`network::sync_link`) carries effects onto the swarm; the simulator (the tests crate's
//! `sim`) carries them through a seeded network instead, so the same code is tested under every schedule.
//!
//! Sync is anti-entropy plus announcements: a local edit is pushed at once to every connected member who may
//! read the document; on every new connection, and every `PULL_EVERY` while connected, a node pulls each
//! shared case from each member; members that are not connected are dialled with a short backoff, so two
//! members who edited apart converge within seconds of meeting again. What cannot be delivered directly is
//! deposited at the member's mailboxes as everything it lacks beyond what it was last known to hold.
//!
//! Deterministic by construction: ordered maps only, time as a parameter, no clock and no randomness here.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use samenloop_protocol::Identity;
use samenloop_protocol::cases::doc_log::AuthorSeq;
use samenloop_protocol::cases::ledger::CaseId;
use samenloop_protocol::cases::sync::{DocVector, SyncRefusal, SyncRequest, SyncResponse, WireRun};
use samenloop_protocol::mailbox::MailPayload;
use samenloop_protocol::peer_id_of;
use serde::{Deserialize, Serialize};
use serde_bytes::ByteBuf;
use tracing::{debug, info, warn};

use crate::cases::book::{CaseBook, Received};
use crate::cases::commands::CaseEvent;
use crate::cases::rows::CaseRows;
use crate::vault::Vault;

/// How often connected members pull each shared case from each other.
pub const PULL_EVERY: Duration = Duration::from_secs(5);
/// The first wait between dials of an absent member; it doubles up to `MAX_MEMBER_REDIAL`.
const FIRST_MEMBER_REDIAL: Duration = Duration::from_millis(500);
/// The longest wait between dials of an absent member.
const MAX_MEMBER_REDIAL: Duration = Duration::from_secs(2);

/// A member's key (its ed25519 verifying key), the name sync uses for a peer.
pub type Member = [u8; 32];

/// Names a request this core sent, so its answer (or failure) comes back to what it was for.
pub type FlightId = u64;

/// What a member holds of a case, as it said in a pull (or as was last deposited for it): ledger length,
/// document vectors, audit seqs.
pub type Holdings = (u64, Vec<DocVector>, Vec<AuthorSeq>);

/// What the sync core needs of the node: the case book (whose writes wait in it until the event is
/// settled), the rows it reads, the vault that seals at rest, the identity that signs.
pub struct CaseState<'a> {
    /// The cases.
    pub book: &'a mut CaseBook,
    /// Their rows as committed.
    pub rows: &'a dyn CaseRows,
    /// Seals rows at rest.
    pub vault: &'a Vault,
    /// This node.
    pub identity: &'a Identity,
}

/// A push of ledger operations only: `ops` from position `from` on.
fn ledger_push(case: CaseId, from: u64, ops: &[Vec<u8>]) -> SyncRequest {
    SyncRequest::Push {
        case,
        ledger: ops.iter().map(|o| ByteBuf::from(o.clone())).collect(),
        ledger_from: from,
        ledger_len: from + ops.len() as u64,
        runs: Vec::new(),
        audit: Vec::new(),
    }
}

/// Something for the I/O around the core to do, in order.
#[derive(Debug)]
pub enum SyncEffect {
    /// Send `request` to a member (connected, as far as the core knows); its answer or failure comes back
    /// as [`SyncCore::answered`] or [`SyncCore::failed`] with `flight`.
    Send {
        /// The member.
        to: Member,
        /// The request's name.
        flight: FlightId,
        /// The request.
        request: SyncRequest,
    },
    /// Deposit `payload` for an absent member at its mailboxes. `key` names a message to deposit once.
    Post {
        /// The member.
        to: Member,
        /// Deposit once under this name (None: every time).
        key: Option<String>,
        /// What to deposit.
        payload: MailPayload,
    },
    /// Dial an absent member.
    Dial(Member),
    /// A case changed here (entries, members, destruction, a confirmation): open pages refresh.
    Changed(CaseId),
}

/// Where a change announced to a case's members comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Origin {
    /// Made on this node: deposited for every absent member.
    Here,
    /// Received from another member and passed on: pushed to connected members, and deposited for absent
    /// ones only where this node knows what they hold (a small delta). For a member it knows nothing of,
    /// the whole case would go into the deposit, which the change's author deposits already.
    Received,
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

/// What a request in flight was, to act on its answer.
#[derive(Debug)]
enum Flight {
    Pull {
        case: CaseId,
    },
    Push {
        case: CaseId,
        to: Member,
        /// Kept so that a push that fails (the member went away) is deposited at its mailboxes instead.
        request: Box<SyncRequest>,
    },
    Confirm {
        case: CaseId,
    },
}

/// The sync core's own state: what is in flight, who is connected, when to pull and dial, what each absent
/// member is known to hold. None of it is persisted: after a restart, pulls rebuild it.
#[derive(Default)]
pub struct SyncCore {
    flights: BTreeMap<FlightId, Flight>,
    next_flight: FlightId,
    connected: BTreeSet<Member>,
    /// When each absent member may be dialled again, and the backoff after that.
    redial: BTreeMap<Member, (Duration, Duration)>,
    last_pull: Option<Duration>,
    /// Pull rounds so far: each starts with the next member.
    pull_rounds: u64,
    /// What each member of each case is known to hold (its last pull, or what was last deposited for it).
    /// A deposit carries everything beyond this.
    holds: BTreeMap<(CaseId, Member), Holdings>,
    /// Counts for the status view.
    pub stats: SyncStats,
}

fn short(member: &Member) -> String {
    match ed25519_dalek::VerifyingKey::from_bytes(member) {
        Ok(k) => peer_id_of(&k).to_string(),
        Err(_) => hex::encode(&member[..4]),
    }
}

impl SyncCore {
    /// Whether the core takes `member` to be connected.
    pub fn is_connected(&self, member: &Member) -> bool {
        self.connected.contains(member)
    }

    /// Requests sent and not yet answered.
    pub fn in_flight(&self) -> usize {
        self.flights.len()
    }

    /// The effects of an event whose rows could not be committed are dropped: forget the requests among
    /// them, so nothing waits for an answer that will never come (and the next pull goes out).
    pub fn forget(&mut self, dropped: &[SyncEffect]) {
        for effect in dropped {
            if let SyncEffect::Send { flight, .. } = effect {
                self.flights.remove(flight);
            }
        }
    }

    /// A connection to `member` opened: pull every shared case from it.
    pub fn connected(&mut self, st: &mut CaseState<'_>, member: Member, out: &mut Vec<SyncEffect>) {
        self.connected.insert(member);
        self.redial.remove(&member);
        self.pull_from(st, member, out);
    }

    /// The last connection to `member` closed. Requests in flight to it fail on their own (`failed`).
    pub fn disconnected(&mut self, member: Member) {
        self.connected.remove(&member);
    }

    /// Dial `member` at the next tick, whatever the backoff (a partition healed, in tests).
    pub fn redial_now(&mut self, member: &Member) {
        self.redial.remove(member);
    }

    /// Periodic, with the time since some fixed start: pull from connected members, dial absent ones,
    /// resend unacknowledged confirmations.
    pub fn tick(&mut self, st: &mut CaseState<'_>, now: Duration, out: &mut Vec<SyncEffect>) {
        let me = st.book.me();
        let mut members: BTreeSet<Member> = BTreeSet::new();
        for c in st.book.cases.values().filter(|c| c.ledger.member(&me).is_some()) {
            members.extend(c.ledger.members().filter(|m| m.key != me).map(|m| m.key));
        }
        let pull_due = self.last_pull.is_none_or(|t| now.saturating_sub(t) >= PULL_EVERY);
        // One pull per case at a time, so the member asked first in a round is the one asked; start each
        // round with the next member, or one who alone holds news (a destruction, say) is never asked.
        let mut members: Vec<Member> = members.into_iter().collect();
        if pull_due && !members.is_empty() {
            let start = (self.pull_rounds % members.len() as u64) as usize;
            members.rotate_left(start);
            self.pull_rounds += 1;
        }
        for member in members {
            if self.connected.contains(&member) {
                if pull_due {
                    self.pull_from(st, member, out);
                }
                continue;
            }
            let (due, backoff) = self.redial.get(&member).copied().unwrap_or((now, FIRST_MEMBER_REDIAL));
            if now >= due {
                out.push(SyncEffect::Dial(member));
                let backoff = (backoff * 2).min(MAX_MEMBER_REDIAL);
                self.redial.insert(member, (now + backoff, backoff));
            }
        }
        if pull_due {
            self.last_pull = Some(now);
        }
        self.send_confirmations(st, out);
    }

    /// Pushes something new to the members who may read it.
    pub fn announce(&mut self, st: &mut CaseState<'_>, event: CaseEvent, origin: Origin, out: &mut Vec<SyncEffect>) {
        let (case, doc, runs, audit) = match event {
            CaseEvent::Edited { case, doc, run } => (case, Some(doc), vec![run], Vec::new()),
            CaseEvent::LedgerChanged { case } => (case, None, Vec::new(), Vec::new()),
            CaseEvent::Audited { case, entry } => (case, None, Vec::new(), vec![ByteBuf::from(entry)]),
            CaseEvent::Removed { case, member } => {
                // Only if connected: otherwise its node learns on its next pull, answered with the ledger up
                // to its removal.
                let Ok(c) = st.book.case(&case) else { return };
                let from = c.peer_ledger.get(&member).copied().unwrap_or(0);
                let Some(ops) = c.ledger.removal_notice(&member, from) else { return };
                self.push_or_post(member, ledger_push(case, from, ops), out);
                return;
            }
            // Members learn it from their next pull (within PULL_EVERY), answered `Destroyed`.
            CaseEvent::Destroyed { case } => {
                info!(%case, "case destroyed here; telling the members, whose nodes delete it and confirm");
                let Some(t) = st.book.tombstones.get(&case) else { return };
                let op = t.record.destroy.clone();
                let seq = samenloop_protocol::cases::destruction::op_seq(&op).unwrap_or(0);
                let me = st.book.me();
                let members: Vec<Member> = t.record.members.iter().filter(|m| **m != me).copied().collect();
                for member in members {
                    // An absent member learns on its next pull (answered `Destroyed`), or from its mailbox.
                    self.push_or_post(member, ledger_push(case, seq, std::slice::from_ref(&op)), out);
                }
                return;
            }
        };
        for member in st.book.other_members(&case, doc) {
            // Only to connected members directly: a push queued for an absent one would arrive after it
            // reconnected, possibly out of order; an absent member catches up by pulling when it is back, and
            // meanwhile finds the change at its mailboxes.
            if !self.connected.contains(&member) {
                if origin == Origin::Here || self.holds.contains_key(&(case, member)) {
                    let _ = self.post_case(st, member, case, out);
                }
                continue;
            }
            if let Some(request) = st.book.push_request(&case, &member, runs.clone(), audit.clone()) {
                self.push_or_post(member, request, out);
            }
        }
    }

    /// Answers a request from `from` (arrived directly or from a mailbox).
    pub fn answer(
        &mut self,
        st: &mut CaseState<'_>,
        from: Member,
        request: SyncRequest,
        out: &mut Vec<SyncEffect>,
    ) -> SyncResponse {
        if let Some(t) = st.book.tombstones.get(&request.case())
            && t.record.members.contains(&from)
            && !matches!(request, SyncRequest::Confirm { .. })
        {
            return SyncResponse::Destroyed { destroy: t.record.destroy.clone() };
        }
        match request {
            SyncRequest::Confirm { case, confirmation, audit } => {
                match st.book.take_confirmation(st.vault, &case, st.identity, (&confirmation, &audit)) {
                    Ok(new) => {
                        if new {
                            info!(peer = %short(&from), %case, "a member confirmed the destruction of the case");
                            // The lead's open destruction page shows the confirmation as it comes in.
                            out.push(SyncEffect::Changed(case));
                        }
                        SyncResponse::Ack { refused: Vec::new() }
                    }
                    Err(e) => SyncResponse::Ack { refused: vec![format!("confirmation: {e}")] },
                }
            }
            SyncRequest::Pull { case, ledger_len, docs, audit } => {
                self.holds.insert((case, from), (ledger_len, docs.clone(), audit.clone()));
                let response = st.book.answer_pull(st.rows, st.identity, &from, &case, (ledger_len, &docs, &audit));
                if matches!(response, SyncResponse::Refused(_)) {
                    self.stats.refused_non_members += 1;
                    info!(peer = %short(&from), %case, "refused a pull: not a member, or unknown case");
                }
                response
            }
            SyncRequest::Push { case, ledger, ledger_from, ledger_len, runs, audit } => {
                let known = st.book.cases.contains_key(&case);
                if known && st.book.case(&case).is_ok_and(|c| c.ledger.member(&from).is_none()) {
                    return SyncResponse::Refused(SyncRefusal::NotAMember);
                }
                if !known && ledger.is_empty() {
                    return SyncResponse::Refused(SyncRefusal::UnknownCase);
                }
                let mut received = Received::default();
                if let Err(e) =
                    st.book.receive_ledger(st.vault, st.identity, &case, (ledger_from, &ledger), &mut received)
                {
                    let line = format!("ledger: {e}");
                    self.note_refused(&from, line.clone());
                    if !known {
                        return SyncResponse::Refused(SyncRefusal::UnknownCase);
                    }
                    received.refused.push(line);
                }
                // The pusher is a member by our (possibly just received) ledger; note what it holds.
                if let Some(c) = st.book.cases.get_mut(&case) {
                    if c.ledger.member(&from).is_none() {
                        return SyncResponse::Refused(SyncRefusal::NotAMember);
                    }
                    c.peer_ledger.insert(from, ledger_len);
                }
                match st.book.destroy_if_ended(st.vault, st.identity, &case) {
                    Ok(true) => {
                        info!(%case, "the lead destroyed the case: everything of it was deleted here");
                        out.push(SyncEffect::Changed(case));
                        self.send_confirmations(st, out);
                        return SyncResponse::Ack { refused: Vec::new() };
                    }
                    Ok(false) => {}
                    Err(e) => warn!(%case, "could not finish the destruction: {e}"),
                }
                self.take_runs(st, &from, &case, runs, &mut received);
                self.take_audit(st, &from, &case, &audit, &mut received);
                tell_pages(&case, &received, out);
                let behind = st.book.case(&case).is_ok_and(|c| c.ledger.len() < ledger_len);
                if !known || behind || !received.refused.is_empty() {
                    self.pull(st, case, from, out);
                }
                if received.ledger_grew {
                    self.announce(st, CaseEvent::LedgerChanged { case }, Origin::Received, out);
                }
                SyncResponse::Ack { refused: received.refused }
            }
        }
    }

    /// The answer to a request this core sent.
    pub fn answered(
        &mut self,
        st: &mut CaseState<'_>,
        from: Member,
        flight: FlightId,
        response: SyncResponse,
        out: &mut Vec<SyncEffect>,
    ) {
        let Some(flight) = self.flights.remove(&flight) else { return };
        let case = match flight {
            Flight::Pull { case } => case,
            Flight::Confirm { case } => {
                if let SyncResponse::Ack { refused } = &response
                    && refused.is_empty()
                    && let Err(e) = st.book.confirmation_acknowledged(st.vault, &case)
                {
                    warn!(%case, "could not record the lead's acknowledgement: {e}");
                }
                return;
            }
            Flight::Push { case, .. } => {
                if let SyncResponse::Ack { refused } = &response
                    && !refused.is_empty()
                {
                    debug!(peer = %short(&from), %case, ?refused, "a member refused part of a push");
                }
                if let SyncResponse::Refused(r) = response {
                    debug!(peer = %short(&from), %case, "push refused: {r}");
                }
                return;
            }
        };
        self.take_pull_answer(st, from, case, response, None, out);
    }

    /// A request this core sent got no answer (the member went away, the connection broke, a timeout).
    pub fn failed(&mut self, st: &mut CaseState<'_>, flight: FlightId, out: &mut Vec<SyncEffect>) {
        // The member went away before the push arrived (a laptop closed as it was invited, say): its
        // mailboxes get everything it lacks, not only this push, which might be a bare ledger operation whose
        // documents it could then never fetch while the sender is away.
        if let Some(Flight::Push { request, case, to }) = self.flights.remove(&flight)
            && !self.post_case(st, to, case, out)
        {
            out.push(SyncEffect::Post { to, key: None, payload: MailPayload::Sync(*request) });
        }
    }

    /// A sync item fetched from a mailbox, deposited by `from`: handled as the same request arriving
    /// directly. False when a push was refused in part (worth trying again after other items).
    pub fn take_mail_sync(
        &mut self,
        st: &mut CaseState<'_>,
        from: Member,
        request: SyncRequest,
        out: &mut Vec<SyncEffect>,
    ) -> bool {
        let answer = self.answer(st, from, request, out);
        !matches!(answer, SyncResponse::Ack { ref refused } if !refused.is_empty())
    }

    /// A deposited answer to this node's pull: what `from` held beyond what it knew this node to hold. False
    /// when any of it was refused (worth trying again after other items).
    pub fn take_mail_delta(
        &mut self,
        st: &mut CaseState<'_>,
        from: Member,
        (case, ledger_from, delta): (CaseId, u64, SyncResponse),
        out: &mut Vec<SyncEffect>,
    ) -> bool {
        // The sender holds at least what it sent (its `holds`, and the ledger up to the end of this answer):
        // nothing of that goes back to it by mailbox while it is away.
        if let SyncResponse::Delta { ledger, holds, .. } = &delta {
            let audit = self.holds.get(&(case, from)).map(|h| h.2.clone()).unwrap_or_default();
            self.holds.insert((case, from), (ledger_from + ledger.len() as u64, holds.clone(), audit));
        }
        let before = self.stats.refusals;
        self.take_pull_answer(st, from, case, delta, Some(ledger_from), out);
        self.stats.refusals == before
    }

    // ---- inside --------------------------------------------------------------------------------------

    fn send(&mut self, to: Member, request: SyncRequest, flight: Flight, out: &mut Vec<SyncEffect>) {
        let id = self.next_flight;
        self.next_flight += 1;
        self.flights.insert(id, flight);
        out.push(SyncEffect::Send { to, flight: id, request });
    }

    /// Pushes to a connected member; deposits at an absent member's mailboxes.
    fn push_or_post(&mut self, to: Member, request: SyncRequest, out: &mut Vec<SyncEffect>) {
        if self.connected.contains(&to) {
            let case = request.case();
            let flight = Flight::Push { case, to, request: Box::new(request.clone()) };
            self.send(to, request, flight, out);
        } else {
            out.push(SyncEffect::Post { to, key: None, payload: MailPayload::Sync(request) });
        }
    }

    /// Deposits a change for an absent member: everything it lacks beyond what it was last known to hold
    /// (its last pull, or the last deposit; nothing when unknown, as for a member invited while away), so
    /// deposits that arrive out of order, or one that is lost, leave no gap in what it can take.
    /// Returns false when there is nothing to deposit as a delta (the case is gone here, or the member may
    /// not have it).
    fn post_case(&mut self, st: &mut CaseState<'_>, to: Member, case: CaseId, out: &mut Vec<SyncEffect>) -> bool {
        let (ledger_from, docs, audit) = self.holds.get(&(case, to)).cloned().unwrap_or_default();
        let delta = st.book.answer_pull(st.rows, st.identity, &to, &case, (ledger_from, &docs, &audit));
        let SyncResponse::Delta { more, .. } = &delta else { return false };
        if *more {
            // Beyond one page: the member takes this one and pulls the rest when it meets a member directly.
            warn!(%case, "a deposit for an absent member holds only the first page of what it lacks");
        } else if let Some(SyncRequest::Pull { ledger_len, docs, audit, .. }) = st.book.pull_request(&case) {
            // Once it takes this, it holds what this node holds now.
            self.holds.insert((case, to), (ledger_len, docs, audit));
        }
        out.push(SyncEffect::Post { to, key: None, payload: MailPayload::Delta { case, ledger_from, delta } });
        true
    }

    /// Pulls every case shared with `member` from it.
    fn pull_from(&mut self, st: &mut CaseState<'_>, member: Member, out: &mut Vec<SyncEffect>) {
        let shared: Vec<CaseId> =
            st.book.cases.iter().filter(|(_, c)| c.ledger.member(&member).is_some()).map(|(id, _)| *id).collect();
        for case in shared {
            self.pull(st, case, member, out);
        }
    }

    fn pull(&mut self, st: &mut CaseState<'_>, case: CaseId, member: Member, out: &mut Vec<SyncEffect>) {
        // One pull per case at a time: a member that is far behind would otherwise download the same history
        // (a snapshot) from every member at once. The others are asked in the next round.
        let busy = self.flights.values().any(|f| matches!(f, Flight::Pull { case: c } if *c == case));
        if busy {
            return;
        }
        if let Some(request) = st.book.pull_request(&case) {
            self.send(member, request, Flight::Pull { case }, out);
        }
    }

    /// Sends this node's unacknowledged destruction confirmations to the leads (dialling them if away).
    fn send_confirmations(&mut self, st: &mut CaseState<'_>, out: &mut Vec<SyncEffect>) {
        let pending: Vec<(Member, SyncRequest)> = st
            .book
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
            let busy = self.flights.values().any(|f| matches!(f, Flight::Confirm { case: c } if *c == case));
            if busy {
                continue;
            }
            if !self.connected.contains(&lead) {
                out.push(SyncEffect::Dial(lead));
                // Also by mailbox, once per run: the lead may be away for days.
                out.push(SyncEffect::Post {
                    to: lead,
                    key: Some(format!("confirm:{case}")),
                    payload: MailPayload::Sync(request),
                });
                continue;
            }
            self.send(lead, request, Flight::Confirm { case }, out);
        }
    }

    fn note_refused(&mut self, from: &Member, what: String) {
        warn!(peer = %short(from), "refused from a member: {what}");
        self.stats.refusals += 1;
        self.stats.refused.push(what);
        if self.stats.refused.len() > 100 {
            self.stats.refused.remove(0);
        }
    }

    fn take_runs(
        &mut self,
        st: &mut CaseState<'_>,
        from: &Member,
        case: &CaseId,
        runs: Vec<WireRun>,
        received: &mut Received,
    ) {
        for run in runs {
            let bytes: usize = run.bundles.iter().map(|b| b.len()).sum::<usize>() + run.head.len();
            self.stats.payload_bytes_received += bytes as u64;
            if let Err(e) = st.book.receive_run(st.identity, (case, from), run, received) {
                let line = format!("run: {e}");
                self.note_refused(from, line.clone());
                received.refused.push(line);
            }
        }
    }

    fn take_audit(
        &mut self,
        st: &mut CaseState<'_>,
        from: &Member,
        case: &CaseId,
        entries: &[ByteBuf],
        received: &mut Received,
    ) {
        let before = received.refused.len();
        if let Err(e) = st.book.receive_audit(st.vault, st.identity, case, entries, received) {
            received.refused.push(format!("audit: {e}"));
        }
        let new = received.refused.split_off(before);
        for line in &new {
            self.note_refused(from, line.clone());
        }
        received.refused.extend(new);
    }

    /// After a pull, sends the peer what its answer shows it lacks, so both sides converge in one exchange
    /// (a peer far behind gets a snapshot by pulling; runs it could not verify would only be refused).
    fn push_what_peer_lacks(
        &mut self,
        st: &mut CaseState<'_>,
        member: Member,
        case: CaseId,
        holds: &[DocVector],
        out: &mut Vec<SyncEffect>,
    ) {
        let Some(ledger_len) = st.book.case(&case).ok().map(|c| c.ledger.len()) else { return };
        let answer = st.book.answer_pull(st.rows, st.identity, &member, &case, (ledger_len, holds, &[]));
        if let SyncResponse::Delta { snapshots, runs, .. } = answer
            && snapshots.is_empty()
            && !runs.is_empty()
            && let Some(request) = st.book.push_request(&case, &member, runs, Vec::new())
        {
            self.push_or_post(member, request, out);
        }
    }

    /// Takes in what `from` answered to a pull of `case` (directly, or deposited at a mailbox for a member
    /// that was away). `ledger_from` is where the answer's ledger operations start: a direct answer starts
    /// at what this node held when it asked (`None`), a deposited one at the operation it names.
    fn take_pull_answer(
        &mut self,
        st: &mut CaseState<'_>,
        from: Member,
        case: CaseId,
        response: SyncResponse,
        ledger_from: Option<u64>,
        out: &mut Vec<SyncEffect>,
    ) {
        match response {
            SyncResponse::Delta { ledger, snapshots, runs, more, holds, audit } => {
                let mut received = Received::default();
                let start = ledger_from.unwrap_or_else(|| st.book.case(&case).map(|c| c.ledger.len()).unwrap_or(0));
                if let Err(e) = st.book.receive_ledger(st.vault, st.identity, &case, (start, &ledger), &mut received) {
                    self.note_refused(&from, format!("ledger: {e}"));
                }
                let payload: usize = ledger.iter().chain(&snapshots).map(|b| b.len()).sum();
                self.stats.payload_bytes_received += payload as u64;
                for s in snapshots {
                    if let Err(e) = st.book.receive_snapshot(st.identity, &case, s.into_vec(), &mut received) {
                        self.note_refused(&from, format!("snapshot: {e}"));
                    }
                }
                self.take_runs(st, &from, &case, runs, &mut received);
                self.take_audit(st, &from, &case, &audit, &mut received);
                tell_pages(&case, &received, out);
                if received.ledger_grew {
                    self.announce(st, CaseEvent::LedgerChanged { case }, Origin::Received, out);
                }
                if more {
                    self.pull(st, case, from, out);
                }
                self.push_what_peer_lacks(st, from, case, &holds, out);
            }
            SyncResponse::Refused(SyncRefusal::UnknownCase) => {
                // A member who does not know the case yet missed its invitation (offline then): send the ledger.
                if let Some(c) = st.book.cases.get_mut(&case)
                    && c.ledger.member(&from).is_some()
                {
                    c.peer_ledger.insert(from, 0);
                    if let Some(request) = st.book.push_request(&case, &from, Vec::new(), Vec::new()) {
                        self.push_or_post(from, request, out);
                    }
                }
            }
            SyncResponse::Refused(reason) => debug!(peer = %short(&from), %case, "pull refused: {reason}"),
            SyncResponse::Destroyed { destroy } => {
                match st.book.receive_destroy(st.vault, st.identity, &case, &destroy) {
                    Ok(true) => {
                        info!(%case, "the lead destroyed the case: everything of it was deleted here");
                        self.send_confirmations(st, out);
                        out.push(SyncEffect::Changed(case));
                    }
                    Ok(false) => {}
                    Err(e) => self.note_refused(&from, format!("destroy: {e}")),
                }
            }
            SyncResponse::Ack { .. } => {}
        }
    }
}

/// Tells open pages that a case changed here: new entries, a snapshot, or a grown ledger (a member invited,
/// removed, or this node added).
fn tell_pages(case: &CaseId, received: &Received, out: &mut Vec<SyncEffect>) {
    if !received.changed.is_empty() || received.ledger_grew {
        out.push(SyncEffect::Changed(*case));
    }
}
