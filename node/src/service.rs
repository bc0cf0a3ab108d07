//! The node as a service on loopback: the local API and the web app come up first; the identity is
//! created (first run) or unlocked through them, or from the command line; only then do the store and
//! the network start.
//!
//! Until the node runs, nothing of the directory, referrals or cases exists in memory: the database is
//! not even opened, so the server has nothing to serve but the first-run and unlock pages. Attempts to
//! unlock are taken one at a time, and each wrong passphrase makes the next answer wait longer.

use std::time::Duration;

use samenloop_protocol::{Identity, Profile};
use tokio::sync::{Mutex, watch};

use crate::config::NodeConfig;
use crate::home::Home;
use crate::keystore::{self, KdfParams, KeyStoreError, Passphrase};
use crate::network::Client;
use crate::node::{NodeHandle, StartError};
use crate::store::{Store, StoreError};
use crate::web::session::Sessions;

/// Where the node stands, as the app's pages see it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    /// The home has no identity yet: the first-run page creates one.
    NoIdentity,
    /// The identity exists but its keys are locked: the unlock page asks for the passphrase.
    Locked,
    /// The node runs: the API and the app serve everything.
    Running,
}

impl Phase {
    /// The name the API uses: `no-identity`, `locked`, `running`.
    pub fn name(self) -> &'static str {
        match self {
            Phase::NoIdentity => "no-identity",
            Phase::Locked => "locked",
            Phase::Running => "running",
        }
    }
}

/// Why the node could not be created or unlocked. Each names what the user can do.
#[derive(Debug, thiserror::Error)]
pub enum UnlockError {
    /// The passphrase does not open the key file (the file is untouched).
    #[error("wrong passphrase")]
    WrongPassphrase,
    /// The name given at first run is not a valid profile name.
    #[error("{0}")]
    InvalidName(String),
    /// First run on a home that already has an identity.
    #[error("this home already has an identity")]
    AlreadyExists,
    /// The key file is missing, damaged or unreadable.
    #[error(transparent)]
    KeyStore(KeyStoreError),
    /// The database could not be opened.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The node could not start.
    #[error(transparent)]
    Start(#[from] StartError),
}

/// The delay before answering an unlock attempt after `failures` wrong passphrases in a row: none for
/// the first mistake, then 1, 2, 4, 8... seconds, at most 30.
pub fn unlock_delay(failures: u32) -> Duration {
    match failures {
        0 | 1 => Duration::ZERO,
        n => Duration::from_secs((1u64 << (n - 2).min(5)).min(30)),
    }
}

/// Creates the identity of a new home exactly as `samenloop init` does: the key file under the
/// passphrase (never overwriting one) and the profile draft with the reviewer's name. Blocking: argon2
/// takes a moment on purpose.
pub fn create_identity(home: &Home, name: &str, passphrase: &Passphrase) -> Result<Identity, UnlockError> {
    let draft = Profile::named(name);
    if let Err(problems) = draft.validate() {
        let about_name: Vec<String> =
            problems.iter().filter(|p| p.field == "name").map(|p| p.problem.to_string()).collect();
        if !about_name.is_empty() {
            return Err(UnlockError::InvalidName(about_name.join("; ")));
        }
    }
    if home.identity_path().exists() {
        return Err(UnlockError::AlreadyExists);
    }
    home.create().map_err(|e| {
        UnlockError::KeyStore(KeyStoreError::Io { what: "creating", path: home.root().to_path_buf(), source: e })
    })?;
    let identity = keystore::create(&home.identity_path(), passphrase, KdfParams::default()).map_err(|e| match e {
        KeyStoreError::AlreadyExists(_) => UnlockError::AlreadyExists,
        e => UnlockError::KeyStore(e),
    })?;
    let store = Store::open(&home.db_path())?;
    if store.own_draft()?.is_none() {
        store.set_own_draft(&draft)?;
    }
    Ok(identity)
}

/// The node behind the loopback server: its home and settings, and the running node once there is one.
pub(crate) struct Service {
    home: Home,
    config: NodeConfig,
    client: watch::Sender<Option<Client>>,
    /// The node this service started itself (after a first run or an unlock), to stop it at shutdown.
    owned: Mutex<Option<NodeHandle>>,
    /// Wrong passphrases in a row; the lock also makes unlock attempts wait for each other.
    failures: Mutex<u32>,
    /// Browser sessions and one-time links.
    pub(crate) sessions: Sessions,
}

impl Service {
    /// The node's home.
    pub(crate) fn home(&self) -> &Home {
        &self.home
    }

    /// A service for a node that is already running (started from the command line with its passphrase).
    pub(crate) fn running(home: Home, config: NodeConfig, client: Client) -> Service {
        let service = Service::waiting(home, config);
        service.client.send_replace(Some(client));
        service
    }

    /// A service whose node waits for its identity to be created or unlocked.
    pub(crate) fn waiting(home: Home, mut config: NodeConfig) -> Service {
        // The server is this service's; the node it starts must not start another.
        config.api = None;
        Service {
            home,
            config,
            client: watch::Sender::new(None),
            owned: Mutex::new(None),
            failures: Mutex::new(0),
            sessions: Sessions::default(),
        }
    }

    /// The running node's client, if the node runs.
    pub(crate) fn client(&self) -> Option<Client> {
        self.client.borrow().clone()
    }

    /// Where the node stands.
    pub(crate) fn phase(&self) -> Phase {
        if self.client.borrow().is_some() {
            Phase::Running
        } else if self.home.identity_path().exists() {
            Phase::Locked
        } else {
            Phase::NoIdentity
        }
    }

    /// Opens the key file with `passphrase` and starts the node. A wrong passphrase leaves the file as it
    /// was and makes the next attempt wait longer ([`unlock_delay`]).
    pub(crate) async fn unlock(&self, passphrase: Passphrase) -> Result<(), UnlockError> {
        let mut failures = self.failures.lock().await;
        if self.client().is_some() {
            return Ok(());
        }
        let path = self.home.identity_path();
        let opened = tokio::task::spawn_blocking(move || keystore::open(&path, &passphrase))
            .await
            .map_err(|e| UnlockError::KeyStore(KeyStoreError::Kdf(format!("the key derivation stopped: {e}"))))?;
        match opened {
            Ok(identity) => {
                *failures = 0;
                self.start(identity).await
            }
            Err(KeyStoreError::WrongPassphrase(_)) => {
                *failures = failures.saturating_add(1);
                let delay = unlock_delay(*failures);
                tracing::warn!(failures = *failures, ?delay, "wrong passphrase at unlock");
                tokio::time::sleep(delay).await;
                Err(UnlockError::WrongPassphrase)
            }
            Err(e) => Err(UnlockError::KeyStore(e)),
        }
    }

    /// First run: creates the identity as `init` does and starts the node.
    pub(crate) async fn create(&self, name: String, passphrase: Passphrase) -> Result<(), UnlockError> {
        let _one_at_a_time = self.failures.lock().await;
        if self.client().is_some() || self.home.identity_path().exists() {
            return Err(UnlockError::AlreadyExists);
        }
        let home = self.home.clone();
        let identity = tokio::task::spawn_blocking(move || create_identity(&home, &name, &passphrase))
            .await
            .map_err(|e| UnlockError::KeyStore(KeyStoreError::Kdf(format!("the key derivation stopped: {e}"))))??;
        self.start(identity).await
    }

    /// Re-encrypts the key file under `new` after checking `current`, with the same growing delay after a
    /// wrong `current` as at unlock. The running node is not affected: its keys are already in memory.
    pub(crate) async fn change_passphrase(&self, current: Passphrase, new: Passphrase) -> Result<(), UnlockError> {
        let mut failures = self.failures.lock().await;
        let path = self.home.identity_path();
        let changed = tokio::task::spawn_blocking(move || {
            keystore::change_passphrase(&path, &current, &new, KdfParams::default())
        })
        .await
        .map_err(|e| UnlockError::KeyStore(KeyStoreError::Kdf(format!("the key derivation stopped: {e}"))))?;
        match changed {
            Ok(()) => {
                *failures = 0;
                tracing::info!("passphrase changed");
                Ok(())
            }
            Err(KeyStoreError::WrongPassphrase(_)) => {
                *failures = failures.saturating_add(1);
                tokio::time::sleep(unlock_delay(*failures)).await;
                Err(UnlockError::WrongPassphrase)
            }
            Err(e) => Err(UnlockError::KeyStore(e)),
        }
    }

    async fn start(&self, identity: Identity) -> Result<(), UnlockError> {
        let node = crate::node::start(&self.home, identity, self.config.clone()).await?;
        self.client.send_replace(Some(node.client()));
        *self.owned.lock().await = Some(node);
        tracing::info!("node unlocked and started");
        Ok(())
    }

    /// Stops the node this service started, if any.
    pub(crate) async fn stop(&self) {
        self.client.send_replace(None);
        if let Some(node) = self.owned.lock().await.take() {
            node.shutdown().await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_wrong_passphrase_makes_the_next_answer_wait_longer() {
        let delays: Vec<u64> = (1..=9).map(|n| unlock_delay(n).as_secs()).collect();
        assert_eq!(delays, [0, 1, 2, 4, 8, 16, 30, 30, 30]);
    }
}
