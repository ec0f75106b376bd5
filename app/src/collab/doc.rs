//! How every Quire document is shaped: one Y.Text named `content`, addressed in
//! UTF-16 code units on both sides (as Yjs and the browser's `<textarea>` do), so
//! an offset computed in the browser means the same thing on the server and an
//! emoji or CJK character is never split.

use yrs::updates::decoder::Decode;
use yrs::{Doc, GetString, OffsetKind, Options, ReadTxn, Text, TextRef, Transact, Update};

/// Name of the shared Y.Text holding a document's Markdown.
pub const CONTENT: &str = "content";

/// A fresh document with Quire's options and a random client id.
pub fn new_doc() -> Doc {
    Doc::with_options(doc_options())
}

/// Options every Quire document uses.
pub fn doc_options() -> Options {
    Options { offset_kind: OffsetKind::Utf16, ..Options::default() }
}

/// The document's shared text.
pub fn content(doc: &Doc) -> TextRef {
    doc.get_or_insert_text(CONTENT)
}

/// The whole Markdown text of a document.
pub fn markdown<T: ReadTxn>(text: &TextRef, txn: &T) -> String {
    text.get_string(txn)
}

/// A document rebuilt from stored updates.
pub struct Rebuilt {
    pub doc: Doc,
    /// Rows refused by the schema (see `schema`): written before Quire checked
    /// it, never applied, and gone with the next compaction.
    pub refused: usize,
}

/// Builds a document from stored updates (v1 encoding), in any order. Every
/// row is checked against the schema before yrs decodes it: one outside it
/// is skipped (counted in `refused`), a malformed one is an error.
pub fn doc_from_updates<'a>(
    updates: impl IntoIterator<Item = &'a [u8]>,
) -> Result<Rebuilt, yrs::encoding::read::Error> {
    use super::schema::{check_update, SchemaError};
    let doc = new_doc();
    let _ = content(&doc);
    let mut refused = 0;
    {
        let mut txn = doc.transact_mut();
        for bytes in updates {
            match check_update(bytes) {
                Ok(_) => {}
                Err(SchemaError::Outside(_)) => {
                    refused += 1;
                    continue;
                }
                Err(SchemaError::Malformed) => return Err(yrs::encoding::read::Error::UnexpectedValue),
            }
            let update = Update::decode_v1(bytes)?;
            // A stored update is one the server already accepted, so it applies;
            // an error here means the log is damaged, which the caller reports.
            txn.apply_update(update).map_err(|e| yrs::encoding::read::Error::Custom(e.to_string()))?;
        }
    }
    Ok(Rebuilt { doc, refused })
}

/// Length of the document's text in UTF-16 code units (constant time).
pub fn len_utf16<T: ReadTxn>(text: &TextRef, txn: &T) -> u32 {
    text.len(txn)
}

/// The text in pieces, each with the id (client, clock) of its first
/// character: the characters of a piece have consecutive clocks of one
/// client. Compared against an empty snapshot, yrs reports every visible item
/// as an "added" piece of its own, with its id. (Splits items at nothing: it
/// only reads, but yrs wants a write transaction for it.)
pub fn authored_pieces(doc: &Doc) -> Vec<(u64, u32, String)> {
    use yrs::types::text::ChangeKind;
    let text = content(doc);
    let mut txn = doc.transact_mut();
    let now = txn.snapshot();
    let nothing = yrs::Snapshot::new(yrs::StateVector::default(), yrs::IdSet::new());
    text.diff_range(&mut txn, Some(&now), Some(&nothing), |change| change)
        .into_iter()
        .filter_map(|piece| {
            let yrs::Out::Any(yrs::Any::String(chunk)) = piece.insert else { return None };
            let change = piece.ychange.filter(|change| change.kind == ChangeKind::Added)?;
            Some((change.id.client.get(), change.id.clock, chunk.to_string()))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use yrs::Map;

    #[test]
    fn offsets_count_utf16_units_so_emoji_stay_whole() {
        let doc = new_doc();
        let text = content(&doc);
        let mut txn = doc.transact_mut();
        text.insert(&mut txn, 0, "a😀b");
        // "😀" is two UTF-16 units: inserting at 3 lands after the emoji.
        text.insert(&mut txn, 3, "X");
        assert_eq!(text.get_string(&txn), "a😀Xb");
        assert_eq!(len_utf16(&text, &txn), 5);
    }

    #[test]
    fn rebuilds_a_document_from_its_updates() {
        let a = new_doc();
        let text = content(&a);
        let mut updates = Vec::new();
        for s in ["# Title\n", "hello ", "world"] {
            let before = a.transact().state_vector();
            let len = text.len(&a.transact());
            text.insert(&mut a.transact_mut(), len, s);
            updates.push(a.transact().encode_state_as_update_v1(&before));
        }
        updates.reverse(); // order must not matter
        let b = doc_from_updates(updates.iter().map(|u| u.as_slice())).unwrap().doc;
        assert_eq!(markdown(&content(&b), &b.transact()), "# Title\nhello world");
    }

    #[test]
    fn a_damaged_log_is_an_error_not_a_panic() {
        assert!(doc_from_updates([&[0xff, 0xff, 0xff][..]]).is_err());
    }

    #[test]
    fn rows_outside_the_schema_are_skipped() {
        let a = new_doc();
        content(&a).insert(&mut a.transact_mut(), 0, "kept");
        let good = a.transact().encode_state_as_update_v1(&yrs::StateVector::default());
        let b = Doc::new();
        b.get_or_insert_map("junk").insert(&mut b.transact_mut(), "k", "v");
        let junk = b.transact().encode_state_as_update_v1(&yrs::StateVector::default());
        let rebuilt = doc_from_updates([good.as_slice(), junk.as_slice()]).unwrap();
        assert_eq!(rebuilt.refused, 1);
        assert_eq!(markdown(&content(&rebuilt.doc), &rebuilt.doc.transact()), "kept");
    }
}
