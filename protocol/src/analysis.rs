//! The case's `analysis` document: a typed API over an Automerge document, so that no code outside this
//! module touches Automerge paths (groundwork for the case documents of issue 4: title, current step and the
//! integrated timeline so far).
//!
//! Layout (schema 1):
//!
//! ```text
//! ROOT { schema: 1, title: Text, step: { current: u64, dates: { "1".."6": "YYYY-MM-DD" } },
//!        timeline: { <entry id>: { date: "YYYY-MM-DD", precision: "day"|"month"|"year"|"approximate",
//!                                  actor, agency, what, known_then, decision, rationale, perspective: Text,
//!                                  contested: bool, sources: [str] } } }
//! ```
//!
//! Timeline entries live in a map under random ids, so concurrent additions never conflict, and every free
//! text field is an Automerge Text, edited by diff (`update_text`), so concurrent edits to one field merge
//! character-wise and edits to different fields of one entry both survive.

use automerge::transaction::Transactable;
use automerge::{ActorId, AutoCommit, AutomergeError, ChangeHash, ObjId, ObjType, ROOT, ReadDoc, ScalarValue, Value};
use serde::{Deserialize, Serialize};

use crate::time::CalendarDate;

/// How precisely the moment of a timeline entry is known.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Precision {
    /// The exact day.
    Day,
    /// The month (the date's day is ignored).
    Month,
    /// The year.
    Year,
    /// Roughly around the date.
    Approximate,
}

impl Precision {
    fn as_str(self) -> &'static str {
        match self {
            Precision::Day => "day",
            Precision::Month => "month",
            Precision::Year => "year",
            Precision::Approximate => "approximate",
        }
    }

    fn parse(s: &str) -> Option<Precision> {
        [Precision::Day, Precision::Month, Precision::Year, Precision::Approximate]
            .into_iter()
            .find(|p| p.as_str() == s)
    }
}

/// One entry of the integrated timeline: what happened, and what was known and believed then.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimelineEntry {
    /// When (see `precision`).
    pub date: Option<CalendarDate>,
    /// How precisely `date` is known.
    pub precision: Option<Precision>,
    /// Who acted (a pseudonym such as "GI-1").
    pub actor: String,
    /// Their organisation.
    pub agency: String,
    /// What happened.
    pub what: String,
    /// What was known or believed then (the view from then, without hindsight).
    pub known_then: String,
    /// The decision or action taken.
    pub decision: String,
    /// Its rationale.
    pub rationale: String,
    /// Whose perspective this entry tells.
    pub perspective: String,
    /// Whether the entry is contested between sources.
    pub contested: bool,
    /// Source references.
    pub sources: Vec<String>,
}

const TEXT_FIELDS: [&str; 7] = ["actor", "agency", "what", "known_then", "decision", "rationale", "perspective"];

impl TimelineEntry {
    fn text(&self, field: &str) -> &str {
        match field {
            "actor" => &self.actor,
            "agency" => &self.agency,
            "what" => &self.what,
            "known_then" => &self.known_then,
            "decision" => &self.decision,
            "rationale" => &self.rationale,
            _ => &self.perspective,
        }
    }

    fn text_mut(&mut self, field: &str) -> &mut String {
        match field {
            "actor" => &mut self.actor,
            "agency" => &mut self.agency,
            "what" => &mut self.what,
            "known_then" => &mut self.known_then,
            "decision" => &mut self.decision,
            "rationale" => &mut self.rationale,
            _ => &mut self.perspective,
        }
    }

    /// The day this entry sorts on: a month-level entry in the middle of its month, a year-level one in the
    /// middle of its year, so that "March 2024" sorts after "2 March" and before "28 March".
    pub fn sort_day(&self) -> Option<i64> {
        let d = self.date?;
        let (y, m, _) = d.ymd();
        Some(match self.precision.unwrap_or(Precision::Day) {
            Precision::Day | Precision::Approximate => d.days_since_epoch(),
            Precision::Month => {
                CalendarDate::from_ymd(y, m, 15).map(CalendarDate::days_since_epoch).unwrap_or(d.days_since_epoch())
            }
            Precision::Year => {
                CalendarDate::from_ymd(y, 7, 1).map(CalendarDate::days_since_epoch).unwrap_or(d.days_since_epoch())
            }
        })
    }
}

/// Errors of the analysis document.
#[derive(Debug, thiserror::Error)]
pub enum AnalysisError {
    /// Automerge refused an operation or the bytes do not load.
    #[error("automerge: {0}")]
    Automerge(#[from] AutomergeError),
    /// The document does not have the expected shape (another schema, or damaged).
    #[error("the analysis document is malformed: {0}")]
    Schema(&'static str),
    /// No timeline entry with this id.
    #[error("no timeline entry {0}")]
    NoEntry(String),
    /// The step is not 1-6.
    #[error("step must be 1 to 6")]
    BadStep,
}

/// The `analysis` document of a case.
pub struct AnalysisDoc {
    doc: AutoCommit,
}

impl AnalysisDoc {
    /// A new document with `title`, written by `actor` (the member's stable Automerge actor id).
    pub fn new(title: &str, actor: &[u8]) -> Result<AnalysisDoc, AnalysisError> {
        let mut doc = AutoCommit::new();
        doc.set_actor(ActorId::from(actor));
        doc.put(ROOT, "schema", 1u64)?;
        let t = doc.put_object(ROOT, "title", ObjType::Text)?;
        doc.update_text(&t, title)?;
        let step = doc.put_object(ROOT, "step", ObjType::Map)?;
        doc.put(&step, "current", 1u64)?;
        doc.put_object(&step, "dates", ObjType::Map)?;
        doc.put_object(ROOT, "timeline", ObjType::Map)?;
        Ok(AnalysisDoc { doc })
    }

    /// Loads a saved document, checking its shape; `actor` is who will write to it here.
    pub fn load(bytes: &[u8], actor: &[u8]) -> Result<AnalysisDoc, AnalysisError> {
        let mut doc = AutoCommit::load(bytes)?;
        doc.set_actor(ActorId::from(actor));
        let d = AnalysisDoc { doc };
        d.map("timeline")?;
        d.map("step")?;
        Ok(d)
    }

    /// The whole document, in Automerge's compressed format (loadable by any Automerge implementation).
    pub fn save(&mut self) -> Vec<u8> {
        self.doc.save()
    }

    /// The changes since `heads` (what a member seals into a bundle).
    pub fn save_after(&mut self, heads: &[ChangeHash]) -> Vec<u8> {
        self.doc.save_after(heads)
    }

    /// Applies changes produced by another member (`save_after` or `save` bytes).
    pub fn apply(&mut self, changes: &[u8]) -> Result<(), AnalysisError> {
        self.doc.load_incremental(changes)?;
        Ok(())
    }

    /// Merges another replica into this one.
    pub fn merge(&mut self, other: &mut AnalysisDoc) -> Result<(), AnalysisError> {
        self.doc.merge(&mut other.doc)?;
        Ok(())
    }

    /// A copy that diverges from here (for tests and offline simulations), written by `actor`.
    pub fn fork(&mut self, actor: &[u8]) -> AnalysisDoc {
        let mut doc = self.doc.fork();
        doc.set_actor(ActorId::from(actor));
        AnalysisDoc { doc }
    }

    /// The current heads: equal heads mean identical documents.
    pub fn heads(&mut self) -> Vec<ChangeHash> {
        self.doc.get_heads()
    }

    fn map(&self, key: &str) -> Result<ObjId, AnalysisError> {
        match self.doc.get(ROOT, key)? {
            Some((Value::Object(ObjType::Map), id)) => Ok(id),
            _ => Err(AnalysisError::Schema("a top-level map is missing")),
        }
    }

    fn text_at(&self, obj: &ObjId, key: &str) -> Result<String, AnalysisError> {
        match self.doc.get(obj, key)? {
            Some((Value::Object(ObjType::Text), id)) => Ok(self.doc.text(&id)?),
            Some((Value::Scalar(s), _)) => Ok(s.as_str().unwrap_or_default().to_string()),
            _ => Ok(String::new()),
        }
    }

    fn scalar_str(&self, obj: &ObjId, key: &str) -> Result<Option<String>, AnalysisError> {
        Ok(match self.doc.get(obj, key)? {
            Some((Value::Scalar(s), _)) => s.as_str().map(str::to_string),
            _ => None,
        })
    }

    /// The title.
    pub fn title(&self) -> Result<String, AnalysisError> {
        self.text_at(&ROOT, "title")
    }

    /// The current step (1-6).
    pub fn step(&self) -> Result<u64, AnalysisError> {
        let step = self.map("step")?;
        Ok(match self.doc.get(&step, "current")? {
            Some((Value::Scalar(s), _)) => match s.as_ref() {
                ScalarValue::Uint(n) => *n,
                ScalarValue::Int(n) => u64::try_from(*n).unwrap_or(1),
                _ => 1,
            },
            _ => 1,
        })
    }

    /// Moves the case to `step` on `date`.
    pub fn set_step(&mut self, step: u64, date: CalendarDate) -> Result<(), AnalysisError> {
        if !(1..=6).contains(&step) {
            return Err(AnalysisError::BadStep);
        }
        let s = self.map("step")?;
        self.doc.put(&s, "current", step)?;
        let dates = match self.doc.get(&s, "dates")? {
            Some((Value::Object(ObjType::Map), id)) => id,
            _ => self.doc.put_object(&s, "dates", ObjType::Map)?,
        };
        self.doc.put(&dates, step.to_string(), date.to_string())?;
        Ok(())
    }

    /// Adds a timeline entry under `id` (a fresh random id from the caller).
    pub fn add_timeline_entry(&mut self, id: &str, entry: &TimelineEntry) -> Result<(), AnalysisError> {
        let timeline = self.map("timeline")?;
        let e = self.doc.put_object(&timeline, id, ObjType::Map)?;
        for field in TEXT_FIELDS {
            let t = self.doc.put_object(&e, field, ObjType::Text)?;
            self.doc.update_text(&t, entry.text(field))?;
        }
        self.write_scalars(&e, entry)?;
        Ok(())
    }

    fn write_scalars(&mut self, e: &ObjId, entry: &TimelineEntry) -> Result<(), AnalysisError> {
        match entry.date {
            Some(d) => self.doc.put(e, "date", d.to_string())?,
            None => self.doc.put(e, "date", ScalarValue::Null)?,
        }
        self.doc.put(e, "precision", entry.precision.unwrap_or(Precision::Day).as_str())?;
        self.doc.put(e, "contested", entry.contested)?;
        let sources = self.doc.put_object(e, "sources", ObjType::List)?;
        for (i, s) in entry.sources.iter().enumerate() {
            self.doc.insert(&sources, i, s.as_str())?;
        }
        Ok(())
    }

    fn entry_obj(&self, id: &str) -> Result<ObjId, AnalysisError> {
        let timeline = self.map("timeline")?;
        match self.doc.get(&timeline, id)? {
            Some((Value::Object(ObjType::Map), obj)) => Ok(obj),
            _ => Err(AnalysisError::NoEntry(id.to_string())),
        }
    }

    /// Edits an entry: only the fields that differ from the current value are written, and text by diff,
    /// so a concurrent edit of another field (or another part of the same text) by someone else survives.
    pub fn edit_timeline_entry(&mut self, id: &str, new: &TimelineEntry) -> Result<(), AnalysisError> {
        let e = self.entry_obj(id)?;
        let old = self.read_entry(&e)?;
        for field in TEXT_FIELDS {
            if old.text(field) != new.text(field) {
                let t = match self.doc.get(&e, field)? {
                    Some((Value::Object(ObjType::Text), t)) => t,
                    _ => self.doc.put_object(&e, field, ObjType::Text)?,
                };
                self.doc.update_text(&t, new.text(field))?;
            }
        }
        if old.date != new.date {
            match new.date {
                Some(d) => self.doc.put(&e, "date", d.to_string())?,
                None => self.doc.put(&e, "date", ScalarValue::Null)?,
            }
        }
        if old.precision != new.precision {
            self.doc.put(&e, "precision", new.precision.unwrap_or(Precision::Day).as_str())?;
        }
        if old.contested != new.contested {
            self.doc.put(&e, "contested", new.contested)?;
        }
        if old.sources != new.sources {
            let sources = self.doc.put_object(&e, "sources", ObjType::List)?;
            for (i, s) in new.sources.iter().enumerate() {
                self.doc.insert(&sources, i, s.as_str())?;
            }
        }
        Ok(())
    }

    /// Removes an entry.
    pub fn remove_timeline_entry(&mut self, id: &str) -> Result<(), AnalysisError> {
        self.entry_obj(id)?;
        let timeline = self.map("timeline")?;
        self.doc.delete(&timeline, id)?;
        Ok(())
    }

    fn read_entry(&self, e: &ObjId) -> Result<TimelineEntry, AnalysisError> {
        let mut entry = TimelineEntry {
            date: self.scalar_str(e, "date")?.and_then(|d| d.parse().ok()),
            precision: self.scalar_str(e, "precision")?.as_deref().and_then(Precision::parse),
            contested: matches!(self.doc.get(e, "contested")?, Some((Value::Scalar(s), _)) if s.as_ref() == &ScalarValue::Boolean(true)),
            ..TimelineEntry::default()
        };
        for field in TEXT_FIELDS {
            *entry.text_mut(field) = self.text_at(e, field)?;
        }
        if let Some((Value::Object(ObjType::List), list)) = self.doc.get(e, "sources")? {
            for i in 0..self.doc.length(&list) {
                if let Some((Value::Scalar(s), _)) = self.doc.get(&list, i)? {
                    entry.sources.push(s.as_str().unwrap_or_default().to_string());
                }
            }
        }
        Ok(entry)
    }

    /// One entry.
    pub fn timeline_entry(&self, id: &str) -> Result<TimelineEntry, AnalysisError> {
        self.read_entry(&self.entry_obj(id)?)
    }

    /// The timeline in time order: by sort day (approximate dates placed sensibly), undated entries last,
    /// ties by precision and then id so every member sees the same order.
    pub fn timeline(&self) -> Result<Vec<(String, TimelineEntry)>, AnalysisError> {
        let timeline = self.map("timeline")?;
        let mut out = Vec::new();
        for id in self.doc.keys(&timeline) {
            if let Some((Value::Object(ObjType::Map), e)) = self.doc.get(&timeline, id.as_str())? {
                out.push((id.clone(), self.read_entry(&e)?));
            }
        }
        out.sort_by(|(ia, a), (ib, b)| {
            let key = |e: &TimelineEntry| (e.sort_day().is_none(), e.sort_day(), e.precision);
            key(a).cmp(&key(b)).then_with(|| ia.cmp(ib))
        });
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(date: &str, precision: Precision, what: &str) -> TimelineEntry {
        TimelineEntry {
            date: Some(date.parse().unwrap()),
            precision: Some(precision),
            actor: "GI-1".into(),
            agency: "GI".into(),
            what: what.into(),
            ..TimelineEntry::default()
        }
    }

    #[test]
    fn concurrent_edits_to_one_entry_both_survive_and_text_merges_characterwise() {
        let mut a = AnalysisDoc::new("Case 12", &[1; 16]).unwrap();
        a.add_timeline_entry("e1", &entry("2024-03-02", Precision::Day, "Home visit by the family guardian")).unwrap();
        let mut b = a.fork(&[2; 16]);

        // a edits `what` (inserting in the middle); b edits `decision` and appends to `what`.
        let mut ea = a.timeline_entry("e1").unwrap();
        ea.what = "Unannounced home visit by the family guardian".into();
        a.edit_timeline_entry("e1", &ea).unwrap();
        let mut eb = b.timeline_entry("e1").unwrap();
        eb.decision = "No safety plan drawn up".into();
        eb.what = "Home visit by the family guardian, mother present".into();
        b.edit_timeline_entry("e1", &eb).unwrap();

        a.merge(&mut b).unwrap();
        b.merge(&mut a).unwrap();
        assert_eq!(a.heads(), b.heads());
        let merged = a.timeline_entry("e1").unwrap();
        assert_eq!(merged.decision, "No safety plan drawn up");
        assert_eq!(merged.what, "Unannounced home visit by the family guardian, mother present");
        assert_eq!(b.timeline().unwrap(), a.timeline().unwrap());
    }

    #[test]
    fn timeline_lists_in_time_order_with_approximate_dates_placed_sensibly() {
        let mut d = AnalysisDoc::new("Case", &[1; 16]).unwrap();
        d.add_timeline_entry("late", &entry("2024-03-28", Precision::Day, "late March")).unwrap();
        d.add_timeline_entry("month", &entry("2024-03-01", Precision::Month, "some time in March")).unwrap();
        d.add_timeline_entry("early", &entry("2024-03-02", Precision::Day, "2 March")).unwrap();
        d.add_timeline_entry("year", &entry("2023-01-01", Precision::Year, "during 2023")).unwrap();
        let mut undated = entry("2024-01-01", Precision::Day, "undated");
        undated.date = None;
        d.add_timeline_entry("undated", &undated).unwrap();
        let order: Vec<String> = d.timeline().unwrap().into_iter().map(|(id, _)| id).collect();
        assert_eq!(order, ["year", "early", "month", "late", "undated"]);
        d.remove_timeline_entry("late").unwrap();
        assert!(matches!(d.timeline_entry("late"), Err(AnalysisError::NoEntry(_))));
    }

    #[test]
    fn saves_loads_and_applies_incremental_changes() {
        let mut a = AnalysisDoc::new("Case 7", &[1; 16]).unwrap();
        a.set_step(2, "2026-11-22".parse().unwrap()).unwrap();
        let base = a.save();
        let heads = a.heads();
        let mut e = entry("2024-05-05", Precision::Approximate, "School reports absence");
        e.sources = vec!["interview M1".into(), "file extract 3".into()];
        e.contested = true;
        a.add_timeline_entry("e1", &e).unwrap();
        let delta = a.save_after(&heads);
        let mut b = AnalysisDoc::load(&base, &[2; 16]).unwrap();
        b.apply(&delta).unwrap();
        assert_eq!(b.timeline_entry("e1").unwrap(), e);
        assert_eq!(b.step().unwrap(), 2);
        assert_eq!(b.title().unwrap(), "Case 7");
        assert_eq!(a.heads(), b.heads());
        // Any Automerge implementation can load the saved bytes.
        let raw = automerge::AutoCommit::load(&a.save()).unwrap();
        assert!(raw.get(ROOT, "timeline").unwrap().is_some());
        assert!(matches!(a.set_step(7, "2026-11-22".parse().unwrap()), Err(AnalysisError::BadStep)));
        assert!(AnalysisDoc::load(b"not automerge", &[1; 16]).is_err());
    }
}
