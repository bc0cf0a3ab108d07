//! `samenloop case ...`: the case documents, through the node's local API.
//!
//! Every entity command takes its fields as `--FIELD VALUE` pairs named as in the JSON view (`--set
//! what="Home visit"` style is avoided: each kind has a small, documented set of flags), and sends them as a
//! patch, so only the fields given change.

use std::path::PathBuf;

use clap::{Args, Subcommand};
use samenloop_node::Home;
use samenloop_node::api::client::ApiClient;
use samenloop_node::cases::commands::{CaseCommand, EntityKind, ExportFormat};
use samenloop_protocol::cases::ledger::{CaseId, DocKind, Role};
use serde_json::{Map, Value};

use crate::commands::print_either;

/// Case commands.
#[derive(Debug, Subcommand)]
pub enum CaseCmd {
    /// Open a new case with you as lead reviewer.
    Open {
        /// The case's working title.
        #[arg(long, required_unless_present = "referral")]
        title: Option<String>,
        /// An accepted referral: its learning question, period and organisations are carried over.
        #[arg(long, value_name = "ID")]
        referral: Option<String>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// List your cases.
    List {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Show a case.
    Show {
        /// The case id.
        case: CaseId,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Invite a reviewer from the directory (lead only).
    Invite {
        /// The case id.
        case: CaseId,
        /// The reviewer's peer id.
        peer: String,
        /// Their role: co-reviewer (reads and writes every document) or supervisor (reads the analysis, writes
        /// comments, never holds the notes).
        #[arg(long, default_value = "co-reviewer")]
        role: Role,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Remove a member (lead only): the keys of every document they could read are rotated, so they cannot
    /// read anything written after this, while remaining and future members still read the whole history.
    Remove {
        /// The case id.
        case: CaseId,
        /// The member's peer id.
        peer: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Hand the lead role to a co-reviewer (lead only); you stay as a co-reviewer.
    Lead {
        /// The case id.
        case: CaseId,
        /// The co-reviewer's peer id.
        peer: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// The members of a case.
    Members {
        /// The case id.
        case: CaseId,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Move the case to a step of the method (1-6).
    Step {
        /// The case id.
        case: CaseId,
        /// The step, 1-6.
        step: u64,
        /// When (YYYY-MM-DD; today if absent).
        #[arg(long)]
        date: Option<String>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// The integrated timeline: add, edit, remove, list.
    #[command(subcommand)]
    Timeline(EntityCmd),
    /// Key practice episodes.
    #[command(subcommand)]
    Episode(EntityCmd),
    /// Contributing factors.
    #[command(subcommand)]
    Factor(EntityCmd),
    /// Findings.
    #[command(subcommand)]
    Finding(EntityCmd),
    /// Recommendations.
    #[command(subcommand)]
    Recommendation(EntityCmd),
    /// Participants (by pseudonym).
    #[command(subcommand)]
    Participant(EntityCmd),
    /// Sources.
    #[command(subcommand)]
    Source(EntityCmd),
    /// Interview notes and file extracts (reviewers only).
    #[command(subcommand)]
    Note(EntityCmd),
    /// Record the real name behind a pseudonym in the reviewers-only notes (an empty NAME removes it): it never
    /// enters the analysis, and the final report is refused while it appears in the report's text.
    RealName {
        /// The case id.
        case: CaseId,
        /// The pseudonym, e.g. M1 or GI-1.
        pseudonym: String,
        /// The real name.
        name: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Comment on an entity (supervisors: a question, challenge or approval; reviewers: an answer), or
    /// `comment resolve ID` to resolve one.
    Comment(CommentArgs),
    /// The comments on a case, with the entity each targets.
    Comments {
        /// The case id.
        case: CaseId,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Draw up the anonymised final report from the analysis. Every text in it is first checked for
    /// identifiers (real names recorded in the notes, e-mail addresses, phone numbers, BSNs, postcodes with
    /// house numbers, dates of birth); if any is found, nothing is written and each is listed with where it is.
    Report {
        /// The case id.
        case: CaseId,
        /// md or html.
        #[arg(long, default_value = "md")]
        format: String,
        /// Write to this new file (readable only by you) instead of standard output.
        #[arg(long)]
        out: Option<PathBuf>,
        /// Allow this text although it looks like an identifier (repeatable); the override is reported.
        #[arg(long, value_name = "TEXT")]
        allow: Vec<String>,
        /// The follow-up agreed with the commissioning organisations.
        #[arg(long, value_name = "TEXT")]
        follow_up: Option<String>,
        /// Print JSON (the report text, hits and overrides).
        #[arg(long)]
        json: bool,
    },
    /// Destroy the case's working documents everywhere (lead only, from step 5): every member's node deletes
    /// its keys, bundles and caches, refuses further sync, and confirms. Only the report outlives the case.
    Destroy {
        /// The case id.
        case: CaseId,
        /// The exported final report, whose SHA-256 is recorded in the signed operation.
        #[arg(long, value_name = "FILE")]
        report: Option<PathBuf>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// The destruction record of a destroyed case: when, by whom, and which members' nodes confirmed.
    Destruction {
        /// The case id.
        case: CaseId,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// The case's audit trail: membership and role changes, exports, reports with the identifier checks they
    /// overrode, destruction and confirmations, each link and signature verified.
    Audit {
        /// The case id.
        case: CaseId,
        /// Exit with an error when the trail does not verify (for scripts); says where it fails.
        #[arg(long)]
        verify: bool,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Write the decrypted document to a file (recorded in the audit trail).
    Export {
        /// The case id.
        case: CaseId,
        /// Which document.
        #[arg(long, default_value = "analysis")]
        doc: DocKind,
        /// automerge (loads in any Automerge implementation) or json.
        #[arg(long, default_value = "json")]
        format: String,
        /// Where to write (a new file, readable only by you: it holds the decrypted document).
        #[arg(long)]
        out: PathBuf,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

/// `case comment CASE --on ID --kind KIND --text TEXT`, or `case comment resolve ID`.
#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
pub struct CommentArgs {
    #[command(subcommand)]
    action: Option<CommentAction>,
    /// The case id.
    #[arg(required = true)]
    case: Option<CaseId>,
    /// The id of the entity commented on (a timeline entry, episode, finding...); omit for the case itself.
    #[arg(long, value_name = "ENTITY_ID")]
    on: Option<String>,
    /// question, challenge, approval or answer.
    #[arg(long, default_value = "question")]
    kind: String,
    /// The comment.
    #[arg(long, required = true)]
    text: Option<String>,
    /// The comment this one answers.
    #[arg(long, value_name = "COMMENT_ID")]
    reply_to: Option<String>,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

/// What else `case comment` does.
#[derive(Debug, Subcommand)]
pub enum CommentAction {
    /// Mark a comment resolved (or `--reopen` it).
    Resolve {
        /// The comment id.
        id: String,
        /// The case (found by the comment id if omitted).
        #[arg(long)]
        case: Option<CaseId>,
        /// Reopen instead of resolving.
        #[arg(long)]
        reopen: bool,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

/// Operations on one kind of entity.
#[derive(Debug, Subcommand)]
pub enum EntityCmd {
    /// Add one; prints its id.
    Add(EntityArgs),
    /// Change the given fields of one.
    Edit {
        /// Its id.
        #[arg(long)]
        id: String,
        #[command(flatten)]
        args: EntityArgs,
    },
    /// Add many from a JSON file: an array of objects with the fields of the JSON view (e.g. a timeline
    /// assembled from the individual timelines). Prints the new ids.
    Import {
        /// The case id.
        case: CaseId,
        /// The JSON file.
        #[arg(long, value_name = "FILE")]
        from: PathBuf,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Remove one.
    Remove {
        /// The case id.
        case: CaseId,
        /// Its id.
        #[arg(long)]
        id: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// List them (the timeline in time order).
    List {
        /// The case id.
        case: CaseId,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

/// The fields of an entity, as `--field NAME=VALUE` pairs plus the common ones as flags.
#[derive(Debug, Args)]
pub struct EntityArgs {
    /// The case id.
    pub case: CaseId,
    /// A field as NAME=VALUE (names as in the JSON view, e.g. what, known_then, decision, date, precision,
    /// actor, agency, title, appraisal, level, description, text, addressee). Repeatable. Lists take
    /// comma-separated values; true/false for flags.
    #[arg(long = "set", value_name = "NAME=VALUE")]
    pub set: Vec<String>,
    /// Shorthand for --set date=VALUE.
    #[arg(long)]
    pub date: Option<String>,
    /// Shorthand for --set what=VALUE (timeline).
    #[arg(long)]
    pub what: Option<String>,
    /// Shorthand for --set title=VALUE.
    #[arg(long)]
    pub title: Option<String>,
    /// Shorthand for --set text=VALUE.
    #[arg(long)]
    pub text: Option<String>,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

const LIST_FIELDS: [&str; 5] = ["sources", "timeline_entries", "episodes", "themes", "questions"];
const BOOL_FIELDS: [&str; 2] = ["contested", "good_practice"];

impl EntityArgs {
    fn fields(&self) -> anyhow::Result<Map<String, Value>> {
        let mut out = Map::new();
        for (k, v) in [("date", &self.date), ("what", &self.what), ("title", &self.title), ("text", &self.text)] {
            if let Some(v) = v {
                out.insert(k.to_string(), Value::String(v.clone()));
            }
        }
        for pair in &self.set {
            let Some((k, v)) = pair.split_once('=') else {
                anyhow::bail!("--set `{pair}`: expected NAME=VALUE");
            };
            let k = k.trim().replace('-', "_");
            let value = if LIST_FIELDS.contains(&k.as_str()) {
                Value::Array(
                    v.split(',').map(str::trim).filter(|s| !s.is_empty()).map(|s| Value::String(s.into())).collect(),
                )
            } else if BOOL_FIELDS.contains(&k.as_str()) {
                Value::Bool(v.parse().map_err(|_| anyhow::anyhow!("--set {k}: expected true or false"))?)
            } else if v.is_empty() && k.contains("date") || k.starts_with("period") && v.is_empty() {
                Value::Null
            } else {
                Value::String(v.to_string())
            };
            out.insert(k, value);
        }
        Ok(out)
    }
}

fn render_value(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => "-".into(),
        Value::Array(a) => a.iter().map(render_value).collect::<Vec<_>>().join(", "),
        other => other.to_string(),
    }
}

pub(crate) fn render_entities(v: &Value) -> String {
    let Value::Array(items) = v else { return format!("{v}\n") };
    if items.is_empty() {
        return "(none)\n".into();
    }
    let mut out = String::new();
    for item in items {
        let Value::Object(o) = item else { continue };
        let id = o.get("id").map(render_value).unwrap_or_default();
        let head = ["date", "title", "pseudonym", "addressee", "level"]
            .iter()
            .filter_map(|k| o.get(*k).filter(|v| !v.is_null()).map(render_value))
            .collect::<Vec<_>>()
            .join("  ");
        out.push_str(&format!("{id}  {head}\n"));
        for (k, v) in o {
            if k == "id"
                || matches!(v, Value::Null)
                || v.as_str() == Some("")
                || v.as_array().is_some_and(Vec::is_empty)
            {
                continue;
            }
            if ["date", "title", "pseudonym", "addressee", "level"].contains(&k.as_str()) {
                continue;
            }
            if k == "comments"
                && let Value::Array(cs) = v
            {
                for c in cs {
                    let state = if c["resolved"] == true { " (resolved)" } else { "" };
                    out.push_str(&format!(
                        "    comment {} [{}]{state}: {}\n",
                        render_value(&c["id"]),
                        render_value(&c["kind"]),
                        render_value(&c["text"])
                    ));
                }
                continue;
            }
            out.push_str(&format!("    {k}: {}\n", render_value(v)));
        }
    }
    out
}

pub(crate) fn render_summary(v: &Value) -> String {
    let get = |k: &str| v.get(k).map(render_value).unwrap_or_default();
    let mut out = format!(
        "{}  {}\n    role: {}  step: {}  members: {}  timeline entries: {}\n",
        get("id"),
        get("title"),
        get("role"),
        get("step"),
        get("members"),
        get("timeline_entries")
    );
    if v.get("removed") == Some(&Value::Bool(true)) {
        out.push_str("    you were removed from this case: your copy stays as it was, nothing new reaches it\n");
    }
    if let Some(Value::Object(s)) = v.get("scope") {
        if let Some(q) = s.get("learning_question").and_then(Value::as_str).filter(|q| !q.is_empty()) {
            out.push_str(&format!("    learning question: {q}\n"));
        }
        if let Some(o) = s.get("organisations").filter(|o| o.as_array().is_some_and(|a| !a.is_empty())) {
            out.push_str(&format!("    organisations: {}\n", render_value(o)));
        }
    }
    if let Some(Value::Object(docs)) = v.get("documents") {
        for (d, state) in docs {
            out.push_str(&format!("    {d}: {}\n", render_value(state)));
        }
    }
    out
}

fn entity_command(kind: EntityKind, cmd: EntityCmd) -> anyhow::Result<(CaseCommand, bool)> {
    Ok(match cmd {
        EntityCmd::Add(a) => (CaseCommand::Add { case: a.case, entity: kind, fields: a.fields()? }, a.json),
        EntityCmd::Edit { id, args } => {
            let fields = args.fields()?;
            if fields.is_empty() {
                anyhow::bail!("nothing to change: give at least one --set NAME=VALUE");
            }
            (CaseCommand::Edit { case: args.case, entity: kind, id, fields }, args.json)
        }
        EntityCmd::Import { case, from, json } => {
            let text =
                std::fs::read_to_string(&from).map_err(|e| anyhow::anyhow!("cannot read {}: {e}", from.display()))?;
            let value: Value =
                serde_json::from_str(&text).map_err(|e| anyhow::anyhow!("{} is not JSON: {e}", from.display()))?;
            let Value::Array(items) = value else {
                anyhow::bail!("{}: expected a JSON array of objects", from.display());
            };
            let items = items
                .into_iter()
                .enumerate()
                .map(|(i, v)| match v {
                    Value::Object(m) => Ok(m),
                    _ => Err(anyhow::anyhow!("{}: item {} is not an object", from.display(), i + 1)),
                })
                .collect::<anyhow::Result<Vec<_>>>()?;
            (CaseCommand::Import { case, entity: kind, items }, json)
        }
        EntityCmd::Remove { case, id, json } => (CaseCommand::Remove { case, entity: kind, id }, json),
        EntityCmd::List { case, json } => (CaseCommand::ListEntities { case, entity: kind }, json),
    })
}

/// Runs a `case` command against the local node.
pub fn case(home: &Home, command: CaseCmd) -> anyhow::Result<()> {
    let api = ApiClient::for_home(home)?;
    let call = |c: &CaseCommand| -> anyhow::Result<Value> { Ok(api.post("/v1/cases", c)?) };
    let (kind, cmd) = match command {
        CaseCmd::Open { title, referral, json } => {
            let v = call(&CaseCommand::Open { title, referral })?;
            return print_either(json, &v, render_summary);
        }
        CaseCmd::List { json } => {
            let v = call(&CaseCommand::List)?;
            return print_either(json, &v, |v| match v {
                Value::Array(a) if a.is_empty() => "no cases\n".into(),
                Value::Array(a) => a.iter().map(render_summary).collect(),
                other => format!("{other}\n"),
            });
        }
        CaseCmd::Show { case, json } => {
            let v = call(&CaseCommand::Show { case })?;
            return print_either(json, &v, render_summary);
        }
        CaseCmd::Invite { case, peer, role, json } => {
            let v = call(&CaseCommand::Invite { case, peer, role })?;
            return print_either(json, &v, |v| {
                format!("invited {} as {}\n", render_value(&v["member"]), render_value(&v["role"]))
            });
        }
        CaseCmd::Remove { case, peer, json } => {
            let v = call(&CaseCommand::RemoveMember { case, peer })?;
            return print_either(json, &v, |v| {
                format!("removed {}; the documents' keys were rotated\n", render_value(&v["removed"]))
            });
        }
        CaseCmd::Lead { case, peer, json } => {
            let v = call(&CaseCommand::HandLead { case, peer })?;
            return print_either(json, &v, |v| format!("{} now leads the case\n", render_value(&v["lead"])));
        }
        CaseCmd::Comment(args) => {
            if let Some(CommentAction::Resolve { id, case, reopen, json }) = args.action {
                let v = call(&CaseCommand::ResolveComment { case, id, resolved: !reopen })?;
                return print_either(json, &v, |v| {
                    let state = if v["resolved"] == true { "resolved" } else { "reopened" };
                    format!("comment {} {state}\n", render_value(&v["id"]))
                });
            }
            let case = args.case.ok_or_else(|| anyhow::anyhow!("the case id is required"))?;
            let mut fields = Map::new();
            fields.insert("target".into(), Value::String(args.on.unwrap_or_default()));
            fields.insert("kind".into(), Value::String(args.kind));
            fields.insert("text".into(), Value::String(args.text.unwrap_or_default()));
            if let Some(r) = args.reply_to {
                fields.insert("replies_to".into(), Value::String(r));
            }
            let v = call(&CaseCommand::Add { case, entity: EntityKind::Comment, fields })?;
            return print_either(args.json, &v, |v| format!("{}\n", render_value(&v["id"])));
        }
        CaseCmd::Comments { case, json } => {
            let v = call(&CaseCommand::ListEntities { case, entity: EntityKind::Comment })?;
            return print_either(json, &v, render_entities);
        }
        CaseCmd::RealName { case, pseudonym, name, json } => {
            let v = call(&CaseCommand::RealName { case, pseudonym, name })?;
            return print_either(json, &v, |v| {
                let what = if v["recorded"] == true { "recorded in the notes" } else { "removed from the notes" };
                format!("real name behind {} {what}\n", render_value(&v["pseudonym"]))
            });
        }
        CaseCmd::Destroy { case, report, json } => {
            let report_sha256 = match report {
                Some(path) => {
                    let bytes =
                        std::fs::read(&path).map_err(|e| anyhow::anyhow!("cannot read {}: {e}", path.display()))?;
                    Some(sha256_hex(&bytes))
                }
                None => None,
            };
            let v = call(&CaseCommand::Destroy { case, report_sha256 })?;
            return print_either(json, &v, render_destruction);
        }
        CaseCmd::Destruction { case, json } => {
            let v = call(&CaseCommand::Destruction { case })?;
            return print_either(json, &v, render_destruction);
        }
        CaseCmd::Audit { case, verify, json } => {
            let v = call(&CaseCommand::Audit { case })?;
            print_either(json, &v, render_audit)?;
            if verify && v["verified"] != Value::Bool(true) {
                anyhow::bail!("the audit trail does not verify: {}", render_value(&v["problem"]));
            }
            return Ok(());
        }
        CaseCmd::Members { case, json } => {
            let v = call(&CaseCommand::Members { case })?;
            return print_either(json, &v, |v| {
                let Value::Array(a) = v else { return format!("{v}\n") };
                a.iter()
                    .map(|m| {
                        format!(
                            "{}  {}  {}\n",
                            render_value(&m["role"]),
                            render_value(&m["peer"]),
                            render_value(&m["name"])
                        )
                    })
                    .collect()
            });
        }
        CaseCmd::Step { case, step, date, json } => {
            let date = date.map(|d| d.parse()).transpose().map_err(|e| anyhow::anyhow!("--date: {e}"))?;
            let v = call(&CaseCommand::Step { case, step, date })?;
            return print_either(json, &v, |v| format!("step {} since {}\n", v["step"], render_value(&v["date"])));
        }
        CaseCmd::Report { case, format, out, allow, follow_up, json } => {
            let v = call(&CaseCommand::Report { case, format, allow, follow_up, preview: false })?;
            if json {
                crate::commands::print_json(&v)?;
            }
            if let Some(hits) = v["hits"].as_array().filter(|h| !h.is_empty()) {
                let mut msg = format!("the report was not written: {} possible identifier(s) found\n", hits.len());
                for h in hits {
                    msg.push_str(&format!(
                        "  {} `{}` in {}\n",
                        render_value(&h["description"]),
                        render_value(&h["text"]),
                        render_value(&h["location"])
                    ));
                }
                msg.push_str("remove them from the case, or if one is not an identifier, pass --allow TEXT");
                anyhow::bail!(msg);
            }
            let report = v["report"].as_str().ok_or_else(|| anyhow::anyhow!("the node sent no report"))?;
            if let Some(allowed) = v["allowed"].as_array().filter(|a| !a.is_empty()) {
                // By kind and place only: the allowed text itself is never printed.
                let places: Vec<String> = allowed
                    .iter()
                    .map(|a| format!("{} in {}", render_value(&a["description"]), render_value(&a["location"])))
                    .collect();
                eprintln!("allowed by you (recorded in the audit trail): {}", places.join("; "));
            }
            match out {
                Some(path) => {
                    write_new_private(&path, report.as_bytes())?;
                    if !json {
                        say!("wrote the report to {} ({} bytes)", path.display(), report.len());
                    }
                }
                None if !json => say_inline!("{report}"),
                None => {}
            }
            return Ok(());
        }
        CaseCmd::Export { case, doc, format, out, json } => {
            let format = match format.as_str() {
                "automerge" => ExportFormat::Automerge,
                "json" => ExportFormat::Json,
                other => anyhow::bail!("--format `{other}`: expected automerge or json"),
            };
            let v = call(&CaseCommand::Export { case, doc, format })?;
            let bytes = match format {
                ExportFormat::Automerge => {
                    let hex_text =
                        v["automerge_hex"].as_str().ok_or_else(|| anyhow::anyhow!("the node sent no document"))?;
                    hex::decode(hex_text).map_err(|_| anyhow::anyhow!("the node sent malformed hex"))?
                }
                ExportFormat::Json => serde_json::to_vec_pretty(&v)?,
            };
            write_new_private(&out, &bytes)?;
            let v = serde_json::json!({ "path": out.display().to_string(), "bytes": bytes.len() });
            return print_either(json, &v, |v| {
                format!(
                    "wrote {} ({} bytes): it holds the decrypted document; keep it safe and delete it when done\n",
                    render_value(&v["path"]),
                    v["bytes"]
                )
            });
        }
        CaseCmd::Timeline(c) => (EntityKind::Timeline, c),
        CaseCmd::Episode(c) => (EntityKind::Episode, c),
        CaseCmd::Factor(c) => (EntityKind::Factor, c),
        CaseCmd::Finding(c) => (EntityKind::Finding, c),
        CaseCmd::Recommendation(c) => (EntityKind::Recommendation, c),
        CaseCmd::Participant(c) => (EntityKind::Participant, c),
        CaseCmd::Source(c) => (EntityKind::Source, c),
        CaseCmd::Note(c) => (EntityKind::Note, c),
    };
    let (command, json) = entity_command(kind, cmd)?;
    let v = call(&command)?;
    match &command {
        CaseCommand::ListEntities { .. } => print_either(json, &v, render_entities),
        CaseCommand::Import { .. } => print_either(json, &v, |v| {
            v["ids"]
                .as_array()
                .map(|ids| ids.iter().map(|i| format!("{}\n", render_value(i))).collect())
                .unwrap_or_default()
        }),
        _ => print_either(json, &v, |v| format!("{}\n", render_value(v.get("id").or(v.get("removed")).unwrap_or(v)))),
    }
}

/// Writes a new file readable only by its owner; never replaces an existing file (it may be someone's work).
fn write_new_private(path: &std::path::Path, bytes: &[u8]) -> anyhow::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::AlreadyExists => {
            anyhow::anyhow!("{} already exists: choose another --out, or remove it first", path.display())
        }
        _ => anyhow::anyhow!("cannot create {}: {e}", path.display()),
    })?;
    file.write_all(bytes)
        .and_then(|()| file.sync_all())
        .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", path.display()))
}

pub(crate) fn render_destruction(v: &Value) -> String {
    let who = |w: &Value| match w["name"].as_str() {
        Some(n) => format!("{n} ({})", render_value(&w["peer"])),
        None => render_value(&w["peer"]),
    };
    let at = |t: &Value| t.as_u64().map_or_else(|| "?".into(), |t| samenloop_protocol::UnixTime(t).to_string());
    let mut out =
        format!("case {} destroyed by {} at {}\n", render_value(&v["case"]), who(&v["lead"]), at(&v["destroyed_at"]));
    for c in v["confirmed"].as_array().into_iter().flatten() {
        out.push_str(&format!("    confirmed by {} at {}\n", who(c), at(&c["at"])));
    }
    for m in v["missing"].as_array().into_iter().flatten() {
        out.push_str(&format!(
            "    not yet confirmed by {} (its node deletes the case when it is next online)\n",
            who(m)
        ));
    }
    out
}

pub(crate) fn render_audit(v: &Value) -> String {
    let mut out = String::new();
    for e in v["entries"].as_array().into_iter().flatten() {
        let actor = e["actor"]["name"].as_str().or(e["actor"]["peer"].as_str()).unwrap_or("?");
        let at = e["at"].as_u64().map_or_else(|| "?".into(), |t| samenloop_protocol::UnixTime(t).to_string());
        out.push_str(&format!("{at}  {actor}  {}  [{}]\n", render_value(&e["summary"]), render_value(&e["source"])));
    }
    match v["problem"].as_str() {
        Some(p) => out.push_str(&format!("NOT VERIFIED: {p}\n")),
        None => out.push_str(&format!(
            "verified: {} entries, every link and signature, and this node's checkpoint\n",
            v["entries"].as_array().map_or(0, Vec::len)
        )),
    }
    out
}

fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(bytes))
}
