//! Reaching others from behind a home router, and being reached.
//!
//! Every node runs AutoNAT (am I reachable from outside?), the relay client (a reservation on a relay when
//! not, so others can open a circuit to it), and DCUtR (a relayed connection is upgraded to a direct one by
//! hole punching where the routers allow it). A node started with `--relay` serves as relay for the
//! network's reviewers only: a reservation is granted to a peer whose signed profile this node holds
//! ([`RelayGate`]), so nobody outside the network can use it, and circuits reach only reviewers.
//!
//! Data flows one way: identify, AutoNAT, relay and DCUtR events -> [`Reachability`] (what the node knows
//! of its own reach) -> reservations kept or dropped, the profile's [`samenloop_protocol::Reach`] (the
//! relays and mailboxes others should use) republished when it changes -> `node status`.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use libp2p::core::transport::ListenerId;
use libp2p::multiaddr::Protocol;
use libp2p::swarm::ConnectionId;
use libp2p::{Multiaddr, autonat, dcutr, identify, relay};
use samenloop_protocol::{PeerId, Reach};
use serde::{Deserialize, Serialize};
use tracing::{debug, info, warn};

use crate::config::ReservePolicy;
use crate::network::behaviour::MAILBOX_PROTOCOL;
use crate::network::event_loop::EventLoop;

/// How many relays a node keeps a reservation on at once.
const RESERVATIONS: usize = 2;
/// How long to wait before asking a relay again after a reservation failed or lapsed.
const RESERVE_RETRY: Duration = Duration::from_secs(4);

/// The relay's admission rule as a libp2p rate limiter: only peers whose signed profile the node holds.
/// Shared with the event loop, which keeps the set equal to the directory's peers.
#[derive(Clone, Default)]
pub struct RelayGate(Arc<RwLock<HashSet<PeerId>>>);

impl RelayGate {
    /// Replaces the admitted set.
    pub(crate) fn admit_only(&self, peers: HashSet<PeerId>) {
        if let Ok(mut set) = self.0.write() {
            *set = peers;
        }
    }

    /// Admits one more peer (a profile just accepted).
    pub(crate) fn admit(&self, peer: PeerId) {
        if let Ok(mut set) = self.0.write() {
            set.insert(peer);
        }
    }

    fn admits(&self, peer: &PeerId) -> bool {
        self.0.read().map(|s| s.contains(peer)).unwrap_or(false)
    }
}

impl relay::RateLimiter for RelayGate {
    fn try_next(&mut self, peer: PeerId, _addr: &Multiaddr, _now: web_time::Instant) -> bool {
        let ok = self.admits(&peer);
        if !ok {
            debug!("relay reservation refused: no signed profile of the peer is held here");
        }
        ok
    }
}

/// What AutoNAT concluded.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) enum Nat {
    /// Not known yet.
    #[default]
    Unknown,
    /// Reachable from outside at this address.
    Public(Multiaddr),
    /// Behind a router (or firewall) that refuses incoming connections.
    Private,
}

/// A reservation asked for or held on a relay.
struct Reservation {
    listener: ListenerId,
    /// The relay's address, ending in `/p2p/RELAY`.
    addr: Multiaddr,
    accepted: bool,
}

/// What the node knows of its own reach. Owned by the event loop.
#[derive(Default)]
pub(crate) struct Reachability {
    pub(crate) nat: Nat,
    pub(crate) gate: RelayGate,
    /// Relays that may be used (from the configuration, or bootstrap peers that serve as relay).
    relay_candidates: BTreeMap<PeerId, Multiaddr>,
    reservations: HashMap<PeerId, Reservation>,
    retry_at: HashMap<PeerId, Instant>,
    /// Mailboxes this node uses (from the configuration, or bootstrap peers that serve as mailbox).
    pub(crate) mailboxes: BTreeMap<PeerId, Multiaddr>,
    /// Open connections per peer, and whether each is relayed.
    connections: HashMap<PeerId, HashMap<ConnectionId, bool>>,
    hole_punched: u32,
    hole_punch_failed: u32,
}

/// `node status`'s view of reachability.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct ReachView {
    /// `public`, `behind-nat` or `unknown`.
    pub nat: String,
    /// The address AutoNAT confirmed, when public.
    pub public_address: Option<String>,
    /// Relays holding a reservation for this node (others reach it through these).
    pub relayed_via: Vec<String>,
    /// Connected peers with a direct connection.
    pub direct_peers: Vec<String>,
    /// Connected peers reached only through a relay.
    pub relayed_peers: Vec<String>,
    /// Relayed connections upgraded to direct ones by hole punching, since start.
    pub hole_punches_succeeded: u32,
    /// Hole punching attempts that failed, since start.
    pub hole_punches_failed: u32,
    /// Mailboxes this node fetches from.
    pub mailboxes: Vec<String>,
    /// Whether this node serves as relay.
    pub serving_relay: bool,
    /// Whether this node serves as mailbox.
    pub serving_mailbox: bool,
}

/// The peer id at the end of an address.
pub(crate) fn peer_of_addr(addr: &Multiaddr) -> Option<PeerId> {
    addr.iter().last().and_then(|p| if let Protocol::P2p(id) = p { Some(id) } else { None })
}

impl Reachability {
    /// Starts from the configured relays and mailboxes.
    pub(crate) fn new(config: &crate::config::ReachConfig, gate: RelayGate) -> Reachability {
        let mut r = Reachability { gate, ..Reachability::default() };
        for a in &config.relays {
            if let Some(p) = peer_of_addr(a) {
                r.relay_candidates.insert(p, a.clone());
            }
        }
        for a in &config.mailboxes {
            if let Some(p) = peer_of_addr(a) {
                r.mailboxes.insert(p, a.clone());
            }
        }
        r
    }

    /// What the profile says about how to reach this node.
    pub(crate) fn advertised(&self) -> Reach {
        let mut relays: Vec<String> =
            self.reservations.values().filter(|r| r.accepted).map(|r| r.addr.to_string()).collect();
        relays.sort();
        relays.truncate(Reach::MAX_ENTRIES);
        let mailboxes =
            self.mailboxes.values().map(ToString::to_string).take(Reach::MAX_ENTRIES).collect::<Vec<String>>();
        Reach { relays, mailboxes }
    }

    /// Whether some connection to `peer` is direct.
    pub(crate) fn is_direct(&self, peer: &PeerId) -> bool {
        self.connections.get(peer).is_some_and(|c| c.values().any(|relayed| !relayed))
    }

    pub(crate) fn connection_opened(&mut self, peer: PeerId, id: ConnectionId, relayed: bool) {
        self.connections.entry(peer).or_default().insert(id, relayed);
    }

    pub(crate) fn connection_closed(&mut self, peer: PeerId, id: ConnectionId) {
        if let Some(c) = self.connections.get_mut(&peer) {
            c.remove(&id);
            if c.is_empty() {
                self.connections.remove(&peer);
            }
        }
    }

    pub(crate) fn view(&self, serving_relay: bool, serving_mailbox: bool) -> ReachView {
        let (nat, public_address) = match &self.nat {
            Nat::Unknown => ("unknown", None),
            Nat::Public(a) => ("public", Some(a.to_string())),
            Nat::Private => ("behind-nat", None),
        };
        let mut direct = Vec::new();
        let mut relayed = Vec::new();
        for peer in self.connections.keys() {
            if self.is_direct(peer) { direct.push(peer.to_string()) } else { relayed.push(peer.to_string()) }
        }
        direct.sort();
        relayed.sort();
        ReachView {
            nat: nat.into(),
            public_address,
            relayed_via: self.advertised().relays,
            direct_peers: direct,
            relayed_peers: relayed,
            hole_punches_succeeded: self.hole_punched,
            hole_punches_failed: self.hole_punch_failed,
            mailboxes: self.mailboxes.values().map(ToString::to_string).collect(),
            serving_relay,
            serving_mailbox,
        }
    }
}

impl EventLoop {
    /// Identify told us what a peer serves: a bootstrap peer that is a relay or mailbox is used as one.
    pub(crate) fn learn_roles(&mut self, peer: PeerId, info: &identify::Info) {
        let Some(addr) = self.config.bootstrap.iter().find(|a| peer_of_addr(a) == Some(peer)).cloned() else {
            return;
        };
        let mut changed = false;
        if info.protocols.contains(&relay::HOP_PROTOCOL_NAME) && !self.reach.relay_candidates.contains_key(&peer) {
            info!(%addr, "a bootstrap peer serves as relay; using it");
            self.reach.relay_candidates.insert(peer, addr.clone());
            changed = true;
        }
        if info.protocols.contains(&MAILBOX_PROTOCOL) && !self.reach.mailboxes.contains_key(&peer) {
            info!(%addr, "a bootstrap peer serves as mailbox; using it");
            self.reach.mailboxes.insert(peer, addr);
            self.post.mailbox_found(peer);
            changed = true;
        }
        if changed {
            self.keep_reservations();
            self.republish_if_reach_changed();
            self.fetch_mail(peer);
        }
    }

    fn wants_reservation(&self) -> bool {
        match self.config.reach.reserve {
            ReservePolicy::Always => true,
            ReservePolicy::Never => false,
            ReservePolicy::Auto => !matches!(self.reach.nat, Nat::Public(_)),
        }
    }

    /// Keeps reservations on up to [`RESERVATIONS`] relays while the node needs them, drops them when not.
    pub(crate) fn keep_reservations(&mut self) {
        let me = self.identity.peer_id();
        if !self.wants_reservation() {
            let held: Vec<PeerId> = self.reach.reservations.keys().copied().collect();
            for relay in held {
                if let Some(r) = self.reach.reservations.remove(&relay) {
                    info!(addr = %r.addr, "reachable directly: dropping the relay reservation");
                    self.swarm.remove_listener(r.listener);
                }
            }
            self.republish_if_reach_changed();
            return;
        }
        let now = Instant::now();
        let candidates: Vec<(PeerId, Multiaddr)> =
            self.reach.relay_candidates.iter().map(|(p, a)| (*p, a.clone())).collect();
        for (relay, addr) in candidates {
            if self.reach.reservations.len() >= RESERVATIONS {
                break;
            }
            if relay == me || self.reach.reservations.contains_key(&relay) {
                continue;
            }
            if self.reach.retry_at.get(&relay).is_some_and(|t| now < *t) {
                continue;
            }
            self.reach.retry_at.insert(relay, now + RESERVE_RETRY);
            match self.swarm.listen_on(addr.clone().with(Protocol::P2pCircuit)) {
                Ok(listener) => {
                    debug!(%addr, "asking the relay for a reservation");
                    self.reach.reservations.insert(relay, Reservation { listener, addr, accepted: false });
                }
                Err(e) => warn!(%addr, "cannot listen through the relay: {e}"),
            }
        }
    }

    /// A listener closed: if it was a relay reservation, it is asked for again later.
    pub(crate) fn reservation_listener_closed(&mut self, listener: ListenerId) {
        let Some(relay) = self.reach.reservations.iter().find(|(_, r)| r.listener == listener).map(|(p, _)| *p) else {
            return;
        };
        if let Some(r) = self.reach.reservations.remove(&relay) {
            info!(addr = %r.addr, "the relay reservation ended; asking again shortly");
        }
        self.reach.retry_at.insert(relay, Instant::now() + RESERVE_RETRY);
        self.republish_if_reach_changed();
    }

    pub(crate) fn on_relay_client_event(&mut self, event: relay::client::Event) {
        match event {
            relay::client::Event::ReservationReqAccepted { relay_peer_id, renewal, .. } => {
                if let Some(r) = self.reach.reservations.get_mut(&relay_peer_id) {
                    if !r.accepted && !renewal {
                        info!(addr = %r.addr, "reservation on the relay accepted: others can reach this node through it");
                    }
                    r.accepted = true;
                }
                self.republish_if_reach_changed();
            }
            relay::client::Event::OutboundCircuitEstablished { .. }
            | relay::client::Event::InboundCircuitEstablished { .. } => {}
        }
    }

    pub(crate) fn on_relay_event(&mut self, event: relay::Event) {
        match event {
            relay::Event::ReservationReqDenied { .. } => {
                debug!("refused a relay reservation (no profile held, or a limit)");
            }
            relay::Event::CircuitReqDenied { .. } => debug!("refused a relay circuit (a limit, or no reservation)"),
            relay::Event::CircuitClosed { error: Some(e), .. } => debug!("a relayed circuit closed: {e}"),
            _ => {}
        }
    }

    pub(crate) fn on_autonat_event(&mut self, event: autonat::Event) {
        if let autonat::Event::StatusChanged { new, .. } = event {
            self.reach.nat = match new {
                autonat::NatStatus::Public(addr) => {
                    info!(%addr, "reachable from outside");
                    Nat::Public(addr)
                }
                autonat::NatStatus::Private => {
                    info!("not reachable from outside (behind a router): using a relay");
                    Nat::Private
                }
                autonat::NatStatus::Unknown => Nat::Unknown,
            };
            self.keep_reservations();
        }
    }

    pub(crate) fn on_dcutr_event(&mut self, event: dcutr::Event) {
        match event.result {
            Ok(_) => {
                self.reach.hole_punched += 1;
                info!("a relayed connection became direct by hole punching");
            }
            Err(e) => {
                self.reach.hole_punch_failed += 1;
                debug!("hole punching failed; the connection stays relayed: {e}");
            }
        }
    }

    /// Republishes the own profile when the relays or mailboxes it should name changed.
    pub(crate) fn republish_if_reach_changed(&mut self) {
        let Some(own) = self.own.clone() else { return };
        if own.record().reach == self.reach.advertised() {
            return;
        }
        if let Err(e) = self.publish(own.profile().clone()) {
            warn!("could not republish the profile with new relays: {e}");
        }
    }

    /// A verified profile names relays: the peer can be dialled through them.
    pub(crate) fn learn_relayed_addresses(&mut self, peer: PeerId, reach: &Reach) {
        for r in &reach.relays {
            let Ok(relay) = r.parse::<Multiaddr>() else { continue };
            if peer_of_addr(&relay) == Some(peer) {
                continue;
            }
            let circuit = relay.with(Protocol::P2pCircuit).with(Protocol::P2p(peer));
            self.swarm.behaviour_mut().kad.add_address(&peer, circuit);
        }
    }

    /// Keeps the relay's admitted set equal to the directory's reviewers.
    pub(crate) fn refresh_relay_gate(&mut self) {
        if self.config.reach.relay {
            let peers = self.directory.profiles().map(|p| *p.peer()).collect();
            self.reach.gate.admit_only(peers);
        }
    }
}
