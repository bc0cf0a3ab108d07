//! The JSON shapes of the local API, shared by the server, the CLI and tests.
//!
//! These are views for people and scripts, not wire formats between nodes: nodes exchange only signed
//! envelopes (see `docs/protocol.md`).

use std::collections::HashSet;

use samenloop_protocol::{
    AccreditationLevel, AccreditationStatus, Affiliation, CalendarDate, DirectoryQuery, FieldProblem, PeerId,
    SignedProfile, UnixTime, accreditation_status,
};
use serde::{Deserialize, Serialize};

/// `GET /v1/status`.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct NodeStatus {
    /// This node's reviewer id.
    pub peer_id: String,
    /// Addresses peers can reach this node on.
    pub listen_addrs: Vec<String>,
    /// Peers with an open connection.
    pub connected_peers: Vec<String>,
    /// Profiles in the local directory (this node's own included).
    pub directory_size: usize,
    /// Whether this node has published a profile.
    pub profile_published: bool,
    /// Reachability: public or behind a router, relays, direct and relayed peers.
    #[serde(default)]
    pub reach: crate::reach::ReachView,
    /// Mailbox items deposited for others and taken from mailboxes.
    #[serde(default)]
    pub mail: crate::mailbox::MailStats,
}

/// A claimed accreditation and this node's verdict on it.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct AccreditationView {
    /// The claimed level.
    pub level: AccreditationLevel,
    /// The verdict.
    #[serde(flatten)]
    pub status: AccreditationStatus,
}

/// A profile as shown to a person: content, validity, and the accreditation verdict.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct ProfileView {
    /// Reviewer id.
    pub peer_id: String,
    /// Publication revision.
    pub revision: u64,
    /// When signed (RFC 3339, UTC).
    pub issued_at: String,
    /// When it lapses.
    pub expires_at: String,
    /// Display name.
    pub name: String,
    /// Bio.
    pub bio: String,
    /// Expertise tags.
    pub expertise: Vec<String>,
    /// Regions.
    pub regions: Vec<String>,
    /// Languages.
    pub languages: Vec<String>,
    /// Hours per month.
    pub hours_per_month: u16,
    /// First available day.
    pub available_from: Option<CalendarDate>,
    /// Last available day.
    pub available_until: Option<CalendarDate>,
    /// Accreditation claim and verdict.
    pub accreditation: AccreditationView,
    /// Affiliations.
    pub affiliations: Vec<Affiliation>,
    /// Hourly rate in euros.
    pub rate_eur: Option<f64>,
    /// X25519 key for sealing data to this reviewer, hex.
    pub encryption_key: String,
    /// Relays through which this reviewer can be reached from behind a router.
    #[serde(default)]
    pub relays: Vec<String>,
    /// Mailboxes that hold items for this reviewer while it is away.
    #[serde(default)]
    pub mailboxes: Vec<String>,
}

impl ProfileView {
    /// Builds the view, deciding the accreditation verdict with the node's trust settings.
    pub fn of(
        p: &SignedProfile,
        trusted: &HashSet<PeerId>,
        attester_level: impl Fn(&PeerId) -> Option<AccreditationLevel>,
        now: UnixTime,
    ) -> ProfileView {
        let c = p.profile();
        let status = accreditation_status(p.peer(), c.accreditation, p.attestation(), trusted, attester_level, now);
        ProfileView {
            peer_id: p.peer().to_string(),
            revision: p.revision(),
            issued_at: p.record().issued_at.to_string(),
            expires_at: p.expires_at().to_string(),
            name: c.name.clone(),
            bio: c.bio.clone(),
            expertise: c.expertise.clone(),
            regions: c.regions.clone(),
            languages: c.languages.clone(),
            hours_per_month: c.hours_per_month,
            available_from: c.available_from,
            available_until: c.available_until,
            accreditation: AccreditationView { level: c.accreditation, status },
            affiliations: c.affiliations.clone(),
            rate_eur: c.rate_eur_cents.map(|r| f64::from(r) / 100.0),
            encryption_key: hex::encode(p.record().encryption_key),
            relays: p.record().reach.relays.clone(),
            mailboxes: p.record().reach.mailboxes.clone(),
        }
    }
}

/// `PUT /v1/profile`: the fields to change; absent fields keep their current value, given lists replace
/// the current list.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(default, deny_unknown_fields)]
pub struct ProfileUpdate {
    /// Display name.
    pub name: Option<String>,
    /// Bio.
    pub bio: Option<String>,
    /// Expertise tags (normalised by the node).
    pub expertise: Option<Vec<String>>,
    /// Regions.
    pub regions: Option<Vec<String>>,
    /// Languages.
    pub languages: Option<Vec<String>>,
    /// Hours per month.
    pub hours_per_month: Option<u16>,
    /// First available day.
    pub available_from: Option<CalendarDate>,
    /// Last available day.
    pub available_until: Option<CalendarDate>,
    /// Fields to empty before applying the rest of the update.
    pub clear: Vec<ProfileField>,
    /// Claimed level.
    pub accreditation: Option<AccreditationLevel>,
    /// A supervisor's attestation (hex of the signed envelope); an empty string removes it.
    pub attestation: Option<String>,
    /// Affiliations.
    pub affiliations: Option<Vec<Affiliation>>,
    /// Hourly rate in euro cents.
    pub rate_eur_cents: Option<u32>,
}

/// A profile field that can be emptied with `profile set --clear FIELD`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ProfileField {
    /// The bio.
    Bio,
    /// All expertise tags.
    Expertise,
    /// All regions.
    Region,
    /// All languages.
    Language,
    /// The first available day.
    AvailableFrom,
    /// The last available day.
    AvailableUntil,
    /// The attestation.
    Attestation,
    /// All affiliations.
    Affiliation,
    /// The hourly rate.
    Rate,
}

impl ProfileField {
    /// Every field, as named on the command line.
    pub const ALL: [(&'static str, ProfileField); 9] = [
        ("bio", ProfileField::Bio),
        ("expertise", ProfileField::Expertise),
        ("region", ProfileField::Region),
        ("language", ProfileField::Language),
        ("available-from", ProfileField::AvailableFrom),
        ("available-until", ProfileField::AvailableUntil),
        ("attestation", ProfileField::Attestation),
        ("affiliation", ProfileField::Affiliation),
        ("rate", ProfileField::Rate),
    ];
}

impl std::str::FromStr for ProfileField {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ProfileField::ALL.iter().find(|(name, _)| *name == s).map(|(_, f)| *f).ok_or_else(|| {
            let names: Vec<_> = ProfileField::ALL.iter().map(|(n, _)| *n).collect();
            format!("`{s}` is not a field that can be cleared: expected one of {}", names.join(", "))
        })
    }
}

/// `POST /v1/directory/search`.
pub type SearchRequest = DirectoryQuery;

/// `POST /v1/directory/search` answer.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct SearchResponse {
    /// Matching profiles, sorted by name.
    pub results: Vec<ProfileView>,
    /// How many profiles were searched.
    pub directory_size: usize,
}

/// `POST /v1/attestations`: a supervisor attests another reviewer.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct AttestRequest {
    /// The reviewer being attested.
    pub subject: String,
    /// The level.
    pub level: AccreditationLevel,
    /// Last day the attestation is valid.
    pub valid_until: CalendarDate,
}

/// The attestation, as hex of its signed envelope, to hand to the reviewer.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct AttestResponse {
    /// Hex of the envelope.
    pub attestation: String,
}

/// `POST /v1/requests/{id}/referrals`: whom to refer a request to.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(default, deny_unknown_fields)]
pub struct ReferRequest {
    /// Reviewers by peer id.
    pub to: Vec<String>,
    /// Also refer to the proposed pair.
    pub pair: bool,
    /// Also refer to the best remaining candidate.
    pub next: bool,
    /// Last day to answer (default: a week from now).
    pub respond_by: Option<CalendarDate>,
}

/// `POST /v1/requests/{id}/call`: post an anonymised call for reviewers.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(default, deny_unknown_fields)]
pub struct CallRequest {
    /// The theme the call may name.
    pub theme: Option<samenloop_protocol::referrals::call::ReviewTheme>,
}

/// `POST /v1/peers`: dial a peer.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct DialRequest {
    /// The peer's multiaddr.
    pub addr: String,
}

/// The body of every error response: a stable code and a message for people.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct ErrorBody {
    /// Stable machine-readable code (`invalid-profile`, `not-found`, `unauthorized`, ...).
    pub code: String,
    /// What went wrong, for the person at the terminal.
    pub message: String,
    /// For invalid input: each problem by field.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub problems: Vec<FieldProblem>,
}

/// `GET /v1/phase`: where the node stands before and after unlock.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct PhaseView {
    /// `no-identity` (first run), `locked` (waiting for the passphrase) or `running`.
    pub phase: String,
}

/// `POST /v1/web/login-link`: a one-time link that signs a browser in to the app.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct LoginLink {
    /// The link, valid once and for two minutes.
    pub url: String,
}
