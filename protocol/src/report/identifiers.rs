//! Identifier scanners. Each works on the text's chars (and a lower-cased copy of the same length) and
//! reports half-open char ranges, so no text can make it slice inside a UTF-8 sequence or panic.

use super::IdentifierKind;

/// One hit inside one text, as a char range.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(super) struct Hit {
    pub(super) start: usize,
    pub(super) end: usize,
    pub(super) kind: IdentifierKind,
}

/// A real name to look for: its words, lower-cased.
type NamePattern = Vec<Vec<char>>;

/// One char lower-cased to one char, so the lower-cased copy lines up with the original.
fn lower(c: char) -> char {
    c.to_lowercase().next().unwrap_or(c)
}

/// The patterns for the real names: each full name, and its surname (last word) when that has at least 3
/// letters. First names alone are not searched: they are too common to block on.
pub(super) fn name_patterns(real_names: &[(String, String)]) -> Vec<NamePattern> {
    let mut out: Vec<NamePattern> = Vec::new();
    for (_, name) in real_names {
        let words: NamePattern = name.split_whitespace().map(|w| w.chars().map(lower).collect()).collect();
        let Some(last) = words.last().cloned() else { continue };
        if words.len() > 1
            && last.iter().filter(|c| c.is_alphabetic()).count() >= 3
            && !out.contains(&vec![last.clone()])
        {
            out.push(vec![last]);
        }
        if !out.contains(&words) {
            out.push(words);
        }
    }
    out
}

/// Every identifier in one text, in text order.
pub(super) fn scan_chars(chars: &[char], names: &[NamePattern]) -> Vec<Hit> {
    let low: Vec<char> = chars.iter().map(|c| lower(*c)).collect();
    let mut hits = Vec::new();
    find_names(&low, names, &mut hits);
    find_emails(chars, &mut hits);
    let runs = digit_runs(chars);
    find_phones(chars, &runs, &mut hits);
    find_bsns(chars, &runs, &mut hits);
    find_postcodes(chars, &runs, &mut hits);
    find_dates_of_birth(chars, &low, &mut hits);
    hits.sort();
    hits.dedup();
    hits
}

fn is_alnum_at(chars: &[char], i: usize) -> bool {
    chars.get(i).is_some_and(|c| c.is_alphanumeric())
}

fn is_digit_at(chars: &[char], i: usize) -> bool {
    chars.get(i).is_some_and(char::is_ascii_digit)
}

/// Whether the char before `i` (if any) is alphanumeric.
fn alnum_before(chars: &[char], i: usize) -> bool {
    i > 0 && is_alnum_at(chars, i - 1)
}

/// `words` matched at `start` (separated by any whitespace); the end of the match.
fn match_words(low: &[char], start: usize, words: &[Vec<char>]) -> Option<usize> {
    let mut pos = start;
    for (k, w) in words.iter().enumerate() {
        if k > 0 {
            let ws = low.get(pos..)?.iter().take_while(|c| c.is_whitespace()).count();
            if ws == 0 {
                return None;
            }
            pos += ws;
        }
        let end = pos.checked_add(w.len())?;
        if low.get(pos..end)? != w.as_slice() {
            return None;
        }
        pos = end;
    }
    Some(pos)
}

/// Real names as whole words, case-insensitively. A surname inside a full-name hit is not reported twice.
fn find_names(low: &[char], names: &[NamePattern], hits: &mut Vec<Hit>) {
    let mut found: Vec<Hit> = Vec::new();
    for pattern in names {
        let Some(first) = pattern.first().and_then(|w| w.first()) else { continue };
        for (i, c) in low.iter().enumerate() {
            if c != first || alnum_before(low, i) {
                continue;
            }
            if let Some(end) = match_words(low, i, pattern)
                && !is_alnum_at(low, end)
            {
                found.push(Hit { start: i, end, kind: IdentifierKind::RealName });
            }
        }
    }
    let all = found.clone();
    found.retain(|h| !all.iter().any(|o| o != h && o.start <= h.start && h.end <= o.end));
    hits.extend(found);
}

fn is_local_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '%' | '+' | '-')
}

fn is_domain_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '.' | '-')
}

/// local@domain.tld, with a top-level domain of at least two letters.
fn find_emails(chars: &[char], hits: &mut Vec<Hit>) {
    for (at, c) in chars.iter().enumerate() {
        if *c != '@' {
            continue;
        }
        let mut l = at;
        while l > 0 && is_local_char(chars[l - 1]) {
            l -= 1;
        }
        while l < at && chars[l] == '.' {
            l += 1;
        }
        if l == at {
            continue;
        }
        let mut r = at + 1;
        while r < chars.len() && is_domain_char(chars[r]) {
            r += 1;
        }
        while r > at + 1 && matches!(chars[r - 1], '.' | '-') {
            r -= 1;
        }
        let domain: String = chars[at + 1..r].iter().collect();
        let labels: Vec<&str> = domain.split('.').collect();
        let tld_ok = labels.last().is_some_and(|t| t.len() >= 2 && t.chars().all(|c| c.is_ascii_alphabetic()));
        if labels.len() >= 2 && labels.iter().all(|l| !l.is_empty()) && tld_ok {
            hits.push(Hit { start: l, end: r, kind: IdentifierKind::Email });
        }
    }
}

/// A maximal run of ASCII digits, as a char range.
#[derive(Clone, Copy)]
struct Run {
    start: usize,
    end: usize,
}

impl Run {
    fn len(self) -> usize {
        self.end - self.start
    }
}

fn digit_runs(chars: &[char]) -> Vec<Run> {
    let mut runs = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        if chars[i].is_ascii_digit() {
            let start = i;
            while i < chars.len() && chars[i].is_ascii_digit() {
                i += 1;
            }
            runs.push(Run { start, end: i });
        } else {
            i += 1;
        }
    }
    runs
}

/// The one separator char between run `k` and run `k + 1`, if they are that close.
fn link(chars: &[char], runs: &[Run], k: usize) -> Option<char> {
    let (a, b) = (runs.get(k)?, runs.get(k + 1)?);
    (a.end + 1 == b.start).then(|| chars[a.end])
}

/// The separator before run `k` (None for the first run).
fn link_before(chars: &[char], runs: &[Run], k: usize) -> Option<char> {
    k.checked_sub(1).and_then(|p| link(chars, runs, p))
}

fn digits_of(chars: &[char], run: Run) -> Vec<u8> {
    chars[run.start..run.end].iter().filter_map(|c| c.to_digit(10)).filter_map(|d| u8::try_from(d).ok()).collect()
}

fn overlaps(hits: &[Hit], start: usize, end: usize) -> bool {
    hits.iter().any(|h| h.start < end && start < h.end)
}

/// Dutch phone numbers: 10 digits starting with 0 (not 00), +31 and 9 digits, or 0031 and 9 digits, with
/// the groups apart as people write them: a space, a dash or an en dash, a dash with spaces around it, the
/// area code in brackets (`(020) 123 4567`), and the `+31 (0)20 ...` form whose bracketed 0 is not dialled.
/// Dates (dd-mm-yyyy ...), times and longer numbers are refused.
fn find_phones(chars: &[char], runs: &[Run], hits: &mut Vec<Hit>) {
    for (k, run) in runs.iter().enumerate() {
        let first = digits_of(chars, *run);
        let plus = run.start > 0 && chars[run.start - 1] == '+';
        // "(020) 123 4567": the bracket belongs to the number when it closes right after the area code.
        let bracketed = !plus
            && run.start > 0
            && chars[run.start - 1] == '('
            && chars.get(run.end) == Some(&')')
            && first.first() == Some(&0)
            && (2..=4).contains(&run.len());
        let start = if plus || bracketed { run.start - 1 } else { run.start };
        if alnum_before(chars, start) {
            continue;
        }
        // (digits wanted, how many leading digits are the prefix before the subscriber's first digit)
        let (target, prefix) = if plus {
            if !first.starts_with(&[3, 1]) {
                continue;
            }
            (11, 2)
        } else if first.starts_with(&[0, 0, 3, 1]) {
            (13, 4)
        } else if first.first() == Some(&0) {
            (10, 1)
        } else {
            continue;
        };
        if !plus && !bracketed && matches!(link_before(chars, runs, k), Some(c) if c != ' ') {
            continue; // part of a longer number or a date
        }
        let mut digits = first;
        let mut lens = vec![run.len()];
        let mut j = k;
        while digits.len() < target && j + 1 < runs.len() {
            let (gap_from, next) = (runs[j].end, runs[j + 1]);
            // "+31 (0)20 ...": the trunk 0 in brackets is skipped, not counted.
            if plus && j == k && next.len() == 1 && chars[next.start] == '0' && trunk_zero(chars, gap_from, next) {
                if let Some(after) = runs.get(j + 2)
                    && after.start == next.end + 1 + usize::from(chars.get(next.end + 1) == Some(&' '))
                {
                    j += 2;
                    digits.extend(digits_of(chars, runs[j]));
                    lens.push(runs[j].len());
                    continue;
                }
                break;
            }
            if !phone_gap(&chars[gap_from..next.start], bracketed && j == k) {
                break;
            }
            j += 1;
            digits.extend(digits_of(chars, runs[j]));
            lens.push(runs[j].len());
        }
        if digits.len() != target || digits.get(prefix).is_none_or(|d| *d == 0) {
            continue;
        }
        let end = runs[j].end;
        if matches!(link(chars, runs, j), Some(c) if c != ' ') || chars.get(end).is_some_and(|c| c.is_alphabetic()) {
            continue;
        }
        // "02-03-2024 12": a date followed by a number, not a phone number (a number with +31 or a
        // bracketed area code is not a date).
        if !plus && !bracketed && lens.len() >= 3 && lens[0] <= 2 && lens[1] <= 2 && lens[2] == 4 {
            continue;
        }
        hits.push(Hit { start, end, kind: IdentifierKind::Phone });
    }
}

/// Whether the text between two groups of a phone number is a separator people write: a space, a dash or
/// an en dash, either with spaces around it; after a bracketed area code, the closing bracket (and a space
/// or dash).
fn phone_gap(gap: &[char], after_bracket: bool) -> bool {
    let dash = |c: &char| matches!(c, '-' | '\u{2013}');
    let gap = match gap {
        [')', rest @ ..] if after_bracket => rest,
        _ if after_bracket => return false,
        _ => gap,
    };
    match gap {
        [] => after_bracket,
        [' '] => true,
        [d] => dash(d),
        [' ', d, ' '] => dash(d),
        _ => false,
    }
}

/// Whether `next` (a lone 0) is written as "(0)" right after `from`, with at most one space before it.
fn trunk_zero(chars: &[char], from: usize, next: Run) -> bool {
    let open = next.start.checked_sub(1);
    open.is_some_and(|o| chars[o] == '(' && (o == from || (o == from + 1 && chars[from] == ' ')))
        && chars.get(next.end) == Some(&')')
}

/// The eleven-test of the BSN: 9*d1 + 8*d2 + ... + 2*d8 - 1*d9 is a multiple of 11 (and not all zeros).
pub(super) fn eleven_test(d: &[u8]) -> bool {
    if d.len() != 9 || d.iter().all(|x| *x == 0) {
        return false;
    }
    let mut sum: i64 = 0;
    for (i, x) in d.iter().enumerate() {
        let weight = if i == 8 { -1 } else { 9 - i as i64 };
        sum += weight * i64::from(*x);
    }
    sum.rem_euclid(11) == 0
}

/// BSNs: 9 digits, bare or as 3-3-3 groups separated by dots or spaces, passing the eleven-test. Digits
/// already part of a phone number or an e-mail address, and parts of longer numbers, are skipped.
fn find_bsns(chars: &[char], runs: &[Run], hits: &mut Vec<Hit>) {
    let taken: Vec<Hit> = hits.clone();
    let alpha_around = |start: usize, end: usize| {
        (start > 0 && chars[start - 1].is_alphabetic()) || chars.get(end).is_some_and(|c| c.is_alphabetic())
    };
    for (k, &run) in runs.iter().enumerate() {
        if run.len() == 9
            && !matches!(link_before(chars, runs, k), Some(c) if c != ' ')
            && !matches!(link(chars, runs, k), Some(c) if c != ' ')
            && !alpha_around(run.start, run.end)
            && !overlaps(&taken, run.start, run.end)
            && eleven_test(&digits_of(chars, run))
        {
            hits.push(Hit { start: run.start, end: run.end, kind: IdentifierKind::Bsn });
        }
        let Some(group) = runs.get(k..k + 3) else { continue };
        let sep = link(chars, runs, k);
        if group.iter().any(|r| r.len() != 3) || !matches!(sep, Some('.' | ' ')) || link(chars, runs, k + 1) != sep {
            continue;
        }
        // A neighbouring group joined the same way (or by a decimal mark) makes it part of a longer number.
        let joins = |l: Option<char>, neighbour: Option<&Run>| match l {
            Some('.' | ',') => true,
            Some(c) => Some(c) == sep && neighbour.is_some_and(|r| r.len() == 3),
            None => false,
        };
        let (start, end) = (group[0].start, group[2].end);
        if joins(link_before(chars, runs, k), k.checked_sub(1).and_then(|p| runs.get(p)))
            || joins(link(chars, runs, k + 2), runs.get(k + 3))
            || alpha_around(start, end)
            || overlaps(&taken, start, end)
        {
            continue;
        }
        let digits: Vec<u8> = group.iter().flat_map(|r| digits_of(chars, *r)).collect();
        if eleven_test(&digits) {
            hits.push(Hit { start, end, kind: IdentifierKind::Bsn });
        }
    }
}

/// A house number right after a postcode ("1234 AB 5", "1234 AB, 12a"); the end of the match.
fn house_number_after(chars: &[char], from: usize) -> Option<usize> {
    let mut q = from;
    if chars.get(q) == Some(&',') {
        q += 1;
    }
    while chars.get(q) == Some(&' ') {
        q += 1;
    }
    if q == from {
        return None;
    }
    let digits = q;
    while is_digit_at(chars, q) {
        q += 1;
    }
    if q == digits || q - digits > 5 || chars[digits] == '0' {
        return None;
    }
    if chars.get(q).is_some_and(char::is_ascii_alphabetic) && !is_alnum_at(chars, q + 1) {
        q += 1; // "12a"
    } else if is_alnum_at(chars, q) {
        return None;
    }
    if matches!(chars.get(q), Some(':' | '.' | ',')) && is_digit_at(chars, q + 1) {
        return None; // a time or a decimal, not a house number
    }
    Some(q)
}

/// A house number right before a postcode ("Kerkstraat 12, 1234 AB"); the start of the match.
fn house_number_before(chars: &[char], postcode: usize) -> Option<usize> {
    let mut q = postcode;
    while q > 0 && chars[q - 1] == ' ' {
        q -= 1;
    }
    if q > 0 && chars[q - 1] == ',' {
        q -= 1;
        while q > 0 && chars[q - 1] == ' ' {
            q -= 1;
        }
    }
    if q == postcode {
        return None;
    }
    if q > 1 && chars[q - 1].is_ascii_alphabetic() && chars[q - 2].is_ascii_digit() {
        q -= 1; // "12a"
    }
    let end = q;
    while q > 0 && chars[q - 1].is_ascii_digit() {
        q -= 1;
    }
    if q == end || end - q > 5 || chars[q] == '0' {
        return None;
    }
    if q > 0 && (chars[q - 1].is_alphanumeric() || matches!(chars[q - 1], '.' | ':' | '/' | '-' | ',')) {
        return None;
    }
    Some(q)
}

/// Postcodes (1000-9999, optional space, two capitals other than SA, SD and SS) with a house number right
/// before or after them. A postcode alone (a neighbourhood) is not reported.
fn find_postcodes(chars: &[char], runs: &[Run], hits: &mut Vec<Hit>) {
    for (k, run) in runs.iter().enumerate() {
        if run.len() != 4 || chars[run.start] == '0' || alnum_before(chars, run.start) {
            continue;
        }
        if matches!(link_before(chars, runs, k), Some('.' | '-' | '/' | ':')) {
            continue;
        }
        let mut p = run.end;
        if chars.get(p) == Some(&' ') {
            p += 1;
        }
        let (Some(a), Some(b)) = (chars.get(p), chars.get(p + 1)) else { continue };
        if !a.is_ascii_uppercase() || !b.is_ascii_uppercase() || is_alnum_at(chars, p + 2) {
            continue;
        }
        if matches!((a, b), ('S', 'A' | 'D' | 'S')) {
            continue;
        }
        let after = house_number_after(chars, p + 2);
        let before = house_number_before(chars, run.start);
        if after.is_none() && before.is_none() {
            continue;
        }
        hits.push(Hit {
            start: before.unwrap_or(run.start),
            end: after.unwrap_or(p + 2),
            kind: IdentifierKind::PostcodeWithHouseNumber,
        });
    }
}

/// Markers that announce a date of birth, lower-cased.
const BIRTH_MARKERS: &[&str] = &["date of birth", "geboortedatum", "geboren", "born", "geb.", "dob"];

/// How far after a marker the date may start, in chars.
const BIRTH_WINDOW: usize = 30;

const MONTHS: &[(&str, u32)] = &[
    ("januari", 1),
    ("january", 1),
    ("jan", 1),
    ("februari", 2),
    ("february", 2),
    ("feb", 2),
    ("maart", 3),
    ("march", 3),
    ("mrt", 3),
    ("mar", 3),
    ("april", 4),
    ("apr", 4),
    ("mei", 5),
    ("may", 5),
    ("juni", 6),
    ("june", 6),
    ("jun", 6),
    ("juli", 7),
    ("july", 7),
    ("jul", 7),
    ("augustus", 8),
    ("august", 8),
    ("aug", 8),
    ("september", 9),
    ("sept", 9),
    ("sep", 9),
    ("oktober", 10),
    ("october", 10),
    ("okt", 10),
    ("oct", 10),
    ("november", 11),
    ("nov", 11),
    ("december", 12),
    ("dec", 12),
];

/// The digits at `i` as a number, if there are `min..=max` of them (and no more).
fn number_at(chars: &[char], i: usize, min: usize, max: usize) -> Option<(u32, usize)> {
    let mut end = i;
    let mut value: u32 = 0;
    while let Some(d) = chars.get(end).filter(|c| c.is_ascii_digit()).and_then(|c| c.to_digit(10)) {
        value = value.saturating_mul(10).saturating_add(d);
        end += 1;
    }
    (min..=max).contains(&(end - i)).then_some((value, end))
}

/// A month name at `i` (then an optional dot); its number and the end.
fn month_at(low: &[char], i: usize) -> Option<(u32, usize)> {
    let mut end = i;
    while low.get(end).is_some_and(|c| c.is_alphabetic()) {
        end += 1;
    }
    let word: String = low.get(i..end)?.iter().collect();
    let (_, month) = MONTHS.iter().find(|(name, _)| *name == word)?;
    if low.get(end) == Some(&'.') {
        end += 1;
    }
    Some((*month, end))
}

fn spaces_at(chars: &[char], i: usize) -> usize {
    chars.get(i..).map_or(0, |rest| rest.iter().take_while(|c| **c == ' ').count())
}

fn valid_dm(day: u32, month: u32) -> bool {
    (1..=31).contains(&day) && (1..=12).contains(&month)
}

/// A date starting at `i`: dd-mm-yyyy (or / or .), yyyy-mm-dd, "12 maart 2015" or "March 12, 2015".
fn date_at(chars: &[char], low: &[char], i: usize) -> Option<usize> {
    let year_end = |at: usize| number_at(chars, at, 4, 4).map(|(_, e)| e);
    if let Some((_, e)) = number_at(chars, i, 4, 4) {
        if chars.get(e) != Some(&'-') {
            return None;
        }
        let (m, e) = number_at(chars, e + 1, 2, 2)?;
        if chars.get(e) != Some(&'-') {
            return None;
        }
        let (d, e) = number_at(chars, e + 1, 2, 2)?;
        return valid_dm(d, m).then_some(e);
    }
    if let Some((day, e)) = number_at(chars, i, 1, 2) {
        let sep = *chars.get(e)?;
        if matches!(sep, '-' | '/' | '.') {
            let (m, e2) = number_at(chars, e + 1, 1, 2)?;
            if chars.get(e2) != Some(&sep) {
                return None;
            }
            let end = year_end(e2 + 1)?;
            return valid_dm(day, m).then_some(end);
        }
        let s = spaces_at(chars, e);
        if s == 0 {
            return None;
        }
        let (m, e) = month_at(low, e + s)?;
        let s = spaces_at(chars, e);
        if s == 0 {
            return None;
        }
        let end = year_end(e + s)?;
        return valid_dm(day, m).then_some(end);
    }
    // "March 12, 2015"
    let (m, e) = month_at(low, i)?;
    let s = spaces_at(chars, e);
    if s == 0 {
        return None;
    }
    let (day, mut e) = number_at(chars, e + s, 1, 2)?;
    if chars.get(e) == Some(&',') {
        e += 1;
    }
    let s = spaces_at(chars, e);
    if s == 0 {
        return None;
    }
    let end = year_end(e + s)?;
    valid_dm(day, m).then_some(end)
}

/// A date starting within [`BIRTH_WINDOW`] chars after a birth marker.
fn find_dates_of_birth(chars: &[char], low: &[char], hits: &mut Vec<Hit>) {
    let markers: Vec<Vec<char>> = BIRTH_MARKERS.iter().map(|m| m.chars().collect()).collect();
    for i in 0..low.len() {
        if alnum_before(low, i) {
            continue;
        }
        let Some(marker) = markers.iter().find(|m| low.get(i..i + m.len()) == Some(m.as_slice())) else {
            continue;
        };
        let end = i + marker.len();
        if marker.last().is_some_and(|c| c.is_alphanumeric()) && is_alnum_at(low, end) {
            continue; // "borne", "Bornholm"
        }
        for s in end..=(end + BIRTH_WINDOW).min(chars.len()) {
            if alnum_before(chars, s) {
                continue;
            }
            if let Some(date_end) = date_at(chars, low, s)
                && !is_digit_at(chars, date_end)
            {
                hits.push(Hit { start: s, end: date_end, kind: IdentifierKind::DateOfBirth });
                break;
            }
        }
    }
}
