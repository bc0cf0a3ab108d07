//! Reviewers at home behind real NAT routers (Linux network namespaces, as root): they find each other
//! through the network's public node, refer and accept, co-edit across routers (hole punched or relayed),
//! catch up from the mailbox while the others are away, and destroy the case through it, while the public
//! node's home, logs and the traffic on the wire hold no byte of the case.
//!
//! Real `samenloop` processes, each inside its home's namespace, driven from the shell as a reviewer would.
//! Skipped loudly where namespaces cannot be made (not root); `.ci/run` sets `SAMENLOOP_REQUIRE_NETNS` so
//! that there it runs or fails.

use std::path::Path;
use std::time::{Duration, Instant};

use samenloop_tests::netns::{self, Nat, Topology};
use samenloop_tests::shell::{Person, connection, contains, files_holding, peer_ids, strings, wait, wait_at_most};

const BIN: &str = env!("CARGO_BIN_EXE_samenloop");
const CANARY: &str = "canary-7d41-the-neighbour-called-veilig-thuis";
const PUBLIC_PORT: u16 = 4001;
/// An edit must be visible on the other side within this.
const EDIT_VISIBLE: Duration = Duration::from_secs(5);

fn profile_flags(region: &str) -> Vec<String> {
    [
        "profile",
        "set",
        "--expertise",
        "ggz",
        "--expertise",
        "jeugdbescherming",
        "--region",
        region,
        "--language",
        "nl",
        "--hours-per-month",
        "20",
        "--accreditation",
        "accredited",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect()
}

#[test]
fn reviewers_behind_home_routers_work_together() {
    if netns::skip("reviewers behind home routers (network namespaces)") {
        return;
    }
    let tmp = tempfile::tempdir().expect("tmp");
    let root = tmp.path();
    // Anna (lead) and Chantal behind port-preserving routers, Bram behind a symmetric NAT, the municipality
    // behind a fourth router; the network's public node (relay + mailbox) on the internet.
    let mut net = Topology::build(&[Nat::Cone, Nat::Symmetric, Nat::Cone, Nat::Cone]).expect("topology");
    let mut public = Person::new(Path::new(BIN), root, "Public", net.internet());
    let mut anna = Person::new(Path::new(BIN), root, "Anna", net.home(0).0);
    let mut bram = Person::new(Path::new(BIN), root, "Bram", net.home(1).0);
    let mut chantal = Person::new(Path::new(BIN), root, "Chantal", net.home(2).0);
    let mut gemeente = Person::new(Path::new(BIN), root, "Gemeente", net.home(3).0);
    let captures = [root.join("internet.pcap"), root.join("anna.pcap"), root.join("bram.pcap")];
    for (host, file) in [&public.host, &anna.host, &bram.host].into_iter().zip(&captures) {
        let host = host.clone();
        net.capture(&host, file).expect("tcpdump");
    }

    let seed = public.start_public(PUBLIC_PORT);
    let started = Instant::now();
    for p in [&mut anna, &mut bram, &mut chantal, &mut gemeente] {
        p.run_flags = vec!["--bootstrap".into(), seed.clone()];
        p.start();
    }
    for (p, region) in [(&anna, "Utrecht"), (&bram, "Utrecht"), (&chantal, "Utrecht")] {
        let flags = profile_flags(region);
        p.ok(&flags.iter().map(String::as_str).collect::<Vec<_>>());
    }

    // Profiles travel through the public node; each searches the others.
    let reviewers = [&anna, &bram, &chantal];
    for p in reviewers {
        let others: Vec<&str> =
            reviewers.iter().filter(|o| o.peer_id != p.peer_id).map(|o| o.peer_id.as_str()).collect();
        wait(&format!("{} finds the others by search", p.name), || {
            let found =
                peer_ids(&p.json(&["directory", "search", "--expertise", "ggz", "--region", "Utrecht", "--json"]));
            others.iter().all(|o| found.iter().any(|f| f == o))
        });
    }
    eprintln!(
        "netns: three reviewers behind routers hold each other's profiles {:?} after starting",
        started.elapsed()
    );
    // (The municipality publishes no profile: it dials out, and the relay serves reviewers only.)
    for p in [&anna, &bram, &chantal] {
        wait(&format!("{} is behind a router, with a reservation on the relay", p.name), || {
            let s = p.status();
            s["reach"]["nat"] == "behind-nat" && !strings(&s["reach"]["relayed_via"]).is_empty()
        });
    }

    // The municipality refers a request to Anna, behind another router; she accepts.
    let request_file = root.join("request.toml");
    std::fs::write(&request_file, samenloop_tests::shell::request_toml("How did the chain lose sight of the child?"))
        .expect("request file");
    let request = gemeente.json(&["request", "new", "--from", request_file.to_str().expect("path"), "--json"])["id"]
        .as_str()
        .expect("request id")
        .to_string();
    wait("the municipality sees Anna as a candidate", || {
        let matched = gemeente.json(&["request", "match", &request, "--json"]);
        matched["candidates"].as_array().is_some_and(|c| c.iter().any(|c| c["peer"] == anna.peer_id.as_str()))
    });
    gemeente.ok(&["request", "refer", &request, "--to", &anna.peer_id, "--respond-by", "2030-12-31"]);
    let mut referral = String::new();
    let took = wait("the referral reaches Anna", || {
        let list = anna.json(&["referral", "list", "--json"]);
        match list.as_array().and_then(|a| a.first()).and_then(|r| r["referral_id"].as_str()) {
            Some(id) => {
                referral = id.to_string();
                true
            }
            None => false,
        }
    });
    eprintln!("netns: referral across two routers arrived after {took:?}");
    anna.ok(&["referral", "accept", &referral, "--declare-no-conflict"]);
    wait("the acceptance reaches the municipality", || {
        gemeente.json(&["request", "show", &request, "--json"])["referrals"][0]["state"]["state"] == "accepted"
    });
    gemeente.stop();

    // Anna opens the case from the referral and invites Bram (symmetric NAT) and Chantal (cone).
    let case =
        anna.json(&["case", "open", "--referral", &referral, "--json"])["id"].as_str().expect("case id").to_string();
    for p in [&bram, &chantal] {
        anna.ok(&["case", "invite", &case, &p.peer_id, "--role", "co-reviewer"]);
    }
    for p in [&bram, &chantal] {
        wait(&format!("{} has the case", p.name), || p.cli(&["case", "show", &case, "--json"]).status.success());
    }
    anna.add(&case, CANARY);
    for p in [&bram, &chantal] {
        let took = wait_at_most(EDIT_VISIBLE, &format!("{} sees Anna's entry", p.name), &mut || {
            p.has_all(&case, &[CANARY.to_string()])
        });
        eprintln!("netns: Anna's edit visible to {} after {took:?} ({})", p.name, connection(&anna, p));
    }
    for p in [&bram, &chantal] {
        let what = format!("{}'s entry", p.name);
        p.add(&case, &what);
        let took = wait_at_most(EDIT_VISIBLE, &format!("Anna sees {what}"), &mut || {
            anna.has_all(&case, std::slice::from_ref(&what))
        });
        eprintln!("netns: {what} visible to Anna after {took:?} ({})", connection(p, &anna));
    }
    let reach = &anna.status()["reach"];
    eprintln!(
        "netns: Anna's hole punching: {} succeeded, {} failed; Bram {}, Chantal {}",
        reach["hole_punches_succeeded"],
        reach["hole_punches_failed"],
        connection(&anna, &bram),
        connection(&anna, &chantal)
    );
    assert_eq!(connection(&anna, &bram), "relayed", "through a symmetric NAT, only the relay connects them");

    // Bram and Chantal are away while Anna edits; then Anna is away; the mailbox restarts in between; Bram
    // comes back and has every edit from the mailbox alone.
    bram.stop();
    chantal.stop();
    let before = anna.mail("deposited");
    let mut away: Vec<String> = (0..5).map(|i| format!("{CANARY} while away {i}")).collect();
    for what in &away {
        anna.add(&case, what);
    }
    anna.wait_deposited(before + 4, "Anna deposited every edit for both");
    anna.stop();
    public.stop();
    public.start();
    bram.start();
    away.insert(0, CANARY.to_string());
    let took = wait("Bram has every edit, from the mailbox", || bram.has_all(&case, &away));
    eprintln!("netns: Bram back: every edit from the mailbox after {took:?}");
    assert!(bram.mail("taken") >= 5, "{}", bram.status()["mail"]);

    // A full mailbox refuses; Anna keeps the item and deposits it once there is room again.
    bram.stop();
    public.stop();
    let config = public.home.join("config.toml");
    std::fs::write(&config, "[mailbox_limits]\ncapacity_bytes = 512\n").expect("config");
    public.start();
    anna.start();
    let before = anna.mail("deposited");
    anna.add(&case, "kept by the sender");
    wait("the full mailbox refuses Anna's deposit", || {
        let m = &anna.status()["mail"];
        m["refused"].as_u64().unwrap_or(0) >= 1 && m["waiting"].as_u64().unwrap_or(0) >= 1
    });
    public.stop();
    std::fs::remove_file(&config).expect("config");
    public.start();
    anna.wait_deposited(before, "Anna deposits the kept item once there is room");

    // Destruction while Bram and Chantal are away reaches them through the mailbox, and their confirmations
    // reach Anna the same way.
    anna.ok(&["case", "step", &case, "5"]);
    let before = anna.mail("deposited");
    let report = root.join("report.md");
    anna.ok(&["case", "report", &case, "--out", report.to_str().expect("path")]);
    anna.ok(&["case", "destroy", &case, "--report", report.to_str().expect("path")]);
    anna.wait_deposited(before, "Anna deposited the step and the destruction");
    anna.stop();
    for p in [&mut bram, &mut chantal] {
        p.start();
    }
    for p in [&bram, &chantal] {
        wait(&format!("{}'s node destroyed the case", p.name), || {
            let out = p.cli(&["case", "show", &case, "--json"]);
            !out.status.success()
        });
        p.wait_deposited(0, &format!("{}'s confirmation is deposited", p.name));
    }
    bram.stop();
    chantal.stop();
    anna.start();
    wait("Anna holds both confirmations", || {
        anna.json(&["case", "destruction", &case, "--json"])["missing"].as_array().is_some_and(Vec::is_empty)
    });
    anna.stop();
    public.stop();
    net.stop_captures();

    // Nothing of the case in the public node's home, its log, or any packet on the wire.
    for place in [public.home.clone(), public.log.clone()].iter().chain(&captures) {
        let holding = files_holding(place, CANARY.as_bytes());
        assert!(holding.is_empty(), "the canary is in {holding:?}");
    }
    for p in [&bram, &chantal] {
        assert!(files_holding(&p.home, CANARY.as_bytes()).is_empty(), "{}'s node kept case content", p.name);
    }
    let store = std::fs::read(public.home.join("mailbox.redb")).expect("mailbox store");
    let mut needles: Vec<(String, Vec<u8>)> =
        vec![("the case id".into(), case.clone().into_bytes()), ("the case id (bytes)".into(), hex_bytes(&case))];
    for p in [&anna, &bram, &chantal] {
        let id: libp2p::PeerId = p.peer_id.parse().expect("peer id");
        needles.push((format!("{}'s peer id", p.name), p.peer_id.clone().into_bytes()));
        needles.push((format!("{}'s peer id (bytes)", p.name), id.to_bytes()));
    }
    for (what, needle) in &needles {
        assert!(!contains(&store, needle), "the mailbox's store holds {what}");
    }
    let log = std::fs::read(&public.log).expect("log");
    assert!(!contains(&log, case.as_bytes()), "the public node's log names the case");
    for c in &captures {
        let size = std::fs::metadata(c).map(|m| m.len()).unwrap_or(0);
        assert!(size > 10_000, "the capture {} saw the traffic ({size} bytes)", c.display());
    }
}

fn hex_bytes(s: &str) -> Vec<u8> {
    (0..s.len() / 2).filter_map(|i| u8::from_str_radix(s.get(2 * i..2 * i + 2)?, 16).ok()).collect()
}
