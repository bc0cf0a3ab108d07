//! Deterministic simulation of one case's members with the real sync core (`samenloop_node::cases::sync`),
//! the real case book and real crypto, over a simulated network, mailbox and disk driven by one seed:
//! messages delayed, reordered, duplicated and dropped; partitions that come and heal; nodes that crash
//! (losing everything in memory, and an event whose rows were not yet committed) and restart from their
//! stored rows; disks that refuse a commit (the book restores from the rows, which is then checked against a
//! fresh load); concurrent edits of one field; invitations while away, a removal with key rotation, a lead
//! hand-over, destruction with members offline. Each node's time and randomness are the simulation's
//! (`cases::sources`), so a seed names every byte sent: the trace hashes them all.
//!
//! A run is a list of actions chosen by the seed, then a healing phase (everyone back, no loss) after which
//! the invariants in [`check`] must hold. Same seed, same schedule: a failure names its seed, and
//! `SIM_SEED=<seed>` replays it exactly.
//!
//! Flow: an action or a delivered message -> the member's `SyncCore` -> effects -> [`World::carry`] turns
//! them into scheduled messages, mailbox items and connections.

pub mod check;
pub mod rng;
pub mod wire;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use samenloop_node::cases::book::{CaseBook, CaseDocument, CaseError};
use samenloop_node::cases::commands::CaseEvent;
use samenloop_node::cases::rows::MemoryRows;
use samenloop_node::cases::sources::Sources;
use samenloop_node::cases::sync::{CaseState, FlightId, Member, Origin, SyncCore, SyncEffect};
use samenloop_node::vault::Vault;
use samenloop_protocol::cases::analysis::TimelineEntry;
use samenloop_protocol::cases::comments::Comment;
use samenloop_protocol::cases::ledger::{CaseId, DocKind, Role};
use samenloop_protocol::cases::notes::Note;
use samenloop_protocol::cases::sync::SyncResponse;
use samenloop_protocol::mailbox::{MailPayload, Recipient, first_contact_inbox, open_item, seal_item};
use samenloop_protocol::{CalendarDate, Identity, PeerId, UnixTime};

use rng::Rng;

/// How a run is shaped.
#[derive(Clone, Debug)]
pub struct Config {
    /// Members of the case: the lead, co-reviewers, and the last one a supervisor.
    pub members: usize,
    /// Actions before the network heals.
    pub events: usize,
    /// Percent of messages lost.
    pub drop: u64,
    /// Percent of messages delivered twice.
    pub duplicate: u64,
    /// Whether the member who will be removed writes too, racing its removal (a write that reaches a
    /// co-reviewer but not the lead before the removal: protocol 7.6).
    pub removal_race: bool,
    /// Per mille of events whose commit the disk refuses (as a full disk does).
    pub refuse: u64,
    /// Per mille of events after which the node crashes before its commit.
    pub tear: u64,
}

impl Default for Config {
    fn default() -> Config {
        Config { members: 4, events: 200, drop: 10, duplicate: 5, removal_race: true, refuse: 40, tear: 10 }
    }
}

/// What one run did, for the soak's figures and the replay check.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Outcome {
    /// A hash of every action and delivery: equal for two runs of one seed.
    pub trace: u64,
    /// Messages delivered.
    pub delivered: u64,
    /// Edits made (and persisted) by members.
    pub edits: usize,
    /// Crashes.
    pub crashes: usize,
    /// Of which between an event and its commit.
    pub torn: usize,
    /// Commits the disk refused (after each, memory was checked against a fresh load of the rows).
    pub refused: usize,
    /// Whether the case was destroyed in this run.
    pub destroyed: bool,
    /// Whether a member was removed.
    pub removed: bool,
}

/// A run that broke an invariant, or panicked.
#[derive(Debug)]
pub struct Failure {
    /// The seed.
    pub seed: u64,
    /// What was wrong.
    pub problems: Vec<String>,
    /// The last actions before it.
    pub log_tail: Vec<String>,
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(f, "simulation seed {} failed:", self.seed)?;
        for p in &self.problems {
            writeln!(f, "  - {p}")?;
        }
        writeln!(f, "last actions:")?;
        for l in &self.log_tail {
            writeln!(f, "    {l}")?;
        }
        write!(
            f,
            "replay: SIM_SEED={} cargo test -p samenloop-tests --test simulation replay -- --nocapture",
            self.seed
        )
    }
}

/// Runs one seed; a panic anywhere is a failure of that seed.
pub fn run(seed: u64, config: &Config) -> Result<Outcome, Failure> {
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let mut world = World::new(seed, config.clone());
        world.play();
        let problems = check::all(&mut world);
        (world.outcome(), problems, world.log_tail())
    }));
    match result {
        Ok((outcome, problems, _)) if problems.is_empty() => Ok(outcome),
        Ok((_, problems, log_tail)) => Err(Failure { seed, problems, log_tail }),
        Err(panic) => {
            let what = panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_else(|| "a panic".into());
            Err(Failure { seed, problems: vec![format!("panicked: {what}")], log_tail: Vec::new() })
        }
    }
}

/// A member's node while it runs: everything here is lost in a crash.
pub struct Running {
    /// Its cases.
    pub book: CaseBook,
    /// Its sync rules.
    pub core: SyncCore,
}

/// The simulated Unix time every node reads: the simulation's clock, from a fixed start.
const SIM_EPOCH: u64 = 1_800_000_000;

/// A node's time and randomness in the simulation: the world's clock and a generator seeded per start.
struct SimSources {
    rng: Rng,
    millis: Arc<AtomicU64>,
}

impl Sources for SimSources {
    fn now(&mut self) -> UnixTime {
        UnixTime(SIM_EPOCH + self.millis.load(Ordering::Relaxed) / 1000)
    }

    fn fill(&mut self, out: &mut [u8]) {
        for chunk in out.chunks_mut(8) {
            let v = self.rng.next_u64().to_le_bytes();
            chunk.copy_from_slice(&v[..chunk.len()]);
        }
    }
}

/// What becomes of an event's rows, as the seed decides.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fate {
    /// Committed; the effects are carried.
    Commit,
    /// The disk refuses the commit: the book restores the touched cases, the effects are dropped.
    Refuse,
    /// The node crashes after the event, before the commit: the rows and effects are lost.
    Crash,
}

/// One member's computer.
pub struct Node {
    /// For the log.
    pub name: String,
    /// Its keys.
    pub identity: Identity,
    vault: Vault,
    /// Its disk: survives crashes, holds exactly what was committed.
    pub disk: MemoryRows,
    /// Running, or down.
    pub up: Option<Running>,
    /// Counts starts, so answers meant for an earlier run of the node are not taken by this one.
    incarnation: u64,
    /// Commits the disk refused, and whether memory matched a fresh load after each.
    refused: usize,
}

impl Node {
    fn key(&self) -> Member {
        self.identity.verifying_key().to_bytes()
    }

    fn start(&mut self, seed: u64, millis: &Arc<AtomicU64>) {
        let sources = Box::new(SimSources { rng: Rng::new(seed), millis: millis.clone() });
        let book = CaseBook::load(&self.disk, &self.vault, &self.identity, sources)
            .unwrap_or_else(|e| panic!("{}: the case book does not load: {e}", self.name));
        self.up = Some(Running { book, core: SyncCore::default() });
        self.incarnation += 1;
    }

    /// Runs one event `f` on the node, if it is up, and settles it as `fate` says. Returns what `f`
    /// returned and the effects to carry, only if the rows were committed.
    fn with<R>(
        &mut self,
        fate: Fate,
        f: impl FnOnce(&mut SyncCore, &mut CaseState<'_>, &mut Vec<SyncEffect>) -> R,
    ) -> Result<Option<(R, Vec<SyncEffect>)>, String> {
        let Some(r) = self.up.as_mut() else { return Ok(None) };
        if r.book.has_pending() {
            return Err(format!("{}: case writes were left uncommitted by the last event", self.name));
        }
        let mut out = Vec::new();
        let mut st = CaseState { book: &mut r.book, rows: &self.disk, vault: &self.vault, identity: &self.identity };
        let value = f(&mut r.core, &mut st, &mut out);
        self.settle(fate, value, out)
    }

    /// Runs a local action (the API's part: an edit, a lead's change) and settles it like an event.
    fn act<R>(
        &mut self,
        fate: Fate,
        f: impl FnOnce(&mut CaseBook, &Vault, &Identity) -> R,
    ) -> Result<Option<R>, String> {
        let Some(r) = self.up.as_mut() else { return Ok(None) };
        if r.book.has_pending() {
            return Err(format!("{}: case writes were left uncommitted by the last event", self.name));
        }
        let value = f(&mut r.book, &self.vault, &self.identity);
        Ok(self.settle(fate, value, Vec::new())?.map(|(v, _)| v))
    }

    fn settle<R>(
        &mut self,
        fate: Fate,
        value: R,
        out: Vec<SyncEffect>,
    ) -> Result<Option<(R, Vec<SyncEffect>)>, String> {
        let Some(r) = self.up.as_mut() else { return Ok(None) };
        match fate {
            Fate::Crash if r.book.has_pending() => {
                self.up = None;
                Ok(None)
            }
            Fate::Refuse if r.book.has_pending() => {
                self.disk.fail_commits = true;
                let refused = r.book.commit(&mut self.disk, &self.vault, &self.identity);
                self.disk.fail_commits = false;
                if refused.is_ok() {
                    return Err(format!("{}: a commit the disk refused was reported as done", self.name));
                }
                r.core.forget(&out);
                self.refused += 1;
                // Memory follows the disk: what the book holds now is what a fresh start would load.
                let fresh = CaseBook::load(
                    &self.disk,
                    &self.vault,
                    &self.identity,
                    Box::new(SimSources { rng: Rng::new(0), millis: Arc::new(AtomicU64::new(0)) }),
                )
                .map_err(|e| format!("{}: the rows do not load after a refused commit: {e}", self.name))?;
                let (now, then) = (check::holdings(&mut r.book), check::holdings(&mut { fresh }));
                if now != then {
                    return Err(format!(
                        "{}: after a refused commit memory differs from the rows:\n  memory: {now}\n  rows:   {then}",
                        self.name
                    ));
                }
                Ok(None)
            }
            _ => match r.book.commit(&mut self.disk, &self.vault, &self.identity) {
                Ok(()) => Ok(Some((value, out))),
                Err(e) => Err(format!("{}: a commit failed: {e}", self.name)),
            },
        }
    }
}

/// A message on the simulated network.
enum Msg {
    Request { from: usize, from_inc: u64, to: usize, link: u64, flight: FlightId, bytes: Vec<u8> },
    Response { from: usize, to: usize, to_inc: u64, link: u64, flight: FlightId, bytes: Vec<u8> },
    Fail { to: usize, to_inc: u64, flight: FlightId },
    Connect { a: usize, b: usize },
}

/// An edit a member made and persisted.
#[derive(Clone, Debug)]
pub struct Edit {
    /// Who.
    pub author: usize,
    /// In which document.
    pub doc: DocKind,
    /// A text only this edit wrote.
    pub marker: String,
    /// Action number.
    pub at: usize,
    /// Whether it wrote a field other members write too (then only convergence is checked).
    pub shared: bool,
    /// Whether its author knew of the removal when writing (causally after it: the removed member must
    /// never read it; a write concurrent with the removal is sealed under the key the removed member held).
    pub after_removal: bool,
}

/// A removal, as the lead made it.
#[derive(Clone, Debug)]
pub struct Removal {
    /// The member removed.
    pub member: usize,
    /// Action number.
    pub at: usize,
    /// The ledger length after the removal.
    pub ledger_len: u64,
    /// The epochs the removal rotated to, per document.
    pub epochs: Vec<(DocKind, u32)>,
    /// The remover's documents as JSON at that moment (which of the removed member's edits stay).
    pub kept: String,
}

/// A destruction, as the lead made it.
#[derive(Clone, Debug)]
pub struct Destruction {
    /// The lead who destroyed it.
    pub lead: usize,
    /// Members at that moment.
    pub members: Vec<usize>,
}

/// The simulated world.
pub struct World {
    seed: u64,
    config: Config,
    rng: Rng,
    /// Simulated time.
    now: Duration,
    /// The same, as the nodes' clocks read it.
    millis: Arc<AtomicU64>,
    /// The members' computers; 0 opens the case.
    pub nodes: Vec<Node>,
    keys: BTreeMap<Member, usize>,
    nodes_keys: Vec<Member>,
    queue: BTreeMap<(Duration, u64), Msg>,
    next_msg: u64,
    /// Open connections, by pair (lower index first), with a number per connection.
    links: BTreeMap<(usize, usize), u64>,
    next_link: u64,
    blocked: BTreeSet<(usize, usize)>,
    /// Mailbox items: recipient, sealed item.
    mailbox: Vec<(usize, Vec<u8>)>,
    mailbox_keys: BTreeSet<(usize, usize, String)>,
    mailbox_peer: PeerId,
    /// The case.
    pub case: Option<CaseId>,
    /// Who leads, as far as the world knows.
    pub lead: usize,
    /// Planned roles (index 0 leads).
    pub roles: Vec<Role>,
    /// Who was invited.
    pub invited: Vec<bool>,
    /// Edits made.
    pub edits: Vec<Edit>,
    /// The removal, if one was made.
    pub removal: Option<Removal>,
    /// The destruction, if made.
    pub destruction: Option<Destruction>,
    /// Invariants broken while running (a message above its limit).
    pub problems: Vec<String>,
    plan_remove: Option<usize>,
    plan_hand_over: bool,
    plan_destroy: bool,
    action: usize,
    trace: u64,
    delivered: u64,
    crashes: usize,
    torn: usize,
    /// Whether the network is healing (then no disk fails and no node crashes).
    healing: bool,
    log: Vec<String>,
    /// Percent loss and duplication now (zero while healing).
    drop: u64,
    duplicate: u64,
    /// Print every action and delivery as it happens (`SIM_LOG=1`).
    verbose: bool,
}

fn pair(a: usize, b: usize) -> (usize, usize) {
    if a < b { (a, b) } else { (b, a) }
}

impl World {
    /// A world for `seed`: every member's node started, none connected yet.
    pub fn new(seed: u64, config: Config) -> World {
        let mut rng = Rng::new(seed);
        let millis = Arc::new(AtomicU64::new(0));
        let n = config.members.max(2);
        let mut nodes = Vec::new();
        let mut keys = BTreeMap::new();
        for i in 0..n {
            let identity = Identity::from_secrets(rng.bytes(), rng.bytes());
            let vault = Vault::of(&identity);
            let node = Node {
                name: format!("m{i}"),
                identity,
                vault,
                disk: MemoryRows::default(),
                up: None,
                incarnation: 0,
                refused: 0,
            };
            keys.insert(node.key(), i);
            nodes.push(node);
        }
        for node in &mut nodes {
            node.start(rng.next_u64(), &millis);
        }
        let roles: Vec<Role> = (0..n)
            .map(|i| match i {
                0 => Role::Lead,
                i if i == n - 1 => Role::Supervisor,
                _ => Role::CoReviewer,
            })
            .collect();
        let mailbox_peer = Identity::from_secrets(rng.bytes(), rng.bytes()).peer_id();
        let co_reviewers: Vec<usize> = (1..n).filter(|i| roles[*i] == Role::CoReviewer).collect();
        let plan_remove = if rng.chance(50) { rng.pick(&co_reviewers) } else { None };
        let plan_hand_over = rng.chance(40);
        let plan_destroy = rng.chance(30);
        let (drop, duplicate) = (config.drop, config.duplicate);
        World {
            seed,
            config,
            rng,
            now: Duration::ZERO,
            millis,
            nodes_keys: nodes.iter().map(|n| n.key()).collect(),
            nodes,
            keys,
            queue: BTreeMap::new(),
            next_msg: 0,
            links: BTreeMap::new(),
            next_link: 0,
            blocked: BTreeSet::new(),
            mailbox: Vec::new(),
            mailbox_keys: BTreeSet::new(),
            mailbox_peer,
            case: None,
            lead: 0,
            invited: (0..n).map(|i| i == 0).collect(),
            roles,
            edits: Vec::new(),
            removal: None,
            destruction: None,
            problems: Vec::new(),
            plan_remove,
            plan_hand_over,
            plan_destroy,
            action: 0,
            trace: 0xcbf2_9ce4_8422_2325,
            delivered: 0,
            crashes: 0,
            torn: 0,
            healing: false,
            log: Vec::new(),
            drop,
            duplicate,
            verbose: std::env::var_os("SIM_LOG").is_some(),
        }
    }

    fn note(&mut self, line: String) {
        for b in line.as_bytes() {
            self.trace = (self.trace ^ u64::from(*b)).wrapping_mul(0x100_0000_01b3);
        }
        let line = format!("[{} {:>6}ms] {line}", self.action, self.now.as_millis());
        if self.verbose {
            eprintln!("{line}");
        }
        self.log.push(line);
        if self.log.len() > 60 {
            self.log.remove(0);
        }
    }

    /// Folds bytes that went out into the trace, so two runs of a seed agree on every byte, not only on
    /// the course of events.
    fn trace_bytes(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut word = [0u8; 8];
            word[..chunk.len()].copy_from_slice(chunk);
            self.trace = (self.trace ^ u64::from_le_bytes(word)).wrapping_mul(0x100_0000_01b3);
        }
    }

    /// What becomes of the next event's rows.
    fn fate(&mut self) -> Fate {
        if self.healing {
            return Fate::Commit;
        }
        let roll = self.rng.below(1000);
        if roll < self.config.refuse {
            Fate::Refuse
        } else if roll < self.config.refuse + self.config.tear {
            Fate::Crash
        } else {
            Fate::Commit
        }
    }

    /// Runs one event on node `i` and settles it; a crash before the commit is booked as a crash. Returns
    /// what the event returned and its effects, if its rows were committed.
    fn event<R>(
        &mut self,
        i: usize,
        f: impl FnOnce(&mut SyncCore, &mut CaseState<'_>, &mut Vec<SyncEffect>) -> R,
    ) -> Option<(R, Vec<SyncEffect>)> {
        let (fate, was_up) = (self.fate(), self.nodes[i].up.is_some());
        let result = self.nodes[i].with(fate, f);
        self.settled(i, was_up, result)
    }

    /// Runs a local action on node `i` (what the API does) and settles it like an event.
    fn local<R>(&mut self, i: usize, f: impl FnOnce(&mut CaseBook, &Vault, &Identity) -> R) -> Option<R> {
        let (fate, was_up) = (self.fate(), self.nodes[i].up.is_some());
        let result = self.nodes[i].act(fate, f);
        self.settled(i, was_up, result)
    }

    fn settled<R>(&mut self, i: usize, was_up: bool, result: Result<Option<R>, String>) -> Option<R> {
        match result {
            Ok(Some(v)) => Some(v),
            Ok(None) => {
                if was_up && self.nodes[i].up.is_none() {
                    self.torn += 1;
                    self.down(i, "crashes before its commit");
                } else if was_up {
                    self.note(format!("m{i}: the disk refuses a commit; the event is undone"));
                }
                None
            }
            Err(problem) => {
                self.problems.push(problem);
                None
            }
        }
    }

    /// Node `i` went down: its links are cut, and what it remembered of its deposits is gone.
    fn down(&mut self, i: usize, how: &str) {
        self.mailbox_keys.retain(|(from, _, _)| *from != i);
        for j in 0..self.nodes.len() {
            self.cut(i, j);
        }
        self.crashes += 1;
        self.note(format!("m{i} {how}"));
    }

    fn log_tail(&self) -> Vec<String> {
        self.log.clone()
    }

    fn outcome(&self) -> Outcome {
        Outcome {
            trace: self.trace,
            delivered: self.delivered,
            edits: self.edits.len(),
            crashes: self.crashes,
            torn: self.torn,
            refused: self.nodes.iter().map(|n| n.refused).sum(),
            destroyed: self.destruction.is_some(),
            removed: self.removal.is_some(),
        }
    }

    /// The seed's actions, then healing.
    pub fn play(&mut self) {
        self.open_case();
        for action in 0..self.config.events {
            self.action = action;
            self.step();
            let advance = Duration::from_millis(self.rng.below(400));
            self.advance(advance);
        }
        self.heal();
    }

    fn open_case(&mut self) {
        let node = &mut self.nodes[0];
        let opened = node.act(Fate::Commit, |book, vault, identity| {
            book.open_case(vault, identity, |a| {
                a.set_title("sim")?;
                a.add_timeline_entry("shared", &TimelineEntry { what: "start".into(), ..Default::default() })
            })
        });
        let case = match opened {
            Ok(Some(Ok(case))) => case,
            other => panic!("the lead does not open the case: {:?}", other.map(|o| o.map(|r| r.map(|_| ())))),
        };
        self.case = Some(case);
        self.note("m0 opens the case".into());
    }

    /// Moves time on, delivering every message due meanwhile, in order.
    fn advance(&mut self, by: Duration) {
        let until = self.now + by;
        while let Some((&(at, seq), _)) = self.queue.iter().next() {
            if at > until {
                break;
            }
            let Some(msg) = self.queue.remove(&(at, seq)) else { break };
            self.set_now(self.now.max(at));
            self.deliver(msg);
        }
        self.set_now(until);
    }

    fn set_now(&mut self, now: Duration) {
        self.now = now;
        self.millis.store(now.as_millis() as u64, Ordering::Relaxed);
    }

    fn schedule(&mut self, after: Duration, msg: Msg) {
        self.next_msg += 1;
        self.queue.insert((self.now + after, self.next_msg), msg);
    }

    fn delay(&mut self) -> Duration {
        Duration::from_millis(1 + self.rng.below(250))
    }

    fn reachable(&self, a: usize, b: usize) -> bool {
        a != b && self.nodes[a].up.is_some() && self.nodes[b].up.is_some() && !self.blocked.contains(&pair(a, b))
    }

    fn connect(&mut self, a: usize, b: usize) {
        if !self.reachable(a, b) || self.links.contains_key(&pair(a, b)) {
            return;
        }
        self.next_link += 1;
        self.links.insert(pair(a, b), self.next_link);
        self.note(format!("m{a} connects to m{b}"));
        let (ka, kb) = (self.nodes[a].key(), self.nodes[b].key());
        if let Some(((), out)) = self.event(a, |core, st, out| core.connected(st, kb, out)) {
            self.carry(a, out);
        }
        // If `a` crashed in its part, the link is gone: `b` never saw it open.
        if !self.links.contains_key(&pair(a, b)) {
            return;
        }
        if let Some(((), out)) = self.event(b, |core, st, out| core.connected(st, ka, out)) {
            self.carry(b, out);
        }
    }

    fn cut(&mut self, a: usize, b: usize) {
        if self.links.remove(&pair(a, b)).is_some() {
            let (ka, kb) = (self.nodes[a].key(), self.nodes[b].key());
            if let Some(r) = self.nodes[a].up.as_mut() {
                r.core.disconnected(kb);
            }
            if let Some(r) = self.nodes[b].up.as_mut() {
                r.core.disconnected(ka);
            }
        }
    }

    /// Carries out a node's effects onto the simulated network and mailbox.
    fn carry(&mut self, from: usize, effects: Vec<SyncEffect>) {
        for effect in effects {
            match effect {
                SyncEffect::Send { to, flight, request } => {
                    let Some(&to) = self.keys.get(&to) else { continue };
                    let from_inc = self.nodes[from].incarnation;
                    let bytes = match wire::encode_request(request) {
                        Ok(b) => b,
                        Err(e) => {
                            self.problems.push(format!("m{from} -> m{to}: {e}"));
                            continue;
                        }
                    };
                    self.trace_bytes(&bytes);
                    // libp2p dials a peer it is asked to send to.
                    self.connect(from, to);
                    let Some(&link) = self.links.get(&pair(from, to)) else {
                        self.schedule(Duration::from_millis(1000), Msg::Fail { to: from, to_inc: from_inc, flight });
                        continue;
                    };
                    if self.rng.chance(self.drop) {
                        self.schedule(Duration::from_millis(2000), Msg::Fail { to: from, to_inc: from_inc, flight });
                        continue;
                    }
                    let copies = if self.rng.chance(self.duplicate) { 2 } else { 1 };
                    for _ in 0..copies {
                        let after = self.delay();
                        let msg = Msg::Request { from, from_inc, to, link, flight, bytes: bytes.clone() };
                        self.schedule(after, msg);
                    }
                }
                SyncEffect::Post { to, key, payload } => {
                    let Some(&to) = self.keys.get(&to) else { continue };
                    self.deposit(from, to, key, &payload);
                }
                SyncEffect::Dial(to) => {
                    let Some(&to) = self.keys.get(&to) else { continue };
                    if self.reachable(from, to) && !self.links.contains_key(&pair(from, to)) {
                        let after = self.delay();
                        self.schedule(after, Msg::Connect { a: from, b: to });
                    }
                }
                SyncEffect::Changed(_) => {}
            }
        }
    }

    fn deposit(&mut self, from: usize, to: usize, key: Option<String>, payload: &MailPayload) {
        // A sender deposits under a key once per run of its node (`mailbox::post` keeps the keys in memory).
        if let Some(k) = &key
            && !self.mailbox_keys.insert((from, to, k.clone()))
        {
            return;
        }
        let recipient = &self.nodes[to].identity;
        let (peer, x25519) = (recipient.peer_id(), recipient.encryption_public());
        let inbox = first_contact_inbox(&x25519, &self.mailbox_peer);
        let random = (self.rng.bytes(), self.rng.bytes(), self.rng.bytes());
        let at = samenloop_protocol::UnixTime(1_800_000_000 + self.now.as_secs());
        match seal_item(
            &self.nodes[from].identity,
            Recipient { peer: &peer, encryption_key: &x25519 },
            inbox,
            payload,
            at,
            random,
        ) {
            Ok(item) => {
                self.trace_bytes(&item);
                self.note(format!("m{from} deposits {} bytes for m{to}", item.len()));
                self.mailbox.push((to, item));
            }
            Err(e) => self.note(format!("m{from}: a deposit for m{to} is refused: {e}")),
        }
    }

    /// A member fetches and takes what its mailbox holds, as `mailbox::post` does.
    fn fetch_mail(&mut self, who: usize) {
        if self.nodes[who].up.is_none() {
            return;
        }
        let (mine, rest): (Vec<_>, Vec<_>) =
            std::mem::take(&mut self.mailbox).into_iter().partition(|(to, _)| *to == who);
        self.mailbox = rest;
        if mine.is_empty() {
            return;
        }
        let x25519 = self.nodes[who].identity.encryption_public();
        let inbox = first_contact_inbox(&x25519, &self.mailbox_peer);
        // Acknowledgements go out after the whole batch: a crash on the way leaves every item of it at the
        // mailbox, the ones already taken too (they come again, and are taken again).
        let batch: Vec<Vec<u8>> = mine.iter().map(|(_, item)| item.clone()).collect();
        let mut kept = Vec::new();
        let mut opened = Vec::new();
        for (_, item) in mine {
            match open_item(&self.nodes[who].identity, inbox, &item) {
                Ok(o) => opened.push((item, o)),
                Err(e) => self.problems.push(format!("m{who}: a mailbox item does not open: {e}")),
            }
        }
        self.note(format!("m{who} fetches {} items", opened.len()));
        loop {
            let before = opened.len();
            let mut left = Vec::new();
            for (sealed, item) in opened {
                let Some(from) = samenloop_protocol::verifying_key_of(&item.sender).map(|k| k.to_bytes()) else {
                    continue;
                };
                if self.nodes[who].up.is_none() {
                    break;
                }
                let payload = item.payload.clone();
                let taken = self.event(who, |core, st, out| match payload {
                    MailPayload::Sync(request) => core.take_mail_sync(st, from, request, out),
                    MailPayload::Delta { case, ledger_from, delta } => {
                        core.take_mail_delta(st, from, (case, ledger_from, delta), out)
                    }
                    MailPayload::Referral(_) => true,
                });
                match taken {
                    Some((true, out)) => self.carry(who, out),
                    Some((false, out)) => {
                        self.carry(who, out);
                        left.push((sealed, item));
                    }
                    // Not committed: the item is not acknowledged, so the mailbox keeps it.
                    None => kept.push(sealed),
                }
            }
            opened = left;
            if opened.is_empty() || opened.len() == before || self.nodes[who].up.is_none() {
                break;
            }
        }
        let back = if self.nodes[who].up.is_none() { batch } else { kept };
        self.mailbox.extend(back.into_iter().map(|item| (who, item)));
    }

    fn deliver(&mut self, msg: Msg) {
        self.delivered += 1;
        match msg {
            Msg::Connect { a, b } => self.connect(a, b),
            Msg::Fail { to, to_inc, flight } => {
                if self.nodes[to].incarnation != to_inc {
                    return;
                }
                self.note(format!("m{to}: request {flight} failed"));
                if let Some(((), out)) = self.event(to, |core, st, out| core.failed(st, flight, out)) {
                    self.carry(to, out);
                }
            }
            Msg::Request { from, from_inc, to, link, flight, bytes } => {
                if self.links.get(&pair(from, to)) != Some(&link) {
                    self.schedule(Duration::from_millis(1), Msg::Fail { to: from, to_inc: from_inc, flight });
                    return;
                }
                let request = match wire::decode_request(&bytes) {
                    Ok(r) => r,
                    Err(e) => {
                        self.problems.push(format!("m{from} -> m{to}: {e}"));
                        return;
                    }
                };
                let kind = match &request {
                    samenloop_protocol::cases::sync::SyncRequest::Pull { .. } => "pull",
                    samenloop_protocol::cases::sync::SyncRequest::Push { .. } => "push",
                    samenloop_protocol::cases::sync::SyncRequest::Confirm { .. } => "confirmation",
                };
                self.note(format!("m{to} answers m{from}'s {kind} {flight} ({} bytes)", bytes.len()));
                let from_key = self.nodes[from].key();
                let response = match self.event(to, |core, st, out| core.answer(st, from_key, request, out)) {
                    Some((response, out)) => {
                        self.carry(to, out);
                        response
                    }
                    // Crashed while answering: the link is gone, the asker's request fails (as libp2p reports
                    // a request whose connection closed).
                    None if self.nodes[to].up.is_none() => {
                        self.schedule(Duration::from_millis(1), Msg::Fail { to: from, to_inc: from_inc, flight });
                        return;
                    }
                    // Not stored here, as the event loop answers: the member keeps it and brings it again.
                    None => {
                        SyncResponse::Ack { refused: vec!["this node could not store it: the disk is full".into()] }
                    }
                };
                let bytes = match wire::encode_response(response) {
                    Ok(b) => b,
                    Err(e) => {
                        self.problems.push(format!("m{to} -> m{from}: {e}"));
                        return;
                    }
                };
                self.trace_bytes(&bytes);
                if self.rng.chance(self.drop) {
                    self.schedule(Duration::from_millis(2000), Msg::Fail { to: from, to_inc: from_inc, flight });
                    return;
                }
                let copies = if self.rng.chance(self.duplicate) { 2 } else { 1 };
                for _ in 0..copies {
                    let after = self.delay();
                    let msg =
                        Msg::Response { from: to, to: from, to_inc: from_inc, link, flight, bytes: bytes.clone() };
                    self.schedule(after, msg);
                }
            }
            Msg::Response { from, to, to_inc, link, flight, bytes } => {
                if self.nodes[to].incarnation != to_inc || self.nodes[to].up.is_none() {
                    return;
                }
                if self.links.get(&pair(from, to)) != Some(&link) {
                    if let Some(((), out)) = self.event(to, |core, st, out| core.failed(st, flight, out)) {
                        self.carry(to, out);
                    }
                    return;
                }
                let response = match wire::decode_response(&bytes) {
                    Ok(r) => r,
                    Err(e) => {
                        self.problems.push(format!("m{from} -> m{to}: {e}"));
                        return;
                    }
                };
                self.note(format!("m{to} takes m{from}'s answer to {flight} ({} bytes)", bytes.len()));
                let from_key = self.nodes[from].key();
                if let Some(((), out)) =
                    self.event(to, |core, st, out| core.answered(st, from_key, flight, response, out))
                {
                    self.carry(to, out);
                }
            }
        }
    }

    fn tick(&mut self, who: usize) {
        let now = self.now;
        if let Some(((), out)) = self.event(who, |core, st, out| core.tick(st, now, out)) {
            self.carry(who, out);
        }
    }

    fn up_nodes(&self) -> Vec<usize> {
        (0..self.nodes.len()).filter(|i| self.nodes[*i].up.is_some()).collect()
    }

    /// One action, chosen by the seed.
    fn step(&mut self) {
        let late = self.action * 4 >= self.config.events * 3;
        let roll = self.rng.below(100);
        match roll {
            0..=39 => self.edit(),
            40..=54 => {
                for i in self.up_nodes() {
                    self.tick(i);
                }
            }
            55..=59 => self.crash(),
            60..=67 => self.restart(),
            68..=71 => self.partition(),
            72..=76 => self.heal_one(),
            77..=83 => {
                if let Some(i) = self.rng.pick(&self.up_nodes()) {
                    self.fetch_mail(i);
                }
            }
            84..=91 => self.invite(),
            92..=94 => self.remove(),
            95..=96 => self.hand_over(),
            _ if late => self.destroy(),
            _ => self.edit(),
        }
    }

    fn crash(&mut self) {
        let Some(i) = self.rng.pick(&self.up_nodes()) else { return };
        self.nodes[i].up = None;
        self.down(i, "crashes");
    }

    fn restart(&mut self) {
        let down: Vec<usize> = (0..self.nodes.len()).filter(|i| self.nodes[*i].up.is_none()).collect();
        let Some(i) = self.rng.pick(&down) else { return };
        let seed = self.rng.next_u64();
        self.nodes[i].start(seed, &self.millis);
        self.note(format!("m{i} restarts"));
        self.tick(i);
    }

    fn partition(&mut self) {
        let n = self.nodes.len() as u64;
        let (a, b) = (self.rng.below(n) as usize, self.rng.below(n) as usize);
        if a == b {
            return;
        }
        self.blocked.insert(pair(a, b));
        self.cut(a, b);
        self.note(format!("m{a} and m{b} are cut off from each other"));
    }

    fn heal_one(&mut self) {
        let blocked: Vec<(usize, usize)> = self.blocked.iter().copied().collect();
        let Some(p) = self.rng.pick(&blocked) else { return };
        self.blocked.remove(&p);
        self.note(format!("m{} and m{} reach each other again", p.0, p.1));
    }

    fn case_here(&self, i: usize) -> bool {
        let (Some(case), Some(r)) = (self.case, self.nodes[i].up.as_ref()) else { return false };
        r.book.cases.contains_key(&case)
    }

    fn edit(&mut self) {
        let Some(case) = self.case else { return };
        let candidates: Vec<usize> = self.up_nodes().into_iter().filter(|i| self.case_here(*i)).collect();
        let Some(i) = self.rng.pick(&candidates) else { return };
        if !self.config.removal_race && self.plan_remove == Some(i) {
            return;
        }
        let n = self.edits.len();
        let marker = format!("edit-{n}-by-m{i}");
        let role = self.roles[i];
        let roll = self.rng.below(100);
        let (doc, shared) = match role {
            Role::Supervisor => (DocKind::Comments, false),
            _ if roll < 55 => (DocKind::Analysis, false),
            _ if roll < 75 => (DocKind::Analysis, true),
            _ if roll < 90 => (DocKind::Notes, false),
            _ => (DocKind::Comments, false),
        };
        let id = format!("e{n}");
        let text = marker.clone();
        let Some(r) = self.nodes[i].up.as_ref() else { return };
        let after_removal = self.removal.as_ref().is_some_and(|rm| {
            let gone = self.nodes_keys[rm.member];
            r.book.cases.get(&case).is_some_and(|c| c.ledger.was_removed(&gone))
        });
        let result = self.local(i, |book, _, identity| {
            book.edit(identity, &case, doc, |d| match d {
                CaseDocument::Analysis(a) if shared => {
                    a.edit_timeline_entry("shared", &TimelineEntry { what: text, ..Default::default() })?;
                    Ok(())
                }
                CaseDocument::Analysis(a) => {
                    a.add_timeline_entry(
                        &id,
                        &TimelineEntry { what: text, actor: "GI-1".into(), ..Default::default() },
                    )?;
                    Ok(())
                }
                CaseDocument::Notes(notes) => {
                    notes.add_note(&id, &Note { title: text, ..Default::default() })?;
                    Ok(())
                }
                CaseDocument::Comments(c) => {
                    c.add_comment(&id, &Comment { target: "shared".into(), text, ..Default::default() })?;
                    Ok(())
                }
            })
        });
        match result {
            None => {}
            Some(Ok(((), Some(run)))) => {
                self.edits.push(Edit {
                    author: i,
                    doc,
                    marker: marker.clone(),
                    at: self.action,
                    shared,
                    after_removal,
                });
                self.note(format!("m{i} writes {marker} in {}", doc.name()));
                let event = CaseEvent::Edited { case, doc, run };
                if let Some(((), out)) = self.event(i, |core, st, out| core.announce(st, event, Origin::Here, out)) {
                    self.carry(i, out);
                }
            }
            Some(Ok(((), None))) => {}
            Some(Err(e)) => self.note(format!("m{i} cannot write {}: {e}", doc.name())),
        }
    }

    /// Runs a lead's change to membership and announces it as the API would.
    fn lead_change(
        &mut self,
        what: &str,
        f: impl FnOnce(&mut CaseBook, &Vault, &Identity, &CaseId) -> Result<Vec<CaseEvent>, CaseError>,
    ) -> bool {
        let Some(case) = self.case else { return false };
        let lead = self.lead;
        match self.local(lead, |book, vault, identity| f(book, vault, identity, &case)) {
            None => false,
            Some(Ok(events)) => {
                self.note(format!("m{lead} {what}"));
                let announced = self.event(lead, |core, st, out| {
                    for e in events {
                        core.announce(st, e, Origin::Here, out);
                    }
                });
                if let Some(((), out)) = announced {
                    self.carry(lead, out);
                }
                true
            }
            Some(Err(e)) => {
                self.note(format!("m{lead} cannot {what}: {e}"));
                false
            }
        }
    }

    fn invite(&mut self) {
        if self.destruction.is_some() {
            return;
        }
        let Some(next) = (0..self.nodes.len()).find(|i| !self.invited[*i]) else { return };
        let (member, x25519, role) =
            (self.nodes[next].key(), self.nodes[next].identity.encryption_public(), self.roles[next]);
        let done = self.lead_change(&format!("invites m{next}"), |book, vault, identity, case| {
            book.invite(vault, identity, case, (member, x25519, role))?;
            Ok(vec![CaseEvent::LedgerChanged { case: *case }])
        });
        if done {
            self.invited[next] = true;
        }
    }

    fn remove(&mut self) {
        let Some(target) = self.plan_remove else { return };
        if !self.invited[target] || self.removal.is_some() || self.destruction.is_some() || target == self.lead {
            return;
        }
        let member = self.nodes[target].key();
        let done = self.lead_change(&format!("removes m{target}"), |book, vault, identity, case| {
            book.remove_member(vault, identity, case, member)?;
            Ok(vec![CaseEvent::LedgerChanged { case: *case }, CaseEvent::Removed { case: *case, member }])
        });
        if !done {
            return;
        }
        let lead = self.lead;
        let Some(case) = self.case else { return };
        let Some(r) = self.nodes[lead].up.as_mut() else { return };
        let Some(c) = r.book.cases.get_mut(&case) else { return };
        let epochs = DocKind::ALL.into_iter().filter_map(|d| c.ledger.current_epoch(d).map(|e| (d, e))).collect();
        let ledger_len = c.ledger.len();
        let mut kept = String::new();
        for replica in c.docs.values_mut() {
            if let Ok(j) = replica.doc.to_json() {
                kept.push_str(&j.to_string());
            }
        }
        self.removal = Some(Removal { member: target, at: self.action, ledger_len, epochs, kept });
    }

    fn hand_over(&mut self) {
        if !self.plan_hand_over || self.destruction.is_some() || self.lead != 0 {
            return;
        }
        let Some(to) = (1..self.nodes.len()).find(|i| {
            self.invited[*i]
                && self.roles[*i] == Role::CoReviewer
                && self.removal.as_ref().is_none_or(|r| r.member != *i)
                && self.plan_remove != Some(*i)
        }) else {
            return;
        };
        let key = self.nodes[to].key();
        if self.lead_change(&format!("hands the lead to m{to}"), |book, vault, identity, case| {
            book.hand_lead(vault, identity, case, key)?;
            Ok(vec![CaseEvent::LedgerChanged { case: *case }])
        }) {
            self.lead = to;
        }
    }

    fn destroy(&mut self) {
        if !self.plan_destroy || self.destruction.is_some() {
            return;
        }
        let Some(case) = self.case else { return };
        let lead = self.lead;
        // Step 5 first, as a lead does before the working documents go.
        let date = CalendarDate::from_ymd(2026, 12, 3).expect("a date");
        let result = self.local(lead, |book, _, identity| {
            book.edit(identity, &case, DocKind::Analysis, |d| match d {
                CaseDocument::Analysis(a) => Ok(a.set_step(5, date)?),
                _ => Err(CaseError::Invalid("not the analysis".into())),
            })
        });
        match result {
            None => return,
            Some(Ok(((), Some(run)))) => {
                let event = CaseEvent::Edited { case, doc: DocKind::Analysis, run };
                if let Some(((), out)) = self.event(lead, |core, st, out| core.announce(st, event, Origin::Here, out)) {
                    self.carry(lead, out);
                }
            }
            Some(Ok(((), None))) => {}
            Some(Err(e)) => {
                self.note(format!("m{lead} cannot set step 5: {e}"));
                return;
            }
        }
        let members: Vec<usize> = {
            let Some(r) = self.nodes[lead].up.as_ref() else { return };
            let Some(c) = r.book.cases.get(&case) else { return };
            c.ledger.members().filter_map(|m| self.keys.get(&m.key).copied()).collect()
        };
        if self.lead_change("destroys the case", |book, vault, identity, case| {
            book.destroy(vault, identity, case, None)?;
            Ok(vec![CaseEvent::Destroyed { case: *case }])
        }) {
            self.destruction = Some(Destruction { lead, members });
        }
    }

    /// Everyone back, every link allowed, nothing lost: runs until quiet, as a network that healed.
    fn heal(&mut self) {
        self.action = self.config.events;
        self.healing = true;
        self.note("the network heals".into());
        self.drop = 0;
        self.duplicate = 0;
        self.blocked.clear();
        for i in 0..self.nodes.len() {
            if self.nodes[i].up.is_none() {
                let seed = self.rng.next_u64();
                self.nodes[i].start(seed, &self.millis);
                self.note(format!("m{i} restarts"));
            }
        }
        // Invitations the lead could not make while it was away.
        for _ in 0..self.nodes.len() {
            self.invite();
        }
        for round in 0..240 {
            for i in 0..self.nodes.len() {
                self.tick(i);
            }
            if round % 4 == 0 {
                for i in 0..self.nodes.len() {
                    self.fetch_mail(i);
                }
            }
            self.advance(Duration::from_millis(500));
            if round >= 24 && self.queue.is_empty() && self.mailbox.is_empty() && check::converged(self) {
                break;
            }
        }
    }

    /// The seed of this world.
    pub fn seed(&self) -> u64 {
        self.seed
    }
}
