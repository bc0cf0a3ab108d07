//! Helpers for samenloop's multi-node tests: nodes in temporary homes on loopback, and waiting for the
//! network to reach a state (polling with a deadline, never sleeping a fixed time and hoping); members behind
//! namespace routers (`netns`, `shell`); and the deterministic simulation of case sync (`sim`).

pub mod netns;
pub mod shell;
pub mod sim;

use std::future::Future;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use libp2p::Multiaddr;
use samenloop_node::api::types::ProfileUpdate;
use samenloop_node::keystore::{self, KdfParams, Passphrase};
use samenloop_node::{Client, Home, NodeConfig, NodeHandle};
use samenloop_protocol::PeerId;

/// The passphrase of every test identity.
pub const PASSPHRASE: &str = "test passphrase";

fn pass() -> Passphrase {
    Passphrase::new(PASSPHRASE.into()).expect("non-empty")
}

/// A node in a test: its home survives restarts of the node.
pub struct TestNode {
    /// The home directory.
    pub home: Home,
    /// The running node, if started.
    pub handle: Option<NodeHandle>,
    /// Its reviewer id.
    pub peer_id: PeerId,
}

impl TestNode {
    /// Creates an identity in `dir` (cheap KDF: tests only).
    pub fn create(dir: &Path) -> TestNode {
        init_logging();
        let home = Home::new(dir);
        home.create().expect("create home");
        let id = keystore::create(&home.identity_path(), &pass(), KdfParams::insecure_for_tests()).expect("identity");
        TestNode { home, handle: None, peer_id: id.peer_id() }
    }

    /// Opens the identity already in `dir` (created by another process), or creates one.
    pub fn create_or_open(dir: &Path) -> TestNode {
        let home = Home::new(dir);
        if home.identity_path().exists() {
            let id = keystore::open(&home.identity_path(), &pass()).expect("open identity");
            return TestNode { home, handle: None, peer_id: id.peer_id() };
        }
        TestNode::create(dir)
    }

    /// Starts the node (again) from its home, listening on a fresh loopback port.
    pub async fn start(&mut self, bootstrap: Vec<Multiaddr>, tweak: impl FnOnce(&mut NodeConfig)) {
        let identity = keystore::open(&self.home.identity_path(), &pass()).expect("open identity");
        let mut config = NodeConfig {
            listen: vec!["/ip4/127.0.0.1/tcp/0".parse().expect("addr")],
            bootstrap,
            mdns: false,
            api: None,
            ..NodeConfig::default()
        };
        tweak(&mut config);
        let handle = samenloop_node::start(&self.home, identity, config).await.expect("start node");
        assert_eq!(handle.peer_id(), self.peer_id, "the node came back with another identity");
        self.handle = Some(handle);
    }

    /// Stops the node and starts it again on the same addresses (so peers that know them find it again),
    /// with `tweak` applied to the configuration; returns the addresses.
    pub async fn restart_in_place(&mut self, tweak: impl FnOnce(&mut NodeConfig)) -> Vec<Multiaddr> {
        let addrs = self.addrs().await;
        self.stop().await;
        self.start_on(&addrs, tweak).await;
        addrs
    }

    /// Starts the node listening on `addrs` (addresses printed by an earlier run, `/p2p/` suffix and all).
    pub async fn start_on(&mut self, addrs: &[Multiaddr], tweak: impl FnOnce(&mut NodeConfig)) {
        let listen: Vec<Multiaddr> = addrs
            .iter()
            .map(|a| a.iter().filter(|p| !matches!(p, libp2p::multiaddr::Protocol::P2p(_))).collect())
            .collect();
        self.start(Vec::new(), |c| {
            c.listen = listen;
            tweak(c);
        })
        .await;
    }

    /// Stops the node, keeping its home.
    pub async fn stop(&mut self) {
        if let Some(h) = self.handle.take() {
            h.shutdown().await;
        }
    }

    /// The node's identity, opened from its home (for tests that act as this member with a modified client).
    pub fn identity(&self) -> samenloop_protocol::Identity {
        keystore::open(&self.home.identity_path(), &pass()).expect("open identity")
    }

    /// The command handle.
    pub fn client(&self) -> Client {
        self.handle.as_ref().expect("node is running").client()
    }

    /// Addresses to bootstrap from.
    pub async fn addrs(&self) -> Vec<Multiaddr> {
        self.handle.as_ref().expect("node is running").listen_addrs().await
    }
}

/// Polls `check` every 10 ms until it returns true or `limit` passes; returns the time it took.
pub async fn wait_for<F, Fut>(limit: Duration, what: &str, mut check: F) -> Duration
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let start = Instant::now();
    loop {
        if check().await {
            return start.elapsed();
        }
        assert!(start.elapsed() < limit, "timed out after {limit:?} waiting for {what}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// True when every client holds revision `revision` (or later) of `peer`'s profile.
pub async fn all_hold(clients: &[Client], peer: PeerId, revision: u64) -> bool {
    for c in clients {
        match c.search(Default::default()).await {
            Ok(r) if r.results.iter().any(|p| p.peer_id == peer.to_string() && p.revision >= revision) => {}
            _ => return false,
        }
    }
    true
}

/// A profile update for test reviewer `n`.
pub fn sample_update(n: usize) -> ProfileUpdate {
    let tags = ["ggz", "jeugdbescherming", "jgz", "veilig-thuis", "wijkteam", "onderwijs"];
    ProfileUpdate {
        name: Some(format!("Reviewer {n:02}")),
        bio: Some(format!("Test reviewer number {n}")),
        expertise: Some(vec![tags[n % tags.len()].into(), tags[(n + 1) % tags.len()].into()]),
        regions: Some(vec![["Utrecht", "Gelderland", "Noord-Holland"][n % 3].into()]),
        languages: Some(vec!["nl".into()]),
        hours_per_month: Some(8 + n as u16),
        ..ProfileUpdate::default()
    }
}

/// A fresh temporary directory for one test's homes.
pub fn temp_root() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().to_path_buf();
    (dir, path)
}

/// Logs to stderr when `SAMENLOOP_TEST_LOG` is set (an env-filter such as `debug` or `samenloop_node=debug`).
pub fn init_logging() {
    if let Ok(filter) = std::env::var("SAMENLOOP_TEST_LOG") {
        let _ = tracing_subscriber::fmt().with_env_filter(filter).with_test_writer().try_init();
    }
}

/// A complete review request for tests and benchmarks: a mid-range review in Utrecht wanting
/// jeugdbescherming and ggz, starting in a month, with `question` as its learning question.
pub fn sample_request(question: &str) -> samenloop_protocol::ReviewRequest {
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
    let today = samenloop_protocol::UnixTime(now).date().days_since_epoch();
    let day = |n: i64| samenloop_protocol::CalendarDate::from_days_since_epoch(today + n);
    use samenloop_protocol::{InvolvedOrganisation, OrganisationKind, ReviewRequest, ReviewVariant};
    ReviewRequest {
        reason: "A serious incident after five placements in two years".into(),
        learning_question: question.into(),
        period_from: day(-700),
        period_until: day(-30),
        organisations: vec![
            InvolvedOrganisation { name: "GI Midden-Nederland".into(), kind: OrganisationKind::ChildProtection },
            InvolvedOrganisation { name: "Jeugdzorg Utrecht".into(), kind: OrganisationKind::YouthCare },
        ],
        municipality: "Utrecht, aware and supportive".into(),
        inspectorate: "Reported to the inspectorate".into(),
        context: "No disciplinary investigations".into(),
        available_information: "Case files".into(),
        family_involvement: "The mother is willing to take part".into(),
        privacy: "Consent obtained".into(),
        desired_start: day(30),
        desired_end: day(200),
        contact: "J. de Vries, 030-0000000".into(),
        costs: "Municipality pays".into(),
        budget_hours: 100,
        expected_result: "Concrete improvements in the chain".into(),
        report_addressee: "The boards of the organisations".into(),
        expertise: vec!["jeugdbescherming".into(), "ggz".into()],
        region: Some("Utrecht".into()),
        language: "nl".into(),
        variant: ReviewVariant::MidRange,
        reviewers: 2,
    }
}
