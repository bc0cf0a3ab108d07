//! `samenloop request ...` and `samenloop referral ...`: requesters and reviewers, through the node's API.

use std::fmt::Write as _;
use std::path::Path;

use anyhow::{Context, bail};
use samenloop_node::Home;
use samenloop_node::api::client::ApiClient;
use samenloop_node::api::types::{CallRequest, ReferRequest};
use samenloop_node::referrals::records::{CallView, ReceivedReferral, ReferralView, RequestRecord};
use samenloop_protocol::directory::expertise;
use samenloop_protocol::referrals::referral::{Answer, ReferralState};
use samenloop_protocol::{
    CalendarDate, FieldProblem, InvolvedOrganisation, MatchResult, ProblemKind, ReviewRequest, ReviewVariant,
};
use serde::Deserialize;

use crate::args::{CallCommand, ReferralCommand, RequestCommand, RequestNewArgs};
use crate::commands::print_either as print;

/// The fields of `request new --from FILE`, all optional so flags can complete or override them.
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "kebab-case", deny_unknown_fields)]
struct RequestDraft {
    reason: Option<String>,
    learning_question: Option<String>,
    period_from: Option<CalendarDate>,
    period_until: Option<CalendarDate>,
    organisation: Vec<InvolvedOrganisation>,
    municipality: Option<String>,
    inspectorate: Option<String>,
    context: Option<String>,
    available_information: Option<String>,
    family_involvement: Option<String>,
    privacy: Option<String>,
    desired_start: Option<CalendarDate>,
    desired_end: Option<CalendarDate>,
    contact: Option<String>,
    costs: Option<String>,
    budget_hours: Option<u16>,
    expected_result: Option<String>,
    report_addressee: Option<String>,
    expertise: Vec<String>,
    region: Option<String>,
    language: Option<String>,
    variant: Option<ReviewVariant>,
    reviewers: Option<u8>,
}

fn read_draft(path: &Path) -> anyhow::Result<RequestDraft> {
    let text = std::fs::read_to_string(path).with_context(|| format!("--from: cannot read {}", path.display()))?;
    let is_json =
        path.extension().is_some_and(|e| e.eq_ignore_ascii_case("json")) || text.trim_start().starts_with('{');
    if is_json {
        serde_json::from_str(&text).with_context(|| format!("--from {}: not a valid request (JSON)", path.display()))
    } else {
        toml::from_str(&text).with_context(|| format!("--from {}: not a valid request (TOML)", path.display()))
    }
}

/// Builds the request from file and flags, listing every missing or invalid field at once.
fn build_request(args: &RequestNewArgs) -> anyhow::Result<ReviewRequest> {
    let mut d = match &args.from {
        Some(path) => read_draft(path)?,
        None => RequestDraft::default(),
    };
    macro_rules! flag {
        ($($f:ident),*) => { $( if args.$f.is_some() { d.$f = args.$f.clone(); } )* };
    }
    flag!(reason, learning_question, period_from, period_until, municipality, inspectorate, context);
    flag!(available_information, family_involvement, privacy, desired_start, desired_end, contact, costs);
    flag!(budget_hours, expected_result, report_addressee, region, language, variant, reviewers);
    if !args.organisation.is_empty() {
        d.organisation = args.organisation.clone();
    }
    if !args.expertise.is_empty() {
        d.expertise = args.expertise.clone();
    }
    let mut problems: Vec<FieldProblem> = Vec::new();
    let mut missing = |field: &str| problems.push(FieldProblem::new(field, ProblemKind::Required, "is required"));
    let placeholder_date = CalendarDate::from_days_since_epoch(0);
    if d.period_from.is_none() {
        missing("period-from");
    }
    if d.period_until.is_none() {
        missing("period-until");
    }
    if d.desired_start.is_none() {
        missing("desired-start");
    }
    if d.desired_end.is_none() {
        missing("desired-end");
    }
    if d.budget_hours.is_none() {
        missing("budget-hours");
    }
    let mut tags = Vec::new();
    for t in &d.expertise {
        match expertise::normalise_tag(t) {
            Ok(t) => tags.push(t),
            Err(e) => problems.push(FieldProblem::new("expertise", ProblemKind::InvalidTag, e.to_string())),
        }
    }
    let request = ReviewRequest {
        reason: d.reason.unwrap_or_default(),
        learning_question: d.learning_question.unwrap_or_default(),
        period_from: d.period_from.unwrap_or(placeholder_date),
        period_until: d.period_until.unwrap_or(placeholder_date),
        organisations: d.organisation,
        municipality: d.municipality.unwrap_or_default(),
        inspectorate: d.inspectorate.unwrap_or_default(),
        context: d.context.unwrap_or_default(),
        available_information: d.available_information.unwrap_or_default(),
        family_involvement: d.family_involvement.unwrap_or_default(),
        privacy: d.privacy.unwrap_or_default(),
        desired_start: d.desired_start.unwrap_or(placeholder_date),
        desired_end: d.desired_end.unwrap_or(placeholder_date),
        contact: d.contact.unwrap_or_default(),
        costs: d.costs.unwrap_or_default(),
        budget_hours: d.budget_hours.unwrap_or(1),
        expected_result: d.expected_result.unwrap_or_default(),
        report_addressee: d.report_addressee.unwrap_or_default(),
        expertise: tags,
        region: d.region,
        language: d.language.unwrap_or_else(|| "nl".into()),
        variant: d.variant.unwrap_or(ReviewVariant::Full),
        reviewers: d.reviewers.unwrap_or(2),
    };
    if let Err(more) = request.validate() {
        // Comparisons with a missing date are noise: the missing date is already reported.
        let missing_dates = |field: &str| match field {
            "period-until" => d.period_from.is_none() || d.period_until.is_none(),
            "desired-end" => d.desired_start.is_none() || d.desired_end.is_none(),
            "budget-hours" => d.budget_hours.is_none(),
            _ => false,
        };
        problems.extend(more.into_iter().filter(|p| !missing_dates(&p.field)));
    }
    if !problems.is_empty() {
        let lines: Vec<String> = problems.iter().map(|p| format!("  --{}: {}", p.field, p.problem)).collect();
        bail!("the request is incomplete or invalid:\n{}", lines.join("\n"));
    }
    Ok(request)
}

fn state_text(s: &ReferralState) -> String {
    match s {
        ReferralState::Offered => "offered".into(),
        ReferralState::Accepted { conflict: None, at } => format!("accepted {at} (declared no conflict)"),
        ReferralState::Accepted { conflict: Some(c), at } => format!("accepted {at} (declared conflict: {c})"),
        ReferralState::Declined { reason, at } => format!("declined {at}: {reason}"),
        ReferralState::Expired { at } => format!("expired {at}"),
        ReferralState::Withdrawn { at } => format!("withdrawn {at}"),
    }
}

pub(crate) fn render_request(r: &RequestRecord) -> String {
    let mut o = String::new();
    let q = &r.request;
    let _ = writeln!(o, "request {} (created {})", r.id, r.created_at);
    let _ = writeln!(o, "  learning question  {}", q.learning_question);
    let _ = writeln!(o, "  variant            {}, {} reviewers, {} hours", q.variant, q.reviewers, q.budget_hours);
    let _ = writeln!(o, "  window             {} to {}", q.desired_start, q.desired_end);
    let orgs: Vec<String> = q.organisations.iter().map(|o| o.name.clone()).collect();
    let _ = writeln!(o, "  organisations      {}", orgs.join(", "));
    let _ = writeln!(o, "  referrals");
    if r.referrals.is_empty() {
        let _ = writeln!(o, "    none yet: `samenloop request match {}` then `request refer`", r.id);
    }
    for x in &r.referrals {
        let delivery = match (x.delivered, x.at_mailbox) {
            (true, _) => "",
            (false, true) => " [in their mailbox]",
            (false, false) => " [waiting for their node]",
        };
        let _ = writeln!(o, "    {} ({}): {}{delivery}", x.reviewer_name, x.reviewer, state_text(&x.state));
    }
    let _ = writeln!(o, "  history");
    for h in &r.history {
        let who = h.reviewer.as_deref().map(|p| format!(" {p}")).unwrap_or_default();
        let detail = h.detail.as_deref().map(|d| format!(": {d}")).unwrap_or_default();
        let _ = writeln!(o, "    {} {}{who}{detail}", h.at, h.event);
    }
    o
}

pub(crate) fn render_match(m: &MatchResult) -> String {
    let mut o = String::new();
    let _ = writeln!(o, "{} candidates, {} excluded", m.candidates.len(), m.excluded.len());
    for (i, c) in m.candidates.iter().enumerate() {
        let _ = writeln!(o, "\n{:>2}. {}  score {}  ({})", i + 1, c.name, c.score, c.peer);
        for r in &c.reasons {
            let _ = writeln!(o, "      {r}");
        }
    }
    if let Some(p) = &m.pair {
        let name = |peer: &str| {
            m.candidates
                .iter()
                .find(|c| c.peer.to_string() == peer)
                .map(|c| c.name.clone())
                .unwrap_or_else(|| peer.into())
        };
        let _ = writeln!(o, "\nproposed pair: {} + {}", name(&p.reviewers[0]), name(&p.reviewers[1]));
        for r in &p.reasons {
            let _ = writeln!(o, "      {r}");
        }
    }
    if !m.excluded.is_empty() {
        let _ = writeln!(o, "\nexcluded:");
        for e in &m.excluded {
            let reasons: Vec<String> = e.reasons.iter().map(ToString::to_string).collect();
            let _ = writeln!(o, "    {} ({}): {}", e.name, e.peer, reasons.join("; "));
        }
    }
    o
}

fn render_referral(r: &ReceivedReferral) -> String {
    format!("referral {}  from {}  respond by {}  {}\n", r.referral_id, r.requester, r.respond_by, state_text(&r.state))
}

fn render_referral_view(v: &ReferralView) -> String {
    let q = &v.request;
    let mut o = render_referral(&v.referral);
    let orgs: Vec<String> = q.organisations.iter().map(|o| o.name.clone()).collect();
    for (label, value) in [
        ("reason", q.reason.clone()),
        ("learning question", q.learning_question.clone()),
        ("period", format!("{} to {}", q.period_from, q.period_until)),
        ("organisations", orgs.join(", ")),
        ("municipality", q.municipality.clone()),
        ("inspectorate", q.inspectorate.clone()),
        ("context", q.context.clone()),
        ("information", q.available_information.clone()),
        ("family", q.family_involvement.clone()),
        ("privacy", q.privacy.clone()),
        ("window", format!("{} to {}", q.desired_start, q.desired_end)),
        ("contact", q.contact.clone()),
        ("costs", format!("{} ({} hours)", q.costs, q.budget_hours)),
        ("expected result", q.expected_result.clone()),
        ("report to", q.report_addressee.clone()),
        ("variant", format!("{}, {} reviewers", q.variant, q.reviewers)),
    ] {
        if !value.trim().is_empty() {
            let _ = writeln!(o, "  {label:<18} {value}");
        }
    }
    o
}

/// `samenloop request ...`.
pub fn request(home: &Home, command: RequestCommand) -> anyhow::Result<()> {
    match command {
        RequestCommand::New(args) => {
            let request = build_request(&args)?;
            let record: RequestRecord = ApiClient::for_home(home)?.post("/v1/requests", &request)?;
            if args.json {
                say!("{}", serde_json::json!({ "id": record.id }));
            } else {
                say!("Created request {} (stored encrypted on this node).", record.id);
                say!("Next: `samenloop request match {}`", record.id);
            }
            Ok(())
        }
        RequestCommand::List { json } => {
            let list: Vec<RequestRecord> = ApiClient::for_home(home)?.get("/v1/requests")?;
            print(json, &list, |l| {
                if l.is_empty() {
                    "no requests yet: `samenloop request new --help`\n".into()
                } else {
                    l.iter().map(render_request).collect::<Vec<_>>().join("\n")
                }
            })
        }
        RequestCommand::Show { id, json } => {
            let r: RequestRecord = ApiClient::for_home(home)?.get(&format!("/v1/requests/{id}"))?;
            print(json, &r, render_request)
        }
        RequestCommand::Match { id, json } => {
            let m: MatchResult = ApiClient::for_home(home)?.get(&format!("/v1/requests/{id}/match"))?;
            print(json, &m, render_match)
        }
        RequestCommand::Refer { id, to, pair, next, respond_by, json } => {
            let body = ReferRequest { to: to.iter().map(ToString::to_string).collect(), pair, next, respond_by };
            let r: RequestRecord = ApiClient::for_home(home)?.post(&format!("/v1/requests/{id}/referrals"), &body)?;
            print(json, &r, render_request)
        }
        RequestCommand::Call { id, theme, json } => {
            let c: CallView =
                ApiClient::for_home(home)?.post(&format!("/v1/requests/{id}/call"), &CallRequest { theme })?;
            print(json, &c, |c| format!("Posted an anonymised call {}:\n{}", c.call_id, render_call(c)))
        }
        RequestCommand::Withdraw { id, json } => {
            let r: RequestRecord =
                ApiClient::for_home(home)?.post(&format!("/v1/requests/{id}/withdraw"), &serde_json::json!({}))?;
            print(json, &r, render_request)
        }
    }
}

fn render_call(c: &CallView) -> String {
    let theme = c.theme.map(|t| format!("{t:?}")).unwrap_or_else(|| "-".into());
    format!(
        "call {}  {} review, start {}, region {}, theme {}, expertise {}  (closes {}){}\n",
        c.call_id,
        c.variant,
        c.start_month,
        c.region.as_deref().unwrap_or("-"),
        theme,
        if c.expertise.is_empty() { "-".into() } else { c.expertise.join(", ") },
        c.expires_at,
        if c.interested { "  [you signalled interest]" } else { "" }
    )
}

/// `samenloop call ...`.
pub fn call(home: &Home, command: CallCommand) -> anyhow::Result<()> {
    let api = ApiClient::for_home(home)?;
    match command {
        CallCommand::List { json } => {
            let list: Vec<CallView> = api.get("/v1/calls")?;
            print(json, &list, |l| {
                if l.is_empty() { "no open calls\n".into() } else { l.iter().map(render_call).collect() }
            })
        }
        CallCommand::Interest { call, json } => {
            let c: CallView = api.post(&format!("/v1/calls/{call}/interest"), &serde_json::json!({}))?;
            print(json, &c, |c| format!("Interest sent to the requester.\n{}", render_call(c)))
        }
    }
}

/// `samenloop referral ...`.
pub fn referral(home: &Home, command: ReferralCommand) -> anyhow::Result<()> {
    let api = ApiClient::for_home(home)?;
    match command {
        ReferralCommand::List { json } => {
            let list: Vec<ReceivedReferral> = api.get("/v1/referrals")?;
            print(json, &list, |l| {
                if l.is_empty() { "no referrals\n".into() } else { l.iter().map(render_referral).collect() }
            })
        }
        ReferralCommand::Show { id, json } => {
            let v: ReferralView = api.get(&format!("/v1/referrals/{id}"))?;
            print(json, &v, render_referral_view)
        }
        ReferralCommand::Accept { id, declare_conflict, json, .. } => {
            let answer = Answer::Accept { conflict: declare_conflict };
            let r: ReceivedReferral = api.post(&format!("/v1/referrals/{id}/answer"), &answer)?;
            print(json, &r, render_referral)
        }
        ReferralCommand::Decline { id, reason, json } => {
            let answer = Answer::Decline { reason };
            let r: ReceivedReferral = api.post(&format!("/v1/referrals/{id}/answer"), &answer)?;
            print(json, &r, render_referral)
        }
    }
}
