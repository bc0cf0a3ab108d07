//! Profiles from the network: verifying what gossip, catch-up and the DHT bring, taking the news into the
//! directory and the store, penalising peers that relay bad profiles, and caching profiles in the DHT.
//!
//! Nothing reaches the directory or the store without passing `SignedProfile::verify`, and a profile is
//! forwarded by gossip only after it was accepted.

use std::time::{Duration, Instant};

use libp2p::gossipsub;
use libp2p::kad::{self, GetRecordOk, QueryResult, Record, RecordKey, store::RecordStore};
use samenloop_protocol::{Offer, PeerId, ProfileRejection, SignedProfile};
use tracing::{debug, info, warn};

use crate::error::NodeError;
use crate::network::client::DirectoryEvent;
use crate::network::event_loop::{EventLoop, now};

/// The application penalty for one bad profile; gossip scoring multiplies it by `app_specific_weight`.
const PENALTY_PER_OFFENCE: f64 = 1.0;

/// Where a profile came from, for logging and penalties.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Origin {
    Gossip,
    CatchUp,
    Kademlia,
}

/// The DHT key of a reviewer's profile.
pub(crate) fn profile_key(peer: &PeerId) -> RecordKey {
    let mut key = b"/samenloop/profile/".to_vec();
    key.extend_from_slice(&peer.to_bytes());
    RecordKey::new(&key)
}

impl EventLoop {
    // ---- profiles in --------------------------------------------------------------------------------

    /// Verifies bytes from the network and, if they are news, stores and indexes them.
    pub(crate) fn ingest(
        &mut self,
        bytes: &[u8],
        from: Option<PeerId>,
        origin: Origin,
    ) -> Result<Offer, ProfileRejection> {
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
        if self.config.reach.relay {
            self.reach.gate.admit(peer);
        }
        let reach = profile.record().reach.clone();
        self.learn_relayed_addresses(peer, &reach);
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
    pub(crate) fn resume_own_profile(&mut self) {
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
    pub(crate) fn announce(&mut self, signed: &SignedProfile) {
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
    pub(crate) fn adopt_own(&mut self, newer: &SignedProfile) {
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

    pub(crate) fn penalise(&mut self, peer: PeerId) {
        let offences = self.offences.entry(peer).or_default();
        *offences += PENALTY_PER_OFFENCE;
        let score = -*offences;
        self.swarm.behaviour_mut().gossipsub.set_application_score(&peer, score);
    }

    /// Keeps a verified profile in the local DHT store so this node answers lookups for it.
    pub(crate) fn cache_in_dht(&mut self, profile: &SignedProfile) {
        let record = dht_record(profile);
        if let Err(e) = self.swarm.behaviour_mut().kad.store_mut().put(record) {
            debug!("DHT store refused a record: {e}");
        }
    }

    pub(crate) fn on_kad_event(&mut self, event: kad::Event) {
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
}

pub(crate) fn dht_record(profile: &SignedProfile) -> Record {
    let mut record = Record::new(profile_key(profile.peer()), profile.bytes().to_vec());
    record.publisher = Some(*profile.peer());
    let remaining = profile.expires_at().0.saturating_sub(now().0);
    record.expires = Some(Instant::now() + Duration::from_secs(remaining));
    record
}
