//! Starting and stopping a node: open the store, rebuild the directory, build the swarm, start the event
//! loop and (optionally) the local API.

use std::net::SocketAddr;
use std::time::Duration;

use libp2p::{Multiaddr, SwarmBuilder, noise, tcp, yamux};
use samenloop_protocol::{Directory, Identity, PeerId, SignedProfile};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tracing::info;

use crate::api;
use crate::config::NodeConfig;
use crate::home::Home;
use crate::network::{Behaviour, Client, EventLoop, now};
use crate::service::Service;
use crate::store::{Store, StoreError};
use std::sync::Arc;

/// Why a node could not start. Each names what to fix.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// The database could not be opened or read.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The network stack could not be set up.
    #[error("network setup: {0}")]
    Network(String),
    /// A listen address was refused.
    #[error("cannot listen on {addr}: {detail}")]
    Listen {
        /// The address.
        addr: Multiaddr,
        /// Why.
        detail: String,
    },
    /// The API address is not on loopback.
    #[error("the local API must listen on a loopback address (127.0.0.1 or ::1), not {0}")]
    ApiNotLoopback(SocketAddr),
    /// The API address is taken or cannot be bound.
    #[error("cannot serve the local API on {addr}: {detail} (choose another with --api 127.0.0.1:PORT)")]
    ApiBind {
        /// The address.
        addr: SocketAddr,
        /// Why.
        detail: String,
    },
    /// The API credentials could not be written into the home.
    #[error("cannot write {path}: {detail}")]
    Credentials {
        /// The file.
        path: String,
        /// Why.
        detail: String,
    },
}

/// A running node.
pub struct NodeHandle {
    client: Client,
    peer_id: PeerId,
    api_addr: Option<SocketAddr>,
    home: Home,
    event_loop: JoinHandle<()>,
    api_server: Option<(tokio::sync::oneshot::Sender<()>, JoinHandle<()>)>,
}

impl NodeHandle {
    /// The handle for sending commands.
    pub fn client(&self) -> Client {
        self.client.clone()
    }

    /// This node's reviewer id.
    pub fn peer_id(&self) -> PeerId {
        self.peer_id
    }

    /// Where the local API listens, if it was started.
    pub fn api_addr(&self) -> Option<SocketAddr> {
        self.api_addr
    }

    /// The node's listen addresses with its `/p2p/` id appended, ready to give to others as `--bootstrap`.
    pub async fn listen_addrs(&self) -> Vec<Multiaddr> {
        match self.client.status().await {
            Ok(s) => s.listen_addrs.iter().filter_map(|a| a.parse().ok()).collect(),
            Err(_) => Vec::new(),
        }
    }

    /// Stops the API and the event loop, and removes the API address file.
    pub async fn shutdown(self) {
        if let Some((stop, task)) = self.api_server {
            let _ = stop.send(());
            let _ = task.await;
            let _ = std::fs::remove_file(self.home.api_addr_path());
        }
        self.client.shutdown().await;
        let _ = self.event_loop.await;
    }

    /// Waits until the node stops by itself (it does not, unless the API asked it to).
    pub async fn wait(&mut self) {
        let _ = (&mut self.event_loop).await;
    }
}

/// Starts a node for `identity` with its state in `home`.
pub async fn start(home: &Home, identity: Identity, config: NodeConfig) -> Result<NodeHandle, StartError> {
    home.create()
        .map_err(|e| StartError::Credentials { path: home.root().display().to_string(), detail: e.to_string() })?;
    let store = Store::open(&home.db_path())?;
    let directory = load_directory(&store)?;
    let peer_id = identity.peer_id();

    let (signing, _) = identity.secret_bytes();
    let mut secret = *signing;
    let keypair = libp2p::identity::Keypair::ed25519_from_bytes(&mut secret)
        .map_err(|e| StartError::Network(format!("identity: {e}")))?;
    let mdns = config.mdns;
    let blocked = config.blocked_peers.clone();
    let idle = config.idle_timeout;
    let gate = crate::reach::RelayGate::default();
    let relay_limits = config.reach.relay_limits.clone();
    let serve_relay = config.reach.relay;
    let serve_mailbox = config.reach.mailbox;
    let mailbox_server = if serve_mailbox {
        let path = home.root().join("mailbox.redb");
        Some(
            crate::mailbox::server::MailboxServer::open(&path, config.reach.mailbox_limits.clone())
                .map_err(|e| StartError::Network(e.to_string()))?,
        )
    } else {
        None
    };
    let mut reach = crate::reach::Reachability::new(&config.reach, gate.clone());
    if serve_mailbox {
        // A mailbox is its own mailbox too: others deposit for it there.
        reach
            .mailboxes
            .entry(peer_id)
            .or_insert_with(|| Multiaddr::empty().with(libp2p::multiaddr::Protocol::P2p(peer_id)));
    }
    let mut swarm = SwarmBuilder::with_existing_identity(keypair)
        .with_tokio()
        .with_tcp(tcp::Config::default().nodelay(true), noise::Config::new, yamux::Config::default)
        .map_err(|e| StartError::Network(format!("tcp: {e}")))?
        .with_quic()
        .with_dns()
        .map_err(|e| StartError::Network(format!("dns: {e}")))?
        .with_relay_client(noise::Config::new, yamux::Config::default)
        .map_err(|e| StartError::Network(format!("relay client: {e}")))?
        .with_behaviour(|key, relay_client| {
            let relay = serve_relay.then(|| (&relay_limits, gate.clone()));
            Behaviour::new(key, mdns, &blocked, relay_client, relay, serve_mailbox)
                .map_err(|e| Box::new(e) as Box<dyn std::error::Error + Send + Sync>)
        })
        .map_err(|e| StartError::Network(e.to_string()))?
        .with_swarm_config(|c| c.with_idle_connection_timeout(idle))
        .build();
    for addr in &config.listen {
        swarm
            .listen_on(addr.clone())
            .map_err(|e| StartError::Listen { addr: addr.clone(), detail: error_chain(&e) })?;
    }

    let (sender, commands) = mpsc::channel(64);
    let client = Client { sender };
    let api_bind = config.api;
    let service_config = config.clone();
    let event_loop = EventLoop::new(swarm, commands, identity, config, store, directory, (reach, mailbox_server))?;
    let event_loop = tokio::spawn(event_loop.run());

    // Wait briefly for the first listen address so callers can hand it to other nodes.
    for _ in 0..100 {
        match client.status().await {
            Ok(s) if !s.listen_addrs.is_empty() => break,
            _ => tokio::time::sleep(Duration::from_millis(20)).await,
        }
    }

    let mut handle = NodeHandle { client, peer_id, api_addr: None, home: home.clone(), event_loop, api_server: None };
    if let Some(addr) = api_bind {
        let service = Arc::new(Service::running(home.clone(), service_config, handle.client.clone()));
        match api::server::serve(home, addr, service).await {
            Ok((bound, stop, task)) => {
                handle.api_addr = Some(bound);
                handle.api_server = Some((stop, task));
                info!(%bound, "local API listening");
            }
            Err(e) => {
                handle.shutdown().await;
                return Err(e);
            }
        }
    }
    Ok(handle)
}

/// A node served on loopback before its identity is unlocked: the API and the web app run, and the node
/// itself starts when the first-run or unlock page succeeds (see `crate::service`).
pub struct ServedNode {
    service: Arc<Service>,
    api_addr: SocketAddr,
    home: Home,
    server: (tokio::sync::oneshot::Sender<()>, JoinHandle<()>),
}

impl ServedNode {
    /// Where the API and the app listen.
    pub fn api_addr(&self) -> SocketAddr {
        self.api_addr
    }

    /// Where the node stands: no identity, locked, or running.
    pub fn phase(&self) -> crate::service::Phase {
        self.service.phase()
    }

    /// Stops the server and, if it was unlocked, the node; removes the API address file.
    pub async fn shutdown(self) {
        let (stop, task) = self.server;
        let _ = stop.send(());
        let _ = task.await;
        let _ = std::fs::remove_file(self.home.api_addr_path());
        self.service.stop().await;
    }
}

/// Serves the API and the app for `home` on `config.api` (loopback; the default address when unset) and
/// waits for the identity to be created or unlocked in the app. Neither the store nor the network is
/// opened before that.
pub async fn serve_locked(home: &Home, config: NodeConfig) -> Result<ServedNode, StartError> {
    home.create()
        .map_err(|e| StartError::Credentials { path: home.root().display().to_string(), detail: e.to_string() })?;
    let addr = match config.api {
        Some(addr) => addr,
        None => crate::config::DEFAULT_API_ADDR
            .parse()
            .map_err(|_| StartError::Network("the default API address does not parse".into()))?,
    };
    let service = Arc::new(Service::waiting(home.clone(), config));
    let (api_addr, stop, task) = api::server::serve(home, addr, service.clone()).await?;
    info!(%api_addr, phase = service.phase().name(), "local API and app listening; waiting to be unlocked");
    Ok(ServedNode { service, api_addr, home: home.clone(), server: (stop, task) })
}

/// An error and its sources, joined: libp2p's transport errors print nothing themselves.
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut parts = vec![e.to_string()];
    let mut source = e.source();
    while let Some(s) = source {
        parts.push(s.to_string());
        source = s.source();
    }
    parts.retain(|p| !p.is_empty());
    parts.dedup();
    parts.join(": ")
}

/// Rebuilds the directory from the store, re-verifying every profile; expired or invalid ones are skipped.
fn load_directory(store: &Store) -> Result<Directory, StoreError> {
    let now = now();
    let mut directory = Directory::new();
    let mut lapsed = Vec::new();
    for (key, bytes) in store.profiles()? {
        match SignedProfile::verify(&bytes, now) {
            Ok(p) => {
                directory.offer(p);
            }
            // Expired while the node was down (or unreadable): nobody should find it any more.
            Err(_) => lapsed.push(key),
        }
    }
    if !lapsed.is_empty() {
        info!(count = lapsed.len(), "removing stored profiles that expired while the node was down");
        store.remove_profile_keys(&lapsed)?;
    }
    info!(profiles = directory.len(), "directory loaded");
    Ok(directory)
}
