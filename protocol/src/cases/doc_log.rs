//! What a member holds of one case document: every author's bundle chain, and the rules for accepting more.
//!
//! This is the sans-IO core of document sync. The node feeds it runs of bundles received from peers (or made
//! locally); it answers with the bundles that are new, authentic and decryptable, or with the precise reason
//! a run is refused. It holds no document content, only chain positions and hashes, so it is cheap to keep
//! for every document of every case. Its version vector (author -> last seq) is what members exchange to find
//! out what the other lacks.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::cases::bundle::{BundleError, BundleKey, ChainHash, Covered, SealedBundle, SignedHead, verify_run};
use crate::cases::ledger::{CaseId, DocKind, Ledger, WriteRight};

/// One author's position in a document: their last bundle, the hashes of the bundles held, and the signed
/// head that covers them (absent when the position came from a snapshot).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuthorChain {
    /// The last sequence number held.
    pub seq: u64,
    /// The sequence number before the first hash in `hashes` (0, or where a snapshot left off).
    base: u64,
    /// Chain hash at `base` (zeros for 0).
    base_hash: ChainHash,
    /// Chain hashes of bundles `base+1..=seq`.
    hashes: Vec<ChainHash>,
    /// The author's signed head covering `seq`, to send along when serving these bundles.
    pub head: Option<SignedHead>,
}

impl AuthorChain {
    fn empty() -> AuthorChain {
        AuthorChain { seq: 0, base: 0, base_hash: [0; 32], hashes: Vec::new(), head: None }
    }

    /// The chain hash of the last bundle held.
    pub fn last_hash(&self) -> ChainHash {
        self.hashes.last().copied().unwrap_or(self.base_hash)
    }

    fn hash_at(&self, seq: u64) -> Option<ChainHash> {
        if seq == self.base {
            return Some(self.base_hash);
        }
        if seq < self.base || seq > self.seq {
            return None;
        }
        self.hashes.get((seq - self.base - 1) as usize).copied()
    }
}

/// An author's last sequence number, as members exchange them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthorSeq {
    /// The author.
    pub author: [u8; 32],
    /// Their last bundle held.
    pub seq: u64,
}

/// A bundle that passed every check and may be applied: its bytes (to store) and its decrypted changes.
pub struct AcceptedBundle {
    /// The sealed bundle, to store and to serve to other members.
    pub bundle: SealedBundle,
    /// Its chain hash.
    pub hash: ChainHash,
    /// The Automerge changes inside.
    pub changes: Vec<u8>,
}

/// Who brought a run: the frozen chain of a removed member binds what the removed member sends itself.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RunFrom {
    /// The run's author sent it.
    Author,
    /// Another current member relayed it (it took it in earlier), or this node's store holds it.
    Relayed,
}

/// The result of checking a run: the bundles that are new (possibly none: a run we already held).
pub struct CheckedRun {
    /// The author.
    pub author: [u8; 32],
    /// New bundles in order.
    pub new: Vec<AcceptedBundle>,
    /// The head that covers them.
    pub head: SignedHead,
}

/// The chains of one document.
#[derive(Clone, Debug)]
pub struct DocLog {
    case: CaseId,
    doc: DocKind,
    chains: BTreeMap<[u8; 32], AuthorChain>,
}

impl DocLog {
    /// An empty log.
    pub fn new(case: CaseId, doc: DocKind) -> DocLog {
        DocLog { case, doc, chains: BTreeMap::new() }
    }

    /// The document.
    pub fn doc(&self) -> DocKind {
        self.doc
    }

    /// Author -> last seq, for every author held.
    pub fn version_vector(&self) -> Vec<AuthorSeq> {
        self.chains.iter().map(|(a, c)| AuthorSeq { author: *a, seq: c.seq }).collect()
    }

    /// Every author's position (what a snapshot made here covers).
    pub fn covers(&self) -> Vec<Covered> {
        self.chains.iter().map(|(a, c)| Covered { author: *a, seq: c.seq, hash: c.last_hash() }).collect()
    }

    /// One author's chain.
    pub fn chain(&self, author: &[u8; 32]) -> Option<&AuthorChain> {
        self.chains.get(author)
    }

    /// The header fields of `author`'s next bundle: (seq, prev).
    pub fn next_for(&self, author: &[u8; 32]) -> (u64, ChainHash) {
        self.chains.get(author).map(|c| (c.seq + 1, c.last_hash())).unwrap_or((1, [0; 32]))
    }

    /// Checks a run of `head.author`'s bundles, brought by `from`, against the ledger (may they write?), the
    /// chain (consecutive,
    /// linked, covered by the signed head, consistent with what is held) and the keys (every new bundle must
    /// decrypt under its epoch's key). All or nothing: a run with one bad bundle is refused whole, and other
    /// authors' runs are unaffected. Nothing is changed here; call [`DocLog::commit`] once the changes applied.
    pub fn check_run<'k>(
        &self,
        bundles: Vec<SealedBundle>,
        head: SignedHead,
        (ledger, from): (&Ledger, RunFrom),
        key_of: impl Fn(u32) -> Option<&'k BundleKey>,
    ) -> Result<CheckedRun, BundleError> {
        if head.case != self.case || head.doc != self.doc {
            return Err(BundleError::BrokenChain("the run belongs to another case or document"));
        }
        match ledger.write_right(&head.author, self.doc) {
            WriteRight::Writer => {}
            // A removed member's history stays, up to where the lead froze it; nothing after from the removed
            // member itself. What it wrote beyond, and a member took in before the removal reached that
            // member, is part of that member's document (its later changes build on it, and Automerge cannot
            // take them without it), so it is accepted from a current member and from this node's own store.
            WriteRight::Frozen { seq, hash } => {
                if from == RunFrom::Author && (head.seq > seq || (head.seq == seq && head.hash != hash)) {
                    return Err(BundleError::WrittenAfterRemoval);
                }
            }
            WriteRight::None => return Err(BundleError::NotAWriter),
        }
        let empty = AuthorChain::empty();
        let chain = self.chains.get(&head.author).unwrap_or(&empty);
        let Some(first) = bundles.first().map(|b| b.header().seq) else {
            return Ok(CheckedRun { author: head.author, new: Vec::new(), head });
        };
        if first > chain.seq + 1 {
            return Err(BundleError::BrokenChain("bundles are missing before this run"));
        }
        // Verify from the earliest point whose hash is held, so overlap with what we hold is checked too.
        let (from, skip) = match chain.hash_at(first - 1) {
            Some(h) => ((first - 1, h), 0),
            None => ((chain.seq, chain.last_hash()), (chain.seq + 1 - first) as usize),
        };
        let bundles: Vec<SealedBundle> = bundles.into_iter().skip(skip).collect();
        let hashes = verify_run(from.0, &from.1, &bundles, &head)?;
        let mut new = Vec::new();
        for (bundle, hash) in bundles.into_iter().zip(hashes) {
            let seq = bundle.header().seq;
            if seq <= chain.seq {
                if chain.hash_at(seq).is_some_and(|held| held != hash) {
                    return Err(BundleError::Equivocation(seq));
                }
                continue;
            }
            let epoch = bundle.header().epoch;
            let key = key_of(epoch).ok_or(BundleError::UnknownEpoch(epoch))?;
            let changes = bundle.open(key)?;
            new.push(AcceptedBundle { bundle, hash, changes });
        }
        Ok(CheckedRun { author: head.author, new, head })
    }

    /// Records bundles that were accepted (received and applied, or made here) and the head covering them.
    pub fn commit(&mut self, author: [u8; 32], hashes: &[ChainHash], head: SignedHead) {
        let chain = self.chains.entry(author).or_insert_with(AuthorChain::empty);
        for h in hashes {
            chain.hashes.push(*h);
            chain.seq += 1;
        }
        if head.seq == chain.seq {
            chain.head = Some(head);
        }
    }

    /// Adopts a snapshot's coverage: every author it covers further than held continues from its position.
    /// The bundles before it are not held here, so they cannot be served or compared any more.
    pub fn adopt_snapshot(&mut self, covers: &[Covered]) {
        for c in covers {
            let chain = self.chains.entry(c.author).or_insert_with(AuthorChain::empty);
            if c.seq > chain.seq {
                *chain = AuthorChain { seq: c.seq, base: c.seq, base_hash: c.hash, hashes: Vec::new(), head: None };
            }
        }
    }

    /// Whether a snapshot covering `covers` holds anything this log lacks.
    pub fn snapshot_is_ahead(&self, covers: &[Covered]) -> bool {
        covers.iter().any(|c| c.seq > self.chains.get(&c.author).map_or(0, |h| h.seq))
    }
}

/// Automerge's chunk magic bytes.
const CHUNK_MAGIC: [u8; 4] = [0x85, 0x6f, 0x4a, 0x83];

/// Checks the decrypted contents of a bundle before anything is applied: well-formed parted bytes (see
/// [`crate::cases::parts`]) or plain Automerge bytes, whose every section is a sequence of Automerge change chunks
/// (no whole documents), each of which parses and verifies, and every change must carry the bundle author's
/// actor id. So a member cannot slip changes attributed to another member into a bundle: what the document's
/// history says about who wrote what agrees with the signatures. Returns the number of changes.
pub fn check_changes(bytes: &[u8], author: &[u8; 32]) -> Result<usize, BundleError> {
    let sections = crate::cases::parts::decode(bytes).map_err(|e| BundleError::BadChanges(e.to_string()))?;
    let mut count = 0;
    for (part, section) in sections.sections {
        count += check_change_chunks(section, author, part)
            .map_err(|e| BundleError::BadChanges(format!("part {part}: {e}")))?;
    }
    Ok(count)
}

/// [`check_changes`] for the bytes of one part: every change is by the author's actor for that part, or is
/// the creator's first change, which every part shares (see [`crate::cases::parts`]).
fn check_change_chunks(bytes: &[u8], author: &[u8; 32], part: usize) -> Result<usize, String> {
    let part_actor = crate::cases::parts::part_actor(author, part);
    let mut rest = bytes;
    let mut count = 0;
    while !rest.is_empty() {
        // magic (4) || checksum (4) || type (1) || LEB128 length || data
        if rest.len() < 10 || rest[..4] != CHUNK_MAGIC {
            return Err("not an Automerge change chunk".into());
        }
        if !matches!(rest[8], 1 | 2) {
            return Err(format!("chunk type {} where only changes are allowed", rest[8]));
        }
        let mut len: u64 = 0;
        let mut at = 9;
        loop {
            let Some(&b) = rest.get(at) else { return Err("truncated chunk length".into()) };
            if at - 9 >= 9 {
                return Err("chunk length too long".into());
            }
            len |= u64::from(b & 0x7f) << (7 * (at - 9));
            at += 1;
            if b & 0x80 == 0 {
                break;
            }
        }
        let end = usize::try_from(len).ok().and_then(|l| at.checked_add(l)).filter(|e| *e <= rest.len());
        let Some(end) = end else { return Err("truncated chunk".into()) };
        let change = automerge::Change::try_from(&rest[..end]).map_err(|e| e.to_string())?;
        let actor = change.actor_id().to_bytes();
        if actor != part_actor.as_slice() && !(actor == author.as_slice() && change.seq() == 1) {
            return Err("a change is attributed to someone other than the bundle's author".into());
        }
        count += 1;
        rest = &rest[end..];
    }
    Ok(count)
}

#[cfg(test)]
mod tests {
    use ed25519_dalek::SigningKey;

    use super::*;
    use crate::cases::bundle::BundleHeader;
    use crate::cases::ledger::{CaseAction, EpochKey, KeyGrant, Role};
    use crate::records::identity::Identity;
    use crate::records::time::UnixTime;
    use zeroize::Zeroizing;

    const CASE: CaseId = CaseId([1; 16]);

    fn epoch_key() -> EpochKey {
        EpochKey(Zeroizing::new([7; 32]))
    }

    fn key() -> BundleKey {
        BundleKey::derive(&epoch_key(), &CASE, DocKind::Analysis, 1)
    }

    fn ledger(lead: &Identity, co: &Identity, sup: &Identity) -> Ledger {
        let me = lead.verifying_key().to_bytes();
        let g =
            KeyGrant::seal(&CASE, DocKind::Analysis, 1, &me, &lead.encryption_public(), &epoch_key(), [1; 32], [1; 24]);
        let open = crate::cases::ledger::sign_op(
            lead.signing_key(),
            &crate::cases::ledger::CaseOpRecord {
                case: CASE,
                seq: 0,
                prev: [0; 32],
                at: UnixTime(1),
                action: CaseAction::Open { x25519: lead.encryption_public(), grants: vec![g] },
            },
        )
        .unwrap();
        let mut l = Ledger::from_ops(CASE, &[open]).unwrap();
        for (who, role) in [(co, Role::CoReviewer), (sup, Role::Supervisor)] {
            let action = CaseAction::Invite {
                member: who.verifying_key().to_bytes(),
                role,
                x25519: who.encryption_public(),
                grants: vec![],
            };
            let op = l.sign_next(lead.signing_key(), UnixTime(2), action).unwrap();
            l.append(&op).unwrap();
        }
        l
    }

    fn bundle(signer: &SigningKey, seq: u64, prev: ChainHash, text: &str) -> SealedBundle {
        let header = BundleHeader {
            case: CASE,
            doc: DocKind::Analysis,
            epoch: 1,
            author: signer.verifying_key().to_bytes(),
            seq,
            prev,
        };
        SealedBundle::seal(&key(), header, text.as_bytes(), [seq as u8; 24]).unwrap()
    }

    fn run(signer: &SigningKey, from: (u64, ChainHash), texts: &[&str]) -> (Vec<SealedBundle>, SignedHead) {
        let (mut seq, mut prev) = from;
        let mut out = Vec::new();
        for t in texts {
            seq += 1;
            let b = bundle(signer, seq, prev, t);
            prev = b.chain_hash();
            out.push(b);
        }
        (out, SignedHead::sign(signer, CASE, DocKind::Analysis, seq, prev))
    }

    fn accept(
        log: &mut DocLog,
        l: &Ledger,
        bundles: Vec<SealedBundle>,
        head: SignedHead,
    ) -> Result<usize, BundleError> {
        accept_from(log, l, bundles, head, RunFrom::Author)
    }

    fn accept_from(
        log: &mut DocLog,
        l: &Ledger,
        bundles: Vec<SealedBundle>,
        head: SignedHead,
        from: RunFrom,
    ) -> Result<usize, BundleError> {
        let k = key();
        let checked = log.check_run(bundles, head, (l, from), |e| (e == 1).then_some(&k))?;
        let hashes: Vec<_> = checked.new.iter().map(|b| b.hash).collect();
        log.commit(checked.author, &hashes, checked.head);
        Ok(hashes.len())
    }

    #[test]
    fn accepts_runs_in_order_and_skips_what_it_holds() {
        let (lead, co, sup) = (
            Identity::from_secrets([1; 32], [2; 32]),
            Identity::from_secrets([3; 32], [4; 32]),
            Identity::from_secrets([5; 32], [6; 32]),
        );
        let l = ledger(&lead, &co, &sup);
        let mut log = DocLog::new(CASE, DocKind::Analysis);
        let (b, h) = run(co.signing_key(), (0, [0; 32]), &["a", "b"]);
        assert_eq!(accept(&mut log, &l, b.clone(), h.clone()), Ok(2));
        // The same run again: nothing new, no error.
        assert_eq!(accept(&mut log, &l, b.clone(), h), Ok(0));
        // An overlapping longer run adds only the new bundle.
        let mut texts = vec!["a", "b"];
        texts.push("c");
        let (b3, h3) = run(co.signing_key(), (0, [0; 32]), &texts);
        assert_eq!(accept(&mut log, &l, b3, h3), Ok(1));
        assert_eq!(log.version_vector(), vec![AuthorSeq { author: co.verifying_key().to_bytes(), seq: 3 }]);
        assert_eq!(log.next_for(&co.verifying_key().to_bytes()).0, 4);
    }

    #[test]
    fn refuses_non_writers_gaps_unknown_epochs_and_equivocation() {
        let (lead, co, sup) = (
            Identity::from_secrets([1; 32], [2; 32]),
            Identity::from_secrets([3; 32], [4; 32]),
            Identity::from_secrets([5; 32], [6; 32]),
        );
        let stranger = SigningKey::from_bytes(&[9; 32]);
        let l = ledger(&lead, &co, &sup);
        let mut log = DocLog::new(CASE, DocKind::Analysis);

        let (b, h) = run(&stranger, (0, [0; 32]), &["x"]);
        assert_eq!(accept(&mut log, &l, b, h).unwrap_err(), BundleError::NotAWriter);
        // A supervisor's well-formed, correctly signed bundle for the analysis.
        let (b, h) = run(sup.signing_key(), (0, [0; 32]), &["x"]);
        assert_eq!(accept(&mut log, &l, b, h).unwrap_err(), BundleError::NotAWriter);

        let (b, h) = run(co.signing_key(), (0, [0; 32]), &["a", "b"]);
        assert!(matches!(accept(&mut log, &l, b[1..].to_vec(), h.clone()).unwrap_err(), BundleError::BrokenChain(_)));
        accept(
            &mut log,
            &l,
            b[..1].to_vec(),
            SignedHead::sign(co.signing_key(), CASE, DocKind::Analysis, 1, b[0].chain_hash()),
        )
        .unwrap();

        // Same seq 2, other content, correctly signed by the author: equivocation.
        accept(&mut log, &l, b[1..].to_vec(), h).unwrap();
        let (forked, fh) = run(co.signing_key(), (0, [0; 32]), &["a", "B"]);
        assert_eq!(accept(&mut log, &l, forked, fh).unwrap_err(), BundleError::Equivocation(2));

        // Unknown epoch.
        let (seq, prev) = log.next_for(&lead.verifying_key().to_bytes());
        let header = BundleHeader {
            case: CASE,
            doc: DocKind::Analysis,
            epoch: 2,
            author: lead.verifying_key().to_bytes(),
            seq,
            prev,
        };
        let b = SealedBundle::seal(&key(), header, b"x", [0; 24]).unwrap();
        let h = SignedHead::sign(lead.signing_key(), CASE, DocKind::Analysis, 1, b.chain_hash());
        assert_eq!(accept(&mut log, &l, vec![b], h).unwrap_err(), BundleError::UnknownEpoch(2));
        // Nothing refused changed the log.
        assert_eq!(log.version_vector().len(), 1);
        assert_eq!(log.version_vector()[0].seq, 2);
    }

    #[test]
    fn continues_after_a_snapshot() {
        let (lead, co, sup) = (
            Identity::from_secrets([1; 32], [2; 32]),
            Identity::from_secrets([3; 32], [4; 32]),
            Identity::from_secrets([5; 32], [6; 32]),
        );
        let l = ledger(&lead, &co, &sup);
        let mut full = DocLog::new(CASE, DocKind::Analysis);
        let (b, h) = run(co.signing_key(), (0, [0; 32]), &["a", "b", "c"]);
        accept(
            &mut full,
            &l,
            b[..2].to_vec(),
            SignedHead::sign(co.signing_key(), CASE, DocKind::Analysis, 2, b[1].chain_hash()),
        )
        .unwrap();
        let mut fresh = DocLog::new(CASE, DocKind::Analysis);
        assert!(fresh.snapshot_is_ahead(&full.covers()));
        fresh.adopt_snapshot(&full.covers());
        assert!(!fresh.snapshot_is_ahead(&full.covers()));
        // The whole run is offered; the covered part is skipped and the rest verifies from the snapshot.
        assert_eq!(accept(&mut fresh, &l, b, h), Ok(1));
    }

    #[test]
    fn bundle_contents_must_be_changes_by_the_author() {
        let author = [7u8; 32];
        let mut doc = crate::cases::analysis::AnalysisDoc::new("Case", &author).unwrap();
        let first = doc.save_after(&[]);
        let heads = doc.heads();
        // The first change, once in every part.
        assert_eq!(check_changes(&first, &author), Ok(crate::cases::parts::NEW_DOCUMENT_PARTS));
        doc.set_title("Case 2").unwrap();
        doc.add_timeline_entry("e1", &crate::cases::analysis::TimelineEntry::default()).unwrap();
        let both = doc.save_after(&heads);
        assert_eq!(crate::cases::parts::decode(&both).unwrap().sections.len(), 2);
        assert_eq!(check_changes(&both, &author), Ok(2));
        assert!(matches!(check_changes(&both, &[8; 32]), Err(BundleError::BadChanges(_))));
        // A whole document is not a bundle, parted or not.
        assert!(matches!(check_changes(&doc.save(), &author), Err(BundleError::BadChanges(_))));
        assert!(matches!(check_changes(&doc.save_whole().unwrap(), &author), Err(BundleError::BadChanges(_))));
        let mut cut = both.clone();
        cut.truncate(both.len() - 3);
        assert!(check_changes(&cut, &author).is_err());
        let mut flipped = first.clone();
        let n = flipped.len();
        flipped[n - 1] ^= 1;
        assert!(check_changes(&flipped, &author).is_err());
        assert!(check_changes(b"garbage garbage", &author).is_err());
        // The parts framing is checked too, and named.
        let mut beyond = both.clone();
        beyond[4] = 1;
        let Err(BundleError::BadChanges(why)) = check_changes(&beyond, &author) else { panic!("accepted") };
        assert!(why.contains("parts"), "{why}");
    }

    #[test]
    fn a_removed_members_history_stays_up_to_the_freeze_and_nothing_after() {
        use crate::cases::ledger::{FrozenChain, Rotation, seal_previous_key};
        let (lead, co, sup) = (
            Identity::from_secrets([1; 32], [2; 32]),
            Identity::from_secrets([3; 32], [4; 32]),
            Identity::from_secrets([5; 32], [6; 32]),
        );
        let mut l = ledger(&lead, &co, &sup);
        let (b, _) = run(co.signing_key(), (0, [0; 32]), &["a", "b", "c"]);
        // The lead held Bram's first two bundles when it removed him.
        let new_key = EpochKey(Zeroizing::new([8; 32]));
        let rotations = DocKind::ALL
            .into_iter()
            .map(|doc| {
                let epoch = l.current_epoch(doc).map_or(1, |e| e + 1);
                let grants = [&lead, &sup]
                    .into_iter()
                    .filter(|m| l.member(&m.verifying_key().to_bytes()).unwrap().role.reads(doc))
                    .map(|m| {
                        let k = m.verifying_key().to_bytes();
                        KeyGrant::seal(&CASE, doc, epoch, &k, &m.encryption_public(), &new_key, [1; 32], [1; 24])
                    })
                    .collect();
                Rotation {
                    doc,
                    epoch,
                    grants,
                    previous: seal_previous_key(&CASE, doc, epoch, &new_key, &epoch_key(), [2; 24]),
                }
            })
            .collect();
        let frozen = DocKind::ALL
            .into_iter()
            .map(|doc| {
                let (seq, hash) = if doc == DocKind::Analysis { (2, b[1].chain_hash()) } else { (0, [0; 32]) };
                FrozenChain { doc, seq, hash }
            })
            .collect();
        let action = CaseAction::Remove { member: co.verifying_key().to_bytes(), rotations, frozen };
        let op = l.sign_next(lead.signing_key(), UnixTime(3), action).unwrap();
        l.append(&op).unwrap();

        let mut log = DocLog::new(CASE, DocKind::Analysis);
        let head_at =
            |n: usize| SignedHead::sign(co.signing_key(), CASE, DocKind::Analysis, n as u64, b[n - 1].chain_hash());
        // Up to the freeze: part of the history (a late member gets it).
        assert_eq!(accept(&mut log, &l, b[..2].to_vec(), head_at(2)), Ok(2));
        // Beyond it: written after removal.
        assert_eq!(accept(&mut log, &l, b[2..].to_vec(), head_at(3)), Err(BundleError::WrittenAfterRemoval));
        let mut fresh = DocLog::new(CASE, DocKind::Analysis);
        assert_eq!(accept(&mut fresh, &l, b.clone(), head_at(3)), Err(BundleError::WrittenAfterRemoval));
        // Relayed by a member who took it in before it learned of the removal (or loaded from this node's
        // store): accepted, so members converge on what that member's later changes build on.
        assert_eq!(accept_from(&mut log, &l, b[2..].to_vec(), head_at(3), RunFrom::Relayed), Ok(1));
    }
}
