//! The cheap, cloneable handle through which everything else (the API, tests, the demo) talks to the
//! node's event loop. It only sends commands over a channel; the loop alone owns the swarm and the state.

use libp2p::Multiaddr;
use samenloop_protocol::{AccreditationLevel, CalendarDate, DirectoryQuery, PeerId};
use tokio::sync::{broadcast, mpsc, oneshot};

use samenloop_protocol::referrals::referral::Answer;
use samenloop_protocol::{MatchResult, ReviewRequest, UnixTime};

use crate::api::types::{NodeStatus, ProfileUpdate, ProfileView, SearchResponse};
use crate::error::NodeError;
use crate::referrals::records::{CallView, ReceivedReferral, ReferralView, RequestRecord};
use samenloop_protocol::referrals::call::ReviewTheme;

pub(crate) type Reply<T> = oneshot::Sender<Result<T, NodeError>>;

/// A command for the event loop; each carries the channel its answer goes back on.
/// The network settings a user can change while the node runs.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NetworkSettings {
    /// Founding supervisors whose attestations this node trusts.
    pub trusted_accreditors: Vec<PeerId>,
    /// Nodes this node joins the network through.
    pub bootstrap: Vec<Multiaddr>,
}

pub(crate) enum Command {
    Status(Reply<NodeStatus>),
    SetProfile(ProfileUpdate, Reply<ProfileView>),
    OwnProfile(Reply<ProfileView>),
    EditableProfile(Reply<samenloop_protocol::Profile>),
    Profile(PeerId, Reply<ProfileView>),
    Search(DirectoryQuery, Reply<SearchResponse>),
    Attest {
        subject: PeerId,
        level: AccreditationLevel,
        valid_until: CalendarDate,
        reply: Reply<String>,
    },
    Dial(Multiaddr, Reply<()>),
    /// The network settings the user changed in the app: effective at once, without a restart.
    SetNetwork {
        trusted: Vec<PeerId>,
        bootstrap: Vec<Multiaddr>,
        reply: Reply<NetworkSettings>,
    },
    Network(Reply<NetworkSettings>),
    #[cfg(feature = "test-support")]
    PublishRaw(Vec<u8>, Reply<()>),
    #[cfg(feature = "test-support")]
    PeerScore(PeerId, Reply<Option<f64>>),
    #[cfg(feature = "test-support")]
    HeldBytes(PeerId, Reply<Option<Vec<u8>>>),
    #[cfg(feature = "test-support")]
    PutRawRecord {
        key: Vec<u8>,
        value: Vec<u8>,
        reply: Reply<()>,
    },
    #[cfg(feature = "test-support")]
    SendRawReferral {
        peer: PeerId,
        message: samenloop_protocol::referrals::referral::ReferralMessage,
        reply: Reply<String>,
    },
    Subscribe(oneshot::Sender<broadcast::Receiver<DirectoryEvent>>),
    SubscribeNodeEvents(oneshot::Sender<broadcast::Receiver<NodeEvent>>),
    CreateRequest(Box<ReviewRequest>, Reply<RequestRecord>),
    Requests(Reply<Vec<RequestRecord>>),
    Request(String, Reply<RequestRecord>),
    MatchRequest(String, Reply<MatchResult>),
    Refer {
        id: String,
        to: Vec<PeerId>,
        pair: bool,
        next: bool,
        respond_by: Option<UnixTime>,
        reply: Reply<RequestRecord>,
    },
    Withdraw(String, Reply<RequestRecord>),
    Referrals(Reply<Vec<ReceivedReferral>>),
    Case(crate::cases::commands::CaseCommand, Reply<serde_json::Value>),
    SyncStats(Reply<crate::cases::sync::SyncStats>),
    #[cfg(feature = "test-support")]
    Partition {
        peer: PeerId,
        blocked: bool,
        reply: Reply<()>,
    },
    #[cfg(feature = "test-support")]
    EpochKey {
        case: samenloop_protocol::cases::ledger::CaseId,
        doc: samenloop_protocol::cases::ledger::DocKind,
        reply: Reply<[u8; 32]>,
    },
    #[cfg(feature = "test-support")]
    RawSync {
        peer: PeerId,
        request: samenloop_protocol::cases::sync::SyncRequest,
        reply: Reply<samenloop_protocol::cases::sync::SyncResponse>,
    },
    Referral(String, Reply<ReferralView>),
    AnswerReferral(String, Answer, Reply<ReceivedReferral>),
    PostCall(String, Option<ReviewTheme>, Reply<CallView>),
    Calls(Reply<Vec<CallView>>),
    Interest(String, Reply<CallView>),
    Shutdown(oneshot::Sender<()>),
}

/// A change to the local directory, for anyone who wants to react at once (a UI, a benchmark).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DirectoryEvent {
    /// Whose profile changed.
    pub peer: PeerId,
    /// The revision now held.
    pub revision: u64,
}

/// Something changed that an open page may want to show at once: the app's live stream carries these.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NodeEvent {
    /// A referral arrived, or one of this node's requests got an answer or an interest.
    Referrals,
    /// A case's documents changed by a peer's edits.
    Case(samenloop_protocol::cases::ledger::CaseId),
}

/// Handle to a running node.
#[derive(Clone, Debug)]
pub struct Client {
    pub(crate) sender: mpsc::Sender<Command>,
}

impl Client {
    async fn ask<T>(&self, make: impl FnOnce(Reply<T>) -> Command) -> Result<T, NodeError> {
        let (tx, rx) = oneshot::channel();
        self.sender.send(make(tx)).await.map_err(|_| NodeError::Stopped)?;
        rx.await.map_err(|_| NodeError::Stopped)?
    }

    /// Peer id, addresses, peers and directory size.
    pub async fn status(&self) -> Result<NodeStatus, NodeError> {
        self.ask(Command::Status).await
    }

    /// Changes the reviewer's profile, then signs and publishes it at once.
    pub async fn set_profile(&self, update: ProfileUpdate) -> Result<ProfileView, NodeError> {
        self.ask(|r| Command::SetProfile(update, r)).await
    }

    /// The reviewer's own published profile.
    pub async fn own_profile(&self) -> Result<ProfileView, NodeError> {
        self.ask(Command::OwnProfile).await
    }

    /// Another reviewer's profile: from the local directory, else looked up in the DHT.
    pub async fn profile(&self, peer: PeerId) -> Result<ProfileView, NodeError> {
        self.ask(|r| Command::Profile(peer, r)).await
    }

    /// Searches the local directory.
    pub async fn search(&self, query: DirectoryQuery) -> Result<SearchResponse, NodeError> {
        self.ask(|r| Command::Search(query, r)).await
    }

    /// Signs an accreditation attestation for `subject` (hex of the envelope).
    pub async fn attest(
        &self,
        subject: PeerId,
        level: AccreditationLevel,
        valid_until: CalendarDate,
    ) -> Result<String, NodeError> {
        self.ask(|reply| Command::Attest { subject, level, valid_until, reply }).await
    }

    /// The founding supervisors whose attestations this node trusts, and the nodes it joins through.
    pub async fn network(&self) -> Result<NetworkSettings, NodeError> {
        self.ask(Command::Network).await
    }

    /// Replaces the trusted accreditors and the bootstrap peers (dialled at once); takes effect without a
    /// restart. The caller persists them (`config.toml`).
    pub async fn set_network(
        &self,
        trusted: Vec<PeerId>,
        bootstrap: Vec<Multiaddr>,
    ) -> Result<NetworkSettings, NodeError> {
        self.ask(|reply| Command::SetNetwork { trusted, bootstrap, reply }).await
    }

    /// Dials a peer.
    pub async fn dial(&self, addr: Multiaddr) -> Result<(), NodeError> {
        self.ask(|r| Command::Dial(addr, r)).await
    }

    /// Publishes arbitrary bytes on the profile topic, as a misbehaving peer would.
    #[cfg(feature = "test-support")]
    pub async fn publish_raw(&self, bytes: Vec<u8>) -> Result<(), NodeError> {
        self.ask(|r| Command::PublishRaw(bytes, r)).await
    }

    /// This node's gossip score for `peer`.
    #[cfg(feature = "test-support")]
    pub async fn peer_score(&self, peer: PeerId) -> Result<Option<f64>, NodeError> {
        self.ask(|r| Command::PeerScore(peer, r)).await
    }

    /// The exact bytes of `peer`'s profile held in the directory.
    #[cfg(feature = "test-support")]
    pub async fn held_bytes(&self, peer: PeerId) -> Result<Option<Vec<u8>>, NodeError> {
        self.ask(|r| Command::HeldBytes(peer, r)).await
    }

    /// Creates a review request (validated; every problem listed by field).
    pub async fn create_request(&self, request: ReviewRequest) -> Result<RequestRecord, NodeError> {
        self.ask(|r| Command::CreateRequest(Box::new(request), r)).await
    }

    /// This node's requests.
    pub async fn requests(&self) -> Result<Vec<RequestRecord>, NodeError> {
        self.ask(Command::Requests).await
    }

    /// One request with its referrals and history.
    pub async fn request(&self, id: &str) -> Result<RequestRecord, NodeError> {
        self.ask(|r| Command::Request(id.to_string(), r)).await
    }

    /// Matches a request against the directory.
    pub async fn match_request(&self, id: &str) -> Result<MatchResult, NodeError> {
        self.ask(|r| Command::MatchRequest(id.to_string(), r)).await
    }

    /// Refers a request to reviewers (`to`), the proposed pair, or the next candidate; answers are due by
    /// `respond_by` (default: a week).
    pub async fn refer(
        &self,
        id: &str,
        to: Vec<PeerId>,
        pair: bool,
        next: bool,
        respond_by: Option<UnixTime>,
    ) -> Result<RequestRecord, NodeError> {
        self.ask(|reply| Command::Refer { id: id.to_string(), to, pair, next, respond_by, reply }).await
    }

    /// Withdraws a request's open referrals.
    pub async fn withdraw(&self, id: &str) -> Result<RequestRecord, NodeError> {
        self.ask(|r| Command::Withdraw(id.to_string(), r)).await
    }

    /// Referrals this node received.
    pub async fn referrals(&self) -> Result<Vec<ReceivedReferral>, NodeError> {
        self.ask(Command::Referrals).await
    }

    /// Runs a case command (see [`crate::cases::commands::CaseCommand`]); the answer is its JSON view.
    pub async fn case(&self, command: crate::cases::commands::CaseCommand) -> Result<serde_json::Value, NodeError> {
        self.ask(|r| Command::Case(command, r)).await
    }

    /// What case sync refused so far.
    pub async fn sync_stats(&self) -> Result<crate::cases::sync::SyncStats, NodeError> {
        self.ask(Command::SyncStats).await
    }

    /// Test support: cuts (or restores) all traffic with `peer`, to simulate members working apart.
    #[cfg(feature = "test-support")]
    pub async fn partition(&self, peer: PeerId, blocked: bool) -> Result<(), NodeError> {
        self.ask(|reply| Command::Partition { peer, blocked, reply }).await
    }

    /// Test support: this node's current key of a case document, so a test can act as a modified client.
    #[cfg(feature = "test-support")]
    pub async fn epoch_key(
        &self,
        case: samenloop_protocol::cases::ledger::CaseId,
        doc: samenloop_protocol::cases::ledger::DocKind,
    ) -> Result<[u8; 32], NodeError> {
        self.ask(|reply| Command::EpochKey { case, doc, reply }).await
    }

    /// Test support: sends a sync request as a (possibly misbehaving) peer would, and returns the answer.
    #[cfg(feature = "test-support")]
    pub async fn raw_sync(
        &self,
        peer: PeerId,
        request: samenloop_protocol::cases::sync::SyncRequest,
    ) -> Result<samenloop_protocol::cases::sync::SyncResponse, NodeError> {
        self.ask(|reply| Command::RawSync { peer, request, reply }).await
    }

    /// One received referral with its request opened.
    pub async fn referral(&self, id: &str) -> Result<ReferralView, NodeError> {
        self.ask(|r| Command::Referral(id.to_string(), r)).await
    }

    /// Accepts or declines a received referral.
    pub async fn answer_referral(&self, id: &str, answer: Answer) -> Result<ReceivedReferral, NodeError> {
        self.ask(|r| Command::AnswerReferral(id.to_string(), answer, r)).await
    }

    /// Posts an anonymised call for reviewers for request `id`.
    pub async fn post_call(&self, id: &str, theme: Option<ReviewTheme>) -> Result<CallView, NodeError> {
        self.ask(|r| Command::PostCall(id.to_string(), theme, r)).await
    }

    /// Open calls seen on the network.
    pub async fn calls(&self) -> Result<Vec<CallView>, NodeError> {
        self.ask(Command::Calls).await
    }

    /// Signals interest in a call (delivered to its requester).
    pub async fn express_interest(&self, call_id: &str) -> Result<CallView, NodeError> {
        self.ask(|r| Command::Interest(call_id.to_string(), r)).await
    }

    /// Directory changes from now on. A receiver that falls behind skips events (and is told so).
    pub async fn subscribe(&self) -> Result<broadcast::Receiver<DirectoryEvent>, NodeError> {
        let (tx, rx) = oneshot::channel();
        self.sender.send(Command::Subscribe(tx)).await.map_err(|_| NodeError::Stopped)?;
        rx.await.map_err(|_| NodeError::Stopped)
    }

    /// The own profile as it is edited: the published content, or the draft before the first publication.
    pub async fn editable_profile(&self) -> Result<samenloop_protocol::Profile, NodeError> {
        self.ask(Command::EditableProfile).await
    }

    /// Node events (referrals, case changes) from now on; a receiver that falls behind is told so.
    pub async fn node_events(&self) -> Result<broadcast::Receiver<NodeEvent>, NodeError> {
        let (tx, rx) = oneshot::channel();
        self.sender.send(Command::SubscribeNodeEvents(tx)).await.map_err(|_| NodeError::Stopped)?;
        rx.await.map_err(|_| NodeError::Stopped)
    }

    /// Stores an arbitrary record in the DHT (at the peers closest to `key`), as a misbehaving peer would.
    #[cfg(feature = "test-support")]
    pub async fn put_raw_record(&self, key: Vec<u8>, value: Vec<u8>) -> Result<(), NodeError> {
        self.ask(|reply| Command::PutRawRecord { key, value, reply }).await
    }

    /// Sends an arbitrary referral-protocol message to `peer` and returns its node's reply (as text), as a
    /// misbehaving peer would.
    #[cfg(feature = "test-support")]
    pub async fn send_raw_referral(
        &self,
        peer: PeerId,
        message: samenloop_protocol::referrals::referral::ReferralMessage,
    ) -> Result<String, NodeError> {
        self.ask(|reply| Command::SendRawReferral { peer, message, reply }).await
    }

    /// Asks the event loop to stop and waits until it has.
    pub async fn shutdown(&self) {
        let (tx, rx) = oneshot::channel();
        if self.sender.send(Command::Shutdown(tx)).await.is_ok() {
            let _ = rx.await;
        }
    }
}
