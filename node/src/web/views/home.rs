//! Home: what needs the user now. Referrals waiting for an answer (with their respond-by date, the
//! overdue ones first) and the cases this node is a member of, with the step each is at and the comments
//! still to answer (questions and challenges no one resolved). Before the node
//! runs, home sends the browser to the first-run or unlock page.

use std::sync::Arc;

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use samenloop_protocol::referrals::referral::ReferralState;

use super::{Chrome, PageLang, SignedIn, page, see_other};
use crate::cases::commands::{CaseCommand, CaseSummary};
use crate::network::now;
use crate::service::{Phase, Service};
use crate::web::i18n::Tr;

/// A referral waiting for the user's answer.
pub(crate) struct WaitingReferral {
    id: String,
    /// Who asked (their name from the directory, when known).
    requester: String,
    received: String,
    respond_by: String,
    overdue: bool,
}

/// A case, as home lists it.
pub(crate) struct CaseRow {
    id: String,
    /// Questions and challenges on the case not yet resolved: what needs an answer.
    open_points: usize,
    title: String,
    step: u64,
    step_name: String,
    role: String,
    members: usize,
    removed: bool,
}

/// The points (questions, challenges) on a case that no one resolved yet.
async fn open_points(client: &crate::Client, case: samenloop_protocol::cases::ledger::CaseId) -> usize {
    let listed: Vec<super::case::comments::Listed> = super::case::ask(
        client,
        CaseCommand::ListEntities { case, entity: crate::cases::commands::EntityKind::Comment },
    )
    .await
    .unwrap_or_default();
    listed
        .iter()
        .filter(|l| l.comment.replies_to.is_none() && !l.comment.resolved)
        .filter(|l| l.comment.kind != samenloop_protocol::cases::comments::CommentKind::Approval)
        .count()
}

/// The home page.
#[derive(Template)]
#[template(path = "home.html")]
pub(crate) struct HomePage {
    chrome: Chrome,
    referrals: Vec<WaitingReferral>,
    cases: Vec<CaseRow>,
    /// Set when the node could not be asked (the page still shows what it could).
    problem: String,
}

/// `GET /`.
pub(crate) async fn show(State(service): State<Arc<Service>>, PageLang(lang): PageLang, _: SignedIn) -> Response {
    let client = match service.phase() {
        Phase::NoIdentity => return see_other("/welcome"),
        Phase::Locked => return see_other("/unlock"),
        Phase::Running => match service.client() {
            Some(c) => c,
            None => return see_other("/unlock"),
        },
    };
    let t = Tr::new(lang);
    let mut problems = Vec::new();
    let now = now();

    let mut referrals = Vec::new();
    match client.referrals().await {
        Ok(list) => {
            let mut waiting: Vec<_> = list.into_iter().filter(|r| r.state == ReferralState::Offered).collect();
            waiting.sort_by_key(|r| r.respond_by);
            for r in waiting {
                let requester = super::referrals::requester_name(&client, t, &r.requester).await;
                referrals.push(WaitingReferral {
                    id: r.referral_id.clone(),
                    requester,
                    received: t.day_of(r.received_at),
                    respond_by: t.day_of(r.respond_by),
                    overdue: r.respond_by < now,
                });
            }
        }
        Err(e) => problems.push(e.to_string()),
    }

    let mut cases = Vec::new();
    match client.case(CaseCommand::List).await.and_then(|v| {
        serde_json::from_value::<Vec<CaseSummary>>(v).map_err(|e| crate::NodeError::BadRequest(e.to_string()))
    }) {
        Ok(list) => {
            for c in list {
                let open_points = match c.id.parse() {
                    Ok(case) if !c.removed => open_points(&client, case).await,
                    _ => 0,
                };
                cases.push(CaseRow {
                    open_points,
                    id: c.id.clone(),
                    title: if c.title.is_empty() { t.get("home-case-untitled") } else { c.title },
                    step: c.step,
                    step_name: t.get(&format!("step-{}", c.step.clamp(1, 6))),
                    role: super::case::role_name(t, c.role),
                    members: c.members,
                    removed: c.removed,
                });
            }
        }
        Err(e) => problems.push(e.to_string()),
    }

    let problem =
        if problems.is_empty() { String::new() } else { t.arg("home-problem", "reason", problems.join("; ")) };
    page(StatusCode::OK, &HomePage { chrome: Chrome::new(lang, true, true), referrals, cases, problem })
}
