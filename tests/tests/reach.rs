//! Reaching reviewers who cannot be dialled: through a relay, and through a mailbox while they are away.
//!
//! In-process, on loopback: nodes that listen on no address of their own can be reached only through a
//! relay reservation, which is the situation of a laptop behind a home router. The network-namespace suite
//! (`tests/netns/`) runs the same flows behind real NAT routers.

use std::path::Path;
use std::time::Duration;

use samenloop_node::Client;
use samenloop_node::cases::commands::{CaseCommand, EntityKind};
use samenloop_node::config::ReservePolicy;
use samenloop_protocol::cases::ledger::{CaseId, Role};
use samenloop_tests::{TestNode, sample_update, temp_root, wait_for};
use serde_json::{Value, json};

const LIMIT: Duration = Duration::from_secs(30);
const CANARY: &str = "canary-5c0e-the-school-raised-concerns-twice";

async fn add(c: &Client, case: CaseId, what: &str) {
    let mut fields = serde_json::Map::new();
    fields.insert("what".into(), json!(what));
    c.case(CaseCommand::Add { case, entity: EntityKind::Timeline, fields }).await.expect("add");
}

async fn entries(c: &Client, case: CaseId) -> Vec<String> {
    match c.case(CaseCommand::ListEntities { case, entity: EntityKind::Timeline }).await {
        Ok(Value::Array(a)) => a.iter().filter_map(|e| e["what"].as_str().map(String::from)).collect(),
        _ => Vec::new(),
    }
}

async fn has_all(c: &Client, case: CaseId, whats: Vec<String>) -> bool {
    let held = entries(c, case).await;
    whats.iter().all(|w| held.contains(w))
}

/// Items this node's mailboxes confirmed holding so far.
async fn deposited(c: &Client) -> u64 {
    c.status().await.map(|s| s.mail.deposited).unwrap_or(0)
}

/// Waits until `c` has deposited more than `before` items and none waits.
async fn wait_deposited(c: &Client, before: u64, what: &str) {
    wait_for(LIMIT, what, || async {
        c.status().await.is_ok_and(|s| s.mail.deposited > before && s.mail.waiting == 0)
    })
    .await;
}

async fn open_case(lead: &Client) -> CaseId {
    let opened = lead.case(CaseCommand::Open { title: Some("Reach".into()), referral: None }).await.unwrap();
    opened["id"].as_str().unwrap().parse().unwrap()
}

fn contains_anywhere(path: &Path, needle: &[u8]) -> bool {
    if path.is_dir() {
        return std::fs::read_dir(path).is_ok_and(|d| d.flatten().any(|e| contains_anywhere(&e.path(), needle)));
    }
    std::fs::read(path).is_ok_and(|b| b.windows(needle.len()).any(|w| w == needle))
}

/// A mailbox node and two reviewers (lead, member) bootstrapped from it, with published profiles, once each
/// holds the other's profile naming the mailbox. Returns them and the mailbox's addresses.
async fn mailbox_and_pair(
    root: &Path,
    mailbox_config: impl FnOnce(&mut samenloop_node::NodeConfig),
) -> (TestNode, TestNode, TestNode, Vec<libp2p::Multiaddr>) {
    let mut mailbox = TestNode::create(&root.join("mailbox"));
    mailbox.start(vec![], mailbox_config).await;
    let seed = mailbox.addrs().await;
    let mut lead = TestNode::create(&root.join("lead"));
    let mut member = TestNode::create(&root.join("member"));
    lead.start(seed.clone(), |_| {}).await;
    member.start(seed.clone(), |_| {}).await;
    lead.client().set_profile(sample_update(0)).await.unwrap();
    member.client().set_profile(sample_update(1)).await.unwrap();
    let (lc, mc) = (lead.client(), member.client());
    let (lead_id, member_id) = (lead.peer_id, member.peer_id);
    wait_for(LIMIT, "profiles naming the mailbox", || async {
        lc.profile(member_id).await.is_ok_and(|p| !p.mailboxes.is_empty())
            && mc.profile(lead_id).await.is_ok_and(|p| !p.mailboxes.is_empty())
    })
    .await;
    (mailbox, lead, member, seed)
}

/// Two reviewers who listen on no address (nobody can dial them) reserve a slot on the network's relay, find
/// each other's profiles through it, and co-edit a case over a relayed connection.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reviewers_nobody_can_dial_co_edit_through_a_relay() {
    let (_tmp, root) = temp_root();
    let mut relay = TestNode::create(&root.join("relay"));
    relay.start(vec![], |c| c.reach.relay = true).await;
    relay.client().set_profile(sample_update(9)).await.unwrap();
    let seed = relay.addrs().await;
    let mut homes = [TestNode::create(&root.join("anna")), TestNode::create(&root.join("bram"))];
    for (i, n) in homes.iter_mut().enumerate() {
        n.start(seed.clone(), |c| {
            c.listen = Vec::new();
            c.reach.reserve = ReservePolicy::Always;
        })
        .await;
        n.client().set_profile(sample_update(i)).await.unwrap();
    }
    let (a, b) = (homes[0].client(), homes[1].client());
    for c in [&a, &b] {
        wait_for(LIMIT, "a reservation on the relay", || async {
            c.status().await.is_ok_and(|s| !s.reach.relayed_via.is_empty())
        })
        .await;
    }
    let bram = homes[1].peer_id;
    wait_for(LIMIT, "Anna holds Bram's profile naming the relay", || async {
        a.profile(bram).await.is_ok_and(|p| !p.relays.is_empty())
    })
    .await;
    let case = open_case(&a).await;
    a.case(CaseCommand::Invite { case, peer: bram.to_string(), role: Role::CoReviewer }).await.unwrap();
    add(&a, case, CANARY).await;
    let took = wait_for(LIMIT, "Bram has the entry", || has_all(&b, case, vec![CANARY.to_string()])).await;
    let status = b.status().await.unwrap();
    assert!(
        status.reach.relayed_peers.contains(&homes[0].peer_id.to_string()),
        "Bram reaches Anna through the relay only: {:?}",
        status.reach
    );
    eprintln!("relayed: invitation and first entry arrived after {took:?}");
    // And back: Bram's edit reaches Anna over the same circuit.
    add(&b, case, "Bram's entry").await;
    wait_for(LIMIT, "Anna has Bram's entry", || has_all(&a, case, vec!["Bram's entry".to_string()])).await;

    for n in homes.iter_mut() {
        n.stop().await;
    }
    relay.stop().await;
    assert!(!contains_anywhere(relay.home.root(), CANARY.as_bytes()), "the relay's home holds case content");
}

/// The co-reviewer is away while the lead edits, then the lead is away; the co-reviewer comes back and has
/// every edit from the mailbox alone. The mailbox restarts in between and loses nothing, and its store holds
/// no case id, no peer id and no content.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn edits_reach_a_member_who_was_away_through_the_mailbox_alone() {
    let (_tmp, root) = temp_root();
    let (mut mailbox, mut lead, mut member, _) = mailbox_and_pair(&root, |c| c.reach.mailbox = true).await;
    let (lc, mc) = (lead.client(), member.client());
    let member_id = member.peer_id;
    let case = open_case(&lc).await;
    lc.case(CaseCommand::Invite { case, peer: member_id.to_string(), role: Role::CoReviewer }).await.unwrap();
    add(&lc, case, "before").await;
    wait_for(LIMIT, "the member has the first entry", || has_all(&mc, case, vec!["before".into()])).await;

    member.stop().await;
    let before = deposited(&lc).await;
    let mut away: Vec<String> = (0..5).map(|i| format!("{CANARY} while away {i}")).collect();
    for what in &away {
        add(&lc, case, what).await;
    }
    wait_deposited(&lc, before + 4, "the lead deposited every edit").await;
    lead.stop().await;

    // The mailbox restarts: what it acknowledged is still there.
    let at = mailbox.addrs().await;
    mailbox.stop().await;
    let mailbox_store = mailbox.home.root().join("mailbox.redb");
    let stored = std::fs::read(&mailbox_store).unwrap();
    for (what, needle) in [
        ("the case id", case.0.to_vec()),
        ("the case id in hex", case.to_string().into_bytes()),
        ("the member's peer id", member_id.to_bytes()),
        ("the lead's peer id", lead.peer_id.to_bytes()),
        ("the member's peer id as text", member_id.to_string().into_bytes()),
        ("the canary", CANARY.as_bytes().to_vec()),
    ] {
        assert!(!stored.windows(needle.len()).any(|w| w == needle), "the mailbox's store holds {what}");
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(&mailbox_store).unwrap().permissions().mode() & 0o777, 0o600);
    }
    mailbox.start_on(&at, |c| c.reach.mailbox = true).await;

    member.start(at, |_| {}).await;
    let mc = member.client();
    away.insert(0, "before".into());
    let took =
        wait_for(LIMIT, "the member has every edit, from the mailbox", || has_all(&mc, case, away.clone())).await;
    eprintln!("mailbox: every edit back after {took:?}");
    let status = mc.status().await.unwrap();
    assert!(status.mail.taken >= 5, "{:?}", status.mail);
    assert!(!status.connected_peers.contains(&lead.peer_id.to_string()), "the lead was away all along");
    member.stop().await;
    mailbox.stop().await;
    assert!(!contains_anywhere(mailbox.home.root(), CANARY.as_bytes()), "the mailbox's home holds case content");
}

/// The lead destroys the case while a member is away; the member's node destroys it when it comes back (the
/// lead being away by then), and its confirmation reaches the lead through the mailbox too.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn destruction_and_its_confirmation_travel_through_the_mailbox() {
    let (_tmp, root) = temp_root();
    let (mut mailbox, mut lead, mut member, seed) = mailbox_and_pair(&root, |c| c.reach.mailbox = true).await;
    let member_id = member.peer_id;
    let (lc, mc) = (lead.client(), member.client());
    let case = open_case(&lc).await;
    lc.case(CaseCommand::Invite { case, peer: member_id.to_string(), role: Role::CoReviewer }).await.unwrap();
    add(&lc, case, CANARY).await;
    wait_for(LIMIT, "the member has the entry", || has_all(&mc, case, vec![CANARY.into()])).await;
    lc.case(CaseCommand::Step { case, step: 5, date: None }).await.unwrap();
    wait_for(LIMIT, "the member sees step 5", || async {
        mc.case(CaseCommand::Show { case }).await.is_ok_and(|v| v["step"] == 5)
    })
    .await;

    member.stop().await;
    let before = deposited(&lc).await;
    lc.case(CaseCommand::Destroy { case, report_sha256: Some("ab".repeat(32)) }).await.unwrap();
    wait_deposited(&lc, before, "the lead deposited the destruction").await;
    lead.stop().await;

    member.start(seed.clone(), |_| {}).await;
    let mc = member.client();
    wait_for(LIMIT, "the member's node destroyed the case", || async {
        mc.case(CaseCommand::Show { case }).await.is_err()
    })
    .await;
    wait_deposited(&mc, 0, "the member's confirmation is deposited").await;
    member.stop().await;

    lead.start(seed.clone(), |_| {}).await;
    let lc = lead.client();
    wait_for(LIMIT, "the lead holds every confirmation", || async {
        lc.case(CaseCommand::Destruction { case })
            .await
            .is_ok_and(|r| r["missing"].as_array().is_some_and(Vec::is_empty))
    })
    .await;
    lead.stop().await;
    mailbox.stop().await;
    assert!(!contains_anywhere(member.home.root(), CANARY.as_bytes()));
}

/// A full mailbox refuses a deposit with its reason; the sender keeps the item and deposits it once there is
/// room again, so nothing is lost.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_mailbox_refuses_and_the_sender_keeps_the_item() {
    let (_tmp, root) = temp_root();
    let tiny = |c: &mut samenloop_node::NodeConfig| {
        c.reach.mailbox = true;
        c.reach.mailbox_limits.capacity_bytes = 512; // less than the smallest padded item
    };
    let (mut mailbox, mut lead, mut member, seed) = mailbox_and_pair(&root, tiny).await;
    let member_id = member.peer_id;
    let (lc, mc) = (lead.client(), member.client());
    let case = open_case(&lc).await;
    lc.case(CaseCommand::Invite { case, peer: member_id.to_string(), role: Role::CoReviewer }).await.unwrap();
    wait_for(LIMIT, "the member has the case", || async { mc.case(CaseCommand::Show { case }).await.is_ok() }).await;
    member.stop().await;
    let before = deposited(&lc).await;
    add(&lc, case, "kept by the sender").await;
    wait_for(LIMIT, "the mailbox refuses: full", || async {
        lc.status().await.is_ok_and(|s| s.mail.refused >= 1 && s.mail.waiting >= 1)
    })
    .await;
    // Room again: the kept item is deposited on the sender's next try.
    mailbox.restart_in_place(|c| c.reach.mailbox = true).await;
    wait_deposited(&lc, before, "the kept item is deposited").await;
    lead.stop().await;
    member.start(seed.clone(), |_| {}).await;
    let mc = member.client();
    wait_for(LIMIT, "the member has the entry from the mailbox", || {
        has_all(&mc, case, vec!["kept by the sender".into()])
    })
    .await;
    member.stop().await;
    mailbox.stop().await;
}

/// A member invited while away to a case with a long history (a snapshot rather than single edits) gets all
/// of it from the mailbox, the lead being away by then.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_member_invited_while_away_gets_a_long_case_from_the_mailbox() {
    let (_tmp, root) = temp_root();
    let (mut mailbox, mut lead, mut member, seed) = mailbox_and_pair(&root, |c| c.reach.mailbox = true).await;
    let member_id = member.peer_id;
    let lc = lead.client();
    let case = open_case(&lc).await;
    let items: Vec<serde_json::Map<String, Value>> = (0..600)
        .map(|i| {
            let mut m = serde_json::Map::new();
            m.insert("what".into(), json!(format!("Entry {i}: a home visit, a call or a meeting")));
            m
        })
        .collect();
    lc.case(CaseCommand::Import { case, entity: EntityKind::Timeline, items }).await.unwrap();
    member.stop().await;
    let before = deposited(&lc).await;
    lc.case(CaseCommand::Invite { case, peer: member_id.to_string(), role: Role::CoReviewer }).await.unwrap();
    wait_deposited(&lc, before, "the lead deposited the case for the member").await;
    lead.stop().await;
    member.start(seed, |_| {}).await;
    let mc = member.client();
    wait_for(LIMIT, "the member holds all 600 entries, from the mailbox", || async {
        mc.case(CaseCommand::Show { case }).await.is_ok_and(|v| v["timeline_entries"] == 600)
    })
    .await;
    member.stop().await;
    mailbox.stop().await;
}

/// A municipality (no profile of its own) refers a request to a reviewer who is away: it shows as left at
/// the reviewer's mailbox; the reviewer, back while the municipality is away, gets it from the mailbox and
/// accepts, and the acceptance reaches the municipality through the same mailbox.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_referral_and_its_acceptance_travel_through_the_mailbox() {
    use samenloop_protocol::referrals::referral::{Answer, ReferralState};
    let (_tmp, root) = temp_root();
    let mut mailbox = TestNode::create(&root.join("mailbox"));
    mailbox.start(vec![], |c| c.reach.mailbox = true).await;
    let seed = mailbox.addrs().await;
    let mut reviewer = TestNode::create(&root.join("reviewer"));
    let mut requester = TestNode::create(&root.join("gemeente"));
    reviewer.start(seed.clone(), |_| {}).await;
    requester.start(seed.clone(), |_| {}).await;
    reviewer.client().set_profile(sample_update(0)).await.unwrap();
    let (rq, reviewer_id) = (requester.client(), reviewer.peer_id);
    wait_for(LIMIT, "the municipality holds the reviewer's profile naming the mailbox", || async {
        rq.profile(reviewer_id).await.is_ok_and(|p| !p.mailboxes.is_empty())
    })
    .await;
    reviewer.stop().await;

    let record = rq.create_request(samenloop_tests::sample_request(CANARY)).await.unwrap();
    rq.refer(&record.id, vec![reviewer_id], false, false, None).await.unwrap();
    wait_for(LIMIT, "the referral shows as left at the reviewer's mailbox", || async {
        rq.request(&record.id).await.is_ok_and(|r| r.referrals.iter().any(|x| x.at_mailbox && !x.delivered))
    })
    .await;
    requester.stop().await;

    reviewer.start(seed.clone(), |_| {}).await;
    let rv = reviewer.client();
    wait_for(LIMIT, "the referral reaches the reviewer from the mailbox", || async {
        rv.referrals().await.is_ok_and(|r| r.iter().any(|x| x.request_id == record.id))
    })
    .await;
    let referral = rv.referrals().await.unwrap().into_iter().find(|x| x.request_id == record.id).unwrap();
    assert!(rv.referral(&referral.referral_id).await.unwrap().request.learning_question.contains(CANARY));
    let before = deposited(&rv).await;
    rv.answer_referral(&referral.referral_id, Answer::Accept { conflict: None }).await.unwrap();
    wait_deposited(&rv, before, "the acceptance is deposited for the municipality").await;
    reviewer.stop().await;

    requester.start(seed.clone(), |_| {}).await;
    let rq = requester.client();
    wait_for(LIMIT, "the acceptance reaches the municipality from the mailbox", || async {
        rq.request(&record.id)
            .await
            .is_ok_and(|r| r.referrals.iter().any(|x| matches!(x.state, ReferralState::Accepted { .. })))
    })
    .await;
    requester.stop().await;
    mailbox.stop().await;
    assert!(!contains_anywhere(mailbox.home.root(), CANARY.as_bytes()), "the mailbox's home holds the request");
}
