//! The local directory: every node's own copy of the verified profiles it has seen, and the queries a
//! reviewer or requester runs against it.
//!
//! There is no central directory server. Each node holds the whole directory (the network is a few hundred
//! reviewers, a few MB at most), fills it from gossip, catch-up exchanges and Kademlia, and answers searches
//! locally, so searching works offline and reveals nothing to the network about who is looking for whom.
//!
//! Only [`SignedProfile`]s (already verified) can be offered, and [`Directory::offer`] enforces the
//! replacement rule: newer replaces older, never the other way round.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use crate::directory::profile::SignedProfile;
use crate::records::identity::PeerId;
use crate::records::time::{CalendarDate, UnixTime};

/// What happened to a profile offered to the directory.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Offer {
    /// First profile from this reviewer.
    Inserted,
    /// Replaced an older revision.
    Replaced {
        /// The revision it replaced.
        previous: u64,
    },
    /// The very same publication is already held.
    Duplicate,
    /// The directory holds a newer publication; the offered one was dropped.
    Stale {
        /// The revision held.
        held: u64,
    },
    /// A new reviewer, but the directory is at [`MAX_DIRECTORY_PROFILES`]; dropped.
    Full,
}

/// The most reviewers a directory holds: far above the network's size, low enough that a flood of valid
/// profiles from fabricated identities cannot exhaust a node's memory (about 100 MB at the 8 KiB maximum).
pub const MAX_DIRECTORY_PROFILES: usize = 12_000;

impl Offer {
    /// True when the directory changed, i.e. the profile is news worth passing on.
    pub fn changed(self) -> bool {
        matches!(self, Offer::Inserted | Offer::Replaced { .. })
    }
}

/// A search over the directory. Every given criterion must hold (they are combined with AND).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct DirectoryQuery {
    /// Every one of these tags must be among the reviewer's expertise.
    pub expertise: Vec<String>,
    /// The reviewer works in this region (case-insensitive).
    pub region: Option<String>,
    /// The reviewer speaks this language.
    pub language: Option<String>,
    /// The reviewer is available on this day.
    pub available_on: Option<CalendarDate>,
    /// The reviewer offers at least this many hours per month.
    pub min_hours: Option<u16>,
    /// Every word appears somewhere in name, bio, expertise, regions or affiliations (case-insensitive).
    pub text: Option<String>,
}

/// Interned search terms (tags, regions, languages): each distinct lowercase term gets a small number, so
/// a profile's terms become a bit set and matching a query is a few integer operations per profile.
#[derive(Clone, Debug, Default)]
struct Terms {
    ids: HashMap<String, u32>,
}

impl Terms {
    fn intern(&mut self, term: &str) -> u32 {
        let next = self.ids.len() as u32;
        *self.ids.entry(term.trim().to_lowercase()).or_insert(next)
    }

    fn lookup(&self, term: &str) -> Option<u32> {
        self.ids.get(&term.trim().to_lowercase()).copied()
    }
}

/// A set of term ids: ids below 128 in a bit mask (the common case), the rest in a short list.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct TermSet {
    mask: u128,
    extra: Vec<u32>,
}

impl TermSet {
    fn insert(&mut self, id: u32) {
        if id < 128 {
            self.mask |= 1 << id;
        } else if !self.extra.contains(&id) {
            self.extra.push(id);
        }
    }

    fn contains_all(&self, wanted: &TermSet) -> bool {
        self.mask & wanted.mask == wanted.mask && wanted.extra.iter().all(|id| self.extra.contains(id))
    }
}

/// The search fields of one profile, precomputed at insertion so a query touches only this compact struct
/// for profiles that do not match, and never allocates per profile.
#[derive(Clone, Debug)]
struct SearchIndex {
    expires: UnixTime,
    hours: u16,
    from: i64,
    until: i64,
    expertise: TermSet,
    regions: TermSet,
    languages: TermSet,
    haystack: String,
}

impl SearchIndex {
    fn of(profile: &SignedProfile, terms: &mut Terms) -> SearchIndex {
        let p = profile.profile();
        let mut haystack = String::with_capacity(p.name.len() + p.bio.len() + 64);
        for part in std::iter::once(&p.name)
            .chain(std::iter::once(&p.bio))
            .chain(&p.expertise)
            .chain(&p.regions)
            .chain(p.affiliations.iter().map(|a| &a.organisation))
        {
            haystack.push_str(&part.to_lowercase());
            haystack.push('\n');
        }
        let mut set = |items: &[String]| {
            let mut s = TermSet::default();
            for i in items {
                s.insert(terms.intern(i));
            }
            s
        };
        SearchIndex {
            expires: profile.expires_at(),
            hours: p.hours_per_month,
            from: p.available_from.map_or(i64::MIN, CalendarDate::days_since_epoch),
            until: p.available_until.map_or(i64::MAX, CalendarDate::days_since_epoch),
            expertise: set(&p.expertise),
            regions: set(&p.regions),
            languages: set(&p.languages),
            haystack,
        }
    }
}

#[derive(Clone, Debug)]
struct Entry {
    profile: SignedProfile,
    index: SearchIndex,
}

/// A query translated into the index's terms once. `None` means a wanted term no profile has.
struct PreparedQuery {
    min_hours: u16,
    day: Option<i64>,
    expertise: TermSet,
    region: Option<TermSet>,
    language: Option<TermSet>,
    words: Vec<String>,
}

impl PreparedQuery {
    fn new(query: &DirectoryQuery, terms: &Terms) -> Option<PreparedQuery> {
        let mut expertise = TermSet::default();
        for tag in &query.expertise {
            expertise.insert(terms.lookup(tag)?);
        }
        let single = |term: &Option<String>| -> Option<Option<TermSet>> {
            match term {
                None => Some(None),
                Some(t) => {
                    let mut s = TermSet::default();
                    s.insert(terms.lookup(t)?);
                    Some(Some(s))
                }
            }
        };
        Some(PreparedQuery {
            min_hours: query.min_hours.unwrap_or(0),
            day: query.available_on.map(CalendarDate::days_since_epoch),
            expertise,
            region: single(&query.region)?,
            language: single(&query.language)?,
            words: query.text.as_deref().unwrap_or("").split_whitespace().map(str::to_lowercase).collect(),
        })
    }

    fn matches(&self, i: &SearchIndex, now: UnixTime) -> bool {
        i.expires > now
            && i.hours >= self.min_hours
            && self.day.is_none_or(|d| i.from <= d && d <= i.until)
            && i.expertise.contains_all(&self.expertise)
            && self.region.as_ref().is_none_or(|r| i.regions.contains_all(r))
            && self.language.as_ref().is_none_or(|l| i.languages.contains_all(l))
            && self.words.iter().all(|w| i.haystack.contains(w.as_str()))
    }
}

/// A node's directory of verified, unexpired profiles, keyed by reviewer.
///
/// Entries live in a dense vector (cache-friendly scans) with a map from reviewer to position.
#[derive(Clone, Debug, Default)]
pub struct Directory {
    positions: HashMap<PeerId, usize>,
    entries: Vec<Entry>,
    terms: Terms,
}

impl Directory {
    /// An empty directory.
    pub fn new() -> Directory {
        Directory::default()
    }

    /// Offers a verified profile; it is kept only if it is news.
    pub fn offer(&mut self, profile: SignedProfile) -> Offer {
        let peer = *profile.peer();
        match self.positions.get(&peer) {
            None if self.entries.len() >= MAX_DIRECTORY_PROFILES => Offer::Full,
            None => {
                let index = SearchIndex::of(&profile, &mut self.terms);
                self.positions.insert(peer, self.entries.len());
                self.entries.push(Entry { profile, index });
                Offer::Inserted
            }
            Some(&at) => {
                let held = &self.entries[at].profile;
                if held.bytes() == profile.bytes() {
                    Offer::Duplicate
                } else if profile.supersedes(held) {
                    let previous = held.revision();
                    let index = SearchIndex::of(&profile, &mut self.terms);
                    self.entries[at] = Entry { profile, index };
                    Offer::Replaced { previous }
                } else {
                    Offer::Stale { held: held.revision() }
                }
            }
        }
    }

    /// Offers the node's own profile, which is always kept even when the directory is full: a reviewer
    /// must always find themselves.
    pub fn offer_own(&mut self, profile: SignedProfile) -> Offer {
        if self.entries.len() >= MAX_DIRECTORY_PROFILES && !self.positions.contains_key(profile.peer()) {
            let index = SearchIndex::of(&profile, &mut self.terms);
            self.positions.insert(*profile.peer(), self.entries.len());
            self.entries.push(Entry { profile, index });
            return Offer::Inserted;
        }
        self.offer(profile)
    }

    /// Would `profile` be news? Lets callers skip work (storing, forwarding) for stale copies.
    pub fn would_accept(&self, profile: &SignedProfile) -> bool {
        match self.get(profile.peer()) {
            None => self.entries.len() < MAX_DIRECTORY_PROFILES,
            Some(held) => held.bytes() != profile.bytes() && profile.supersedes(held),
        }
    }

    /// The profile held for `peer`.
    pub fn get(&self, peer: &PeerId) -> Option<&SignedProfile> {
        self.positions.get(peer).map(|&at| &self.entries[at].profile)
    }

    /// Number of reviewers in the directory.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when the directory holds no profile.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// All held profiles, in no particular order.
    pub fn profiles(&self) -> impl Iterator<Item = &SignedProfile> {
        self.entries.iter().map(|e| &e.profile)
    }

    /// Drops profiles whose validity has ended and returns whose they were.
    pub fn remove_expired(&mut self, now: UnixTime) -> Vec<PeerId> {
        let mut removed = Vec::new();
        let mut at = 0;
        while at < self.entries.len() {
            if self.entries[at].index.expires <= now {
                let gone = self.entries.swap_remove(at);
                let peer = *gone.profile.peer();
                self.positions.remove(&peer);
                if let Some(moved) = self.entries.get(at) {
                    self.positions.insert(*moved.profile.peer(), at);
                }
                removed.push(peer);
            } else {
                at += 1;
            }
        }
        removed
    }

    /// The unexpired profiles matching `query`, sorted by name and then id so output is stable.
    pub fn search(&self, query: &DirectoryQuery, now: UnixTime) -> Vec<&SignedProfile> {
        let Some(prepared) = PreparedQuery::new(query, &self.terms) else {
            return Vec::new(); // a wanted tag, region or language that no profile has
        };
        let mut hits: Vec<&SignedProfile> =
            self.entries.iter().filter(|e| prepared.matches(&e.index, now)).map(|e| &e.profile).collect();
        hits.sort_unstable_by(|a, b| a.profile().name.cmp(&b.profile().name).then_with(|| a.peer().cmp(b.peer())));
        hits
    }
}
