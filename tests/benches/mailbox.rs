//! Mailbox benchmark (`cargo bench -p samenloop-tests --bench mailbox`): a real mailbox node (its event loop,
//! its redb store) on loopback, and a client speaking `/samenloop/mailbox/1` to it over TCP, noise and yamux.
//!
//! 1. Per-item overhead: a sealed, signed, padded item against the payload it carries, for payloads from
//!    100 bytes to 4 MiB (the padding to fixed size buckets is most of it, by design).
//! 2. Deposit throughput: N items of one bucket deposited one request after another (each stored durably
//!    before its answer), in items/s and MB/s; baseline in the same run: the same requests with the same
//!    bytes to an inbox nobody registered, which the mailbox refuses without touching the disk (the
//!    transport and the request handling alone).
//! 3. Fetch + acknowledge throughput: everything deposited, fetched page by page and acknowledged.

use std::time::{Duration, Instant};

use futures::StreamExt;
use libp2p::request_response::{self, ProtocolSupport};
use libp2p::swarm::SwarmEvent;
use libp2p::{Multiaddr, PeerId, StreamProtocol, Swarm, noise, tcp, yamux};
use samenloop_protocol::mailbox::wire::{MAX_MAILBOX_REQUEST_BYTES, MAX_MAILBOX_RESPONSE_BYTES};
use samenloop_protocol::mailbox::{InboxId, MailPayload, MailboxRequest, MailboxResponse, Recipient, seal_item};
use samenloop_protocol::referrals::referral::ReferralMessage;
use samenloop_protocol::{Identity, UnixTime};
use samenloop_tests::{TestNode, temp_root};

type Client = Swarm<request_response::Behaviour<request_response::cbor::codec::Codec<MailboxRequest, MailboxResponse>>>;

fn identity(seed: u8) -> Identity {
    Identity::from_secrets([seed; 32], [seed.wrapping_add(100); 32])
}

fn random<const N: usize>() -> [u8; N] {
    let mut b = [0u8; N];
    getrandom(&mut b);
    b
}

fn getrandom(buf: &mut [u8]) {
    use std::io::Read;
    std::fs::File::open("/dev/urandom").and_then(|mut f| f.read_exact(buf)).expect("randomness");
}

fn item(sender: &Identity, recipient: &Identity, inbox: InboxId, payload_len: usize) -> Vec<u8> {
    let payload = MailPayload::Referral(ReferralMessage::Answer(serde_bytes::ByteBuf::from(vec![7; payload_len])));
    let peer = recipient.peer_id();
    let key = recipient.encryption_public();
    seal_item(
        sender,
        Recipient { peer: &peer, encryption_key: &key },
        inbox,
        &payload,
        UnixTime(std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs())),
        (random(), random(), random()),
    )
    .expect("seal")
}

fn client() -> Client {
    let codec = request_response::cbor::codec::Codec::<MailboxRequest, MailboxResponse>::default()
        .set_request_size_maximum(MAX_MAILBOX_REQUEST_BYTES)
        .set_response_size_maximum(MAX_MAILBOX_RESPONSE_BYTES);
    libp2p::SwarmBuilder::with_new_identity()
        .with_tokio()
        .with_tcp(tcp::Config::default().nodelay(true), noise::Config::new, yamux::Config::default)
        .expect("tcp")
        .with_behaviour(|_| {
            request_response::Behaviour::with_codec(
                codec,
                [(StreamProtocol::new("/samenloop/mailbox/1"), ProtocolSupport::Outbound)],
                request_response::Config::default().with_request_timeout(Duration::from_secs(120)),
            )
        })
        .expect("behaviour")
        .with_swarm_config(|c| c.with_idle_connection_timeout(Duration::from_secs(120)))
        .build()
}

/// Sends one request and waits for its answer.
async fn ask(swarm: &mut Client, to: PeerId, request: MailboxRequest) -> MailboxResponse {
    let id = swarm.behaviour_mut().send_request(&to, request);
    loop {
        match swarm.select_next_some().await {
            SwarmEvent::Behaviour(request_response::Event::Message {
                message: request_response::Message::Response { request_id, response },
                ..
            }) if request_id == id => return response,
            SwarmEvent::Behaviour(request_response::Event::OutboundFailure { request_id, error, .. })
                if request_id == id =>
            {
                panic!("mailbox request failed: {error}")
            }
            _ => {}
        }
    }
}

fn mb_per_s(bytes: usize, took: Duration) -> f64 {
    bytes as f64 / took.as_secs_f64() / 1e6
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime");
    runtime.block_on(run());
}

async fn run() {
    let sender = identity(1);
    let recipient = identity(2);
    let inbox = InboxId(random());

    println!("== per-item overhead (sealed, signed header, padded to a bucket)");
    println!("{:>10} {:>10} {:>10} {:>8}", "payload", "item", "overhead", "ratio");
    for len in [100usize, 1_000, 4_000, 16_000, 100_000, 1_000_000, 4_000_000] {
        let sealed = item(&sender, &recipient, inbox, len);
        println!(
            "{len:>10} {:>10} {:>10} {:>7.2}x",
            sealed.len(),
            sealed.len() - len,
            sealed.len() as f64 / len as f64
        );
    }

    let (_tmp, root) = temp_root();
    let mut mailbox = TestNode::create(&root.join("mailbox"));
    mailbox.start(vec![], |c| c.reach.mailbox = true).await;
    let addr: Multiaddr = mailbox.addrs().await.into_iter().next().expect("address");
    let mailbox_id = mailbox.peer_id;
    let mut swarm = client();
    swarm.dial(addr).expect("dial");
    match ask(&mut swarm, mailbox_id, MailboxRequest::Register { inboxes: vec![inbox] }).await {
        MailboxResponse::Registered { .. } => {}
        other => panic!("register: {other:?}"),
    }

    for (payload_len, count) in [(1_000usize, 400usize), (60_000, 200), (1_000_000, 24)] {
        let items: Vec<Vec<u8>> = (0..count).map(|_| item(&sender, &recipient, inbox, payload_len)).collect();
        let bytes: usize = items.iter().map(Vec::len).sum();
        let bucket = items[0].len();
        println!("\n== {count} items of {payload_len} payload bytes ({bucket} bytes each after padding)");

        // Baseline: the same bytes, refused at once (no inbox registered): transport and handling only.
        let nobody = InboxId(random());
        let started = Instant::now();
        for it in &items {
            match ask(&mut swarm, mailbox_id, MailboxRequest::Deposit { inbox: nobody, item: it.clone() }).await {
                MailboxResponse::Refused(_) => {}
                other => panic!("expected a refusal: {other:?}"),
            }
        }
        let baseline = started.elapsed();

        let started = Instant::now();
        for it in &items {
            match ask(&mut swarm, mailbox_id, MailboxRequest::Deposit { inbox, item: it.clone() }).await {
                MailboxResponse::Deposited { .. } => {}
                other => panic!("deposit: {other:?}"),
            }
        }
        let deposit = started.elapsed();

        let started = Instant::now();
        let (mut after, mut fetched, mut fetched_bytes) = (0u64, 0usize, 0usize);
        loop {
            let answer = ask(&mut swarm, mailbox_id, MailboxRequest::Fetch { inboxes: vec![inbox], after }).await;
            let MailboxResponse::Items { items: page, more } = answer else { panic!("fetch: {answer:?}") };
            fetched += page.len();
            fetched_bytes += page.iter().map(|i| i.item.len()).sum::<usize>();
            after = page.last().map_or(after, |i| i.id);
            let acks: Vec<(InboxId, u64)> = page.iter().map(|i| (i.inbox, i.id)).collect();
            if !acks.is_empty() {
                match ask(&mut swarm, mailbox_id, MailboxRequest::Ack { items: acks }).await {
                    MailboxResponse::Acked { .. } => {}
                    other => panic!("ack: {other:?}"),
                }
            }
            if !more {
                break;
            }
        }
        let fetch = started.elapsed();
        assert_eq!(fetched, count, "every deposited item comes back once");
        assert_eq!(fetched_bytes, bytes);

        let per_s = |d: Duration| count as f64 / d.as_secs_f64();
        println!(
            "  refused (baseline)  {:>8.0} items/s {:>8.1} MB/s   {baseline:?}",
            per_s(baseline),
            mb_per_s(bytes, baseline)
        );
        println!(
            "  deposit             {:>8.0} items/s {:>8.1} MB/s   {deposit:?}  ({:.2}x the baseline's time)",
            per_s(deposit),
            mb_per_s(bytes, deposit),
            deposit.as_secs_f64() / baseline.as_secs_f64()
        );
        println!(
            "  fetch + ack         {:>8.0} items/s {:>8.1} MB/s   {fetch:?}  ({:.2}x the baseline's time)",
            per_s(fetch),
            mb_per_s(bytes, fetch),
            fetch.as_secs_f64() / baseline.as_secs_f64()
        );
    }
    mailbox.stop().await;
}
