//! The member side of mailboxes: depositing what could not be delivered directly, fetching what is held.
//!
//! Sending: whatever the node would have sent to an absent peer (a referral message, a sync push, a
//! destruction notice or confirmation, or for a member invited while away the answer to its first pull)
//! is sealed into an item per mailbox the recipient's profile names (or, for a recipient without a
//! profile, such as a requester, the mailboxes this node uses), and deposited there. Direct delivery is
//! still retried as before; the two arrive at the same idempotent handling. A refused deposit stays in
//! the outbox and is tried again.
//!
//! Receiving: on every connection to one of its mailboxes, and every `fetch_every` while connected, the
//! node registers its inboxes there (one per peer it works with, plus its first-contact inbox), fetches,
//! opens each item ([`samenloop_protocol::mailbox::open_item`]), hands the payload to the same code that
//! handles it when it arrives directly from the sender, and acknowledges it so the mailbox deletes it.

use std::collections::{HashMap, HashSet, VecDeque};
use std::time::{Duration, Instant};

use libp2p::request_response::{self, OutboundRequestId};
use libp2p::{Multiaddr, swarm::dial_opts::DialOpts};
use samenloop_protocol::PeerId;
use samenloop_protocol::mailbox::wire::MAX_INBOXES_PER_REQUEST;
use samenloop_protocol::mailbox::{
    InboxId, MailPayload, MailboxRefusal, MailboxRequest, MailboxResponse, OpenedItem, Recipient, first_contact_inbox,
    open_item, pair_inbox, seal_item,
};
use serde::{Deserialize, Serialize};
use tracing::{debug, info, warn};

use crate::keystore::random_bytes;
use crate::network::event_loop::{EventLoop, now};
use crate::network::sync_link::MailTaken;
use crate::reach::peer_of_addr;

/// Inboxes are registered again after this long even when nothing changed (registrations expire).
const REREGISTER_EVERY: Duration = Duration::from_secs(3600);
/// How long a refused or failed deposit waits before it is tried again.
const DEPOSIT_RETRY: Duration = Duration::from_secs(15);
/// How long to wait between dials of an absent mailbox.
const MAILBOX_REDIAL: Duration = Duration::from_secs(5);

/// One item waiting to be deposited at one mailbox. Sealed when sent, so a refused pair inbox can be
/// retried as the first-contact inbox.
struct Deposit {
    key: Option<String>,
    recipient: PeerId,
    recipient_key: [u8; 32],
    payload: std::sync::Arc<MailPayload>,
    first_contact: bool,
}

enum Flight {
    Register,
    Deposit { mailbox: PeerId, deposit: Deposit },
    Fetch { mailbox: PeerId },
    Ack,
}

/// Counts for `node status` and the tests.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct MailStats {
    /// Items a mailbox confirmed it holds for others.
    pub deposited: u64,
    /// Deposits a mailbox refused (kept and tried again).
    pub refused: u64,
    /// Items fetched from mailboxes and handled.
    pub taken: u64,
    /// Fetched items that did not open or verify (dropped).
    pub dropped: u64,
    /// Items waiting to be deposited.
    pub waiting: u64,
    /// Bytes sealed for deposits (padded, as stored at the mailbox).
    #[serde(default)]
    pub sealed_bytes: u64,
    /// Bytes of the items fetched (padded).
    #[serde(default)]
    pub fetched_bytes: u64,
}

/// The member side's state. Owned by the event loop.
#[derive(Default)]
pub(crate) struct PostOffice {
    outbox: HashMap<PeerId, VecDeque<Deposit>>,
    flights: HashMap<OutboundRequestId, Flight>,
    /// Keyed messages already held by a mailbox (this run), or on their way there.
    keys: HashSet<(PeerId, String)>,
    registered: HashMap<PeerId, (HashSet<InboxId>, Instant)>,
    /// Pair inboxes computed so far, by (mailbox, correspondent's X25519 key).
    pair_inboxes: HashMap<(PeerId, [u8; 32]), InboxId>,
    last_fetch: HashMap<PeerId, Instant>,
    fetching: HashSet<PeerId>,
    send_after: HashMap<PeerId, Instant>,
    dial_after: HashMap<PeerId, Instant>,
    pub(crate) stats: MailStats,
}

impl PostOffice {
    /// A new mailbox became known: fetch from it at once.
    pub(crate) fn mailbox_found(&mut self, mailbox: PeerId) {
        self.last_fetch.remove(&mailbox);
        self.dial_after.remove(&mailbox);
    }
}

impl EventLoop {
    /// Deposits `payload` for `to` at its mailboxes. `key` names a message that must be deposited once
    /// (a referral message kept for direct delivery); `None` deposits every time.
    pub(crate) fn post(&mut self, to: PeerId, key: Option<String>, payload: MailPayload) {
        let Some(recipient_key) = self.encryption_key_of(&to) else {
            debug!("no encryption key known for an absent peer: nothing deposited");
            return;
        };
        let payload = std::sync::Arc::new(payload);
        for (mailbox, _) in self.mailboxes_of(&to) {
            if mailbox == to {
                continue;
            }
            if let Some(k) = &key
                && !self.post.keys.insert((mailbox, k.clone()))
            {
                continue;
            }
            let deposit = Deposit {
                key: key.clone(),
                recipient: to,
                recipient_key,
                payload: payload.clone(),
                first_contact: false,
            };
            self.post.outbox.entry(mailbox).or_default().push_back(deposit);
            self.send_deposits(mailbox);
        }
    }

    /// The mailboxes through which `peer` is reached: those its profile names, else the ones this node
    /// uses (a requester has no profile; the network's mailbox is the one both sides know).
    fn mailboxes_of(&self, peer: &PeerId) -> Vec<(PeerId, Multiaddr)> {
        let named: Vec<(PeerId, Multiaddr)> = self
            .directory
            .get(peer)
            .map(|p| {
                p.record()
                    .reach
                    .mailboxes
                    .iter()
                    .filter_map(|a| a.parse::<Multiaddr>().ok())
                    .filter_map(|a| peer_of_addr(&a).map(|m| (m, a)))
                    .collect()
            })
            .unwrap_or_default();
        if !named.is_empty() {
            return named;
        }
        self.reach.mailboxes.iter().map(|(p, a)| (*p, a.clone())).collect()
    }

    /// The X25519 key of `peer`: from its profile, a case ledger, or a referral it sent.
    fn encryption_key_of(&self, peer: &PeerId) -> Option<[u8; 32]> {
        if let Some(p) = self.directory.get(peer) {
            return Some(p.record().encryption_key);
        }
        let key = samenloop_protocol::verifying_key_of(peer)?.to_bytes();
        for c in self.cases.cases.values() {
            if let Some(m) = c.ledger.members().find(|m| m.key == key) {
                return Some(m.x25519);
            }
        }
        let text = peer.to_string();
        self.received.values().filter(|r| r.requester == text).find_map(|r| {
            let bytes = hex::decode(&r.envelope).ok()?;
            samenloop_protocol::referrals::referral::decode_stored(&bytes).ok().map(|rec| rec.requester_key)
        })
    }

    /// Everyone this node may receive items from: whose pair inboxes it registers.
    fn correspondents(&self) -> Vec<[u8; 32]> {
        let mine = self.identity.encryption_public();
        let mut keys: Vec<[u8; 32]> = self.directory.profiles().map(|p| p.record().encryption_key).collect();
        for c in self.cases.cases.values() {
            keys.extend(c.ledger.members().map(|m| m.x25519));
        }
        for r in self.received.values() {
            if let Some(k) = hex::decode(&r.envelope)
                .ok()
                .and_then(|b| samenloop_protocol::referrals::referral::decode_stored(&b).ok())
                .map(|rec| rec.requester_key)
            {
                keys.push(k);
            }
        }
        keys.retain(|k| *k != mine);
        keys.sort();
        keys.dedup();
        keys
    }

    /// This node's inboxes at `mailbox`. Asked for on every fetch: each pair inbox costs an X25519
    /// operation, so it is computed once per correspondent and mailbox and kept.
    fn inboxes_at(&mut self, mailbox: &PeerId) -> HashSet<InboxId> {
        let mine = self.identity.encryption_public();
        let mut set = HashSet::new();
        for c in self.correspondents() {
            let secret = self.identity.encryption_secret();
            let inbox = *self
                .post
                .pair_inboxes
                .entry((*mailbox, c))
                .or_insert_with(|| pair_inbox(secret, &c, &c, &mine, mailbox));
            set.insert(inbox);
        }
        set.insert(first_contact_inbox(&mine, mailbox));
        set
    }

    /// Sends what waits for `mailbox` if connected (else dials it); this node's own mailbox takes it at once.
    fn send_deposits(&mut self, mailbox: PeerId) {
        if self.post.send_after.get(&mailbox).is_some_and(|t| Instant::now() < *t) {
            return;
        }
        let own = mailbox == self.identity.peer_id();
        if !own && !self.swarm.is_connected(&mailbox) {
            self.dial_mailbox(mailbox);
            return;
        }
        let Some(mut queue) = self.post.outbox.remove(&mailbox) else { return };
        while let Some(deposit) = queue.pop_front() {
            let inbox = self.deposit_inbox(&deposit, &mailbox);
            let to = Recipient { peer: &deposit.recipient, encryption_key: &deposit.recipient_key };
            let random = (random_bytes::<16>(), random_bytes::<32>(), random_bytes::<24>());
            let item = match seal_item(&self.identity, to, inbox, &deposit.payload, now(), random) {
                Ok(item) => item,
                Err(e) => {
                    warn!("a message could not be sealed for a mailbox and is not deposited: {e}");
                    if let Some(k) = deposit.key {
                        self.post.keys.remove(&(mailbox, k));
                    }
                    continue;
                }
            };
            self.post.stats.sealed_bytes += item.len() as u64;
            debug!(bytes = item.len(), "sealed an item for a mailbox");
            let request = MailboxRequest::Deposit { inbox, item };
            if own {
                let me = self.identity.peer_id();
                let answer = match self.mailbox_server.as_mut() {
                    Some(server) => server.handle(me, request, now()),
                    None => MailboxResponse::Refused(MailboxRefusal::NotAMailbox),
                };
                self.deposit_answered(mailbox, deposit, answer);
            } else {
                let id = self.swarm.behaviour_mut().mailbox.send_request(&mailbox, request);
                self.post.flights.insert(id, Flight::Deposit { mailbox, deposit });
            }
        }
        self.count_waiting();
    }

    fn deposit_inbox(&self, deposit: &Deposit, mailbox: &PeerId) -> InboxId {
        if deposit.first_contact {
            first_contact_inbox(&deposit.recipient_key, mailbox)
        } else {
            let mine = self.identity.encryption_public();
            pair_inbox(
                self.identity.encryption_secret(),
                &deposit.recipient_key,
                &mine,
                &deposit.recipient_key,
                mailbox,
            )
        }
    }

    fn dial_mailbox(&mut self, mailbox: PeerId) {
        if self.post.dial_after.get(&mailbox).is_some_and(|t| Instant::now() < *t) {
            return;
        }
        self.post.dial_after.insert(mailbox, Instant::now() + MAILBOX_REDIAL);
        let addr = self.reach.mailboxes.get(&mailbox).cloned().or_else(|| {
            self.directory
                .profiles()
                .flat_map(|p| p.record().reach.mailboxes.iter())
                .filter_map(|a| a.parse::<Multiaddr>().ok())
                .find(|a| peer_of_addr(a) == Some(mailbox))
        });
        let opts = match addr {
            Some(a) => DialOpts::peer_id(mailbox).addresses(vec![a]).extend_addresses_through_behaviour().build(),
            None => DialOpts::peer_id(mailbox).build(),
        };
        let _ = self.swarm.dial(opts);
    }

    fn deposit_answered(&mut self, mailbox: PeerId, mut deposit: Deposit, answer: MailboxResponse) {
        match answer {
            MailboxResponse::Deposited { .. } => {
                self.post.stats.deposited += 1;
                debug!("an item was deposited at a mailbox");
                if let Some(key) = &deposit.key {
                    self.left_at_mailbox(key);
                }
            }
            MailboxResponse::Refused(MailboxRefusal::UnknownInbox) if !deposit.first_contact => {
                // The recipient does not know us yet (a first referral): its first-contact inbox.
                deposit.first_contact = true;
                self.post.outbox.entry(mailbox).or_default().push_front(deposit);
                self.send_deposits(mailbox);
            }
            MailboxResponse::Refused(reason) => {
                self.post.stats.refused += 1;
                warn!("a mailbox refused an item ({reason}); it is kept and tried again");
                self.requeue(mailbox, deposit);
            }
            other => {
                warn!("a mailbox answered a deposit with {other:?}; it is kept and tried again");
                self.requeue(mailbox, deposit);
            }
        }
        self.count_waiting();
    }

    fn requeue(&mut self, mailbox: PeerId, deposit: Deposit) {
        self.post.outbox.entry(mailbox).or_default().push_back(deposit);
        self.post.send_after.insert(mailbox, Instant::now() + DEPOSIT_RETRY);
    }

    fn count_waiting(&mut self) {
        self.post.stats.waiting = self.post.outbox.values().map(|q| q.len() as u64).sum();
    }

    /// Registers this node's inboxes at `mailbox` (when they changed or are due) and fetches what it holds.
    pub(crate) fn fetch_mail(&mut self, mailbox: PeerId) {
        if !self.reach.mailboxes.contains_key(&mailbox) || !self.swarm.is_connected(&mailbox) {
            return;
        }
        let inboxes = self.inboxes_at(&mailbox);
        let due = self
            .post
            .registered
            .get(&mailbox)
            .is_none_or(|(held, at)| at.elapsed() >= REREGISTER_EVERY || !inboxes.is_subset(held));
        if due {
            let list: Vec<InboxId> = inboxes.iter().copied().collect();
            for chunk in list.chunks(MAX_INBOXES_PER_REQUEST) {
                let id = self
                    .swarm
                    .behaviour_mut()
                    .mailbox
                    .send_request(&mailbox, MailboxRequest::Register { inboxes: chunk.to_vec() });
                self.post.flights.insert(id, Flight::Register);
            }
            self.post.registered.insert(mailbox, (inboxes.clone(), Instant::now()));
        }
        self.fetch_after(mailbox, inboxes.into_iter().collect(), 0);
    }

    fn fetch_after(&mut self, mailbox: PeerId, inboxes: Vec<InboxId>, after: u64) {
        if !self.post.fetching.insert(mailbox) && after == 0 {
            return; // a fetch is under way
        }
        self.post.last_fetch.insert(mailbox, Instant::now());
        for chunk in inboxes.chunks(MAX_INBOXES_PER_REQUEST) {
            let id = self
                .swarm
                .behaviour_mut()
                .mailbox
                .send_request(&mailbox, MailboxRequest::Fetch { inboxes: chunk.to_vec(), after });
            self.post.flights.insert(id, Flight::Fetch { mailbox });
        }
    }

    /// Periodic: fetch from connected mailboxes when due, dial absent ones that hold or await something.
    pub(crate) fn on_mail_tick(&mut self) {
        if let Some(server) = self.mailbox_server.as_mut() {
            server.on_tick(now());
        }
        let every = self.config.reach.fetch_every;
        let mailboxes: Vec<PeerId> = self.reach.mailboxes.keys().copied().collect();
        for m in mailboxes {
            if m == self.identity.peer_id() {
                self.take_own_mail();
                continue;
            }
            let due = self.post.last_fetch.get(&m).is_none_or(|t| t.elapsed() >= every);
            if self.swarm.is_connected(&m) {
                if due {
                    self.post.fetching.remove(&m);
                    self.fetch_mail(m);
                }
            } else if due || self.post.outbox.contains_key(&m) {
                self.dial_mailbox(m);
            }
        }
        let waiting: Vec<PeerId> = self.post.outbox.keys().copied().collect();
        for m in waiting {
            self.send_deposits(m);
        }
    }

    /// A node that is its own mailbox reads its own inboxes directly.
    fn take_own_mail(&mut self) {
        let me = self.identity.peer_id();
        let inboxes: Vec<InboxId> = self.inboxes_at(&me).into_iter().collect();
        let Some(server) = self.mailbox_server.as_mut() else { return };
        server.handle(me, MailboxRequest::Register { inboxes: inboxes.clone() }, now());
        if let MailboxResponse::Items { items, .. } =
            server.handle(me, MailboxRequest::Fetch { inboxes, after: 0 }, now())
            && !items.is_empty()
        {
            let acks = self.take_items(items);
            if let Some(server) = self.mailbox_server.as_mut() {
                server.handle(me, MailboxRequest::Ack { items: acks }, now());
            }
        }
    }

    /// A connection to a mailbox opened: send what waits for it, and fetch.
    pub(crate) fn mailbox_connected(&mut self, peer: PeerId) {
        if self.reach.mailboxes.contains_key(&peer) {
            self.post.fetching.remove(&peer);
            self.fetch_mail(peer);
        }
        if self.post.outbox.contains_key(&peer) {
            self.post.send_after.remove(&peer);
            self.send_deposits(peer);
        }
    }

    pub(crate) fn on_mailbox_event(&mut self, event: request_response::Event<MailboxRequest, MailboxResponse>) {
        match event {
            request_response::Event::Message { peer, message, .. } => match message {
                request_response::Message::Request { request, channel, .. } => {
                    let answer = match self.mailbox_server.as_mut() {
                        Some(server) => server.handle(peer, request, now()),
                        None => MailboxResponse::Refused(MailboxRefusal::NotAMailbox),
                    };
                    let _ = self.swarm.behaviour_mut().mailbox.send_response(channel, answer);
                }
                request_response::Message::Response { request_id, response } => {
                    self.on_mail_answer(request_id, response);
                }
            },
            request_response::Event::OutboundFailure { request_id, error, .. } => {
                match self.post.flights.remove(&request_id) {
                    Some(Flight::Deposit { mailbox, deposit }) => {
                        debug!("a deposit did not reach the mailbox ({error}); kept");
                        self.requeue(mailbox, deposit);
                    }
                    Some(Flight::Fetch { mailbox }) => {
                        self.post.fetching.remove(&mailbox);
                    }
                    Some(Flight::Register) => self.post.registered.clear(),
                    _ => {}
                }
            }
            _ => {}
        }
    }

    fn on_mail_answer(&mut self, id: OutboundRequestId, answer: MailboxResponse) {
        match self.post.flights.remove(&id) {
            Some(Flight::Deposit { mailbox, deposit }) => self.deposit_answered(mailbox, deposit, answer),
            Some(Flight::Register) => {
                if let MailboxResponse::Refused(r) = answer {
                    warn!("a mailbox refused to register this node's inboxes: {r}");
                }
            }
            Some(Flight::Fetch { mailbox: m }) => match answer {
                MailboxResponse::Items { items, more } => {
                    let last = items.last().map(|i| i.id);
                    let acks = self.take_items(items);
                    if !acks.is_empty() {
                        let id =
                            self.swarm.behaviour_mut().mailbox.send_request(&m, MailboxRequest::Ack { items: acks });
                        self.post.flights.insert(id, Flight::Ack);
                    }
                    match (more, last) {
                        (true, Some(after)) => {
                            let inboxes = self.inboxes_at(&m).into_iter().collect();
                            self.fetch_after(m, inboxes, after);
                        }
                        _ => {
                            self.post.fetching.remove(&m);
                        }
                    }
                }
                other => {
                    self.post.fetching.remove(&m);
                    debug!("a mailbox answered a fetch with {other:?}");
                }
            },
            Some(Flight::Ack) | None => {}
        }
    }

    /// Opens and handles fetched items; returns every one to acknowledge (unreadable ones included: they
    /// will never open, and keeping them would only fill the inbox). An item whose event could not be
    /// stored is not acknowledged: the mailbox keeps it, and the next fetch brings it again.
    ///
    /// Items may come out of order (a push that failed directly was deposited after later ones, or a
    /// mailbox reorders): a push refused in part (a run whose earlier bundles had not arrived yet) is tried
    /// again after the others, as long as a pass takes something new.
    fn take_items(&mut self, items: Vec<samenloop_protocol::mailbox::StoredItem>) -> Vec<(InboxId, u64)> {
        let mut acks = Vec::with_capacity(items.len());
        let mut opened = Vec::new();
        for stored in items {
            self.post.stats.fetched_bytes += stored.item.len() as u64;
            let at = (stored.inbox, stored.id);
            match open_item(&self.identity, stored.inbox, &stored.item) {
                Ok(item) => opened.push((at, item)),
                Err(e) => {
                    self.post.stats.dropped += 1;
                    warn!("dropped a mailbox item that does not open or verify: {e}");
                    acks.push(at);
                }
            }
        }
        self.post.stats.taken += opened.len() as u64;
        let mut kept = 0;
        loop {
            let before = opened.len();
            let mut again = Vec::new();
            for (at, item) in opened {
                match self.take_mail(item.clone()) {
                    MailTaken::Taken => acks.push(at),
                    MailTaken::InPart => again.push((at, item)),
                    MailTaken::NotStored => kept += 1,
                }
            }
            opened = again;
            if opened.is_empty() || opened.len() == before {
                break;
            }
        }
        if !opened.is_empty() {
            info!(count = opened.len(), "mailbox items not taken whole (the next direct sync completes them)");
            acks.extend(opened.into_iter().map(|(at, _)| at));
        }
        if kept > 0 {
            warn!(
                count = kept,
                "mailbox items not stored here (the disk refused): left at the mailbox for the next fetch"
            );
        }
        acks
    }

    /// Handles an opened item exactly as the same message arriving directly from its sender, and says what
    /// became of it.
    fn take_mail(&mut self, item: OpenedItem) -> MailTaken {
        let from = item.sender;
        match item.payload {
            MailPayload::Referral(message) => {
                let reply = self.on_referral_message(from, message);
                debug!(?reply, "a referral message arrived by mailbox");
                MailTaken::Taken
            }
            MailPayload::Sync(request) => self.take_mail_sync(from, request),
            MailPayload::Delta { case, ledger_from, delta } => self.take_mail_delta(from, (case, ledger_from, delta)),
        }
    }
}
