//! The event loop: the one task that owns the swarm, the directory and the store.
//!
//! Data flows one way: network events -> verification (`SignedProfile::verify`) -> the directory and the
//! store -> answers to commands. Nothing reaches the directory or the store without passing verification,
//! and a profile is forwarded by gossip only after it was accepted.

use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant, SystemTime};

use futures::StreamExt;
use libp2p::gossipsub::{self, IdentTopic, MessageAcceptance};
use libp2p::kad;
use libp2p::multiaddr::Protocol;
use libp2p::request_response::OutboundRequestId;
use libp2p::swarm::SwarmEvent;
use libp2p::{Multiaddr, Swarm, identify, mdns};
use samenloop_protocol::{Directory, Identity, PeerId, SignedProfile, UnixTime};
use tokio::sync::{broadcast, mpsc};
use tracing::{debug, info, warn};

use super::behaviour::{Behaviour, BehaviourEvent, KAD_PROTOCOL, PROFILE_TOPIC};
use super::client::{Command, DirectoryEvent, Reply};
use crate::api::types::{NodeStatus, ProfileView, SearchResponse};
use crate::config::NodeConfig;
use crate::directory::profiles::{Origin, profile_key};
use crate::error::NodeError;
use crate::store::Store;

pub(crate) fn now() -> UnixTime {
    UnixTime(SystemTime::now().duration_since(SystemTime::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0))
}

pub(crate) struct EventLoop {
    pub(crate) swarm: Swarm<Behaviour>,
    pub(crate) commands: mpsc::Receiver<Command>,
    pub(crate) identity: Identity,
    pub(crate) config: NodeConfig,
    pub(crate) store: Store,
    pub(crate) directory: Directory,
    pub(crate) trusted: HashSet<PeerId>,
    pub(crate) topic: IdentTopic,
    pub(crate) own: Option<SignedProfile>,
    pub(crate) own_revision: u64,
    /// When the own profile is next re-signed and republished.
    pub(crate) republish_due: Option<Instant>,
    /// The last own publication reached no gossip peer; announce it when one joins the topic.
    pub(crate) own_unannounced: bool,
    pub(crate) listen_addrs: Vec<Multiaddr>,
    /// When we last completed (or started) a catch-up with each peer.
    pub(crate) caught_up: HashMap<PeerId, Instant>,
    pub(crate) catch_up_pages: HashMap<OutboundRequestId, (PeerId, u32)>,
    pub(crate) lookups: HashMap<kad::QueryId, (PeerId, Vec<Reply<ProfileView>>)>,
    /// Decaying count of bad profiles per peer, fed into gossip scoring as the application score.
    pub(crate) offences: HashMap<PeerId, f64>,
    pub(crate) bootstrapped: bool,
    pub(crate) events: broadcast::Sender<DirectoryEvent>,
    /// Seals confidential records at rest.
    pub(crate) vault: crate::vault::Vault,
    /// Requests this node made, by id (decrypted in memory, sealed on disk).
    pub(crate) requests: std::collections::BTreeMap<String, crate::referrals::records::RequestRecord>,
    /// Referrals this node received, by id.
    pub(crate) received: std::collections::BTreeMap<String, crate::referrals::records::ReceivedReferral>,
    /// Referral messages in flight, to mark them delivered when the peer confirms.
    pub(crate) deliveries: HashMap<OutboundRequestId, crate::referrals::delivery::Delivery>,
    /// Ids of messages in flight, so a message is not sent twice at once.
    pub(crate) sending: HashSet<String>,
    /// When each peer with undelivered messages may be dialled again.
    pub(crate) redial_at: HashMap<PeerId, (Instant, Duration)>,
    /// Open calls for reviewers seen on the network, by id.
    pub(crate) calls: std::collections::BTreeMap<String, samenloop_protocol::referrals::call::SignedCall>,
    /// Interests this reviewer sent, by call id.
    pub(crate) interests: std::collections::BTreeMap<String, crate::referrals::records::SentInterest>,
    /// The gossip topic for calls.
    pub(crate) call_topic: IdentTopic,
    /// The cases this node is a member of.
    pub(crate) cases: crate::cases::book::CaseBook,
    /// Sync requests in flight on the swarm.
    pub(crate) sync_in_flight: HashMap<OutboundRequestId, crate::network::sync_link::SyncFlight>,
    /// The rules of case sync (events in, effects out).
    pub(crate) case_sync: crate::cases::sync::SyncCore,
    /// When this event loop started: the sync core's clock counts from here.
    pub(crate) started: Instant,
    /// Announces cases whose documents changed (for waiting clients and tests).
    pub(crate) node_events: broadcast::Sender<crate::network::client::NodeEvent>,
    /// What this node knows of its own reachability, and its relay reservations.
    pub(crate) reach: crate::reach::Reachability,
    /// Deposits waiting for mailboxes, and fetches from them.
    pub(crate) post: crate::mailbox::post::PostOffice,
    /// The mailbox role, when this node serves as one.
    pub(crate) mailbox_server: Option<crate::mailbox::server::MailboxServer>,
}

impl EventLoop {
    pub(crate) fn new(
        swarm: Swarm<Behaviour>,
        commands: mpsc::Receiver<Command>,
        identity: Identity,
        config: NodeConfig,
        store: Store,
        directory: Directory,
        (reach, mailbox_server): (crate::reach::Reachability, Option<crate::mailbox::server::MailboxServer>),
    ) -> Result<EventLoop, crate::store::StoreError> {
        let own_revision = store.own_revision()?;
        let trusted = config.trusted_accreditors.iter().copied().collect();
        let vault = crate::vault::Vault::of(&identity);
        let requests = store
            .confidential::<crate::referrals::records::RequestRecord>(&vault, crate::store::Confidential::Requests)?
            .into_iter()
            .map(|r| (r.id.clone(), r))
            .collect();
        let received = store
            .confidential::<crate::referrals::records::ReceivedReferral>(&vault, crate::store::Confidential::Referrals)?
            .into_iter()
            .map(|r| (r.referral_id.clone(), r))
            .collect();
        let interests = store
            .confidential::<crate::referrals::records::SentInterest>(&vault, crate::store::Confidential::Interests)?
            .into_iter()
            .map(|i| (i.call_id.clone(), i))
            .collect();
        let calls = store
            .calls()?
            .into_iter()
            .filter_map(|b| samenloop_protocol::referrals::call::verify_call(&b, now()).ok())
            .map(|c| (hex::encode(c.record.call_id), c))
            .collect();
        let cases = crate::cases::book::CaseBook::load(
            &store,
            &vault,
            &identity,
            Box::new(crate::cases::sources::SystemSources),
        )
        .map_err(|e| match e {
            crate::cases::book::CaseError::Store(s) => s,
            other => store.corrupt("case", other.to_string()),
        })?;
        crate::freed_memory::release();
        Ok(EventLoop {
            swarm,
            commands,
            identity,
            config,
            store,
            directory,
            trusted,
            topic: IdentTopic::new(PROFILE_TOPIC),
            own: None,
            own_revision,
            republish_due: None,
            own_unannounced: false,
            listen_addrs: Vec::new(),
            caught_up: HashMap::new(),
            catch_up_pages: HashMap::new(),
            lookups: HashMap::new(),
            offences: HashMap::new(),
            bootstrapped: false,
            events: broadcast::channel(1024).0,
            vault,
            requests,
            received,
            deliveries: HashMap::new(),
            sending: HashSet::new(),
            redial_at: HashMap::new(),
            calls,
            interests,
            call_topic: IdentTopic::new(super::behaviour::CALL_TOPIC),
            cases,
            sync_in_flight: HashMap::new(),
            case_sync: crate::cases::sync::SyncCore::default(),
            started: Instant::now(),
            node_events: broadcast::channel(256).0,
            reach,
            post: crate::mailbox::post::PostOffice::default(),
            mailbox_server,
        })
    }

    pub(crate) async fn run(mut self) {
        self.dial_bootstrap();
        self.resume_own_profile();
        let tick_every = (self.config.republish_every / 4).clamp(Duration::from_millis(250), Duration::from_secs(30));
        let mut tick = tokio::time::interval(tick_every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        // Referral deliveries and expiry need a faster beat than profile upkeep.
        let mut delivery_tick = tokio::time::interval(Duration::from_millis(500));
        delivery_tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            // Every event settles its case writes before the next one starts (`sync_link::settle`).
            debug_assert!(!self.cases.has_pending(), "case writes were left uncommitted by an event");
            tokio::select! {
                event = self.swarm.select_next_some() => self.on_swarm_event(event),
                command = self.commands.recv() => match command {
                    Some(Command::Shutdown(done)) => {
                        info!("node stopping");
                        crate::cases::book::snapshot_pending(&mut self.cases, &self.identity);
                        if let Err(e) = self.cases.commit(&mut self.store, &self.vault, &self.identity) {
                            warn!("could not store the snapshots made at shutdown: {e}");
                        }
                        if let Err(e) = self.store.flush() {
                            warn!("could not flush the database at shutdown: {e}");
                        }
                        let _ = done.send(());
                        break;
                    }
                    Some(command) => self.on_command(command),
                    None => {
                        let _ = self.store.flush();
                        break;
                    }
                },
                _ = tick.tick() => self.on_tick(),
                _ = delivery_tick.tick() => {
                    self.on_delivery_tick();
                    self.on_case_tick();
                    self.on_mail_tick();
                    // A refused or lost reservation is asked for again after RESERVE_RETRY, not a slow tick.
                    self.keep_reservations();
                }
            }
        }
    }

    // ---- periodic work ------------------------------------------------------------------------------

    fn on_tick(&mut self) {
        let now = now();
        if let Err(e) = self.store.flush() {
            warn!("{e}");
        }
        let expired = self.directory.remove_expired(now);
        if !expired.is_empty() {
            debug!(count = expired.len(), "dropping expired profiles");
            if let Err(e) = self.store.remove_profiles(&expired) {
                warn!("{e}");
            }
        }
        if self.republish_due.is_some_and(|due| Instant::now() >= due)
            && let Some(own) = self.own.clone()
            && let Err(e) = self.publish(own.profile().clone())
        {
            warn!("could not republish own profile: {e}");
        }
        if self.swarm.connected_peers().next().is_none() {
            self.dial_bootstrap();
        }
        self.refresh_relay_gate();
        // Let penalties fade so a peer that once relayed a bad profile can recover.
        let scoring: Vec<(PeerId, f64)> = self.offences.iter().map(|(p, o)| (*p, *o)).collect();
        for (peer, offences) in scoring {
            let decayed = offences * 0.98;
            if decayed < 0.01 {
                self.offences.remove(&peer);
            } else {
                self.offences.insert(peer, decayed);
            }
            self.swarm.behaviour_mut().gossipsub.set_application_score(&peer, -decayed);
        }
    }

    fn network_settings(&self) -> crate::network::client::NetworkSettings {
        let mut trusted: Vec<PeerId> = self.trusted.iter().copied().collect();
        trusted.sort();
        crate::network::client::NetworkSettings {
            trusted_accreditors: trusted,
            bootstrap: self.config.bootstrap.clone(),
        }
    }

    fn dial_bootstrap(&mut self) {
        for addr in self.config.bootstrap.clone() {
            if let Err(e) = self.swarm.dial(addr.clone()) {
                debug!(%addr, "bootstrap dial failed: {e}");
            }
        }
    }

    // ---- commands -----------------------------------------------------------------------------------

    fn on_command(&mut self, command: Command) {
        match command {
            Command::Status(reply) => {
                let me = self.identity.peer_id();
                let status = NodeStatus {
                    peer_id: me.to_string(),
                    listen_addrs: self
                        .listen_addrs
                        .iter()
                        .map(|a| match a.iter().last() {
                            // A relayed listener's address ends with this node's id already.
                            Some(Protocol::P2p(_)) => a.to_string(),
                            _ => format!("{a}/p2p/{me}"),
                        })
                        .collect(),
                    connected_peers: self.swarm.connected_peers().map(ToString::to_string).collect(),
                    directory_size: self.directory.len(),
                    profile_published: self.own.is_some(),
                    reach: self.reach.view(self.config.reach.relay, self.mailbox_server.is_some()),
                    mail: self.post.stats.clone(),
                };
                let _ = reply.send(Ok(status));
            }
            Command::SetProfile(update, reply) => {
                let result = self.apply_update(update).and_then(|p| self.publish(p)).map(|s| self.view(&s));
                let _ = reply.send(result);
            }
            Command::EditableProfile(reply) => {
                let _ = reply.send(self.editable_profile());
            }
            Command::OwnProfile(reply) => {
                let _ = reply.send(self.own.as_ref().map(|p| self.view(p)).ok_or(NodeError::NoProfile));
            }
            Command::Profile(peer, reply) => {
                if let Some(p) = self.directory.get(&peer) {
                    let _ = reply.send(Ok(self.view(p)));
                } else {
                    let id = self.swarm.behaviour_mut().kad.get_record(profile_key(&peer));
                    self.lookups.entry(id).or_insert_with(|| (peer, Vec::new())).1.push(reply);
                }
            }
            Command::Search(query, reply) => {
                let now = now();
                let results = self.directory.search(&query, now).into_iter().map(|p| self.view(p)).collect();
                let _ = reply.send(Ok(SearchResponse { results, directory_size: self.directory.len() }));
            }
            Command::Attest { subject, level, valid_until, reply } => {
                let _ = reply.send(self.attest(subject, level, valid_until));
            }
            Command::Network(reply) => {
                let _ = reply.send(Ok(self.network_settings()));
            }
            Command::SetNetwork { trusted, bootstrap, reply } => {
                self.trusted = trusted.iter().copied().collect();
                self.config.trusted_accreditors = trusted;
                let new: Vec<Multiaddr> =
                    bootstrap.iter().filter(|a| !self.config.bootstrap.contains(a)).cloned().collect();
                self.config.bootstrap = bootstrap;
                for addr in new {
                    if let Err(e) = self.swarm.dial(addr.clone()) {
                        debug!(%addr, "bootstrap dial failed: {e}");
                    }
                }
                info!(
                    "network settings changed: {} trusted accreditor(s), {} bootstrap peer(s)",
                    self.config.trusted_accreditors.len(),
                    self.config.bootstrap.len()
                );
                let _ = reply.send(Ok(self.network_settings()));
            }
            Command::Dial(addr, reply) => {
                let _ =
                    reply.send(self.swarm.dial(addr).map_err(|e| NodeError::BadRequest(format!("cannot dial: {e}"))));
            }
            #[cfg(feature = "test-support")]
            Command::PublishRaw(bytes, reply) => {
                let r = self.swarm.behaviour_mut().gossipsub.publish(self.topic.clone(), bytes);
                let _ = reply.send(r.map(|_| ()).map_err(|e| NodeError::BadRequest(e.to_string())));
            }
            #[cfg(feature = "test-support")]
            Command::PeerScore(peer, reply) => {
                let _ = reply.send(Ok(self.swarm.behaviour().gossipsub.peer_score(&peer)));
            }
            #[cfg(feature = "test-support")]
            Command::HeldBytes(peer, reply) => {
                let _ = reply.send(Ok(self.directory.get(&peer).map(|p| p.bytes().to_vec())));
            }
            #[cfg(feature = "test-support")]
            Command::PutRawRecord { key, value, reply } => {
                let record = kad::Record::new(kad::RecordKey::new(&key), value);
                let r = self.swarm.behaviour_mut().kad.put_record(record, kad::Quorum::One);
                let _ = reply.send(r.map(|_| ()).map_err(|e| NodeError::BadRequest(e.to_string())));
            }
            Command::CreateRequest(request, reply) => {
                let _ = reply.send(self.create_request(*request));
            }
            Command::Requests(reply) => {
                let _ = reply.send(Ok(self.request_list()));
            }
            Command::Request(id, reply) => {
                let _ = reply.send(self.request_view(&id));
            }
            Command::MatchRequest(id, reply) => {
                let _ = reply.send(self.match_request(&id));
            }
            Command::Refer { id, to, pair, next, respond_by, reply } => {
                let _ = reply.send(self.refer(&id, to, pair, next, respond_by));
            }
            Command::Withdraw(id, reply) => {
                let _ = reply.send(self.withdraw(&id));
            }
            Command::Case(command, reply) => {
                let _ = reply.send(self.on_case_command(command));
            }
            #[cfg(feature = "test-support")]
            Command::EpochKey { case, doc, reply } => {
                let key = self.cases.cases.get(&case).and_then(|c| c.current_key(doc)).map(|k| *k.0);
                let _ = reply.send(key.ok_or_else(|| NodeError::NotFound("no key".into())));
            }
            #[cfg(feature = "test-support")]
            Command::RawSync { peer, request, reply } => {
                let id = self.swarm.behaviour_mut().sync.send_request(&peer, request);
                self.sync_in_flight.insert(id, crate::network::sync_link::SyncFlight::Raw(reply));
            }
            Command::SyncStats(reply) => {
                let _ = reply.send(Ok(self.case_sync.stats.clone()));
            }
            #[cfg(feature = "test-support")]
            Command::Partition { peer, blocked, reply } => {
                if blocked {
                    self.swarm.behaviour_mut().blocked.block_peer(peer);
                } else {
                    self.swarm.behaviour_mut().blocked.unblock_peer(peer);
                    self.redial_at.remove(&peer);
                    if let Some(member) = crate::network::sync_link::member_key(&peer) {
                        self.case_sync.redial_now(&member);
                    }
                }
                let _ = reply.send(Ok(()));
            }
            Command::Referrals(reply) => {
                let _ = reply.send(Ok(self.referral_list()));
            }
            Command::Referral(id, reply) => {
                let _ = reply.send(self.referral_view(&id));
            }
            Command::AnswerReferral(id, answer, reply) => {
                let _ = reply.send(self.answer_referral(&id, answer));
            }
            Command::PostCall(id, theme, reply) => {
                let _ = reply.send(self.post_call(&id, theme));
            }
            Command::Calls(reply) => {
                let _ = reply.send(Ok(self.call_list()));
            }
            Command::Interest(id, reply) => {
                let _ = reply.send(self.express_interest(&id));
            }
            #[cfg(feature = "test-support")]
            Command::SendRawReferral { peer, message, reply } => {
                let id = self.swarm.behaviour_mut().referral.send_request(&peer, message);
                self.deliveries.insert(id, crate::referrals::delivery::Delivery::Raw(reply));
            }
            Command::Subscribe(reply) => {
                let _ = reply.send(self.events.subscribe());
            }
            Command::SubscribeNodeEvents(reply) => {
                let _ = reply.send(self.node_events.subscribe());
            }
            Command::Shutdown(_) => {} // handled in `run`
        }
    }

    // ---- swarm events -------------------------------------------------------------------------------

    fn on_swarm_event(&mut self, event: SwarmEvent<BehaviourEvent>) {
        match event {
            SwarmEvent::NewListenAddr { address, .. } => {
                info!(%address, "listening");
                self.listen_addrs.push(address);
            }
            SwarmEvent::ExpiredListenAddr { address, .. } => self.listen_addrs.retain(|a| a != &address),
            SwarmEvent::ListenerClosed { listener_id, addresses, .. } => {
                self.listen_addrs.retain(|a| !addresses.contains(a));
                self.reservation_listener_closed(listener_id);
            }
            SwarmEvent::ConnectionEstablished { peer_id, endpoint, connection_id, .. } => {
                self.reach.connection_opened(peer_id, connection_id, endpoint.is_relayed());
                self.mailbox_connected(peer_id);
                self.redial_at.remove(&peer_id);
                self.flush_deliveries(peer_id);
                self.case_peer_connected(peer_id);
                debug!(%peer_id, addr = %endpoint.get_remote_address(), "connected");
                if endpoint.is_dialer() {
                    self.swarm.behaviour_mut().kad.add_address(&peer_id, endpoint.get_remote_address().clone());
                }
                if !self.bootstrapped {
                    self.bootstrapped = self.swarm.behaviour_mut().kad.bootstrap().is_ok();
                }
            }
            SwarmEvent::ConnectionClosed { peer_id, connection_id, num_established, .. } => {
                self.reach.connection_closed(peer_id, connection_id);
                if num_established == 0 {
                    self.case_peer_gone(peer_id);
                    debug!(%peer_id, "disconnected");
                }
            }
            SwarmEvent::OutgoingConnectionError { peer_id, error, .. } => debug!(?peer_id, "dial failed: {error}"),
            SwarmEvent::Behaviour(event) => self.on_behaviour_event(event),
            _ => {}
        }
    }

    fn on_behaviour_event(&mut self, event: BehaviourEvent) {
        match event {
            BehaviourEvent::Gossipsub(gossipsub::Event::Message { propagation_source, message_id, message })
                if message.topic == self.call_topic.hash() =>
            {
                let verdict = self.on_call_message(&message.data, propagation_source);
                if matches!(verdict, MessageAcceptance::Reject) {
                    self.penalise(propagation_source);
                }
                self.swarm.behaviour_mut().gossipsub.report_message_validation_result(
                    &message_id,
                    &propagation_source,
                    verdict,
                );
            }
            BehaviourEvent::Gossipsub(gossipsub::Event::Message { propagation_source, message_id, message }) => {
                let verdict = match self.ingest(&message.data, Some(propagation_source), Origin::Gossip) {
                    Ok(offer) if offer.changed() => MessageAcceptance::Accept,
                    Ok(_) => MessageAcceptance::Ignore,
                    Err(_) => MessageAcceptance::Reject,
                };
                self.swarm.behaviour_mut().gossipsub.report_message_validation_result(
                    &message_id,
                    &propagation_source,
                    verdict,
                );
            }
            // Catch up once the peer has joined the profile topic, not merely connected: from this moment on
            // its news reaches us by gossip, so what it held before is all that catch-up must fetch. (On
            // connection alone there is a window where news is neither gossiped to us nor in the answer.)
            BehaviourEvent::Gossipsub(gossipsub::Event::Subscribed { peer_id, topic, .. })
                if topic == self.topic.hash() =>
            {
                self.start_catch_up(peer_id);
                if self.own_unannounced
                    && let Some(own) = self.own.clone()
                {
                    self.announce(&own);
                }
            }
            BehaviourEvent::Identify(identify::Event::Received { peer_id, info, .. })
                if info.protocols.contains(&KAD_PROTOCOL) =>
            {
                self.learn_roles(peer_id, &info);
                for addr in info.listen_addrs {
                    self.swarm.behaviour_mut().kad.add_address(&peer_id, addr);
                }
            }
            BehaviourEvent::Mdns(mdns::Event::Discovered(found)) => {
                for (peer, addr) in found {
                    self.swarm.behaviour_mut().kad.add_address(&peer, addr.clone());
                    if !self.swarm.is_connected(&peer) {
                        let _ = self.swarm.dial(addr);
                    }
                }
            }
            BehaviourEvent::Kad(event) => self.on_kad_event(event),
            BehaviourEvent::CatchUp(event) => self.on_catch_up_event(event),
            BehaviourEvent::Referral(event) => self.on_referral_event(event),
            BehaviourEvent::Sync(event) => self.on_sync_event(event),
            BehaviourEvent::RelayClient(event) => self.on_relay_client_event(event),
            BehaviourEvent::Relay(event) => self.on_relay_event(event),
            BehaviourEvent::Autonat(event) => self.on_autonat_event(event),
            BehaviourEvent::Dcutr(event) => self.on_dcutr_event(event),
            BehaviourEvent::Mailbox(event) => self.on_mailbox_event(event),
            _ => {}
        }
    }
}
