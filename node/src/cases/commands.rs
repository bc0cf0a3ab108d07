//! Case commands as the local API receives them, and their execution against the [`CaseBook`]: open, invite,
//! typed edits of every entity, views and exports. Entities are addressed by kind and id, and edited by
//! patch (only the fields given change), so that a client never overwrites a field it did not mean to touch
//! with a stale copy.

use std::collections::BTreeMap;

use samenloop_protocol::cases::analysis::{
    ContributingFactor, Finding, KeyPracticeEpisode, Participant, Recommendation, Scope, Source, TimelineEntry,
};
use samenloop_protocol::cases::audit::{
    AuditEvent, AuditOverride, LineEvent, LineSource, MAX_OVERRIDES, MembershipChange,
};
use samenloop_protocol::cases::comments::Comment;
use samenloop_protocol::cases::ledger::{CaseId, DocKind, Role};
use samenloop_protocol::cases::notes::Note;
use samenloop_protocol::cases::sync::WireRun;
use samenloop_protocol::referrals::referral;
use samenloop_protocol::report::{ReportFormat, ReportInput, ReportMember, check_report_overrides, render_report};
use samenloop_protocol::{CalendarDate, Directory, Identity, PeerId};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use sha2::{Digest, Sha256};

use crate::cases::book::{CaseBook, CaseDocument, CaseError};
use crate::error::NodeError;
use crate::referrals::records::ReceivedReferral;
use crate::store::Store;
use crate::vault::Vault;

/// The kinds of entity a case holds, each in one document.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum EntityKind {
    /// A timeline entry (analysis).
    Timeline,
    /// A participant, by pseudonym (analysis).
    Participant,
    /// A source (analysis).
    Source,
    /// A key practice episode (analysis).
    Episode,
    /// A contributing factor (analysis).
    Factor,
    /// A finding (analysis).
    Finding,
    /// A recommendation (analysis).
    Recommendation,
    /// An interview note or file extract (notes).
    Note,
    /// A comment on any entity (comments; supervisors and reviewers).
    Comment,
}

impl EntityKind {
    /// The document the entity lives in.
    pub fn doc(self) -> DocKind {
        match self {
            EntityKind::Note => DocKind::Notes,
            EntityKind::Comment => DocKind::Comments,
            _ => DocKind::Analysis,
        }
    }
}

/// Export formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ExportFormat {
    /// Automerge's binary format, loadable by any Automerge implementation (returned hex-encoded).
    Automerge,
    /// The document as JSON.
    Json,
}

impl ExportFormat {
    /// The name the CLI and the audit trail use.
    pub fn name(self) -> &'static str {
        match self {
            ExportFormat::Automerge => "automerge",
            ExportFormat::Json => "json",
        }
    }
}

/// A case command from the API.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(tag = "command", rename_all = "kebab-case")]
pub enum CaseCommand {
    /// Opens a case with this node as lead.
    Open {
        /// The title.
        #[serde(default)]
        title: Option<String>,
        /// An accepted referral whose request gives the learning question, period and organisations.
        #[serde(default)]
        referral: Option<String>,
    },
    /// Every case on this node.
    List,
    /// One case: title, step, members, counts.
    Show {
        /// The case.
        case: CaseId,
    },
    /// The members of a case.
    Members {
        /// The case.
        case: CaseId,
    },
    /// Adds a member (lead only).
    Invite {
        /// The case.
        case: CaseId,
        /// The reviewer's peer id (their profile must be in the directory).
        peer: String,
        /// Their role.
        role: Role,
    },
    /// Removes a member (lead only), rotating the keys of every document they could read.
    RemoveMember {
        /// The case.
        case: CaseId,
        /// The member's peer id.
        peer: String,
    },
    /// Hands the lead role to a co-reviewer (lead only).
    HandLead {
        /// The case.
        case: CaseId,
        /// The co-reviewer's peer id.
        peer: String,
    },
    /// Adds an entity; returns its new id.
    Add {
        /// The case.
        case: CaseId,
        /// What kind.
        entity: EntityKind,
        /// Its fields (as in the JSON view); missing fields are empty.
        fields: Map<String, Value>,
    },
    /// Adds many entities at once (an import, e.g. a timeline assembled elsewhere), in bundles of at most
    /// [`IMPORT_BATCH`] entities; returns their ids in order.
    Import {
        /// The case.
        case: CaseId,
        /// What kind.
        entity: EntityKind,
        /// Each entity's fields.
        items: Vec<Map<String, Value>>,
    },
    /// Changes the given fields of an entity.
    Edit {
        /// The case.
        case: CaseId,
        /// What kind.
        entity: EntityKind,
        /// Which one.
        id: String,
        /// The fields to change.
        fields: Map<String, Value>,
    },
    /// Removes an entity.
    Remove {
        /// The case.
        case: CaseId,
        /// What kind.
        entity: EntityKind,
        /// Which one.
        id: String,
    },
    /// Lists the entities of one kind, in their natural order (the timeline in time order).
    ListEntities {
        /// The case.
        case: CaseId,
        /// What kind.
        entity: EntityKind,
    },
    /// One page of the timeline in time order, filtered by agency and actor (exact, empty for all): what the
    /// app shows, so a long timeline never travels whole. `find` (the start of an entry's id) picks the
    /// page that holds that entry. Answers the page's entries (with their comments), the counts, the page
    /// number and count, and the agencies and actors to filter on.
    TimelinePage {
        /// The case.
        case: CaseId,
        /// Only entries of this agency ("" for all).
        #[serde(default)]
        agency: String,
        /// Only entries of this actor ("" for all).
        #[serde(default)]
        actor: String,
        /// The page, from 1 (0 or past the end: the nearest page).
        #[serde(default)]
        page: usize,
        /// The start of an entry's id whose page is wanted.
        #[serde(default)]
        find: String,
    },
    /// Resolves (or reopens) a comment; without a case, the comment is looked up in every case.
    ResolveComment {
        /// The case, if known.
        #[serde(default)]
        case: Option<CaseId>,
        /// The comment id.
        id: String,
        /// True to resolve, false to reopen.
        resolved: bool,
    },
    /// Records the real name behind a pseudonym, in the reviewers-only notes (never in the analysis): the
    /// final report is checked against these names. An empty name removes the record.
    RealName {
        /// The case.
        case: CaseId,
        /// The pseudonym (e.g. "M1", "GI-1").
        pseudonym: String,
        /// The real name.
        name: String,
    },
    /// Moves the case to a step of the method (1-6).
    Step {
        /// The case.
        case: CaseId,
        /// The step.
        step: u64,
        /// When (today if absent).
        #[serde(default)]
        date: Option<CalendarDate>,
    },
    /// Draws up the final report from the analysis, after checking every text that goes into it for
    /// identifiers (real names from the notes, e-mail, phone, BSN, postcode with house number, date of birth).
    /// With hits the report is not produced; each `allow` text overrides one hit.
    Report {
        /// The case.
        case: CaseId,
        /// md or html.
        format: String,
        /// Texts allowed despite looking like identifiers.
        #[serde(default)]
        allow: Vec<String>,
        /// The follow-up agreed (step 5/6).
        #[serde(default)]
        follow_up: Option<String>,
        /// A preview for the lead's eyes: the report is drawn up even with hits (so they can be shown where
        /// they occur), nothing leaves the node, and nothing is recorded in the audit trail.
        #[serde(default)]
        preview: bool,
    },
    /// Destroys the case (lead only, from step 5): every member's node deletes it and confirms.
    Destroy {
        /// The case.
        case: CaseId,
        /// SHA-256 (hex) of the final report that outlives the case, recorded in the operation.
        #[serde(default)]
        report_sha256: Option<String>,
    },
    /// The destruction record of a destroyed case: who destroyed it, when, who confirmed, who has not yet.
    Destruction {
        /// The case.
        case: CaseId,
    },
    /// The case's audit trail, verified: membership and role changes, exports, reports with their
    /// overrides, destruction and confirmations. `verified` is false and `problem` says where when the
    /// stored trail fails verification.
    Audit {
        /// The case.
        case: CaseId,
    },
    /// The decrypted document for its member (recorded in the audit trail).
    Export {
        /// The case.
        case: CaseId,
        /// Which document.
        doc: DocKind,
        /// In which format.
        format: ExportFormat,
    },
}

/// Entries on one page of the timeline ([`CaseCommand::TimelinePage`]).
pub const TIMELINE_PAGE: usize = 50;

/// The listing of one kind of entity, read again only when its document changed (its heads differ from
/// those the kept listing was read at).
fn listing(book: &mut CaseBook, case: CaseId, entity: EntityKind) -> Result<&Value, NodeError> {
    let heads = readable(book, &case, entity.doc())?.heads();
    let fresh = book.listed.get(&(case, entity)).is_some_and(|l| l.heads == heads);
    if !fresh {
        let value = list_entities(readable(book, &case, entity.doc())?, entity)?;
        book.listed.insert((case, entity), crate::cases::book::Listing { heads, value });
    }
    book.listed.get(&(case, entity)).map(|l| &l.value).ok_or_else(|| NodeError::Storage("listing lost".into()))
}

/// The most entities one bundle of an import carries (keeps every bundle far below the size limit).
pub const IMPORT_BATCH: usize = 250;

/// Something to announce to other members after a command (the sync core's local events).
#[allow(missing_docs)] // the variants say it; the fields are what they are named
pub enum CaseEvent {
    /// A new bundle of this node's.
    Edited { case: CaseId, doc: DocKind, run: WireRun },
    /// The ledger changed (a member was added, removed, or the lead handed over).
    LedgerChanged { case: CaseId },
    /// The case was destroyed here: tell the members.
    Destroyed { case: CaseId },
    /// A member was removed: its node is told (the ledger up to its removal), so it stops syncing.
    Removed { case: CaseId, member: [u8; 32] },
    /// This node recorded an audit entry: every member keeps the trail.
    Audited { case: CaseId, entry: Vec<u8> },
}

/// What a command needs from the node.
pub(crate) struct Context<'a> {
    pub book: &'a mut CaseBook,
    pub store: &'a mut Store,
    pub vault: &'a Vault,
    pub identity: &'a Identity,
    pub directory: &'a Directory,
    pub received: &'a BTreeMap<String, ReceivedReferral>,
}

/// A command's answer and what to announce.
pub(crate) struct Outcome {
    pub value: Value,
    pub announce: Vec<CaseEvent>,
}

fn json<T: Serialize>(v: &T) -> Result<Value, NodeError> {
    serde_json::to_value(v).map_err(|e| NodeError::BadRequest(e.to_string()))
}

/// Applies `fields` over `base` (through their JSON forms), naming the field that does not fit.
fn patched<T: Serialize + DeserializeOwned>(base: &T, fields: &Map<String, Value>) -> Result<T, NodeError> {
    let mut value = json(base)?;
    let Value::Object(obj) = &mut value else { return Err(NodeError::BadRequest("not an object".into())) };
    for (k, v) in fields {
        if !obj.contains_key(k) {
            let known: Vec<&str> = obj.keys().map(String::as_str).collect();
            return Err(NodeError::BadRequest(format!("unknown field `{k}`: expected one of {}", known.join(", "))));
        }
        obj.insert(k.clone(), v.clone());
    }
    serde_json::from_value(value).map_err(|e| NodeError::BadRequest(format!("invalid field value: {e}")))
}

fn with_id<T: Serialize>(id: &str, entity: &T) -> Result<Value, NodeError> {
    let mut v = json(entity)?;
    if let Value::Object(o) = &mut v {
        o.insert("id".into(), Value::String(id.to_string()));
    }
    Ok(v)
}

fn list_json<T: Serialize>(items: Vec<(String, T)>) -> Result<Value, NodeError> {
    Ok(Value::Array(items.iter().map(|(id, e)| with_id(id, e)).collect::<Result<_, _>>()?))
}

fn wrong_doc() -> CaseError {
    CaseError::Invalid("this entity does not live in this document".into())
}

/// Dispatches entity operations to the typed document API, one arm per entity kind.
macro_rules! entity_ops {
    ($( $kind:ident => $variant:ident, $ty:ty, $add:ident, $edit:ident, $remove:ident, $get:ident, $list:ident; )+) => {
        fn add_entity(d: &mut CaseDocument, kind: EntityKind, id: &str, fields: &Map<String, Value>) -> Result<(), CaseError> {
            match (kind, d) {
                $( (EntityKind::$kind, CaseDocument::$variant(d)) => {
                    let v: $ty = patched(&<$ty>::default(), fields).map_err(|e| CaseError::Invalid(e.to_string()))?;
                    Ok(d.$add(id, &v)?)
                } )+
                _ => Err(wrong_doc()),
            }
        }

        fn edit_entity(d: &mut CaseDocument, kind: EntityKind, id: &str, fields: &Map<String, Value>) -> Result<(), CaseError> {
            match (kind, d) {
                $( (EntityKind::$kind, CaseDocument::$variant(d)) => {
                    let current = d.$get(id)?;
                    let v: $ty = patched(&current, fields).map_err(|e| CaseError::Invalid(e.to_string()))?;
                    Ok(d.$edit(id, &v)?)
                } )+
                _ => Err(wrong_doc()),
            }
        }

        fn remove_entity(d: &mut CaseDocument, kind: EntityKind, id: &str) -> Result<(), CaseError> {
            match (kind, d) {
                $( (EntityKind::$kind, CaseDocument::$variant(d)) => Ok(d.$remove(id)?), )+
                _ => Err(wrong_doc()),
            }
        }

        fn list_entities(d: &CaseDocument, kind: EntityKind) -> Result<Value, NodeError> {
            match (kind, d) {
                $( (EntityKind::$kind, CaseDocument::$variant(d)) => {
                    list_json(d.$list().map_err(CaseError::from)?)
                } )+
                _ => Err(wrong_doc().into()),
            }
        }
    };
}

entity_ops! {
    Timeline => Analysis, TimelineEntry, add_timeline_entry, edit_timeline_entry, remove_timeline_entry, timeline_entry, timeline;
    Participant => Analysis, Participant, add_participant, edit_participant, remove_participant, participant, participants;
    Source => Analysis, Source, add_source, edit_source, remove_source, source, sources;
    Episode => Analysis, KeyPracticeEpisode, add_episode, edit_episode, remove_episode, episode, episodes;
    Factor => Analysis, ContributingFactor, add_factor, edit_factor, remove_factor, factor, factors;
    Finding => Analysis, Finding, add_finding, edit_finding, remove_finding, finding, findings;
    Recommendation => Analysis, Recommendation, add_recommendation, edit_recommendation, remove_recommendation, recommendation, recommendations;
    Note => Notes, Note, add_note, edit_note, remove_note, note, notes;
    Comment => Comments, Comment, add_comment, edit_comment, remove_comment, comment, comments;
}

/// Short view of a case for lists.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct CaseSummary {
    /// The case id.
    pub id: String,
    /// Its title ("" until the analysis arrives).
    pub title: String,
    /// This node's role (none once removed).
    pub role: Option<Role>,
    /// The lead removed this node's reviewer from the case: it keeps what it held, receives nothing more,
    /// and its edits are refused.
    #[serde(default)]
    pub removed: bool,
    /// The current step (1-6).
    pub step: u64,
    /// How many members.
    pub members: usize,
    /// How many timeline entries.
    pub timeline_entries: usize,
    /// Documents this node holds, and whether each has arrived.
    pub documents: BTreeMap<String, String>,
}

/// A member in a view.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct MemberView {
    /// Their peer id.
    pub peer: String,
    /// Their name from the directory, if known.
    pub name: Option<String>,
    /// Their role.
    pub role: Role,
    /// When they joined.
    pub since: samenloop_protocol::UnixTime,
}

fn summary(book: &mut CaseBook, id: &CaseId) -> Result<CaseSummary, NodeError> {
    let me = book.me();
    let c = book.cases.get_mut(id).ok_or(CaseError::UnknownCase(*id))?;
    let role = c.ledger.member(&me).map(|m| m.role);
    let removed = c.ledger.was_removed(&me);
    let members = c.ledger.members().count();
    let mut documents = BTreeMap::new();
    let (mut title, mut step, mut entries) = (String::new(), 1, 0);
    for (doc, r) in c.docs.iter_mut() {
        let state = match (&r.broken, r.doc.is_blank()) {
            (Some(reason), _) => format!("unreadable: {reason}"),
            (None, true) => "not yet arrived".to_string(),
            (None, false) => "ok".to_string(),
        };
        documents.insert(doc.name().to_string(), state);
        if let CaseDocument::Analysis(a) = &mut r.doc
            && r.broken.is_none()
            && !a.is_blank()
        {
            title = a.title().unwrap_or_default();
            step = a.step().unwrap_or(1);
            entries = a.timeline_ids().map(|t| t.len()).unwrap_or(0);
        }
    }
    Ok(CaseSummary { id: id.to_string(), title, role, removed, step, members, timeline_entries: entries, documents })
}

fn readable<'a>(book: &'a mut CaseBook, case: &CaseId, doc: DocKind) -> Result<&'a mut CaseDocument, NodeError> {
    let c = book.cases.get_mut(case).ok_or(CaseError::UnknownCase(*case))?;
    let r = c.docs.get_mut(&doc).ok_or_else(|| {
        NodeError::Forbidden(format!("this node does not hold the {} document of this case", doc.name()))
    })?;
    if let Some(reason) = &r.broken {
        return Err(CaseError::Broken { case: *case, doc: doc.name(), reason: reason.clone() }.into());
    }
    if r.doc.is_blank() {
        return Err(CaseError::NotYetSynced(doc.name()).into());
    }
    Ok(&mut r.doc)
}

/// Runs one command and commits what it wrote, in one transaction, before anything is announced. Writes made
/// before a command failed are committed too: memory already holds them, and the disk follows memory.
pub(crate) fn execute(mut cx: Context<'_>, command: CaseCommand) -> Result<Outcome, NodeError> {
    let outcome = run(&mut cx, command);
    cx.book.commit(cx.store, cx.vault, cx.identity)?;
    outcome
}

fn run(cx: &mut Context<'_>, command: CaseCommand) -> Result<Outcome, NodeError> {
    let mut announce = Vec::new();
    let value = match command {
        CaseCommand::Open { title, referral } => {
            let scope = match &referral {
                Some(id) => Some(scope_of_referral(cx.received, cx.identity, id)?),
                None => None,
            };
            let title = title.unwrap_or_default();
            if title.trim().is_empty() && scope.is_none() {
                return Err(NodeError::BadRequest("a case needs --title or --referral".into()));
            }
            let case = cx.book.open_case(cx.vault, cx.identity, |a| {
                let title = match (&scope, title.trim().is_empty()) {
                    (Some((_, request_title)), true) => request_title.clone(),
                    _ => title.clone(),
                };
                a.set_title(&title)?;
                if let Some((s, _)) = &scope {
                    a.set_scope(s)?;
                }
                Ok(())
            })?;
            json(&summary(cx.book, &case)?)?
        }
        CaseCommand::List => {
            let ids: Vec<CaseId> = cx.book.cases.keys().copied().collect();
            let mut out = Vec::new();
            for id in ids {
                out.push(summary(cx.book, &id)?);
            }
            json(&out)?
        }
        CaseCommand::Show { case } => {
            let s = summary(cx.book, &case)?;
            let mut v = json(&s)?;
            if let Ok(CaseDocument::Analysis(a)) = readable(cx.book, &case, DocKind::Analysis).map(|d| &*d)
                && let Value::Object(o) = &mut v
            {
                o.insert("scope".into(), json(&a.scope().map_err(CaseError::from)?)?);
                let dates: Vec<Value> = a
                    .step_dates()
                    .map_err(CaseError::from)?
                    .into_iter()
                    .map(|(s, d)| serde_json::json!({"step": s, "date": d.to_string()}))
                    .collect();
                o.insert("step_dates".into(), Value::Array(dates));
                o.insert("dangling_references".into(), json(&a.dangling_references().map_err(CaseError::from)?)?);
            }
            v
        }
        CaseCommand::Members { case } => {
            let c = cx.book.case(&case)?;
            let members: Vec<MemberView> = c
                .ledger
                .members()
                .map(|m| {
                    let peer = m.peer_id();
                    MemberView {
                        peer: peer.map(|p| p.to_string()).unwrap_or_default(),
                        name: peer.and_then(|p| cx.directory.get(&p)).map(|p| p.profile().name.clone()),
                        role: m.role,
                        since: m.since,
                    }
                })
                .collect();
            json(&members)?
        }
        CaseCommand::Invite { case, peer, role } => {
            let peer: PeerId = peer.parse().map_err(|_| NodeError::BadRequest(format!("`{peer}` is not a peer id")))?;
            if role == Role::Lead {
                return Err(NodeError::BadRequest("the lead role is handed over, not given by invitation".into()));
            }
            let profile = cx.directory.get(&peer).ok_or_else(|| {
                NodeError::NotFound(format!("{peer} is not in the directory: their signed profile gives their key"))
            })?;
            let member = samenloop_protocol::verifying_key_of(profile.peer())
                .ok_or_else(|| NodeError::BadRequest("the profile's peer id is not an ed25519 key".into()))?
                .to_bytes();
            let x25519 = profile.record().encryption_key;
            cx.book.invite(cx.vault, cx.identity, &case, (member, x25519, role))?;
            announce.push(CaseEvent::LedgerChanged { case });
            serde_json::json!({ "case": case.to_string(), "member": peer.to_string(), "role": role })
        }
        CaseCommand::RemoveMember { case, peer } => {
            let key = member_key_of(&peer)?;
            cx.book.remove_member(cx.vault, cx.identity, &case, key)?;
            announce.push(CaseEvent::LedgerChanged { case });
            announce.push(CaseEvent::Removed { case, member: key });
            serde_json::json!({ "case": case.to_string(), "removed": peer })
        }
        CaseCommand::HandLead { case, peer } => {
            let key = member_key_of(&peer)?;
            cx.book.hand_lead(cx.vault, cx.identity, &case, key)?;
            announce.push(CaseEvent::LedgerChanged { case });
            serde_json::json!({ "case": case.to_string(), "lead": peer })
        }
        CaseCommand::Add { case, entity, mut fields } => {
            let id = hex::encode(cx.book.sources().bytes::<8>());
            if entity == EntityKind::Comment {
                // Who wrote it and when are the node's to say, not the client's.
                fields.insert("author".into(), Value::String(cx.identity.peer_id().to_string()));
                if !fields.contains_key("written") {
                    fields.insert("written".into(), Value::String(today(cx.book).to_string()));
                }
            }
            let (_, run) = cx.book.edit(cx.identity, &case, entity.doc(), |d| add_entity(d, entity, &id, &fields))?;
            if let Some(run) = run {
                announce.push(CaseEvent::Edited { case, doc: entity.doc(), run });
            }
            serde_json::json!({ "id": id })
        }
        CaseCommand::Import { case, entity, items } => {
            let mut ids = Vec::with_capacity(items.len());
            for chunk in items.chunks(IMPORT_BATCH) {
                let chunk_ids: Vec<String> =
                    chunk.iter().map(|_| hex::encode(cx.book.sources().bytes::<8>())).collect();
                let (_, run) = cx.book.edit(cx.identity, &case, entity.doc(), |d| {
                    chunk.iter().zip(&chunk_ids).try_for_each(|(fields, id)| add_entity(d, entity, id, fields))
                })?;
                if let Some(run) = run {
                    announce.push(CaseEvent::Edited { case, doc: entity.doc(), run });
                }
                ids.extend(chunk_ids);
            }
            serde_json::json!({ "ids": ids })
        }
        CaseCommand::Edit { case, entity, id, fields } => {
            let (_, run) = cx.book.edit(cx.identity, &case, entity.doc(), |d| edit_entity(d, entity, &id, &fields))?;
            if let Some(run) = run {
                announce.push(CaseEvent::Edited { case, doc: entity.doc(), run });
            }
            serde_json::json!({ "id": id })
        }
        CaseCommand::Remove { case, entity, id } => {
            let (_, run) = cx.book.edit(cx.identity, &case, entity.doc(), |d| remove_entity(d, entity, &id))?;
            if let Some(run) = run {
                announce.push(CaseEvent::Edited { case, doc: entity.doc(), run });
            }
            serde_json::json!({ "removed": id })
        }
        CaseCommand::ListEntities { case, entity } => {
            let mut list = listing(cx.book, case, entity)?.clone();
            if entity.doc() == DocKind::Analysis {
                attach_comments(cx.book, &case, &mut list);
            }
            list
        }
        CaseCommand::TimelinePage { case, agency, actor, page, find } => {
            let all = listing(cx.book, case, EntityKind::Timeline)?;
            let text = |v: &Value, f: &str| v[f].as_str().unwrap_or("").to_string();
            let Value::Array(all) = all else { return Err(wrong_doc().into()) };
            let agencies: std::collections::BTreeSet<String> =
                all.iter().map(|v| text(v, "agency")).filter(|a| !a.is_empty()).collect();
            let actors: std::collections::BTreeSet<String> =
                all.iter().map(|v| text(v, "actor")).filter(|a| !a.is_empty()).collect();
            let matching: Vec<&Value> = all
                .iter()
                .filter(|v| agency.is_empty() || v["agency"].as_str() == Some(agency.as_str()))
                .filter(|v| actor.is_empty() || v["actor"].as_str() == Some(actor.as_str()))
                .collect();
            let pages = matching.len().div_ceil(TIMELINE_PAGE).max(1);
            let found = (!find.is_empty())
                .then(|| matching.iter().position(|v| v["id"].as_str().is_some_and(|i| i.starts_with(&find))))
                .flatten();
            let page = match found {
                Some(i) => i / TIMELINE_PAGE + 1,
                None => page.clamp(1, pages),
            };
            let found_id = found.map(|i| text(matching[i], "id"));
            let mut items = Value::Array(
                matching.iter().skip((page - 1) * TIMELINE_PAGE).take(TIMELINE_PAGE).map(|v| (*v).clone()).collect(),
            );
            let (total, matching) = (all.len(), matching.len());
            attach_comments(cx.book, &case, &mut items);
            serde_json::json!({
                "total": total, "matching": matching, "page": page, "pages": pages, "found": found_id,
                "agencies": agencies, "actors": actors, "items": items,
            })
        }
        CaseCommand::ResolveComment { case, id, resolved } => {
            let cases: Vec<CaseId> = match case {
                Some(c) => vec![c],
                None => cx.book.cases.keys().copied().collect(),
            };
            let mut found = None;
            for c in cases {
                if let Ok(CaseDocument::Comments(d)) = readable(cx.book, &c, DocKind::Comments).map(|d| &*d)
                    && d.comment(&id).is_ok()
                {
                    found = Some(c);
                    break;
                }
            }
            let case = found.ok_or_else(|| NodeError::NotFound(format!("no comment {id} on this node")))?;
            let mut fields = Map::new();
            fields.insert("resolved".into(), Value::Bool(resolved));
            let (_, run) = cx
                .book
                .edit(cx.identity, &case, DocKind::Comments, |d| edit_entity(d, EntityKind::Comment, &id, &fields))?;
            if let Some(run) = run {
                announce.push(CaseEvent::Edited { case, doc: DocKind::Comments, run });
            }
            serde_json::json!({ "case": case.to_string(), "id": id, "resolved": resolved })
        }
        CaseCommand::Step { case, step, date } => {
            let date = date.unwrap_or_else(|| today(cx.book));
            let (_, run) = cx.book.edit(cx.identity, &case, DocKind::Analysis, |d| match d {
                CaseDocument::Analysis(a) => Ok(a.set_step(step, date)?),
                _ => Err(wrong_doc()),
            })?;
            if let Some(run) = run {
                announce.push(CaseEvent::Edited { case, doc: DocKind::Analysis, run });
            }
            serde_json::json!({ "step": step, "date": date.to_string() })
        }
        CaseCommand::RealName { case, pseudonym, name } => {
            let (_, run) = cx.book.edit(cx.identity, &case, DocKind::Notes, |d| match d {
                CaseDocument::Notes(n) if name.trim().is_empty() => Ok(n.remove_real_name(&pseudonym)?),
                CaseDocument::Notes(n) => Ok(n.set_real_name(&pseudonym, name.trim())?),
                _ => Err(wrong_doc()),
            })?;
            if let Some(run) = run {
                announce.push(CaseEvent::Edited { case, doc: DocKind::Notes, run });
            }
            serde_json::json!({ "pseudonym": pseudonym, "recorded": !name.trim().is_empty() })
        }
        CaseCommand::Report { case, format, allow, follow_up, preview } => {
            let format: ReportFormat = format
                .parse()
                .map_err(|e: samenloop_protocol::report::UnknownReportFormat| NodeError::BadRequest(e.to_string()))?;
            let members = report_members(cx.book, &case)?;
            let real_names = match readable(cx.book, &case, DocKind::Notes) {
                Ok(CaseDocument::Notes(n)) => n.real_names().map_err(CaseError::from)?,
                _ => {
                    return Err(NodeError::Forbidden(
                        "the report is drawn up by a reviewer, whose node holds the notes it is checked against".into(),
                    ));
                }
            };
            let generated_on = today(cx.book);
            let CaseDocument::Analysis(analysis) = &*readable(cx.book, &case, DocKind::Analysis)? else {
                return Err(CaseError::Invalid("the analysis document has another type".into()).into());
            };
            let input = ReportInput { analysis, members, follow_up: follow_up.unwrap_or_default(), generated_on };
            let (hits, overridden) = check_report_overrides(&input, &real_names, &allow).map_err(CaseError::from)?;
            let report = if hits.is_empty() || preview {
                Some(render_report(&input, format).map_err(CaseError::from)?)
            } else {
                None
            };
            if let Some(text) = report.as_ref().filter(|_| !preview) {
                // The report leaves the node only once it is in the trail, with every hit that was allowed.
                let overrides: Vec<AuditOverride> = overridden
                    .iter()
                    .take(MAX_OVERRIDES)
                    .map(|h| AuditOverride { kind: h.kind.to_string(), location: h.location.clone() })
                    .collect();
                let event = AuditEvent::Reported {
                    format: format.to_string(),
                    bytes: text.len() as u64,
                    digest: Sha256::digest(text.as_bytes()).into(),
                    overrides,
                };
                let entry = cx.book.record_audit(cx.vault, cx.identity, &case, event)?;
                announce.push(CaseEvent::Audited { case, entry });
            }
            let hits: Vec<Value> = hits
                .iter()
                .map(|h| {
                    serde_json::json!({
                        "kind": h.kind, "description": h.kind.to_string(), "text": h.text, "location": h.location,
                    })
                })
                .collect();
            // What was allowed is named by kind and place, never by its text: that text is what the check is
            // there to keep from being shown.
            let allowed: Vec<Value> = overridden
                .iter()
                .map(|h| serde_json::json!({ "kind": h.kind, "description": h.kind.to_string(), "location": h.location }))
                .collect();
            serde_json::json!({ "report": report, "hits": hits, "allowed": allowed, "format": format.to_string() })
        }
        CaseCommand::Destroy { case, report_sha256 } => {
            let report = match report_sha256 {
                Some(h) => Some(
                    hex::decode(h.trim())
                        .ok()
                        .and_then(|b| <[u8; 32]>::try_from(b.as_slice()).ok())
                        .ok_or_else(|| NodeError::BadRequest("the report hash is not 64 hex digits".into()))?,
                ),
                None => None,
            };
            cx.book.destroy(cx.vault, cx.identity, &case, report)?;
            announce.push(CaseEvent::Destroyed { case });
            destruction_view(cx.book, cx.directory, &case)?
        }
        CaseCommand::Destruction { case } => destruction_view(cx.book, cx.directory, &case)?,
        CaseCommand::Export { case, doc, format } => {
            let d = readable(cx.book, &case, doc)?;
            // The digest is of the bytes the CLI writes: the pretty JSON, or the saved document.
            let (value, bytes) = match format {
                ExportFormat::Json => {
                    let v = d.to_json()?;
                    let bytes = serde_json::to_vec_pretty(&v).unwrap_or_default();
                    (v, bytes)
                }
                ExportFormat::Automerge => {
                    let saved = d.save_whole()?;
                    (serde_json::json!({ "automerge_hex": hex::encode(&saved) }), saved)
                }
            };
            let event = AuditEvent::Exported {
                doc,
                format: format.name().to_string(),
                bytes: bytes.len() as u64,
                digest: Sha256::digest(&bytes).into(),
            };
            let entry = cx.book.record_audit(cx.vault, cx.identity, &case, event)?;
            announce.push(CaseEvent::Audited { case, entry });
            value
        }
        CaseCommand::Audit { case } => audit_view(cx, &case)?,
    };
    Ok(Outcome { value, announce })
}

/// The review team as the report shows it: by role and a pseudonym, never a name or a peer id.
fn report_members(book: &CaseBook, case: &CaseId) -> Result<Vec<ReportMember>, NodeError> {
    let c = book.case(case)?;
    let mut out = Vec::new();
    let (mut reviewers, mut supervisors) = (0u8, 0u32);
    let mut members: Vec<_> = c.ledger.members().collect();
    members.sort_by_key(|m| (m.role != Role::Lead, m.role, m.since, m.key));
    for m in members {
        let pseudonym = match m.role {
            Role::Lead | Role::CoReviewer => {
                reviewers = reviewers.saturating_add(1);
                format!("Reviewer {}", char::from(b'A' + (reviewers - 1).min(25)))
            }
            Role::Supervisor => {
                supervisors += 1;
                format!("Supervisor {supervisors}")
            }
        };
        out.push(ReportMember { role: m.role.name().to_string(), pseudonym });
    }
    Ok(out)
}

/// The verified destruction record, with members by peer id and name.
fn destruction_view(book: &CaseBook, directory: &Directory, case: &CaseId) -> Result<Value, NodeError> {
    let t = book.tombstones.get(case).ok_or_else(|| NodeError::NotFound(format!("case {case} was not destroyed")))?;
    let v =
        t.record.verify().map_err(|e| NodeError::Storage(format!("the destruction record does not verify: {e}")))?;
    let who = |k: &[u8; 32]| member_json(directory, k);
    Ok(serde_json::json!({
        "case": case.to_string(),
        "lead": who(&v.lead),
        "destroyed_at": v.at,
        "confirmed": v.confirmed.iter().map(|(k, at)| { let mut w = who(k); w["at"] = json_of(at); w }).collect::<Vec<_>>(),
        "missing": v.missing.iter().map(who).collect::<Vec<_>>(),
        "verified": true,
    }))
}

/// A member by peer id and, where the directory knows them, name.
fn member_json(directory: &Directory, key: &[u8; 32]) -> Value {
    let peer = ed25519_dalek::VerifyingKey::from_bytes(key).ok().map(|k| samenloop_protocol::peer_id_of(&k));
    serde_json::json!({
        "peer": peer.map(|p| p.to_string()),
        "name": peer.and_then(|p| directory.get(&p)).map(|p| p.profile().name.clone()),
    })
}

/// The verified audit trail, one line per entry with a summary in words.
fn audit_view(cx: &Context<'_>, case: &CaseId) -> Result<Value, NodeError> {
    let trail = cx.book.audit_trail(&*cx.store, cx.vault, case)?;
    let damaged = cx.book.tombstones.get(case).and_then(|t| t.audit.as_ref()).and_then(|a| a.damaged.clone());
    let directory = cx.directory;
    let name = |k: &[u8; 32]| {
        let m = member_json(directory, k);
        m["name"].as_str().or(m["peer"].as_str()).unwrap_or("?").to_string()
    };
    let (verified, problem, lines, checkpoint_at) = match trail {
        Ok(t) => (true, None, t.lines, Some(t.checkpoint_at)),
        Err(e) => (false, Some(e.to_string()), Vec::new(), None),
    };
    let entries: Vec<Value> = lines
        .iter()
        .map(|l| {
            let (kind, summary, detail) = describe_line(&l.event, &name);
            let source = match l.source {
                LineSource::Ledger { seq } => format!("ledger {seq}"),
                LineSource::Entry { seq } => format!("entry {seq}"),
                LineSource::Confirmation => "confirmation".to_string(),
            };
            serde_json::json!({
                "at": l.at, "actor": member_json(directory, &l.actor), "kind": kind, "summary": summary,
                "detail": detail, "source": source, "hash": hex::encode(l.hash),
            })
        })
        .collect();
    Ok(serde_json::json!({
        "case": case.to_string(),
        "destroyed": cx.book.tombstones.contains_key(case),
        "verified": verified && damaged.is_none(),
        "problem": problem.or(damaged.map(|d| format!("the trail was damaged before destruction: {d}"))),
        "checkpoint_at": checkpoint_at,
        "entries": entries,
    }))
}

/// A line's kind, a summary in words, and its details.
fn describe_line(event: &LineEvent, name: &dyn Fn(&[u8; 32]) -> String) -> (&'static str, String, Value) {
    match event {
        LineEvent::Membership(MembershipChange::Opened) => ("opened", "opened the case as lead".into(), Value::Null),
        LineEvent::Membership(MembershipChange::Invited { member, role }) => (
            "invited",
            format!("invited {} as {}", name(member), role.name()),
            serde_json::json!({ "member": name(member), "role": role.name() }),
        ),
        LineEvent::Membership(MembershipChange::Removed { member, rotated }) => {
            let docs: Vec<&str> = rotated.iter().map(|d| d.name()).collect();
            (
                "removed",
                format!("removed {} and rotated the keys of {}", name(member), docs.join(", ")),
                serde_json::json!({ "member": name(member), "rotated": docs }),
            )
        }
        LineEvent::Membership(MembershipChange::LeadHandedOver { to }) => {
            ("lead-handed-over", format!("handed the lead role to {}", name(to)), serde_json::json!({ "to": name(to) }))
        }
        LineEvent::Membership(MembershipChange::Destroyed { report }) => (
            "destroyed",
            match report {
                Some(r) => format!("destroyed the case; the report that outlives it has SHA-256 {}", hex::encode(r)),
                None => "destroyed the case".into(),
            },
            serde_json::json!({ "report_sha256": report.map(hex::encode) }),
        ),
        LineEvent::Audit(AuditEvent::Exported { doc, format, bytes, digest }) => (
            "exported",
            format!("exported the {} document as {format} ({bytes} bytes)", doc.name()),
            serde_json::json!({ "doc": doc.name(), "format": format, "bytes": bytes, "sha256": hex::encode(digest) }),
        ),
        LineEvent::Audit(AuditEvent::Reported { format, bytes, digest, overrides }) => {
            let allowed: Vec<String> = overrides.iter().map(|o| format!("{} in {}", o.kind, o.location)).collect();
            let summary = if allowed.is_empty() {
                format!("drew up the final report as {format} ({bytes} bytes)")
            } else {
                format!(
                    "drew up the final report as {format} ({bytes} bytes), overriding {} identifier check(s): {}",
                    allowed.len(),
                    allowed.join("; ")
                )
            };
            (
                "reported",
                summary,
                serde_json::json!({
                    "format": format, "bytes": bytes, "sha256": hex::encode(digest),
                    "overrides": overrides.iter().map(|o| serde_json::json!({"kind": o.kind, "location": o.location})).collect::<Vec<_>>(),
                }),
            )
        }
        LineEvent::Confirmed => ("confirmed", "confirmed the destruction on its node".into(), Value::Null),
    }
}

fn json_of<T: Serialize>(v: &T) -> Value {
    serde_json::to_value(v).unwrap_or(Value::Null)
}

fn today(book: &mut CaseBook) -> CalendarDate {
    CalendarDate::from_days_since_epoch((book.sources().now().0 / 86_400) as i64)
}

/// Puts the comments on each entity beside it (`"comments": [...]`), when this node holds the comments.
fn attach_comments(book: &mut CaseBook, case: &CaseId, list: &mut Value) {
    let Ok(CaseDocument::Comments(d)) = readable(book, case, DocKind::Comments).map(|d| &*d) else { return };
    let Ok(all) = d.comments() else { return };
    let Value::Array(items) = list else { return };
    for item in items {
        let Some(id) = item.get("id").and_then(Value::as_str).map(str::to_string) else { continue };
        let on: Vec<Value> =
            all.iter().filter(|(_, c)| c.target == id).filter_map(|(cid, c)| with_id(cid, c).ok()).collect();
        if let Value::Object(o) = item
            && !on.is_empty()
        {
            o.insert("comments".into(), Value::Array(on));
        }
    }
}

/// The member key (ed25519) inside a peer id given by the user.
fn member_key_of(peer: &str) -> Result<[u8; 32], NodeError> {
    let parsed: PeerId = peer.parse().map_err(|_| NodeError::BadRequest(format!("`{peer}` is not a peer id")))?;
    samenloop_protocol::verifying_key_of(&parsed)
        .map(|k| k.to_bytes())
        .ok_or_else(|| NodeError::BadRequest(format!("`{peer}` is not an ed25519 peer id")))
}

/// The scope (and a title) carried over from an accepted referral's request.
fn scope_of_referral(
    received: &BTreeMap<String, ReceivedReferral>,
    identity: &Identity,
    id: &str,
) -> Result<(Scope, String), NodeError> {
    let r = received.get(id).ok_or_else(|| NodeError::NotFound(format!("no referral {id} on this node")))?;
    if !matches!(r.state, referral::ReferralState::Accepted { .. }) {
        return Err(NodeError::BadRequest(format!("referral {id} is not accepted: accept it first")));
    }
    let bytes = hex::decode(&r.envelope).map_err(|_| NodeError::Storage("stored referral is not hex".into()))?;
    let opened = referral::receive(&bytes, &identity.peer_id(), identity.encryption_secret())
        .map_err(|e| NodeError::Storage(format!("stored referral does not open: {e}")))?;
    let q = &opened.request;
    let scope = Scope {
        learning_question: q.learning_question.clone(),
        period_from: Some(q.period_from),
        period_to: Some(q.period_until),
        organisations: q.organisations.iter().map(|o| o.name.clone()).collect(),
    };
    let title = format!("Review for {}", q.municipality);
    Ok((scope, title))
}
