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

use crate::identity::PeerId;
use crate::profile::SignedProfile;
use crate::time::{CalendarDate, UnixTime};

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
}

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

/// The search fields of one profile, lowercased once at insertion so queries never allocate per entry.
#[derive(Clone, Debug)]
struct SearchIndex {
    regions: Vec<String>,
    from: Option<i64>,
    until: Option<i64>,
    haystack: String,
}

impl SearchIndex {
    fn of(profile: &SignedProfile) -> SearchIndex {
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
        SearchIndex {
            regions: p.regions.iter().map(|r| r.trim().to_lowercase()).collect(),
            from: p.available_from.map(CalendarDate::days_since_epoch),
            until: p.available_until.map(CalendarDate::days_since_epoch),
            haystack,
        }
    }
}

#[derive(Clone, Debug)]
struct Entry {
    profile: SignedProfile,
    index: SearchIndex,
}

/// A query with its text normalised once.
struct PreparedQuery<'q> {
    query: &'q DirectoryQuery,
    region: Option<String>,
    language: Option<String>,
    words: Vec<String>,
    day: Option<i64>,
}

impl PreparedQuery<'_> {
    fn matches(&self, e: &Entry, now: UnixTime) -> bool {
        let p = e.profile.profile();
        if e.profile.expires_at() <= now {
            return false;
        }
        if let Some(min) = self.query.min_hours
            && p.hours_per_month < min
        {
            return false;
        }
        if !self.query.expertise.iter().all(|t| p.expertise.iter().any(|x| x == t)) {
            return false;
        }
        if let Some(lang) = &self.language
            && !p.languages.iter().any(|l| l == lang)
        {
            return false;
        }
        if let Some(region) = &self.region
            && !e.index.regions.iter().any(|r| r == region)
        {
            return false;
        }
        if let Some(day) = self.day
            && (e.index.from.is_some_and(|f| day < f) || e.index.until.is_some_and(|u| day > u))
        {
            return false;
        }
        self.words.iter().all(|w| e.index.haystack.contains(w.as_str()))
    }
}

/// A node's directory of verified, unexpired profiles, keyed by reviewer.
#[derive(Clone, Debug, Default)]
pub struct Directory {
    entries: HashMap<PeerId, Entry>,
}

impl Directory {
    /// An empty directory.
    pub fn new() -> Directory {
        Directory::default()
    }

    /// Offers a verified profile; it is kept only if it is news.
    pub fn offer(&mut self, profile: SignedProfile) -> Offer {
        let peer = *profile.peer();
        match self.entries.get_mut(&peer) {
            None => {
                let index = SearchIndex::of(&profile);
                self.entries.insert(peer, Entry { profile, index });
                Offer::Inserted
            }
            Some(held) if held.profile.bytes() == profile.bytes() => Offer::Duplicate,
            Some(held) if profile.supersedes(&held.profile) => {
                let previous = held.profile.revision();
                held.index = SearchIndex::of(&profile);
                held.profile = profile;
                Offer::Replaced { previous }
            }
            Some(held) => Offer::Stale { held: held.profile.revision() },
        }
    }

    /// Would `profile` be news? Lets callers skip work (storing, forwarding) for stale copies.
    pub fn would_accept(&self, profile: &SignedProfile) -> bool {
        match self.entries.get(profile.peer()) {
            None => true,
            Some(held) => held.profile.bytes() != profile.bytes() && profile.supersedes(&held.profile),
        }
    }

    /// The profile held for `peer`.
    pub fn get(&self, peer: &PeerId) -> Option<&SignedProfile> {
        self.entries.get(peer).map(|e| &e.profile)
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
        self.entries.values().map(|e| &e.profile)
    }

    /// Drops profiles whose validity has ended and returns whose they were.
    pub fn remove_expired(&mut self, now: UnixTime) -> Vec<PeerId> {
        let expired: Vec<PeerId> =
            self.entries.iter().filter(|(_, e)| e.profile.expires_at() <= now).map(|(p, _)| *p).collect();
        for p in &expired {
            self.entries.remove(p);
        }
        expired
    }

    /// The unexpired profiles matching `query`, sorted by name and then id so output is stable.
    pub fn search(&self, query: &DirectoryQuery, now: UnixTime) -> Vec<&SignedProfile> {
        let prepared = PreparedQuery {
            query,
            region: query.region.as_ref().map(|r| r.trim().to_lowercase()),
            language: query.language.as_ref().map(|l| l.trim().to_lowercase()),
            words: query.text.as_deref().unwrap_or("").split_whitespace().map(str::to_lowercase).collect(),
            day: query.available_on.map(CalendarDate::days_since_epoch),
        };
        let mut hits: Vec<&SignedProfile> =
            self.entries.values().filter(|e| prepared.matches(e, now)).map(|e| &e.profile).collect();
        hits.sort_by(|a, b| a.profile().name.cmp(&b.profile().name).then_with(|| a.peer().cmp(b.peer())));
        hits
    }
}
