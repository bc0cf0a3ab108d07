//! The case's `notes` document: the reviewers' own working material (interview notes, file extracts) and
//! the only place where real names may be kept. Supervisors and the case group never receive it; the
//! analysis and the report refer to people by pseudonym only, and the real names kept here are what the
//! report check uses to block identifiers from the final report.
//!
//! Layout (schema 1):
//!
//! ```text
//! ROOT { schema: 1, kind: "notes",
//!        notes: { <id>: { kind: "interview"|"file-extract"|"other", title: Text, participant: str | null,
//!                         date: "YYYY-MM-DD" | null, text: Text } },
//!        real_names: { <pseudonym>: Text } }
//! ```
//!
//! The same conventions as the analysis (see `document.rs`): random ids, text edited by diff, only changed
//! fields written, enums as kebab-case strings.

use automerge::transaction::Transactable;
use automerge::{ObjType, ROOT, ReadDoc};
use serde::{Deserialize, Serialize};

use crate::cases::document::{
    DocError, Document, Entity, Field, Reader, Record, check_id, document_api, entity_api, tag_enum,
};
use crate::records::time::CalendarDate;

/// The `kind` written into ROOT, so the notes are never mistaken for the analysis.
const KIND: &str = "notes";
/// The map of real names by pseudonym.
const REAL_NAMES: &str = "real_names";

tag_enum! {
    /// What a note records. An unknown stored value reads as other.
    pub enum NoteKind {
        /// Notes of an interview.
        Interview = "interview",
        /// An extract from a case file.
        FileExtract = "file-extract",
        /// Anything else.
        #[default]
        Other = "other",
    }
}

/// One note of a reviewer: raw material that may name people, so it stays in this document.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Note {
    /// What it records.
    pub kind: NoteKind,
    /// A short title.
    pub title: String,
    /// The participant it is about or from (a pseudonym).
    pub participant: Option<String>,
    /// When the interview took place or the extract was made.
    pub date: Option<CalendarDate>,
    /// The note itself.
    pub text: String,
}

impl Record for Note {
    fn fields(&self) -> Vec<(&'static str, Field<'_>)> {
        vec![
            ("kind", Field::tag(self.kind)),
            ("title", Field::Text(&self.title)),
            ("participant", Field::opt_str(&self.participant)),
            ("date", Field::date(self.date)),
            ("text", Field::Text(&self.text)),
        ]
    }

    fn read(r: &Reader<'_>) -> Result<Self, automerge::AutomergeError> {
        Ok(Note {
            kind: r.tag("kind")?.unwrap_or_default(),
            title: r.text("title")?,
            participant: r.str("participant")?,
            date: r.date("date")?,
            text: r.text("text")?,
        })
    }
}

impl Entity for Note {
    const MAP: &'static str = "notes";
    const NAME: &'static str = "note";
    // Undated notes last.
    type Key = (bool, Option<CalendarDate>);

    fn sort_key(&self) -> Self::Key {
        (self.date.is_none(), self.date)
    }
}

/// Errors of the notes document.
#[derive(Debug, thiserror::Error)]
pub enum NotesError {
    /// Automerge refused an operation or the bytes do not load (damaged or not Automerge at all).
    #[error("automerge: {0}")]
    Automerge(#[from] automerge::AutomergeError),
    /// The document does not have the expected shape: another schema version, another kind of case
    /// document (the analysis), or damaged.
    #[error("the notes document is malformed: {0}")]
    Schema(&'static str),
    /// The caller asked for a note that does not exist (or no longer does).
    #[error("no {what} `{id}`")]
    NotFound {
        /// What kind of entity.
        what: &'static str,
        /// The id asked for.
        id: String,
    },
    /// The caller tried to add a note under an id already taken (ids must be fresh random ones).
    #[error("there already is a {what} `{id}`")]
    Exists {
        /// What kind of entity.
        what: &'static str,
        /// The id.
        id: String,
    },
    /// The caller supplied an empty id or pseudonym, or one over 64 characters.
    #[error("ids and pseudonyms must be 1 to 64 characters: `{0}`")]
    BadId(String),
    /// The JSON view could not be built (a bug, not bad input).
    #[error("json: {0}")]
    Json(#[from] serde_json::Error),
    /// The bytes are not well-formed parted bytes (see [`crate::cases::parts`]), or are for a document with
    /// another number of parts.
    #[error("the notes document's parts: {0}")]
    Parts(#[from] crate::cases::parts::PartsError),
}

impl From<DocError> for NotesError {
    fn from(e: DocError) -> NotesError {
        match e {
            DocError::Automerge(e) => NotesError::Automerge(e),
            DocError::Schema(s) => NotesError::Schema(s),
            DocError::NotFound { what, id } => NotesError::NotFound { what, id },
            DocError::Exists { what, id } => NotesError::Exists { what, id },
            DocError::BadId(id) => NotesError::BadId(id),
            DocError::Json(e) => NotesError::Json(e),
            DocError::Parts(e) => NotesError::Parts(e),
        }
    }
}

/// The `notes` document of a case, shared by the reviewers only.
pub struct NotesDoc {
    inner: Document,
}

impl NotesDoc {
    /// A new, empty notes document written by `actor` (the member's stable Automerge actor id).
    pub fn new(actor: &[u8]) -> Result<NotesDoc, NotesError> {
        let mut inner = Document::new(KIND, actor)?;
        inner.doc.put_object(ROOT, Note::MAP, ObjType::Map)?;
        inner.doc.put_object(ROOT, REAL_NAMES, ObjType::Map)?;
        Ok(NotesDoc { inner: inner.into_parts(crate::cases::parts::NEW_DOCUMENT_PARTS) })
    }

    /// Loads a saved document, checking that it is a notes document; `actor` is who will write to it here.
    pub fn load(bytes: &[u8], actor: &[u8]) -> Result<NotesDoc, NotesError> {
        Ok(NotesDoc { inner: Document::load(bytes, actor, KIND, false)? })
    }

    document_api!(NotesDoc, NotesError);

    entity_api!(NotesError, Note, "note", "by date (undated last)", add_note, edit_note, remove_note, note, notes);

    /// Records the real name behind `pseudonym` (edited by diff, so concurrent corrections merge), so the
    /// report check can block it from the final report.
    pub fn set_real_name(&mut self, pseudonym: &str, name: &str) -> Result<(), NotesError> {
        check_id(pseudonym)?;
        // Correct the name where it is kept (possibly in a map that lost a concurrent creation).
        let mut holder = None;
        for map in self.inner.root_maps(REAL_NAMES)? {
            if self.inner.doc.get(&map, pseudonym)?.is_some() {
                holder = Some(map);
                break;
            }
        }
        let (map, kept) = match holder {
            Some(map) => (map, true),
            None => (self.inner.ensure_map(&ROOT, REAL_NAMES)?, false),
        };
        if !kept || self.inner.text_at(&map, pseudonym)? != name {
            self.inner.write_field(&map, pseudonym, &Field::Text(name))?;
        }
        Ok(())
    }

    /// Forgets the real name behind `pseudonym` (no error if none was kept).
    pub fn remove_real_name(&mut self, pseudonym: &str) -> Result<(), NotesError> {
        for map in self.inner.root_maps(REAL_NAMES)? {
            if self.inner.doc.get(&map, pseudonym)?.is_some() {
                self.inner.doc.delete(&map, pseudonym)?;
            }
        }
        Ok(())
    }

    /// Every kept real name as (pseudonym, name), by pseudonym: what the report check blocks.
    pub fn real_names(&self) -> Result<Vec<(String, String)>, NotesError> {
        let mut out: Vec<(String, String)> = Vec::new();
        for map in self.inner.root_maps(REAL_NAMES)? {
            for pseudonym in self.inner.doc.keys(&map) {
                if out.iter().all(|(p, _)| *p != pseudonym) {
                    let name = self.inner.text_at(&map, &pseudonym)?;
                    out.push((pseudonym, name));
                }
            }
        }
        out.sort();
        Ok(out)
    }

    /// The whole document as JSON, the same on every replica with the same changes (for export).
    pub fn to_json(&self) -> Result<serde_json::Value, NotesError> {
        use serde_json::Value as Json;
        let names: serde_json::Map<String, Json> =
            self.real_names()?.into_iter().map(|(p, n)| (p, Json::String(n))).collect();
        let mut out = serde_json::Map::new();
        out.insert("schema".into(), Json::from(crate::cases::document::SCHEMA));
        out.insert("kind".into(), Json::from(KIND));
        out.insert("notes".into(), self.inner.list_json::<Note>()?);
        out.insert("real_names".into(), Json::Object(names));
        Ok(Json::Object(out))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cases::analysis::{AnalysisDoc, AnalysisError};

    fn note(date: Option<&str>, title: &str) -> Note {
        Note {
            kind: NoteKind::Interview,
            title: title.into(),
            participant: Some("M1".into()),
            date: date.map(|d| d.parse().unwrap()),
            text: "Mother describes the first home visit.".into(),
        }
    }

    #[test]
    fn notes_round_trip_and_list_by_date_then_id() {
        let mut d = NotesDoc::new(&[1; 16]).unwrap();
        d.add_note("b", &note(Some("2026-02-01"), "Interview M1")).unwrap();
        d.add_note("a", &note(Some("2026-02-01"), "Interview M2")).unwrap();
        d.add_note("c", &note(None, "Loose ends")).unwrap();
        d.add_note("z", &note(Some("2026-01-15"), "File extract")).unwrap();
        let order: Vec<String> = d.notes().unwrap().into_iter().map(|(id, _)| id).collect();
        assert_eq!(order, ["z", "a", "b", "c"]);

        let mut n = d.note("b").unwrap();
        n.kind = NoteKind::FileExtract;
        n.participant = None;
        n.text.push_str(" She was not told why.");
        d.edit_note("b", &n).unwrap();
        assert_eq!(d.note("b").unwrap(), n);

        d.remove_note("b").unwrap();
        assert!(matches!(d.note("b"), Err(NotesError::NotFound { .. })));
        assert!(matches!(d.add_note("a", &n), Err(NotesError::Exists { .. })));
        assert!(matches!(d.add_note("", &n), Err(NotesError::BadId(_))));

        let bytes = d.save();
        let loaded = NotesDoc::load(&bytes, &[2; 16]).unwrap();
        assert_eq!(loaded.notes().unwrap(), d.notes().unwrap());
    }

    #[test]
    fn real_names_are_kept_merged_and_listed_by_pseudonym() {
        let mut a = NotesDoc::new(&[1; 16]).unwrap();
        a.set_real_name("M1", "Anna de Vries").unwrap();
        let mut b = a.fork(&[2; 16]);
        a.set_real_name("GI-1", "Piet Jansen").unwrap();
        b.set_real_name("M1", "Anna de Vries-Bakker").unwrap();
        a.merge(&mut b).unwrap();
        b.merge(&mut a).unwrap();
        assert_eq!(a.heads(), b.heads());
        let names = a.real_names().unwrap();
        assert_eq!(names, [("GI-1".into(), "Piet Jansen".into()), ("M1".into(), "Anna de Vries-Bakker".into())]);
        assert_eq!(a.to_json().unwrap(), b.to_json().unwrap());
        assert_eq!(a.to_json().unwrap()["real_names"]["M1"], "Anna de Vries-Bakker");
        a.remove_real_name("GI-1").unwrap();
        assert_eq!(a.real_names().unwrap().len(), 1);
        assert!(matches!(a.set_real_name(&"x".repeat(65), "X"), Err(NotesError::BadId(_))));
    }

    #[test]
    fn notes_and_analysis_refuse_each_other() {
        let mut notes = NotesDoc::new(&[1; 16]).unwrap();
        let mut analysis = AnalysisDoc::new("Case", &[1; 16]).unwrap();
        assert!(matches!(AnalysisDoc::load(&notes.save(), &[2; 16]), Err(AnalysisError::Schema(_))));
        assert!(matches!(NotesDoc::load(&analysis.save(), &[2; 16]), Err(NotesError::Schema(_))));
    }

    #[test]
    fn garbage_gives_errors_not_panics() {
        let mut good = NotesDoc::new(&[1; 16]).unwrap();
        good.add_note("n1", &note(Some("2026-02-01"), "Interview")).unwrap();
        let bytes = good.save();
        let mut inputs: Vec<Vec<u8>> = vec![Vec::new(), b"not automerge".to_vec(), vec![0; 64], vec![0xff; 300]];
        inputs.extend((1..bytes.len()).step_by(7).map(|n| bytes[..n].to_vec()));
        for i in (0..bytes.len()).step_by(5) {
            let mut flipped = bytes.clone();
            flipped[i] ^= 0x5a;
            inputs.push(flipped);
        }
        for input in &inputs {
            // Either an error or (for a flip that happens to keep the document valid) a notes document.
            let _ = NotesDoc::load(input, &[2; 16]);
            let mut target = NotesDoc::new(&[3; 16]).unwrap();
            let _ = target.apply(input);
        }
        assert!(NotesDoc::load(b"not automerge", &[2; 16]).is_err());
        assert!(NotesDoc::load(&[], &[2; 16]).is_err());
    }
}
