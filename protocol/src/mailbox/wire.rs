//! The messages of `/samenloop/mailbox/1` (CBOR over libp2p request-response, like the other protocols).
//!
//! - `Register`: "hold items for these inboxes" (a recipient, each time it connects; registrations expire).
//! - `Deposit`: "hold this padded item for this inbox" (a sender whose recipient is away). Refused with a
//!   reason (unknown inbox, a quota, the mailbox full): the sender keeps the item and retries.
//! - `Fetch`: "what do you hold for these inboxes" (the recipient), paged by bytes.
//! - `Ack`: "delete these, I have them" (the recipient, after it stored what they carried).
//!
//! Nothing here names a peer, a case or a document: inbox ids, item numbers the mailbox assigns, and
//! padded ciphertext.

use serde::{Deserialize, Serialize};

use crate::mailbox::inbox::InboxId;
use crate::mailbox::item::MAX_ITEM_BYTES;
use crate::records::time::UnixTime;

/// At most this many inboxes in one `Register` or `Fetch`.
pub const MAX_INBOXES_PER_REQUEST: usize = 4096;
/// The largest request a mailbox accepts (one deposit).
pub const MAX_MAILBOX_REQUEST_BYTES: u64 = MAX_ITEM_BYTES as u64 + 256 * 1024;
/// The largest answer (a page of fetched items).
pub const MAX_MAILBOX_RESPONSE_BYTES: u64 = 2 * MAX_ITEM_BYTES as u64 + 256 * 1024;
/// The item bytes a mailbox puts in one fetch answer before it sets `more` (at least one item is sent).
pub const FETCH_PAGE_BYTES: usize = MAX_ITEM_BYTES;

/// A request to a mailbox.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum MailboxRequest {
    /// Hold items for these inboxes (renews registrations already held).
    Register {
        /// The inboxes.
        inboxes: Vec<InboxId>,
    },
    /// Hold this item.
    Deposit {
        /// For whom (an inbox the recipient registered).
        inbox: InboxId,
        /// The padded item ([`crate::mailbox::item`]).
        #[serde(with = "serde_bytes")]
        item: Vec<u8>,
    },
    /// Send what is held for these inboxes, oldest first, after item number `after`.
    Fetch {
        /// The inboxes.
        inboxes: Vec<InboxId>,
        /// Only items numbered above this (0: all).
        after: u64,
    },
    /// Delete these items: the recipient has them.
    Ack {
        /// (inbox, item number) pairs.
        items: Vec<(InboxId, u64)>,
    },
}

/// One held item, as fetched.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredItem {
    /// Its inbox.
    pub inbox: InboxId,
    /// The number the mailbox gave it (increasing in deposit order).
    pub id: u64,
    /// The padded item.
    #[serde(with = "serde_bytes")]
    pub item: Vec<u8>,
}

/// A mailbox's answer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum MailboxResponse {
    /// The inboxes are registered until `until`.
    Registered {
        /// How many inboxes are now registered by this request.
        inboxes: u32,
        /// When the registrations lapse unless renewed.
        until: UnixTime,
    },
    /// The item is held (durably) as number `id` until `until`.
    Deposited {
        /// Its number.
        id: u64,
        /// When it expires unless fetched.
        until: UnixTime,
    },
    /// Items held for the inboxes asked about.
    Items {
        /// The items, oldest first.
        items: Vec<StoredItem>,
        /// More are held: fetch again after the last id.
        more: bool,
    },
    /// The items were deleted (those not held any more are counted as deleted).
    Acked {
        /// How many.
        removed: u32,
    },
    /// Nothing was done, and why.
    Refused(MailboxRefusal),
}

/// Why a mailbox refused a request. Each names what the sender can do.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum MailboxRefusal {
    /// This node is not a mailbox.
    #[error("this node is not a mailbox")]
    NotAMailbox,
    /// No recipient registered this inbox (or its registration lapsed).
    #[error("no recipient registered this inbox here")]
    UnknownInbox,
    /// The item is not padded to a size bucket, or too large.
    #[error("the item is {0} bytes, not one of the padded sizes")]
    BadSize(u64),
    /// Too many inboxes in one request, or registered from one connection.
    #[error("too many inboxes (at most {max})")]
    TooManyInboxes {
        /// The limit.
        max: u32,
    },
    /// The inbox holds its quota already; the recipient must fetch first.
    #[error("the inbox is full ({held} of {quota} bytes held)")]
    InboxFull {
        /// Bytes held for the inbox.
        held: u64,
        /// Its quota.
        quota: u64,
    },
    /// This depositor has used its quota.
    #[error("this depositor's quota is used ({held} of {quota} bytes held)")]
    DepositorOverQuota {
        /// Bytes the depositor has held here.
        held: u64,
        /// Its quota.
        quota: u64,
    },
    /// The mailbox holds all it may hold.
    #[error("the mailbox is full ({held} of {capacity} bytes held)")]
    MailboxFull {
        /// Bytes held.
        held: u64,
        /// The mailbox's capacity.
        capacity: u64,
    },
    /// The mailbox could not write the item to its disk (it is not held).
    #[error("the mailbox could not store the item: {0}")]
    Storage(String),
}
