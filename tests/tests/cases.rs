//! Co-reviewers co-edit a case: three members converge (including concurrent edits of one timeline entry),
//! work apart and reconverge, restart, and nothing of the case reaches a disk or a non-member in the clear.

use std::path::Path;
use std::time::Duration;

use samenloop_node::cases::commands::{CaseCommand, EntityKind, ExportFormat};
use samenloop_node::cases::rows::CaseRows;
use samenloop_node::{Client, NodeError};
use samenloop_protocol::cases::ledger::{CaseId, DocKind, Role};
use samenloop_protocol::cases::sync::{SyncRefusal, SyncRequest, SyncResponse};
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

/// Starts a node per name (the first is everyone's bootstrap), publishes their profiles, and waits until the
/// first node knows every other: the team a case test starts from.
async fn team(root: &Path, names: &[&str]) -> (Vec<TestNode>, Vec<Client>, Vec<libp2p::Multiaddr>) {
    let mut n: Vec<TestNode> = names.iter().map(|x| TestNode::create(&root.join(x))).collect();
    n[0].start(vec![], |_| {}).await;
    let seed = n[0].addrs().await;
    for node in n.iter_mut().skip(1) {
        node.start(seed.clone(), |_| {}).await;
    }
    for (i, node) in n.iter().enumerate() {
        node.client().set_profile(sample_update(i)).await.unwrap();
    }
    let c: Vec<Client> = n.iter().map(TestNode::client).collect();
    for node in &n[1..] {
        let peer = node.peer_id;
        wait_for(LIMIT, "profiles", || async { c[0].profile(peer).await.is_ok() }).await;
    }
    (n, c, seed)
}

/// Opens a case on `lead`'s node.
async fn open_case(lead: &Client, title: &str) -> CaseId {
    let opened = lead.case(CaseCommand::Open { title: Some(title.into()), referral: None }).await.unwrap();
    opened["id"].as_str().unwrap().parse().unwrap()
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
    let asked =
        dc.raw_sync(a.peer_id, SyncRequest::Pull { case, ledger_len: 0, docs: vec![], audit: vec![] }).await.unwrap();
    assert_eq!(asked, SyncResponse::Refused(SyncRefusal::NotAMember));
    let pushed = dc
        .raw_sync(
            a.peer_id,
            SyncRequest::Push { case, ledger: vec![], ledger_from: 0, ledger_len: 1, runs: vec![], audit: vec![] },
        )
        .await
        .unwrap();
    assert_eq!(pushed, SyncResponse::Refused(SyncRefusal::NotAMember));
    assert!(dc.case(CaseCommand::List).await.unwrap().as_array().unwrap().is_empty());
    // Dirk's node never received a byte of the case's sync traffic.
    assert_eq!(dc.sync_stats().await.unwrap().payload_bytes_received, 0);

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

/// A member acting with a modified client: every kind of bad bundle is refused with its reason and never
/// applied, and sync of everything else goes on.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_bundles_from_members_are_refused_and_change_nothing() {
    use samenloop_protocol::cases::analysis::{AnalysisDoc, TimelineEntry};
    use samenloop_protocol::cases::bundle::{BundleHeader, BundleKey, SealedBundle, SignedHead};
    use samenloop_protocol::cases::ledger::EpochKey;
    use samenloop_protocol::cases::sync::WireRun;
    use samenloop_protocol::ed25519_dalek::SigningKey;

    let (_tmp, root) = temp_root();
    let mut a = TestNode::create(&root.join("lead"));
    let mut e = TestNode::create(&root.join("eva"));
    let mut s = TestNode::create(&root.join("sup"));
    a.start(vec![], |_| {}).await;
    let seed = a.addrs().await;
    e.start(seed.clone(), |_| {}).await;
    s.start(seed.clone(), |_| {}).await;
    for (i, n) in [&a, &e, &s].iter().enumerate() {
        n.client().set_profile(sample_update(i)).await.unwrap();
    }
    let (ac, ec, sc) = (a.client(), e.client(), s.client());
    for n in [&e, &s] {
        let peer = n.peer_id;
        wait_for(LIMIT, "profiles", || async { ac.profile(peer).await.is_ok() }).await;
    }
    let opened = ac.case(CaseCommand::Open { title: Some("Case".into()), referral: None }).await.unwrap();
    let case: CaseId = opened["id"].as_str().unwrap().parse().unwrap();
    ac.case(CaseCommand::Invite { case, peer: e.peer_id.to_string(), role: Role::CoReviewer }).await.unwrap();
    ac.case(CaseCommand::Invite { case, peer: s.peer_id.to_string(), role: Role::Supervisor }).await.unwrap();
    wait_for(LIMIT, "Eva has the case", || async { export(&ec, case, DocKind::Analysis).await.is_ok() }).await;
    wait_for(LIMIT, "the supervisor has the analysis", || async { export(&sc, case, DocKind::Analysis).await.is_ok() })
        .await;
    // The supervisor never holds the notes, nor their key.
    assert!(export(&sc, case, DocKind::Notes).await.is_err());
    assert!(sc.epoch_key(case, DocKind::Notes).await.is_err());

    let eva = e.identity();
    let key_bytes = ec.epoch_key(case, DocKind::Analysis).await.unwrap();
    let key = BundleKey::derive(&EpochKey(zeroize::Zeroizing::new(key_bytes)), &case, DocKind::Analysis, 1);
    let saved =
        hex::decode(
            ac.case(CaseCommand::Export { case, doc: DocKind::Analysis, format: ExportFormat::Automerge })
                .await
                .unwrap()["automerge_hex"]
                .as_str()
                .unwrap(),
        )
        .unwrap();
    // Changes as a member would make them, by `actor`.
    let changes = |actor: &[u8], what: &str| {
        let mut doc = AnalysisDoc::load(&saved, actor).unwrap();
        let before = doc.heads();
        let entry = TimelineEntry { what: what.into(), ..TimelineEntry::default() };
        doc.add_timeline_entry(&format!("x{}", what.len()), &entry).unwrap();
        doc.save_after(&before)
    };
    let me = eva.verifying_key().to_bytes();
    let header = |epoch: u32| BundleHeader { case, doc: DocKind::Analysis, epoch, author: me, seq: 1, prev: [0; 32] };
    let run = |signer: &SigningKey, bundle: SealedBundle| WireRun {
        head: SignedHead::sign(signer, case, DocKind::Analysis, 1, bundle.chain_hash()).encode(),
        bundles: vec![serde_bytes::ByteBuf::from(bundle.into_bytes())],
    };
    let push = |runs: Vec<WireRun>| SyncRequest::Push {
        case,
        ledger: vec![],
        ledger_from: 3,
        ledger_len: 3,
        runs,
        audit: vec![],
    };
    let refused = |r: SyncResponse| match r {
        SyncResponse::Ack { refused } => refused.join("; "),
        other => format!("{other:?}"),
    };
    let before = export(&ac, case, DocKind::Analysis).await.unwrap();
    let eva_key = eva.signing_key().clone();

    // Each bad run from Eva's node (a member) to the lead's, with the reason expected in the refusal.
    let good = SealedBundle::seal(&key, header(1), &changes(&me, "a legitimate entry"), [1; 24]).unwrap();
    let mut tampered_ct = good.bytes().to_vec();
    let n = tampered_ct.len();
    tampered_ct[n - 30] ^= 1;
    let tampered_ct = SealedBundle::parse(tampered_ct).unwrap();
    let wrong_key = BundleKey::derive(&EpochKey(zeroize::Zeroizing::new([7; 32])), &case, DocKind::Analysis, 1);
    let stranger = SigningKey::from_bytes(&[42; 32]);
    let mut forged_head = run(&eva_key, good.clone());
    forged_head.head = {
        let mut h = SignedHead::sign(&stranger, case, DocKind::Analysis, 1, good.chain_hash()).encode();
        h[18..50].copy_from_slice(&me); // claims Eva as the author, signed by someone else
        h
    };
    let mut oversized = good.bytes()[..118].to_vec();
    let big = 4 * 1024 * 1024 + 1024;
    oversized.extend_from_slice(&(big as u32 + 16).to_be_bytes());
    oversized.resize(122 + big + 16, 0);
    let oversized =
        WireRun { bundles: vec![serde_bytes::ByteBuf::from(oversized)], head: run(&eva_key, good.clone()).head };
    let cases: Vec<(&str, WireRun)> = vec![
        ("bad signature", forged_head),
        ("does not decrypt", run(&eva_key, tampered_ct)),
        (
            "does not decrypt",
            run(&eva_key, SealedBundle::seal(&wrong_key, header(1), &changes(&me, "w"), [2; 24]).unwrap()),
        ),
        ("unknown epoch 9", run(&eva_key, SealedBundle::seal(&key, header(9), &changes(&me, "e9"), [3; 24]).unwrap())),
        (
            "attributed to someone other",
            run(&eva_key, SealedBundle::seal(&key, header(1), &changes(&[1; 32], "as someone else"), [4; 24]).unwrap()),
        ),
        ("exceeds the limit", oversized),
    ];
    for (reason, bad) in cases {
        let answer = refused(ec.raw_sync(a.peer_id, push(vec![bad])).await.unwrap());
        assert!(answer.contains(reason), "expected `{reason}`, got `{answer}`");
    }
    assert_eq!(export(&ac, case, DocKind::Analysis).await.unwrap(), before, "nothing was applied");

    // The good run is taken; then a different seq 1, correctly signed by Eva, is equivocation.
    assert_eq!(refused(ec.raw_sync(a.peer_id, push(vec![run(&eva_key, good)])).await.unwrap()), "");
    assert!(has_entry(&ac, case, "a legitimate entry").await);
    let other = SealedBundle::seal(&key, header(1), &changes(&me, "another history"), [5; 24]).unwrap();
    let answer = refused(ec.raw_sync(a.peer_id, push(vec![run(&eva_key, other)])).await.unwrap());
    assert!(answer.contains("equivocation"), "got `{answer}`");
    assert!(!has_entry(&ac, case, "another history").await);

    // A supervisor's well-formed, correctly signed bundle for the analysis, from a modified client.
    let sup = s.identity();
    let sup_me = sup.verifying_key().to_bytes();
    let sup_header = BundleHeader { author: sup_me, ..header(1) };
    let sup_bundle = SealedBundle::seal(&key, sup_header, &changes(&sup_me, "supervisor writes"), [6; 24]).unwrap();
    let answer = refused(sc.raw_sync(a.peer_id, push(vec![run(sup.signing_key(), sup_bundle)])).await.unwrap());
    assert!(answer.contains("may not write"), "got `{answer}`");

    // Sync of the rest goes on: the lead's edit reaches Eva (with the bundle injected in her name, which her
    // node adopts as its own chain), and then Eva's own next edit reaches the lead.
    add(&ac, case, EntityKind::Timeline, json!({"what": "lead after the bad bundles"})).await;
    wait_for(LIMIT, "the lead's edit still syncs", || has_entry(&ec, case, "lead after the bad bundles")).await;
    wait_for(LIMIT, "Eva's node holds the bundle made in her name", || has_entry(&ec, case, "a legitimate entry"))
        .await;
    add(&ec, case, EntityKind::Timeline, json!({"what": "after the bad bundles"})).await;
    wait_for(LIMIT, "Eva's edit still syncs", || has_entry(&ac, case, "after the bad bundles")).await;
    assert!(!has_entry(&ac, case, "supervisor writes").await);

    // A document that fails to decrypt locally is reported, refused for edits, and never replaced.
    e.stop().await;
    let garbage = b"not a snapshot: the disk was modified".to_vec();
    {
        let mut store = samenloop_node::store::Store::open(&e.home.db_path()).unwrap();
        assert!(store.snapshot(&case, DocKind::Analysis).unwrap().is_some(), "a snapshot was made at shutdown");
        samenloop_node::cases::rows::CaseDisk::commit(
            &mut store,
            &samenloop_node::cases::rows::write::snapshot(&case, DocKind::Analysis, garbage.clone(), &[]),
        )
        .unwrap();
    }
    e.start(seed.clone(), |_| {}).await;
    let ec = e.client();
    let shown = ec.case(CaseCommand::Show { case }).await.unwrap();
    assert!(shown["documents"]["analysis"].as_str().unwrap().starts_with("unreadable"), "{shown}");
    assert_eq!(shown["documents"]["notes"], "ok", "the other document still loads");
    let err =
        ec.case(CaseCommand::Add { case, entity: EntityKind::Timeline, fields: fields(json!({"what": "x"})) }).await;
    assert!(err.unwrap_err().to_string().contains("cannot be read on this node"));
    add(&ac, case, EntityKind::Timeline, json!({"what": "while Eva's copy is unreadable"})).await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    e.stop().await;
    let store = samenloop_node::store::Store::open(&e.home.db_path()).unwrap();
    assert_eq!(store.snapshot(&case, DocKind::Analysis).unwrap(), Some(garbage), "left as it was");
    drop(store);
    for n in [&mut a, &mut e, &mut s] {
        n.stop().await;
    }
}

/// A reviewer whose node is down when invited receives the case once it is back, without anyone editing, and
/// its history as a snapshot rather than as hundreds of bundles.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_offline_invitee_gets_the_case_and_its_history_when_back() {
    let (_tmp, root) = temp_root();
    let mut a = TestNode::create(&root.join("lead"));
    let mut b = TestNode::create(&root.join("bram"));
    a.start(vec![], |_| {}).await;
    let seed = a.addrs().await;
    b.start(seed.clone(), |_| {}).await;
    a.client().set_profile(sample_update(0)).await.unwrap();
    b.client().set_profile(sample_update(1)).await.unwrap();
    let ac = a.client();
    let peer = b.peer_id;
    wait_for(LIMIT, "profile", || async { ac.profile(peer).await.is_ok() }).await;
    b.stop().await;
    let opened = ac.case(CaseCommand::Open { title: Some("Case while away".into()), referral: None }).await.unwrap();
    let case: CaseId = opened["id"].as_str().unwrap().parse().unwrap();
    ac.case(CaseCommand::Invite { case, peer: peer.to_string(), role: Role::CoReviewer }).await.unwrap();
    // Enough history that the lead snapshots it and serves the returning member a snapshot, not bundles.
    let items: Vec<Map<String, Value>> = (0..2_000)
        .map(|i| {
            fields(
                json!({"date": "2024-05-01", "what": format!("Imported contact {i} with the family and the school")}),
            )
        })
        .collect();
    ac.case(CaseCommand::Import { case, entity: EntityKind::Timeline, items }).await.unwrap();
    b.start(seed.clone(), |_| {}).await;
    let bc = b.client();
    wait_for(LIMIT, "the invitation and the history arrive after the restart", || async {
        export(&bc, case, DocKind::Analysis).await.is_ok_and(|v| v["title"] == "Case while away")
            && timeline(&bc, case).await.len() == 2_000
    })
    .await;
    let stats = bc.sync_stats().await.unwrap();
    let whole: usize = {
        let v = ac
            .case(CaseCommand::Export { case, doc: DocKind::Analysis, format: ExportFormat::Automerge })
            .await
            .unwrap();
        v["automerge_hex"].as_str().unwrap().len() / 2
    };
    assert!(
        (stats.payload_bytes_received as usize) < 2 * whole,
        "served as a snapshot: {} bytes received for a {whole}-byte document",
        stats.payload_bytes_received
    );
    // It survives a restart of the member (loaded from its own snapshot) and keeps syncing.
    b.stop().await;
    b.start(vec![], |_| {}).await;
    let bc = b.client();
    assert_eq!(timeline(&bc, case).await.len(), 2_000);
    a.stop().await;
    b.stop().await;
}

/// Removal: new edits reach the remaining members and are undecryptable for the removed one, whose writes
/// are refused; a member invited afterwards reads the whole history; the lead role can be handed over.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn removing_a_member_rotates_keys() {
    use samenloop_protocol::cases::bundle::{BundleKey, SealedBundle};
    use samenloop_protocol::cases::ledger::EpochKey;

    let (_tmp, root) = temp_root();
    let names = ["lead", "bram", "chantal", "late"];
    let (n, c, _) = team(&root, &names).await;
    let case = open_case(&c[0], "Case").await;
    for node in &n[1..3] {
        c[0].case(CaseCommand::Invite { case, peer: node.peer_id.to_string(), role: Role::CoReviewer }).await.unwrap();
    }
    wait_for(LIMIT, "Chantal has the case", || async { export(&c[2], case, DocKind::Analysis).await.is_ok() }).await;
    add(&c[2], case, EntityKind::Timeline, json!({"what": "before removal, by Chantal"})).await;
    wait_for(LIMIT, "everyone has the first entry", || async {
        has_entry(&c[0], case, "before removal").await && has_entry(&c[1], case, "before removal").await
    })
    .await;
    let old_key = c[2].epoch_key(case, DocKind::Analysis).await.unwrap();

    // A non-lead cannot remove anyone.
    let err = c[1].case(CaseCommand::RemoveMember { case, peer: n[2].peer_id.to_string() }).await.unwrap_err();
    assert!(err.to_string().contains("only the lead"), "{err}");
    // Chantal's node is cut off while the lead removes her, so it writes on, unaware.
    let all: Vec<&TestNode> = n.iter().collect();
    partition(&all, 2, true).await;
    c[0].case(CaseCommand::RemoveMember { case, peer: n[2].peer_id.to_string() }).await.unwrap();
    wait_for(LIMIT, "Bram sees the removal", || async {
        c[1].case(CaseCommand::Members { case }).await.is_ok_and(|m| m.as_array().is_some_and(|a| a.len() == 2))
    })
    .await;
    assert_ne!(c[1].epoch_key(case, DocKind::Analysis).await.unwrap(), old_key, "Bram has the new key");

    add(&c[0], case, EntityKind::Timeline, json!({"what": "after removal, by the lead"})).await;
    wait_for(LIMIT, "the remaining member gets the new edit", || has_entry(&c[1], case, "after removal")).await;
    add(&c[2], case, EntityKind::Timeline, json!({"what": "written after removal"})).await;

    // Back in touch, her node is told, verifiably (the ledger up to her removal and nothing after): it stops
    // syncing and refuses her edits; what she wrote meanwhile reaches no one.
    partition(&all, 2, false).await;
    wait_for(LIMIT, "Chantal's node learns it was removed", || async {
        c[2].case(CaseCommand::Show { case }).await.is_ok_and(|v| v["removed"] == true && v["role"].is_null())
    })
    .await;
    let err = c[2]
        .case(CaseCommand::Add { case, entity: EntityKind::Timeline, fields: fields(json!({"what": "once told"})) })
        .await
        .unwrap_err();
    assert!(err.to_string().contains("you were removed"), "{err}");
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert!(!has_entry(&c[0], case, "written after removal").await, "the removed member's writes are refused");
    // Asked by her node, the lead answers the ledger up to the removal: no bundle, snapshot or audit entry.
    let pulled = c[2]
        .raw_sync(n[0].peer_id, SyncRequest::Pull { case, ledger_len: 0, docs: vec![], audit: vec![] })
        .await
        .unwrap();
    let SyncResponse::Delta { ledger, runs, snapshots, audit, .. } = pulled else { panic!("told: {pulled:?}") };
    assert!(runs.is_empty() && snapshots.is_empty() && audit.is_empty());
    assert_eq!(ledger.len(), 4, "open, two invitations, her removal");
    let as_bram = c[1]
        .raw_sync(n[0].peer_id, SyncRequest::Pull { case, ledger_len: 0, docs: vec![], audit: vec![] })
        .await
        .unwrap();
    let SyncResponse::Delta { runs, snapshots, .. } = as_bram else { panic!("Bram is served") };
    let old = BundleKey::derive(&EpochKey(zeroize::Zeroizing::new(old_key)), &case, DocKind::Analysis, 1);
    let mut new_epoch = 0;
    for b in runs.iter().flat_map(|r| r.bundles.iter()) {
        let bundle = SealedBundle::parse(b.to_vec()).unwrap();
        if bundle.header().epoch == 2 {
            new_epoch += 1;
            assert!(bundle.open(&old).is_err(), "the removed member's key opens nothing new");
        }
    }
    assert!(new_epoch > 0 || !snapshots.is_empty(), "new edits are under the new epoch");
    // Chantal's node, unaware, serves her chain; pushed by her node itself to the lead, her bundle beyond the
    // frozen chain is refused for what it is: written after the removal.
    let SyncResponse::Delta { runs: hers, .. } = c[1]
        .raw_sync(n[2].peer_id, SyncRequest::Pull { case, ledger_len: 0, docs: vec![], audit: vec![] })
        .await
        .unwrap()
    else {
        panic!("Chantal's node, unaware of her removal, serves a member")
    };
    let chantal = n[2].identity().verifying_key().to_bytes();
    let late: Vec<_> = hers
        .into_iter()
        .filter(|r| {
            r.bundles.iter().any(|b| SealedBundle::parse(b.to_vec()).is_ok_and(|b| b.header().author == chantal))
        })
        .collect();
    assert!(!late.is_empty(), "Chantal's node serves her chain");
    let push = SyncRequest::Push { case, ledger: vec![], ledger_from: 0, ledger_len: 0, runs: late, audit: vec![] };
    let direct = c[2].raw_sync(n[0].peer_id, push.clone()).await.unwrap();
    assert!(matches!(direct, SyncResponse::Refused(_)), "a removed member's own push is refused: {direct:?}");
    assert!(!has_entry(&c[0], case, "written after removal").await, "and applies nothing of it");
    // Relayed by a member (as by one that took it in before it learned of the removal: protocol 7.6), it is
    // taken in, still hers: refusing it would split the case from every change built on it.
    let relayed = c[1].raw_sync(n[0].peer_id, push).await.unwrap();
    let SyncResponse::Ack { refused } = relayed else { panic!("answered: {relayed:?}") };
    assert!(refused.is_empty(), "{refused:?}");
    assert!(has_entry(&c[0], case, "written after removal").await, "relayed by a member, it stays in the history");

    // A member invited afterwards reads the whole history, across the rotation.
    c[0].case(CaseCommand::Invite { case, peer: n[3].peer_id.to_string(), role: Role::CoReviewer }).await.unwrap();
    wait_for(LIMIT, "the late member reads before and after", || async {
        has_entry(&c[3], case, "before removal, by Chantal").await && has_entry(&c[3], case, "after removal").await
    })
    .await;

    // The lead hands over to Bram, who can then change membership.
    c[0].case(CaseCommand::HandLead { case, peer: n[1].peer_id.to_string() }).await.unwrap();
    wait_for(LIMIT, "Bram leads", || async {
        c[1].case(CaseCommand::Show { case }).await.is_ok_and(|v| v["role"] == "lead")
    })
    .await;
    let err = c[0].case(CaseCommand::RemoveMember { case, peer: n[3].peer_id.to_string() }).await.unwrap_err();
    assert!(err.to_string().contains("only the lead"), "{err}");
    for mut node in n {
        node.stop().await;
    }
}

/// A supervisor reads the analysis and comments; both reviewers see the comments beside the entity; the
/// supervisor's node holds no key to the notes; a supervisor's forged analysis bundle is refused by every node.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_supervisor_reads_and_comments_but_never_sees_notes() {
    use samenloop_protocol::cases::analysis::{AnalysisDoc, TimelineEntry};
    use samenloop_protocol::cases::bundle::{BundleHeader, BundleKey, SealedBundle, SignedHead};
    use samenloop_protocol::cases::ledger::EpochKey;
    use samenloop_protocol::cases::sync::WireRun;

    let (_tmp, root) = temp_root();
    let (n, c, _) = team(&root, &["lead", "co", "sup"]).await;
    let case = open_case(&c[0], "Supervised").await;
    c[0].case(CaseCommand::Invite { case, peer: n[1].peer_id.to_string(), role: Role::CoReviewer }).await.unwrap();
    c[0].case(CaseCommand::Invite { case, peer: n[2].peer_id.to_string(), role: Role::Supervisor }).await.unwrap();
    let entry = add(&c[0], case, EntityKind::Timeline, json!({"what": "The guardian closes the file"})).await;
    add(&c[0], case, EntityKind::Note, json!({"title": "Interview", "text": NOTE_CANARY})).await;
    wait_for(LIMIT, "the supervisor reads the analysis", || has_entry(&c[2], case, "closes the file")).await;
    assert!(export(&c[2], case, DocKind::Notes).await.is_err(), "no notes on the supervisor's node");
    assert!(c[2].epoch_key(case, DocKind::Notes).await.is_err(), "no key that opens them");
    // The supervisor's own client refuses to write the analysis.
    let err =
        c[2].case(CaseCommand::Add { case, entity: EntityKind::Timeline, fields: fields(json!({"what": "x"})) }).await;
    assert!(err.unwrap_err().to_string().contains("may not write"));

    // A challenge on the entry, seen beside it by both reviewers; the lead answers and resolves it.
    wait_for(LIMIT, "the supervisor has the comments document", || async {
        export(&c[2], case, DocKind::Comments).await.is_ok()
    })
    .await;
    let comment = add(
        &c[2],
        case,
        EntityKind::Comment,
        json!({"target": entry, "target_kind": "timeline", "kind": "challenge", "text": "Hindsight: what was known then?"}),
    )
    .await;
    for cl in &c[..2] {
        wait_for(LIMIT, "reviewers see the comment beside the entry", || async {
            timeline(cl, case)
                .await
                .iter()
                .any(|e| e["comments"].as_array().is_some_and(|cs| cs.iter().any(|x| x["kind"] == "challenge")))
        })
        .await;
    }
    add(
        &c[0],
        case,
        EntityKind::Comment,
        json!({"target": entry, "kind": "answer", "text": "Rewritten", "replies_to": comment}),
    )
    .await;
    c[0].case(CaseCommand::ResolveComment { case: None, id: comment.clone(), resolved: true }).await.unwrap();
    wait_for(LIMIT, "the supervisor sees the answer and the resolution", || async {
        export(&c[2], case, DocKind::Comments).await.is_ok_and(|v| {
            let s = v.to_string();
            s.contains("Rewritten")
                && v["comments"]
                    .as_array()
                    .is_some_and(|a| a.iter().any(|x| x["id"] == comment.as_str() && x["resolved"] == true))
        })
    })
    .await;
    let listed = c[2].case(CaseCommand::ListEntities { case, entity: EntityKind::Comment }).await.unwrap();
    let challenge = listed.as_array().unwrap().iter().find(|x| x["id"] == comment.as_str()).unwrap();
    assert_eq!(challenge["author"], n[2].peer_id.to_string(), "the author is set by the node");

    // A modified supervisor client forges an analysis bundle: every reviewer's node refuses it.
    let sup = n[2].identity();
    let me = sup.verifying_key().to_bytes();
    let key_bytes = c[2].epoch_key(case, DocKind::Analysis).await.unwrap();
    let key = BundleKey::derive(&EpochKey(zeroize::Zeroizing::new(key_bytes)), &case, DocKind::Analysis, 1);
    let saved =
        c[2].case(CaseCommand::Export { case, doc: DocKind::Analysis, format: ExportFormat::Automerge }).await.unwrap();
    let mut doc = AnalysisDoc::load(&hex::decode(saved["automerge_hex"].as_str().unwrap()).unwrap(), &me).unwrap();
    let before = doc.heads();
    doc.add_timeline_entry("forged", &TimelineEntry { what: "supervisor forgery".into(), ..TimelineEntry::default() })
        .unwrap();
    let header = BundleHeader { case, doc: DocKind::Analysis, epoch: 1, author: me, seq: 1, prev: [0; 32] };
    let bundle = SealedBundle::seal(&key, header, &doc.save_after(&before), [1; 24]).unwrap();
    let run = WireRun {
        head: SignedHead::sign(sup.signing_key(), case, DocKind::Analysis, 1, bundle.chain_hash()).encode(),
        bundles: vec![serde_bytes::ByteBuf::from(bundle.into_bytes())],
    };
    for target in [&n[0], &n[1]] {
        let push = SyncRequest::Push {
            case,
            ledger: vec![],
            ledger_from: 3,
            ledger_len: 3,
            runs: vec![run.clone()],
            audit: vec![],
        };
        let SyncResponse::Ack { refused } = c[2].raw_sync(target.peer_id, push).await.unwrap() else { panic!("ack") };
        assert!(refused.join(" ").contains("may not write"), "{refused:?}");
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    for cl in &c {
        assert!(!has_entry(cl, case, "supervisor forgery").await);
    }
    for mut node in n {
        node.stop().await;
    }
    assert!(!contains_anywhere(&root.join("sup"), NOTE_CANARY.as_bytes()), "no trace of the notes at the supervisor");
}

/// Destroy with one member offline: every member's node deletes the case (the offline one when it is back),
/// nothing of it remains in any home, further sync is refused, and the record lists every confirmation.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn destroying_a_case_reaches_every_member_and_is_recorded() {
    let (_tmp, root) = temp_root();
    let (mut n, c, seed) = team(&root, &["lead", "bram", "chantal"]).await;
    let case = open_case(&c[0], "To be destroyed").await;
    for node in &n[1..] {
        c[0].case(CaseCommand::Invite { case, peer: node.peer_id.to_string(), role: Role::CoReviewer }).await.unwrap();
    }
    add(&c[0], case, EntityKind::Timeline, json!({"what": CANARY})).await;
    for cl in &c[1..] {
        wait_for(LIMIT, "members have the entry", || has_entry(cl, case, CANARY)).await;
    }
    // A ciphertext of the case, to look for afterwards: the sealed bundles' bytes must be gone too.
    let SyncResponse::Delta { runs, .. } = c[1]
        .raw_sync(n[0].peer_id, SyncRequest::Pull { case, ledger_len: 0, docs: vec![], audit: vec![] })
        .await
        .unwrap()
    else {
        panic!("served")
    };
    let sealed: Vec<u8> = runs[0].bundles[0].to_vec();
    let probe = sealed[sealed.len() - 48..sealed.len() - 16].to_vec();

    // Not before the report step, and never by a co-reviewer.
    let err = c[0].case(CaseCommand::Destroy { case, report_sha256: None }).await.unwrap_err();
    assert!(err.to_string().contains("step 5"), "{err}");
    c[0].case(CaseCommand::Step { case, step: 5, date: None }).await.unwrap();
    wait_for(LIMIT, "Bram sees step 5", || async {
        c[1].case(CaseCommand::Show { case }).await.is_ok_and(|v| v["step"] == 5)
    })
    .await;
    let err = c[1].case(CaseCommand::Destroy { case, report_sha256: None }).await.unwrap_err();
    assert!(err.to_string().contains("only the lead"), "{err}");

    // Chantal's node is down when the lead destroys the case.
    n[2].stop().await;
    c[0].case(CaseCommand::Destroy { case, report_sha256: Some("ab".repeat(32)) }).await.unwrap();
    wait_for(Duration::from_secs(20), "Bram's node destroys and confirms", || async {
        c[0].case(CaseCommand::Destruction { case })
            .await
            .is_ok_and(|r| r["confirmed"].as_array().is_some_and(|a| a.len() == 2))
    })
    .await;
    assert!(c[1].case(CaseCommand::Show { case }).await.is_err(), "gone from Bram's node");
    let record = c[0].case(CaseCommand::Destruction { case }).await.unwrap();
    assert_eq!(record["missing"].as_array().unwrap().len(), 1, "Chantal has not confirmed yet");
    // Further sync is refused with the destroy operation; nothing of the case is served.
    let asked = c[1]
        .raw_sync(n[0].peer_id, SyncRequest::Pull { case, ledger_len: 0, docs: vec![], audit: vec![] })
        .await
        .unwrap();
    assert!(matches!(asked, SyncResponse::Destroyed { .. }));

    // Chantal comes back: her node learns of it, deletes everything and confirms.
    n[2].start(seed.clone(), |_| {}).await;
    let cc = n[2].client();
    wait_for(Duration::from_secs(20), "Chantal's node confirms", || async {
        c[0].case(CaseCommand::Destruction { case })
            .await
            .is_ok_and(|r| r["missing"].as_array().is_some_and(Vec::is_empty))
    })
    .await;
    assert!(cc.case(CaseCommand::Show { case }).await.is_err());
    let record = c[0].case(CaseCommand::Destruction { case }).await.unwrap();
    assert_eq!(record["confirmed"].as_array().unwrap().len(), 3, "every member's node confirmed: {record}");

    for node in n.iter_mut() {
        node.stop().await;
    }
    for node in &n {
        assert!(!contains_anywhere(node.home.root(), CANARY.as_bytes()));
        assert!(!contains_anywhere(node.home.root(), &probe), "a sealed bundle of the case survived in a home");
        let store = samenloop_node::store::Store::open(&node.home.db_path()).unwrap();
        for doc in DocKind::ALL {
            assert!(store.bundles(&case, doc).unwrap().is_empty());
            assert!(store.snapshot(&case, doc).unwrap().is_none());
        }
        assert!(store.ledger_ops(&case).unwrap().is_empty());
    }
}

/// The audit trail: a co-reviewer's export and the lead's report (with the identifier it overrode) reach
/// both members' trails; a rewritten or cut-off trail fails verification and says where, and blocks exports;
/// after destruction the lead's node still shows the whole trail, archived without keys.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_audit_trail_records_who_did_what_and_catches_tampering() {
    use samenloop_node::cases::commands::CaseCommand::{Audit, Report};
    use sha2::Digest;
    let (_tmp, root) = temp_root();
    // Bram's node is the bootstrap, so the lead's node can restart on a fresh port and find him again.
    let (mut n, c, seed) = team(&root, &["bram", "lead"]).await;
    let (bc, lc) = (&c[0], &c[1]);
    let case = open_case(lc, "Audited").await;
    lc.case(CaseCommand::Invite { case, peer: n[0].peer_id.to_string(), role: Role::CoReviewer }).await.unwrap();
    add(lc, case, EntityKind::Timeline, json!({"what": "Call to 06-12345678 about the child"})).await;
    wait_for(LIMIT, "Bram has the entry", || has_entry(bc, case, "Call to")).await;

    let exported = export(bc, case, DocKind::Analysis).await.unwrap();
    let report =
        |allow: Vec<String>| lc.case(Report { case, format: "md".into(), allow, follow_up: None, preview: false });
    assert!(report(vec![]).await.unwrap()["report"].is_null(), "blocked by the phone number");
    let drawn = report(vec!["06-12345678".into()]).await.unwrap();
    let text = drawn["report"].as_str().unwrap().to_string();

    let kinds = |v: &Value| -> Vec<String> {
        v["entries"].as_array().into_iter().flatten().map(|e| e["kind"].as_str().unwrap_or("").to_string()).collect()
    };
    for (who, cl) in [("the lead", lc), ("Bram", bc)] {
        wait_for(LIMIT, &format!("{who}'s trail holds the export and the report"), || async {
            cl.case(Audit { case }).await.is_ok_and(|v| {
                let k = kinds(&v);
                k.contains(&"exported".to_string()) && k.contains(&"reported".to_string())
            })
        })
        .await;
    }
    let trail = lc.case(Audit { case }).await.unwrap();
    assert_eq!(trail["verified"], true, "{trail}");
    // Lines are in time order (seconds); two members' entries within one second may come in either order.
    let mut k = kinds(&trail);
    k[2..].sort();
    assert_eq!(k, ["opened", "invited", "exported", "reported"]);
    let entries = trail["entries"].as_array().unwrap();
    let line = |kind: &str| entries.iter().find(|e| e["kind"] == kind).unwrap().clone();
    assert_eq!(line("exported")["actor"]["peer"], n[0].peer_id.to_string(), "Bram exported");
    let export_digest = hex::encode(sha2::Sha256::digest(serde_json::to_vec_pretty(&exported).unwrap()));
    assert_eq!(line("exported")["detail"]["sha256"], export_digest, "the digest of the exported bytes");
    assert_eq!(line("reported")["actor"]["peer"], n[1].peer_id.to_string());
    assert_eq!(line("reported")["detail"]["sha256"], hex::encode(sha2::Sha256::digest(text.as_bytes())));
    assert_eq!(line("reported")["detail"]["overrides"][0]["kind"], "phone number", "{trail}");
    assert!(!trail.to_string().contains("06-12345678"), "the overridden identifier itself is not in the trail");

    // Someone holding the lead's passphrase rewrites Bram's entry in the lead's store while the node is down.
    let bram = n[0].identity().verifying_key().to_bytes();
    let lead = n[1].identity().verifying_key().to_bytes();
    let vault = samenloop_node::vault::Vault::of(&n[1].identity());
    let db = n[1].home.db_path();
    let stored = |author: &[u8; 32]| {
        let store = samenloop_node::store::Store::open(&db).unwrap();
        let key = samenloop_node::cases::rows::audit_key(&case, author, 0);
        store.audit_entries(&case).unwrap().into_iter().find(|(k, _)| k.as_slice() == key).unwrap().1
    };
    n[1].stop().await;
    let (bram_sealed, lead_sealed) = (stored(&bram), stored(&lead));
    let bram_key = samenloop_node::cases::rows::audit_key(&case, &bram, 0);
    let mut plain = vault.open("case_audit", &bram_key, &bram_sealed).unwrap().to_vec();
    plain[45] ^= 1;
    let store = samenloop_node::store::Store::open(&n[1].home.db_path()).unwrap();
    store.replace_audit_entry(&case, &bram, 0, &vault.seal("case_audit", &bram_key, &plain)).unwrap();
    drop(store);
    n[1].start(seed.clone(), |_| {}).await;
    let lc = n[1].client();
    let trail = lc.case(Audit { case }).await.unwrap();
    assert_eq!(trail["verified"], false);
    let problem = trail["problem"].as_str().unwrap();
    assert!(problem.contains(&format!("audit entry 0 of {}", n[0].peer_id)), "{problem}");
    assert!(problem.contains("signature"), "{problem}");
    let err = export(&lc, case, DocKind::Analysis).await.unwrap_err();
    assert!(err.to_string().contains("audit trail"), "no export while the trail is broken: {err}");

    // Put it back, and cut the lead's own entry off the end instead: only the checkpoint can tell.
    n[1].stop().await;
    let store = samenloop_node::store::Store::open(&n[1].home.db_path()).unwrap();
    store.replace_audit_entry(&case, &bram, 0, &bram_sealed).unwrap();
    store.remove_audit_entry(&case, &lead, 0).unwrap();
    drop(store);
    n[1].start(seed.clone(), |_| {}).await;
    let lc = n[1].client();
    tokio::time::sleep(Duration::from_secs(1)).await; // Bram's node offers the entry again: it is not taken.
    let trail = lc.case(Audit { case }).await.unwrap();
    let problem = trail["problem"].as_str().unwrap();
    assert!(problem.contains(&format!("the entries of {} ends after 0 entries", n[1].peer_id)), "{problem}");
    assert!(problem.contains("truncated"), "{problem}");

    // Restored, it verifies again; then the case ends and the lead's node keeps the trail.
    n[1].stop().await;
    let store = samenloop_node::store::Store::open(&n[1].home.db_path()).unwrap();
    store.replace_audit_entry(&case, &lead, 0, &lead_sealed).unwrap();
    drop(store);
    n[1].start(seed.clone(), |_| {}).await;
    let lc = n[1].client();
    assert_eq!(lc.case(Audit { case }).await.unwrap()["verified"], true);
    lc.case(CaseCommand::Step { case, step: 5, date: None }).await.unwrap();
    let digest = hex::encode(sha2::Sha256::digest(text.as_bytes()));
    wait_for(LIMIT, "Bram sees step 5", || async {
        bc.case(CaseCommand::Show { case }).await.is_ok_and(|v| v["step"] == 5)
    })
    .await;
    lc.case(CaseCommand::Destroy { case, report_sha256: Some(digest.clone()) }).await.unwrap();
    wait_for(Duration::from_secs(20), "Bram's node confirms", || async {
        lc.case(CaseCommand::Destruction { case })
            .await
            .is_ok_and(|r| r["missing"].as_array().is_some_and(Vec::is_empty))
    })
    .await;
    let trail = lc.case(Audit { case }).await.unwrap();
    assert_eq!(trail["verified"], true, "{trail}");
    assert_eq!(trail["destroyed"], true);
    let mut k = kinds(&trail);
    k[2..4].sort();
    assert_eq!(k, ["opened", "invited", "exported", "reported", "destroyed", "confirmed", "confirmed"]);
    assert_eq!(trail["entries"][4]["detail"]["report_sha256"], digest);
    let err = bc.case(Audit { case }).await.unwrap_err();
    assert!(err.to_string().contains("lead's node"), "{err}");
    for node in n.iter_mut() {
        node.stop().await;
    }
}
