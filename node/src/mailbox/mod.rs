//! Mailboxes for members who are offline: serving as one ([`server`], its store `mailbox.redb`), and
//! using them ([`post`]: deposit what could not be delivered, fetch and handle what is held).
//!
//! The wire format and the sealing are in `samenloop_protocol::mailbox`; what a mailbox operator learns is
//! in docs/threat-model.md.

pub mod post;
pub(crate) mod server;
pub(crate) mod store;

pub use post::MailStats;
