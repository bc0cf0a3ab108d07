//! How profiles and search results look on a terminal.

use std::fmt::Write;

use samenloop_node::api::types::{NodeStatus, ProfileView, SearchResponse};
use samenloop_protocol::AccreditationStatus;

/// The accreditation with its verdict, e.g. "accredited (verified)" or "supervisor (self-declared: ...)".
pub fn accreditation(p: &ProfileView) -> String {
    match &p.accreditation.status {
        AccreditationStatus::Trainee => "trainee".into(),
        AccreditationStatus::Verified { .. } => format!("{} (verified)", p.accreditation.level),
        AccreditationStatus::SelfDeclared { reason } => format!("{} (self-declared: {reason})", p.accreditation.level),
    }
}

fn availability(p: &ProfileView) -> String {
    match (p.available_from, p.available_until) {
        (None, None) => "open-ended".into(),
        (Some(f), None) => format!("from {f}"),
        (None, Some(u)) => format!("until {u}"),
        (Some(f), Some(u)) => format!("{f} to {u}"),
    }
}

fn list(items: &[String]) -> String {
    if items.is_empty() { "-".into() } else { items.join(", ") }
}

/// A profile in full.
pub fn profile(p: &ProfileView) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{}", p.name);
    let _ = writeln!(out, "  id            {}", p.peer_id);
    let _ = writeln!(out, "  accreditation {}", accreditation(p));
    let _ = writeln!(out, "  expertise     {}", list(&p.expertise));
    let _ = writeln!(out, "  regions       {}", list(&p.regions));
    let _ = writeln!(out, "  languages     {}", list(&p.languages));
    let _ = writeln!(out, "  hours/month   {}", p.hours_per_month);
    let _ = writeln!(out, "  available     {}", availability(p));
    if let Some(rate) = p.rate_eur {
        let _ = writeln!(out, "  rate          EUR {rate:.2}/hour");
    }
    for a in &p.affiliations {
        let from = a.from.map(|d| d.to_string()).unwrap_or_else(|| "?".into());
        let until = a.until.map(|d| d.to_string()).unwrap_or_else(|| "now".into());
        let _ = writeln!(out, "  affiliation   {} ({from} to {until})", a.organisation);
    }
    if !p.bio.is_empty() {
        let _ = writeln!(out, "  bio           {}", p.bio.replace('\n', "\n                "));
    }
    let _ = writeln!(out, "  published     revision {}, {} (valid until {})", p.revision, p.issued_at, p.expires_at);
    out
}

/// Search results as a compact list.
pub fn search(r: &SearchResponse) -> String {
    let mut out = String::new();
    let n = r.results.len();
    let _ = writeln!(
        out,
        "{n} reviewer{} found (of {} in the local directory)",
        if n == 1 { "" } else { "s" },
        r.directory_size
    );
    for p in &r.results {
        let _ = writeln!(out);
        let _ = writeln!(out, "{}  [{}]", p.name, accreditation(p));
        let _ = writeln!(out, "  expertise {}", list(&p.expertise));
        let _ = writeln!(
            out,
            "  {} | {} | {} h/month | available {}",
            list(&p.regions),
            list(&p.languages),
            p.hours_per_month,
            availability(p)
        );
        let _ = writeln!(out, "  {}", p.peer_id);
    }
    out
}

/// Node status.
pub fn status(s: &NodeStatus) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "peer id          {}", s.peer_id);
    let _ = writeln!(out, "profile          {}", if s.profile_published { "published" } else { "not published yet" });
    let _ = writeln!(out, "directory        {} profiles", s.directory_size);
    let _ = writeln!(out, "connected peers  {}", s.connected_peers.len());
    for p in &s.connected_peers {
        let _ = writeln!(out, "  {p}");
    }
    let _ = writeln!(out, "listening on");
    for a in &s.listen_addrs {
        let _ = writeln!(out, "  {a}");
    }
    let r = &s.reach;
    let reach = match r.nat.as_str() {
        "public" => format!("public ({})", r.public_address.as_deref().unwrap_or("address confirmed")),
        "behind-nat" => "behind a router (not reachable from outside)".to_string(),
        _ => "not known yet".to_string(),
    };
    let _ = writeln!(out, "reachability     {reach}");
    for relay in &r.relayed_via {
        let _ = writeln!(out, "  relayed via    {relay}");
    }
    let _ = writeln!(out, "  direct to      {} peer(s)", r.direct_peers.len());
    for p in &r.relayed_peers {
        let _ = writeln!(out, "  relayed to     {p}");
    }
    if r.hole_punches_succeeded + r.hole_punches_failed > 0 {
        let _ =
            writeln!(out, "  hole punching  {} succeeded, {} failed", r.hole_punches_succeeded, r.hole_punches_failed);
    }
    for m in &r.mailboxes {
        let _ = writeln!(out, "mailbox          {m}");
    }
    let m = &s.mail;
    if m.deposited + m.taken + m.waiting + m.refused > 0 {
        let _ = writeln!(
            out,
            "  items          {} deposited for others, {} waiting, {} refused; {} taken in",
            m.deposited, m.waiting, m.refused, m.taken
        );
    }
    if r.serving_relay {
        let _ = writeln!(out, "serving as       relay for the network's reviewers");
    }
    if r.serving_mailbox {
        let _ = writeln!(out, "serving as       mailbox (sealed items only)");
    }
    out
}
