//! A requester and five reviewers: matching with exclusions, referral to a node that is down, accept,
//! decline and `--next`, expiry, withdrawal, restarts, and confidentiality of the request.

use std::path::Path;
use std::time::Duration;

use samenloop_node::api::types::ProfileUpdate;
use samenloop_protocol::referrals::referral::{Answer, ReferralState};
use samenloop_protocol::{Affiliation, Exclusion, PeerId, UnixTime};
use samenloop_tests::{TestNode, all_hold, sample_request as request, temp_root, wait_for};

const LIMIT: Duration = Duration::from_secs(10);
const CANARY: &str = "canary-5e1f0c27-did-the-chain-see-the-child";

fn now() -> UnixTime {
    UnixTime(std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs())
}

fn profile(name: &str, tags: &[&str], region: &str) -> ProfileUpdate {
    ProfileUpdate {
        name: Some(name.into()),
        expertise: Some(tags.iter().map(|t| t.to_string()).collect()),
        regions: Some(vec![region.into()]),
        languages: Some(vec!["nl".into()]),
        hours_per_month: Some(16),
        accreditation: Some(samenloop_protocol::AccreditationLevel::Accredited),
        ..ProfileUpdate::default()
    }
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

async fn referral_state(node: &TestNode, request_id_hex: &str) -> Option<(String, ReferralState)> {
    let list = node.client().referrals().await.ok()?;
    list.into_iter().find(|r| r.request_id == request_id_hex).map(|r| (r.referral_id, r.state))
}

fn state_of(record: &samenloop_node::referrals::records::RequestRecord, peer: PeerId) -> Option<&ReferralState> {
    record.referrals.iter().rev().find(|r| r.reviewer == peer.to_string()).map(|r| &r.state)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_requester_and_five_reviewers() {
    let (_tmp, root) = temp_root();
    let mut requester = TestNode::create(&root.join("requester"));
    let names = ["anna", "bram", "chantal", "dirk", "eva"];
    let mut r: Vec<TestNode> = names.iter().map(|n| TestNode::create(&root.join(n))).collect();
    requester.start(vec![], |_| {}).await;
    let seed = requester.addrs().await;
    for n in &mut r {
        n.start(seed.clone(), |_| {}).await;
    }
    r[0].client().set_profile(profile("Anna", &["jeugdbescherming", "ggz"], "Utrecht")).await.unwrap();
    r[1].client().set_profile(profile("Bram", &["ggz"], "Utrecht")).await.unwrap();
    let mut chantal = profile("Chantal", &["jeugdbescherming", "ggz"], "Utrecht");
    chantal.affiliations =
        Some(vec![Affiliation { organisation: "GI Midden-Nederland".into(), from: None, until: None }]);
    r[2].client().set_profile(chantal).await.unwrap();
    r[3].client().set_profile(profile("Dirk", &["jeugdbescherming"], "Gelderland")).await.unwrap();
    let mut eva = profile("Eva", &["jeugdbescherming", "ggz"], "Utrecht");
    eva.available_until = Some(now().date());
    r[4].client().set_profile(eva).await.unwrap();
    let rc = [requester.client()];
    for n in &r {
        wait_for(LIMIT, "profiles reach the requester", || all_hold(&rc, n.peer_id, 1)).await;
    }

    // The request, and the match with its reasons.
    let req = requester.client().create_request(request(CANARY)).await.unwrap();
    let id = req.id.clone();
    let m = requester.client().match_request(&id).await.unwrap();
    let excluded = |peer: PeerId| m.excluded.iter().find(|e| e.peer == peer).map(|e| e.reasons.clone());
    assert!(matches!(excluded(r[2].peer_id).unwrap()[0], Exclusion::ConflictOfInterest { .. }), "Chantal: conflict");
    assert!(matches!(excluded(r[4].peer_id).unwrap()[0], Exclusion::NotAvailable { .. }), "Eva: not available");
    let order: Vec<PeerId> = m.candidates.iter().map(|c| c.peer).collect();
    assert_eq!(order, [r[0].peer_id, r[1].peer_id, r[3].peer_id], "ranking follows expertise and region");

    // Dirk's node is down when the request is referred to Anna and him.
    r[3].stop().await;
    let view = requester.client().refer(&id, vec![r[0].peer_id, r[3].peer_id], false, false, None).await.unwrap();
    assert_eq!(view.referrals.len(), 2);
    wait_for(LIMIT, "Anna receives the referral", || async { referral_state(&r[0], &id).await.is_some() }).await;
    let record = requester.client().request(&id).await.unwrap();
    assert!(!record.referrals.iter().find(|x| x.reviewer == r[3].peer_id.to_string()).unwrap().delivered);
    r[3].start(seed.clone(), |_| {}).await;
    wait_for(LIMIT, "Dirk receives it after his node starts", || async { referral_state(&r[3], &id).await.is_some() })
        .await;

    // Anna opens and accepts; both sides see it.
    let (anna_ref, _) = referral_state(&r[0], &id).await.unwrap();
    let opened = r[0].client().referral(&anna_ref).await.unwrap();
    assert_eq!(opened.request.learning_question, CANARY);
    r[0].client().answer_referral(&anna_ref, Answer::Accept { conflict: None }).await.unwrap();
    let again = r[0].client().answer_referral(&anna_ref, Answer::Decline { reason: "changed my mind".into() }).await;
    assert!(again.unwrap_err().to_string().contains("already answered"));
    wait_for(LIMIT, "the requester sees the acceptance", || async {
        let rec = requester.client().request(&id).await.unwrap();
        matches!(state_of(&rec, r[0].peer_id), Some(ReferralState::Accepted { .. }))
    })
    .await;

    // Dirk declines; the requester refers to the next candidate, Bram.
    let (dirk_ref, _) = referral_state(&r[3], &id).await.unwrap();
    r[3].client()
        .answer_referral(&dirk_ref, Answer::Decline { reason: "no capacity this spring".into() })
        .await
        .unwrap();
    wait_for(LIMIT, "the requester sees the decline", || async {
        let rec = requester.client().request(&id).await.unwrap();
        matches!(state_of(&rec, r[3].peer_id), Some(ReferralState::Declined { .. }))
    })
    .await;
    let next = requester.client().refer(&id, vec![], false, true, None).await.unwrap();
    assert_eq!(next.referrals.last().unwrap().reviewer, r[1].peer_id.to_string(), "--next picks Bram");
    wait_for(LIMIT, "Bram receives it", || async { referral_state(&r[1], &id).await.is_some() }).await;

    // Withdrawal reaches Bram; answering a withdrawn referral is a clear error.
    requester.client().withdraw(&id).await.unwrap();
    wait_for(LIMIT, "Bram sees the withdrawal", || async {
        matches!(referral_state(&r[1], &id).await, Some((_, ReferralState::Withdrawn { .. })))
    })
    .await;
    let (bram_ref, _) = referral_state(&r[1], &id).await.unwrap();
    let e = r[1].client().answer_referral(&bram_ref, Answer::Accept { conflict: None }).await.unwrap_err();
    assert!(e.to_string().contains("withdrawn"), "{e}");
    let e = r[1].client().answer_referral("00ff", Answer::Accept { conflict: None }).await.unwrap_err();
    assert_eq!(e.code(), "not-found");

    // Expiry: a second request to Bram with two seconds to answer.
    let second = requester.client().create_request(request("second question")).await.unwrap();
    requester.client().refer(&second.id, vec![r[1].peer_id], false, false, Some(now().plus_secs(2))).await.unwrap();
    wait_for(LIMIT, "the second referral expires on both sides", || async {
        let rec = requester.client().request(&second.id).await.unwrap();
        matches!(state_of(&rec, r[1].peer_id), Some(ReferralState::Expired { .. }))
            && matches!(referral_state(&r[1], &second.id).await, Some((_, ReferralState::Expired { .. })))
    })
    .await;
    let (late, _) = referral_state(&r[1], &second.id).await.unwrap();
    let e = r[1].client().answer_referral(&late, Answer::Accept { conflict: None }).await.unwrap_err();
    assert!(e.to_string().contains("expired"), "{e}");

    // Everything survives restarts of every node.
    requester.stop().await;
    for n in &mut r {
        n.stop().await;
    }
    requester.start(vec![], |_| {}).await;
    let seed = requester.addrs().await;
    for n in &mut r {
        n.start(seed.clone(), |_| {}).await;
    }
    let rec = requester.client().request(&id).await.unwrap();
    assert!(matches!(state_of(&rec, r[0].peer_id), Some(ReferralState::Accepted { .. })));
    assert!(matches!(state_of(&rec, r[3].peer_id), Some(ReferralState::Declined { .. })));
    assert!(
        rec.history.iter().any(|h| h.event == "declined" && h.detail.as_deref() == Some("no capacity this spring"))
    );
    assert!(matches!(referral_state(&r[0], &id).await, Some((_, ReferralState::Accepted { .. }))));
    assert_eq!(r[0].client().referral(&anna_ref).await.unwrap().request.learning_question, CANARY);

    // Confidentiality: the canary is in no byte of any home, referred or not: stored only sealed.
    requester.stop().await;
    for n in &mut r {
        n.stop().await;
    }
    // Control: the scan does find what is stored in clear (profiles are public).
    assert!(contains_anywhere(requester.home.root(), b"Chantal"), "the scan finds clear text");
    assert!(!contains_anywhere(requester.home.root(), CANARY.as_bytes()), "requester stores the request in clear");
    for (n, name) in r.iter().zip(names) {
        assert!(!contains_anywhere(n.home.root(), CANARY.as_bytes()), "{name}'s home holds the canary in clear");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_anonymised_call_reaches_reviewers_and_their_interest_counts() {
    let (_tmp, root) = temp_root();
    let mut requester = TestNode::create(&root.join("requester"));
    let mut anna = TestNode::create(&root.join("anna"));
    let mut bram = TestNode::create(&root.join("bram"));
    requester.start(vec![], |_| {}).await;
    let seed = requester.addrs().await;
    anna.start(seed.clone(), |_| {}).await;
    bram.start(seed.clone(), |_| {}).await;
    anna.client().set_profile(profile("Anna", &["jeugdbescherming", "ggz"], "Utrecht")).await.unwrap();
    bram.client().set_profile(profile("Bram", &["jeugdbescherming", "ggz"], "Utrecht")).await.unwrap();
    let rc = [requester.client()];
    for n in [&anna, &bram] {
        wait_for(LIMIT, "profiles reach the requester", || all_hold(&rc, n.peer_id, 1)).await;
    }
    let req = requester.client().create_request(request(CANARY)).await.unwrap();
    let before = requester.client().match_request(&req.id).await.unwrap();
    assert_eq!(before.candidates[0].name, "Anna", "ties break by name before any interest");

    let call = requester
        .client()
        .post_call(&req.id, Some(samenloop_protocol::referrals::call::ReviewTheme::ChainCooperation))
        .await;
    let call = call.unwrap();
    wait_for(LIMIT, "Bram sees the call", || async {
        bram.client().calls().await.unwrap().iter().any(|c| c.call_id == call.call_id)
    })
    .await;
    let seen = bram.client().calls().await.unwrap().into_iter().find(|c| c.call_id == call.call_id).unwrap();
    assert_eq!(seen.region.as_deref(), Some("Utrecht"));
    assert_eq!(seen.requester, requester.peer_id.to_string());
    bram.client().express_interest(&call.call_id).await.unwrap();
    wait_for(LIMIT, "Bram's interest moves him up", || async {
        let m = requester.client().match_request(&req.id).await.unwrap();
        m.candidates[0].name == "Bram"
            && m.candidates[0].reasons.iter().any(|r| r.to_string().contains("answered the call"))
    })
    .await;
    let rec = requester.client().request(&req.id).await.unwrap();
    assert!(rec.history.iter().any(|h| h.event == "interest"));

    // Nothing of the case is broadcast: the reviewers' homes hold the call but not the canary or the
    // involved organisations.
    requester.stop().await;
    anna.stop().await;
    bram.stop().await;
    for n in [&anna, &bram] {
        assert!(!contains_anywhere(n.home.root(), CANARY.as_bytes()));
        assert!(!contains_anywhere(n.home.root(), b"GI Midden-Nederland"));
        assert!(contains_anywhere(n.home.root(), &hex_decode(&call.call_id)), "the call itself is stored");
    }
}

fn hex_decode(s: &str) -> Vec<u8> {
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_referrals_are_refused_with_the_reason_and_stored_nowhere() {
    use samenloop_node::keystore::random_bytes;
    use samenloop_protocol::referrals::referral::{self, ReferralMessage};
    use samenloop_protocol::{Identity, RecordKind, seal_envelope};

    let (_tmp, root) = temp_root();
    let mut reviewer = TestNode::create(&root.join("reviewer"));
    let mut attacker = TestNode::create(&root.join("attacker"));
    reviewer.start(vec![], |_| {}).await;
    attacker.start(reviewer.addrs().await, |_| {}).await;
    reviewer.client().set_profile(profile("Anna", &["ggz"], "Utrecht")).await.unwrap();
    let ac = [attacker.client()];
    wait_for(LIMIT, "attacker knows the reviewer", || all_hold(&ac, reviewer.peer_id, 1)).await;
    let key = attacker.client().profile(reviewer.peer_id).await.unwrap().encryption_key;
    let mut reviewer_key = [0u8; 32];
    for (i, b) in reviewer_key.iter_mut().enumerate() {
        *b = u8::from_str_radix(&key[2 * i..2 * i + 2], 16).unwrap();
    }
    let someone = Identity::from_secrets(random_bytes(), random_bytes());
    let other = Identity::from_secrets(random_bytes(), random_bytes());
    let t = now();
    let good = |id: &Identity, rnd: u8| {
        referral::refer(
            id,
            [1; 16],
            &request(CANARY),
            &reviewer.peer_id,
            &reviewer_key,
            t,
            t.plus_secs(3600),
            [rnd; 72],
        )
        .unwrap()
    };
    let send = |bytes: Vec<u8>| {
        let a = attacker.client();
        let peer = reviewer.peer_id;
        async move { a.send_raw_referral(peer, ReferralMessage::Referral(bytes.into())).await.unwrap() }
    };

    // Signed by someone else than its claimed requester.
    let signed = good(&someone, 1);
    let env = samenloop_protocol::open_envelope(&signed, RecordKind::Referral).unwrap();
    let record: referral::ReferralRecord = postcard::from_bytes(env.body).unwrap();
    let forged =
        seal_envelope(other.signing_key(), RecordKind::Referral, &postcard::to_allocvec(&record).unwrap()).unwrap();
    assert!(send(forged).await.contains("other than its signer"));
    // Unsigned (signature broken).
    let mut unsigned = good(&someone, 2);
    let last = unsigned.len() - 1;
    unsigned[last] ^= 1;
    assert!(send(unsigned).await.contains("signature"));
    // Not sealed to this node.
    let elsewhere = referral::refer(
        &someone,
        [1; 16],
        &request(CANARY),
        &other.peer_id(),
        &other.encryption_public(),
        t,
        t.plus_secs(3600),
        [3; 72],
    )
    .unwrap();
    assert!(send(elsewhere).await.contains("another reviewer"));
    // Malformed.
    assert!(send(b"\x01\x03not a referral".to_vec()).await.contains("truncated"));
    // Replayed: the same referral id with different content.
    let first = good(&someone, 4);
    assert_eq!(send(first.clone()).await, "stored");
    assert_eq!(send(first).await, "stored", "an identical retry is fine");
    // A valid referral that reuses the id [4; 16] for different content.
    let mut randomness = [9u8; 72];
    randomness[..16].copy_from_slice(&[4; 16]);
    let replay = referral::refer(
        &someone,
        [1; 16],
        &request("other"),
        &reviewer.peer_id,
        &reviewer_key,
        t,
        t.plus_secs(7200),
        randomness,
    )
    .unwrap();
    let answer = send(replay).await;
    assert!(answer.contains("replay"), "{answer}");

    // Only the one valid referral was stored.
    let list = reviewer.client().referrals().await.unwrap();
    assert_eq!(list.len(), 1, "{list:?}");
    reviewer.stop().await;
    attacker.stop().await;
}
