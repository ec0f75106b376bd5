//! Every name Quire uses in Redis, in one place. All of them carry a version,
//! so instances of an incompatible release never read each other's messages.

use crate::doc_id::DocId;

/// Prefix of every channel; bump the version when the envelope format changes.
const PREFIX: &str = "quire:v1";

/// Messages about one document: updates, presence, presence queries, access
/// changes. Only instances with the document open subscribe.
pub fn document(doc: &DocId) -> String {
    format!("{PREFIX}:doc:{doc}")
}

/// Messages for every instance: list events, heartbeats, goodbyes.
pub fn global() -> String {
    format!("{PREFIX}:global")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn document_channels_are_distinct_and_never_the_global_one() {
        let (a, b) = (DocId::random(), DocId::random());
        assert_ne!(document(&a), document(&b));
        assert_ne!(document(&a), global());
        assert!(document(&a).ends_with(a.as_str()));
    }
}
