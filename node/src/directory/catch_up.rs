//! Catch-up with a peer: asking for the profiles it holds that this node lacks (page by page, only while
//! pages teach something), and answering its request.

use std::time::{Duration, Instant};

use libp2p::request_response::{self};
use samenloop_protocol::{CatchUpRequest, CatchUpResponse, PeerId};
use tracing::{debug, warn};

use crate::directory::profiles::Origin;
use crate::network::event_loop::{EventLoop, now};

/// How long after a catch-up with a peer the node does not ask that peer again on reconnect.
const CATCH_UP_QUIET: Duration = Duration::from_secs(30);
/// Pages asked of one peer in one catch-up before giving up (a peer that always says "more" is lying).
const MAX_CATCH_UP_PAGES: u32 = 100;

impl EventLoop {
    // ---- catch-up -----------------------------------------------------------------------------------

    pub(crate) fn start_catch_up(&mut self, peer: PeerId) {
        if self.caught_up.get(&peer).is_some_and(|t| t.elapsed() < CATCH_UP_QUIET) {
            return;
        }
        self.caught_up.insert(peer, Instant::now());
        self.request_page(peer, 1);
    }

    pub(crate) fn request_page(&mut self, peer: PeerId, page: u32) {
        let request = self.directory.catch_up_request();
        let id = self.swarm.behaviour_mut().catch_up.send_request(&peer, request);
        self.catch_up_pages.insert(id, (peer, page));
    }

    pub(crate) fn on_catch_up_event(&mut self, event: request_response::Event<CatchUpRequest, CatchUpResponse>) {
        use request_response::{Event, Message};
        match event {
            Event::Message { peer, message: Message::Request { request, channel, .. }, .. } => {
                let response = match self.directory.answer_catch_up(&request, now()) {
                    Ok(r) => r,
                    Err(e) => {
                        warn!(%peer, "refused catch-up request: {e}");
                        self.penalise(peer);
                        CatchUpResponse::default()
                    }
                };
                let _ = self.swarm.behaviour_mut().catch_up.send_response(channel, response);
            }
            Event::Message { peer, message: Message::Response { request_id, response }, .. } => {
                let page = self.catch_up_pages.remove(&request_id).map(|(_, n)| n).unwrap_or(MAX_CATCH_UP_PAGES);
                let mut fresh = 0;
                for bytes in &response.profiles {
                    if let Ok(offer) = self.ingest(bytes, Some(peer), Origin::CatchUp) {
                        fresh += usize::from(offer.changed());
                    }
                }
                debug!(%peer, received = response.profiles.len(), fresh, "catch-up page");
                // Ask for the next page only if this one taught us something, so a peer cannot keep us busy.
                if response.more && fresh > 0 && page < MAX_CATCH_UP_PAGES {
                    self.request_page(peer, page + 1);
                }
            }
            Event::OutboundFailure { request_id, peer, error, .. } => {
                self.catch_up_pages.remove(&request_id);
                // Let the next connection try again.
                self.caught_up.remove(&peer);
                debug!(%peer, "catch-up failed: {error}");
            }
            _ => {}
        }
    }
}
