//! The mailbox: sealed items held for members who are offline, by a node that cannot read them.
//!
//! A reviewer's laptop is closed half the day; a lead's edits, a referral or a destruction notice must still
//! reach it. A node started as a mailbox (a reviewer's always-on machine, or one the network runs) keeps
//! items for other nodes until they fetch and acknowledge them. It learns as little as the design allows:
//!
//! - [`inbox`]: items are addressed to an [`InboxId`], a hash of a Diffie-Hellman secret between sender and
//!   recipient and the mailbox's own id. Only the two parties can compute it; the mailbox cannot link it to
//!   a peer id (it holds every profile, but no private key). The one exception, a recipient's
//!   first-contact inbox for a sender it has never met, is said in its place.
//! - [`item`]: what a sender deposits: a signed header (sender, recipient, inbox, digest of the payload)
//!   and the payload (a referral message, a sync push, a pull's answer), sealed together to the
//!   recipient's X25519 key and padded to one of a few sizes. The mailbox sees a padded size and an inbox.
//! - [`wire`]: the `/samenloop/mailbox/1` messages: register inboxes, deposit, fetch, acknowledge.
//!
//! Data flows one way: a message the sender could not deliver directly -> [`item::seal_item`] -> deposit ->
//! the mailbox's store -> fetch by the recipient -> [`item::open_item`] (unpad, open, verify the header and
//! digest) -> the same handling as a message received directly from the sender -> acknowledge -> deleted.
//! Drops, delays and replays by a mailbox are caught by what handles the payload: every payload is
//! idempotent and carries its own signatures and hash chains.

pub mod inbox;
pub mod item;
pub mod wire;

pub use inbox::{InboxId, first_contact_inbox, pair_inbox};
pub use item::{
    MAX_ITEM_BYTES, MailError, MailPayload, OpenedItem, Recipient, SIZE_BUCKETS, bucket_for, is_bucket, open_item, pad,
    seal_item, unpad,
};
pub use wire::{MailboxRefusal, MailboxRequest, MailboxResponse, StoredItem};
