//! The command line, declared with clap. Doc comments here are the `--help` text.
//!
//! Parsing only validates the shape of each argument (dates, levels, rates, affiliations); turning them
//! into requests happens in the command modules.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};
use samenloop_protocol::{
    AccreditationLevel, Affiliation, CalendarDate, InvolvedOrganisation, OrganisationKind, PeerId, ReviewVariant,
};

/// samenloop: the platform of a network of independent Learning Together case reviewers.
///
/// Each reviewer runs a node; profiles are signed and spread peer to peer, with no central server.
#[derive(Debug, Parser)]
#[command(name = "samenloop", version, propagate_version = true)]
pub struct Cli {
    /// The node's home directory [default: the platform data directory, e.g. ~/.local/share/samenloop].
    #[arg(long, global = true, env = "SAMENLOOP_HOME", value_name = "DIR")]
    pub home: Option<PathBuf>,
    /// Without a command, samenloop opens the app in your browser (see `samenloop open`).
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// Top-level commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Open the app in your browser, signed in: starts the node in the background if it does not run
    /// yet (it then asks for your passphrase in the browser), and prints the address when no browser
    /// can be opened.
    Open(OpenArgs),
    /// Create this node's identity (an ed25519 signing key and an X25519 encryption key), encrypted
    /// with a passphrase from $SAMENLOOP_PASSPHRASE or the terminal.
    Init(InitArgs),
    /// Run or inspect the node.
    #[command(subcommand)]
    Node(NodeCommand),
    /// Your profile: what the network knows about your expertise and availability.
    #[command(subcommand)]
    Profile(ProfileCommand),
    /// Search the local directory of reviewers.
    #[command(subcommand)]
    Directory(DirectoryCommand),
    /// Accreditation attestations (for supervisors).
    #[command(subcommand)]
    Accreditation(AccreditationCommand),
    /// Review requests (for requesters): create, match, refer, follow.
    #[command(subcommand)]
    Request(RequestCommand),
    /// Anonymised calls for reviewers (for reviewers): list them, signal interest.
    #[command(subcommand)]
    Call(CallCommand),
    /// Referrals you received (for reviewers): read, accept, decline.
    #[command(subcommand)]
    Referral(ReferralCommand),
    /// Cases you work on: the end-to-end-encrypted analysis and notes, shared with co-reviewers.
    #[command(subcommand)]
    Case(crate::cases::CaseCmd),
    /// List the documented expertise vocabulary.
    Expertise {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Start a small local network with sample reviewers and show the whole flow, then exit.
    Demo,
}

/// `samenloop open`.
#[derive(Debug, Args, Default)]
pub struct OpenArgs {
    /// Print the one-time sign-in link instead of opening a browser (it works once, for two minutes).
    #[arg(long)]
    pub print_link: bool,
}

/// `samenloop init`.
#[derive(Debug, Args)]
pub struct InitArgs {
    /// Your name as shown to other reviewers.
    #[arg(long)]
    pub name: String,
    /// Print `{"peer_id": ..., "home": ...}`.
    #[arg(long)]
    pub json: bool,
}

/// `samenloop node ...`.
#[derive(Debug, Subcommand)]
pub enum NodeCommand {
    /// Run the node in the foreground until Ctrl-C or SIGTERM.
    Run(RunArgs),
    /// Show peer id, addresses, connected peers and directory size.
    Status {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Connect to a peer by address (e.g. one printed by `node status` on another machine).
    Connect {
        /// The peer's multiaddr, e.g. /ip4/192.0.2.7/tcp/4001/p2p/12D3KooW...
        addr: String,
    },
}

/// `samenloop node run`.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// Address to listen on for peers (repeatable) [default: /ip4/0.0.0.0/tcp/0 and /ip4/0.0.0.0/udp/0/quic-v1].
    #[arg(long, value_name = "MULTIADDR")]
    pub listen: Vec<libp2p::Multiaddr>,
    /// A peer to join the network through (repeatable).
    #[arg(long, value_name = "MULTIADDR")]
    pub bootstrap: Vec<libp2p::Multiaddr>,
    /// Do not discover peers on the local network.
    #[arg(long)]
    pub no_mdns: bool,
    /// Where the local API listens; loopback only, port 0 picks a free port.
    #[arg(long, value_name = "ADDR")]
    pub api: Option<SocketAddr>,
    /// Trust this founding supervisor's accreditation attestations (repeatable; for this run only: put
    /// permanent ones in config.toml as `trusted_accreditors`).
    #[arg(long, value_name = "PEER")]
    pub trust_accreditor: Vec<PeerId>,
    /// Do not ask for the passphrase: serve the app and wait until it is unlocked (or the identity is
    /// created) in the browser. This is how `samenloop open` and the desktop service start the node.
    #[arg(long)]
    pub wait_for_unlock: bool,
    /// Serve as relay for the network's reviewers (those whose signed profile this node holds), so that
    /// reviewers behind home routers can be reached. Limits: `[relay_limits]` in config.toml.
    #[arg(long)]
    pub relay: bool,
    /// Serve as mailbox: hold sealed items for members who are offline (this node cannot read them).
    /// Limits: `[mailbox_limits]` in config.toml.
    #[arg(long)]
    pub mailbox: bool,
    /// A relay to keep a reservation on when this node is behind a router (repeatable; `.../p2p/ID`).
    #[arg(long = "use-relay", value_name = "MULTIADDR")]
    pub use_relay: Vec<libp2p::Multiaddr>,
    /// A mailbox to fetch from and to name in the profile (repeatable; `.../p2p/ID`).
    #[arg(long = "use-mailbox", value_name = "MULTIADDR")]
    pub use_mailbox: Vec<libp2p::Multiaddr>,
}

/// `samenloop profile ...`.
#[derive(Debug, Subcommand)]
pub enum ProfileCommand {
    /// Change your profile, then sign and publish it at once. Only the fields given change; a repeatable
    /// field given at least once replaces its whole list.
    Set(Box<ProfileSetArgs>),
    /// Show your profile, or another reviewer's.
    Show {
        /// The reviewer's peer id (default: yours).
        peer: Option<PeerId>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

/// `samenloop profile set`.
#[derive(Debug, Args)]
pub struct ProfileSetArgs {
    /// Display name.
    #[arg(long)]
    pub name: Option<String>,
    /// A short text about your background and approach.
    #[arg(long)]
    pub bio: Option<String>,
    /// An expertise tag (repeatable). See `samenloop expertise` for the vocabulary; free tags are allowed.
    #[arg(long, value_name = "TAG")]
    pub expertise: Vec<String>,
    /// A region you work in (repeatable), e.g. Utrecht, Noord-Holland, landelijk.
    #[arg(long, value_name = "REGION")]
    pub region: Vec<String>,
    /// A language you can interview in (repeatable), e.g. nl, en, fy.
    #[arg(long, value_name = "LANG")]
    pub language: Vec<String>,
    /// Hours per month you can spend on reviews.
    #[arg(long, value_name = "N")]
    pub hours_per_month: Option<u16>,
    /// First day you are available (YYYY-MM-DD; "none" clears it).
    #[arg(long, value_name = "DATE", value_parser = parse_optional_date)]
    pub available_from: Option<OptionalDate>,
    /// Last day you are available (YYYY-MM-DD; "none" clears it).
    #[arg(long, value_name = "DATE", value_parser = parse_optional_date)]
    pub available_until: Option<OptionalDate>,
    /// Your accreditation level: trainee, accredited or supervisor.
    #[arg(long, value_name = "LEVEL", value_parser = parse_level)]
    pub accreditation: Option<AccreditationLevel>,
    /// A supervisor's attestation of your level: the hex they gave you, or @FILE ("none" removes it).
    #[arg(long, value_name = "HEX|@FILE")]
    pub attestation: Option<String>,
    /// An organisation you work or worked for, ORG[:FROM[:TO]] with dates as YYYY[-MM[-DD]] (repeatable).
    /// Used to keep you off reviews where you would not be independent.
    #[arg(long, value_name = "ORG[:FROM[:TO]]", value_parser = parse_affiliation)]
    pub affiliation: Vec<Affiliation>,
    /// Your hourly rate in euros, e.g. 130 or 127.50.
    #[arg(long, value_name = "EUR", value_parser = parse_rate)]
    pub rate: Option<u32>,
    /// Empty a field before applying the other flags (repeatable): bio, expertise, region, language,
    /// available-from, available-until, attestation, affiliation, rate.
    #[arg(long, value_name = "FIELD")]
    pub clear: Vec<samenloop_node::api::types::ProfileField>,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

/// `samenloop directory ...`.
#[derive(Debug, Subcommand)]
pub enum DirectoryCommand {
    /// Search the reviewers in the local directory; all given criteria must hold.
    Search(SearchArgs),
}

/// `samenloop directory search`.
#[derive(Debug, Args)]
pub struct SearchArgs {
    /// Required expertise tag (repeatable: all must match).
    #[arg(long, value_name = "TAG")]
    pub expertise: Vec<String>,
    /// Region.
    #[arg(long, value_name = "REGION")]
    pub region: Option<String>,
    /// Language.
    #[arg(long, value_name = "LANG")]
    pub language: Option<String>,
    /// Available on this day (YYYY-MM-DD).
    #[arg(long, value_name = "DATE", value_parser = parse_date)]
    pub available_on: Option<CalendarDate>,
    /// At least this many hours per month.
    #[arg(long, value_name = "N")]
    pub min_hours: Option<u16>,
    /// Words that must all appear in name, bio, expertise, regions or affiliations.
    #[arg(long, value_name = "WORDS")]
    pub text: Option<String>,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

/// `samenloop accreditation ...`.
#[derive(Debug, Subcommand)]
pub enum AccreditationCommand {
    /// Sign an attestation of another reviewer's level (your profile must be at supervisor level).
    /// Prints the attestation for the reviewer to add with `profile set --attestation`.
    Attest {
        /// The reviewer's peer id.
        peer: PeerId,
        /// The level you attest.
        #[arg(long, value_parser = parse_level)]
        level: AccreditationLevel,
        /// Last day the attestation is valid (YYYY-MM-DD).
        #[arg(long, value_name = "DATE", value_parser = parse_date)]
        valid_until: CalendarDate,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

/// A date, or an explicit "none" that clears the field.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OptionalDate {
    /// Set to this day.
    Date(CalendarDate),
    /// Clear.
    None,
}

fn parse_date(s: &str) -> Result<CalendarDate, String> {
    s.parse::<CalendarDate>().map_err(|e| e.to_string())
}

fn parse_optional_date(s: &str) -> Result<OptionalDate, String> {
    if s.eq_ignore_ascii_case("none") {
        return Ok(OptionalDate::None);
    }
    parse_date(s).map(OptionalDate::Date)
}

fn parse_level(s: &str) -> Result<AccreditationLevel, String> {
    s.parse::<AccreditationLevel>().map_err(|e| e.to_string())
}

/// Parses "130" or "127.50" into cents.
pub fn parse_rate(s: &str) -> Result<u32, String> {
    let bad = || format!("`{s}` is not an amount in euros such as 130 or 127.50");
    let (whole, frac) = match s.trim().split_once(['.', ',']) {
        Some((w, f)) => (w, f),
        None => (s.trim(), ""),
    };
    if whole.is_empty()
        || !whole.bytes().all(|b| b.is_ascii_digit())
        || frac.len() > 2
        || !frac.bytes().all(|b| b.is_ascii_digit())
    {
        return Err(bad());
    }
    let whole: u32 = whole.parse().map_err(|_| bad())?;
    let frac: u32 = if frac.is_empty() { 0 } else { format!("{frac:0<2}").parse().map_err(|_| bad())? };
    whole.checked_mul(100).and_then(|c| c.checked_add(frac)).ok_or_else(bad)
}

/// Parses YYYY, YYYY-MM or YYYY-MM-DD; a partial date means its first day, or its last day if `end`.
fn parse_partial_date(s: &str, end: bool) -> Result<CalendarDate, String> {
    let err = || format!("`{s}` is not a date: expected YYYY, YYYY-MM or YYYY-MM-DD");
    match s.len() {
        10 => parse_date(s),
        7 | 4 => {
            let (year, month) = if s.len() == 4 { (s, None) } else { (&s[..4], Some(&s[5..])) };
            if s.len() == 7 && s.as_bytes()[4] != b'-' {
                return Err(err());
            }
            let y: i32 = year.parse().map_err(|_| err())?;
            let (m_from, m_to) = match month {
                Some(m) => {
                    let m: u32 = m.parse().map_err(|_| err())?;
                    (m, m)
                }
                None => (1, 12),
            };
            if !end {
                return CalendarDate::from_ymd(y, m_from, 1).map_err(|_| err());
            }
            // The last day of the month: the day before the first of the next month.
            let first_next =
                if m_to == 12 { CalendarDate::from_ymd(y + 1, 1, 1) } else { CalendarDate::from_ymd(y, m_to + 1, 1) };
            CalendarDate::from_ymd(y, m_to, 1).map_err(|_| err())?;
            first_next.map(|d| CalendarDate::from_days_since_epoch(d.days_since_epoch() - 1)).map_err(|_| err())
        }
        _ => Err(err()),
    }
}

/// Parses ORG[:FROM[:TO]]. An organisation name may contain colons only when both dates are given.
pub fn parse_affiliation(s: &str) -> Result<Affiliation, String> {
    let parts: Vec<&str> = s.split(':').collect();
    let (org, from, to) = match parts.as_slice() {
        [org] => (org.to_string(), "", ""),
        [org, from] => (org.to_string(), *from, ""),
        [rest @ .., from, to] => (rest.join(":"), *from, *to),
        [] => (String::new(), "", ""),
    };
    let org = org.trim().to_string();
    if org.is_empty() {
        return Err(format!("`{s}` names no organisation: expected ORG[:FROM[:TO]]"));
    }
    let date = |d: &str, end| if d.trim().is_empty() { Ok(None) } else { parse_partial_date(d.trim(), end).map(Some) };
    let from = date(from, false).map_err(|e| format!("FROM of `{s}`: {e}"))?;
    let until = date(to, true).map_err(|e| format!("TO of `{s}`: {e}"))?;
    if let (Some(f), Some(t)) = (from, until)
        && f > t
    {
        return Err(format!("`{s}` ends before it starts"));
    }
    Ok(Affiliation { organisation: org, from, until })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates() {
        assert_eq!(parse_rate("130"), Ok(13_000));
        assert_eq!(parse_rate("127.5"), Ok(12_750));
        assert_eq!(parse_rate("127,55"), Ok(12_755));
        assert!(parse_rate("12.345").is_err());
        assert!(parse_rate("-1").is_err());
        assert!(parse_rate("abc").is_err());
    }

    #[test]
    fn affiliations() {
        let a = parse_affiliation("GI Midden-Nederland:2019:2022-06").unwrap();
        assert_eq!(a.organisation, "GI Midden-Nederland");
        assert_eq!(a.from.unwrap().to_string(), "2019-01-01");
        assert_eq!(a.until.unwrap().to_string(), "2022-06-30");
        let b = parse_affiliation("Veilig Thuis Utrecht").unwrap();
        assert_eq!((b.from, b.until), (None, None));
        let c = parse_affiliation("Stichting A:B::2020-02").unwrap();
        assert_eq!(c.organisation, "Stichting A:B");
        assert_eq!(c.until.unwrap().to_string(), "2020-02-29");
        assert!(parse_affiliation("X:2020-13").unwrap_err().contains("FROM"));
        assert!(parse_affiliation(":2020").is_err());
        assert!(parse_affiliation("X:2022:2020").unwrap_err().contains("before"));
    }
}

/// `samenloop request ...`.
#[derive(Debug, Subcommand)]
pub enum RequestCommand {
    /// Create a review request from flags and/or a TOML or JSON file; prints its id. Every missing or
    /// invalid field is reported at once.
    New(Box<RequestNewArgs>),
    /// List your requests.
    List {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Show a request with its referrals and history.
    Show {
        /// The request id.
        id: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Rank the reviewers in your directory for a request, with reasons and exclusions.
    Match {
        /// The request id.
        id: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Refer a request: sealed to each reviewer, signed by you, delivered when they are online.
    Refer {
        /// The request id.
        id: String,
        /// A reviewer's peer id (repeatable).
        #[arg(long, value_name = "PEER")]
        to: Vec<PeerId>,
        /// Refer to the proposed pair.
        #[arg(long)]
        pair: bool,
        /// Refer to the best remaining candidate (after a decline or expiry).
        #[arg(long)]
        next: bool,
        /// Last day to answer (YYYY-MM-DD) [default: a week from now].
        #[arg(long, value_name = "DATE", value_parser = parse_date)]
        respond_by: Option<CalendarDate>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Broadcast an anonymised call for reviewers: region, theme, expertise, variant and start month only.
    Call {
        /// The request id.
        id: String,
        /// The theme: parent-child-dilemma, professional-practice, chain-cooperation, youth-care-context,
        /// good-practice or other.
        #[arg(long, value_parser = parse_theme)]
        theme: Option<samenloop_protocol::referrals::call::ReviewTheme>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Withdraw a request's open referrals.
    Withdraw {
        /// The request id.
        id: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

/// `samenloop request new`: every orientation question and matching need.
#[derive(Debug, Args)]
pub struct RequestNewArgs {
    /// A TOML or JSON file with the same fields (kebab-case keys); flags override it.
    #[arg(long, value_name = "FILE")]
    pub from: Option<PathBuf>,
    /// Q1: Why a review is considered.
    #[arg(long)]
    pub reason: Option<String>,
    /// Q2: The learning question.
    #[arg(long)]
    pub learning_question: Option<String>,
    /// Q2: First day of the period the review covers (YYYY-MM-DD).
    #[arg(long, value_name = "DATE", value_parser = parse_date)]
    pub period_from: Option<CalendarDate>,
    /// Q2: Last day of that period.
    #[arg(long, value_name = "DATE", value_parser = parse_date)]
    pub period_until: Option<CalendarDate>,
    /// Q3: An involved organisation, NAME:TYPE (repeatable); types: youth-care, child-protection,
    /// veilig-thuis, neighbourhood-team, mental-health, youth-health, education, police, justice,
    /// health-care, municipality, other.
    #[arg(long, value_name = "NAME:TYPE", value_parser = parse_organisation)]
    pub organisation: Vec<InvolvedOrganisation>,
    /// Q4: The municipality and its role.
    #[arg(long)]
    pub municipality: Option<String>,
    /// Q5: Involvement of the youth inspectorates.
    #[arg(long)]
    pub inspectorate: Option<String>,
    /// Q6: Context and sensitivities.
    #[arg(long)]
    pub context: Option<String>,
    /// Q7: Information available and still to gather.
    #[arg(long)]
    pub available_information: Option<String>,
    /// Q8: Family involvement.
    #[arg(long)]
    pub family_involvement: Option<String>,
    /// Q9: Privacy arrangements.
    #[arg(long)]
    pub privacy: Option<String>,
    /// Q10: Desired start (YYYY-MM-DD).
    #[arg(long, value_name = "DATE", value_parser = parse_date)]
    pub desired_start: Option<CalendarDate>,
    /// Q10: Desired end (YYYY-MM-DD).
    #[arg(long, value_name = "DATE", value_parser = parse_date)]
    pub desired_end: Option<CalendarDate>,
    /// Q11: Contact person(s).
    #[arg(long)]
    pub contact: Option<String>,
    /// Q12: Cost arrangements.
    #[arg(long)]
    pub costs: Option<String>,
    /// Q12: Budgeted reviewer hours, all reviewers together.
    #[arg(long, value_name = "N")]
    pub budget_hours: Option<u16>,
    /// Q13: Expected result.
    #[arg(long)]
    pub expected_result: Option<String>,
    /// Q14: Report addressee.
    #[arg(long)]
    pub report_addressee: Option<String>,
    /// Wanted expertise tag (repeatable).
    #[arg(long, value_name = "TAG")]
    pub expertise: Vec<String>,
    /// Region of the case.
    #[arg(long)]
    pub region: Option<String>,
    /// Language of the review [default: nl].
    #[arg(long)]
    pub language: Option<String>,
    /// Review variant: full, mid-range, focused or themed [default: full].
    #[arg(long, value_parser = parse_variant)]
    pub variant: Option<ReviewVariant>,
    /// Number of reviewers [default: 2].
    #[arg(long)]
    pub reviewers: Option<u8>,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

/// `samenloop referral ...`.
#[derive(Debug, Subcommand)]
pub enum ReferralCommand {
    /// List the referrals you received.
    List {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Show a referral with its request.
    Show {
        /// The referral id.
        id: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Accept a referral, declaring whether you have a conflict of interest.
    Accept {
        /// The referral id.
        id: String,
        /// Declare that you have no conflict of interest.
        #[arg(long, conflicts_with = "declare_conflict", required_unless_present = "declare_conflict")]
        declare_no_conflict: bool,
        /// Declare a (possible) conflict for the requester to weigh.
        #[arg(long, value_name = "TEXT")]
        declare_conflict: Option<String>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Decline a referral.
    Decline {
        /// The referral id.
        id: String,
        /// Why (shown to the requester).
        #[arg(long, value_name = "TEXT")]
        reason: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

fn parse_variant(s: &str) -> Result<ReviewVariant, String> {
    s.parse()
}

/// Parses NAME:TYPE.
pub fn parse_organisation(s: &str) -> Result<InvolvedOrganisation, String> {
    let (name, kind) = s.rsplit_once(':').ok_or_else(|| format!("`{s}` is not NAME:TYPE"))?;
    if name.trim().is_empty() {
        return Err(format!("`{s}` names no organisation"));
    }
    Ok(InvolvedOrganisation { name: name.trim().to_string(), kind: kind.parse::<OrganisationKind>()? })
}

/// `samenloop call ...`.
#[derive(Debug, Subcommand)]
pub enum CallCommand {
    /// List the open calls for reviewers seen on the network.
    List {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Tell the requester you are interested (it counts in their matching).
    Interest {
        /// The call id.
        call: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

fn parse_theme(s: &str) -> Result<samenloop_protocol::referrals::call::ReviewTheme, String> {
    s.parse()
}
