//! Network benchmarks (a bench binary that prints figures; run with `cargo bench -p samenloop-tests`).
//!
//! 1. Propagation: 30 nodes in one process over TCP on loopback. Each node in turn publishes an update;
//!    we time from the `set_profile` call until every other node's directory holds the new revision
//!    (observed through directory events, not polling). Target: p99 at most 2 s.
//! 2. Referral round trip: a requester and a reviewer on loopback; from `refer` until the requester sees
//!    the acceptance (deliver, open, accept, deliver the answer), p50 and p99.
//! 3. Idle memory: one node in its own process joins a 10-node network, publishes, then idles; we read
//!    its resident set size from /proc. Target: at most 40 MB.
//! 4. Case documents: a case whose timeline has 10 000 entries written by two authors (imported in bundles
//!    of 250); a fresh member in its own process is invited: time until it holds all 10 000 entries, sync
//!    payload bytes it received against Automerge's own sync protocol for the same document (target at most
//!    1.2x), its memory with the case loaded, and the time to start it again from its home with the case
//!    (decrypt and load; target at most 500 ms) against the start of an empty node.
//! 5. Edit-to-visible latency between two connected members on loopback, p50 and p99 (target p50 < 200 ms).
//! 6. Removing a member from a case with 10 members and 3 documents: the lead's command (rotation of every
//!    document key, sealing to each remaining member, signing, storing) until it returns; then again with 9,
//!    8, 7 and 6 members. Target: at most 50 ms.

use std::time::{Duration, Instant};

use samenloop_node::api::types::ProfileUpdate;
use samenloop_node::cases::commands::{CaseCommand, EntityKind, ExportFormat};
use samenloop_protocol::cases::ledger::{CaseId, Role};
use samenloop_tests::{TestNode, all_hold, sample_request, sample_update, temp_root, wait_for};

const CHILD_ENV: &str = "SAMENLOOP_BENCH_CHILD";

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime");
    if let Ok(spec) = std::env::var(CHILD_ENV) {
        runtime.block_on(child(spec));
        return;
    }
    let only = std::env::args().skip(1).find(|a| !a.starts_with('-'));
    if only.as_deref().is_none_or(|f| "propagation".contains(f)) {
        runtime.block_on(propagation(30, 3));
    }
    if only.as_deref().is_none_or(|f| "referral".contains(f)) {
        runtime.block_on(referral_round_trip(40));
    }
    if only.as_deref().is_none_or(|f| "memory".contains(f)) {
        runtime.block_on(idle_memory(10));
    }
    if only.as_deref().is_none_or(|f| "case".contains(f)) {
        runtime.block_on(big_case(10_000));
    }
    if only.as_deref().is_none_or(|f| "edit".contains(f)) {
        runtime.block_on(edit_to_visible(100));
    }
    if only.as_deref().is_none_or(|f| "removal".contains(f)) {
        runtime.block_on(removal(10));
    }
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

async fn start_network(n: usize, root: &std::path::Path) -> Vec<TestNode> {
    let mut nodes: Vec<TestNode> = (0..n).map(|i| TestNode::create(&root.join(format!("n{i}")))).collect();
    nodes[0].start(vec![], |_| {}).await;
    let seed = nodes[0].addrs().await;
    for node in nodes.iter_mut().skip(1) {
        node.start(seed.clone(), |_| {}).await;
    }
    nodes
}

async fn propagation(n: usize, rounds: usize) {
    let (_tmp, root) = temp_root();
    let started = Instant::now();
    let nodes = start_network(n, &root).await;
    let clients: Vec<_> = nodes.iter().map(TestNode::client).collect();
    for (i, c) in clients.iter().enumerate() {
        c.set_profile(sample_update(i)).await.expect("publish");
    }
    for node in &nodes {
        wait_for(Duration::from_secs(60), "initial profiles", || all_hold(&clients, node.peer_id, 1)).await;
    }
    println!("{n} nodes up, all profiles everywhere, after {:.1} s", started.elapsed().as_secs_f64());
    // Let the gossip mesh settle as it would in a running network.
    tokio::time::sleep(Duration::from_secs(3)).await;

    let mut subscriptions = Vec::new();
    for c in &clients {
        subscriptions.push(c.subscribe().await.expect("subscribe"));
    }
    let mut per_node = Vec::new(); // publication -> one other node holds it
    let mut to_all = Vec::new(); // publication -> every other node holds it
    for round in 0..rounds {
        for (i, c) in clients.iter().enumerate() {
            let peer = nodes[i].peer_id;
            let t0 = Instant::now();
            let view = c
                .set_profile(ProfileUpdate {
                    hours_per_month: Some((round * n + i) as u16 % 700),
                    ..Default::default()
                })
                .await
                .expect("update");
            let mut last = Duration::ZERO;
            for (j, sub) in subscriptions.iter_mut().enumerate() {
                if j == i {
                    continue;
                }
                let arrived = tokio::time::timeout(Duration::from_secs(10), async {
                    loop {
                        match sub.recv().await {
                            Ok(e) if e.peer == peer && e.revision >= view.revision => return Instant::now(),
                            Ok(_) | Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {}
                            Err(e) => panic!("subscription closed: {e}"),
                        }
                    }
                })
                .await
                .expect("update did not arrive within 10 s");
                let d = arrived - t0;
                per_node.push(d);
                last = last.max(d);
            }
            to_all.push(last);
            for (j, sub) in subscriptions.iter_mut().enumerate() {
                if j != i {
                    while sub.try_recv().is_ok() {}
                }
            }
        }
    }
    per_node.sort();
    to_all.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    println!(
        "propagation, {n} nodes, {} publications: until all others hold it p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms \
         [target p99 <= 2000 ms: {}]; per receiving node p50 {:.1} ms, p99 {:.1} ms",
        to_all.len(),
        ms(percentile(&to_all, 0.5)),
        ms(percentile(&to_all, 0.99)),
        ms(to_all[to_all.len() - 1]),
        if percentile(&to_all, 0.99) <= Duration::from_secs(2) { "met" } else { "MISSED" },
        ms(percentile(&per_node, 0.5)),
        ms(percentile(&per_node, 0.99)),
    );
    for mut node in nodes {
        node.stop().await;
    }
}

async fn referral_round_trip(rounds: usize) {
    use samenloop_protocol::referrals::referral::{Answer, ReferralState};
    let (_tmp, root) = temp_root();
    let mut requester = TestNode::create(&root.join("requester"));
    let mut reviewer = TestNode::create(&root.join("reviewer"));
    requester.start(vec![], |_| {}).await;
    reviewer.start(requester.addrs().await, |_| {}).await;
    let mut p = sample_update(1);
    p.expertise = Some(vec!["ggz".into()]);
    p.hours_per_month = Some(40);
    reviewer.client().set_profile(p).await.expect("profile");
    let rc = [requester.client()];
    wait_for(Duration::from_secs(10), "reviewer in directory", || all_hold(&rc, reviewer.peer_id, 1)).await;
    let (req, rev) = (requester.client(), reviewer.client());
    let mut times = Vec::new();
    for i in 0..rounds {
        let record = req.create_request(sample_request(&format!("question {i}"))).await.expect("request");
        let t0 = Instant::now();
        req.refer(&record.id, vec![reviewer.peer_id], false, false, None).await.expect("refer");
        let referral_id = loop {
            if let Some(x) = rev.referrals().await.expect("list").into_iter().find(|x| x.request_id == record.id) {
                break x.referral_id;
            }
            tokio::time::sleep(Duration::from_millis(1)).await;
        };
        rev.referral(&referral_id).await.expect("open");
        rev.answer_referral(&referral_id, Answer::Accept { conflict: None }).await.expect("accept");
        loop {
            let r = req.request(&record.id).await.expect("show");
            if matches!(r.referrals[0].state, ReferralState::Accepted { .. }) {
                break;
            }
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        times.push(t0.elapsed());
    }
    times.sort();
    println!(
        "referral round trip (refer, deliver, open, accept, requester sees it), {rounds} rounds: p50 {:.1} ms, p99 {:.1} ms",
        percentile(&times, 0.5).as_secs_f64() * 1e3,
        percentile(&times, 0.99).as_secs_f64() * 1e3
    );
    requester.stop().await;
    reviewer.stop().await;
}

fn rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

async fn idle_memory(n: usize) {
    let (_tmp, root) = temp_root();
    let nodes = start_network(n - 1, &root).await;
    let clients: Vec<_> = nodes.iter().map(TestNode::client).collect();
    for (i, c) in clients.iter().enumerate() {
        c.set_profile(sample_update(i)).await.expect("publish");
    }
    let seed = nodes[0].addrs().await;
    let child_home = root.join("measured");
    let child_peer = TestNode::create(&child_home).peer_id;
    let spec =
        format!("{}|{}", child_home.display(), seed.iter().map(ToString::to_string).collect::<Vec<_>>().join(","));
    let mut child = std::process::Command::new(std::env::current_exe().expect("own path"))
        .env(CHILD_ENV, spec)
        .stdin(std::process::Stdio::null())
        .spawn()
        .expect("spawn measured node");
    wait_for(Duration::from_secs(30), "measured node joins", || all_hold(&clients, child_peer, 1)).await;
    // Idle: nothing published for a while; the node only keeps its connections alive.
    tokio::time::sleep(Duration::from_secs(10)).await;
    let rss = rss_kib(child.id());
    let _ = child.kill();
    let _ = child.wait();
    match rss {
        Some(kib) => println!(
            "idle node in a {n}-node network: resident memory {:.1} MB [target <= 40 MB: {}]",
            kib as f64 / 1024.0,
            if kib <= 40 * 1024 { "met" } else { "MISSED" }
        ),
        None => println!("idle node memory: /proc not available on this system"),
    }
    for mut node in nodes {
        node.stop().await;
    }
}

/// The measured node: runs in its own process so its memory is its own. With a third field `api`, it also
/// serves the local API (so the parent can drive it) and prints how long its start took.
async fn child(spec: String) {
    let mut parts = spec.split('|');
    let home = parts.next().expect("child spec");
    let seeds = parts.next().unwrap_or_default();
    let with_api = parts.next() == Some("api");
    let mut node = TestNode::create_or_open(std::path::Path::new(home));
    let bootstrap = seeds.split(',').filter_map(|s| s.parse().ok()).collect();
    let started = Instant::now();
    node.start(bootstrap, |c| {
        if with_api {
            c.api = Some("127.0.0.1:0".parse().expect("addr"));
        }
    })
    .await;
    println!("START_MS={:.1}", started.elapsed().as_secs_f64() * 1000.0);
    node.client().set_profile(sample_update(99)).await.expect("publish");
    // Run until the parent kills us.
    std::future::pending::<()>().await;
}

fn entry(i: usize) -> serde_json::Map<String, serde_json::Value> {
    let agency = ["GI Midden", "Veilig Thuis", "Wijkteam Oost", "School"][i % 4];
    let v = serde_json::json!({
        "date": format!("2024-{:02}-{:02}", 1 + i % 12, 1 + i % 28),
        "actor": format!("GI-{}", i % 12),
        "agency": agency,
        "what": format!("Contact {i}: home visit, the mother says the child slept at a friend's place"),
        "known_then": "Earlier reports of neglect were known to the wijkteam, not to the school",
        "decision": "Follow up next week",
    });
    match v {
        serde_json::Value::Object(m) => m,
        _ => serde_json::Map::new(),
    }
}

async fn timeline_len(c: &samenloop_node::Client, case: CaseId) -> usize {
    c.case(CaseCommand::Show { case }).await.ok().and_then(|v| v["timeline_entries"].as_u64()).unwrap_or(0) as usize
}

/// Spawns the measured node with the API and returns it and its start time (ms) as it printed it.
fn spawn_child(home: &std::path::Path, seed: &[libp2p::Multiaddr]) -> (std::process::Child, f64) {
    use std::io::BufRead;
    let spec = format!("{}|{}|api", home.display(), seed.iter().map(ToString::to_string).collect::<Vec<_>>().join(","));
    let mut child = std::process::Command::new(std::env::current_exe().expect("own path"))
        .env(CHILD_ENV, spec)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("spawn measured node");
    let stdout = child.stdout.take().expect("stdout");
    let mut line = String::new();
    let _ = std::io::BufReader::new(stdout).read_line(&mut line);
    let ms = line.trim().strip_prefix("START_MS=").and_then(|v| v.parse().ok()).unwrap_or(f64::NAN);
    (child, ms)
}

fn automerge_sync_bytes(saved: &[u8]) -> usize {
    use automerge::sync::SyncDoc;
    let mut full = automerge::AutoCommit::load(saved).expect("export loads");
    let mut empty = automerge::AutoCommit::new();
    let (mut s1, mut s2) = (automerge::sync::State::new(), automerge::sync::State::new());
    let mut bytes = 0;
    loop {
        let mut progressed = false;
        if let Some(m) = full.sync().generate_sync_message(&mut s1) {
            let enc = m.encode();
            bytes += enc.len();
            let m = automerge::sync::Message::decode(&enc).expect("decode");
            empty.sync().receive_sync_message(&mut s2, m).expect("receive");
            progressed = true;
        }
        if let Some(m) = empty.sync().generate_sync_message(&mut s2) {
            let enc = m.encode();
            bytes += enc.len();
            let m = automerge::sync::Message::decode(&enc).expect("decode");
            full.sync().receive_sync_message(&mut s1, m).expect("receive");
            progressed = true;
        }
        if !progressed {
            return bytes;
        }
    }
}

async fn big_case(entries: usize) {
    let (_tmp, root) = temp_root();
    let nodes = start_network(2, &root).await;
    let (lead, co) = (nodes[0].client(), nodes[1].client());
    lead.set_profile(sample_update(1)).await.expect("publish");
    co.set_profile(sample_update(2)).await.expect("publish");
    let co_peer = nodes[1].peer_id;
    wait_for(Duration::from_secs(20), "profiles", || async { lead.profile(co_peer).await.is_ok() }).await;
    let opened = lead.case(CaseCommand::Open { title: Some("Bench case".into()), referral: None }).await.expect("open");
    let case: CaseId = opened["id"].as_str().expect("id").parse().expect("case id");
    lead.case(CaseCommand::Invite { case, peer: co_peer.to_string(), role: Role::CoReviewer }).await.expect("invite");
    wait_for(Duration::from_secs(20), "co-reviewer has the case", || async {
        co.case(CaseCommand::ListEntities { case, entity: EntityKind::Timeline }).await.is_ok()
    })
    .await;
    let started = Instant::now();
    let half: Vec<_> = (0..entries).map(entry).collect();
    let (a, b) = tokio::join!(
        lead.case(CaseCommand::Import { case, entity: EntityKind::Timeline, items: half[..entries / 2].to_vec() }),
        co.case(CaseCommand::Import { case, entity: EntityKind::Timeline, items: half[entries / 2..].to_vec() }),
    );
    a.expect("import");
    b.expect("import");
    wait_for(Duration::from_secs(120), "both authors hold every entry", || async {
        timeline_len(&lead, case).await == entries && timeline_len(&co, case).await == entries
    })
    .await;
    println!("case: {entries} entries written by two authors and exchanged in {:.1?}", started.elapsed());

    // The fresh member, in its own process.
    let fresh_home = root.join("fresh");
    let fresh_peer = TestNode::create(&fresh_home).peer_id;
    let seed = nodes[0].addrs().await;
    let (mut child, _) = spawn_child(&fresh_home, &seed);
    wait_for(Duration::from_secs(30), "fresh member's profile", || async { lead.profile(fresh_peer).await.is_ok() })
        .await;
    let home = samenloop_node::Home::new(&fresh_home);
    let api = samenloop_node::api::client::ApiClient::for_home(&home).expect("api");
    let api_len = |api: &samenloop_node::api::client::ApiClient| -> usize {
        api.post::<_, serde_json::Value>("/v1/cases", &CaseCommand::Show { case })
            .ok()
            .and_then(|v| v["timeline_entries"].as_u64())
            .unwrap_or(0) as usize
    };
    let started = Instant::now();
    lead.case(CaseCommand::Invite { case, peer: fresh_peer.to_string(), role: Role::CoReviewer })
        .await
        .expect("invite");
    loop {
        if api_len(&api) == entries {
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(300), "the fresh member did not converge");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let converge = started.elapsed();
    let stats: serde_json::Value = api.get("/v1/sync/stats").expect("stats");
    let received = stats["payload_bytes_received"].as_u64().unwrap_or(0) as usize;
    let rss = rss_kib(child.id()).unwrap_or(0);
    let export = lead
        .case(CaseCommand::Export {
            case,
            doc: samenloop_protocol::cases::ledger::DocKind::Analysis,
            format: ExportFormat::Automerge,
        })
        .await
        .expect("export");
    let saved = hex::decode(export["automerge_hex"].as_str().expect("hex")).expect("hex");
    let baseline = automerge_sync_bytes(&saved);
    println!(
        "case: fresh member holds all {entries} entries {converge:.1?} after the invitation; sync payload {received} bytes \
         = {:.2}x Automerge's sync protocol ({baseline} bytes) [target <= 1.2x: {}]",
        received as f64 / baseline as f64,
        if (received as f64) <= 1.2 * baseline as f64 { "met" } else { "MISSED" }
    );
    println!("case: fresh member's resident memory with the case loaded {:.1} MB", rss as f64 / 1024.0);
    let _ = child.kill();
    let _ = child.wait();

    // Start it again from its home: the case is decrypted and loaded before the node runs.
    let (mut again, with_case) = spawn_child(&fresh_home, &seed);
    let loaded_rss = rss_kib(again.id()).unwrap_or(0);
    let _ = again.kill();
    let _ = again.wait();
    let empty_home = root.join("empty");
    TestNode::create(&empty_home);
    let (mut empty, without) = spawn_child(&empty_home, &seed);
    let _ = empty.kill();
    let _ = empty.wait();
    println!(
        "case: node start with the 10 000-entry case {with_case:.0} ms, empty node {without:.0} ms: loading the case takes \
         {:.0} ms [target <= 500 ms: {}]; resident memory just after start {:.1} MB",
        with_case - without,
        if with_case - without <= 500.0 { "met" } else { "MISSED" },
        loaded_rss as f64 / 1024.0
    );
    for mut node in nodes {
        node.stop().await;
    }
}

async fn edit_to_visible(rounds: usize) {
    let (_tmp, root) = temp_root();
    let nodes = start_network(2, &root).await;
    let (a, b) = (nodes[0].client(), nodes[1].client());
    a.set_profile(sample_update(1)).await.expect("publish");
    b.set_profile(sample_update(2)).await.expect("publish");
    let b_peer = nodes[1].peer_id;
    wait_for(Duration::from_secs(20), "profiles", || async { a.profile(b_peer).await.is_ok() }).await;
    let opened = a.case(CaseCommand::Open { title: Some("Latency".into()), referral: None }).await.expect("open");
    let case: CaseId = opened["id"].as_str().expect("id").parse().expect("case id");
    a.case(CaseCommand::Invite { case, peer: b_peer.to_string(), role: Role::CoReviewer }).await.expect("invite");
    wait_for(Duration::from_secs(20), "member has the case", || async {
        b.case(CaseCommand::ListEntities { case, entity: EntityKind::Timeline }).await.is_ok()
    })
    .await;
    let mut samples = Vec::new();
    for i in 0..rounds {
        let started = Instant::now();
        a.case(CaseCommand::Add { case, entity: EntityKind::Timeline, fields: entry(i) }).await.expect("add");
        loop {
            if timeline_len(&b, case).await > i {
                break;
            }
            assert!(started.elapsed() < Duration::from_secs(10), "edit not visible");
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        samples.push(started.elapsed());
    }
    samples.sort();
    println!(
        "edit-to-visible between two members on loopback ({rounds} edits): p50 {:.1?}, p99 {:.1?} [target p50 < 200 ms: {}]",
        percentile(&samples, 0.5),
        percentile(&samples, 0.99),
        if percentile(&samples, 0.5) < Duration::from_millis(200) { "met" } else { "MISSED" }
    );
    for mut node in nodes {
        node.stop().await;
    }
}

async fn removal(members: usize) {
    let (_tmp, root) = temp_root();
    let nodes = start_network(members, &root).await;
    let clients: Vec<_> = nodes.iter().map(TestNode::client).collect();
    for (i, c) in clients.iter().enumerate() {
        c.set_profile(sample_update(i)).await.expect("publish");
    }
    let lead = &clients[0];
    for n in &nodes[1..] {
        let peer = n.peer_id;
        wait_for(Duration::from_secs(30), "profiles reach the lead", || async { lead.profile(peer).await.is_ok() })
            .await;
    }
    let opened = lead.case(CaseCommand::Open { title: Some("Removal".into()), referral: None }).await.expect("open");
    let case: CaseId = opened["id"].as_str().expect("id").parse().expect("case id");
    for n in &nodes[1..] {
        lead.case(CaseCommand::Invite { case, peer: n.peer_id.to_string(), role: Role::CoReviewer })
            .await
            .expect("invite");
    }
    let mut line = Vec::new();
    for (k, n) in nodes[1..6].iter().enumerate() {
        let started = Instant::now();
        lead.case(CaseCommand::RemoveMember { case, peer: n.peer_id.to_string() }).await.expect("remove");
        let took = started.elapsed();
        line.push(format!("{} members {took:.1?}", members - k));
        if k == 0 {
            println!(
                "removal from a case with {members} members and 3 documents: {took:.1?} [target <= 50 ms: {}]",
                if took <= Duration::from_millis(50) { "met" } else { "MISSED" }
            );
        }
    }
    println!("  successive removals: {}", line.join(", "));
    for mut node in nodes {
        node.stop().await;
    }
}
