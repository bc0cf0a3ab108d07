//! Ten nodes over real TCP on loopback: discovery, updates, restarts and catch-up.

use std::time::{Duration, Instant};

use samenloop_node::api::types::ProfileUpdate;
use samenloop_tests::{TestNode, all_hold, sample_update, temp_root, wait_for};

const NODES: usize = 10;
const LIMIT: Duration = Duration::from_secs(10);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_nodes_find_each_other_update_restart_and_catch_up() {
    let (_tmp, root) = temp_root();
    let mut nodes: Vec<TestNode> = (0..NODES).map(|i| TestNode::create(&root.join(format!("n{i}")))).collect();
    nodes[0].start(vec![], |_| {}).await;
    let seed = nodes[0].addrs().await;
    for node in nodes.iter_mut().skip(1) {
        node.start(seed.clone(), |_| {}).await;
    }
    let clients: Vec<_> = nodes.iter().map(TestNode::client).collect();

    // Every node publishes; every node must find every profile within 10 s of publication.
    let published = Instant::now();
    for (i, c) in clients.iter().enumerate() {
        c.set_profile(sample_update(i)).await.expect("publish");
    }
    for node in &nodes {
        let took = wait_for(LIMIT, "all profiles everywhere", || all_hold(&clients, node.peer_id, 1)).await;
        assert!(published.elapsed() < LIMIT, "profile of {} took {took:?}", node.peer_id);
    }
    for c in &clients {
        assert_eq!(c.status().await.unwrap().directory_size, NODES);
    }

    // An updated availability reaches all.
    let updated = clients[3]
        .set_profile(ProfileUpdate { available_from: Some("2027-03-01".parse().unwrap()), ..Default::default() })
        .await
        .unwrap();
    wait_for(LIMIT, "availability update everywhere", || all_hold(&clients, nodes[3].peer_id, updated.revision)).await;
    let seen = clients[8].profile(nodes[3].peer_id).await.unwrap();
    assert_eq!(seen.available_from.unwrap().to_string(), "2027-03-01");

    // Node 5 goes down; node 7 updates while it is away.
    let before = clients[5].status().await.unwrap();
    nodes[5].stop().await;
    let away = clients[7].set_profile(ProfileUpdate { hours_per_month: Some(40), ..Default::default() }).await.unwrap();
    let others: Vec<_> = clients.iter().enumerate().filter(|(i, _)| *i != 5).map(|(_, c)| c.clone()).collect();
    wait_for(LIMIT, "update among the nodes still up", || all_hold(&others, nodes[7].peer_id, away.revision)).await;

    // Restarted with its home, node 5 keeps its identity and directory at once, and catches up on the
    // update within 10 s of rejoining (it asks its peers; node 7 does not publish again).
    nodes[5].start(seed.clone(), |_| {}).await;
    let c5 = nodes[5].client();
    let after = c5.status().await.unwrap();
    assert_eq!(after.peer_id, before.peer_id);
    assert_eq!(after.directory_size, NODES, "the directory did not survive the restart");
    let took = wait_for(LIMIT, "restarted node catches up", || {
        all_hold(std::slice::from_ref(&c5), nodes[7].peer_id, away.revision)
    })
    .await;
    println!("restarted node caught up in {took:?}");
    assert_eq!(c5.profile(nodes[7].peer_id).await.unwrap().hours_per_month, 40);

    for node in &mut nodes {
        node.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn profiles_are_republished_before_they_expire() {
    let (_tmp, root) = temp_root();
    let mut a = TestNode::create(&root.join("a"));
    let mut b = TestNode::create(&root.join("b"));
    let short = |c: &mut samenloop_node::NodeConfig| {
        c.profile_validity = Duration::from_secs(3);
        c.republish_every = Duration::from_secs(1);
    };
    a.start(vec![], short).await;
    b.start(a.addrs().await, short).await;
    let first = a.client().set_profile(sample_update(1)).await.unwrap();
    let clients = [b.client()];
    wait_for(LIMIT, "first publication", || all_hold(&clients, a.peer_id, first.revision)).await;
    // Well past the first profile's 3 s validity, b still holds a valid, newer one.
    tokio::time::sleep(Duration::from_secs(5)).await;
    let held = b.client().profile(a.peer_id).await.expect("profile still held after its first expiry");
    assert!(held.revision > first.revision + 1, "republished {} times", held.revision - first.revision);
    a.stop().await;
    b.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_profiles_are_looked_up_in_the_dht() {
    let (_tmp, root) = temp_root();
    let mut a = TestNode::create(&root.join("a"));
    let mut b = TestNode::create(&root.join("b"));
    a.start(vec![], |_| {}).await;
    a.client().set_profile(sample_update(1)).await.unwrap();
    b.start(a.addrs().await, |_| {}).await;
    let found = b.client().profile(a.peer_id).await;
    // Either catch-up got there first or the DHT lookup found it; both are fine, an error is not.
    let found = match found {
        Ok(p) => p,
        Err(_) => {
            wait_for(LIMIT, "profile via DHT or catch-up", || async { b.client().profile(a.peer_id).await.is_ok() })
                .await;
            b.client().profile(a.peer_id).await.unwrap()
        }
    };
    assert_eq!(found.name, "Reviewer 01");
    let stranger = samenloop_protocol::Identity::from_secrets([77; 32], [78; 32]).peer_id();
    let e = b.client().profile(stranger).await.unwrap_err();
    assert_eq!(e.code(), "not-found");
    a.stop().await;
    b.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn profiles_that_expire_while_a_node_is_down_are_dropped_from_its_store() {
    let (_tmp, root) = temp_root();
    let mut a = TestNode::create(&root.join("a"));
    let mut b = TestNode::create(&root.join("b"));
    a.start(vec![], |c| c.profile_validity = Duration::from_secs(2)).await;
    b.start(a.addrs().await, |_| {}).await;
    a.client().set_profile(sample_update(1)).await.unwrap();
    let bc = [b.client()];
    wait_for(LIMIT, "b holds a's profile", || all_hold(&bc, a.peer_id, 1)).await;
    b.stop().await;
    a.stop().await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    b.start(vec![], |_| {}).await;
    assert!(b.client().profile(a.peer_id).await.is_err(), "an expired profile was loaded");
    b.stop().await;
    let store = samenloop_node::store::Store::open(&b.home.db_path()).unwrap();
    let keys: Vec<_> = store.profiles().unwrap().into_iter().map(|(k, _)| k).collect();
    assert!(!keys.contains(&a.peer_id.to_bytes()), "the expired profile is still on disk");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_home_restored_from_an_old_backup_adopts_its_newer_profile_from_the_network() {
    let (_tmp, root) = temp_root();
    let mut a = TestNode::create(&root.join("a"));
    let mut b = TestNode::create(&root.join("b"));
    a.start(vec![], |_| {}).await;
    b.start(a.addrs().await, |_| {}).await;
    a.client().set_profile(sample_update(1)).await.unwrap();
    a.stop().await;
    let backup = root.join("backup");
    copy_dir(a.home.root(), &backup);
    a.start(b.addrs().await, |_| {}).await;
    // One revision ahead of the backup: the tightest case, where re-signing the backup's content at start
    // would tie on revision and roll the network back.
    let latest = a
        .client()
        .set_profile(ProfileUpdate { hours_per_month: Some(32), ..Default::default() })
        .await
        .unwrap()
        .revision;
    let bc = [b.client()];
    wait_for(LIMIT, "b holds the latest", || all_hold(&bc, a.peer_id, latest)).await;
    a.stop().await;

    // Restore the old home and start: the node learns the newer revision of its own profile from b.
    std::fs::remove_dir_all(a.home.root()).unwrap();
    copy_dir(&backup, a.home.root());
    a.start(b.addrs().await, |_| {}).await;
    let ac = a.client();
    wait_for(LIMIT, "restored node adopts its newer profile", || async {
        ac.own_profile().await.is_ok_and(|p| p.revision >= latest && p.hours_per_month == 32)
    })
    .await;
    // The scheduled re-signing after the restart keeps the adopted content: no rollback anywhere.
    tokio::time::sleep(Duration::from_secs(4)).await;
    let seen = b.client().profile(a.peer_id).await.unwrap();
    assert_eq!(seen.hours_per_month, 32, "the network was rolled back to the backup's content");
    let next = ac.set_profile(ProfileUpdate { bio: Some("after restore".into()), ..Default::default() }).await.unwrap();
    assert!(next.revision > latest);
    assert_eq!(next.hours_per_month, 32, "the edit applies to the adopted profile");
    wait_for(LIMIT, "the new edit outranks the network's copy", || all_hold(&bc, a.peer_id, next.revision)).await;
    a.stop().await;
    b.stop().await;
}

fn copy_dir(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), to.join(entry.file_name())).unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nodes_connect_over_quic() {
    let (_tmp, root) = temp_root();
    let mut a = TestNode::create(&root.join("a"));
    let mut b = TestNode::create(&root.join("b"));
    let quic = |c: &mut samenloop_node::NodeConfig| c.listen = vec!["/ip4/127.0.0.1/udp/0/quic-v1".parse().unwrap()];
    a.start(vec![], quic).await;
    let addrs = a.addrs().await;
    assert!(addrs.iter().all(|a| a.to_string().contains("/quic-v1")), "{addrs:?}");
    b.start(addrs, quic).await;
    let p = a.client().set_profile(sample_update(3)).await.unwrap();
    let bc = [b.client()];
    wait_for(LIMIT, "profile over QUIC", || all_hold(&bc, a.peer_id, p.revision)).await;
    a.stop().await;
    b.stop().await;
}
