//! Reach benchmark, behind real NAT routers (network namespaces, as root; skipped loudly otherwise):
//! `cargo bench -p samenloop-cli --bench reach [profiles|punch|sync]`.
//!
//! 1. profiles: from starting two fresh nodes to each holding the other's profile, both behind routers
//!    (one cone, one symmetric), against two nodes on public addresses in the same run (the baseline).
//! 2. punch: hole punching, 20 tries per pair of router kinds (cone-cone, cone-symmetric): the dialled
//!    node restarts, the other connects to it through the relay, DCUtR tries to upgrade the connection.
//! 3. sync: a case of 10,000 timeline entries synced to a fresh member directly (a public host), over the
//!    relay (behind the symmetric NAT, where hole punching fails) and from the mailbox alone (the lead away
//!    by then): time until the member holds all 10,000, and the bytes on the member's interface; mailbox
//!    and relayed against direct.
//!
//! Real `samenloop` processes (release build), one per node, each in its namespace, driven by the CLI.

use std::path::Path;
use std::time::{Duration, Instant};

use samenloop_tests::netns::{self, Host, Nat, Topology};
use samenloop_tests::shell::{Person, connection, wait_at_most};

const BIN: &str = env!("CARGO_BIN_EXE_samenloop");
const PORT: u16 = 4001;
const TRIES: usize = 20;
const ENTRIES: usize = 10_000;

fn main() {
    if netns::skip("reach benchmark (network namespaces)") {
        return;
    }
    let only = std::env::args().skip(1).find(|a| !a.starts_with('-'));
    let wants = |name: &str| only.as_deref().is_none_or(|f| name.contains(f));
    let mut net = Topology::build(&[Nat::Cone, Nat::Cone, Nat::Symmetric, Nat::Cone]).expect("topology");
    let tmp = tempfile::tempdir().expect("tmp");
    let root = tmp.path();
    let mut public = Person::new(Path::new(BIN), root, "Public", net.internet());
    let seed = public.start_public(PORT);
    if wants("profiles") {
        profiles(&mut net, root, &seed);
    }
    if wants("punch") {
        punch(&net, root, &seed);
    }
    if wants("sync") {
        sync(&mut net, root, &seed);
    }
    public.stop();
}

fn person(root: &Path, name: &'static str, host: Host, seed: &str) -> Person {
    let mut p = Person::new(Path::new(BIN), root, name, host);
    p.run_flags = vec!["--bootstrap".into(), seed.to_string()];
    p
}

fn publish(p: &Person) {
    p.ok(&["profile", "set", "--expertise", "ggz", "--region", "Utrecht", "--hours-per-month", "10"]);
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

/// Fresh nodes on `hosts` start at once and publish; how long until each holds the other's profile.
fn time_to_profiles(root: &Path, hosts: [Host; 2], seed: &str, run: usize) -> Duration {
    let names: [&'static str; 2] = [["A0", "A1", "A2", "A3", "A4"][run], ["B0", "B1", "B2", "B3", "B4"][run]];
    let dir = root.join(format!("profiles-{}-{run}", hosts[0].ns));
    std::fs::create_dir_all(&dir).expect("dir");
    let [ha, hb] = hosts;
    let mut a = person(&dir, names[0], ha, seed);
    let mut b = person(&dir, names[1], hb, seed);
    let started = Instant::now();
    a.start();
    b.start();
    publish(&a);
    publish(&b);
    wait_at_most(Duration::from_secs(120), "each holds the other's profile", &mut || {
        a.cli(&["profile", "show", &b.peer_id, "--json"]).status.success()
            && b.cli(&["profile", "show", &a.peer_id, "--json"]).status.success()
    });
    let took = started.elapsed();
    a.stop();
    b.stop();
    took
}

fn profiles(net: &mut Topology, root: &Path, seed: &str) {
    println!("== profiles: from start to holding each other's profile (median of 5)");
    let (p0, p1) = (net.add_public_host().expect("host"), net.add_public_host().expect("host"));
    let baseline = median((0..5).map(|r| time_to_profiles(root, [p0.clone(), p1.clone()], seed, r)).collect());
    let behind = median((0..5).map(|r| time_to_profiles(root, [net.home(0).0, net.home(2).0], seed, r)).collect());
    println!("  public addresses (baseline)     {baseline:?}");
    println!(
        "  cone home + symmetric home      {behind:?}  ({:.2}x the baseline)",
        behind.as_secs_f64() / baseline.as_secs_f64()
    );
}

fn punch(net: &Topology, root: &Path, seed: &str) {
    let punch_wait =
        Duration::from_secs(std::env::var("SAMENLOOP_PUNCH_WAIT").ok().and_then(|s| s.parse().ok()).unwrap_or(120));
    let tries: usize = std::env::var("SAMENLOOP_PUNCH_TRIES").ok().and_then(|s| s.parse().ok()).unwrap_or(TRIES);
    println!("\n== hole punching: {tries} tries per pair of router kinds");
    let dir = root.join("punch");
    std::fs::create_dir_all(&dir).expect("dir");
    let mut dialler = person(&dir, "Dialler", net.home(0).0, seed);
    dialler.start();
    publish(&dialler);
    for (i, name) in [(1usize, "Cone"), (2, "Symmetric")] {
        let (host, nat) = net.home(i);
        let mut dialled = person(&dir, name, host, seed);
        // Ask for a reservation at once rather than after AutoNAT's verdict: each try restarts this node.
        std::fs::write(dialled.home.join("config.toml"), "reserve = \"always\"\n").expect("config");
        let relay_of = seed.to_string();
        let (mut succeeded, mut failed, mut still_relayed) = (0, 0, 0);
        let (mut times, mut failure_times) = (Vec::new(), Vec::new());
        for _ in 0..tries {
            let started = Instant::now();
            dialled.start();
            publish(&dialled);
            wait_at_most(Duration::from_secs(60), "a reservation", &mut || {
                dialled.status()["reach"]["relayed_via"].as_array().is_some_and(|a| !a.is_empty())
            });
            let circuit = format!("{relay_of}/p2p-circuit/p2p/{}", dialled.peer_id);
            dialler.ok(&["node", "connect", &circuit]);
            // The outcome as the dialled node reports it (it starts the upgrade), or none within the wait: a
            // person then works over the relay.
            let deadline = Instant::now() + punch_wait;
            let outcome = loop {
                let r = &dialled.status()["reach"];
                if r["hole_punches_succeeded"].as_u64().unwrap_or(0) > 0 {
                    break Some(true);
                }
                if r["hole_punches_failed"].as_u64().unwrap_or(0) > 0 {
                    break Some(false);
                }
                if Instant::now() > deadline {
                    break None;
                }
                std::thread::sleep(Duration::from_millis(100));
            };
            match outcome {
                Some(true) => {
                    succeeded += 1;
                    times.push(started.elapsed());
                }
                Some(false) => {
                    failed += 1;
                    failure_times.push(started.elapsed());
                }
                None => still_relayed += 1,
            }
            dialled.stop();
        }
        let typical = |t: Vec<Duration>| if t.is_empty() { "-".to_string() } else { format!("{:.2?}", median(t)) };
        println!(
            "  cone -> {:<9}  {succeeded}/{tries} succeeded, {failed} reported failed, {still_relayed} no outcome within \
             {punch_wait:?}; median from the node's start: to a direct connection {}, to the failure report {}",
            nat.name(),
            typical(times),
            typical(failure_times)
        );
    }
    dialler.stop();
}

/// Imports `ENTRIES` timeline entries into `case` in bundles of 250 (as assembling individual timelines would).
fn fill(lead: &Person, case: &str, dir: &Path) {
    let file = dir.join("entries.json");
    for bundle in 0..ENTRIES / 250 {
        let entries: Vec<serde_json::Value> = (0..250)
            .map(|i| {
                let n = bundle * 250 + i;
                serde_json::json!({
                    "date": format!("20{:02}-{:02}-{:02}", 10 + n % 15, 1 + n % 12, 1 + n % 28),
                    "actor": format!("GI-{}", n % 40),
                    "what": format!("Entry {n}: a home visit, a phone call or a meeting of the professionals involved"),
                })
            })
            .collect();
        std::fs::write(&file, serde_json::to_vec(&entries).expect("json")).expect("write");
        lead.ok(&["case", "timeline", "import", case, "--from", file.to_str().expect("path")]);
    }
}

fn holds_all(p: &Person, case: &str) -> bool {
    let out = p.cli(&["case", "show", case, "--json"]);
    out.status.success()
        && serde_json::from_slice::<serde_json::Value>(&out.stdout)
            .is_ok_and(|v| v["timeline_entries"].as_u64() == Some(ENTRIES as u64))
}

fn traffic(h: &Host) -> u64 {
    let (rx, tx) = h.traffic();
    rx + tx
}

fn sync(net: &mut Topology, root: &Path, seed: &str) {
    println!("\n== sync: a {ENTRIES}-entry case to a fresh member");
    let dir = root.join("sync");
    std::fs::create_dir_all(&dir).expect("dir");
    let mut lead = person(&dir, "Lead", net.home(0).0, seed);
    lead.start();
    publish(&lead);
    let case = lead.json(&["case", "open", "--title", "Sync benchmark", "--json"])["id"]
        .as_str()
        .expect("case id")
        .to_string();
    let started = Instant::now();
    fill(&lead, &case, &dir);
    println!("  (the lead imported {ENTRIES} entries in {:?})", started.elapsed());

    let limit = Duration::from_secs(600);
    let public = net.add_public_host().expect("host");
    let mut rows = Vec::new();
    for (name, host) in [("Direct", public), ("Relayed", net.home(2).0)] {
        let mut member = person(&dir, name, host.clone(), seed);
        member.start();
        publish(&member);
        wait_at_most(Duration::from_secs(60), "the lead holds the member's profile", &mut || {
            lead.cli(&["profile", "show", &member.peer_id, "--json"]).status.success()
        });
        if name == "Direct" {
            // The member is on a public address: the lead dials that, not the relayed one in its profile.
            let status = member.status();
            let addr = status["listen_addrs"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|a| a.as_str())
                .find(|a| a.starts_with(&format!("/ip4/{}/tcp/", host.addr)))
                .expect("a public address")
                .to_string();
            lead.ok(&["node", "connect", &addr]);
            wait_at_most(Duration::from_secs(30), "a direct connection", &mut || {
                connection(&lead, &member) == "direct"
            });
        }
        let before = traffic(&host);
        let started = Instant::now();
        lead.ok(&["case", "invite", &case, &member.peer_id, "--role", "co-reviewer"]);
        wait_at_most(limit, "the member holds every entry", &mut || holds_all(&member, &case));
        let took = started.elapsed();
        let bytes = traffic(&host) - before;
        println!("  {name:<8} {took:>12.2?} {bytes:>12} bytes  (lead to member: {})", connection(&lead, &member));
        rows.push((name, took, bytes));
        member.stop();
    }

    // From the mailbox alone: invited while away, the lead away when the member comes back.
    let host = net.home(3).0;
    let mut member = person(&dir, "Mailbox", host.clone(), seed);
    member.start();
    publish(&member);
    wait_at_most(Duration::from_secs(60), "the lead holds the member's profile naming the mailbox", &mut || {
        lead.json(&["profile", "show", &member.peer_id, "--json"])["mailboxes"]
            .as_array()
            .is_some_and(|m| !m.is_empty())
    });
    member.stop();
    let deposited = lead.mail("deposited");
    let started = Instant::now();
    lead.ok(&["case", "invite", &case, &member.peer_id, "--role", "co-reviewer"]);
    wait_at_most(limit, "the lead deposited the case", &mut || {
        let m = &lead.status()["mail"];
        m["deposited"].as_u64().unwrap_or(0) > deposited && m["waiting"].as_u64() == Some(0)
    });
    let deposit = started.elapsed();
    let lead_sealed = lead.status()["mail"]["sealed_bytes"].clone();
    lead.stop();
    let before = traffic(&host);
    let started = Instant::now();
    member.start();
    wait_at_most(limit, "the member holds every entry, from the mailbox", &mut || holds_all(&member, &case));
    let took = started.elapsed();
    let bytes = traffic(&host) - before;
    println!(
        "  Mailbox  {took:>12.2?} {bytes:>12} bytes  (from the member's start; the lead's deposit took {deposit:.2?})"
    );
    let mail = &member.status()["mail"];
    println!(
        "           the member took {} items, {} bytes fetched (padded), sealed {} bytes for others; the lead \
         sealed {} bytes in all",
        mail["taken"], mail["fetched_bytes"], mail["sealed_bytes"], lead_sealed
    );
    member.stop();
    let (_, direct_time, direct_bytes) = rows[0];
    for (name, took, bytes) in rows.iter().skip(1).copied().chain([("Mailbox", took, bytes)]) {
        let ratio = bytes as f64 / direct_bytes as f64;
        let target = if name == "Mailbox" {
            if ratio <= 1.5 { "  (target at most 1.5x: met)" } else { "  (target at most 1.5x: MISSED)" }
        } else {
            ""
        };
        println!(
            "  {name} / direct: time {:.2}x, bytes {ratio:.2}x{target}",
            took.as_secs_f64() / direct_time.as_secs_f64()
        );
    }
}
