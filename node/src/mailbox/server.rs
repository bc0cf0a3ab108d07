//! Serving as mailbox: the rules for what is held, for whom and how much.
//!
//! A deposit is taken only for an inbox its recipient registered, padded to a size bucket, within the
//! inbox's quota, the depositor's daily quota and the mailbox's capacity; otherwise it is refused with the
//! reason and the sender keeps the item. Who deposited or registered what is counted in memory only (for
//! the quotas) and never written or logged: the store holds inbox ids and ciphertext alone.

use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

use samenloop_protocol::mailbox::wire::{FETCH_PAGE_BYTES, MAX_INBOXES_PER_REQUEST};
use samenloop_protocol::mailbox::{InboxId, MailboxRefusal, MailboxRequest, MailboxResponse, is_bucket};
use samenloop_protocol::{PeerId, UnixTime};
use tracing::{info, warn};

use crate::config::MailboxLimits;
use crate::mailbox::store::{MailStore, MailStoreError};

const DAY: Duration = Duration::from_secs(24 * 3600);

/// A node's mailbox role.
pub(crate) struct MailboxServer {
    store: MailStore,
    limits: MailboxLimits,
    /// Bytes deposited per depositor since `day_began` (memory only).
    deposited: HashMap<PeerId, u64>,
    day_began: Instant,
    /// Inboxes registered per peer in this run (memory only), for the per-peer limit.
    registered_by: HashMap<PeerId, HashSet<InboxId>>,
    last_expiry: Option<Instant>,
}

impl MailboxServer {
    pub(crate) fn open(path: &std::path::Path, limits: MailboxLimits) -> Result<MailboxServer, MailStoreError> {
        let store = MailStore::open(path)?;
        info!(held_bytes = store.held()?, "serving as mailbox");
        Ok(MailboxServer {
            store,
            limits,
            deposited: HashMap::new(),
            day_began: Instant::now(),
            registered_by: HashMap::new(),
            last_expiry: None,
        })
    }

    fn retention(&self, now: UnixTime) -> UnixTime {
        now.plus_secs(self.limits.retention_days.max(1) * 24 * 3600)
    }

    /// Answers one request from `from` (the connection's authenticated peer).
    pub(crate) fn handle(&mut self, from: PeerId, request: MailboxRequest, now: UnixTime) -> MailboxResponse {
        let answer = match request {
            MailboxRequest::Register { inboxes } => self.register(from, &inboxes, now),
            MailboxRequest::Deposit { inbox, item } => self.deposit(from, &inbox, &item, now),
            MailboxRequest::Fetch { inboxes, after } => {
                if inboxes.len() > MAX_INBOXES_PER_REQUEST {
                    return too_many();
                }
                self.store
                    .fetch(&inboxes, after, FETCH_PAGE_BYTES)
                    .map(|(items, more)| MailboxResponse::Items { items, more })
            }
            MailboxRequest::Ack { items } => {
                self.store.remove(&items).map(|removed| MailboxResponse::Acked { removed })
            }
        };
        answer.unwrap_or_else(|e| {
            warn!("{e}");
            MailboxResponse::Refused(MailboxRefusal::Storage("the mailbox's disk failed".into()))
        })
    }

    fn register(
        &mut self,
        from: PeerId,
        inboxes: &[InboxId],
        now: UnixTime,
    ) -> Result<MailboxResponse, MailStoreError> {
        if inboxes.len() > MAX_INBOXES_PER_REQUEST {
            return Ok(too_many());
        }
        let mine = self.registered_by.entry(from).or_default();
        let new = inboxes.iter().filter(|i| !mine.contains(i)).count();
        if mine.len() + new > self.limits.inboxes_per_peer {
            return Ok(MailboxResponse::Refused(MailboxRefusal::TooManyInboxes {
                max: self.limits.inboxes_per_peer as u32,
            }));
        }
        mine.extend(inboxes.iter().copied());
        let until = self.retention(now);
        let count = self.store.register(inboxes, until)?;
        Ok(MailboxResponse::Registered { inboxes: count, until })
    }

    fn deposit(
        &mut self,
        from: PeerId,
        inbox: &InboxId,
        item: &[u8],
        now: UnixTime,
    ) -> Result<MailboxResponse, MailStoreError> {
        let refuse = |r| Ok(MailboxResponse::Refused(r));
        if !is_bucket(item.len()) {
            return refuse(MailboxRefusal::BadSize(item.len() as u64));
        }
        let Some(state) = self.store.inbox(inbox)?.filter(|s| s.until > now) else {
            return refuse(MailboxRefusal::UnknownInbox);
        };
        let len = item.len() as u64;
        if state.held + len > self.limits.inbox_bytes {
            return refuse(MailboxRefusal::InboxFull { held: state.held, quota: self.limits.inbox_bytes });
        }
        if self.day_began.elapsed() >= DAY {
            self.deposited.clear();
            self.day_began = Instant::now();
        }
        let by_depositor = self.deposited.get(&from).copied().unwrap_or(0);
        if by_depositor + len > self.limits.depositor_bytes_per_day {
            return refuse(MailboxRefusal::DepositorOverQuota {
                held: by_depositor,
                quota: self.limits.depositor_bytes_per_day,
            });
        }
        let held = self.store.held()?;
        if held + len > self.limits.capacity_bytes {
            return refuse(MailboxRefusal::MailboxFull { held, capacity: self.limits.capacity_bytes });
        }
        let until = self.retention(now);
        let id = self.store.deposit(inbox, item, until)?;
        *self.deposited.entry(from).or_default() += len;
        Ok(MailboxResponse::Deposited { id, until })
    }

    /// Drops what expired, at most once a minute.
    pub(crate) fn on_tick(&mut self, now: UnixTime) {
        if self.last_expiry.is_some_and(|t| t.elapsed() < Duration::from_secs(60)) {
            return;
        }
        self.last_expiry = Some(Instant::now());
        match self.store.expire(now) {
            Ok((0, 0)) => {}
            Ok((items, inboxes)) => info!(items, inboxes, "mailbox: expired items and registrations deleted"),
            Err(e) => warn!("{e}"),
        }
    }
}

fn too_many() -> MailboxResponse {
    MailboxResponse::Refused(MailboxRefusal::TooManyInboxes { max: MAX_INBOXES_PER_REQUEST as u32 })
}

#[cfg(test)]
mod tests {
    use super::*;
    use samenloop_protocol::mailbox::wire::MailboxResponse as R;

    fn peer(n: u8) -> PeerId {
        samenloop_protocol::Identity::from_secrets([n; 32], [n; 32]).peer_id()
    }

    fn server(dir: &tempfile::TempDir, limits: MailboxLimits) -> MailboxServer {
        MailboxServer::open(&dir.path().join("mailbox.redb"), limits).unwrap()
    }

    const NOW: UnixTime = UnixTime(1_800_000_000);

    #[test]
    fn deposits_only_for_registered_inboxes_padded_items_and_within_quotas() {
        let dir = tempfile::tempdir().unwrap();
        let limits = MailboxLimits { inbox_bytes: 8 << 10, capacity_bytes: 12 << 10, ..MailboxLimits::default() };
        let mut m = server(&dir, limits);
        let (a, b) = (InboxId([1; 32]), InboxId([2; 32]));
        let deposit = |inbox, len| MailboxRequest::Deposit { inbox, item: vec![0; len] };
        assert_eq!(m.handle(peer(1), deposit(a, 1024), NOW), R::Refused(MailboxRefusal::UnknownInbox));
        assert!(matches!(
            m.handle(peer(2), MailboxRequest::Register { inboxes: vec![a, b] }, NOW),
            R::Registered { inboxes: 2, .. }
        ));
        assert_eq!(m.handle(peer(1), deposit(a, 1000), NOW), R::Refused(MailboxRefusal::BadSize(1000)));
        assert!(matches!(m.handle(peer(1), deposit(a, 4096), NOW), R::Deposited { id: 1, .. }));
        assert!(matches!(m.handle(peer(1), deposit(a, 4096), NOW), R::Deposited { id: 2, .. }));
        assert!(matches!(
            m.handle(peer(1), deposit(a, 1024), NOW),
            R::Refused(MailboxRefusal::InboxFull { held: 8192, .. })
        ));
        assert!(matches!(m.handle(peer(1), deposit(b, 4096), NOW), R::Deposited { .. }));
        assert!(matches!(m.handle(peer(1), deposit(b, 1024), NOW), R::Refused(MailboxRefusal::MailboxFull { .. })));
        // Fetched oldest first across inboxes; acknowledged items are gone and free their room.
        let R::Items { items, more: false } =
            m.handle(peer(2), MailboxRequest::Fetch { inboxes: vec![b, a], after: 0 }, NOW)
        else {
            panic!()
        };
        assert_eq!(items.iter().map(|i| i.id).collect::<Vec<_>>(), [1, 2, 3]);
        let acks = items.iter().map(|i| (i.inbox, i.id)).collect();
        assert_eq!(m.handle(peer(2), MailboxRequest::Ack { items: acks }, NOW), R::Acked { removed: 3 });
        assert!(matches!(m.handle(peer(1), deposit(b, 4096), NOW), R::Deposited { id: 4, .. }));
    }

    #[test]
    fn what_was_acknowledged_survives_a_restart_and_expires_after_retention() {
        let dir = tempfile::tempdir().unwrap();
        let inbox = InboxId([3; 32]);
        {
            let mut m = server(&dir, MailboxLimits::default());
            m.handle(peer(2), MailboxRequest::Register { inboxes: vec![inbox] }, NOW);
            assert!(matches!(
                m.handle(peer(1), MailboxRequest::Deposit { inbox, item: vec![7; 1024] }, NOW),
                R::Deposited { .. }
            ));
        }
        let mut m = server(&dir, MailboxLimits::default());
        let R::Items { items, .. } = m.handle(peer(2), MailboxRequest::Fetch { inboxes: vec![inbox], after: 0 }, NOW)
        else {
            panic!()
        };
        assert_eq!(items.len(), 1);
        assert_eq!(items[0].item, vec![7; 1024]);
        m.on_tick(NOW.plus_secs(31 * 24 * 3600));
        let R::Items { items, .. } = m.handle(peer(2), MailboxRequest::Fetch { inboxes: vec![inbox], after: 0 }, NOW)
        else {
            panic!()
        };
        assert!(items.is_empty(), "expired after the retention time");
    }

    #[test]
    fn a_depositor_over_its_daily_quota_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let mut m = server(&dir, MailboxLimits { depositor_bytes_per_day: 2048, ..MailboxLimits::default() });
        let inbox = InboxId([4; 32]);
        m.handle(peer(2), MailboxRequest::Register { inboxes: vec![inbox] }, NOW);
        for _ in 0..2 {
            assert!(matches!(
                m.handle(peer(1), MailboxRequest::Deposit { inbox, item: vec![0; 1024] }, NOW),
                R::Deposited { .. }
            ));
        }
        assert!(matches!(
            m.handle(peer(1), MailboxRequest::Deposit { inbox, item: vec![0; 1024] }, NOW),
            R::Refused(MailboxRefusal::DepositorOverQuota { .. })
        ));
        assert!(
            matches!(
                m.handle(peer(3), MailboxRequest::Deposit { inbox, item: vec![0; 1024] }, NOW),
                R::Deposited { .. }
            ),
            "another depositor"
        );
    }
}
