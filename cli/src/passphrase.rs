//! Where the passphrase comes from: `$SAMENLOOP_PASSPHRASE`, else a prompt on a terminal, else an error.

use std::io::IsTerminal;

use anyhow::{Context, bail};
use samenloop_node::keystore::Passphrase;

/// The environment variable that supplies the passphrase non-interactively (services, scripts, tests).
pub const ENV: &str = "SAMENLOOP_PASSPHRASE";

/// Reads the passphrase; `confirm` asks twice (when creating an identity).
pub fn read(confirm: bool) -> anyhow::Result<Passphrase> {
    if let Ok(p) = std::env::var(ENV) {
        return Passphrase::new(p).with_context(|| format!("${ENV}"));
    }
    if !std::io::stdin().is_terminal() {
        bail!("no passphrase: set ${ENV} or run this command in a terminal");
    }
    let first = rpassword::prompt_password("Passphrase: ").context("reading the passphrase")?;
    if confirm {
        let again = rpassword::prompt_password("Repeat passphrase: ").context("reading the passphrase")?;
        if again != first {
            bail!("the passphrases do not match");
        }
    }
    Ok(Passphrase::new(first)?)
}
