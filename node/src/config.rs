//! Node settings: from `config.toml` in the home, overridden by command-line flags.

use std::net::SocketAddr;
use std::time::Duration;

use libp2p::Multiaddr;
use samenloop_protocol::PeerId;
use serde::Deserialize;

use crate::home::Home;

/// The default address of the local API.
pub const DEFAULT_API_ADDR: &str = "127.0.0.1:7878";

/// Everything a node needs to know to run, besides its identity.
#[derive(Clone, Debug)]
pub struct NodeConfig {
    /// Addresses to listen on for peers.
    pub listen: Vec<Multiaddr>,
    /// Peers to dial at start (and re-dial when alone).
    pub bootstrap: Vec<Multiaddr>,
    /// Discover peers on the local network with mDNS.
    pub mdns: bool,
    /// Where to serve the local API; `None` runs without one (in-process tests, the demo).
    pub api: Option<SocketAddr>,
    /// The founding supervisors whose attestations verify accreditation.
    pub trusted_accreditors: Vec<PeerId>,
    /// Peers this node refuses to connect to (a known-bad actor, or a topology in tests).
    pub blocked_peers: Vec<PeerId>,
    /// How long a published profile is valid.
    pub profile_validity: Duration,
    /// How often the node re-signs and republishes its profile; must be well under the validity.
    pub republish_every: Duration,
    /// How long an idle connection is kept open.
    pub idle_timeout: Duration,
    /// Relays and mailboxes: reaching others from behind a router, and serving as either for others.
    pub reach: ReachConfig,
}

/// When a node keeps a reservation on a relay.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ReservePolicy {
    /// While AutoNAT does not find the node publicly reachable (the default).
    Auto,
    /// Always (a node that knows it is behind a router, and tests).
    Always,
    /// Never.
    Never,
}

/// What a node serving as relay allows. The libp2p defaults (2 minutes and 128 KiB a circuit) are meant
/// for hole-punching coordination only; a case sync needs far more.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RelayLimits {
    /// Reservations held at once.
    pub max_reservations: usize,
    /// Circuits open at once.
    pub max_circuits: usize,
    /// Circuits open at once per peer.
    pub max_circuits_per_peer: usize,
    /// Bytes one circuit may carry in both directions together.
    pub max_circuit_bytes: u64,
    /// How long one circuit may stay open, in seconds.
    pub max_circuit_secs: u64,
    /// How long a reservation lasts before it must be renewed, in seconds.
    pub reservation_secs: u64,
}

impl Default for RelayLimits {
    fn default() -> Self {
        RelayLimits {
            max_reservations: 256,
            max_circuits: 64,
            max_circuits_per_peer: 8,
            max_circuit_bytes: 512 << 20,
            max_circuit_secs: 3600,
            reservation_secs: 3600,
        }
    }
}

/// What a node serving as mailbox holds.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MailboxLimits {
    /// How long a deposit is kept if nobody fetches it, in days.
    pub retention_days: u64,
    /// Bytes held for one inbox.
    pub inbox_bytes: u64,
    /// Bytes one depositor may deposit in a day.
    pub depositor_bytes_per_day: u64,
    /// Bytes held in all.
    pub capacity_bytes: u64,
    /// Inboxes one peer may register.
    pub inboxes_per_peer: usize,
}

impl Default for MailboxLimits {
    fn default() -> Self {
        MailboxLimits {
            retention_days: 30,
            inbox_bytes: 256 << 20,
            depositor_bytes_per_day: 1 << 30,
            capacity_bytes: 8 << 30,
            inboxes_per_peer: 20_000,
        }
    }
}

/// Reaching others and being reached: relays, hole punching, mailboxes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReachConfig {
    /// Serve as a relay for peers whose signed profile this node holds.
    pub relay: bool,
    /// The limits of that relay.
    pub relay_limits: RelayLimits,
    /// Serve as a mailbox.
    pub mailbox: bool,
    /// The limits of that mailbox.
    pub mailbox_limits: MailboxLimits,
    /// Relays to keep a reservation on (`/.../p2p/ID`); bootstrap peers that serve as relay are used too.
    pub relays: Vec<Multiaddr>,
    /// Mailboxes to fetch from and to name in the profile (`/.../p2p/ID`); bootstrap peers that serve as
    /// mailbox are used too.
    pub mailboxes: Vec<Multiaddr>,
    /// When to keep a relay reservation.
    pub reserve: ReservePolicy,
    /// How often the mailboxes are asked for new items while connected.
    pub fetch_every: Duration,
}

impl Default for ReachConfig {
    fn default() -> Self {
        ReachConfig {
            relay: false,
            relay_limits: RelayLimits::default(),
            mailbox: false,
            mailbox_limits: MailboxLimits::default(),
            relays: Vec::new(),
            mailboxes: Vec::new(),
            reserve: ReservePolicy::Auto,
            fetch_every: Duration::from_secs(10),
        }
    }
}

impl Default for NodeConfig {
    fn default() -> Self {
        NodeConfig {
            listen: vec![
                "/ip4/0.0.0.0/tcp/0".parse().expect("literal multiaddr"),
                "/ip4/0.0.0.0/udp/0/quic-v1".parse().expect("literal multiaddr"),
            ],
            bootstrap: Vec::new(),
            mdns: true,
            api: Some(DEFAULT_API_ADDR.parse().expect("literal socket address")),
            trusted_accreditors: Vec::new(),
            blocked_peers: Vec::new(),
            profile_validity: Duration::from_secs(7 * 24 * 3600),
            republish_every: Duration::from_secs(24 * 3600),
            idle_timeout: Duration::from_secs(3600),
            reach: ReachConfig::default(),
        }
    }
}

/// The optional `config.toml` in a node's home.
///
/// ```toml
/// trusted_accreditors = ["12D3KooW..."]
/// blocked_peers = []
/// bootstrap = ["/ip4/192.0.2.10/tcp/4001/p2p/12D3KooW..."]
/// listen = ["/ip4/0.0.0.0/tcp/4001"]
/// mdns = true
/// api = "127.0.0.1:7878"
/// relay = false                 # serve as relay for the network's reviewers
/// mailbox = false               # hold sealed items for offline members
/// relays = ["/ip4/192.0.2.10/tcp/4001/p2p/12D3KooW..."]
/// mailboxes = ["/ip4/192.0.2.10/tcp/4001/p2p/12D3KooW..."]
/// reserve = "auto"              # or "always", "never"
///
/// [relay_limits]
/// max_circuit_bytes = 536870912
///
/// [mailbox_limits]
/// retention_days = 30
/// ```
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfigFile {
    /// See [`NodeConfig::trusted_accreditors`].
    #[serde(default)]
    pub trusted_accreditors: Vec<String>,
    /// See [`NodeConfig::blocked_peers`].
    #[serde(default)]
    pub blocked_peers: Vec<String>,
    /// See [`NodeConfig::bootstrap`].
    #[serde(default)]
    pub bootstrap: Vec<String>,
    /// See [`NodeConfig::listen`].
    #[serde(default)]
    pub listen: Vec<String>,
    /// See [`NodeConfig::mdns`].
    pub mdns: Option<bool>,
    /// See [`NodeConfig::api`].
    pub api: Option<String>,
    /// See [`ReachConfig::relay`].
    pub relay: Option<bool>,
    /// See [`ReachConfig::mailbox`].
    pub mailbox: Option<bool>,
    /// See [`ReachConfig::relays`].
    #[serde(default)]
    pub relays: Vec<String>,
    /// See [`ReachConfig::mailboxes`].
    #[serde(default)]
    pub mailboxes: Vec<String>,
    /// See [`ReachConfig::reserve`].
    pub reserve: Option<ReservePolicy>,
    /// See [`RelayLimits`].
    pub relay_limits: Option<RelayLimits>,
    /// See [`MailboxLimits`].
    pub mailbox_limits: Option<MailboxLimits>,
}

/// A problem in `config.toml`, naming the file and the setting.
#[derive(Debug, thiserror::Error)]
#[error("{path}: {problem}")]
pub struct ConfigError {
    /// The file.
    pub path: String,
    /// What is wrong.
    pub problem: String,
}

impl ConfigFile {
    /// Reads the home's `config.toml`; a missing file is an empty configuration.
    pub fn load(home: &Home) -> Result<ConfigFile, ConfigError> {
        let path = home.config_path();
        let err = |problem: String| ConfigError { path: path.display().to_string(), problem };
        match std::fs::read_to_string(&path) {
            Ok(text) => toml::from_str(&text).map_err(|e| err(e.to_string())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(ConfigFile::default()),
            Err(e) => Err(err(e.to_string())),
        }
    }

    /// Applies this file's settings to `config` (flags are applied afterwards by the caller).
    pub fn apply(&self, config: &mut NodeConfig, home: &Home) -> Result<(), ConfigError> {
        let err = |problem: String| ConfigError { path: home.config_path().display().to_string(), problem };
        for p in &self.trusted_accreditors {
            config
                .trusted_accreditors
                .push(p.parse().map_err(|_| err(format!("trusted_accreditors: `{p}` is not a peer id")))?);
        }
        for p in &self.blocked_peers {
            config.blocked_peers.push(p.parse().map_err(|_| err(format!("blocked_peers: `{p}` is not a peer id")))?);
        }
        for a in &self.bootstrap {
            config.bootstrap.push(a.parse().map_err(|_| err(format!("bootstrap: `{a}` is not a multiaddr")))?);
        }
        if !self.listen.is_empty() {
            config.listen = self
                .listen
                .iter()
                .map(|a| a.parse().map_err(|_| err(format!("listen: `{a}` is not a multiaddr"))))
                .collect::<Result<_, _>>()?;
        }
        if let Some(m) = self.mdns {
            config.mdns = m;
        }
        let peer_addr = |field: &str, a: &str| -> Result<Multiaddr, ConfigError> {
            let addr: Multiaddr = a.parse().map_err(|_| err(format!("{field}: `{a}` is not a multiaddr")))?;
            if !addr.iter().any(|p| matches!(p, libp2p::multiaddr::Protocol::P2p(_))) {
                return Err(err(format!("{field}: `{a}` must end in /p2p/ and the node's peer id")));
            }
            Ok(addr)
        };
        for a in &self.relays {
            config.reach.relays.push(peer_addr("relays", a)?);
        }
        for a in &self.mailboxes {
            config.reach.mailboxes.push(peer_addr("mailboxes", a)?);
        }
        if let Some(r) = self.relay {
            config.reach.relay = r;
        }
        if let Some(m) = self.mailbox {
            config.reach.mailbox = m;
        }
        if let Some(r) = self.reserve {
            config.reach.reserve = r;
        }
        if let Some(l) = &self.relay_limits {
            config.reach.relay_limits = l.clone();
        }
        if let Some(l) = &self.mailbox_limits {
            if l.retention_days == 0 {
                return Err(err("mailbox_limits.retention_days: must be at least 1".into()));
            }
            config.reach.mailbox_limits = l.clone();
        }
        if let Some(api) = &self.api {
            config.api =
                Some(api.parse().map_err(|_| err(format!("api: `{api}` is not an address such as 127.0.0.1:7878")))?);
        }
        Ok(())
    }
}

/// Writes the network settings changed in the app into the home's `config.toml`, keeping every other
/// setting and comment-free layout of the rest: the file is read, the two keys replaced, and the result
/// written beside it and renamed over it (owner-only), so a crash leaves the old file or the new one.
pub fn save_network(home: &Home, settings: &crate::network::NetworkSettings) -> Result<(), ConfigError> {
    let path = home.config_path();
    let err = |problem: String| ConfigError { path: path.display().to_string(), problem };
    let mut table: toml::Table = match std::fs::read_to_string(&path) {
        Ok(text) => text.parse().map_err(|e: toml::de::Error| err(e.to_string()))?,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => toml::Table::new(),
        Err(e) => return Err(err(e.to_string())),
    };
    let strings = |items: Vec<String>| toml::Value::Array(items.into_iter().map(toml::Value::String).collect());
    table.insert(
        "trusted_accreditors".into(),
        strings(settings.trusted_accreditors.iter().map(ToString::to_string).collect()),
    );
    table.insert("bootstrap".into(), strings(settings.bootstrap.iter().map(ToString::to_string).collect()));
    let text = toml::to_string(&table).map_err(|e| err(e.to_string()))?;
    let fresh = path.with_extension("toml.new");
    crate::home::write_private(&fresh, text.as_bytes()).map_err(|e| err(e.to_string()))?;
    std::fs::rename(&fresh, &path).map_err(|e| err(e.to_string()))
}

#[cfg(test)]
mod network_tests {
    use super::*;

    #[test]
    fn saving_the_network_keeps_the_other_settings_and_reads_back() {
        let dir = tempfile::tempdir().unwrap();
        let home = Home::new(dir.path().join("home"));
        std::fs::create_dir_all(home.root()).unwrap();
        std::fs::write(home.config_path(), "mdns = false\napi = \"127.0.0.1:7878\"\nbootstrap = []\n").unwrap();
        let peer: PeerId = "12D3KooWD3eckifWpRn9wQpMG9R9hX3sD158z7EqHWmweQAJU5SA".parse().unwrap();
        let addr: Multiaddr = "/ip4/192.0.2.10/tcp/4001".parse().unwrap();
        let settings =
            crate::network::NetworkSettings { trusted_accreditors: vec![peer], bootstrap: vec![addr.clone()] };
        save_network(&home, &settings).unwrap();
        let file = ConfigFile::load(&home).unwrap();
        assert_eq!(file.mdns, Some(false));
        assert_eq!(file.api.as_deref(), Some("127.0.0.1:7878"));
        let mut config = NodeConfig::default();
        file.apply(&mut config, &home).unwrap();
        assert_eq!(config.trusted_accreditors, [peer]);
        assert_eq!(config.bootstrap, [addr]);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(home.config_path()).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600);
        }
    }
}
