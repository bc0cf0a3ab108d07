//! How one case document is kept as several Automerge documents ("parts"), and the byte format that says
//! which bytes belong to which part.
//!
//! Why: Automerge loads a saved document at a few hundred nanoseconds per operation, one core at a time, and
//! free text costs one operation per character; a timeline of 10 000 entries is about two million operations
//! and takes most of a second to load. Split over parts that load on separate cores, it takes half of that on
//! two cores and less on more.
//!
//! The parts are still one Automerge document: every part starts from the same first change (the creator's
//! change that writes the schema and creates every top-level map), and each later change touches one part
//! only: the ROOT fields live in part 0, and every entity lives in the part its id hashes to
//! ([`entity_part`]), so an entity's map and its texts are created, edited and removed in one part. Merging
//! all parts therefore gives the single document an implementation without parts would have built, history
//! included; that is what `export --format automerge` writes.
//!
//! Byte format (bundle plaintext and snapshot plaintext):
//!
//! ```text
//! parted   = magic "SLP" 0x01 || count: u8 (2..=16) || section*
//! section  = part: u8 (< count, strictly increasing) || len: u32 big-endian (> 0) || bytes: len
//! ```
//!
//! Automerge requires each actor's changes to form one chain, so a member writes each part under an actor of
//! its own ([`part_actor`]): its actor id in part 0, and its actor id followed by the part's number in part
//! `k` >= 1. The one change by the plain actor id outside part 0 is the creator's first change (sequence 1),
//! which every part shares.
//!
//! The bytes of a section are ordinary Automerge bytes (change chunks, or a saved document) for that part.
//! Plain Automerge bytes (starting with Automerge's own magic) are read as all for part 0: that is the whole
//! format of a single-part document, such as one written before parts existed or by another implementation.

use std::fmt;

/// The first four bytes of parted bytes (chosen not to collide with Automerge's `85 6f 4a 83`).
pub const MAGIC: [u8; 4] = *b"SLP\x01";

/// The most parts a document may have; the count is one byte and a part is a thread while loading.
pub const MAX_PARTS: usize = 16;

/// How many parts a new case document has: part 0 for the ROOT fields and four for the entities, so that
/// loading keeps two to four cores busy.
pub const NEW_DOCUMENT_PARTS: usize = 5;

/// From this many bytes on, [`crate::cases::analysis::AnalysisDoc::apply`] (and the other documents' `apply`) loads
/// the parts on several threads; below it, one after the other is quicker than starting threads. A caller
/// that hands freed memory back after a large load uses the same line.
pub const PARALLEL_LOAD_BYTES: usize = 256 * 1024;

/// Why parted bytes were refused; each names the offending place, since these bytes come from the network.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PartsError {
    /// The count byte is missing, below 2 or above [`MAX_PARTS`].
    BadCount(Option<u8>),
    /// A section names a part outside the count, or parts are not in strictly increasing order.
    BadPart {
        /// The part the section names.
        part: u8,
        /// The count the bytes declared.
        count: u8,
    },
    /// A section's header or bytes run past the end.
    Truncated {
        /// The part whose section is cut short.
        part: u8,
    },
    /// A section with no bytes (a writer leaves such a part out).
    EmptySection {
        /// The part whose section is empty.
        part: u8,
    },
    /// Bytes for a document with another number of parts than the one they were applied to.
    CountMismatch {
        /// The parts of the document the bytes were applied to.
        document: usize,
        /// The parts the bytes are for.
        bytes: usize,
    },
}

impl fmt::Display for PartsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PartsError::BadCount(None) => write!(f, "parted bytes end before their part count"),
            PartsError::BadCount(Some(n)) => write!(f, "parted bytes claim {n} parts (2 to {MAX_PARTS} allowed)"),
            PartsError::BadPart { part, count } => {
                write!(f, "section for part {part} out of order or beyond the {count} parts")
            }
            PartsError::Truncated { part } => write!(f, "the section for part {part} is truncated"),
            PartsError::EmptySection { part } => write!(f, "the section for part {part} is empty"),
            PartsError::CountMismatch { document, bytes } => {
                write!(f, "bytes for a document of {bytes} parts applied to one of {document} parts")
            }
        }
    }
}

impl std::error::Error for PartsError {}

/// Bytes split by part: what [`decode`] returns.
#[derive(Debug, PartialEq, Eq)]
pub struct Sections<'a> {
    /// How many parts the writer's document has (1 for plain Automerge bytes).
    pub count: usize,
    /// Each part's bytes, in increasing part order, without empty parts.
    pub sections: Vec<(usize, &'a [u8])>,
}

/// Splits bytes into per-part sections; plain Automerge bytes are one section for part 0 of a one-part
/// document, and empty bytes are no sections at all.
pub fn decode(bytes: &[u8]) -> Result<Sections<'_>, PartsError> {
    if bytes.is_empty() {
        return Ok(Sections { count: 1, sections: Vec::new() });
    }
    let Some(rest) = bytes.strip_prefix(&MAGIC) else {
        return Ok(Sections { count: 1, sections: vec![(0, bytes)] });
    };
    let (&count, mut rest) = rest.split_first().ok_or(PartsError::BadCount(None))?;
    if !(2..=MAX_PARTS).contains(&usize::from(count)) {
        return Err(PartsError::BadCount(Some(count)));
    }
    let mut sections = Vec::new();
    let mut next = 0u8;
    while let Some((&part, after)) = rest.split_first() {
        if part >= count || part < next {
            return Err(PartsError::BadPart { part, count });
        }
        let (len, after) = after.split_first_chunk::<4>().ok_or(PartsError::Truncated { part })?;
        let len = u32::from_be_bytes(*len) as usize;
        if len == 0 {
            return Err(PartsError::EmptySection { part });
        }
        if after.len() < len {
            return Err(PartsError::Truncated { part });
        }
        let (body, after) = after.split_at(len);
        sections.push((usize::from(part), body));
        next = part + 1;
        rest = after;
    }
    Ok(Sections { count: usize::from(count), sections })
}

/// Writes per-part bytes (`parts[i]` for part `i`, empty ones left out) in the format [`decode`] reads. A
/// one-part document is written as plain Automerge bytes; nothing at all to write gives empty bytes, which is
/// how callers see that there are no changes.
pub fn encode(parts: &[Vec<u8>]) -> Vec<u8> {
    if parts.iter().all(Vec::is_empty) {
        return Vec::new();
    }
    if parts.len() <= 1 {
        return parts.first().cloned().unwrap_or_default();
    }
    let len = 5 + parts.iter().map(|p| if p.is_empty() { 0 } else { 5 + p.len() }).sum::<usize>();
    let mut out = Vec::with_capacity(len);
    out.extend_from_slice(&MAGIC);
    // A document never has more than MAX_PARTS parts (see `Document`), so these fit a byte.
    out.push(parts.len() as u8);
    for (i, p) in parts.iter().enumerate().filter(|(_, p)| !p.is_empty()) {
        out.push(i as u8);
        out.extend_from_slice(&(p.len() as u32).to_be_bytes());
        out.extend_from_slice(p);
    }
    out
}

/// The Automerge actor id with which the member whose actor id is `actor` writes part `part` (see the module
/// docs): parts merge into one document only if no actor writes in two of them.
pub fn part_actor(actor: &[u8], part: usize) -> Vec<u8> {
    let mut a = actor.to_vec();
    if part > 0 {
        // Parts are numbered below MAX_PARTS.
        a.push(part as u8);
    }
    a
}

/// The part in which a new entity with `id` is created, in a document of `count` parts: FNV-1a (32 bits) of
/// the id's UTF-8 bytes, modulo the number of entity parts, plus one (part 0 keeps the ROOT fields). A
/// one-part document keeps everything in part 0. Readers look in every part, so an entity placed elsewhere by
/// another writer is still found; this only spreads the entities evenly.
pub fn entity_part(id: &str, count: usize) -> usize {
    if count <= 1 {
        return 0;
    }
    let mut h: u32 = 0x811c_9dc5;
    for b in id.bytes() {
        h ^= u32::from(b);
        h = h.wrapping_mul(0x0100_0193);
    }
    1 + (h as usize) % (count - 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encode_then_decode_gives_the_sections_back() {
        let parts = vec![b"root".to_vec(), Vec::new(), b"two".to_vec(), b"three!".to_vec()];
        let bytes = encode(&parts);
        assert_eq!(&bytes[..5], b"SLP\x01\x04");
        let s = decode(&bytes).unwrap();
        assert_eq!(s.count, 4);
        assert_eq!(s.sections, vec![(0, &b"root"[..]), (2, &b"two"[..]), (3, &b"three!"[..])]);
    }

    #[test]
    fn plain_and_empty_bytes_are_one_part() {
        assert_eq!(encode(&[b"\x85\x6f\x4a\x83...".to_vec()]), b"\x85\x6f\x4a\x83...");
        let s = decode(b"\x85\x6f\x4a\x83...").unwrap();
        assert_eq!((s.count, s.sections.len()), (1, 1));
        assert_eq!(encode(&[Vec::new(), Vec::new()]), Vec::<u8>::new());
        assert!(decode(&[]).unwrap().sections.is_empty());
    }

    #[test]
    fn malformed_sections_are_named() {
        let good = encode(&[b"a".to_vec(), b"bc".to_vec()]);
        assert_eq!(decode(&good[..4]), Err(PartsError::BadCount(None)));
        assert_eq!(decode(b"SLP\x01\x01"), Err(PartsError::BadCount(Some(1))));
        assert_eq!(decode(b"SLP\x01\x11"), Err(PartsError::BadCount(Some(17))));
        assert_eq!(decode(&good[..good.len() - 1]), Err(PartsError::Truncated { part: 1 }));
        assert_eq!(decode(&good[..8]), Err(PartsError::Truncated { part: 0 }));
        let mut beyond = good.clone();
        beyond[5] = 2;
        assert_eq!(decode(&beyond), Err(PartsError::BadPart { part: 2, count: 2 }));
        let twice = [&good[..], &good[5..11]].concat();
        assert_eq!(decode(&twice), Err(PartsError::BadPart { part: 0, count: 2 }));
        assert_eq!(decode(b"SLP\x01\x02\x00\x00\x00\x00\x00"), Err(PartsError::EmptySection { part: 0 }));
        // Every prefix of good bytes is either refused or a prefix of the sections: never a panic.
        for n in 0..good.len() {
            let _ = decode(&good[..n]);
        }
    }

    #[test]
    fn entities_spread_over_the_entity_parts_and_never_into_part_0() {
        let mut counts = [0usize; 5];
        for i in 0..10_000 {
            counts[entity_part(&format!("{i:032x}"), 5)] += 1;
        }
        assert_eq!(counts[0], 0);
        for c in &counts[1..] {
            assert!((2_000..3_000).contains(c), "{counts:?}");
        }
        assert_eq!(entity_part("anything", 1), 0);
        // The vector in protocol.md.
        assert_eq!(entity_part("e1", 5), 4); // FNV-1a("e1") = 0x841acf03
    }
}
