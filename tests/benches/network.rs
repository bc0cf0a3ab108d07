//! Network benchmarks (a bench binary that prints figures; run with `cargo bench -p samenloop-tests`).
//!
//! 1. Propagation: 30 nodes in one process over TCP on loopback. Each node in turn publishes an update;
//!    we time from the `set_profile` call until every other node's directory holds the new revision
//!    (observed through directory events, not polling). Target: p99 at most 2 s.
//! 2. Referral round trip: a requester and a reviewer on loopback; from `refer` until the requester sees
//!    the acceptance (deliver, open, accept, deliver the answer), p50 and p99.
//! 3. Idle memory: one node in its own process joins a 10-node network, publishes, then idles; we read
//!    its resident set size from /proc. Target: at most 40 MB.

use std::time::{Duration, Instant};

use samenloop_node::api::types::ProfileUpdate;
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
    use samenloop_protocol::referral::{Answer, ReferralState};
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

/// The measured node: runs in its own process so its memory is its own.
async fn child(spec: String) {
    let (home, seeds) = spec.split_once('|').expect("child spec");
    let mut node = TestNode::create_or_open(std::path::Path::new(home));
    let bootstrap = seeds.split(',').filter_map(|s| s.parse().ok()).collect();
    node.start(bootstrap, |_| {}).await;
    node.client().set_profile(sample_update(99)).await.expect("publish");
    // Run until the parent kills us.
    std::future::pending::<()>().await;
}
