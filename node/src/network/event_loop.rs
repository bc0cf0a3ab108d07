//! The event loop: the one task that owns the swarm, the directory and the store.
//!
//! Data flows one way: network events -> verification (`SignedProfile::verify`) -> the directory and the
//! store -> answers to commands. Nothing reaches the directory or the store without passing verification,
//! and a profile is forwarded by gossip only after it was accepted.

use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant, SystemTime};

use futures::StreamExt;
use libp2p::gossipsub::{self, IdentTopic, MessageAcceptance};
use libp2p::kad::{self, GetRecordOk, QueryResult, Record, RecordKey, store::RecordStore};
use libp2p::request_response::{self, OutboundRequestId};
use libp2p::swarm::SwarmEvent;
use libp2p::{Multiaddr, Swarm, identify, mdns};
use samenloop_protocol::{
    AccreditationLevel, CatchUpRequest, CatchUpResponse, Directory, Identity, Offer, PeerId, Profile, ProfileRejection,
    SignedAttestation, SignedProfile, UnixTime, expertise,
};
use tokio::sync::{broadcast, mpsc};
use tracing::{debug, info, warn};

use super::behaviour::{Behaviour, BehaviourEvent, KAD_PROTOCOL, PROFILE_TOPIC};
use super::client::{Command, DirectoryEvent, Reply};
use crate::api::types::{NodeStatus, ProfileField, ProfileUpdate, ProfileView, SearchResponse};
use crate::config::NodeConfig;
use crate::error::NodeError;
use crate::store::Store;

/// How long after a catch-up with a peer the node does not ask that peer again on reconnect.
const CATCH_UP_QUIET: Duration = Duration::from_secs(30);
/// Pages asked of one peer in one catch-up before giving up (a peer that always says "more" is lying).
const MAX_CATCH_UP_PAGES: u32 = 100;
/// The application penalty for one bad profile; gossip scoring multiplies it by `app_specific_weight`.
const PENALTY_PER_OFFENCE: f64 = 1.0;

/// Where a profile came from, for logging and penalties.
#[derive(Clone, Copy, Debug)]
enum Origin {
    Gossip,
    CatchUp,
    Kademlia,
}

pub(crate) fn now() -> UnixTime {
    UnixTime(SystemTime::now().duration_since(SystemTime::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0))
}

/// The DHT key of a reviewer's profile.
pub(crate) fn profile_key(peer: &PeerId) -> RecordKey {
    let mut key = b"/samenloop/profile/".to_vec();
    key.extend_from_slice(&peer.to_bytes());
    RecordKey::new(&key)
}

pub(crate) struct EventLoop {
    pub(super) swarm: Swarm<Behaviour>,
    pub(super) commands: mpsc::Receiver<Command>,
    pub(super) identity: Identity,
    pub(super) config: NodeConfig,
    pub(super) store: Store,
    pub(super) directory: Directory,
    pub(super) trusted: HashSet<PeerId>,
    pub(super) topic: IdentTopic,
    pub(super) own: Option<SignedProfile>,
    pub(super) own_revision: u64,
    /// When the own profile is next re-signed and republished.
    pub(super) republish_due: Option<Instant>,
    /// The last own publication reached no gossip peer; announce it when one joins the topic.
    pub(super) own_unannounced: bool,
    pub(super) listen_addrs: Vec<Multiaddr>,
    /// When we last completed (or started) a catch-up with each peer.
    pub(super) caught_up: HashMap<PeerId, Instant>,
    pub(super) catch_up_pages: HashMap<OutboundRequestId, (PeerId, u32)>,
    pub(super) lookups: HashMap<kad::QueryId, (PeerId, Vec<Reply<ProfileView>>)>,
    /// Decaying count of bad profiles per peer, fed into gossip scoring as the application score.
    pub(super) offences: HashMap<PeerId, f64>,
    pub(super) bootstrapped: bool,
    pub(super) events: broadcast::Sender<DirectoryEvent>,
    /// Seals confidential records at rest.
    pub(super) vault: crate::vault::Vault,
    /// Requests this node made, by id (decrypted in memory, sealed on disk).
    pub(super) requests: std::collections::BTreeMap<String, crate::reviews::RequestRecord>,
    /// Referrals this node received, by id.
    pub(super) received: std::collections::BTreeMap<String, crate::reviews::ReceivedReferral>,
    /// Referral messages in flight, to mark them delivered when the peer confirms.
    pub(super) deliveries: HashMap<OutboundRequestId, super::referrals::Delivery>,
    /// Ids of messages in flight, so a message is not sent twice at once.
    pub(super) sending: HashSet<String>,
    /// When each peer with undelivered messages may be dialled again.
    pub(super) redial_at: HashMap<PeerId, (Instant, Duration)>,
    /// Open calls for reviewers seen on the network, by id.
    pub(super) calls: std::collections::BTreeMap<String, samenloop_protocol::call::SignedCall>,
    /// Interests this reviewer sent, by call id.
    pub(super) interests: std::collections::BTreeMap<String, crate::reviews::SentInterest>,
    /// The gossip topic for calls.
    pub(super) call_topic: IdentTopic,
    /// The cases this node is a member of.
    pub(super) cases: crate::cases::CaseBook,
    /// Sync requests in flight.
    pub(super) sync_in_flight: HashMap<OutboundRequestId, super::casework::SyncInFlight>,
    /// What sync refused, for the status view and tests.
    pub(super) sync_stats: super::casework::SyncStats,
    /// When connected members were last pulled from.
    pub(super) last_case_pull: Option<Instant>,
    /// Announces cases whose documents changed (for waiting clients and tests).
    pub(super) case_events: broadcast::Sender<samenloop_protocol::case::CaseId>,
}

impl EventLoop {
    pub(crate) fn new(
        swarm: Swarm<Behaviour>,
        commands: mpsc::Receiver<Command>,
        identity: Identity,
        config: NodeConfig,
        store: Store,
        directory: Directory,
    ) -> Result<EventLoop, crate::store::StoreError> {
        let own_revision = store.own_revision()?;
        let trusted = config.trusted_accreditors.iter().copied().collect();
        let vault = crate::vault::Vault::of(&identity);
        let requests = store
            .confidential::<crate::reviews::RequestRecord>(&vault, crate::store::Confidential::Requests)?
            .into_iter()
            .map(|r| (r.id.clone(), r))
            .collect();
        let received = store
            .confidential::<crate::reviews::ReceivedReferral>(&vault, crate::store::Confidential::Referrals)?
            .into_iter()
            .map(|r| (r.referral_id.clone(), r))
            .collect();
        let interests = store
            .confidential::<crate::reviews::SentInterest>(&vault, crate::store::Confidential::Interests)?
            .into_iter()
            .map(|i| (i.call_id.clone(), i))
            .collect();
        let calls = store
            .calls()?
            .into_iter()
            .filter_map(|b| samenloop_protocol::call::verify_call(&b, now()).ok())
            .map(|c| (hex::encode(c.record.call_id), c))
            .collect();
        let cases = crate::cases::CaseBook::load(&store, &vault, &identity).map_err(|e| match e {
            crate::cases::CaseError::Store(s) => s,
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
            sync_stats: super::casework::SyncStats::default(),
            last_case_pull: None,
            case_events: broadcast::channel(256).0,
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
            tokio::select! {
                event = self.swarm.select_next_some() => self.on_swarm_event(event),
                command = self.commands.recv() => match command {
                    Some(Command::Shutdown(done)) => {
                        info!("node stopping");
                        crate::cases::snapshot_pending(&mut self.cases, &self.store, &self.identity);
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

    fn dial_bootstrap(&mut self) {
        for addr in self.config.bootstrap.clone() {
            if let Err(e) = self.swarm.dial(addr.clone()) {
                debug!(%addr, "bootstrap dial failed: {e}");
            }
        }
    }

    // ---- profiles in --------------------------------------------------------------------------------

    /// Verifies bytes from the network and, if they are news, stores and indexes them.
    fn ingest(&mut self, bytes: &[u8], from: Option<PeerId>, origin: Origin) -> Result<Offer, ProfileRejection> {
        let profile = match SignedProfile::verify(bytes, now()) {
            Ok(p) => p,
            Err(reason) => {
                warn!(peer = ?from, ?origin, code = reason.code(), "rejected profile: {reason}");
                if let Some(peer) = from {
                    self.penalise(peer);
                }
                return Err(reason);
            }
        };
        if !self.directory.would_accept(&profile) {
            return Ok(self.directory.offer(profile));
        }
        // The directory in memory is what answers queries; a failed write (disk full) is logged and the
        // profile still served until restart, when peers will send it again.
        if let Err(e) = self.store.put_profile(&profile) {
            warn!("could not store profile of {}: {e}", profile.peer());
        }
        self.cache_in_dht(&profile);
        let peer = *profile.peer();
        let bytes = profile.bytes().to_vec();
        let revision = profile.revision();
        if peer == self.identity.peer_id() {
            self.adopt_own(&profile);
        }
        let offer = self.directory.offer(profile);
        debug!(%peer, ?origin, ?offer, "profile accepted");
        if offer.changed() {
            let _ = self.events.send(DirectoryEvent { peer, revision });
        }
        // News that did not come by gossip (catch-up, DHT) is passed on by gossip, so peers that caught up
        // with someone else earlier still hear of it. Gossip forwards its own news after validation.
        if !matches!(origin, Origin::Gossip)
            && let Err(e) = self.swarm.behaviour_mut().gossipsub.publish(self.topic.clone(), bytes)
        {
            debug!(%peer, "not re-gossiped: {e}");
        }
        Ok(offer)
    }

    /// Picks up the profile published before a restart. Its content comes from our last *signed* envelope,
    /// not the unsigned draft: the signature check proves it is what this reviewer published, so tampering
    /// with the database cannot get anything else signed. The same envelope is announced again as it is;
    /// re-signing waits until it is due, and at least a few seconds, so that a node restored from an old
    /// backup first hears of any newer revision from its peers (and adopts it) instead of overriding it.
    fn resume_own_profile(&mut self) {
        let bytes = match self.store.own_signed() {
            Ok(Some(bytes)) => bytes,
            Ok(None) => return,
            Err(e) => return warn!("{e}"),
        };
        let last = match SignedProfile::verify_untimed(&bytes) {
            Ok(last) if *last.peer() == self.identity.peer_id() => last,
            Ok(_) => return warn!("the stored own profile belongs to another identity; not republished"),
            Err(e) => return warn!("the stored own profile does not verify ({e}); not republished"),
        };
        let now = now();
        let age = Duration::from_secs(now.0.saturating_sub(last.record().issued_at.0));
        let grace = Duration::from_secs(3).min(self.config.republish_every);
        let wait = self.config.republish_every.saturating_sub(age).max(grace);
        self.republish_due = Some(Instant::now() + wait);
        if last.expires_at() > now {
            self.directory.offer_own(last.clone());
            self.announce(&last);
        }
        self.own = Some(last);
    }

    /// Sends our own profile out: DHT put and gossip. Failures are normal when alone.
    fn announce(&mut self, signed: &SignedProfile) {
        let behaviour = self.swarm.behaviour_mut();
        if let Err(e) = behaviour.kad.put_record(dht_record(signed), kad::Quorum::One) {
            debug!("DHT put failed: {e}");
        }
        let revision = signed.revision();
        match behaviour.gossipsub.publish(self.topic.clone(), signed.bytes().to_vec()) {
            Ok(_) => {
                self.own_unannounced = false;
                info!(revision, "profile published");
            }
            // No peers on the topic yet: announce again when one joins (and it will catch up as well).
            Err(gossipsub::PublishError::NoPeersSubscribedToTopic) => {
                self.own_unannounced = true;
                info!(revision, "profile stored; no gossip peers yet, will announce when one joins");
            }
            Err(e) => {
                self.own_unannounced = false;
                debug!(revision, "profile not gossiped: {e}");
            }
        }
    }

    /// The network holds a newer profile signed with our own key than we do: the home was restored from
    /// an old backup, or the same identity runs elsewhere. Take it as our own, so that what this node shows
    /// as "your profile" is what everyone else sees, and the next publication outranks it.
    fn adopt_own(&mut self, newer: &SignedProfile) {
        if self.own.as_ref().is_some_and(|own| !newer.supersedes(own)) {
            return;
        }
        warn!(revision = newer.revision(), "the network holds a newer profile of ours; adopting it");
        if let Err(e) = self.store.set_own_published(newer) {
            warn!("could not record the adopted profile: {e}");
        }
        self.own_revision = self.own_revision.max(newer.revision());
        self.own = Some(newer.clone());
    }

    pub(super) fn penalise(&mut self, peer: PeerId) {
        let offences = self.offences.entry(peer).or_default();
        *offences += PENALTY_PER_OFFENCE;
        let score = -*offences;
        self.swarm.behaviour_mut().gossipsub.set_application_score(&peer, score);
    }

    /// Keeps a verified profile in the local DHT store so this node answers lookups for it.
    fn cache_in_dht(&mut self, profile: &SignedProfile) {
        let record = dht_record(profile);
        if let Err(e) = self.swarm.behaviour_mut().kad.store_mut().put(record) {
            debug!("DHT store refused a record: {e}");
        }
    }

    // ---- own profile out ----------------------------------------------------------------------------

    /// Signs `profile` as the next revision, persists it, and announces it by gossip and DHT.
    fn publish(&mut self, profile: Profile) -> Result<SignedProfile, NodeError> {
        let me = self.identity.peer_id();
        let seen = self.directory.get(&me).map(SignedProfile::revision).unwrap_or(0);
        let revision = self
            .own_revision
            .max(seen)
            .checked_add(1)
            .ok_or_else(|| NodeError::Storage("the profile revision counter is exhausted".into()))?;
        let validity = self.config.profile_validity.as_secs().max(1);
        let signed = SignedProfile::sign(&self.identity, profile, revision, now(), validity)?;
        // Persist first: a revision number must never be reused after a crash.
        self.store.set_own_published(&signed).map_err(|e| NodeError::Storage(e.to_string()))?;
        self.own_revision = revision;
        self.own = Some(signed.clone());
        self.republish_due = Some(Instant::now() + self.config.republish_every);
        if self.directory.offer_own(signed.clone()).changed() {
            let _ = self.events.send(DirectoryEvent { peer: me, revision });
        }
        self.cache_in_dht(&signed);
        self.announce(&signed);
        Ok(signed)
    }

    fn apply_update(&self, update: ProfileUpdate) -> Result<Profile, NodeError> {
        let mut p = match &self.own {
            Some(own) => own.profile().clone(),
            None => self
                .store
                .own_draft()
                .map_err(|e| NodeError::Storage(e.to_string()))?
                .unwrap_or_else(|| Profile::named("")),
        };
        let mut problems = Vec::new();
        for field in &update.clear {
            match field {
                ProfileField::Bio => p.bio.clear(),
                ProfileField::Expertise => p.expertise.clear(),
                ProfileField::Region => p.regions.clear(),
                ProfileField::Language => p.languages.clear(),
                ProfileField::AvailableFrom => p.available_from = None,
                ProfileField::AvailableUntil => p.available_until = None,
                ProfileField::Attestation => p.attestation = None,
                ProfileField::Affiliation => p.affiliations.clear(),
                ProfileField::Rate => p.rate_eur_cents = None,
            }
        }
        if let Some(v) = update.name {
            p.name = v.trim().to_string();
        }
        if let Some(v) = update.bio {
            p.bio = v;
        }
        if let Some(tags) = update.expertise {
            p.expertise.clear();
            for t in tags {
                match expertise::normalise_tag(&t) {
                    Ok(t) if !p.expertise.contains(&t) => p.expertise.push(t),
                    Ok(_) => {}
                    Err(e) => problems
                        .push(samenloop_protocol::FieldProblem { field: "expertise".into(), problem: e.to_string() }),
                }
            }
        }
        if let Some(v) = update.regions {
            p.regions = v.into_iter().map(|r| r.trim().to_string()).collect();
        }
        if let Some(v) = update.languages {
            p.languages = Vec::new();
            for l in v {
                let l = l.trim().to_lowercase();
                if !p.languages.contains(&l) {
                    p.languages.push(l);
                }
            }
        }
        if let Some(v) = update.hours_per_month {
            p.hours_per_month = v;
        }
        if let Some(v) = update.available_from {
            p.available_from = Some(v);
        }
        if let Some(v) = update.available_until {
            p.available_until = Some(v);
        }
        if let Some(v) = update.accreditation {
            p.accreditation = v;
        }
        if let Some(hex_att) = update.attestation {
            if hex_att.trim().is_empty() {
                p.attestation = None;
            } else {
                match hex::decode(hex_att.trim()) {
                    Ok(bytes) => p.attestation = Some(bytes),
                    Err(_) => problems.push(samenloop_protocol::FieldProblem {
                        field: "attestation".into(),
                        problem: "is not hex".into(),
                    }),
                }
            }
        }
        if let Some(v) = update.affiliations {
            p.affiliations = v;
        }
        if let Some(v) = update.rate_eur_cents {
            p.rate_eur_cents = Some(v);
        }
        if let Err(more) = p.validate() {
            problems.extend(more);
        }
        if problems.is_empty() { Ok(p) } else { Err(NodeError::InvalidProfile(problems)) }
    }

    fn view(&self, p: &SignedProfile) -> ProfileView {
        let dir = &self.directory;
        ProfileView::of(p, &self.trusted, |peer| dir.get(peer).map(|a| a.profile().accreditation), now())
    }

    // ---- commands -----------------------------------------------------------------------------------

    fn on_command(&mut self, command: Command) {
        match command {
            Command::Status(reply) => {
                let me = self.identity.peer_id();
                let status = NodeStatus {
                    peer_id: me.to_string(),
                    listen_addrs: self.listen_addrs.iter().map(|a| format!("{a}/p2p/{me}")).collect(),
                    connected_peers: self.swarm.connected_peers().map(ToString::to_string).collect(),
                    directory_size: self.directory.len(),
                    profile_published: self.own.is_some(),
                };
                let _ = reply.send(Ok(status));
            }
            Command::SetProfile(update, reply) => {
                let result = self.apply_update(update).and_then(|p| self.publish(p)).map(|s| self.view(&s));
                let _ = reply.send(result);
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
                let record = Record::new(RecordKey::new(&key), value);
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
                self.sync_in_flight.insert(id, super::casework::SyncInFlight::Raw(reply));
            }
            Command::SyncStats(reply) => {
                let _ = reply.send(Ok(self.sync_stats.clone()));
            }
            #[cfg(feature = "test-support")]
            Command::Partition { peer, blocked, reply } => {
                if blocked {
                    self.swarm.behaviour_mut().blocked.block_peer(peer);
                } else {
                    self.swarm.behaviour_mut().blocked.unblock_peer(peer);
                    self.redial_at.remove(&peer);
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
                self.deliveries.insert(id, super::referrals::Delivery::Raw(reply));
            }
            Command::Subscribe(reply) => {
                let _ = reply.send(self.events.subscribe());
            }
            Command::Shutdown(_) => {} // handled in `run`
        }
    }

    fn attest(
        &self,
        subject: PeerId,
        level: AccreditationLevel,
        valid_until: samenloop_protocol::CalendarDate,
    ) -> Result<String, NodeError> {
        let own_level = self.own.as_ref().map(|p| p.profile().accreditation);
        if own_level != Some(AccreditationLevel::Supervisor) {
            return Err(NodeError::BadRequest(
                "only a reviewer whose profile is at supervisor level can attest accreditation".into(),
            ));
        }
        let now = now();
        let until = valid_until.start().plus_secs(86_400);
        let att = SignedAttestation::issue(self.identity.signing_key(), subject, level, now, until)
            .map_err(|e| NodeError::BadRequest(format!("valid-until: {e}")))?;
        Ok(hex::encode(att.bytes))
    }

    // ---- swarm events -------------------------------------------------------------------------------

    fn on_swarm_event(&mut self, event: SwarmEvent<BehaviourEvent>) {
        match event {
            SwarmEvent::NewListenAddr { address, .. } => {
                info!(%address, "listening");
                self.listen_addrs.push(address);
            }
            SwarmEvent::ExpiredListenAddr { address, .. } => self.listen_addrs.retain(|a| a != &address),
            SwarmEvent::ConnectionEstablished { peer_id, endpoint, .. } => {
                self.redial_at.remove(&peer_id);
                self.flush_deliveries(peer_id);
                self.pull_from(peer_id);
                debug!(%peer_id, addr = %endpoint.get_remote_address(), "connected");
                if endpoint.is_dialer() {
                    self.swarm.behaviour_mut().kad.add_address(&peer_id, endpoint.get_remote_address().clone());
                }
                if !self.bootstrapped {
                    self.bootstrapped = self.swarm.behaviour_mut().kad.bootstrap().is_ok();
                }
            }
            SwarmEvent::ConnectionClosed { peer_id, num_established: 0, .. } => debug!(%peer_id, "disconnected"),
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
            _ => {}
        }
    }

    fn on_kad_event(&mut self, event: kad::Event) {
        match event {
            kad::Event::InboundRequest {
                request: kad::InboundRequest::PutRecord { source, record: Some(record), .. },
            } => {
                // `ingest` verifies the profile and files it under its own reviewer's key, whatever key
                // the sender used, so a valid profile can never be stored under someone else's id.
                let _ = self.ingest(&record.value, Some(source), Origin::Kademlia);
            }
            kad::Event::OutboundQueryProgressed { id, result: QueryResult::GetRecord(result), step, .. } => {
                let found = match result {
                    Ok(GetRecordOk::FoundRecord(peer_record)) => Some(peer_record),
                    _ => None,
                };
                if let Some(rec) = found {
                    // GetRecord results are not filtered by libp2p: verify like anything else.
                    let _ = self.ingest(&rec.record.value, rec.peer, Origin::Kademlia);
                }
                let Some((peer, _)) = self.lookups.get(&id) else { return };
                let peer = *peer;
                if self.directory.get(&peer).is_some() || step.last {
                    if let Some((_, replies)) = self.lookups.remove(&id) {
                        let answer = self.directory.get(&peer).map(|p| self.view(p));
                        for reply in replies {
                            let _ = reply.send(answer.clone().ok_or_else(|| {
                                NodeError::NotFound(format!("no profile for {peer} in the directory or the network"))
                            }));
                        }
                    }
                    if let Some(mut q) = self.swarm.behaviour_mut().kad.query_mut(&id) {
                        q.finish();
                    }
                }
            }
            _ => {}
        }
    }

    // ---- catch-up -----------------------------------------------------------------------------------

    fn start_catch_up(&mut self, peer: PeerId) {
        if self.caught_up.get(&peer).is_some_and(|t| t.elapsed() < CATCH_UP_QUIET) {
            return;
        }
        self.caught_up.insert(peer, Instant::now());
        self.request_page(peer, 1);
    }

    fn request_page(&mut self, peer: PeerId, page: u32) {
        let request = self.directory.catch_up_request();
        let id = self.swarm.behaviour_mut().catch_up.send_request(&peer, request);
        self.catch_up_pages.insert(id, (peer, page));
    }

    fn on_catch_up_event(&mut self, event: request_response::Event<CatchUpRequest, CatchUpResponse>) {
        use request_response::{Event, Message};
        match event {
            Event::Message { peer, message: Message::Request { request, channel, .. }, .. } => {
                let response = match self.directory.answer_catch_up(&request, now()) {
                    Ok(r) => r,
                    Err(e) => {
                        warn!(%peer, "refused catch-up request: {e}");
                        self.penalise(peer);
                        CatchUpResponse::default()
                    }
                };
                let _ = self.swarm.behaviour_mut().catch_up.send_response(channel, response);
            }
            Event::Message { peer, message: Message::Response { request_id, response }, .. } => {
                let page = self.catch_up_pages.remove(&request_id).map(|(_, n)| n).unwrap_or(MAX_CATCH_UP_PAGES);
                let mut fresh = 0;
                for bytes in &response.profiles {
                    if let Ok(offer) = self.ingest(bytes, Some(peer), Origin::CatchUp) {
                        fresh += usize::from(offer.changed());
                    }
                }
                debug!(%peer, received = response.profiles.len(), fresh, "catch-up page");
                // Ask for the next page only if this one taught us something, so a peer cannot keep us busy.
                if response.more && fresh > 0 && page < MAX_CATCH_UP_PAGES {
                    self.request_page(peer, page + 1);
                }
            }
            Event::OutboundFailure { request_id, peer, error, .. } => {
                self.catch_up_pages.remove(&request_id);
                // Let the next connection try again.
                self.caught_up.remove(&peer);
                debug!(%peer, "catch-up failed: {error}");
            }
            _ => {}
        }
    }
}

fn dht_record(profile: &SignedProfile) -> Record {
    let mut record = Record::new(profile_key(profile.peer()), profile.bytes().to_vec());
    record.publisher = Some(*profile.peer());
    let remaining = profile.expires_at().0.saturating_sub(now().0);
    record.expires = Some(Instant::now() + Duration::from_secs(remaining));
    record
}
