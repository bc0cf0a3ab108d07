//! The app's two languages: Dutch (the default) and English, from Project Fluent catalogues compiled into
//! the binary, and dates as people write them ("29 november 2026", "29 November 2026").
//!
//! Every text a page shows goes through [`Tr::get`]. A key missing from the active catalogue renders as
//! `⟦key⟧`, which no page may contain: the tests look for that mark, and a test compares the keys of
//! both catalogues, so a missing translation fails the build's tests rather than reaching a user.

use std::sync::OnceLock;

use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource, FluentValue};
use samenloop_protocol::{CalendarDate, UnixTime};
use unic_langid::LanguageIdentifier;

/// The Dutch catalogue, as shipped.
pub(crate) const NL_FTL: &str = include_str!("../../locales/nl.ftl");
/// The English catalogue, as shipped.
pub(crate) const EN_FTL: &str = include_str!("../../locales/en.ftl");

/// The mark around a key that has no message: never shown to a user without a test failing.
pub(crate) const MISSING_OPEN: char = '⟦';

/// A language the app speaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lang {
    /// Dutch, the default.
    Nl,
    /// English.
    En,
}

impl Lang {
    /// Both, Dutch first.
    pub const ALL: [Lang; 2] = [Lang::Nl, Lang::En];

    /// The BCP 47 tag (`nl`, `en`), as in `<html lang>` and the language cookie.
    pub fn code(self) -> &'static str {
        match self {
            Lang::Nl => "nl",
            Lang::En => "en",
        }
    }

    /// The language a tag names (`nl`, `nl-NL`, `en-GB`...), if it is one of ours.
    pub fn from_tag(tag: &str) -> Option<Lang> {
        let primary = tag.trim().split(['-', '_']).next()?.to_ascii_lowercase();
        match primary.as_str() {
            "nl" => Some(Lang::Nl),
            "en" => Some(Lang::En),
            _ => None,
        }
    }

    /// The first of our languages in an `Accept-Language` header, by the header's weights; Dutch when it
    /// names neither.
    pub fn negotiate(accept_language: Option<&str>) -> Lang {
        let Some(header) = accept_language else { return Lang::Nl };
        let mut best: Option<(f32, usize, Lang)> = None;
        for (i, item) in header.split(',').enumerate() {
            let mut parts = item.split(';');
            let tag = parts.next().unwrap_or("");
            let q = parts
                .find_map(|p| p.trim().strip_prefix("q="))
                .and_then(|q| q.trim().parse::<f32>().ok())
                .unwrap_or(1.0);
            if let Some(lang) = Lang::from_tag(tag)
                && q > 0.0
                && best.is_none_or(|(bq, bi, _)| q > bq || (q == bq && i < bi))
            {
                best = Some((q, i, lang));
            }
        }
        best.map(|(_, _, l)| l).unwrap_or(Lang::Nl)
    }

    fn source(self) -> &'static str {
        match self {
            Lang::Nl => NL_FTL,
            Lang::En => EN_FTL,
        }
    }

    fn bundle(self) -> &'static FluentBundle<FluentResource> {
        static NL: OnceLock<FluentBundle<FluentResource>> = OnceLock::new();
        static EN: OnceLock<FluentBundle<FluentResource>> = OnceLock::new();
        let cell = match self {
            Lang::Nl => &NL,
            Lang::En => &EN,
        };
        cell.get_or_init(|| build_bundle(self))
    }
}

/// Builds one language's bundle. The catalogues are compiled in and checked by tests, so a syntax error
/// cannot reach a release; should one slip through, the entries that parsed are still used.
fn build_bundle(lang: Lang) -> FluentBundle<FluentResource> {
    let id: LanguageIdentifier = lang.code().parse().unwrap_or_default();
    let mut bundle = FluentBundle::new_concurrent(vec![id]);
    // Unicode isolation marks around arguments would show up in HTML attributes and tests.
    bundle.set_use_isolating(false);
    let resource = match FluentResource::try_new(lang.source().to_string()) {
        Ok(r) => r,
        Err((r, errors)) => {
            tracing::error!(lang = lang.code(), ?errors, "message catalogue has errors");
            r
        }
    };
    if let Err(errors) = bundle.add_resource(resource) {
        tracing::error!(lang = lang.code(), ?errors, "message catalogue has duplicate keys");
    }
    bundle
}

/// The message ids of a catalogue's source, in order: what the key-parity test compares.
#[cfg(test)]
pub(crate) fn message_ids(source: &str) -> Vec<String> {
    source
        .lines()
        .filter(|l| l.chars().next().is_some_and(|c| c.is_ascii_alphabetic()))
        .filter_map(|l| l.split_once('=').map(|(k, _)| k.trim().to_string()))
        .collect()
}

/// A translator for one page: the user's language and its catalogue. Templates call its methods.
#[derive(Clone, Copy, Debug)]
pub struct Tr {
    /// The language pages are rendered in.
    pub lang: Lang,
}

impl Tr {
    /// The translator for `lang`.
    pub fn new(lang: Lang) -> Tr {
        Tr { lang }
    }

    /// The message `key`, or `⟦key⟧` when the catalogue lacks it.
    pub fn get(&self, key: &str) -> String {
        self.format(key, None)
    }

    /// The message `key` with one argument.
    pub fn arg(&self, key: &str, name: &str, value: impl ToString) -> String {
        let mut args = FluentArgs::new();
        args.set(name.to_string(), FluentValue::from(value.to_string()));
        self.format(key, Some(&args))
    }

    /// The message `key` with several text arguments.
    pub fn args(&self, key: &str, values: &[(&str, &dyn ToString)]) -> String {
        let mut args = FluentArgs::new();
        for (name, value) in values {
            args.set(name.to_string(), FluentValue::from(value.to_string()));
        }
        self.format(key, Some(&args))
    }

    /// The message `key` with a number argument (for plurals).
    pub fn count(&self, key: &str, name: &str, n: impl std::borrow::Borrow<usize>) -> String {
        let mut args = FluentArgs::new();
        args.set(name.to_string(), FluentValue::from(*n.borrow()));
        self.format(key, Some(&args))
    }

    fn format(&self, key: &str, args: Option<&FluentArgs>) -> String {
        let bundle = self.lang.bundle();
        let Some(pattern) = bundle.get_message(key).and_then(|m| m.value()) else {
            return format!("{MISSING_OPEN}{key}⟧");
        };
        let mut errors = Vec::new();
        let text = bundle.format_pattern(pattern, args, &mut errors).into_owned();
        if !errors.is_empty() {
            tracing::warn!(key, ?errors, "message formatted with errors");
        }
        text
    }

    /// A field's problem in the user's language, from its code (the English sentence is for the CLI).
    pub fn problem(&self, p: &samenloop_protocol::FieldProblem) -> String {
        use samenloop_protocol::ProblemKind as K;
        match &p.kind {
            K::Required => self.get("problem-required"),
            K::TooLong { max } => self.count("problem-too-long", "max", *max),
            K::ControlCharacters => self.get("problem-control-characters"),
            K::TooMany { max } => self.count("problem-too-many", "max", *max),
            K::InvalidTag => self.get("problem-invalid-tag"),
            K::Duplicate => self.get("problem-duplicate"),
            K::InvalidLanguage => self.get("problem-invalid-language"),
            K::InvalidItem { max } => self.count("problem-invalid-item", "max", *max),
            K::TooHigh { max } => self.arg("problem-too-high", "max", max),
            K::TooLow { min } => self.arg("problem-too-low", "min", min),
            K::EndsBeforeStart => self.get("problem-ends-before-start"),
            K::Other => self.arg("problem-other", "detail", &p.problem),
        }
    }

    /// A date as people write it: "29 november 2026" in Dutch, "29 November 2026" in English.
    pub fn date(&self, date: CalendarDate) -> String {
        let (y, m, d) = date.ymd();
        let month = self.get(&format!("month-{m}"));
        format!("{d} {month} {y}")
    }

    /// The calendar date of an instant (UTC), written as [`Tr::date`] does.
    pub fn day_of(&self, t: UnixTime) -> String {
        self.date(CalendarDate::from_days_since_epoch(i64::try_from(t.0 / 86_400).unwrap_or(i64::MAX)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_catalogues_hold_the_same_keys() {
        let nl = message_ids(NL_FTL);
        let en = message_ids(EN_FTL);
        let missing_en: Vec<_> = nl.iter().filter(|k| !en.contains(k)).collect();
        let missing_nl: Vec<_> = en.iter().filter(|k| !nl.contains(k)).collect();
        assert!(missing_en.is_empty(), "keys missing from en.ftl: {missing_en:?}");
        assert!(missing_nl.is_empty(), "keys missing from nl.ftl: {missing_nl:?}");
        assert!(nl.len() > 20, "the catalogues look empty");
    }

    #[test]
    fn both_catalogues_parse_without_errors() {
        for lang in Lang::ALL {
            let parsed = FluentResource::try_new(lang.source().to_string());
            assert!(parsed.is_ok(), "{} does not parse: {:?}", lang.code(), parsed.err().map(|e| e.1));
            for key in message_ids(lang.source()) {
                let text = Tr::new(lang).get(&key);
                assert!(!text.contains(MISSING_OPEN), "{}: {key} has no value", lang.code());
            }
        }
    }

    #[test]
    fn a_missing_key_is_marked() {
        assert_eq!(Tr::new(Lang::Nl).get("no-such-key"), "⟦no-such-key⟧");
    }

    #[test]
    fn dates_are_written_as_people_write_them() {
        let d: CalendarDate = "2026-11-29".parse().unwrap();
        assert_eq!(Tr::new(Lang::Nl).date(d), "29 november 2026");
        assert_eq!(Tr::new(Lang::En).date(d), "29 November 2026");
    }

    #[test]
    fn accept_language_decides_and_dutch_is_the_default() {
        assert_eq!(Lang::negotiate(None), Lang::Nl);
        assert_eq!(Lang::negotiate(Some("fr-FR, de;q=0.8")), Lang::Nl);
        assert_eq!(Lang::negotiate(Some("en-GB,en;q=0.9,nl;q=0.8")), Lang::En);
        assert_eq!(Lang::negotiate(Some("de, nl;q=0.7, en;q=0.5")), Lang::Nl);
        assert_eq!(Lang::negotiate(Some("en;q=0.2, nl-BE;q=0.9")), Lang::Nl);
        assert_eq!(Lang::negotiate(Some("en;q=0")), Lang::Nl);
    }
}
