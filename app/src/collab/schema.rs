//! The shape of a Quire document, checked on an update's bytes before yrs
//! decodes them: whatever arrives from a client, another instance or the
//! database passes here first.
//!
//! A Quire document is one root Y.Text named `content` holding plain strings;
//! deleting text leaves deleted and garbage-collected ranges. That is all that
//! stock Yjs clients produce when they insert into and delete from that text,
//! and all that Quire's own client writes. Anything else — another root type,
//! maps, embeds, formatting, nested types, binary or JSON content, sub-documents
//! — is refused, which also keeps out everything yrs decodes recursively (an
//! `Any` nested 100,000 deep overflows the stack and aborts the process).
//!
//! The check is one pass over the bytes with no recursion, allocates only per
//! distinct client, refuses counts larger than the bytes that remain (yrs
//! reserves memory by the counts it reads), and refuses invalid UTF-8 (yrs reads
//! strings unchecked). It also works out which clocks the update depends on
//! ([`Shape::applies_to`]), so a server can refuse an update that would sit in
//! yrs's pending queue, growing without bound, waiting for changes that may
//! never come.

use std::collections::HashMap;

use yrs::encoding::read::{Cursor, Read};
use yrs::StateVector;

use super::doc::CONTENT;

/// Why an update was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SchemaError {
    /// The bytes are not a well-formed v1 update.
    Malformed,
    /// A well-formed update that writes something a Quire document does not hold.
    Outside(&'static str),
}

impl SchemaError {
    /// A short reason a client can be shown.
    pub fn reason(self) -> &'static str {
        match self {
            SchemaError::Malformed => "malformed update",
            SchemaError::Outside(what) => what,
        }
    }
}

/// What a valid update needs of the document it is applied to.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Shape {
    /// `(client, clock)`: the document must already hold that client's changes
    /// up to (not including) `clock` for every change in the update to apply.
    needs: Vec<(u64, u32)>,
    /// Bytes of text the update inserts (deletions insert none).
    pub inserted: u64,
    /// `(client, start, end)`: the clocks of each client the update carries.
    carried: Vec<(u64, u32, u32)>,
}

impl Shape {
    /// True if every change in the update can be integrated into a document
    /// with state vector `sv` (none would wait as pending).
    pub fn applies_to(&self, sv: &StateVector) -> bool {
        self.needs.iter().all(|&(client, clock)| sv.get(&yrs::ClientID::new(client)) >= clock)
    }

    /// `(client, start, end)`: the clock ranges this update adds to a
    /// document with state vector `sv` (what it carries that `sv` lacks).
    pub fn adds_to(&self, sv: &StateVector) -> Vec<(u64, u32, u32)> {
        self.carried
            .iter()
            .filter_map(|&(client, start, end)| {
                let start = start.max(sv.get(&yrs::ClientID::new(client)));
                (start < end).then_some((client, start, end))
            })
            .collect()
    }
}

/// Largest clock (and clock + length) accepted: yrs computes some offsets in
/// `i32`, and no real client comes near a billion characters.
const MAX_CLOCK: u32 = 1 << 30;
/// For updates from clients: how much conflict resolution an update may cost.
/// yrs (like Yjs) places an item by scanning the items that share its left
/// neighbour, so n items with one neighbour cost n² steps: a 16 MiB frame of
/// them would hold a room for hours. Counted as the sum, over neighbours, of
/// the square of how many items name it; honest edits stay far below (typing
/// names a new neighbour with every item).
pub const MAX_CONFLICT_COST: u64 = 1 << 22;

// Block and content kinds of the v1 encoding (yrs `block.rs`, Yjs `structs`).
const GC: u8 = 0;
const SKIP: u8 = 10;
const CONTENT_DELETED: u8 = 1;
const CONTENT_STRING: u8 = 4;
const HAS_ORIGIN: u8 = 0b1000_0000;
const HAS_RIGHT_ORIGIN: u8 = 0b0100_0000;
const HAS_PARENT_SUB: u8 = 0b0010_0000;
const CONTENT_BITS: u8 = 0b0001_1111;

/// Checks a v1 update against Quire's document schema; see the module docs.
/// For what was stored or relayed (accepted once already, so its conflict
/// cost is not counted again).
pub fn check_update(update: &[u8]) -> Result<Shape, SchemaError> {
    Scan::new(false).run(update)
}

/// [`check_update`] for an update from a client: also refused when placing
/// its items would cost more than [`MAX_CONFLICT_COST`].
pub fn check_client_update(update: &[u8]) -> Result<Shape, SchemaError> {
    Scan::new(true).run(update)
}

/// One pass over an update.
struct Scan {
    /// Per client: the range of clocks this update carries.
    carried: HashMap<u64, (u32, u32)>,
    /// Per client: the clock up to which changes this update refers to must exist.
    referenced: HashMap<u64, u32>,
    /// Per left neighbour (None: the start of the text), items naming it;
    /// only counted for client updates.
    neighbours: Option<HashMap<Option<(u64, u32)>, u64>>,
    inserted: u64,
}

impl Scan {
    fn new(count_conflicts: bool) -> Self {
        Scan {
            carried: HashMap::new(),
            referenced: HashMap::new(),
            neighbours: count_conflicts.then(HashMap::new),
            inserted: 0,
        }
    }

    fn refer(&mut self, client: u64, end: u32) {
        let needed = self.referenced.entry(client).or_insert(0);
        *needed = (*needed).max(end);
    }

    fn run(mut self, update: &[u8]) -> Result<Shape, SchemaError> {
        let mut cursor = Cursor::new(update);
        let clients = read_count(&mut cursor)?;
        for _ in 0..clients {
            let structs = read_count(&mut cursor)?;
            let client = read_client(&mut cursor)?;
            let start = read_clock(&mut cursor)?;
            let mut clock = start;
            for _ in 0..structs {
                let len = self.read_struct(&mut cursor, client, clock)?;
                clock = clock.checked_add(len).filter(|&end| end <= MAX_CLOCK).ok_or(SchemaError::Malformed)?;
            }
            // Yjs and yrs write each client once; a second run would restart
            // its clock, which no encoder does.
            if self.carried.insert(client, (start, clock)).is_some() {
                return Err(SchemaError::Malformed);
            }
        }

        // The delete set: per client, ranges of (clock, length).
        let clients = read_count(&mut cursor)?;
        for _ in 0..clients {
            let client = read_client(&mut cursor)?;
            let ranges = read_count(&mut cursor)?;
            for _ in 0..ranges {
                let clock = read_clock(&mut cursor)?;
                let len = read_clock(&mut cursor)?;
                let end = clock.checked_add(len).filter(|&end| end <= MAX_CLOCK).ok_or(SchemaError::Malformed)?;
                self.refer(client, end);
            }
        }
        if cursor.has_content() {
            return Err(SchemaError::Malformed);
        }
        if let Some(neighbours) = &self.neighbours {
            let cost: u64 = neighbours.values().map(|n| n * n).sum();
            if cost > MAX_CONFLICT_COST {
                return Err(SchemaError::Outside("too many insertions at the same place in one update"));
            }
        }

        let mut needs: Vec<(u64, u32)> = Vec::new();
        for (&client, &(start, end)) in &self.carried {
            // What this update carries itself, from `start` on, needs nothing
            // more; what it refers to before `start` is implied by needing `start`.
            let beyond = self.referenced.remove(&client).filter(|&needed| needed > end);
            needs.push((client, beyond.unwrap_or(start)));
        }
        needs.extend(self.referenced);
        needs.retain(|&(_, clock)| clock > 0);
        let carried = self.carried.iter().map(|(&client, &(start, end))| (client, start, end)).collect();
        Ok(Shape { needs, inserted: self.inserted, carried })
    }

    /// Reads one struct (GC or item) of `client` at `clock` and returns its
    /// length in clock units.
    fn read_struct(&mut self, cursor: &mut Cursor<'_>, client: u64, clock: u32) -> Result<u32, SchemaError> {
        let info = cursor.read_u8().map_err(|_| SchemaError::Malformed)?;
        match info {
            GC => return read_clock(cursor),
            // Skips come only from merging updates, which no client sends;
            // they leave gaps yrs mis-handles.
            SKIP => return Err(SchemaError::Malformed),
            _ => {}
        }
        if info & HAS_PARENT_SUB != 0 {
            return Err(SchemaError::Outside("only text is allowed: maps are not part of a Quire document"));
        }
        let mut neighbours = [None, None];
        for (slot, flag) in [HAS_ORIGIN, HAS_RIGHT_ORIGIN].into_iter().enumerate() {
            if info & flag == 0 {
                continue;
            }
            let origin_client = read_client(cursor)?;
            let origin_clock = read_clock(cursor)?;
            // An item's neighbours were there before it: never itself or
            // anything its own client wrote after it (which would leave yrs
            // waiting for ever).
            if origin_client == client && origin_clock >= clock {
                return Err(SchemaError::Malformed);
            }
            self.refer(origin_client, origin_clock + 1);
            neighbours[slot] = Some((origin_client, origin_clock));
        }
        if neighbours == [None, None] {
            // Without neighbours an item names its parent: it must be the root text.
            let parent_is_root: u32 = cursor.read_var().map_err(|_| SchemaError::Malformed)?;
            if parent_is_root != 1 {
                return Err(SchemaError::Outside("only the document's text is allowed: nested types are not"));
            }
            if read_str(cursor)? != CONTENT {
                return Err(SchemaError::Outside("only the root text \"content\" is allowed"));
            }
        }
        if let Some(counts) = &mut self.neighbours {
            *counts.entry(neighbours[0]).or_insert(0) += 1;
        }
        match info & CONTENT_BITS {
            CONTENT_DELETED => read_clock(cursor),
            CONTENT_STRING => {
                let text = read_str(cursor)?;
                self.inserted += text.len() as u64;
                // Clocks count UTF-16 units, as Yjs does.
                let units = text.chars().map(char::len_utf16).sum::<usize>();
                u32::try_from(units).map_err(|_| SchemaError::Malformed)
            }
            _ => Err(SchemaError::Outside("only plain text is allowed: embeds, formatting and other content are not")),
        }
    }
}

/// A count of things that follow, each at least one byte: more than the bytes
/// left is a lie (and would make yrs reserve memory for it).
fn read_count(cursor: &mut Cursor<'_>) -> Result<usize, SchemaError> {
    let count: u32 = cursor.read_var().map_err(|_| SchemaError::Malformed)?;
    let count = count as usize;
    if count > cursor.buf.len() - cursor.next {
        return Err(SchemaError::Malformed);
    }
    Ok(count)
}

/// A client id: Yjs's are 53 bits at most, and yrs asserts it (in release it
/// would fold a larger one onto another client's id, mixing their histories).
fn read_client(cursor: &mut Cursor<'_>) -> Result<u64, SchemaError> {
    let client: u64 = cursor.read_var().map_err(|_| SchemaError::Malformed)?;
    if client >> 53 != 0 {
        return Err(SchemaError::Malformed);
    }
    Ok(client)
}

/// A clock or length: at most [`MAX_CLOCK`].
fn read_clock(cursor: &mut Cursor<'_>) -> Result<u32, SchemaError> {
    let value: u64 = cursor.read_var().map_err(|_| SchemaError::Malformed)?;
    u32::try_from(value).ok().filter(|&v| v <= MAX_CLOCK).ok_or(SchemaError::Malformed)
}

/// A length-prefixed UTF-8 string, borrowed from the update's bytes.
fn read_str<'a>(cursor: &mut Cursor<'a>) -> Result<&'a str, SchemaError> {
    let len: u32 = cursor.read_var().map_err(|_| SchemaError::Malformed)?;
    let buf: &'a [u8] = cursor.buf;
    let end = cursor.next.checked_add(len as usize).filter(|&end| end <= buf.len()).ok_or(SchemaError::Malformed)?;
    let bytes = &buf[cursor.next..end];
    cursor.next = end;
    std::str::from_utf8(bytes).map_err(|_| SchemaError::Malformed)
}

/// Checks the framing of a y-sync state vector (a SyncStep1's payload): counts
/// no larger than the bytes, clocks that fit.
pub fn check_state_vector(sv: &[u8]) -> Result<(), SchemaError> {
    let mut cursor = Cursor::new(sv);
    let clients = read_count(&mut cursor)?;
    for _ in 0..clients {
        read_client(&mut cursor)?;
        read_clock(&mut cursor)?;
    }
    if cursor.has_content() {
        return Err(SchemaError::Malformed);
    }
    Ok(())
}

/// Checks the framing of an awareness update: counts no larger than the
/// bytes, clocks that fit, states that are UTF-8 (yrs reads them unchecked).
pub fn check_awareness(update: &[u8]) -> Result<(), SchemaError> {
    let mut cursor = Cursor::new(update);
    let clients = read_count(&mut cursor)?;
    for _ in 0..clients {
        read_client(&mut cursor)?;
        read_clock(&mut cursor)?;
        read_str(&mut cursor)?;
    }
    if cursor.has_content() {
        return Err(SchemaError::Malformed);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::collab::doc::{content, new_doc};
    use yrs::updates::decoder::Decode;
    use yrs::{Array, Doc, GetString, Map, ReadTxn, Text, Transact, Update};

    fn diff(doc: &Doc, since: &StateVector) -> Vec<u8> {
        doc.transact().encode_state_as_update_v1(since)
    }

    #[test]
    fn text_edits_pass_and_apply() {
        let a = new_doc();
        let text = content(&a);
        text.insert(&mut a.transact_mut(), 0, "héllo 😀 wörld\n");
        let first = diff(&a, &StateVector::default());
        let sv = a.transact().state_vector();
        text.remove_range(&mut a.transact_mut(), 2, 5);
        text.insert(&mut a.transact_mut(), 1, "漢字");
        let second = diff(&a, &sv);
        let whole = diff(&a, &StateVector::default());

        let b = new_doc();
        for update in [&first, &second] {
            let shape = check_update(update).expect("valid");
            assert!(shape.applies_to(&b.transact().state_vector()));
            b.transact_mut().apply_update(Update::decode_v1(update).unwrap()).unwrap();
        }
        assert_eq!(content(&b).get_string(&b.transact()), content(&a).get_string(&a.transact()));
        // A snapshot (with garbage-collected deletions) passes as well.
        assert!(check_update(&whole).is_ok());
        assert!(check_update(&[0, 0]).is_ok(), "the empty update");
    }

    #[test]
    fn an_update_whose_predecessors_are_missing_does_not_apply() {
        let a = new_doc();
        let text = content(&a);
        text.insert(&mut a.transact_mut(), 0, "one ");
        let first = diff(&a, &StateVector::default());
        let sv = a.transact().state_vector();
        text.insert(&mut a.transact_mut(), 4, "two");
        let second = diff(&a, &sv);
        let sv2 = a.transact().state_vector();
        text.remove_range(&mut a.transact_mut(), 0, 2);
        let deletion = diff(&a, &sv2);

        let empty = StateVector::default();
        assert!(check_update(&first).unwrap().applies_to(&empty));
        assert!(!check_update(&second).unwrap().applies_to(&empty), "continues a run the document lacks");
        assert!(!check_update(&deletion).unwrap().applies_to(&empty), "deletes text the document lacks");
        assert!(check_update(&second).unwrap().applies_to(&sv));
        assert!(check_update(&deletion).unwrap().applies_to(&sv2));

        // Another client typing after a's text refers to it.
        let b = new_doc();
        b.transact_mut().apply_update(Update::decode_v1(&first).unwrap()).unwrap();
        let before = b.transact().state_vector();
        content(&b).insert(&mut b.transact_mut(), 4, "b!");
        let from_b = diff(&b, &before);
        assert!(!check_update(&from_b).unwrap().applies_to(&empty));
        assert!(check_update(&from_b).unwrap().applies_to(&sv));
    }

    #[test]
    fn anything_but_the_content_text_is_refused() {
        let outside = |f: &dyn Fn(&Doc)| {
            let doc = Doc::new();
            f(&doc);
            check_update(&diff(&doc, &StateVector::default()))
        };
        assert!(matches!(
            outside(&|d| d.get_or_insert_text("other").insert(&mut d.transact_mut(), 0, "x")),
            Err(SchemaError::Outside(_))
        ));
        assert!(matches!(
            outside(&|d| {
                d.get_or_insert_map("content").insert(&mut d.transact_mut(), "k", "v");
            }),
            Err(SchemaError::Outside(_))
        ));
        assert!(matches!(
            outside(&|d| {
                d.get_or_insert_array("content").insert(&mut d.transact_mut(), 0, 1.5);
            }),
            Err(SchemaError::Outside(_))
        ));
        assert!(matches!(
            outside(&|d| {
                let text = d.get_or_insert_text("content");
                let mut txn = d.transact_mut();
                text.insert(&mut txn, 0, "bold");
                let attrs = yrs::types::Attrs::from([("b".into(), true.into())]);
                text.format(&mut txn, 0, 2, attrs);
            }),
            Err(SchemaError::Outside(_))
        ));
        assert!(matches!(
            outside(&|d| {
                let text = d.get_or_insert_text("content");
                text.insert_embed(&mut d.transact_mut(), 0, yrs::Any::from(vec![1.0]));
            }),
            Err(SchemaError::Outside(_))
        ));
    }

    /// An update of a few hundred kilobytes nesting an array 100,000 deep:
    /// yrs would recurse once per level while decoding it.
    fn deeply_nested(depth: usize) -> Vec<u8> {
        let mut update = vec![1, 1, 7, 0]; // one client, one struct, client 7, clock 0
        update.push(8); // an item with Any content, no origins
        update.push(1); // parent is a root type...
        update.push(7);
        update.extend_from_slice(b"content"); // ...named "content"
        update.push(1); // one Any value
        for _ in 0..depth {
            update.push(117); // an array...
            update.push(1); // ...of one element
        }
        update.push(126); // null
        update.extend_from_slice(&[0]); // empty delete set
        update
    }

    #[test]
    fn deep_nesting_is_refused_without_recursing() {
        let update = deeply_nested(100_000);
        assert!(matches!(check_update(&update), Err(SchemaError::Outside(_))));
    }

    #[test]
    fn counts_larger_than_the_bytes_and_bad_text_are_malformed() {
        // 2^32-1 clients in five bytes.
        assert_eq!(check_update(&[0xff, 0xff, 0xff, 0xff, 0x0f, 0]), Err(SchemaError::Malformed));
        // One client claiming a huge number of structs.
        assert_eq!(check_update(&[1, 0xff, 0xff, 0xff, 0x0f, 1, 0]), Err(SchemaError::Malformed));
        // A string that is not UTF-8.
        let mut bad = vec![1, 1, 7, 0, CONTENT_STRING, 1, 7];
        bad.extend_from_slice(b"content");
        bad.extend_from_slice(&[2, 0xc3, 0x28, 0]);
        assert_eq!(check_update(&bad), Err(SchemaError::Malformed));
        // Trailing bytes, truncation, clocks that overflow.
        assert_eq!(check_update(&[0, 0, 0]), Err(SchemaError::Malformed));
        assert_eq!(check_update(&[1]), Err(SchemaError::Malformed));
        assert_eq!(check_update(&[1, 1, 7, 0xff, 0xff, 0xff, 0xff, 0x0f, GC, 2, 0]), Err(SchemaError::Malformed));
        // A client id over 53 bits.
        assert_eq!(
            check_update(&[1, 1, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f, 0, GC, 1, 0]),
            Err(SchemaError::Malformed)
        );
        assert!(check_state_vector(&[1, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f, 1]).is_err());
        // A client listed twice.
        assert_eq!(check_update(&[2, 1, 7, 0, GC, 1, 1, 7, 0, GC, 1, 0]), Err(SchemaError::Malformed));
    }

    #[test]
    fn skips_self_references_and_huge_clocks_are_malformed() {
        let mut skip = vec![1, 2, 7, 0, SKIP, 5, CONTENT_STRING, 1, 7];
        skip.extend_from_slice(b"content");
        skip.extend_from_slice(&[1, b'x', 0]);
        assert_eq!(check_update(&skip), Err(SchemaError::Malformed));
        // An item whose left neighbour is itself, or something written after it.
        let own = [1, 1, 7, 0, HAS_ORIGIN | CONTENT_STRING, 7, 0, 1, b'x', 0];
        assert_eq!(check_update(&own), Err(SchemaError::Malformed));
        let later = [1, 1, 7, 0, HAS_ORIGIN | CONTENT_STRING, 7, 3, 1, b'x', 0];
        assert_eq!(check_update(&later), Err(SchemaError::Malformed));
        let earlier = [1, 1, 7, 5, HAS_ORIGIN | CONTENT_STRING, 7, 3, 1, b'x', 0];
        assert!(check_update(&earlier).is_ok(), "a neighbour written before");
        // Clocks past 2^30 (yrs computes some offsets in i32).
        let huge = [1, 1, 7, 0x80, 0x80, 0x80, 0x80, 0x08, GC, 1, 0];
        assert_eq!(check_update(&huge), Err(SchemaError::Malformed));
        let long_gc = [1, 1, 7, 0, GC, 0x80, 0x80, 0x80, 0x80, 0x08, 0];
        assert_eq!(check_update(&long_gc), Err(SchemaError::Malformed));
    }

    #[test]
    fn many_insertions_at_one_place_are_refused_from_clients() {
        // 3,000 one-letter items, each from its own client, all at the start
        // of the text: placing them costs yrs n² steps.
        let items = 3_000u64;
        let mut update = Vec::new();
        yrs::encoding::write::Write::write_var(&mut update, items);
        for client in 0..items {
            update.extend_from_slice(&[1]);
            yrs::encoding::write::Write::write_var(&mut update, client + 1);
            update.extend_from_slice(&[0, CONTENT_STRING, 1, 7]);
            update.extend_from_slice(b"content");
            update.extend_from_slice(&[1, b'x']);
        }
        update.push(0);
        assert!(check_update(&update).is_ok(), "well-formed, and fine once stored");
        assert!(matches!(check_client_update(&update), Err(SchemaError::Outside(_))));
        // Typing, however long, names a new neighbour each time.
        let a = new_doc();
        let text = content(&a);
        for i in 0..5_000u32 {
            text.insert(&mut a.transact_mut(), i, "y");
        }
        let typed = diff(&a, &StateVector::default());
        let shape = check_client_update(&typed).expect("typing passes");
        assert_eq!(shape.inserted, 5_000);
    }

    #[test]
    fn state_vectors_and_awareness_framing() {
        assert!(check_state_vector(&[0]).is_ok());
        assert!(check_state_vector(&[1, 5, 9]).is_ok());
        assert!(check_state_vector(&[0xff, 0xff, 0xff, 0xff, 0x0f]).is_err(), "a count past the bytes");
        assert!(check_state_vector(&[1, 5]).is_err());
        assert!(check_awareness(&[1, 5, 1, 2, b'{', b'}']).is_ok());
        assert!(check_awareness(&[1, 5, 1, 2, 0xc3, 0x28]).is_err(), "not UTF-8");
        assert!(check_awareness(&[0xff, 0xff, 0xff, 0xff, 0x0f]).is_err());
    }

    #[test]
    fn a_long_session_of_edits_passes() {
        // Random inserts and deletions, checked edit by edit.
        let a = new_doc();
        let text = content(&a);
        let mut state = 1u64;
        for _ in 0..2_000 {
            state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            let len = text.len(&a.transact());
            let sv = a.transact().state_vector();
            if state.is_multiple_of(4) && len > 3 {
                text.remove_range(&mut a.transact_mut(), (state >> 33) as u32 % (len - 2), 2);
            } else {
                text.insert(&mut a.transact_mut(), (state >> 33) as u32 % (len + 1), "abé漢");
            }
            assert!(check_update(&diff(&a, &sv)).is_ok());
        }
        assert!(check_update(&diff(&a, &StateVector::default())).is_ok());
    }

    mod fuzz {
        use super::*;
        use proptest::prelude::*;

        /// Real updates to start from: text inserted and deleted by two
        /// clients, a snapshot, and the updates a stock client would send.
        fn seeds() -> Vec<Vec<u8>> {
            let a = new_doc();
            let text = content(&a);
            let mut seeds = Vec::new();
            for (at, s) in [(0, "hello "), (6, "wörld 😀"), (3, "\n# h\n")] {
                let sv = a.transact().state_vector();
                text.insert(&mut a.transact_mut(), at, s);
                seeds.push(diff(&a, &sv));
            }
            let sv = a.transact().state_vector();
            text.remove_range(&mut a.transact_mut(), 1, 4);
            seeds.push(diff(&a, &sv));
            seeds.push(diff(&a, &StateVector::default()));
            seeds.push(deeply_nested(50));
            seeds
        }

        fn mutated() -> impl Strategy<Value = Vec<u8>> {
            let seeds = seeds();
            (0..seeds.len(), prop::collection::vec((any::<u16>(), any::<u8>(), 0u8..4), 0..6)).prop_map(
                move |(seed, edits)| {
                    let mut bytes = seeds[seed].clone();
                    for (at, byte, kind) in edits {
                        let at = at as usize % (bytes.len() + 1);
                        match kind {
                            0 if at < bytes.len() => bytes[at] = byte,
                            1 => bytes.insert(at, byte),
                            2 if at < bytes.len() => {
                                bytes.remove(at);
                            }
                            _ => bytes.truncate(at),
                        }
                    }
                    bytes
                },
            )
        }

        /// Applies an update that passed the check, as the server would.
        fn apply(update: &[u8]) {
            let doc = new_doc();
            let Ok(decoded) = Update::decode_v1(update) else { return };
            let _ = doc.transact_mut().apply_update(decoded);
            let _ = content(&doc).get_string(&doc.transact());
        }

        proptest! {
            #![proptest_config(ProptestConfig { cases: 2_000, ..ProptestConfig::default() })]

            #[test]
            fn random_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..256)) {
                let _ = check_update(&bytes);
                let _ = check_state_vector(&bytes);
                let _ = check_awareness(&bytes);
            }

            #[test]
            fn what_passes_the_check_applies_without_panicking(update in mutated()) {
                if check_update(&update).is_ok() {
                    apply(&update);
                }
            }
        }
    }
}
