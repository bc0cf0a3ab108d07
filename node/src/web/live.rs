//! Live pages: `GET /events`, a server-sent event stream of the node's own events, so that an open page
//! shows a new referral or a co-member's edit without a reload. The script (`assets/app.js`) listens on
//! pages that ask for it (`<main data-live="...">`) and fetches the page again when an event they name
//! arrives (`referrals`, `case`, `directory` when a profile changed, `changed` when the page fell behind).
//! The stream carries no content, only what kind of thing changed. Every event has a data line: a browser
//! drops an event whose data is empty.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use futures::Stream;
use tokio::sync::broadcast::{Receiver, error::RecvError};

use super::views::SignedIn;
use crate::network::{DirectoryEvent, NodeEvent};
use crate::service::Service;

/// `GET /events`.
pub(crate) async fn events(State(service): State<Arc<Service>>, _: SignedIn) -> Response {
    let Some(client) = service.client() else { return StatusCode::SERVICE_UNAVAILABLE.into_response() };
    match (client.node_events().await, client.subscribe().await) {
        (Ok(node), Ok(directory)) => Sse::new(futures::stream::select(stream(node), directory_stream(directory)))
            .keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
            .into_response(),
        _ => StatusCode::SERVICE_UNAVAILABLE.into_response(),
    }
}

/// Profile changes as `directory` events: pages that show people's names look again.
fn directory_stream(receiver: Receiver<DirectoryEvent>) -> impl Stream<Item = Result<Event, Infallible>> {
    futures::stream::unfold(receiver, |mut receiver| async move {
        let event = match receiver.recv().await {
            Ok(_) => Event::default().event("directory").data("directory"),
            Err(RecvError::Lagged(_)) => Event::default().event("changed").data("changed"),
            Err(RecvError::Closed) => return None,
        };
        Some((Ok(event), receiver))
    })
}

/// The node's events as SSE events: `referrals`, or `case` with the case id; `changed` when the page fell
/// behind and should look again at everything.
fn stream(receiver: Receiver<NodeEvent>) -> impl Stream<Item = Result<Event, Infallible>> {
    futures::stream::unfold(receiver, |mut receiver| async move {
        let event = match receiver.recv().await {
            Ok(NodeEvent::Referrals) => Event::default().event("referrals").data("referrals"),
            Ok(NodeEvent::Case(case)) => Event::default().event("case").data(case.to_string()),
            Err(RecvError::Lagged(_)) => Event::default().event("changed").data("changed"),
            Err(RecvError::Closed) => return None,
        };
        Some((Ok(event), receiver))
    })
}
