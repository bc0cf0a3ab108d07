//! Inbox ids: where a sender deposits for a recipient at one mailbox.
//!
//! ```text
//! pair inbox    = SHA-256("samenloop pair inbox v1" || X25519(sender, recipient) || sender_pub || recipient_pub
//!                         || mailbox peer id bytes)
//! first contact = SHA-256("samenloop first-contact inbox v1" || recipient_pub || mailbox peer id bytes)
//! ```
//!
//! A pair inbox is known only to its two parties (the X25519 secret), differs per direction (the order of
//! the two public keys) and per mailbox (two mailboxes cannot match their inboxes). The first-contact
//! inbox is for a sender the recipient does not know yet (a requester's first referral): anyone holding the
//! recipient's profile can compute it, the mailbox included, so it links items to the recipient (never to
//! the sender or a case). Recipients register pair inboxes for everyone they work with, so only a first
//! referral ever uses it.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use x25519_dalek::{PublicKey, StaticSecret};

use crate::records::identity::PeerId;

/// A 32-byte inbox id, shown as 64 hex digits.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct InboxId(pub [u8; 32]);

impl std::fmt::Debug for InboxId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "InboxId({})", hex::encode(&self.0[..8]))
    }
}

impl std::fmt::Display for InboxId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&hex::encode(self.0))
    }
}

/// The inbox for items from `sender_pub` to `recipient_pub` at `mailbox`, computed by either party:
/// `mine` is the caller's X25519 secret and `theirs` the other party's public key.
pub fn pair_inbox(
    mine: &StaticSecret,
    theirs: &[u8; 32],
    sender_pub: &[u8; 32],
    recipient_pub: &[u8; 32],
    mailbox: &PeerId,
) -> InboxId {
    let shared = zeroize::Zeroizing::new(mine.diffie_hellman(&PublicKey::from(*theirs)).to_bytes());
    let mut h = Sha256::new();
    h.update(b"samenloop pair inbox v1");
    h.update(shared.as_slice());
    h.update(sender_pub);
    h.update(recipient_pub);
    h.update(mailbox.to_bytes());
    InboxId(h.finalize().into())
}

/// The recipient's first-contact inbox at `mailbox` (see the module header for what it reveals).
pub fn first_contact_inbox(recipient_pub: &[u8; 32], mailbox: &PeerId) -> InboxId {
    let mut h = Sha256::new();
    h.update(b"samenloop first-contact inbox v1");
    h.update(recipient_pub);
    h.update(mailbox.to_bytes());
    InboxId(h.finalize().into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::records::identity::Identity;

    #[test]
    fn both_parties_compute_the_same_pair_inbox_and_it_differs_by_direction_and_mailbox() {
        let a = Identity::from_secrets([1; 32], [2; 32]);
        let b = Identity::from_secrets([3; 32], [4; 32]);
        let m1 = Identity::from_secrets([5; 32], [6; 32]).peer_id();
        let m2 = Identity::from_secrets([7; 32], [8; 32]).peer_id();
        let (ap, bp) = (a.encryption_public(), b.encryption_public());
        let by_sender = pair_inbox(a.encryption_secret(), &bp, &ap, &bp, &m1);
        let by_recipient = pair_inbox(b.encryption_secret(), &ap, &ap, &bp, &m1);
        assert_eq!(by_sender, by_recipient);
        assert_ne!(by_sender, pair_inbox(b.encryption_secret(), &ap, &bp, &ap, &m1), "other direction");
        assert_ne!(by_sender, pair_inbox(a.encryption_secret(), &bp, &ap, &bp, &m2), "other mailbox");
        assert_ne!(first_contact_inbox(&bp, &m1), first_contact_inbox(&bp, &m2));
    }
}
