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
