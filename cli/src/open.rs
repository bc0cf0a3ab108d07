//! `samenloop open`, and `samenloop` with no command: the app in the browser, signed in.
//!
//! If no node runs for the home, one is started in the background as `node run --wait-for-unlock`
//! (so the passphrase is asked in the browser, never on a command line), with its log in the home.
//! Then the node is asked for a one-time sign-in link, which the default browser opens.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use samenloop_node::Home;
use samenloop_node::api::client::ApiClient;
use samenloop_node::api::types::{LoginLink, PhaseView};

use crate::args::OpenArgs;

/// How long to wait for a node started in the background to answer.
const START_TIMEOUT: Duration = Duration::from_secs(20);

/// `samenloop open`.
pub fn open(home: &Home, args: &OpenArgs) -> anyhow::Result<()> {
    let client = match answering(home) {
        Some(client) => client,
        None => start_in_background(home)?,
    };
    let link: LoginLink = client.post("/v1/web/login-link", &serde_json::json!({}))?;
    if args.print_link {
        say!("{}", link.url);
        return Ok(());
    }
    if open_browser(&link.url) {
        say!("samenloop is open in your browser.");
    } else {
        say!("Open this address in your browser (it works once, for two minutes):");
        say!("  {}", link.url);
    }
    Ok(())
}

/// A client for the home's node, if one runs and answers.
fn answering(home: &Home) -> Option<ApiClient> {
    let client = ApiClient::for_home(home).ok()?;
    client.get::<PhaseView>("/v1/phase").ok().map(|_| client)
}

/// Starts `samenloop node run --wait-for-unlock` for the home, detached from this terminal, and waits
/// until it answers.
fn start_in_background(home: &Home) -> anyhow::Result<ApiClient> {
    home.create().with_context(|| format!("cannot create {}", home.root().display()))?;
    let exe = std::env::current_exe().context("cannot find the samenloop program to start the node")?;
    let log_path = home.root().join("node.log");
    let log = samenloop_node::home::append_private(&log_path)
        .with_context(|| format!("cannot open the node's log {}", log_path.display()))?;
    let mut command = Command::new(exe);
    command
        .arg("--home")
        .arg(home.root())
        .args(["node", "run", "--wait-for-unlock"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(log)
        .env_remove("SAMENLOOP_PASSPHRASE");
    detach(&mut command);
    let mut child = command.spawn().context("cannot start the node")?;
    let started = Instant::now();
    while started.elapsed() < START_TIMEOUT {
        if let Some(client) = answering(home) {
            return Ok(client);
        }
        if let Ok(Some(status)) = child.try_wait() {
            bail!("the node stopped at once ({status}); see {}", log_path.display());
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    bail!("the node did not answer within {} s; see {}", START_TIMEOUT.as_secs(), log_path.display())
}

/// Keeps the background node alive when this terminal closes or gets Ctrl-C.
#[cfg(unix)]
fn detach(command: &mut Command) {
    use std::os::unix::process::CommandExt;
    command.process_group(0);
}

#[cfg(not(unix))]
fn detach(_command: &mut Command) {}

/// Opens `url` in the default browser; false when there is none to open.
fn open_browser(url: &str) -> bool {
    let opener: &[&str] = if cfg!(target_os = "macos") {
        &["open"]
    } else if cfg!(windows) {
        &["cmd", "/C", "start", ""]
    } else {
        &["xdg-open"]
    };
    let Some((program, args)) = opener.split_first() else { return false };
    // No display (a server, a test run): nothing could show the page.
    if cfg!(all(unix, not(target_os = "macos")))
        && std::env::var_os("DISPLAY").is_none()
        && std::env::var_os("WAYLAND_DISPLAY").is_none()
    {
        return false;
    }
    Command::new(program)
        .args(args)
        .arg(url)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}
