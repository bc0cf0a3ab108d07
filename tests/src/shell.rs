//! A `samenloop` process inside a network namespace, driven from the shell as a person would: `init`, `node
//! run`, then one CLI command at a time (each run inside the same namespace, since the CLI reaches the node's
//! local API on that namespace's loopback). Used by the network-namespace suite and the reach benchmark.

use std::path::{Path, PathBuf};
use std::process::{Child, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::netns::Host;

/// The passphrase of every identity made here.
pub const PASS: &str = "netns passphrase";
/// How long a step of the network may take before a test gives up.
pub const LIMIT: Duration = Duration::from_secs(60);

/// A complete review request for `samenloop request new --from FILE` (TOML), with `question` as its
/// learning question: a mid-range review in Utrecht wanting ggz, in 2030.
pub fn request_toml(question: &str) -> String {
    format!(
        r#"
reason = "A serious incident"
learning-question = "{question}"
period-from = "2024-01-01"
period-until = "2025-06-30"
municipality = "Utrecht"
desired-start = "2030-01-01"
desired-end = "2030-06-30"
contact = "J. de Vries"
budget-hours = 120
expected-result = "Improvements"
report-addressee = "The boards"
expertise = ["ggz"]
region = "Utrecht"
variant = "mid-range"

[[organisation]]
name = "GI Midden-Nederland"
kind = "child-protection"
"#
    )
}

/// One person's node: a home directory, a host (namespace) it runs in, its log.
pub struct Person {
    /// Who (for messages).
    pub name: &'static str,
    /// Where the process runs.
    pub host: Host,
    /// Its home directory.
    pub home: PathBuf,
    /// Where its log goes (appended on every start).
    pub log: PathBuf,
    /// Its reviewer id.
    pub peer_id: String,
    /// The `samenloop` program.
    bin: PathBuf,
    /// Flags of `node run` besides the listening and API ones.
    pub run_flags: Vec<String>,
    child: Option<Child>,
}

impl Person {
    /// Creates the identity (`samenloop init`) in `root/<name>`.
    pub fn new(bin: &Path, root: &Path, name: &'static str, host: Host) -> Person {
        let home = root.join(name.to_lowercase().replace(' ', "-"));
        let log = root.join(format!("{}.log", name.to_lowercase().replace(' ', "-")));
        let mut p = Person {
            name,
            host,
            home,
            log,
            peer_id: String::new(),
            bin: bin.to_path_buf(),
            run_flags: Vec::new(),
            child: None,
        };
        let init = p.json(&["init", "--name", name, "--json"]);
        p.peer_id = init["peer_id"].as_str().expect("peer id").to_string();
        p
    }

    pub fn cli(&self, args: &[&str]) -> Output {
        self.host
            .command(&self.bin)
            .arg("--home")
            .arg(&self.home)
            .args(args)
            .env("SAMENLOOP_PASSPHRASE", PASS)
            .env_remove("SAMENLOOP_HOME")
            .stdin(Stdio::null())
            .output()
            .expect("run samenloop")
    }

    pub fn ok(&self, args: &[&str]) -> String {
        let out = self.cli(args);
        assert!(
            out.status.success(),
            "{}: `samenloop {}` failed: {}\n{}",
            self.name,
            args.join(" "),
            String::from_utf8_lossy(&out.stderr),
            String::from_utf8_lossy(&out.stdout)
        );
        String::from_utf8(out.stdout).expect("utf-8 output")
    }

    pub fn json(&self, args: &[&str]) -> Value {
        let text = self.ok(args);
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: not JSON ({e}): {text}", self.name))
    }

    pub fn status(&self) -> Value {
        self.json(&["node", "status", "--json"])
    }

    pub fn start(&mut self) {
        assert!(self.child.is_none(), "{} runs already", self.name);
        let _ = std::fs::remove_file(self.home.join("api.addr"));
        let log = std::fs::OpenOptions::new().create(true).append(true).open(&self.log).expect("log file");
        let child = self
            .host
            .command(&self.bin)
            .arg("--home")
            .arg(&self.home)
            .args(["node", "run", "--no-mdns", "--api", "127.0.0.1:0"])
            .args(&self.run_flags)
            .env("SAMENLOOP_PASSPHRASE", PASS)
            .env("SAMENLOOP_LOG", "info,samenloop_node=debug,samenloop_protocol=debug")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("spawn node");
        self.child = Some(child);
        let started = Instant::now();
        while !self.home.join("api.addr").exists() {
            assert!(started.elapsed() < LIMIT, "{}'s node did not start; see {}", self.name, self.log.display());
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// SIGTERM, and a clean exit.
    pub fn stop(&mut self) {
        let Some(mut child) = self.child.take() else { return };
        let _ = std::process::Command::new("kill").arg("-TERM").arg(child.id().to_string()).status();
        let started = Instant::now();
        loop {
            if let Some(status) = child.try_wait().expect("wait") {
                assert!(status.success(), "{}'s node exited with {status}", self.name);
                return;
            }
            assert!(started.elapsed() < Duration::from_secs(20), "{}'s node did not stop", self.name);
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    pub fn entries(&self, case: &str) -> Vec<String> {
        let out = self.cli(&["case", "timeline", "list", case, "--json"]);
        if !out.status.success() {
            return Vec::new();
        }
        let list: Value = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
        list.as_array()
            .map(|a| a.iter().filter_map(|e| e["what"].as_str().map(String::from)).collect())
            .unwrap_or_default()
    }

    pub fn has_all(&self, case: &str, whats: &[String]) -> bool {
        let held = self.entries(case);
        whats.iter().all(|w| held.contains(w))
    }

    pub fn add(&self, case: &str, what: &str) {
        self.ok(&["case", "timeline", "add", case, "--what", what]);
    }

    pub fn mail(&self, field: &str) -> u64 {
        self.status()["mail"][field].as_u64().unwrap_or(0)
    }

    /// Waits until this node's mailboxes hold more than `before` of its items and none waits.
    pub fn wait_deposited(&self, before: u64, what: &str) {
        wait(what, || {
            let m = &self.status()["mail"];
            m["deposited"].as_u64().unwrap_or(0) > before && m["waiting"].as_u64() == Some(0)
        });
    }
}

impl Person {
    /// Runs this node as the network's public node: relay and mailbox, on a fixed port (so that a restart
    /// keeps its address). Returns the address others join through.
    pub fn start_public(&mut self, port: u16) -> String {
        self.run_flags = vec![
            "--relay".into(),
            "--mailbox".into(),
            "--listen".into(),
            format!("/ip4/0.0.0.0/tcp/{port}"),
            "--listen".into(),
            format!("/ip4/0.0.0.0/udp/{port}/quic-v1"),
        ];
        self.start();
        format!("/ip4/{}/tcp/{port}/p2p/{}", self.host.addr, self.peer_id)
    }

    /// Whether the node runs.
    pub fn running(&self) -> bool {
        self.child.is_some()
    }
}

impl Drop for Person {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// Polls `done` until it holds; panics after `LIMIT`. Returns how long it took.
pub fn wait(what: &str, mut done: impl FnMut() -> bool) -> Duration {
    wait_at_most(LIMIT, what, &mut done)
}

pub fn wait_at_most(limit: Duration, what: &str, done: &mut dyn FnMut() -> bool) -> Duration {
    let started = Instant::now();
    loop {
        if done() {
            return started.elapsed();
        }
        assert!(started.elapsed() < limit, "gave up after {limit:?} waiting for: {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Every `peer_id` value anywhere in `v`.
pub fn peer_ids(v: &Value) -> Vec<String> {
    match v {
        Value::Object(m) => m
            .iter()
            .flat_map(|(k, v)| match (k.as_str(), v) {
                ("peer_id", Value::String(s)) => vec![s.clone()],
                _ => peer_ids(v),
            })
            .collect(),
        Value::Array(a) => a.iter().flat_map(peer_ids).collect(),
        _ => Vec::new(),
    }
}

pub fn strings(v: &Value) -> Vec<String> {
    v.as_array().map(|a| a.iter().filter_map(|s| s.as_str().map(String::from)).collect()).unwrap_or_default()
}

pub fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

/// Files under `path` (recursively) holding `needle`.
pub fn files_holding(path: &Path, needle: &[u8]) -> Vec<PathBuf> {
    if path.is_dir() {
        return std::fs::read_dir(path)
            .map(|d| d.flatten().flat_map(|e| files_holding(&e.path(), needle)).collect())
            .unwrap_or_default();
    }
    match std::fs::read(path) {
        Ok(b) if contains(&b, needle) => vec![path.to_path_buf()],
        _ => Vec::new(),
    }
}

/// How a member reaches another, as `node status` says: `direct`, `relayed` or `not connected`.
pub fn connection(of: &Person, to: &Person) -> &'static str {
    let s = of.status();
    if strings(&s["reach"]["direct_peers"]).contains(&to.peer_id) {
        "direct"
    } else if strings(&s["reach"]["relayed_peers"]).contains(&to.peer_id) {
        "relayed"
    } else {
        "not connected"
    }
}
