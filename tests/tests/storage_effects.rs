//! Case storage as effects, through the real case book and sync core on an in-memory disk: a commit the
//! disk refuses (a full disk) undoes the event in memory (the book holds exactly what a fresh load of the
//! rows gives), and the event's requests are forgotten, so the next round asks again.

use samenloop_node::cases::book::{CaseBook, CaseDocument, CaseError};
use samenloop_node::cases::rows::MemoryRows;
use samenloop_node::cases::sources::SystemSources;
use samenloop_node::cases::sync::{CaseState, SyncCore, SyncEffect};
use samenloop_node::vault::Vault;
use samenloop_protocol::Identity;
use samenloop_protocol::cases::analysis::TimelineEntry;
use samenloop_protocol::cases::ledger::{DocKind, Role};
use samenloop_tests::sim::check::holdings;

fn book(disk: &MemoryRows, identity: &Identity) -> CaseBook {
    CaseBook::load(disk, &Vault::of(identity), identity, Box::new(SystemSources)).expect("the rows load")
}

fn timeline_text(book: &mut CaseBook, case: &samenloop_protocol::cases::ledger::CaseId) -> String {
    match &book.cases.get(case).expect("the case").docs[&DocKind::Analysis].doc {
        CaseDocument::Analysis(a) => a.to_json().expect("json").to_string(),
        _ => String::new(),
    }
}

#[test]
fn a_refused_commit_undoes_the_event_and_its_requests() {
    let lead = Identity::from_secrets([1; 32], [2; 32]);
    let member = Identity::from_secrets([3; 32], [4; 32]);
    let vault = Vault::of(&lead);
    let mut disk = MemoryRows::default();
    let mut book = book(&disk, &lead);
    let case = book
        .open_case(&vault, &lead, |a| {
            a.add_timeline_entry("t1", &TimelineEntry { what: "kept-entry".into(), ..Default::default() })
        })
        .expect("open");
    let m = (member.verifying_key().to_bytes(), member.encryption_public(), Role::CoReviewer);
    book.invite(&vault, &lead, &case, m).expect("invite");
    book.commit(&mut disk, &vault, &lead).expect("commit");
    let before = holdings(&mut book);

    // An edit, then a full disk.
    let edited = book.edit(&lead, &case, DocKind::Analysis, |d| match d {
        CaseDocument::Analysis(a) => {
            Ok(a.add_timeline_entry("t2", &TimelineEntry { what: "lost-entry".into(), ..Default::default() })?)
        }
        _ => Err(CaseError::Invalid("not the analysis".into())),
    });
    assert!(edited.is_ok_and(|(_, run)| run.is_some()), "the edit makes a run");
    assert!(timeline_text(&mut book, &case).contains("lost-entry"));
    disk.fail_commits = true;
    let refused = book.commit(&mut disk, &vault, &lead);
    assert!(matches!(refused, Err(CaseError::Store(_))), "a refused commit is an error: {refused:?}");
    assert!(!book.has_pending(), "nothing waits after a refused commit");
    // Memory follows the disk: the edit is gone, and the book is what a fresh load gives.
    assert!(!timeline_text(&mut book, &case).contains("lost-entry"), "the refused edit is undone in memory");
    assert!(timeline_text(&mut book, &case).contains("kept-entry"));
    assert_eq!(holdings(&mut book), before);
    assert_eq!(holdings(&mut book), holdings(&mut self::book(&disk, &lead)));

    // The sync core: a connection makes a pull; if its event could not be settled, the pull is forgotten,
    // and the next connection asks again.
    disk.fail_commits = false;
    let mut core = SyncCore::default();
    let mut out = Vec::new();
    let key = member.verifying_key().to_bytes();
    {
        let mut st = CaseState { book: &mut book, rows: &disk, vault: &vault, identity: &lead };
        core.connected(&mut st, key, &mut out);
    }
    let pulls = out.iter().filter(|e| matches!(e, SyncEffect::Send { to, .. } if *to == key)).count();
    assert!(pulls > 0, "a connection to a member pulls: {out:?}");
    assert_eq!(core.in_flight(), pulls);
    core.forget(&out);
    assert_eq!(core.in_flight(), 0, "dropped requests are not waited for");
    core.disconnected(key);
    let mut again = Vec::new();
    let mut st = CaseState { book: &mut book, rows: &disk, vault: &vault, identity: &lead };
    core.connected(&mut st, key, &mut again);
    assert!(again.iter().any(|e| matches!(e, SyncEffect::Send { to, .. } if *to == key)), "the pull goes out again");

    // And after the disk has room again, the same edit is kept.
    let edited = book.edit(&lead, &case, DocKind::Analysis, |d| match d {
        CaseDocument::Analysis(a) => {
            Ok(a.add_timeline_entry("t3", &TimelineEntry { what: "second-try".into(), ..Default::default() })?)
        }
        _ => Err(CaseError::Invalid("not the analysis".into())),
    });
    assert!(edited.is_ok());
    book.commit(&mut disk, &vault, &lead).expect("commit");
    assert!(timeline_text(&mut self::book(&disk, &lead), &case).contains("second-try"));
}
