//! How a version's text is stored: deflated, either whole or as a line delta
//! against an earlier version's text. A delta is a list of "copy these bytes of
//! the base" and "insert these bytes" operations; edits between versions touch
//! few lines, so a delta of a 1 MB document is usually a few hundred bytes.
//!
//! Decoding never trusts the stored bytes: every copy is bounds-checked, the
//! output may not outgrow the size recorded beside it, and the result must be
//! UTF-8. A row that fails any of these is reported as corrupt, never panics.

use std::io::{Read, Write};
use std::time::{Duration, Instant};

use flate2::read::DeflateDecoder;
use flate2::write::DeflateEncoder;
use flate2::Compression;
use similar::{Algorithm, DiffOp, TextDiff};

/// Longest a line diff may search for the smallest delta; past it, a larger
/// (still correct) delta is written.
const DIFF_DEADLINE: Duration = Duration::from_millis(250);

const COPY: u8 = 0;
const INSERT: u8 = 1;

/// Stored bytes that do not decode to the text they claim to be.
#[derive(Debug, thiserror::Error)]
#[error("stored version text is corrupt: {0}")]
pub struct Corrupt(&'static str);

/// `text`, deflated.
pub fn encode_full(text: &str) -> Vec<u8> {
    deflate(text.as_bytes())
}

/// The delta that turns `base` into `text`, deflated.
pub fn encode_delta(base: &str, text: &str) -> Vec<u8> {
    let diff = TextDiff::configure()
        .algorithm(Algorithm::Myers)
        .deadline(Instant::now() + DIFF_DEADLINE)
        .diff_lines(base, text);
    // Byte offsets of each line start, in both texts, so ops can name bytes.
    let base_starts = line_starts(diff.old_slices());
    let text_starts = line_starts(diff.new_slices());
    let mut ops = Vec::new();
    for op in diff.ops() {
        match *op {
            DiffOp::Equal { old_index, len, .. } => {
                push_op(&mut ops, COPY, base_starts[old_index], base_starts[old_index + len] - base_starts[old_index]);
            }
            DiffOp::Delete { .. } => {}
            DiffOp::Insert { new_index, new_len, .. } | DiffOp::Replace { new_index, new_len, .. } => {
                let (from, to) = (text_starts[new_index], text_starts[new_index + new_len]);
                push_op(&mut ops, INSERT, 0, to - from);
                ops.extend_from_slice(&text.as_bytes()[from..to]);
            }
        }
    }
    deflate(&ops)
}

/// The text stored whole by [`encode_full`]; `size` is its length in bytes.
pub fn decode_full(data: &[u8], size: usize) -> Result<String, Corrupt> {
    let bytes = inflate(data, size)?;
    if bytes.len() != size {
        return Err(Corrupt("length differs"));
    }
    String::from_utf8(bytes).map_err(|_| Corrupt("not UTF-8"))
}

/// The text stored by [`encode_delta`] against `base`; `size` is its length in bytes.
pub fn decode_delta(base: &str, data: &[u8], size: usize) -> Result<String, Corrupt> {
    // Inserted bytes never outnumber the output, nor the ops' headers 20 bytes each.
    let ops = inflate(data, size.saturating_mul(21).saturating_add(64))?;
    let base = base.as_bytes();
    let mut out = Vec::with_capacity(size);
    let mut at = 0;
    while at < ops.len() {
        let tag = ops[at];
        at += 1;
        let (start, len) = (varint(&ops, &mut at)?, varint(&ops, &mut at)?);
        if out.len().saturating_add(len) > size {
            return Err(Corrupt("longer than recorded"));
        }
        match tag {
            COPY => {
                let end =
                    start.checked_add(len).filter(|end| *end <= base.len()).ok_or(Corrupt("copy out of range"))?;
                out.extend_from_slice(&base[start..end]);
            }
            INSERT => {
                let end = at.checked_add(len).filter(|end| *end <= ops.len()).ok_or(Corrupt("insert out of range"))?;
                out.extend_from_slice(&ops[at..end]);
                at = end;
            }
            _ => return Err(Corrupt("unknown operation")),
        }
    }
    if out.len() != size {
        return Err(Corrupt("length differs"));
    }
    String::from_utf8(out).map_err(|_| Corrupt("not UTF-8"))
}

fn line_starts(lines: &[&str]) -> Vec<usize> {
    let mut starts = Vec::with_capacity(lines.len() + 1);
    let mut at = 0;
    starts.push(0);
    for line in lines {
        at += line.len();
        starts.push(at);
    }
    starts
}

/// Appends an operation, merging it into the previous one when both copy
/// adjacent ranges (never for inserts: their bytes follow the header).
fn push_op(ops: &mut Vec<u8>, tag: u8, start: usize, len: usize) {
    if len == 0 && tag == COPY {
        return;
    }
    ops.push(tag);
    put_varint(ops, start);
    put_varint(ops, len);
}

fn put_varint(out: &mut Vec<u8>, mut value: usize) {
    while value >= 0x80 {
        out.push((value as u8) | 0x80);
        value >>= 7;
    }
    out.push(value as u8);
}

fn varint(bytes: &[u8], at: &mut usize) -> Result<usize, Corrupt> {
    let mut value: usize = 0;
    for shift in (0..64).step_by(7) {
        let byte = *bytes.get(*at).ok_or(Corrupt("truncated"))?;
        *at += 1;
        value |= ((byte & 0x7f) as usize).checked_shl(shift).ok_or(Corrupt("number too large"))?;
        if byte & 0x80 == 0 {
            return Ok(value);
        }
    }
    Err(Corrupt("number too long"))
}

fn deflate(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = DeflateEncoder::new(Vec::with_capacity(bytes.len() / 3 + 16), Compression::default());
    // Writing to a Vec cannot fail.
    let _ = encoder.write_all(bytes);
    encoder.finish().unwrap_or_default()
}

/// Inflates at most `limit` bytes (and one more, to tell that there were more).
fn inflate(data: &[u8], limit: usize) -> Result<Vec<u8>, Corrupt> {
    let mut out = Vec::new();
    DeflateDecoder::new(data).take(limit as u64 + 1).read_to_end(&mut out).map_err(|_| Corrupt("not deflate data"))?;
    if out.len() > limit {
        return Err(Corrupt("longer than recorded"));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(base: &str, text: &str) -> usize {
        let delta = encode_delta(base, text);
        assert_eq!(decode_delta(base, &delta, text.len()).unwrap(), text);
        delta.len()
    }

    #[test]
    fn deltas_rebuild_the_text_exactly() {
        round_trip("", "");
        round_trip("", "new\ntext");
        round_trip("old\ntext\n", "");
        round_trip("a\nb\nc\n", "a\nB\nc\nd");
        round_trip("no newline", "no newline at all");
        round_trip("emoji 😀\n中文\n", "emoji 😀😀\n中文\nmore");
    }

    #[test]
    fn a_small_edit_to_a_large_text_stores_a_small_delta() {
        let base: String = (0..20_000).map(|n| format!("line {n} of a long document\n")).collect();
        let text = base.replacen("line 12345 of", "line 12345 (edited) of", 1);
        let size = round_trip(&base, &text);
        assert!(size < 100, "delta of one changed line is {size} bytes");
    }

    #[test]
    fn full_copies_round_trip_and_compress() {
        let text = "# Title\n\nSome words. ".repeat(1000);
        let data = encode_full(&text);
        assert!(data.len() < text.len() / 10);
        assert_eq!(decode_full(&data, text.len()).unwrap(), text);
    }

    #[test]
    fn corrupt_rows_are_errors_not_panics_or_bombs() {
        let base = "abc\n";
        // A copy past the end of the base.
        let mut ops = Vec::new();
        push_op(&mut ops, COPY, 2, 10);
        assert!(decode_delta(base, &deflate(&ops), 10).is_err());
        // An insert claiming more bytes than follow.
        let mut ops = Vec::new();
        push_op(&mut ops, INSERT, 0, 1000);
        assert!(decode_delta(base, &deflate(&ops), 1000).is_err());
        // Output larger than recorded (a deflate bomb is cut off at the limit).
        let bomb = encode_full(&"x".repeat(10_000_000));
        assert!(decode_full(&bomb, 100).is_err());
        assert!(decode_delta(base, &bomb, 100).is_err());
        // Not deflate at all, not UTF-8.
        assert!(decode_full(b"\xff\xff\xff", 3).is_err());
        assert!(decode_full(&deflate(b"\xff\xfe"), 2).is_err());
        // Truncated varints.
        assert!(decode_delta(base, &deflate(&[COPY, 0x80]), 4).is_err());
    }
}
