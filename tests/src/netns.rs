//! Home routers for tests, built from Linux network namespaces: an "internet" (one bridge), and homes, each
//! behind its own router that masquerades outgoing traffic and drops unsolicited incoming traffic.
//!
//! ```text
//!   inet ns: br0 10.77.0.1 ── wan 10.77.0.10+i [router i] lan 192.168.(i+1).1 ── eth0 192.168.(i+1).2 [home i]
//! ```
//! A `Nat::Cone` router keeps a connection's source port where it can (Linux's default masquerade: the same
//! public port whatever the destination), so hole punching can work through it; a `Nat::Symmetric` router
//! picks a random port for every new connection (`--random-fully`), so the address others saw is useless to
//! a third party and hole punching is expected to fail. Needs root, `ip` (iproute2) and `iptables`; the
//! namespaces are deleted when the `Topology` is dropped. Traffic stays inside namespaces made here.

use std::net::Ipv4Addr;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

/// How a home router translates addresses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Nat {
    /// Port-preserving masquerade: endpoint-independent mapping, filtering by connection.
    Cone,
    /// A random public port per connection (`MASQUERADE --random-fully`).
    Symmetric,
}

impl Nat {
    /// `cone` or `symmetric`.
    pub fn name(self) -> &'static str {
        match self {
            Nat::Cone => "cone",
            Nat::Symmetric => "symmetric",
        }
    }
}

/// A place a process can run: one network namespace.
#[derive(Clone, Debug)]
pub struct Host {
    /// The namespace's name.
    pub ns: String,
    /// Its address (on the internet bridge for the internet host, on its home LAN for a home).
    pub addr: Ipv4Addr,
    /// The interface its traffic leaves by (captures listen there, never on loopback, where the CLI talks to
    /// the node's local API in the clear).
    pub interface: &'static str,
}

impl Host {
    /// `program` to be run inside this host's namespace.
    pub fn command(&self, program: impl AsRef<std::ffi::OsStr>) -> Command {
        let mut c = Command::new("ip");
        c.args(["netns", "exec", &self.ns]).arg(program);
        c
    }

    /// Bytes received and sent on the host's interface so far (from the kernel's counters).
    pub fn traffic(&self) -> (u64, u64) {
        let read = |what: &str| {
            self.command("cat")
                .arg(format!("/sys/class/net/{}/statistics/{what}_bytes", self.interface))
                .output()
                .ok()
                .and_then(|o| String::from_utf8(o.stdout).ok())
                .and_then(|s| s.trim().parse().ok())
                .unwrap_or(0)
        };
        (read("rx"), read("tx"))
    }
}

/// Why the namespace suites cannot run here, if they cannot.
pub fn unavailable() -> Option<String> {
    let uid = Command::new("id").arg("-u").output().ok().and_then(|o| String::from_utf8(o.stdout).ok());
    if uid.as_deref().map(str::trim) != Some("0") {
        return Some("not running as root (network namespaces and iptables need it)".into());
    }
    for (tool, package) in [("ip", "iproute2"), ("iptables", "iptables"), ("tcpdump", "tcpdump")] {
        let found = Command::new(tool).arg("-V").stdout(Stdio::null()).stderr(Stdio::null()).status().is_ok()
            || Command::new(tool).arg("--version").stdout(Stdio::null()).stderr(Stdio::null()).status().is_ok();
        if !found {
            return Some(format!("`{tool}` is missing (apt-get install {package})"));
        }
    }
    let probe = format!("slprobe{}", std::process::id());
    match Command::new("ip").args(["netns", "add", &probe]).output() {
        Ok(o) if o.status.success() => {
            let _ = Command::new("ip").args(["netns", "del", &probe]).status();
            None
        }
        Ok(o) => Some(format!("cannot create a network namespace: {}", String::from_utf8_lossy(&o.stderr).trim())),
        Err(e) => Some(format!("cannot run ip: {e}")),
    }
}

/// Says loudly that a suite was skipped, or fails when `SAMENLOOP_REQUIRE_NETNS` is set (CI sets it, so a
/// suite can never be skipped there unnoticed). Returns true when the caller should skip.
pub fn skip(suite: &str) -> bool {
    let Some(reason) = unavailable() else { return false };
    if std::env::var_os("SAMENLOOP_REQUIRE_NETNS").is_some() {
        panic!("{suite}: required but cannot run: {reason}");
    }
    eprintln!("\n*** SKIPPED: {suite}: {reason} ***\n*** run as root with iproute2, iptables and tcpdump ***\n");
    true
}

/// The namespaces of one test, deleted on drop.
pub struct Topology {
    prefix: String,
    namespaces: Vec<String>,
    internet: Host,
    homes: Vec<(Host, Nat)>,
    publics: u8,
    captures: Vec<Child>,
}

static TOPOLOGIES: AtomicU32 = AtomicU32::new(0);

fn run(args: &[&str]) -> Result<(), String> {
    let out = Command::new(args[0]).args(&args[1..]).output().map_err(|e| format!("{}: {e}", args.join(" ")))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!("`{}` failed: {}", args.join(" "), String::from_utf8_lossy(&out.stderr).trim()))
    }
}

fn in_ns(ns: &str, args: &[&str]) -> Result<(), String> {
    let mut all = vec!["ip", "netns", "exec", ns];
    all.extend_from_slice(args);
    run(&all)
}

impl Topology {
    /// Builds the internet and one home per entry of `homes`, behind a router of that kind.
    pub fn build(homes: &[Nat]) -> Result<Topology, String> {
        let n = TOPOLOGIES.fetch_add(1, Ordering::Relaxed);
        let prefix = format!("sl{}x{n}", std::process::id());
        let inet = format!("{prefix}-inet");
        let mut t = Topology {
            prefix: prefix.clone(),
            namespaces: Vec::new(),
            internet: Host { ns: inet.clone(), addr: Ipv4Addr::new(10, 77, 0, 1), interface: "br0" },
            homes: Vec::new(),
            publics: 0,
            captures: Vec::new(),
        };
        t.add_ns(&inet)?;
        in_ns(&inet, &["ip", "link", "add", "br0", "type", "bridge"])?;
        in_ns(&inet, &["ip", "addr", "add", "10.77.0.1/24", "dev", "br0"])?;
        in_ns(&inet, &["ip", "link", "set", "br0", "up"])?;
        for (i, &nat) in homes.iter().enumerate() {
            let router = format!("{prefix}-r{i}");
            let home = format!("{prefix}-h{i}");
            t.add_ns(&router)?;
            t.add_ns(&home)?;
            let port = format!("port{i}");
            let wan_addr = format!("10.77.0.{}/24", 10 + i);
            let lan_net = format!("192.168.{}", i + 1);
            // The router's uplink: one end on the internet's bridge.
            in_ns(&inet, &["ip", "link", "add", &port, "type", "veth", "peer", "name", "wan", "netns", &router])?;
            in_ns(&inet, &["ip", "link", "set", &port, "master", "br0", "up"])?;
            in_ns(&router, &["ip", "addr", "add", &wan_addr, "dev", "wan"])?;
            in_ns(&router, &["ip", "link", "set", "wan", "up"])?;
            // The home's LAN.
            in_ns(&router, &["ip", "link", "add", "lan", "type", "veth", "peer", "name", "eth0", "netns", &home])?;
            in_ns(&router, &["ip", "addr", "add", &format!("{lan_net}.1/24"), "dev", "lan"])?;
            in_ns(&router, &["ip", "link", "set", "lan", "up"])?;
            in_ns(&home, &["ip", "addr", "add", &format!("{lan_net}.2/24"), "dev", "eth0"])?;
            in_ns(&home, &["ip", "link", "set", "eth0", "up"])?;
            in_ns(&home, &["ip", "route", "add", "default", "via", &format!("{lan_net}.1")])?;
            // Routing, translation, and no unsolicited incoming traffic.
            in_ns(&router, &["sysctl", "-q", "-w", "net.ipv4.ip_forward=1"])?;
            let random = if nat == Nat::Symmetric { " --random-fully" } else { "" };
            for rule in [
                format!("-t nat -A POSTROUTING -o wan -j MASQUERADE{random}"),
                "-P FORWARD DROP".into(),
                "-A FORWARD -i lan -o wan -j ACCEPT".into(),
                "-A FORWARD -i wan -o lan -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT".into(),
                "-A INPUT -i wan -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT".into(),
                "-A INPUT -i wan -j DROP".into(),
            ] {
                let mut args = vec!["iptables"];
                args.extend(rule.split_whitespace());
                in_ns(&router, &args)?;
            }
            let addr = Ipv4Addr::new(192, 168, (i + 1) as u8, 2);
            t.homes.push((Host { ns: home, addr, interface: "eth0" }, nat));
        }
        Ok(t)
    }

    /// A host of its own on the internet, with no router in front (10.77.0.100 and up): anyone can dial it.
    pub fn add_public_host(&mut self) -> Result<Host, String> {
        let n = self.publics;
        self.publics += 1;
        let ns = format!("{}-p{n}", self.prefix);
        self.add_ns(&ns)?;
        let port = format!("pub{n}");
        in_ns(&self.internet.ns, &["ip", "link", "add", &port, "type", "veth", "peer", "name", "eth0", "netns", &ns])?;
        in_ns(&self.internet.ns, &["ip", "link", "set", &port, "master", "br0", "up"])?;
        let addr = Ipv4Addr::new(10, 77, 0, 100 + n);
        in_ns(&ns, &["ip", "addr", "add", &format!("{addr}/24"), "dev", "eth0"])?;
        in_ns(&ns, &["ip", "link", "set", "eth0", "up"])?;
        Ok(Host { ns, addr, interface: "eth0" })
    }

    fn add_ns(&mut self, ns: &str) -> Result<(), String> {
        run(&["ip", "netns", "add", ns])?;
        self.namespaces.push(ns.to_string());
        in_ns(ns, &["ip", "link", "set", "lo", "up"])
    }

    /// The internet's own host (10.77.0.1), where the network's public node runs.
    pub fn internet(&self) -> Host {
        self.internet.clone()
    }

    /// Home `i` and its router's kind.
    pub fn home(&self, i: usize) -> (Host, Nat) {
        self.homes[i].clone()
    }

    /// The names' common prefix (to tell this test's namespaces from others').
    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    /// Captures every packet on `host`'s interface into `file` (pcap) until the topology is dropped or
    /// `stop_captures` is called.
    pub fn capture(&mut self, host: &Host, file: &Path) -> Result<(), String> {
        let child = host
            .command("tcpdump")
            .args(["-i", host.interface, "-U", "-s", "0", "-w"])
            .arg(file)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("tcpdump: {e}"))?;
        self.captures.push(child);
        // tcpdump writes its file header once it listens.
        let started = std::time::Instant::now();
        while std::fs::metadata(file).map(|m| m.len()).unwrap_or(0) == 0 {
            if started.elapsed() > Duration::from_secs(10) {
                return Err(format!("tcpdump did not start on {}", host.ns));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        Ok(())
    }

    /// Stops the captures and waits until their files are complete.
    pub fn stop_captures(&mut self) {
        for mut c in self.captures.drain(..) {
            let _ = Command::new("kill").arg("-INT").arg(c.id().to_string()).status();
            let _ = c.wait();
        }
    }
}

impl Drop for Topology {
    fn drop(&mut self) {
        self.stop_captures();
        for ns in self.namespaces.iter().rev() {
            // Processes still inside a namespace keep it alive; kill them first.
            if let Ok(o) = Command::new("ip").args(["netns", "pids", ns]).output() {
                for pid in String::from_utf8_lossy(&o.stdout).split_whitespace() {
                    let _ = Command::new("kill").args(["-KILL", pid]).status();
                }
            }
            let _ = Command::new("ip").args(["netns", "del", ns]).status();
        }
    }
}
