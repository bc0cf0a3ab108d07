//! The expertise vocabulary: tags reviewers describe themselves with and requesters search on.
//!
//! A shared vocabulary makes matching work across the network (everyone writes `ggz`, not "GGZ" or
//! "mental health"), but the field keeps changing, so free tags are allowed too. Tags are normalised to
//! lowercase ASCII words joined by hyphens.

/// A well-known tag and what it means; shown by `samenloop profile set --help` and in the user guide.
#[derive(Clone, Copy, Debug)]
pub struct KnownTag {
    /// The tag as written.
    pub tag: &'static str,
    /// What the tag covers.
    pub meaning: &'static str,
}

/// The documented vocabulary. Free tags remain allowed.
pub const VOCABULARY: &[KnownTag] = &[
    KnownTag {
        tag: "jeugdbescherming",
        meaning: "child protection: certified institutions, guardianship, supervision orders",
    },
    KnownTag { tag: "jeugdreclassering", meaning: "youth probation" },
    KnownTag { tag: "ggz", meaning: "mental health care (youth and adult)" },
    KnownTag { tag: "jgz", meaning: "preventive youth health care (consultatiebureau, school doctor)" },
    KnownTag {
        tag: "veilig-thuis",
        meaning: "Veilig Thuis: the advice and reporting centre for domestic violence and child abuse",
    },
    KnownTag { tag: "wijkteam", meaning: "municipal neighbourhood or youth teams" },
    KnownTag { tag: "onderwijs", meaning: "education: schools, attendance officers, special needs education" },
    KnownTag { tag: "jeugdzorg", meaning: "youth care providers: ambulatory, residential, foster care" },
    KnownTag { tag: "pleegzorg", meaning: "foster care" },
    KnownTag { tag: "residentiele-zorg", meaning: "residential youth care and secure youth care" },
    KnownTag { tag: "lvb", meaning: "mild intellectual disability (licht verstandelijke beperking)" },
    KnownTag { tag: "verslavingszorg", meaning: "addiction care" },
    KnownTag { tag: "huiselijk-geweld", meaning: "domestic violence" },
    KnownTag { tag: "kinderopvang", meaning: "childcare" },
    KnownTag { tag: "politie", meaning: "police" },
    KnownTag {
        tag: "justitie",
        meaning: "public prosecution, courts, child protection board (Raad voor de Kinderbescherming)",
    },
    KnownTag { tag: "huisarts", meaning: "general practice" },
    KnownTag { tag: "ziekenhuis", meaning: "hospital and paediatric care" },
    KnownTag { tag: "gemeente", meaning: "municipal policy and commissioning of youth care" },
    KnownTag { tag: "ketensamenwerking", meaning: "chain cooperation between organisations" },
    KnownTag { tag: "learning-together", meaning: "the Learning Together review method itself" },
    KnownTag { tag: "calamiteitenonderzoek", meaning: "incident investigation" },
];

/// The longest tag accepted.
pub const MAX_TAG_LEN: usize = 48;

/// Why a tag is not acceptable.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TagError {
    /// Nothing left after trimming.
    #[error("an expertise tag is empty")]
    Empty,
    /// Longer than [`MAX_TAG_LEN`].
    #[error("expertise tag `{0}…` is longer than {MAX_TAG_LEN} characters")]
    TooLong(String),
    /// Contains something other than a-z, 0-9 and single inner hyphens.
    #[error("expertise tag `{0}` may contain only a-z, 0-9 and hyphens between words")]
    BadCharacters(String),
}

/// Normalises a tag as typed by a person: trims, lowercases, turns spaces and underscores into hyphens.
pub fn normalise_tag(raw: &str) -> Result<String, TagError> {
    let tag: String =
        raw.trim().chars().map(|c| if c == ' ' || c == '_' { '-' } else { c.to_ascii_lowercase() }).collect();
    check_tag(&tag)?;
    Ok(tag)
}

/// Checks that a tag is already in normal form: what a verifier requires of tags on the wire.
pub fn check_tag(tag: &str) -> Result<(), TagError> {
    if tag.is_empty() {
        return Err(TagError::Empty);
    }
    if tag.len() > MAX_TAG_LEN {
        return Err(TagError::TooLong(tag.chars().take(MAX_TAG_LEN).collect()));
    }
    let ok_chars = tag.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if !ok_chars || tag.starts_with('-') || tag.ends_with('-') || tag.contains("--") {
        return Err(TagError::BadCharacters(tag.chars().take(MAX_TAG_LEN).collect()));
    }
    Ok(())
}

/// True when the tag is in the documented vocabulary.
pub fn is_known(tag: &str) -> bool {
    VOCABULARY.iter().any(|k| k.tag == tag)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalises() {
        assert_eq!(normalise_tag(" Veilig Thuis ").unwrap(), "veilig-thuis");
        assert_eq!(normalise_tag("GGZ").unwrap(), "ggz");
        assert!(matches!(normalise_tag("a--b"), Err(TagError::BadCharacters(_))));
        assert!(matches!(normalise_tag("zorg/welzijn"), Err(TagError::BadCharacters(_))));
        assert!(matches!(normalise_tag("   "), Err(TagError::Empty)));
        assert!(VOCABULARY.iter().all(|k| check_tag(k.tag).is_ok()));
    }
}
