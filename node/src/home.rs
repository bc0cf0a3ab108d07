//! The node's home directory: where its identity, database, configuration and API credentials live.
//!
//! One home is one reviewer's node. The layout is fixed so that the CLI can find a running node's API
//! from the home alone:
//!
//! ```text
//! HOME/identity.key   encrypted ed25519 + X25519 secrets (see keystore)
//! HOME/state.redb     the node's database: directory, own profile
//! HOME/config.toml    optional settings: trusted accreditors, bootstrap peers, listen addresses
//! HOME/api.token      bearer token for the local API (owner-only), rewritten at each node start
//! HOME/api.addr       the address the running node's API listens on; removed at clean shutdown
//! ```

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

/// A node's home directory.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Home {
    root: PathBuf,
}

impl Home {
    /// The home at `root` (which may not exist yet).
    pub fn new(root: impl Into<PathBuf>) -> Home {
        Home { root: root.into() }
    }

    /// The directory itself.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The encrypted key file.
    pub fn identity_path(&self) -> PathBuf {
        self.root.join("identity.key")
    }

    /// The database.
    pub fn db_path(&self) -> PathBuf {
        self.root.join("state.redb")
    }

    /// The optional configuration file.
    pub fn config_path(&self) -> PathBuf {
        self.root.join("config.toml")
    }

    /// The API bearer token.
    pub fn token_path(&self) -> PathBuf {
        self.root.join("api.token")
    }

    /// The running node's API address.
    pub fn api_addr_path(&self) -> PathBuf {
        self.root.join("api.addr")
    }

    /// Creates the directory (owner-only on Unix) if it does not exist.
    pub fn create(&self) -> std::io::Result<()> {
        fs::create_dir_all(&self.root)?;
        restrict_dir(&self.root)
    }
}

/// Opens `path` for appending, creating it readable by the owner only (the background node's log).
pub fn append_private(path: &Path) -> std::io::Result<fs::File> {
    let mut o = fs::OpenOptions::new();
    o.append(true).create(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        o.mode(0o600);
    }
    o.open(path)
}

/// Writes `contents` to `path` readable by the owner only, replacing it atomically (write then rename),
/// so a crash never leaves a half-written file behind.
pub fn write_private(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    let tmp = path.with_extension("tmp");
    {
        let mut f = private_options().open(&tmp)?;
        f.write_all(contents)?;
        f.sync_all()?;
    }
    fs::rename(&tmp, path)
}

/// Open options for a new file that only its owner may read (mode 0600 on Unix), truncating a stale one.
pub(crate) fn private_options() -> fs::OpenOptions {
    let mut o = fs::OpenOptions::new();
    o.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        o.mode(0o600);
    }
    o
}

#[cfg(unix)]
fn restrict_dir(dir: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(dir, fs::Permissions::from_mode(0o700))
}

#[cfg(not(unix))]
fn restrict_dir(_dir: &Path) -> std::io::Result<()> {
    Ok(())
}
