//! The case's `comments` document: where a supervisor questions, challenges or approves parts of the
//! analysis, and where the reviewers answer. It is kept apart from the analysis so that a supervisor, who
//! may read the analysis but never edit it, can still write something the reviewers receive and merge, and
//! so that the discussion never ends up in the analysis or the report by accident.
//!
//! Layout (schema 1):
//!
//! ```text
//! ROOT { schema: 1, kind: "comments",
//!        comments: { <id>: { target: str, target_kind: str,
//!                            kind: "question"|"challenge"|"approval"|"answer", text: Text, author: str,
//!                            written: "YYYY-MM-DD" | null, resolved: bool, replies_to: str | null } } }
//! ```
//!
//! The same conventions as the analysis (see `document.rs`): random ids, text edited by diff, only changed
//! fields written, enums as kebab-case strings.

use std::borrow::Cow;

use automerge::transaction::Transactable;
use automerge::{ObjType, ROOT};
use serde::{Deserialize, Serialize};

use crate::cases::document::{DocError, Document, Entity, Field, Reader, Record, document_api, entity_api, tag_enum};
use crate::records::time::CalendarDate;

/// The `kind` written into ROOT, so the comments are never mistaken for the analysis or the notes.
const KIND: &str = "comments";

tag_enum! {
    /// What a comment does, so the reviewers can tell what needs an answer from what is only a remark. An
    /// unknown stored value reads as a question.
    pub enum CommentKind {
        /// A question about the commented entity.
        #[default]
        Question = "question",
        /// A challenge: the supervisor doubts the appraisal or the reasoning (for instance hindsight bias).
        Challenge = "challenge",
        /// An approval: the supervisor agrees with the commented entity.
        Approval = "approval",
        /// An answer to another comment (see [`Comment::replies_to`]).
        Answer = "answer",
    }
}

/// One comment of a supervisor (or a reviewer's answer to one), attached to any entity of the case.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Comment {
    /// The id of the entity commented on (e.g. a timeline entry id); empty for the case as a whole.
    pub target: String,
    /// What kind of entity `target` is (e.g. "timeline", "episode", "finding"), so a view can find it.
    pub target_kind: String,
    /// What the comment does.
    pub kind: CommentKind,
    /// The comment itself.
    pub text: String,
    /// The author's peer id text, set by the node (not trusted from the user).
    pub author: String,
    /// When the comment was written.
    pub written: Option<CalendarDate>,
    /// Whether the point has been dealt with.
    pub resolved: bool,
    /// The id of the comment this one answers, if any.
    pub replies_to: Option<String>,
}

impl Record for Comment {
    fn fields(&self) -> Vec<(&'static str, Field<'_>)> {
        vec![
            ("target", Field::Str(Some(Cow::Borrowed(&self.target)))),
            ("target_kind", Field::Str(Some(Cow::Borrowed(&self.target_kind)))),
            ("kind", Field::tag(self.kind)),
            ("text", Field::Text(&self.text)),
            ("author", Field::Str(Some(Cow::Borrowed(&self.author)))),
            ("written", Field::date(self.written)),
            ("resolved", Field::Bool(self.resolved)),
            ("replies_to", Field::opt_str(&self.replies_to)),
        ]
    }

    fn read(r: &Reader<'_>) -> Result<Self, automerge::AutomergeError> {
        Ok(Comment {
            target: r.str("target")?.unwrap_or_default(),
            target_kind: r.str("target_kind")?.unwrap_or_default(),
            kind: r.tag("kind")?.unwrap_or_default(),
            text: r.text("text")?,
            author: r.str("author")?.unwrap_or_default(),
            written: r.date("written")?,
            resolved: r.bool("resolved")?,
            replies_to: r.str("replies_to")?,
        })
    }
}

impl Entity for Comment {
    const MAP: &'static str = "comments";
    const NAME: &'static str = "comment";
    // Undated comments last.
    type Key = (bool, Option<CalendarDate>);

    fn sort_key(&self) -> Self::Key {
        (self.written.is_none(), self.written)
    }
}

/// Errors of the comments document.
#[derive(Debug, thiserror::Error)]
pub enum CommentsError {
    /// Automerge refused an operation or the bytes do not load (damaged or not Automerge at all).
    #[error("automerge: {0}")]
    Automerge(#[from] automerge::AutomergeError),
    /// The document does not have the expected shape: another schema version, another kind of case
    /// document (the analysis or the notes), or damaged.
    #[error("the comments document is malformed: {0}")]
    Schema(&'static str),
    /// The caller asked for a comment that does not exist (or no longer does).
    #[error("no {what} `{id}`")]
    NotFound {
        /// What kind of entity.
        what: &'static str,
        /// The id asked for.
        id: String,
    },
    /// The caller tried to add a comment under an id already taken (ids must be fresh random ones).
    #[error("there already is a {what} `{id}`")]
    Exists {
        /// What kind of entity.
        what: &'static str,
        /// The id.
        id: String,
    },
    /// The caller supplied an empty id, or one over 64 characters.
    #[error("ids must be 1 to 64 characters: `{0}`")]
    BadId(String),
    /// The JSON view could not be built (a bug, not bad input).
    #[error("json: {0}")]
    Json(#[from] serde_json::Error),
    /// The bytes are not well-formed parted bytes (see [`crate::cases::parts`]), or are for a document with
    /// another number of parts.
    #[error("the comments document's parts: {0}")]
    Parts(#[from] crate::cases::parts::PartsError),
}

impl From<DocError> for CommentsError {
    fn from(e: DocError) -> CommentsError {
        match e {
            DocError::Automerge(e) => CommentsError::Automerge(e),
            DocError::Schema(s) => CommentsError::Schema(s),
            DocError::NotFound { what, id } => CommentsError::NotFound { what, id },
            DocError::Exists { what, id } => CommentsError::Exists { what, id },
            DocError::BadId(id) => CommentsError::BadId(id),
            DocError::Json(e) => CommentsError::Json(e),
            DocError::Parts(e) => CommentsError::Parts(e),
        }
    }
}

/// The `comments` document of a case, written by supervisors and reviewers alike.
pub struct CommentsDoc {
    inner: Document,
}

impl CommentsDoc {
    /// A new, empty comments document written by `actor` (the member's stable Automerge actor id).
    pub fn new(actor: &[u8]) -> Result<CommentsDoc, CommentsError> {
        let mut inner = Document::new(KIND, actor)?;
        inner.doc.put_object(ROOT, Comment::MAP, ObjType::Map)?;
        Ok(CommentsDoc { inner: inner.into_parts(crate::cases::parts::NEW_DOCUMENT_PARTS) })
    }

    /// Loads a saved document, checking that it is a comments document; `actor` is who will write to it here.
    pub fn load(bytes: &[u8], actor: &[u8]) -> Result<CommentsDoc, CommentsError> {
        Ok(CommentsDoc { inner: Document::load(bytes, actor, KIND, false)? })
    }

    document_api!(CommentsDoc, CommentsError);

    entity_api!(
        CommentsError,
        Comment,
        "comment",
        "by date written (undated last)",
        add_comment,
        edit_comment,
        remove_comment,
        comment,
        comments
    );

    /// Marks the comment `id` resolved or open again. Only the flag is written, so a concurrent edit of the
    /// text (say, a supervisor sharpening the question while a reviewer closes it) survives the merge.
    pub fn resolve(&mut self, id: &str, resolved: bool) -> Result<(), CommentsError> {
        let mut comment = self.comment(id)?;
        if comment.resolved != resolved {
            comment.resolved = resolved;
            // `edit` writes only the fields that differ from the stored ones: here, the flag alone.
            self.edit_comment(id, &comment)?;
        }
        Ok(())
    }

    /// Every comment on the entity `target` (empty: the comments on the case as a whole), in the order of
    /// [`CommentsDoc::comments`], so a view can show the discussion next to what it is about.
    pub fn comments_on(&self, target: &str) -> Result<Vec<(String, Comment)>, CommentsError> {
        Ok(self.comments()?.into_iter().filter(|(_, c)| c.target == target).collect())
    }

    /// The whole document as JSON, the same on every replica with the same changes (for export).
    pub fn to_json(&self) -> Result<serde_json::Value, CommentsError> {
        use serde_json::Value as Json;
        let mut out = serde_json::Map::new();
        out.insert("schema".into(), Json::from(crate::cases::document::SCHEMA));
        out.insert("kind".into(), Json::from(KIND));
        out.insert("comments".into(), self.inner.list_json::<Comment>()?);
        Ok(Json::Object(out))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cases::analysis::{AnalysisDoc, AnalysisError};
    use crate::cases::notes::{NotesDoc, NotesError};

    fn comment(written: Option<&str>, target: &str, kind: CommentKind, text: &str) -> Comment {
        Comment {
            target: target.into(),
            target_kind: "timeline".into(),
            kind,
            text: text.into(),
            author: "peer-supervisor".into(),
            written: written.map(|d| d.parse().unwrap()),
            resolved: false,
            replies_to: None,
        }
    }

    #[test]
    fn comments_round_trip_and_list_by_date_then_id() {
        let mut d = CommentsDoc::new(&[1; 16]).unwrap();
        d.add_comment("b", &comment(Some("2026-03-02"), "t1", CommentKind::Question, "Who knew this then?")).unwrap();
        d.add_comment("a", &comment(Some("2026-03-02"), "t1", CommentKind::Challenge, "Hindsight?")).unwrap();
        d.add_comment("c", &comment(None, "", CommentKind::Approval, "Good analysis overall.")).unwrap();
        d.add_comment("z", &comment(Some("2026-03-01"), "e1", CommentKind::Question, "Why this episode?")).unwrap();
        let order: Vec<String> = d.comments().unwrap().into_iter().map(|(id, _)| id).collect();
        assert_eq!(order, ["z", "a", "b", "c"]);

        let mut c = d.comment("b").unwrap();
        c.kind = CommentKind::Answer;
        c.replies_to = Some("a".into());
        c.text.push_str(" The GI worker did.");
        c.resolved = true;
        d.edit_comment("b", &c).unwrap();
        assert_eq!(d.comment("b").unwrap(), c);

        d.remove_comment("b").unwrap();
        assert!(matches!(d.comment("b"), Err(CommentsError::NotFound { .. })));
        assert!(matches!(d.resolve("b", true), Err(CommentsError::NotFound { .. })));
        assert!(matches!(d.add_comment("a", &c), Err(CommentsError::Exists { .. })));
        assert!(matches!(d.add_comment("", &c), Err(CommentsError::BadId(_))));
        assert!(matches!(d.add_comment(&"x".repeat(65), &c), Err(CommentsError::BadId(_))));

        let bytes = d.save();
        let loaded = CommentsDoc::load(&bytes, &[2; 16]).unwrap();
        assert_eq!(loaded.comments().unwrap(), d.comments().unwrap());
        assert_eq!(loaded.comment("c").unwrap().target, "");
    }

    #[test]
    fn resolve_and_a_concurrent_text_edit_both_survive() {
        let mut a = CommentsDoc::new(&[1; 16]).unwrap();
        a.add_comment("q1", &comment(Some("2026-03-01"), "t1", CommentKind::Question, "Was the school told?")).unwrap();
        let mut b = a.fork(&[2; 16]);
        // The supervisor sharpens the question while a reviewer closes it.
        let mut c = a.comment("q1").unwrap();
        c.text = "Was the school told, and by whom?".into();
        a.edit_comment("q1", &c).unwrap();
        b.resolve("q1", true).unwrap();

        let mut a2 = a.fork(&[3; 16]);
        let mut b2 = b.fork(&[4; 16]);
        a.merge(&mut b).unwrap();
        b2.merge(&mut a2).unwrap();
        assert_eq!(a.heads(), b2.heads());
        for d in [&a, &b2] {
            let merged = d.comment("q1").unwrap();
            assert!(merged.resolved);
            assert_eq!(merged.text, "Was the school told, and by whom?");
        }
        assert_eq!(a.to_json().unwrap(), b2.to_json().unwrap());

        // Reopening writes the flag back; resolving twice is a no-op.
        let before = a.heads();
        a.resolve("q1", true).unwrap();
        assert_eq!(a.heads(), before);
        a.resolve("q1", false).unwrap();
        assert!(!a.comment("q1").unwrap().resolved);
    }

    #[test]
    fn comments_on_selects_one_target_in_list_order() {
        let mut d = CommentsDoc::new(&[1; 16]).unwrap();
        d.add_comment("c2", &comment(Some("2026-03-05"), "t1", CommentKind::Challenge, "Hindsight?")).unwrap();
        d.add_comment("c1", &comment(Some("2026-03-01"), "t1", CommentKind::Question, "Source?")).unwrap();
        d.add_comment("c3", &comment(Some("2026-03-02"), "f1", CommentKind::Approval, "Agreed.")).unwrap();
        d.add_comment("c4", &comment(None, "", CommentKind::Question, "Timeline complete?")).unwrap();
        let mut answer = comment(Some("2026-03-06"), "t1", CommentKind::Answer, "From the file extract.");
        answer.replies_to = Some("c1".into());
        answer.author = "peer-reviewer".into();
        d.add_comment("c5", &answer).unwrap();

        let ids = |v: Vec<(String, Comment)>| v.into_iter().map(|(id, _)| id).collect::<Vec<_>>();
        assert_eq!(ids(d.comments_on("t1").unwrap()), ["c1", "c2", "c5"]);
        assert_eq!(ids(d.comments_on("f1").unwrap()), ["c3"]);
        assert_eq!(ids(d.comments_on("").unwrap()), ["c4"]);
        assert!(d.comments_on("nothing").unwrap().is_empty());
    }

    #[test]
    fn comments_refuse_other_case_documents_and_vice_versa() {
        let mut comments = CommentsDoc::new(&[1; 16]).unwrap();
        let mut notes = NotesDoc::new(&[1; 16]).unwrap();
        let mut analysis = AnalysisDoc::new("Case", &[1; 16]).unwrap();
        assert!(matches!(CommentsDoc::load(&notes.save(), &[2; 16]), Err(CommentsError::Schema(_))));
        assert!(matches!(CommentsDoc::load(&analysis.save(), &[2; 16]), Err(CommentsError::Schema(_))));
        assert!(matches!(NotesDoc::load(&comments.save(), &[2; 16]), Err(NotesError::Schema(_))));
        assert!(matches!(AnalysisDoc::load(&comments.save(), &[2; 16]), Err(AnalysisError::Schema(_))));
    }

    #[test]
    fn a_blank_replica_catches_up() {
        let mut a = CommentsDoc::new(&[1; 16]).unwrap();
        a.add_comment("q1", &comment(Some("2026-03-01"), "t1", CommentKind::Question, "Why?")).unwrap();
        let mut blank = CommentsDoc::blank(&[2; 16]);
        assert!(blank.is_blank());
        blank.apply(&a.save_after(&[])).unwrap();
        assert!(!blank.is_blank());
        assert_eq!(blank.heads(), a.heads());
        assert_eq!(blank.to_json().unwrap(), a.to_json().unwrap());
        assert_eq!(a.to_json().unwrap()["kind"], "comments");
        assert_eq!(a.to_json().unwrap()["comments"][0]["id"], "q1");
        assert_eq!(a.to_json().unwrap()["comments"][0]["kind"], "question");
    }

    #[test]
    fn garbage_gives_errors_not_panics() {
        let mut good = CommentsDoc::new(&[1; 16]).unwrap();
        good.add_comment("c1", &comment(Some("2026-03-01"), "t1", CommentKind::Question, "Why?")).unwrap();
        let bytes = good.save();
        let mut inputs: Vec<Vec<u8>> = vec![Vec::new(), b"not automerge".to_vec(), vec![0; 64], vec![0xff; 300]];
        inputs.extend((1..bytes.len()).step_by(7).map(|n| bytes[..n].to_vec()));
        for i in (0..bytes.len()).step_by(5) {
            let mut flipped = bytes.clone();
            flipped[i] ^= 0x5a;
            inputs.push(flipped);
        }
        for input in &inputs {
            // Either an error or (for a flip that happens to keep the document valid) a comments document.
            if let Ok(d) = CommentsDoc::load(input, &[2; 16]) {
                let _ = d.comments();
                let _ = d.to_json();
            }
            let mut target = CommentsDoc::new(&[3; 16]).unwrap();
            let _ = target.apply(input);
            let _ = target.comments();
        }
        assert!(CommentsDoc::load(b"not automerge", &[2; 16]).is_err());
        assert!(CommentsDoc::load(&[], &[2; 16]).is_err());
    }
}
