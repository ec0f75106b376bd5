//! Document ids: random UUID v4 (122 random bits, unguessable), always in the
//! lowercase hyphenated form. Anything else a client sends is not an id.

use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DocId(String);

impl DocId {
    pub fn random() -> Self {
        DocId(uuid::Uuid::new_v4().hyphenated().to_string())
    }

    /// Accepts only the canonical form, so one document has exactly one id string.
    pub fn parse(raw: &str) -> Option<Self> {
        let uuid = uuid::Uuid::try_parse(raw).ok()?;
        let canonical = uuid.hyphenated().to_string();
        (canonical == raw).then_some(DocId(canonical))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for DocId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::DocId;

    #[test]
    fn only_canonical_uuids_are_ids() {
        let id = DocId::random();
        assert_eq!(DocId::parse(id.as_str()), Some(id.clone()));
        assert_eq!(DocId::parse(&id.as_str().to_uppercase()), None);
        assert_eq!(DocId::parse("../../etc/passwd"), None);
        assert_eq!(DocId::parse(""), None);
    }
}
