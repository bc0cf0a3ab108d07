//! Plumbing shared by the case documents (`analysis` and `notes`), so that each of them is only its schema.
//!
//! A case document is an Automerge document whose ROOT holds `schema` (1) and `kind` (which document it is),
//! and whose entities live in top-level maps under random ids. An entity type describes itself once, as a
//! list of named [`Field`]s ([`Record`]) plus the map it lives in and its sort order ([`Entity`]); the
//! generic code here adds, edits, removes, reads and lists it:
//!
//! - Free text is an Automerge Text edited by diff (`update_text`), so concurrent edits of one field merge
//!   character-wise, and an edit writes only the fields that changed, so concurrent edits of different
//!   fields both survive.
//! - Lists are edited by splicing the changed middle, so two members appending at once both keep theirs.
//! - Enums are stored as kebab-case strings ([`Tag`]) and read tolerantly: an unknown value (say, from a
//!   newer version) reads as the type's default and is left untouched unless the user changes that field.
//! - A top-level map that an older document lacks reads as empty and is created on the first write. If two
//!   members create it concurrently, Automerge keeps both maps as a conflict; reads take the union of all
//!   of them, so nobody's additions disappear.

use std::borrow::Cow;
use std::collections::BTreeSet;

use automerge::transaction::Transactable;
use automerge::{ActorId, AutoCommit, AutomergeError, ChangeHash, ObjId, ObjType, ROOT, ReadDoc, ScalarValue, Value};

use crate::cases::parts;
use crate::records::time::CalendarDate;

/// The longest entity id accepted (ids are random strings chosen by the caller, e.g. 32 hex characters).
pub(crate) const MAX_ID_CHARS: usize = 64;

/// The schema version written into ROOT, and the only one read.
pub(crate) const SCHEMA: u64 = 1;

/// What went wrong in the shared code; each document converts it into its own public error.
#[derive(Debug)]
pub(crate) enum DocError {
    /// Automerge refused an operation or the bytes do not load.
    Automerge(AutomergeError),
    /// The document does not have the expected shape.
    Schema(&'static str),
    /// No entity of this kind with this id.
    NotFound { what: &'static str, id: String },
    /// An entity of this kind already has this id.
    Exists { what: &'static str, id: String },
    /// The id is empty or too long.
    BadId(String),
    /// The JSON view could not be built.
    Json(serde_json::Error),
    /// The bytes are not well-formed parted bytes, or are for another number of parts.
    Parts(parts::PartsError),
}

impl From<parts::PartsError> for DocError {
    fn from(e: parts::PartsError) -> DocError {
        DocError::Parts(e)
    }
}

impl From<AutomergeError> for DocError {
    fn from(e: AutomergeError) -> DocError {
        DocError::Automerge(e)
    }
}

impl From<serde_json::Error> for DocError {
    fn from(e: serde_json::Error) -> DocError {
        DocError::Json(e)
    }
}

/// Checks a caller-supplied id (or pseudonym used as a key): non-empty and at most [`MAX_ID_CHARS`].
pub(crate) fn check_id(id: &str) -> Result<(), DocError> {
    if id.is_empty() || id.chars().count() > MAX_ID_CHARS {
        return Err(DocError::BadId(id.chars().take(MAX_ID_CHARS + 1).collect()));
    }
    Ok(())
}

/// An enum stored as a kebab-case string.
pub(crate) trait Tag: Copy + Eq + 'static {
    /// Every variant.
    const ALL: &'static [Self];
    /// The stored string.
    fn as_str(self) -> &'static str;
    /// The variant stored as `s`, if it is one this version knows.
    fn parse(s: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|t| t.as_str() == s)
    }
}

/// Defines a public enum stored as a kebab-case string: the serde names and the stored names are the same
/// strings, so the JSON view and the Automerge document agree. Every enum marks one `#[default]` variant,
/// which is what an unknown stored value reads as.
macro_rules! tag_enum {
    ($(#[$meta:meta])* pub enum $name:ident { $($(#[$vmeta:meta])* $variant:ident = $s:literal,)+ }) => {
        $(#[$meta])*
        #[derive(
            Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
        )]
        #[serde(rename_all = "kebab-case")]
        pub enum $name {
            $($(#[$vmeta])* $variant,)+
        }

        impl $crate::cases::document::Tag for $name {
            const ALL: &'static [Self] = &[$($name::$variant),+];

            fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $s,)+
                }
            }
        }
    };
}
pub(crate) use tag_enum;

/// The stored value of one field, compared with the current value to decide whether to write it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Field<'a> {
    /// Free text: an Automerge Text edited by diff.
    Text(&'a str),
    /// A string scalar, or null.
    Str(Option<Cow<'a, str>>),
    /// A boolean.
    Bool(bool),
    /// A list of strings.
    List(Vec<Cow<'a, str>>),
}

impl<'a> Field<'a> {
    /// An enum value.
    pub(crate) fn tag<T: Tag>(t: T) -> Field<'a> {
        Field::Str(Some(Cow::Borrowed(t.as_str())))
    }

    /// An optional enum value.
    pub(crate) fn opt_tag<T: Tag>(t: Option<T>) -> Field<'a> {
        Field::Str(t.map(|t| Cow::Borrowed(t.as_str())))
    }

    /// An optional date, stored as `YYYY-MM-DD`.
    pub(crate) fn date(d: Option<CalendarDate>) -> Field<'a> {
        Field::Str(d.map(|d| Cow::Owned(d.to_string())))
    }

    /// An optional string scalar.
    pub(crate) fn opt_str(s: &'a Option<String>) -> Field<'a> {
        Field::Str(s.as_deref().map(Cow::Borrowed))
    }

    /// A list of strings.
    pub(crate) fn list(items: &'a [String]) -> Field<'a> {
        Field::List(items.iter().map(|s| Cow::Borrowed(s.as_str())).collect())
    }

    /// A list of enum values.
    pub(crate) fn tags<T: Tag>(items: &[T]) -> Field<'a> {
        Field::List(items.iter().map(|t| Cow::Borrowed(t.as_str())).collect())
    }
}

/// Something stored as a set of named fields in one Automerge map.
pub(crate) trait Record: Sized {
    /// Every stored field, always in the same order.
    fn fields(&self) -> Vec<(&'static str, Field<'_>)>;
    /// Reads the record back, tolerating missing or malformed fields.
    fn read(r: &Reader<'_>) -> Result<Self, AutomergeError>;
}

/// A record kept in a top-level map under caller-chosen random ids.
pub(crate) trait Entity: Record {
    /// The top-level map.
    const MAP: &'static str;
    /// What one is called in error messages.
    const NAME: &'static str;
    /// What lists sort on (before the id, which breaks ties).
    type Key: Ord;
    /// The sort key.
    fn sort_key(&self) -> Self::Key;
}

/// Reads the fields of one map, tolerantly: a missing or malformed field reads as empty.
pub(crate) struct Reader<'a> {
    doc: &'a AutoCommit,
    obj: &'a ObjId,
}

impl Reader<'_> {
    /// A text field (a plain string scalar is accepted too).
    pub(crate) fn text(&self, key: &str) -> Result<String, AutomergeError> {
        text_at(self.doc, self.obj, key)
    }

    /// A string scalar.
    pub(crate) fn str(&self, key: &str) -> Result<Option<String>, AutomergeError> {
        Ok(match self.doc.get(self.obj, key)? {
            Some((Value::Scalar(s), _)) => s.as_str().map(str::to_string),
            _ => None,
        })
    }

    /// A date; one that does not parse reads as none.
    pub(crate) fn date(&self, key: &str) -> Result<Option<CalendarDate>, AutomergeError> {
        Ok(self.str(key)?.and_then(|d| d.parse().ok()))
    }

    /// An enum; an unknown value reads as none.
    pub(crate) fn tag<T: Tag>(&self, key: &str) -> Result<Option<T>, AutomergeError> {
        Ok(self.str(key)?.as_deref().and_then(T::parse))
    }

    /// A boolean; anything but `true` reads as false.
    pub(crate) fn bool(&self, key: &str) -> Result<bool, AutomergeError> {
        Ok(
            matches!(self.doc.get(self.obj, key)?, Some((Value::Scalar(s), _)) if s.as_ref() == &ScalarValue::Boolean(true)),
        )
    }

    /// A list of strings, as stored (non-string items read as empty strings).
    pub(crate) fn list(&self, key: &str) -> Result<Vec<String>, AutomergeError> {
        match self.doc.get(self.obj, key)? {
            Some((Value::Object(ObjType::List), list)) => read_list(self.doc, &list),
            _ => Ok(Vec::new()),
        }
    }

    /// A list used as a set (references, themes): duplicates, which concurrent additions of the same item
    /// produce, and empty strings are dropped; first occurrences keep their order.
    pub(crate) fn set(&self, key: &str) -> Result<Vec<String>, AutomergeError> {
        let mut out: Vec<String> = Vec::new();
        for item in self.list(key)? {
            if !item.is_empty() && !out.contains(&item) {
                out.push(item);
            }
        }
        Ok(out)
    }

    /// A list of enum values; unknown ones are skipped.
    pub(crate) fn tags<T: Tag>(&self, key: &str) -> Result<Vec<T>, AutomergeError> {
        let mut out = Vec::new();
        for t in self.set(key)?.iter().filter_map(|s| T::parse(s)) {
            if !out.contains(&t) {
                out.push(t);
            }
        }
        Ok(out)
    }
}

fn text_at(doc: &AutoCommit, obj: &ObjId, key: &str) -> Result<String, AutomergeError> {
    match doc.get(obj, key)? {
        Some((Value::Object(ObjType::Text), id)) => doc.text(&id),
        Some((Value::Scalar(s), _)) => Ok(s.as_str().unwrap_or_default().to_string()),
        _ => Ok(String::new()),
    }
}

fn read_list(doc: &AutoCommit, list: &ObjId) -> Result<Vec<String>, AutomergeError> {
    let mut out = Vec::new();
    for i in 0..doc.length(list) {
        if let Some((Value::Scalar(s), _)) = doc.get(list, i)? {
            out.push(s.as_str().unwrap_or_default().to_string());
        }
    }
    Ok(out)
}

/// An Automerge document with the case-document conventions; `analysis`, `notes` and `comments` wrap one.
///
/// It is kept as parts (see [`crate::cases::parts`]): `doc` is part 0, with the ROOT fields, and `entity_parts` are
/// parts 1.. with the entities, each started from the same first change. A document loaded from plain
/// Automerge bytes, or a blank one before its first bytes arrive, has no entity parts and keeps everything in
/// `doc`.
pub(crate) struct Document {
    /// Part 0: the ROOT fields (schema, kind, title, ...), for the schema-specific parts of the wrappers.
    pub(crate) doc: AutoCommit,
    /// Parts 1..: the entities, by [`parts::entity_part`] of their id.
    entity_parts: Vec<AutoCommit>,
}

/// Parts to load on one thread, with their bytes.
type Batch<'a> = Vec<(&'a mut AutoCommit, &'a [u8])>;

impl Document {
    /// A new document of `kind`, written by `actor`. The wrapper writes its ROOT fields and creates its
    /// top-level maps, then calls [`Document::into_parts`] so that every part starts from that change.
    pub(crate) fn new(kind: &str, actor: &[u8]) -> Result<Document, DocError> {
        let mut d = Document::blank(actor);
        d.doc.put(ROOT, "schema", SCHEMA)?;
        d.doc.put(ROOT, "kind", kind)?;
        Ok(d)
    }

    /// Splits a new document into `count` parts, each starting from everything written so far (one change,
    /// committed here), so that the entity maps are the same objects in every part and merging the parts
    /// gives one document.
    pub(crate) fn into_parts(mut self, count: usize) -> Document {
        self.doc.commit();
        let actor = self.doc.get_actor().to_bytes().to_vec();
        self.entity_parts = (1..count.clamp(1, parts::MAX_PARTS))
            .map(|k| {
                let mut p = self.doc.fork();
                set_part_actor(&mut p, &actor, k);
                p
            })
            .collect();
        self
    }

    /// Loads saved bytes (parted, or plain Automerge) and checks the schema and the kind; `kind_optional`
    /// accepts documents written before `kind` existed. `actor` is who will write to it here.
    pub(crate) fn load(bytes: &[u8], actor: &[u8], kind: &str, kind_optional: bool) -> Result<Document, DocError> {
        if bytes.is_empty() {
            return Err(DocError::Schema("no bytes: not a case document"));
        }
        let mut d = Document::blank(actor);
        d.apply(bytes)?;
        for part in d.parts() {
            check_root(part, kind, kind_optional)?;
        }
        Ok(d)
    }

    /// An empty document with no changes at all, written by `actor`: what a new member starts from before
    /// the other members' changes arrive (creating the schema here would conflict with theirs). Its parts
    /// are made when the first bytes say how many there are.
    pub(crate) fn blank(actor: &[u8]) -> Document {
        let mut doc = AutoCommit::new();
        doc.set_actor(ActorId::from(actor));
        Document { doc, entity_parts: Vec::new() }
    }

    /// How many parts this document has.
    fn count(&self) -> usize {
        1 + self.entity_parts.len()
    }

    /// Part `i` (0 is the ROOT part); `i` must be below the count.
    pub(crate) fn part(&self, i: usize) -> &AutoCommit {
        if i == 0 { &self.doc } else { &self.entity_parts[i - 1] }
    }

    /// Part `i`, to write (see [`Document::part`]).
    pub(crate) fn part_mut(&mut self, i: usize) -> &mut AutoCommit {
        if i == 0 { &mut self.doc } else { &mut self.entity_parts[i - 1] }
    }

    fn parts(&self) -> impl Iterator<Item = &AutoCommit> {
        std::iter::once(&self.doc).chain(&self.entity_parts)
    }

    fn parts_mut(&mut self) -> impl Iterator<Item = &mut AutoCommit> {
        std::iter::once(&mut self.doc).chain(self.entity_parts.iter_mut())
    }

    /// Whether no change at all has been applied yet.
    pub(crate) fn is_blank(&mut self) -> bool {
        self.parts_mut().all(|p| p.get_heads().is_empty() && p.pending_ops() == 0)
    }

    /// Drops the edits made since the last commit (a failed edit leaves the document as it was).
    pub(crate) fn rollback(&mut self) {
        for p in self.parts_mut() {
            p.rollback();
        }
    }

    /// See the wrappers' `save`: parted bytes, or plain Automerge bytes for a one-part document.
    pub(crate) fn save(&mut self) -> Vec<u8> {
        let saved: Vec<Vec<u8>> = self.parts_mut().map(|p| p.save()).collect();
        parts::encode(&saved)
    }

    /// See the wrappers' `save_whole`: all parts merged into one Automerge document, history included.
    pub(crate) fn save_whole(&mut self) -> Result<Vec<u8>, AutomergeError> {
        // Merging applies changes one operation at a time (several times slower than loading), so start from
        // the largest part and merge the others into it.
        let mut parts: Vec<&mut AutoCommit> = self.parts_mut().collect();
        parts.sort_by_key(|p| std::cmp::Reverse(p.stats().num_ops));
        let Some((largest, others)) = parts.split_first_mut() else { return Ok(Vec::new()) };
        let mut whole = largest.fork();
        let mut changes = Vec::new();
        for p in others {
            changes.extend(p.get_changes(&[]));
        }
        whole.apply_changes(changes)?;
        Ok(whole.save())
    }

    /// See the wrappers' `save_after`. `heads` may come from any part (they are [`Document::heads`]); each
    /// part is asked for its changes beyond the heads it knows.
    pub(crate) fn save_after(&mut self, heads: &[ChangeHash]) -> Vec<u8> {
        let out: Vec<Vec<u8>> = self
            .parts_mut()
            .map(|p| {
                let known: Vec<ChangeHash> =
                    heads.iter().copied().filter(|h| p.get_change_meta_by_hash(h).is_some()).collect();
                p.save_after(&known)
            })
            .collect();
        parts::encode(&out)
    }

    /// See the wrappers' `apply`. Large inputs (a snapshot, a long run) load their parts on separate threads.
    pub(crate) fn apply(&mut self, bytes: &[u8]) -> Result<(), DocError> {
        let s = parts::decode(bytes)?;
        if s.sections.is_empty() {
            return Ok(());
        }
        if s.count != self.count() {
            // A blank document takes the writer's parts; a one-part document's bytes go to part 0 of any.
            if s.count > 1 && self.is_blank() {
                let actor = self.doc.get_actor().to_bytes().to_vec();
                let blank = |k| {
                    let mut p = AutoCommit::new();
                    set_part_actor(&mut p, &actor, k);
                    p
                };
                self.entity_parts = (1..s.count).map(blank).collect();
            } else if s.count > 1 {
                return Err(parts::PartsError::CountMismatch { document: self.count(), bytes: s.count }.into());
            }
        }
        let total: usize = s.sections.iter().map(|(_, b)| b.len()).sum();
        if s.sections.len() == 1 || total < parts::PARALLEL_LOAD_BYTES {
            for (i, b) in s.sections {
                self.part_mut(i).load_incremental(b)?;
            }
            return Ok(());
        }
        // Sections come in increasing part order (`decode` checks it), so one pass pairs them with their parts.
        let mut sections = s.sections.into_iter().peekable();
        let mut work: Batch<'_> = self
            .parts_mut()
            .enumerate()
            .filter_map(|(i, p)| sections.next_if(|(k, _)| *k == i).map(|(_, b)| (p, b)))
            .collect();
        // As many threads as cores (each thread is a malloc arena, so no more), the largest parts first, each
        // to the least loaded thread; this thread is one of them.
        work.sort_by_key(|(_, b)| std::cmp::Reverse(b.len()));
        let threads = std::thread::available_parallelism().map_or(2, usize::from).clamp(1, work.len());
        let mut batches: Vec<(usize, Batch<'_>)> = (0..threads).map(|_| (0, Vec::new())).collect();
        for (p, b) in work {
            if let Some(lightest) = batches.iter_mut().min_by_key(|(load, _)| *load) {
                lightest.0 += b.len();
                lightest.1.push((p, b));
            }
        }
        let load = |batch: Batch<'_>| -> Result<(), AutomergeError> {
            for (p, b) in batch {
                p.load_incremental(b)?;
            }
            Ok(())
        };
        let mut batches = batches.into_iter().map(|(_, batch)| batch);
        let here = batches.next().unwrap_or_default();
        std::thread::scope(|scope| {
            let others: Vec<_> = batches.map(|batch| scope.spawn(move || load(batch))).collect();
            load(here)?;
            for h in others {
                h.join().unwrap_or(Err(AutomergeError::Fail))?;
            }
            Ok(())
        })
    }

    /// See the wrappers' `merge`.
    pub(crate) fn merge(&mut self, other: &mut Document) -> Result<(), DocError> {
        if other.is_blank() {
            return Ok(());
        }
        if other.count() != self.count() {
            if self.is_blank() {
                let actor = self.doc.get_actor().to_bytes().to_vec();
                *self = other.fork(&actor);
                return Ok(());
            }
            return Err(parts::PartsError::CountMismatch { document: self.count(), bytes: other.count() }.into());
        }
        self.doc.merge(&mut other.doc)?;
        for (a, b) in self.entity_parts.iter_mut().zip(other.entity_parts.iter_mut()) {
            a.merge(b)?;
        }
        Ok(())
    }

    /// See the wrappers' `fork`.
    pub(crate) fn fork(&mut self, actor: &[u8]) -> Document {
        let fork = |(k, p): (usize, &mut AutoCommit)| {
            let mut f = p.fork();
            set_part_actor(&mut f, actor, k);
            f
        };
        Document {
            doc: fork((0, &mut self.doc)),
            entity_parts: self.entity_parts.iter_mut().enumerate().map(|(i, p)| fork((i + 1, p))).collect(),
        }
    }

    /// See the wrappers' `heads`: the heads of every part, sorted (the first change is a head of each part
    /// that has nothing else, and is listed once).
    pub(crate) fn heads(&mut self) -> Vec<ChangeHash> {
        let mut heads: Vec<ChangeHash> = self.parts_mut().flat_map(|p| p.get_heads()).collect();
        heads.sort();
        heads.dedup();
        heads
    }

    /// A reader of the fields of `obj` in part 0.
    pub(crate) fn reader<'a>(&'a self, obj: &'a ObjId) -> Reader<'a> {
        Reader { doc: &self.doc, obj }
    }

    /// A reader of the fields of `obj` in part `part`.
    pub(crate) fn part_reader<'a>(&'a self, part: usize, obj: &'a ObjId) -> Reader<'a> {
        Reader { doc: self.part(part), obj }
    }

    /// The text at `obj`/`key` in part 0 (empty if missing).
    pub(crate) fn text_at(&self, obj: &ObjId, key: &str) -> Result<String, AutomergeError> {
        text_at(&self.doc, obj, key)
    }

    /// Every map stored under the top-level `key` of part 0: the winner first, then any that lost a
    /// concurrent creation (see the module docs). Empty if there is none (an older document).
    pub(crate) fn root_maps(&self, key: &str) -> Result<Vec<ObjId>, AutomergeError> {
        root_maps(&self.doc, key)
    }

    /// The map under `parent`/`key` in part 0, created if it is missing.
    pub(crate) fn ensure_map(&mut self, parent: &ObjId, key: &str) -> Result<ObjId, AutomergeError> {
        ensure_map(&mut self.doc, parent, key)
    }

    /// Writes `new` into `obj` of part 0: every field if `old` is none, otherwise only those that differ.
    pub(crate) fn write_record<R: Record>(
        &mut self,
        obj: &ObjId,
        old: Option<&R>,
        new: &R,
    ) -> Result<(), AutomergeError> {
        write_record(&mut self.doc, obj, old, new)
    }

    /// Writes one field of `obj` in part 0: text by diff, lists by splicing the changed middle, scalars by
    /// overwriting.
    pub(crate) fn write_field(&mut self, obj: &ObjId, key: &str, value: &Field<'_>) -> Result<(), AutomergeError> {
        write_field(&mut self.doc, obj, key, value)
    }

    /// The entity object with `id` and the part that holds it: the part its id hashes to first, then any other
    /// (another writer may have placed it elsewhere).
    pub(crate) fn find<E: Entity>(&self, id: &str) -> Result<Option<(usize, ObjId)>, AutomergeError> {
        let home = parts::entity_part(id, self.count());
        for i in std::iter::once(home).chain((0..self.count()).filter(|i| *i != home)) {
            for map in root_maps(self.part(i), E::MAP)? {
                if let Some((Value::Object(ObjType::Map), obj)) = self.part(i).get(&map, id)? {
                    return Ok(Some((i, obj)));
                }
            }
        }
        Ok(None)
    }

    fn found<E: Entity>(&self, id: &str) -> Result<(usize, ObjId), DocError> {
        self.find::<E>(id)?.ok_or_else(|| DocError::NotFound { what: E::NAME, id: id.to_string() })
    }

    /// Adds `entity` under `id`, in the part its id hashes to (part 0 if that part lacks the entity's map,
    /// which only a document from before parts can); refuses a bad id or one already taken.
    pub(crate) fn add<E: Entity>(&mut self, id: &str, entity: &E) -> Result<(), DocError> {
        check_id(id)?;
        if self.find::<E>(id)?.is_some() {
            return Err(DocError::Exists { what: E::NAME, id: id.to_string() });
        }
        let home = parts::entity_part(id, self.count());
        let part = if root_maps(self.part(home), E::MAP)?.is_empty() { 0 } else { home };
        let doc = self.part_mut(part);
        let map = ensure_map(doc, &ROOT, E::MAP)?;
        let obj = doc.put_object(&map, id, ObjType::Map)?;
        write_record(doc, &obj, None, entity)?;
        Ok(())
    }

    /// Edits the entity `id`, writing only the fields that changed, in the part that holds it.
    pub(crate) fn edit<E: Entity>(&mut self, id: &str, entity: &E) -> Result<(), DocError> {
        let (part, obj) = self.found::<E>(id)?;
        let old = E::read(&self.part_reader(part, &obj))?;
        write_record(self.part_mut(part), &obj, Some(&old), entity)?;
        Ok(())
    }

    /// Removes the entity `id` (from every map of every part that holds it).
    pub(crate) fn remove<E: Entity>(&mut self, id: &str) -> Result<(), DocError> {
        self.found::<E>(id)?;
        for doc in self.parts_mut() {
            for map in root_maps(doc, E::MAP)? {
                if doc.get(&map, id)?.is_some() {
                    doc.delete(&map, id)?;
                }
            }
        }
        Ok(())
    }

    /// The entity `id`.
    pub(crate) fn get<E: Entity>(&self, id: &str) -> Result<E, DocError> {
        let (part, obj) = self.found::<E>(id)?;
        Ok(E::read(&self.part_reader(part, &obj))?)
    }

    /// Every entity of this type, from every part, sorted by its key and then by id.
    pub(crate) fn list<E: Entity>(&self) -> Result<Vec<(String, E)>, AutomergeError> {
        let mut keyed: Vec<(E::Key, String, E)> = Vec::new();
        let mut seen = BTreeSet::new();
        for doc in self.parts() {
            for map in root_maps(doc, E::MAP)? {
                for id in doc.keys(&map) {
                    if seen.contains(&id) {
                        continue;
                    }
                    if let Some((Value::Object(ObjType::Map), obj)) = doc.get(&map, id.as_str())? {
                        let entity = E::read(&Reader { doc, obj: &obj })?;
                        seen.insert(id.clone());
                        keyed.push((entity.sort_key(), id, entity));
                    }
                }
            }
        }
        keyed.sort_by(|a, b| (&a.0, &a.1).cmp(&(&b.0, &b.1)));
        Ok(keyed.into_iter().map(|(_, id, e)| (id, e)).collect())
    }

    /// The ids of every entity of this type, unordered, without reading the entities: what a count or a
    /// reference check needs.
    pub(crate) fn ids<E: Entity>(&self) -> Result<BTreeSet<String>, AutomergeError> {
        let mut seen = BTreeSet::new();
        for doc in self.parts() {
            for map in root_maps(doc, E::MAP)? {
                // Every key of an entity map holds an entity (removal deletes the key), so the keys are the ids.
                seen.extend(doc.keys(&map));
            }
        }
        Ok(seen)
    }

    /// Every entity of this type in list order, as JSON objects with an `"id"` next to their fields: the
    /// deterministic view that reports and exports are built from.
    pub(crate) fn list_json<E: Entity + serde::Serialize>(&self) -> Result<serde_json::Value, DocError> {
        let mut out = Vec::new();
        for (id, entity) in self.list::<E>()? {
            let mut value = serde_json::to_value(&entity)?;
            if let Some(obj) = value.as_object_mut() {
                obj.insert("id".to_string(), serde_json::Value::String(id));
            }
            out.push(value);
        }
        Ok(serde_json::Value::Array(out))
    }
}

/// Makes `doc` write as the member with actor id `actor` writes part `k` (see [`parts::part_actor`]).
fn set_part_actor(doc: &mut AutoCommit, actor: &[u8], k: usize) {
    doc.set_actor(ActorId::from(parts::part_actor(actor, k)));
}

/// Checks that a part holds a case document of `kind` (see [`Document::load`]).
fn check_root(doc: &AutoCommit, kind: &str, kind_optional: bool) -> Result<(), DocError> {
    match doc.get(ROOT, "schema")? {
        Some((Value::Scalar(s), _)) => match s.as_ref() {
            ScalarValue::Uint(n) if *n == SCHEMA => {}
            ScalarValue::Int(n) if u64::try_from(*n).ok() == Some(SCHEMA) => {}
            ScalarValue::Uint(_) | ScalarValue::Int(_) => return Err(DocError::Schema("unknown schema version")),
            _ => return Err(DocError::Schema("the schema version is not a number")),
        },
        _ => return Err(DocError::Schema("no schema version: not a case document")),
    }
    match doc.get(ROOT, "kind")? {
        Some((Value::Scalar(s), _)) if s.as_str() == Some(kind) => Ok(()),
        None if kind_optional => Ok(()),
        None => Err(DocError::Schema("the document does not say which document it is")),
        Some(_) => Err(DocError::Schema("this is another kind of case document")),
    }
}

/// Every map stored under the top-level `key` of `doc`: the winner first, then any that lost a concurrent
/// creation (see the module docs).
fn root_maps(doc: &AutoCommit, key: &str) -> Result<Vec<ObjId>, AutomergeError> {
    let mut out = Vec::new();
    if let Some((Value::Object(ObjType::Map), winner)) = doc.get(ROOT, key)? {
        out.push(winner);
    }
    for (value, id) in doc.get_all(ROOT, key)? {
        if matches!(value, Value::Object(ObjType::Map)) && !out.contains(&id) {
            out.push(id);
        }
    }
    Ok(out)
}

fn ensure_map(doc: &mut AutoCommit, parent: &ObjId, key: &str) -> Result<ObjId, AutomergeError> {
    match doc.get(parent, key)? {
        Some((Value::Object(ObjType::Map), id)) => Ok(id),
        _ => doc.put_object(parent, key, ObjType::Map),
    }
}

fn write_record<R: Record>(doc: &mut AutoCommit, obj: &ObjId, old: Option<&R>, new: &R) -> Result<(), AutomergeError> {
    let old_fields = old.map(Record::fields);
    for (i, (key, value)) in new.fields().into_iter().enumerate() {
        let unchanged = old_fields.as_ref().and_then(|f| f.get(i)).is_some_and(|(_, o)| *o == value);
        if !unchanged {
            write_field(doc, obj, key, &value)?;
        }
    }
    Ok(())
}

fn write_field(doc: &mut AutoCommit, obj: &ObjId, key: &str, value: &Field<'_>) -> Result<(), AutomergeError> {
    match value {
        Field::Text(s) => {
            let t = match doc.get(obj, key)? {
                Some((Value::Object(ObjType::Text), t)) => t,
                _ => doc.put_object(obj, key, ObjType::Text)?,
            };
            doc.update_text(&t, s)?;
        }
        Field::Str(Some(s)) => doc.put(obj, key, s.as_ref())?,
        Field::Str(None) => doc.put(obj, key, ScalarValue::Null)?,
        Field::Bool(b) => doc.put(obj, key, *b)?,
        Field::List(items) => splice_list(doc, obj, key, items)?,
    }
    Ok(())
}

/// Turns the list at `obj`/`key` into `new` by deleting and inserting only between the common prefix and
/// suffix, so that concurrent edits elsewhere in the list survive.
fn splice_list(doc: &mut AutoCommit, obj: &ObjId, key: &str, new: &[Cow<'_, str>]) -> Result<(), AutomergeError> {
    let list = match doc.get(obj, key)? {
        Some((Value::Object(ObjType::List), list)) => list,
        _ => doc.put_object(obj, key, ObjType::List)?,
    };
    let old = read_list(doc, &list)?;
    let prefix = old.iter().zip(new).take_while(|(o, n)| o.as_str() == n.as_ref()).count();
    let max_suffix = old.len().min(new.len()) - prefix;
    let suffix =
        old.iter().rev().zip(new.iter().rev()).take(max_suffix).take_while(|(o, n)| o.as_str() == n.as_ref()).count();
    for _ in prefix..old.len() - suffix {
        doc.delete(&list, prefix)?;
    }
    for (i, item) in new[prefix..new.len() - suffix].iter().enumerate() {
        doc.insert(&list, prefix + i, item.as_ref())?;
    }
    Ok(())
}

/// The methods every case document has, delegated to its [`Document`]: one definition for the analysis, the
/// notes and the comments.
macro_rules! document_api {
    ($ty:ident, $err:ty) => {
        /// An empty document with no changes: a new member's replica before the other members' changes arrive.
        pub fn blank(actor: &[u8]) -> $ty {
            $ty { inner: Document::blank(actor) }
        }

        /// Whether no change has arrived yet (reads fail on a blank document: it has no schema).
        pub fn is_blank(&mut self) -> bool {
            self.inner.is_blank()
        }

        /// Drops uncommitted edits, so that an edit that failed half-way leaves nothing behind.
        pub fn rollback(&mut self) {
            self.inner.rollback();
        }

        /// The whole document as parted bytes (see [`crate::cases::parts`]): each part a saved Automerge document.
        pub fn save(&mut self) -> Vec<u8> {
            self.inner.save()
        }

        /// The changes since `heads` (what a member seals into a bundle).
        pub fn save_after(&mut self, heads: &[automerge::ChangeHash]) -> Vec<u8> {
            self.inner.save_after(heads)
        }

        /// Applies changes produced by another member (`save_after` or `save` bytes).
        pub fn apply(&mut self, changes: &[u8]) -> Result<(), $err> {
            Ok(self.inner.apply(changes)?)
        }

        /// The whole document as one Automerge document, history included (all parts merged): what
        /// `export --format automerge` writes, loadable by any Automerge implementation. [`Self::save`] is
        /// the quicker-loading form kept at rest and sent in snapshots.
        pub fn save_whole(&mut self) -> Result<Vec<u8>, $err> {
            Ok(self.inner.save_whole()?)
        }

        /// Merges another replica into this one.
        pub fn merge(&mut self, other: &mut $ty) -> Result<(), $err> {
            Ok(self.inner.merge(&mut other.inner)?)
        }

        /// A copy that diverges from here (for tests and offline simulations), written by `actor`.
        pub fn fork(&mut self, actor: &[u8]) -> $ty {
            $ty { inner: self.inner.fork(actor) }
        }

        /// The current heads: equal heads mean identical documents.
        pub fn heads(&mut self) -> Vec<automerge::ChangeHash> {
            self.inner.heads()
        }
    };
}
pub(crate) use document_api;

/// The public add/edit/remove/get/list methods of one entity type on a document wrapper (a struct whose
/// `inner` is a [`Document`]), so every entity gets the same API with the same documented behaviour.
macro_rules! entity_api {
    ($err:ty, $ty:ty, $what:literal, $order:literal,
     $add:ident, $edit:ident, $remove:ident, $get:ident, $list:ident) => {
        #[doc = concat!("Adds a ", $what, " under `id`, a fresh random id from the caller (1-64 characters), so ")]
        #[doc = "concurrent additions never collide. Refuses an id already taken."]
        pub fn $add(&mut self, id: &str, value: &$ty) -> Result<(), $err> {
            Ok(self.inner.add(id, value)?)
        }

        #[doc = concat!("Edits the ", $what, " `id`: only the fields that differ from the current value are ")]
        #[doc = "written, and text by diff, so a concurrent edit of another field (or another part of the same "]
        #[doc = "text) by someone else survives."]
        pub fn $edit(&mut self, id: &str, value: &$ty) -> Result<(), $err> {
            Ok(self.inner.edit(id, value)?)
        }

        #[doc = concat!("Removes the ", $what, " `id`.")]
        pub fn $remove(&mut self, id: &str) -> Result<(), $err> {
            Ok(self.inner.remove::<$ty>(id)?)
        }

        #[doc = concat!("The ", $what, " `id`.")]
        pub fn $get(&self, id: &str) -> Result<$ty, $err> {
            Ok(self.inner.get(id)?)
        }

        #[doc = concat!("Every ", $what, " with its id, ", $order, ", then by id, so every member sees the same ")]
        #[doc = "order."]
        pub fn $list(&self) -> Result<Vec<(String, $ty)>, $err> {
            Ok(self.inner.list()?)
        }
    };
}
pub(crate) use entity_api;
