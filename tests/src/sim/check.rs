//! What must hold after every simulated run, once the network healed: the members converged, nothing
//! acknowledged was lost, a removed member holds nothing written after its removal, a supervisor never holds
//! the notes, and a destroyed case is gone from every member with every confirmation recorded.

use samenloop_node::cases::book::CaseBook;
use samenloop_node::cases::rows::{CaseRows, CaseTable};
use samenloop_protocol::cases::ledger::{CaseId, DocKind, Role};

use super::World;

/// Everything a node's book holds of its cases, as one line: per case the ledger length, what it holds of
/// each document (chain positions, as a pull states them), the documents' heads and whether each is broken,
/// the key epochs it holds and the audit seqs; per destroyed case the record's confirmations. Two books that
/// agree here hold the same cases.
pub fn holdings(book: &mut CaseBook) -> String {
    let mut out = String::new();
    let ids: Vec<CaseId> = book.cases.keys().copied().collect();
    for id in ids {
        out.push_str(&format!("case {id}: {:?}", book.pull_request(&id)));
        if let Some(c) = book.cases.get_mut(&id) {
            out.push_str(&format!(" epochs {:?}", c.key_epochs()));
            for (doc, r) in c.docs.iter_mut() {
                out.push_str(&format!(" {}: {:?} broken {:?}", doc.name(), r.doc.heads(), r.broken));
            }
        }
        out.push_str("; ");
    }
    for (id, t) in &book.tombstones {
        out.push_str(&format!(
            "destroyed {id}: {} confirmations, confirmed {}, {} audit entries kept; ",
            t.record.confirmations.len(),
            t.confirmed,
            t.own_audit.len()
        ));
    }
    out
}

/// The members who should hold the case now: invited, not removed, and the case not destroyed.
fn live(world: &World) -> Vec<usize> {
    if world.destruction.is_some() {
        return Vec::new();
    }
    (0..world.nodes.len())
        .filter(|i| world.invited[*i] && world.removal.as_ref().is_none_or(|r| r.member != *i))
        .collect()
}

fn reads(role: Role, doc: DocKind) -> bool {
    role.reads(doc)
}

/// What one member holds of one document: its heads and its content as JSON.
type View = (Vec<String>, String);

/// Each live reader's view of `doc` (None for a member that does not hold it).
fn views(world: &mut World, doc: DocKind) -> Vec<(usize, Option<View>)> {
    let Some(case) = world.case else { return Vec::new() };
    let members: Vec<usize> = live(world).into_iter().filter(|i| reads(world.roles[*i], doc)).collect();
    let mut out = Vec::new();
    for i in members {
        let view = world.nodes[i].up.as_mut().and_then(|r| r.book.cases.get_mut(&case)).and_then(|c| {
            let replica = c.docs.get_mut(&doc)?;
            let heads = replica.doc.heads().iter().map(|h| h.to_string()).collect();
            let json = replica.doc.to_json().ok()?.to_string();
            Some((heads, json))
        });
        out.push((i, view));
    }
    out
}

/// Whether every live member holds the same heads of every document it may read.
pub fn converged(world: &mut World) -> bool {
    for doc in DocKind::ALL {
        let v = views(world, doc);
        if v.iter().any(|(_, view)| view.is_none()) {
            return false;
        }
        if v.windows(2).any(|w| w[0].1.as_ref().map(|x| &x.0) != w[1].1.as_ref().map(|x| &x.0)) {
            return false;
        }
    }
    true
}

/// Every invariant; an empty list when all hold.
pub fn all(world: &mut World) -> Vec<String> {
    let mut problems = std::mem::take(&mut world.problems);
    convergence(world, &mut problems);
    acknowledged_edits(world, &mut problems);
    removed_member(world, &mut problems);
    supervisor(world, &mut problems);
    destruction(world, &mut problems);
    problems
}

fn convergence(world: &mut World, problems: &mut Vec<String>) {
    for doc in DocKind::ALL {
        let v = views(world, doc);
        for (i, view) in &v {
            if view.is_none() {
                problems.push(format!("m{i} does not hold the {} document after healing", doc.name()));
            }
        }
        let held: Vec<&(usize, Option<View>)> = v.iter().filter(|(_, x)| x.is_some()).collect();
        for w in held.windows(2) {
            let (a, b) = (&w[0], &w[1]);
            let (va, vb) = (a.1.as_ref(), b.1.as_ref());
            if va.map(|x| &x.0) != vb.map(|x| &x.0) {
                problems.push(format!("m{} and m{} hold different heads of the {} document", a.0, b.0, doc.name()));
            } else if va.map(|x| &x.1) != vb.map(|x| &x.1) {
                problems.push(format!("m{} and m{} read the {} document differently", a.0, b.0, doc.name()));
            }
        }
    }
}

fn acknowledged_edits(world: &mut World, problems: &mut Vec<String>) {
    let edits = world.edits.clone();
    let removal = world.removal.clone();
    for doc in DocKind::ALL {
        let v = views(world, doc);
        for e in edits.iter().filter(|e| e.doc == doc && !e.shared) {
            // A removed member's history stays as the lead held it at the removal. What else it wrote is
            // everywhere or nowhere (a member who took it in before learning of the removal passes it on;
            // convergence checks that all agree).
            let required = match &removal {
                Some(r) if r.member == e.author => r.kept.contains(&format!("\"{}\"", e.marker)),
                _ => true,
            };
            for (i, view) in &v {
                let Some((_, json)) = view else { continue };
                let present = json.contains(&format!("\"{}\"", e.marker));
                if required && !present {
                    problems.push(format!("m{i} lacks {} (acknowledged at action {})", e.marker, e.at));
                }
            }
        }
    }
}

fn removed_member(world: &mut World, problems: &mut Vec<String>) {
    let (Some(removal), Some(case)) = (world.removal.clone(), world.case) else { return };
    let later: Vec<String> = world.edits.iter().filter(|e| e.after_removal).map(|e| e.marker.clone()).collect();
    let Some(r) = world.nodes[removal.member].up.as_mut() else { return };
    let Some(c) = r.book.cases.get_mut(&case) else { return };
    if c.ledger.len() > removal.ledger_len {
        problems.push(format!(
            "the removed m{} holds {} ledger operations, more than the {} up to its removal",
            removal.member,
            c.ledger.len(),
            removal.ledger_len
        ));
    }
    for (doc, epoch) in c.key_epochs() {
        if removal.epochs.iter().any(|(d, e)| *d == doc && epoch >= *e) {
            problems.push(format!("the removed m{} holds the {} key of epoch {epoch}", removal.member, doc.name()));
        }
    }
    for replica in c.docs.values_mut() {
        let json = replica.doc.to_json().map(|j| j.to_string()).unwrap_or_default();
        for m in &later {
            if json.contains(&format!("\"{m}\"")) {
                problems.push(format!("the removed m{} can read {m}, written after its removal", removal.member));
            }
        }
    }
}

fn supervisor(world: &mut World, problems: &mut Vec<String>) {
    let Some(case) = world.case else { return };
    for i in 0..world.nodes.len() {
        if world.roles[i] != Role::Supervisor {
            continue;
        }
        let Some(c) = world.nodes[i].up.as_ref().and_then(|r| r.book.cases.get(&case)) else { continue };
        if c.key_epochs().iter().any(|(d, _)| *d == DocKind::Notes) {
            problems.push(format!("supervisor m{i} holds a notes key"));
        }
        if c.docs.contains_key(&DocKind::Notes) {
            problems.push(format!("supervisor m{i} holds the notes document"));
        }
    }
}

fn destruction(world: &mut World, problems: &mut Vec<String>) {
    let (Some(d), Some(case)) = (world.destruction.clone(), world.case) else { return };
    for &i in &d.members {
        let node = &world.nodes[i];
        let (Some(r), disk) = (node.up.as_ref(), &node.disk) else { continue };
        if r.book.cases.contains_key(&case) {
            problems.push(format!("m{i} still holds the destroyed case"));
        }
        // Every table but the tombstone's: ledger, bundles, heads, snapshots, audit entries, checkpoint.
        let rows: usize = CaseTable::ALL
            .into_iter()
            .filter(|t| *t != CaseTable::Tombstones)
            .map(|t| disk.scan(t, &case.0).map(|v| v.len()).unwrap_or(0))
            .sum();
        if rows > 0 {
            problems.push(format!("m{i}'s store keeps {rows} rows of the destroyed case"));
        }
        if disk.case_ids().is_ok_and(|ids| ids.contains(&case)) {
            problems.push(format!("m{i}'s store still lists the destroyed case"));
        }
    }
    let Some(r) = world.nodes[d.lead].up.as_ref() else { return };
    match r.book.tombstones.get(&case) {
        None => problems.push("the lead keeps no destruction record".into()),
        Some(t) => {
            if std::env::var_os("SIM_LOG").is_some() {
                eprintln!(
                    "record: members {:?}, verified {:?}",
                    t.record.members.iter().map(|m| hex::encode(&m[..4])).collect::<Vec<_>>(),
                    t.record.verify().map(|v| v
                        .confirmed
                        .iter()
                        .map(|(m, _)| hex::encode(&m[..4]))
                        .collect::<Vec<_>>())
                );
                for (i, n) in world.nodes.iter().enumerate() {
                    let t = n.up.as_ref().and_then(|r| r.book.tombstones.get(&case));
                    eprintln!(
                        "m{i} {}: tombstone {:?}",
                        hex::encode(&n.identity.verifying_key().to_bytes()[..4]),
                        t.map(|t| (t.confirmed, hex::encode(&t.lead[..4])))
                    );
                }
            }
            if t.record.confirmations.len() != d.members.len() {
                problems.push(format!(
                    "the destruction record lists {} confirmations of {} members",
                    t.record.confirmations.len(),
                    d.members.len()
                ));
            }
        }
    }
}
