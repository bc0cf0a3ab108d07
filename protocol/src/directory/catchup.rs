//! Catch-up: how a node that was offline gets the profiles it missed, without waiting for the next gossip.
//!
//! On every new connection both sides send a [`CatchUpRequest`] listing the revision they hold of every
//! profile; the other side answers with the profiles the requester lacks or holds in an older revision,
//! in pages. A page that was cut short says `more`, and the requester asks again with its updated knowledge
//! (which now includes the page it received), so no cursor state is kept on the answering side.
//!
//! Messages travel as CBOR over libp2p request-response (`/samenloop/directory/1`); every profile inside is
//! verified by the receiver exactly like one received by gossip.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use crate::directory::index::Directory;
use crate::records::identity::PeerId;
use crate::records::time::UnixTime;

/// The most known-revision entries a request may carry (about 900 KiB): the network's size limit for now.
pub const MAX_KNOWN: usize = 20_000;
/// Profiles per answer page.
pub const MAX_PAGE_PROFILES: usize = 256;
/// Bytes of profiles per answer page, well under request-response's 10 MiB response limit.
pub const MAX_PAGE_BYTES: usize = 2 * 1024 * 1024;

/// "I hold revision `revision` of `peer`'s profile."
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct KnownRevision {
    /// The reviewer's PeerId bytes.
    #[serde(with = "serde_bytes")]
    pub peer: Vec<u8>,
    /// The revision held.
    pub revision: u64,
}

/// A request for the profiles the sender lacks.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CatchUpRequest {
    /// Everything the sender holds.
    pub known: Vec<KnownRevision>,
}

/// One page of profiles the requester lacked.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CatchUpResponse {
    /// Signed profile envelopes, each to be verified by the receiver.
    pub profiles: Vec<serde_bytes::ByteBuf>,
    /// True if the page was cut short and the requester should ask again.
    pub more: bool,
}

/// Why a catch-up request is refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CatchUpError {
    /// The request lists more entries than [`MAX_KNOWN`].
    #[error("catch-up request lists {0} profiles, over the limit of {MAX_KNOWN}")]
    TooManyKnown(usize),
}

impl Directory {
    /// What this node would ask a peer for: the revision of every profile it holds.
    pub fn catch_up_request(&self) -> CatchUpRequest {
        CatchUpRequest {
            known: self
                .profiles()
                .take(MAX_KNOWN)
                .map(|p| KnownRevision { peer: p.peer().to_bytes(), revision: p.revision() })
                .collect(),
        }
    }

    /// Answers a peer's request with one page of what it lacks, in a stable order (by PeerId bytes) so
    /// repeated requests make progress.
    pub fn answer_catch_up(&self, request: &CatchUpRequest, now: UnixTime) -> Result<CatchUpResponse, CatchUpError> {
        if request.known.len() > MAX_KNOWN {
            return Err(CatchUpError::TooManyKnown(request.known.len()));
        }
        let known: HashMap<PeerId, u64> =
            request.known.iter().filter_map(|k| PeerId::from_bytes(&k.peer).ok().map(|p| (p, k.revision))).collect();
        let mut lacking: Vec<_> = self
            .profiles()
            .filter(|p| p.expires_at() > now)
            .filter(|p| known.get(p.peer()).is_none_or(|&rev| rev < p.revision()))
            .collect();
        lacking.sort_by_key(|p| p.peer().to_bytes());
        let mut page = CatchUpResponse::default();
        let mut bytes = 0;
        for p in lacking {
            if page.profiles.len() == MAX_PAGE_PROFILES || bytes + p.bytes().len() > MAX_PAGE_BYTES {
                page.more = true;
                break;
            }
            bytes += p.bytes().len();
            page.profiles.push(serde_bytes::ByteBuf::from(p.bytes().to_vec()));
        }
        Ok(page)
    }
}
