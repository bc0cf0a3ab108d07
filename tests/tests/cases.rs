//! Co-reviewers co-edit a case: three members converge (including concurrent edits of one timeline entry),
//! work apart and reconverge, restart, and nothing of the case reaches a disk or a non-member in the clear.

use std::path::Path;
use std::time::Duration;

use samenloop_node::casework::{CaseCommand, EntityKind, ExportFormat};
use samenloop_node::{Client, NodeError};
use samenloop_protocol::case::{CaseId, DocKind, Role};
use samenloop_protocol::sync::{SyncRefusal, SyncRequest, SyncResponse};
use samenloop_tests::{TestNode, sample_update, temp_root, wait_for};
use serde_json::{Map, Value, json};

const LIMIT: Duration = Duration::from_secs(15);
const CANARY: &str = "canary-7d41-the-child-was-not-seen-for-weeks";
const NOTE_CANARY: &str = "canary-93be-interview-with-the-mother";

fn fields(v: Value) -> Map<String, Value> {
    match v {
        Value::Object(m) => m,
        _ => Map::new(),
    }
}

async fn add(c: &Client, case: CaseId, entity: EntityKind, v: Value) -> String {
    let r = c.case(CaseCommand::Add { case, entity, fields: fields(v) }).await.expect("add");
    r["id"].as_str().expect("id").to_string()
}

async fn export(c: &Client, case: CaseId, doc: DocKind) -> Result<Value, NodeError> {
    c.case(CaseCommand::Export { case, doc, format: ExportFormat::Json }).await
}

async fn automerge_heads(c: &Client, case: CaseId) -> Vec<automerge::ChangeHash> {
    let v =
        c.case(CaseCommand::Export { case, doc: DocKind::Analysis, format: ExportFormat::Automerge }).await.unwrap();
    let bytes = hex::decode(v["automerge_hex"].as_str().unwrap()).unwrap();
    let mut doc = automerge::AutoCommit::load(&bytes).expect("the export loads in the automerge crate");
    doc.get_heads()
}

async fn timeline(c: &Client, case: CaseId) -> Vec<Value> {
    match c.case(CaseCommand::ListEntities { case, entity: EntityKind::Timeline }).await {
        Ok(Value::Array(a)) => a,
        _ => Vec::new(),
    }
}

async fn has_entry(c: &Client, case: CaseId, what: &str) -> bool {
    timeline(c, case).await.iter().any(|e| e["what"].as_str().is_some_and(|w| w.contains(what)))
}

/// Every byte of every file under `dir`.
fn contains_anywhere(dir: &Path, needle: &[u8]) -> bool {
    let Ok(entries) = std::fs::read_dir(dir) else { return false };
    entries.flatten().any(|e| {
        let p = e.path();
        if p.is_dir() {
            contains_anywhere(&p, needle)
        } else {
            std::fs::read(&p).is_ok_and(|b| b.windows(needle.len()).any(|w| w == needle))
        }
    })
}

async fn partition(nodes: &[&TestNode], who: usize, blocked: bool) {
    for (i, n) in nodes.iter().enumerate() {
        if i != who {
            n.client().partition(nodes[who].peer_id, blocked).await.unwrap();
            nodes[who].client().partition(n.peer_id, blocked).await.unwrap();
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_members_co_edit_a_case() {
    let (_tmp, root) = temp_root();
    let mut a = TestNode::create(&root.join("anna"));
    let mut b = TestNode::create(&root.join("bram"));
    let mut c = TestNode::create(&root.join("chantal"));
    let mut d = TestNode::create(&root.join("dirk"));
    a.start(vec![], |_| {}).await;
    let seed = a.addrs().await;
    for n in [&mut b, &mut c, &mut d] {
        n.start(seed.clone(), |_| {}).await;
    }
    for (i, n) in [&a, &b, &c, &d].iter().enumerate() {
        n.client().set_profile(sample_update(i)).await.unwrap();
    }
    let ac = a.client();
    for n in [&b, &c, &d] {
        let peer = n.peer_id;
        wait_for(LIMIT, "profiles reach the lead", || async { ac.profile(peer).await.is_ok() }).await;
    }

    // Anna opens the case and invites Bram and Chantal; Dirk is not a member.
    let opened =
        ac.case(CaseCommand::Open { title: Some("Case Utrecht 2026-3".into()), referral: None }).await.unwrap();
    let case: CaseId = opened["id"].as_str().unwrap().parse().unwrap();
    for n in [&b, &c] {
        ac.case(CaseCommand::Invite { case, peer: n.peer_id.to_string(), role: Role::CoReviewer }).await.unwrap();
    }
    let (bc, cc, dc) = (b.client(), c.client(), d.client());
    for (who, cl) in [("Bram", &bc), ("Chantal", &cc)] {
        wait_for(LIMIT, &format!("{who} receives the case"), || async {
            export(cl, case, DocKind::Analysis).await.is_ok()
        })
        .await;
    }
    assert_eq!(export(&bc, case, DocKind::Analysis).await.unwrap()["title"], "Case Utrecht 2026-3");
    let members = bc.case(CaseCommand::Members { case }).await.unwrap();
    assert_eq!(members.as_array().unwrap().len(), 3);

    // All three add timeline entries at the same time; Bram's holds the canary.
    let e1 = add(
        &ac,
        case,
        EntityKind::Timeline,
        json!({"date": "2025-03-02", "what": "Home visit by the guardian", "actor": "GI-1"}),
    )
    .await;
    let (x, y, z) = tokio::join!(
        add(
            &ac,
            case,
            EntityKind::Timeline,
            json!({"date": "2025-04-01", "precision": "month", "what": "School reports absence"})
        ),
        add(&bc, case, EntityKind::Timeline, json!({"date": "2025-03-28", "what": CANARY})),
        add(
            &cc,
            case,
            EntityKind::Timeline,
            json!({"date": "2025-01-01", "precision": "year", "what": "Family moves to Utrecht"})
        ),
    );
    assert!(![&x, &y, &z].contains(&&e1));
    add(&ac, case, EntityKind::Note, json!({"title": "Interview M1", "text": NOTE_CANARY})).await;
    for (who, cl) in [("Bram", &bc), ("Chantal", &cc)] {
        wait_for(LIMIT, &format!("{who} has entry e1"), || async {
            timeline(cl, case).await.iter().any(|e| e["id"] == e1.as_str())
        })
        .await;
    }
    // Concurrent edits of one entry, different fields and one text.
    let (r1, r2) = tokio::join!(
        ac.case(CaseCommand::Edit {
            case,
            entity: EntityKind::Timeline,
            id: e1.clone(),
            fields: fields(json!({"decision": "No safety plan"}))
        }),
        bc.case(CaseCommand::Edit {
            case,
            entity: EntityKind::Timeline,
            id: e1.clone(),
            fields: fields(json!({"what": "Home visit by the guardian, mother present"}))
        }),
    );
    r1.unwrap();
    r2.unwrap();
    let all = [&ac, &bc, &cc];
    wait_for(LIMIT, "all three converge", || async {
        let a = export(&ac, case, DocKind::Analysis).await.ok();
        let converged = a.is_some()
            && export(&bc, case, DocKind::Analysis).await.ok() == a
            && export(&cc, case, DocKind::Analysis).await.ok() == a;
        converged && timeline(&ac, case).await.len() == 4 && has_entry(&ac, case, "mother present").await
    })
    .await;
    let heads = automerge_heads(&ac, case).await;
    for cl in all {
        assert_eq!(automerge_heads(cl, case).await, heads, "same heads everywhere");
    }
    let entries = timeline(&cc, case).await;
    let e = entries.iter().find(|e| e["id"] == e1.as_str()).unwrap();
    assert_eq!(e["decision"], "No safety plan");
    assert_eq!(e["what"], "Home visit by the guardian, mother present");
    let order: Vec<&str> = entries.iter().map(|e| e["what"].as_str().unwrap()).collect();
    // Time order; the month-level entry sorts mid-April, the year-level one mid-2025.
    assert_eq!(
        order,
        ["Home visit by the guardian, mother present", CANARY, "School reports absence", "Family moves to Utrecht"]
    );
    // Notes reached the reviewers.
    wait_for(LIMIT, "Chantal has the note", || async {
        export(&cc, case, DocKind::Notes).await.is_ok_and(|n| n.to_string().contains(NOTE_CANARY))
    })
    .await;

    // Dirk, not a member, gets nothing when he asks, and cannot push.
    let asked = dc.raw_sync(a.peer_id, SyncRequest::Pull { case, ledger_len: 0, docs: vec![] }).await.unwrap();
    assert_eq!(asked, SyncResponse::Refused(SyncRefusal::NotAMember));
    let pushed = dc
        .raw_sync(a.peer_id, SyncRequest::Push { case, ledger: vec![], ledger_from: 0, ledger_len: 1, runs: vec![] })
        .await
        .unwrap();
    assert_eq!(pushed, SyncResponse::Refused(SyncRefusal::NotAMember));
    assert!(dc.case(CaseCommand::List).await.unwrap().as_array().unwrap().is_empty());

    // Offline work: Bram is cut off from everyone; he and Anna both edit; on reconnect both have both.
    let nodes = [&a, &b, &c, &d];
    partition(&nodes, 1, true).await;
    add(&bc, case, EntityKind::Timeline, json!({"what": "Bram offline entry"})).await;
    add(&ac, case, EntityKind::Timeline, json!({"what": "Anna entry while Bram is away"})).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(!has_entry(&ac, case, "Bram offline entry").await, "the partition holds");
    partition(&nodes, 1, false).await;
    let took = wait_for(Duration::from_secs(5), "both have both edits within 5 s", || async {
        has_entry(&ac, case, "Bram offline entry").await && has_entry(&bc, case, "Anna entry while Bram is away").await
    })
    .await;
    eprintln!("reconverged {took:?} after reconnecting");

    // Restart: Bram's node comes back from its home with everything, and resumes sync.
    b.stop().await;
    b.start(seed.clone(), |_| {}).await;
    let bc = b.client();
    assert!(has_entry(&bc, case, "Bram offline entry").await);
    assert!(has_entry(&bc, case, CANARY).await);
    add(&ac, case, EntityKind::Timeline, json!({"what": "After Bram's restart"})).await;
    wait_for(LIMIT, "Bram receives new edits after restart", || has_entry(&bc, case, "After Bram's restart")).await;

    // Step, and the other entity kinds through the same path.
    ac.case(CaseCommand::Step { case, step: 2, date: None }).await.unwrap();
    add(&bc, case, EntityKind::Episode, json!({"title": "The March home visit", "timeline_entries": [e1]})).await;
    add(&cc, case, EntityKind::Finding, json!({"title": "Signals stay within one organisation"})).await;
    wait_for(LIMIT, "step and entities converge", || async {
        let a = export(&ac, case, DocKind::Analysis).await.ok();
        a.as_ref().is_some_and(|v| v["step"]["current"] == 2 || v["step"] == 2)
            && export(&bc, case, DocKind::Analysis).await.ok() == a
            && export(&cc, case, DocKind::Analysis).await.ok() == a
    })
    .await;

    // Confidentiality: the canaries are in the documents (positive control) but in no byte of any home.
    assert!(export(&ac, case, DocKind::Analysis).await.unwrap().to_string().contains(CANARY));
    for n in [&mut a, &mut b, &mut c, &mut d] {
        n.stop().await;
    }
    for n in [&a, &b, &c, &d] {
        for canary in [CANARY, NOTE_CANARY, "Home visit by the guardian"] {
            assert!(!contains_anywhere(n.home.root(), canary.as_bytes()), "{canary} found in a home");
        }
    }
}
