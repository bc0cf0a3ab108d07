//! The local directory: the replacement rule, search, expiry and catch-up pages.

use samenloop_protocol::*;

const T0: UnixTime = UnixTime(1_795_305_600);
const WEEK: u64 = 7 * 24 * 3600;

fn identity(n: u8) -> Identity {
    Identity::from_secrets([n; 32], [n.wrapping_add(100); 32])
}

fn date(s: &str) -> CalendarDate {
    s.parse().unwrap()
}

fn signed(n: u8, revision: u64, edit: impl FnOnce(&mut Profile)) -> SignedProfile {
    let mut p = Profile::named(&format!("Reviewer {n:02}"));
    edit(&mut p);
    SignedProfile::sign(&identity(n), p, revision, T0, WEEK).unwrap()
}

#[test]
fn newer_replaces_older_and_older_never_replaces_newer() {
    let mut dir = Directory::new();
    let v1 = signed(1, 1, |p| p.hours_per_month = 8);
    let v2 = signed(1, 2, |p| p.hours_per_month = 16);
    assert_eq!(dir.offer(v1.clone()), Offer::Inserted);
    assert_eq!(dir.offer(v2.clone()), Offer::Replaced { previous: 1 });
    assert_eq!(dir.offer(v1.clone()), Offer::Stale { held: 2 });
    assert_eq!(dir.offer(v2.clone()), Offer::Duplicate);
    assert_eq!(dir.get(&identity(1).peer_id()).unwrap().profile().hours_per_month, 16);
    assert!(!dir.would_accept(&v1));

    // Two different publications with the same revision: every node picks the same one, whatever the order.
    let a = signed(2, 5, |p| p.bio = "a".into());
    let b = signed(2, 5, |p| p.bio = "b".into());
    let (mut d1, mut d2) = (Directory::new(), Directory::new());
    d1.offer(a.clone());
    d1.offer(b.clone());
    d2.offer(b);
    d2.offer(a);
    let peer = identity(2).peer_id();
    assert_eq!(d1.get(&peer).unwrap().bytes(), d2.get(&peer).unwrap().bytes());
}

fn populated() -> Directory {
    let mut dir = Directory::new();
    dir.offer(signed(1, 1, |p| {
        p.name = "Anna Jansen".into();
        p.expertise = vec!["ggz".into(), "jeugdbescherming".into()];
        p.regions = vec!["Utrecht".into()];
        p.languages = vec!["nl".into(), "en".into()];
        p.hours_per_month = 16;
        p.available_from = Some(date("2026-12-01"));
        p.available_until = Some(date("2027-06-30"));
        p.bio = "Former family guardian".into();
    }));
    dir.offer(signed(2, 1, |p| {
        p.name = "Bram de Boer".into();
        p.expertise = vec!["ggz".into(), "wijkteam".into()];
        p.regions = vec!["Gelderland".into()];
        p.languages = vec!["nl".into()];
        p.hours_per_month = 24;
    }));
    dir.offer(signed(3, 1, |p| {
        p.name = "Chantal Pinas".into();
        p.expertise = vec!["onderwijs".into()];
        p.regions = vec!["utrecht".into()];
        p.languages = vec!["nl".into()];
        p.hours_per_month = 4;
        p.affiliations = vec![Affiliation { organisation: "OSG Utrecht".into(), from: None, until: None }];
    }));
    dir
}

fn names(dir: &Directory, q: DirectoryQuery) -> Vec<String> {
    dir.search(&q, T0).into_iter().map(|p| p.profile().name.clone()).collect()
}

#[test]
fn search_combines_every_filter() {
    let dir = populated();
    assert_eq!(names(&dir, DirectoryQuery::default()), ["Anna Jansen", "Bram de Boer", "Chantal Pinas"]);
    let q = |f: fn(&mut DirectoryQuery)| {
        let mut q = DirectoryQuery::default();
        f(&mut q);
        q
    };
    assert_eq!(names(&dir, q(|q| q.expertise = vec!["ggz".into()])), ["Anna Jansen", "Bram de Boer"]);
    assert_eq!(names(&dir, q(|q| q.expertise = vec!["ggz".into(), "wijkteam".into()])), ["Bram de Boer"]);
    assert_eq!(names(&dir, q(|q| q.region = Some("UTRECHT".into()))), ["Anna Jansen", "Chantal Pinas"]);
    assert_eq!(names(&dir, q(|q| q.language = Some("en".into()))), ["Anna Jansen"]);
    assert_eq!(names(&dir, q(|q| q.min_hours = Some(16))), ["Anna Jansen", "Bram de Boer"]);
    assert_eq!(names(&dir, q(|q| q.available_on = Some(date("2026-11-30")))), ["Bram de Boer", "Chantal Pinas"]);
    assert_eq!(
        names(&dir, q(|q| q.available_on = Some(date("2026-12-01")))),
        ["Anna Jansen", "Bram de Boer", "Chantal Pinas"]
    );
    assert_eq!(names(&dir, q(|q| q.available_on = Some(date("2027-07-01")))), ["Bram de Boer", "Chantal Pinas"]);
    assert_eq!(names(&dir, q(|q| q.text = Some("family GUARDIAN".into()))), ["Anna Jansen"]);
    assert_eq!(names(&dir, q(|q| q.text = Some("osg".into()))), ["Chantal Pinas"]);
    let three = DirectoryQuery {
        expertise: vec!["ggz".into()],
        region: Some("utrecht".into()),
        min_hours: Some(10),
        ..DirectoryQuery::default()
    };
    assert_eq!(names(&dir, three), ["Anna Jansen"]);
}

#[test]
fn expired_profiles_are_not_found_and_are_pruned() {
    let mut dir = populated();
    assert!(dir.search(&DirectoryQuery::default(), T0.plus_secs(WEEK)).is_empty());
    assert_eq!(dir.remove_expired(T0.plus_secs(WEEK)).len(), 3);
    assert!(dir.is_empty());
}

#[test]
fn catch_up_sends_only_what_is_missing_in_pages() {
    let mut full = Directory::new();
    for n in 0..=255u8 {
        full.offer(signed(n, 2, |_| {}));
    }
    let mut behind = Directory::new();
    behind.offer(signed(7, 2, |_| {})); // up to date
    behind.offer(signed(8, 1, |_| {})); // older revision
    let mut pages = 0;
    loop {
        let page = full.answer_catch_up(&behind.catch_up_request(), T0).unwrap();
        pages += 1;
        for bytes in &page.profiles {
            let p = SignedProfile::verify(bytes, T0).unwrap();
            assert_ne!(p.peer(), &identity(7).peer_id(), "sent a profile the requester already had");
            behind.offer(p);
        }
        if !page.more {
            break;
        }
    }
    assert_eq!(behind.len(), 256);
    assert_eq!(pages, 1, "255 missing profiles fit one page of {MAX_PAGE_PROFILES}");
    assert_eq!(behind.get(&identity(8).peer_id()).unwrap().revision(), 2);
    let empty = full.answer_catch_up(&behind.catch_up_request(), T0).unwrap();
    assert!(empty.profiles.is_empty() && !empty.more);

    let flood =
        CatchUpRequest { known: (0..=MAX_KNOWN).map(|_| KnownRevision { peer: vec![0], revision: 0 }).collect() };
    assert!(matches!(full.answer_catch_up(&flood, T0), Err(CatchUpError::TooManyKnown(_))));
}

#[test]
fn a_full_directory_refuses_new_reviewers_but_accepts_updates() {
    let mut dir = Directory::new();
    let mut n = 0u32;
    while dir.len() < MAX_DIRECTORY_PROFILES {
        let mut secret = [0u8; 32];
        secret[..4].copy_from_slice(&n.to_le_bytes());
        let id = Identity::from_secrets(secret, [1; 32]);
        assert_eq!(dir.offer(SignedProfile::sign(&id, Profile::named("x"), 1, T0, WEEK).unwrap()), Offer::Inserted);
        n += 1;
    }
    let newcomer = signed(200, 1, |_| {});
    assert!(!dir.would_accept(&newcomer));
    assert_eq!(dir.offer(newcomer.clone()), Offer::Full);
    assert_eq!(dir.offer_own(newcomer), Offer::Inserted, "a node always holds its own profile");
    let mut secret = [0u8; 32];
    secret[..4].copy_from_slice(&0u32.to_le_bytes());
    let update =
        SignedProfile::sign(&Identity::from_secrets(secret, [1; 32]), Profile::named("y"), 2, T0, WEEK).unwrap();
    assert_eq!(dir.offer(update), Offer::Replaced { previous: 1 });
}
