//! `samenloop demo`: a small local network on this machine that shows the whole flow, then exits.
//!
//! Four reviewers each get a fresh home (in a temporary directory that is removed afterwards), an
//! encrypted identity and a node on loopback. They publish profiles, a founding supervisor attests a
//! colleague, every node fills its directory by gossip, and a reviewer searches it. Then one reviewer
//! changes their availability and the others see the update. Finally a municipality posts a review
//! request, sees the match with its reasons (and who is excluded for a conflict of interest), refers it to
//! the proposed pair, and both accept.

use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use samenloop_node::api::types::ProfileUpdate;
use samenloop_node::cases::commands::{CaseCommand, EntityKind};
use samenloop_node::config::ReservePolicy;
use samenloop_node::keystore::{self, KdfParams, Passphrase};
use samenloop_node::{Client, Home, NodeConfig, NodeHandle};
use samenloop_protocol::cases::ledger::{CaseId, Role};
use samenloop_protocol::referrals::referral::{Answer, ReferralState};
use samenloop_protocol::{
    AccreditationLevel, Affiliation, CalendarDate, DirectoryQuery, InvolvedOrganisation, OrganisationKind,
    ReviewRequest, ReviewVariant, UnixTime,
};

use crate::render;

struct Reviewer {
    name: &'static str,
    level: AccreditationLevel,
    expertise: &'static [&'static str],
    region: &'static str,
    languages: &'static [&'static str],
    hours: u16,
    affiliation: Option<(&'static str, &'static str)>,
    bio: &'static str,
}

const REVIEWERS: [Reviewer; 4] = [
    Reviewer {
        name: "Anna Jansen",
        level: AccreditationLevel::Supervisor,
        expertise: &["learning-together", "jeugdbescherming", "ggz"],
        region: "Utrecht",
        languages: &["nl", "en"],
        hours: 16,
        affiliation: None,
        bio: "Founding supervisor of the network; led 11 reviews since 2014.",
    },
    Reviewer {
        name: "Bram de Boer",
        level: AccreditationLevel::Accredited,
        expertise: &["ggz", "jgz", "wijkteam"],
        region: "Utrecht",
        languages: &["nl"],
        hours: 24,
        affiliation: Some(("GGZ Centraal", "2015")),
        bio: "Former child psychiatrist; interested in chain cooperation around parents with mental illness.",
    },
    Reviewer {
        name: "Chantal Pinas",
        level: AccreditationLevel::Trainee,
        expertise: &["jeugdzorg", "onderwijs"],
        region: "Utrecht",
        languages: &["nl", "en"],
        hours: 8,
        affiliation: None,
        bio: "Trainee reviewer, background in special needs education.",
    },
    Reviewer {
        name: "Dirk Visser",
        level: AccreditationLevel::Accredited,
        expertise: &["veilig-thuis", "ggz", "huiselijk-geweld"],
        region: "Utrecht",
        languages: &["nl", "fy"],
        hours: 12,
        affiliation: Some(("Veilig Thuis Friesland", "2010")),
        bio: "Twenty years at Veilig Thuis; now independent.",
    },
];

fn today() -> CalendarDate {
    UnixTime(std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0))
        .date()
}

fn days_after(d: CalendarDate, n: i64) -> CalendarDate {
    CalendarDate::from_days_since_epoch(d.days_since_epoch() + n)
}

/// Runs the demo.
pub async fn run() -> anyhow::Result<()> {
    let dir = tempfile::tempdir().context("creating a temporary directory for the demo homes")?;
    let pass = Passphrase::new("demo passphrase".into())?;
    say!("samenloop demo: a local network of {} reviewers on 127.0.0.1\n", REVIEWERS.len());

    // 1. Identities, each in its own home, encrypted at rest.
    let mut identities = Vec::new();
    for (i, r) in REVIEWERS.iter().enumerate() {
        let home = Home::new(dir.path().join(format!("reviewer-{i}")));
        home.create()?;
        let id = keystore::create(&home.identity_path(), &pass, KdfParams::default())?;
        say!("  {:<14} {}  (home {})", r.name, id.peer_id(), home.root().display());
        identities.push((home, id));
    }
    let founder = identities[0].1.peer_id();

    // 2. Nodes: the first listens and serves the network as relay and mailbox, the others join through it.
    //    The last one is at home behind a (simulated) router: it listens on no address, so nobody can dial
    //    it, and it is reached only through its reservation on the relay. No mDNS, so the demo never meets
    //    real nodes.
    let mut nodes: Vec<NodeHandle> = Vec::new();
    for (i, (home, id)) in identities.into_iter().enumerate() {
        let mut config = NodeConfig {
            listen: vec!["/ip4/127.0.0.1/tcp/0".parse()?],
            bootstrap: match nodes.first() {
                Some(first) => first.listen_addrs().await,
                None => Vec::new(),
            },
            mdns: false,
            api: None,
            trusted_accreditors: vec![founder],
            ..NodeConfig::default()
        };
        if i == 0 {
            config.reach.relay = true;
            config.reach.mailbox = true;
        }
        if AT_HOME.contains(&i) {
            config.listen = Vec::new();
            config.reach.reserve = ReservePolicy::Always;
        }
        nodes.push(samenloop_node::start(&home, id, config).await?);
    }
    let clients: Vec<Client> = nodes.iter().map(NodeHandle::client).collect();
    say!("\n{} nodes running; every node trusts {} as founding supervisor.", nodes.len(), REVIEWERS[0].name);
    say!(
        "{}'s node serves the network as relay and mailbox. {} and {} work from home behind routers: their \
         nodes listen on no address, so nobody can dial them.\n",
        REVIEWERS[0].name,
        REVIEWERS[AT_HOME[0]].name,
        REVIEWERS[AT_HOME[1]].name
    );

    // 3. Profiles.
    let from = today();
    let until = days_after(from, 180);
    for (r, c) in REVIEWERS.iter().zip(&clients) {
        let update = ProfileUpdate {
            name: Some(r.name.into()),
            bio: Some(r.bio.into()),
            expertise: Some(r.expertise.iter().map(|s| s.to_string()).collect()),
            regions: Some(vec![r.region.into()]),
            languages: Some(r.languages.iter().map(|s| s.to_string()).collect()),
            hours_per_month: Some(r.hours),
            available_from: Some(from),
            available_until: Some(until),
            accreditation: Some(r.level),
            affiliations: r.affiliation.map(|(org, year)| {
                vec![Affiliation { organisation: org.into(), from: format!("{year}-01-01").parse().ok(), until: None }]
            }),
            rate_eur_cents: Some(13_000),
            ..ProfileUpdate::default()
        };
        c.set_profile(update).await?;
    }
    say!("Each reviewer signed and published a profile.");

    // 4. The founding supervisor attests herself (the root of trust) and Bram; Dirk's "accredited" stays
    //    self-declared because nobody trusted attested it.
    let anna = nodes[0].peer_id();
    let own = clients[0].attest(anna, AccreditationLevel::Supervisor, days_after(from, 365)).await?;
    clients[0].set_profile(ProfileUpdate { attestation: Some(own), ..ProfileUpdate::default() }).await?;
    let bram = nodes[1].peer_id();
    let attestation = clients[0].attest(bram, AccreditationLevel::Accredited, days_after(from, 365)).await?;
    clients[1].set_profile(ProfileUpdate { attestation: Some(attestation), ..ProfileUpdate::default() }).await?;
    say!(
        "{} attested {} as accredited; {} added the attestation to his profile.",
        REVIEWERS[0].name,
        REVIEWERS[1].name,
        REVIEWERS[1].name
    );

    let started = Instant::now();
    wait_until(&clients, |n| n == REVIEWERS.len()).await?;
    say!("Every node holds all {} profiles after {} ms.\n", REVIEWERS.len(), started.elapsed().as_millis());
    show_reached_through_relay(&clients).await?;

    // 5. A search, as Chantal sees it on her own node.
    let query = DirectoryQuery {
        expertise: vec!["ggz".into()],
        region: Some("Utrecht".into()),
        available_on: Some(days_after(from, 30)),
        ..DirectoryQuery::default()
    };
    say!(
        "$ samenloop directory search --expertise ggz --region Utrecht --available-on {}   (on {}'s node)\n",
        days_after(from, 30),
        REVIEWERS[2].name
    );
    say_inline!("{}", render::search(&clients[2].search(query.clone()).await?));

    // 6. Dirk is fully booked for the next three months: an update reaches everyone.
    let dirk = nodes[3].peer_id();
    let updated = clients[3]
        .set_profile(ProfileUpdate { available_from: Some(days_after(from, 90)), ..ProfileUpdate::default() })
        .await?;
    let started = Instant::now();
    loop {
        let mut all = true;
        for c in &clients {
            all &= c.profile(dirk).await.map(|p| p.revision == updated.revision).unwrap_or(false);
        }
        if all {
            break;
        }
        if started.elapsed() > Duration::from_secs(15) {
            bail!("the availability update did not reach every node within 15 s");
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    say!(
        "\n{} is now available only from {}; every node had the update after {} ms. The same search now:\n",
        REVIEWERS[3].name,
        days_after(from, 90),
        started.elapsed().as_millis()
    );
    say_inline!("{}", render::search(&clients[2].search(query).await?));

    // 7. A municipality posts a review request; the network proposes independent reviewers.
    say!("\n--- A review request -------------------------------------------------------------\n");
    let home = Home::new(dir.path().join("gemeente"));
    home.create()?;
    let id = keystore::create(&home.identity_path(), &pass, KdfParams::default())?;
    let config = NodeConfig {
        listen: vec!["/ip4/127.0.0.1/tcp/0".parse()?],
        bootstrap: nodes[0].listen_addrs().await,
        mdns: false,
        api: None,
        trusted_accreditors: vec![founder],
        ..NodeConfig::default()
    };
    let requester_node = samenloop_node::start(&home, id, config).await?;
    let requester = requester_node.client();
    let started = Instant::now();
    while requester.status().await?.directory_size < REVIEWERS.len() {
        if started.elapsed() > Duration::from_secs(15) {
            bail!("the requester's node did not catch up with the directory");
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let request = ReviewRequest {
        reason: "A 16-year-old had five placements in two years; an incident followed a long wait for help".into(),
        learning_question: "How did the organisations around the family keep sight of the young person's safety?"
            .into(),
        period_from: days_after(from, -730),
        period_until: days_after(from, -30),
        organisations: vec![
            InvolvedOrganisation { name: "Jeugdzorg Utrecht".into(), kind: OrganisationKind::YouthCare },
            InvolvedOrganisation { name: "Veilig Thuis Friesland".into(), kind: OrganisationKind::VeiligThuis },
        ],
        municipality: "Gemeente Utrecht: commissioning, supportive".into(),
        inspectorate: "Reported; the inspectorate supports a learning review".into(),
        context: "No disciplinary procedures running".into(),
        available_information: "Case files of both organisations".into(),
        family_involvement: "The mother wants to take part".into(),
        privacy: "Consent obtained; documents will be pseudonymised".into(),
        desired_start: days_after(from, 30),
        desired_end: days_after(from, 200),
        contact: "Team jeugd, Gemeente Utrecht".into(),
        costs: "The municipality pays; 100 reviewer hours".into(),
        budget_hours: 100,
        expected_result: "Agreed improvements in how the chain shares worries".into(),
        report_addressee: "The boards of the organisations and the alderman".into(),
        expertise: vec!["ggz".into(), "jeugdbescherming".into()],
        region: Some("Utrecht".into()),
        language: "nl".into(),
        variant: ReviewVariant::MidRange,
        reviewers: 2,
    };
    let record = requester.create_request(request).await?;
    say!("Gemeente Utrecht created request {} (stored encrypted on its own node).", record.id);
    say!("\n$ samenloop request match {}\n", record.id);
    let matched = requester.match_request(&record.id).await?;
    say_inline!("{}", crate::requests::render_match(&matched));

    // 8. Refer to the proposed pair; both accept.
    let pair = matched.pair.as_ref().and_then(|p| p.ids).context("no pair was proposed")?;
    say!("\n$ samenloop request refer {} --pair\n", record.id);
    requester.refer(&record.id, vec![], true, false, None).await?;
    let reviewer_clients: Vec<Client> =
        pair.iter().filter_map(|p| nodes.iter().find(|n| n.peer_id() == *p).map(NodeHandle::client)).collect();
    let started = Instant::now();
    for c in &reviewer_clients {
        let referral = loop {
            if let Some(r) = c.referrals().await?.into_iter().find(|r| r.request_id == record.id) {
                break r;
            }
            if started.elapsed() > Duration::from_secs(15) {
                bail!("a referral was not delivered within 15 s");
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        };
        let opened = c.referral(&referral.referral_id).await?;
        let me = c.status().await?.peer_id;
        let name = nodes.iter().position(|n| n.peer_id().to_string() == me).map(|i| REVIEWERS[i].name).unwrap_or("?");
        say!("{name} received the referral and read the (decrypted) learning question:");
        say!("    \"{}\"", opened.request.learning_question);
        c.answer_referral(&referral.referral_id, Answer::Accept { conflict: None }).await?;
        say!("{name} accepted, declaring no conflict of interest.");
    }
    let started = Instant::now();
    let accepted = loop {
        let r = requester.request(&record.id).await?;
        if r.referrals.iter().filter(|x| matches!(x.state, ReferralState::Accepted { .. })).count() == 2 {
            break r;
        }
        if started.elapsed() > Duration::from_secs(15) {
            bail!("the acceptances did not reach the requester within 15 s");
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    say!("\n$ samenloop request show {}\n", record.id);
    say_inline!("{}", crate::requests::render_request(&accepted));

    // 9. The first reviewer opens the case from the accepted referral and invites the other; both add
    //    timeline entries at the same time; the merged timeline is the same on both nodes.
    let (lead, co) = (&reviewer_clients[0], &reviewer_clients[1]);
    let lead_referral = lead
        .referrals()
        .await?
        .into_iter()
        .find(|r| r.request_id == record.id)
        .context("the lead's referral disappeared")?;
    say!("\n$ samenloop case open --referral {}\n", lead_referral.referral_id);
    let opened = lead.case(CaseCommand::Open { title: None, referral: Some(lead_referral.referral_id) }).await?;
    let case: CaseId = opened["id"].as_str().context("no case id")?.parse().map_err(anyhow::Error::msg)?;
    let co_peer = co.status().await?.peer_id;
    say!("\n$ samenloop case invite {case} {co_peer} --role co-reviewer");
    lead.case(CaseCommand::Invite { case, peer: co_peer, role: Role::CoReviewer }).await?;
    let started = Instant::now();
    while co.case(CaseCommand::ListEntities { case, entity: EntityKind::Timeline }).await.is_err() {
        if started.elapsed() > Duration::from_secs(15) {
            bail!("the case did not reach the co-reviewer within 15 s");
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let show = co.case(CaseCommand::Show { case }).await?;
    say_inline!("{}", crate::cases::render_summary(&show));
    let entry = |date: &str, actor: &str, what: &str| {
        let mut m = serde_json::Map::new();
        m.insert("date".into(), date.into());
        m.insert("actor".into(), actor.into());
        m.insert("what".into(), what.into());
        m
    };
    say!("\nBoth reviewers add timeline entries at the same time (each on their own node, encrypted):");
    let (a, b) = tokio::join!(
        lead.case(CaseCommand::Add {
            case,
            entity: EntityKind::Timeline,
            fields: entry("2024-03-02", "GI-1", "Family guardian visits; the mother cancels the follow-up"),
        }),
        co.case(CaseCommand::Add {
            case,
            entity: EntityKind::Timeline,
            fields: entry("2024-02-12", "VT-1", "Veilig Thuis receives a report from the school"),
        }),
    );
    a?;
    b?;
    let started = Instant::now();
    let merged = loop {
        let l = lead.case(CaseCommand::ListEntities { case, entity: EntityKind::Timeline }).await?;
        let c = co.case(CaseCommand::ListEntities { case, entity: EntityKind::Timeline }).await?;
        if l.as_array().map_or(0, Vec::len) == 2 && l == c {
            break l;
        }
        if started.elapsed() > Duration::from_secs(15) {
            bail!("the timelines did not converge within 15 s");
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    say!("\n$ samenloop case timeline list {case}   (the same on both nodes, in time order)\n");
    say_inline!("{}", crate::cases::render_entities(&merged));

    // 10. A supervisor reads the analysis and challenges an entry; the lead answers; the report is written
    //     (checked for identifiers); the case is destroyed on every node, which confirm.
    let sup_index = (0..nodes.len()).find(|i| !pair.contains(&nodes[*i].peer_id())).context("no supervisor")?;
    let sup = &clients[sup_index];
    let sup_peer = nodes[sup_index].peer_id().to_string();
    say!("\n$ samenloop case invite {case} {sup_peer} --role supervisor   ({})", REVIEWERS[sup_index].name);
    lead.case(CaseCommand::Invite { case, peer: sup_peer, role: Role::Supervisor }).await?;
    let started = Instant::now();
    let first =
        merged.as_array().and_then(|a| a.first()).and_then(|e| e["id"].as_str()).context("no entry")?.to_string();
    while sup
        .case(CaseCommand::ListEntities { case, entity: EntityKind::Timeline })
        .await
        .map_or(0, |v| v.as_array().map_or(0, Vec::len))
        < 2
    {
        if started.elapsed() > Duration::from_secs(15) {
            bail!("the analysis did not reach the supervisor within 15 s");
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let mut comment = serde_json::Map::new();
    comment.insert("target".into(), first.clone().into());
    comment.insert("kind".into(), "challenge".into());
    comment.insert("text".into(), "What did Veilig Thuis know then, before the school's report?".into());
    let started = Instant::now();
    loop {
        match sup.case(CaseCommand::Add { case, entity: EntityKind::Comment, fields: comment.clone() }).await {
            Ok(_) => break,
            Err(_) if started.elapsed() < Duration::from_secs(15) => {
                tokio::time::sleep(Duration::from_millis(50)).await
            }
            Err(e) => return Err(e.into()),
        }
    }
    say!("The supervisor challenges the first entry (the notes never reach the supervisor's node).");
    let started = Instant::now();
    let with_comment = loop {
        let l = lead.case(CaseCommand::ListEntities { case, entity: EntityKind::Timeline }).await?;
        if l.to_string().contains("\"challenge\"") {
            break l;
        }
        if started.elapsed() > Duration::from_secs(15) {
            bail!("the comment did not reach the lead within 15 s");
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    say!("\n$ samenloop case timeline list {case}   (on the lead's node, comments beside the entries)\n");
    say_inline!("{}", crate::cases::render_entities(&with_comment));

    lead.case(CaseCommand::Step { case, step: 5, date: None }).await?;
    say!("\n$ samenloop case report {case} --format md\n");
    let report = lead
        .case(CaseCommand::Report {
            case,
            format: "md".into(),
            allow: vec![],
            follow_up: Some("The organisations evaluate the agreed improvements in a year.".into()),
            preview: false,
        })
        .await?;
    let text = report["report"].as_str().context("the report was blocked")?;
    for line in text.lines().take(12) {
        say!("    {line}");
    }
    say!(
        "    ... ({} lines; checked: no names, e-mail addresses, phone numbers, BSNs, addresses or dates of birth)",
        text.lines().count()
    );
    say!("\n$ samenloop case destroy {case} --report report.md\n");
    let digest: String = {
        use sha2::Digest;
        hex::encode(sha2::Sha256::digest(text.as_bytes()))
    };
    lead.case(CaseCommand::Destroy { case, report_sha256: Some(digest) }).await?;
    let started = Instant::now();
    let record = loop {
        let r = lead.case(CaseCommand::Destruction { case }).await?;
        if r["missing"].as_array().is_some_and(Vec::is_empty) {
            break r;
        }
        if started.elapsed() > Duration::from_secs(20) {
            bail!("not every member confirmed the destruction within 20 s: {r}");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    say_inline!("{}", crate::cases::render_destruction(&record));
    say!("\n$ samenloop case audit {case} --verify   (the lead's node keeps the trail, archived without keys)\n");
    let trail = lead.case(CaseCommand::Audit { case }).await?;
    if trail["verified"] != serde_json::Value::Bool(true) {
        bail!("the audit trail does not verify: {}", trail["problem"]);
    }
    say_inline!("{}", crate::cases::render_audit(&trail));

    requester_node.shutdown().await;
    for node in nodes {
        node.shutdown().await;
    }
    say!("\nDemo finished; all nodes stopped and their temporary homes removed.");
    Ok(())
}

/// The reviewers whose nodes are behind (simulated) home routers: they listen on no address.
const AT_HOME: [usize; 2] = [2, 3];

/// Shows the reviewers at home holding reservations on the relay, their profiles naming it, and one reaching
/// the other through it: the only way two nodes behind routers that accept no incoming connection meet.
async fn show_reached_through_relay(clients: &[Client]) -> anyhow::Result<()> {
    let (home, other) = (&clients[AT_HOME[0]], &clients[AT_HOME[1]]);
    let (home_name, other_name) = (REVIEWERS[AT_HOME[0]].name, REVIEWERS[AT_HOME[1]].name);
    let home_id: samenloop_protocol::PeerId = home.status().await?.peer_id.parse().map_err(anyhow::Error::msg)?;
    let started = Instant::now();
    let relay = loop {
        let reserved =
            !home.status().await?.reach.relayed_via.is_empty() && !other.status().await?.reach.relayed_via.is_empty();
        let named = other.profile(home_id).await.ok().and_then(|p| p.relays.first().cloned());
        if let (true, Some(relay)) = (reserved, named) {
            break relay;
        }
        if started.elapsed() > Duration::from_secs(20) {
            bail!("the nodes at home got no reservation on the relay within 20 s");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let circuit = format!("{relay}/p2p-circuit/p2p/{home_id}");
    say!("$ samenloop node connect {circuit}   (on {other_name}'s node)\n");
    other.dial(circuit.parse()?).await?;
    let started = Instant::now();
    while !other.status().await?.reach.relayed_peers.contains(&home_id.to_string()) {
        if started.elapsed() > Duration::from_secs(20) {
            bail!("{other_name} could not reach {home_name} through the relay within 20 s");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    say!("$ samenloop node status   (on {other_name}'s node, behind a router)\n");
    for line in render::status(&other.status().await?).lines() {
        say!("    {line}");
    }
    say!(
        "\n{other_name} reaches {home_name} through the relay named in her signed profile. The connection is \
         end-to-end encrypted: the relay passes bytes it cannot read, and serves only reviewers whose signed \
         profile it holds.\n"
    );
    Ok(())
}

async fn wait_until(clients: &[Client], done: impl Fn(usize) -> bool) -> anyhow::Result<()> {
    let started = Instant::now();
    loop {
        let mut all = true;
        for c in clients {
            all &= done(c.status().await?.directory_size);
        }
        if all {
            return Ok(());
        }
        if started.elapsed() > Duration::from_secs(20) {
            bail!("the nodes did not exchange their profiles within 20 s");
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
