//! Bad profiles on the network: each kind is rejected by the first honest node it reaches, is not stored,
//! is not forwarded, and costs the sender gossip score.

use std::time::Duration;

use samenloop_node::keystore::random_bytes;
use samenloop_protocol::{
    Identity, MAX_PROFILE_BYTES, Profile, ProfileRecord, RecordKind, SignedProfile, UnixTime, seal_envelope,
};
use samenloop_tests::{TestNode, all_hold, sample_update, temp_root, wait_for};

fn now() -> UnixTime {
    UnixTime(std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs())
}

fn forge(signer: &Identity, record: &ProfileRecord) -> Vec<u8> {
    seal_envelope(signer.signing_key(), RecordKind::Profile, &postcard::to_allocvec(record).unwrap()).unwrap()
}

/// Each bad profile, named, with the identity it claims to describe.
fn bad_profiles() -> Vec<(&'static str, Identity, Vec<u8>)> {
    let victim = || Identity::from_secrets(random_bytes(), random_bytes());
    let mut out = Vec::new();
    let t = now();

    let v = victim();
    let mut bytes = SignedProfile::sign(&v, Profile::named("Tampered"), 1, t, 3600).unwrap().bytes().to_vec();
    let last = bytes.len() - 1;
    bytes[last] ^= 1;
    out.push(("bad signature", v, bytes));

    let v = victim();
    let record = SignedProfile::sign(&v, Profile::named("Impersonated"), 1, t, 3600).unwrap().record().clone();
    let bytes = forge(&victim(), &record);
    out.push(("signed by another key", v, bytes));

    let v = victim();
    let mut record = SignedProfile::sign(&v, Profile::named("Huge"), 1, t, 3600).unwrap().record().clone();
    record.profile.bio = "x".repeat(2000);
    record.profile.affiliations = (0..32)
        .map(|i| samenloop_protocol::Affiliation {
            organisation: format!("{i}{}", "o".repeat(190)),
            from: None,
            until: None,
        })
        .collect();
    let bytes = forge(&v, &record);
    assert!(bytes.len() > MAX_PROFILE_BYTES);
    out.push(("over 8 KiB", v, bytes));

    let v = victim();
    let bytes = SignedProfile::sign(&v, Profile::named("Old"), 1, UnixTime(t.0 - 7200), 3600).unwrap().bytes().to_vec();
    out.push(("expired", v, bytes));

    let v = victim();
    let bytes = SignedProfile::sign(&v, Profile::named("Future"), 1, t.plus_secs(3600), 3600).unwrap().bytes().to_vec();
    out.push(("from the future", v, bytes));

    let v = victim();
    let mut bytes = SignedProfile::sign(&v, Profile::named("Version 9"), 1, t, 3600).unwrap().bytes().to_vec();
    bytes[0] = 9;
    out.push(("unknown version", v, bytes));

    let v = victim();
    let bytes = seal_envelope(v.signing_key(), RecordKind::Profile, b"\x00\x01 definitely not a profile").unwrap();
    out.push(("not decodable", v, bytes));
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_profiles_are_rejected_not_stored_not_forwarded_and_penalised() {
    let (_tmp, root) = temp_root();
    // relay <- downstream: downstream hears the attacker only through relay.
    let mut relay = TestNode::create(&root.join("relay"));
    let mut downstream = TestNode::create(&root.join("downstream"));
    relay.start(vec![], |_| {}).await;
    let relay_addrs = relay.addrs().await;
    let attackers: Vec<TestNode> =
        (0..bad_profiles().len()).map(|i| TestNode::create(&root.join(format!("attacker{i}")))).collect();
    let blocked: Vec<_> = attackers.iter().map(|a| a.peer_id).collect();
    downstream.start(relay_addrs.clone(), |c| c.blocked_peers = blocked.clone()).await;

    for ((what, victim, bytes), mut attacker) in bad_profiles().into_iter().zip(attackers) {
        attacker.start(relay_addrs.clone(), |c| c.blocked_peers = vec![downstream.peer_id]).await;
        let a = attacker.client();
        // First a valid profile, to prove the path attacker -> relay -> downstream forwards good data.
        let good = a.set_profile(sample_update(1)).await.unwrap();
        let downstream_client = [downstream.client()];
        wait_for(Duration::from_secs(10), "good profile forwarded", || {
            all_hold(&downstream_client, attacker.peer_id, good.revision)
        })
        .await;
        let before = relay.client().peer_score(attacker.peer_id).await.unwrap().unwrap_or(0.0);

        wait_for(Duration::from_secs(5), "gossip accepts the publication", || {
            let (a, bytes) = (a.clone(), bytes.clone());
            async move { a.publish_raw(bytes).await.is_ok() }
        })
        .await;
        wait_for(Duration::from_secs(5), &format!("relay penalises the sender of a profile {what}"), || async {
            relay.client().peer_score(attacker.peer_id).await.unwrap().unwrap_or(0.0) < before
        })
        .await;
        let after = relay.client().peer_score(attacker.peer_id).await.unwrap().unwrap_or(0.0);
        assert!(after < 0.0, "{what}: score {after}");

        // Not stored, by the relay or downstream.
        for node in [&relay, &downstream] {
            assert_eq!(node.client().held_bytes(victim.peer_id()).await.unwrap(), None, "{what}: stored");
        }
        // Not forwarded: downstream would have penalised the relay for forwarding an invalid message.
        tokio::time::sleep(Duration::from_millis(300)).await;
        let relay_score = downstream.client().peer_score(relay.peer_id).await.unwrap().unwrap_or(0.0);
        assert!(relay_score >= 0.0, "{what}: relay was penalised downstream ({relay_score}), so it forwarded");
        attacker.stop().await;
    }
    relay.stop().await;
    downstream.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forged_profiles_put_into_the_dht_are_not_stored_and_penalised() {
    let (_tmp, root) = temp_root();
    let mut honest = TestNode::create(&root.join("honest"));
    let mut attacker = TestNode::create(&root.join("attacker"));
    honest.start(vec![], |_| {}).await;
    attacker.start(honest.addrs().await, |_| {}).await;
    let victim = Identity::from_secrets(random_bytes(), random_bytes());
    let record = SignedProfile::sign(&victim, Profile::named("Victim"), 1, now(), 3600).unwrap().record().clone();
    let forged = forge(&Identity::from_secrets(random_bytes(), random_bytes()), &record);
    let mut key = b"/samenloop/profile/".to_vec();
    key.extend_from_slice(&victim.peer_id().to_bytes());
    // The put goes out once the attacker's DHT knows the honest node; repeat it until it has landed.
    let a = attacker.client();
    wait_for(Duration::from_secs(20), "the honest node penalises the forger", || {
        let (a, h, key, forged) = (a.clone(), honest.client(), key.clone(), forged.clone());
        let attacker_id = attacker.peer_id;
        async move {
            let _ = a.put_raw_record(key, forged).await;
            tokio::time::sleep(Duration::from_millis(200)).await;
            h.peer_score(attacker_id).await.unwrap().unwrap_or(0.0) < 0.0
        }
    })
    .await;
    assert_eq!(honest.client().held_bytes(victim.peer_id()).await.unwrap(), None);
    assert_eq!(honest.client().profile(victim.peer_id()).await.unwrap_err().code(), "not-found");
    attacker.stop().await;
    honest.stop().await;
}
