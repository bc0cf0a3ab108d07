//! Web app benchmarks (a bench binary that prints figures; run with `cargo bench -p samenloop-tests --bench
//! web`).
//!
//! Timeline page: a case whose timeline holds 10 000 entries (imported in bundles of 250); the server time
//! of its timeline page (the router driven in-process, as the browser would ask: session cookie, Host), for
//! the first page, the last page and a page filtered by organisation. Target: p50 at most 50 ms. The
//! baseline, measured in the same run, is the node listing the same timeline (the case command the page is
//! built on), so the ratio shows what the page itself costs.

use std::time::{Duration, Instant};

use axum::body::{Body, to_bytes};
use axum::http::{Request, StatusCode, header};
use samenloop_node::cases::commands::{CaseCommand, EntityKind};
use samenloop_protocol::cases::ledger::CaseId;
use samenloop_tests::{TestNode, sample_update, temp_root};
use tower::ServiceExt;

const ENTRIES: usize = 10_000;
const ROUNDS: usize = 30;

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime");
    runtime.block_on(timeline_page());
}

fn entry(i: usize) -> serde_json::Map<String, serde_json::Value> {
    let agencies = ["GI Midden-Nederland", "Wijkteam", "School", "Veilig Thuis", "GGZ"];
    let day = 18_000 + (i % 1500) as i64;
    let date = samenloop_protocol::CalendarDate::from_days_since_epoch(day).to_string();
    let v = serde_json::json!({
        "date": date,
        "actor": format!("P{}", i % 40),
        "agency": agencies[i % agencies.len()],
        "what": format!("Gebeurtenis {i}: een huisbezoek, een overleg of een melding, met wat er werd besproken"),
        "known_then": "Wat toen bekend was over de thuissituatie",
        "decision": "Het besluit dat werd genomen",
    });
    match v {
        serde_json::Value::Object(m) => m,
        _ => serde_json::Map::new(),
    }
}

fn stats(mut xs: Vec<Duration>) -> (Duration, Duration, Duration) {
    xs.sort();
    let p = |q: f64| xs[((xs.len() as f64 - 1.0) * q).round() as usize];
    (p(0.5), p(0.9), xs[xs.len() - 1])
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

async fn timeline_page() {
    let (_dir, root) = temp_root();
    let mut node = TestNode::create(&root.join("anna"));
    node.start(vec![], |_| {}).await;
    let client = node.client();
    client.set_profile(sample_update(0)).await.expect("profile");
    let opened =
        client.case(CaseCommand::Open { title: Some("Grote casus".into()), referral: None }).await.expect("open");
    let case: CaseId = opened["id"].as_str().and_then(|s| s.parse().ok()).expect("case id");
    let started = Instant::now();
    let items: Vec<_> = (0..ENTRIES).map(entry).collect();
    client.case(CaseCommand::Import { case, entity: EntityKind::Timeline, items }).await.expect("import");
    println!("timeline page: imported {ENTRIES} entries in {:.1} s", started.elapsed().as_secs_f64());

    let (router, host, cookie) = samenloop_node::web::router_for_tests(&node.home, client.clone());
    let get = |path: String| {
        let (router, host, cookie) = (router.clone(), host.clone(), cookie.clone());
        async move {
            let request = Request::get(path)
                .header(header::HOST, host)
                .header(header::COOKIE, cookie)
                .header(header::ACCEPT_LANGUAGE, "nl")
                .body(Body::empty())
                .expect("request");
            let started = Instant::now();
            let response = router.oneshot(request).await.expect("response");
            let status = response.status();
            let body = to_bytes(response.into_body(), 1 << 26).await.expect("body");
            (started.elapsed(), status, body.len())
        }
    };
    let mut baseline = Vec::new();
    for _ in 0..ROUNDS {
        let started = Instant::now();
        client.case(CaseCommand::ListEntities { case, entity: EntityKind::Timeline }).await.expect("list");
        baseline.push(started.elapsed());
    }
    let (b50, b90, bmax) = stats(baseline);
    println!(
        "timeline page: baseline (the node lists the timeline) p50 {:.1} ms, p90 {:.1} ms, max {:.1} ms",
        ms(b50),
        ms(b90),
        ms(bmax)
    );
    // What the page asks the node besides the listing, timed the same way.
    for (name, command) in
        [("show (the case's head)", CaseCommand::Show { case }), ("members", CaseCommand::Members { case })]
    {
        let mut times = Vec::new();
        for _ in 0..ROUNDS {
            let started = Instant::now();
            client.case(command.clone()).await.expect("command");
            times.push(started.elapsed());
        }
        let (p50, _, max) = stats(times);
        println!("timeline page: the node's {name}: p50 {:.1} ms, max {:.1} ms", ms(p50), ms(max));
    }
    let last = ENTRIES.div_ceil(50);
    for (name, path) in [
        ("first page", format!("/cases/{case}/timeline")),
        ("last page", format!("/cases/{case}/timeline?page={last}")),
        ("filtered", format!("/cases/{case}/timeline?agency=School&page=3")),
    ] {
        let mut times = Vec::new();
        let mut bytes = 0;
        for _ in 0..ROUNDS {
            let (t, status, len) = get(path.clone()).await;
            assert_eq!(status, StatusCode::OK, "{path}");
            times.push(t);
            bytes = len;
        }
        let (p50, p90, max) = stats(times);
        println!(
            "timeline page: {name}: p50 {:.1} ms ({:.2}x the baseline), p90 {:.1} ms, max {:.1} ms, {} KB sent (target p50 <= 50 ms)",
            ms(p50),
            ms(p50) / ms(b50),
            ms(p90),
            ms(max),
            bytes / 1024
        );
    }
    node.stop().await;
}
