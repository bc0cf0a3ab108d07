//! Accreditation verdicts across the network: verified only through a trusted supervisor's attestation.

use std::time::Duration;

use samenloop_node::api::types::{ProfileUpdate, ProfileView};
use samenloop_protocol::{AccreditationLevel, AccreditationStatus, CalendarDate, UnixTime};
use samenloop_tests::{TestNode, all_hold, temp_root, wait_for};

fn in_a_year() -> CalendarDate {
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
    CalendarDate::from_days_since_epoch(UnixTime(now).date().days_since_epoch() + 365)
}

fn claim(name: &str, level: AccreditationLevel) -> ProfileUpdate {
    ProfileUpdate { name: Some(name.into()), accreditation: Some(level), ..Default::default() }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_attestations_from_trusted_supervisors_verify() {
    let (_tmp, root) = temp_root();
    let mut founder = TestNode::create(&root.join("founder"));
    let mut rogue = TestNode::create(&root.join("rogue")); // claims supervisor, not trusted
    let mut attested = TestNode::create(&root.join("attested"));
    let mut vouched_by_rogue = TestNode::create(&root.join("vouched"));
    let mut observer = TestNode::create(&root.join("observer"));
    let trusted = vec![founder.peer_id];
    founder.start(vec![], |c| c.trusted_accreditors = trusted.clone()).await;
    let seed = founder.addrs().await;
    for n in [&mut rogue, &mut attested, &mut vouched_by_rogue, &mut observer] {
        n.start(seed.clone(), |c| c.trusted_accreditors = trusted.clone()).await;
    }
    let until = in_a_year();

    founder.client().set_profile(claim("Founder", AccreditationLevel::Supervisor)).await.unwrap();
    let own = founder.client().attest(founder.peer_id, AccreditationLevel::Supervisor, until).await.unwrap();
    founder.client().set_profile(ProfileUpdate { attestation: Some(own), ..Default::default() }).await.unwrap();

    rogue.client().set_profile(claim("Rogue", AccreditationLevel::Supervisor)).await.unwrap();

    attested.client().set_profile(claim("Attested", AccreditationLevel::Supervisor)).await.unwrap();
    let att = founder.client().attest(attested.peer_id, AccreditationLevel::Accredited, until).await.unwrap();
    // Attested as accredited while claiming supervisor: not verified until the claim matches.
    attested.client().set_profile(ProfileUpdate { attestation: Some(att), ..Default::default() }).await.unwrap();

    vouched_by_rogue.client().set_profile(claim("Vouched", AccreditationLevel::Accredited)).await.unwrap();
    let rogue_att =
        rogue.client().attest(vouched_by_rogue.peer_id, AccreditationLevel::Accredited, until).await.unwrap();
    let vouched_client = vouched_by_rogue.client();
    let v =
        vouched_client.set_profile(ProfileUpdate { attestation: Some(rogue_att), ..Default::default() }).await.unwrap();

    // A trainee cannot attest anyone.
    let e = observer.client().attest(attested.peer_id, AccreditationLevel::Accredited, until).await.unwrap_err();
    assert_eq!(e.code(), "bad-request");

    let obs = [observer.client()];
    wait_for(Duration::from_secs(10), "profiles reach the observer", || {
        all_hold(&obs, vouched_by_rogue.peer_id, v.revision)
    })
    .await;
    let view = |p| {
        let c = observer.client();
        async move { c.profile(p).await.unwrap() }
    };
    let reason = |v: &ProfileView| match &v.accreditation.status {
        AccreditationStatus::SelfDeclared { reason } => reason.clone(),
        other => panic!("{} is {other:?}", v.name),
    };

    let f = view(founder.peer_id).await;
    assert_eq!(f.accreditation.status, AccreditationStatus::Verified { attested_by: founder.peer_id.to_string() });
    assert!(reason(&view(rogue.peer_id).await).contains("no attestation"));
    assert!(reason(&view(attested.peer_id).await).contains("attested only as accredited"));
    assert!(reason(&view(vouched_by_rogue.peer_id).await).contains("not a trusted accreditor"));

    let a = attested.client().set_profile(claim("Attested", AccreditationLevel::Accredited)).await.unwrap();
    wait_for(Duration::from_secs(10), "corrected claim arrives", || all_hold(&obs, attested.peer_id, a.revision)).await;
    assert!(view(attested.peer_id).await.accreditation.status.is_verified());

    for n in [&mut founder, &mut rogue, &mut attested, &mut vouched_by_rogue, &mut observer] {
        n.stop().await;
    }
}
