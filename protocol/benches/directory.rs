//! Directory search and profile verification, on one core. A bench binary that prints figures.
//!
//! - search: 10 000 profiles, three filters (expertise, region, available-on); p50/p99 per query.
//!   Target: p50 at most 1 ms.
//! - verification: `SignedProfile::verify` (size, envelope, strict ed25519, postcard decode, every content
//!   rule) per second, against a baseline of bare `verify_strict` on the same messages in the same run.
//!   Target: at least 20 000 per second.
//! - matching: one review request against the same 10 000 profiles (exclusions, ranking, pair); p50/p99.
//!   Target: p50 at most 10 ms.

use std::hint::black_box;
use std::time::{Duration, Instant};

use samenloop_protocol::ed25519_dalek::{Signature, VerifyingKey};
use samenloop_protocol::*;

const PROFILES: usize = 10_000;
const QUERIES: usize = 2_000;
const T0: UnixTime = UnixTime(1_795_305_600);

fn profile(i: usize) -> SignedProfile {
    let tags = ["ggz", "jeugdbescherming", "jgz", "veilig-thuis", "wijkteam", "onderwijs", "lvb", "pleegzorg"];
    let regions = ["Utrecht", "Gelderland", "Noord-Holland", "Zuid-Holland", "Friesland", "Limburg"];
    let mut p = Profile::named(&format!("Reviewer {i:05}"));
    p.bio = format!("Reviewer number {i}, twenty years in youth care, family guardian and team lead.");
    p.expertise = (0..3).map(|k| tags[(i + k * 3) % tags.len()].to_string()).collect();
    p.expertise.dedup();
    p.regions = vec![regions[i % regions.len()].into()];
    p.languages = if i.is_multiple_of(4) { vec!["nl".into(), "en".into()] } else { vec!["nl".into()] };
    p.hours_per_month = (i % 40) as u16;
    if i.is_multiple_of(3) {
        p.accreditation = AccreditationLevel::Accredited;
    }
    let start = CalendarDate::from_days_since_epoch(20_400 + (i % 300) as i64);
    p.available_from = Some(start);
    p.available_until = Some(CalendarDate::from_days_since_epoch(start.days_since_epoch() + 120 + (i % 200) as i64));
    p.affiliations = vec![Affiliation { organisation: format!("Organisation {}", i % 97), from: None, until: None }];
    let mut secret = [0u8; 32];
    secret[..8].copy_from_slice(&(i as u64).to_le_bytes());
    SignedProfile::sign(&Identity::from_secrets(secret, [7; 32]), p, 1, T0, 7 * 86_400).expect("valid profile")
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

fn main() {
    println!("building {PROFILES} signed profiles...");
    let profiles: Vec<SignedProfile> = (0..PROFILES).map(profile).collect();
    let mut dir = Directory::new();
    for p in &profiles {
        dir.offer(p.clone());
    }

    // Search.
    let query = DirectoryQuery {
        expertise: vec!["ggz".into()],
        region: Some("utrecht".into()),
        available_on: Some(CalendarDate::from_days_since_epoch(20_600)),
        ..DirectoryQuery::default()
    };
    let hits = dir.search(&query, T0).len();
    let mut times = Vec::with_capacity(QUERIES);
    for _ in 0..QUERIES {
        let t = Instant::now();
        black_box(dir.search(black_box(&query), T0).len());
        times.push(t.elapsed());
    }
    times.sort();
    let p50 = percentile(&times, 0.5);
    println!(
        "search, {PROFILES} profiles, 3 filters ({hits} hits): p50 {:.1} us, p99 {:.1} us, max {:.1} us  [target p50 <= 1000 us: {}]",
        p50.as_secs_f64() * 1e6,
        percentile(&times, 0.99).as_secs_f64() * 1e6,
        times[times.len() - 1].as_secs_f64() * 1e6,
        if p50 <= Duration::from_millis(1) { "met" } else { "MISSED" }
    );

    // Matching.
    let request = ReviewRequest {
        reason: "Incident".into(),
        learning_question: "How did the chain lose sight of the child?".into(),
        period_from: CalendarDate::from_days_since_epoch(19_700),
        period_until: CalendarDate::from_days_since_epoch(20_300),
        organisations: (0..5)
            .map(|i| InvolvedOrganisation { name: format!("Organisation {i}"), kind: OrganisationKind::YouthCare })
            .collect(),
        municipality: "Utrecht".into(),
        inspectorate: String::new(),
        context: String::new(),
        available_information: String::new(),
        family_involvement: String::new(),
        privacy: String::new(),
        desired_start: CalendarDate::from_days_since_epoch(20_550),
        desired_end: CalendarDate::from_days_since_epoch(20_730),
        contact: "contact".into(),
        costs: String::new(),
        budget_hours: 120,
        expected_result: "result".into(),
        report_addressee: "boards".into(),
        expertise: vec!["ggz".into(), "jeugdbescherming".into()],
        region: Some("Utrecht".into()),
        language: "nl".into(),
        variant: ReviewVariant::MidRange,
        reviewers: 2,
    };
    let status = |p: &SignedProfile| {
        if p.profile().hours_per_month.is_multiple_of(3) {
            AccreditationStatus::Verified { attested_by: String::new() }
        } else {
            AccreditationStatus::SelfDeclared { reason: String::new() }
        }
    };
    let context = MatchContext::default();
    let sample = match_reviewers(&request, &dir, &context, status, T0);
    let mut times = Vec::with_capacity(200);
    for _ in 0..200 {
        let t = Instant::now();
        black_box(match_reviewers(black_box(&request), &dir, &context, status, T0));
        times.push(t.elapsed());
    }
    times.sort();
    let p50 = percentile(&times, 0.5);
    println!(
        "matching one request, {PROFILES} profiles ({} candidates, {} excluded, pair {}): p50 {:.2} ms, p99 {:.2} ms  [target p50 <= 10 ms: {}]",
        sample.candidates.len(),
        sample.excluded.len(),
        if sample.pair.is_some() { "proposed" } else { "none" },
        p50.as_secs_f64() * 1e3,
        percentile(&times, 0.99).as_secs_f64() * 1e3,
        if p50 <= Duration::from_millis(10) { "met" } else { "MISSED" }
    );

    // Verification, against bare signature checks on the same bytes.
    let wire: Vec<Vec<u8>> = profiles.iter().map(|p| p.bytes().to_vec()).collect();
    let rounds = 2;
    let t = Instant::now();
    for _ in 0..rounds {
        for bytes in &wire {
            black_box(SignedProfile::verify(black_box(bytes), T0).expect("valid"));
        }
    }
    let full = (rounds * wire.len()) as f64 / t.elapsed().as_secs_f64();

    let parts: Vec<(VerifyingKey, Vec<u8>, Signature)> = wire
        .iter()
        .map(|b| {
            let key = VerifyingKey::from_bytes(b[2..34].try_into().expect("32 bytes")).expect("key");
            let mut msg = SIGNING_CONTEXT.to_vec();
            msg.extend_from_slice(&b[..b.len() - 64]);
            let sig = Signature::from_bytes(b[b.len() - 64..].try_into().expect("64 bytes"));
            (key, msg, sig)
        })
        .collect();
    let t = Instant::now();
    for _ in 0..rounds {
        for (key, msg, sig) in &parts {
            black_box(key.verify_strict(black_box(msg), sig).is_ok());
        }
    }
    let bare = (rounds * parts.len()) as f64 / t.elapsed().as_secs_f64();
    println!(
        "verify + decode signed profiles: {full:.0}/s on one core; bare ed25519 verify_strict {bare:.0}/s; ratio {:.2}  [target >= 20000/s: {}]",
        full / bare,
        if full >= 20_000.0 { "met" } else { "MISSED" }
    );
}
