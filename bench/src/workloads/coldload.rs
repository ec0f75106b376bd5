//! Workload d: a large document in the server's store, loaded cold.
//!
//! B4 is the Automerge-paper editing trace (259,778 single-character edits)
//! sent to the server one edit per update, as the person typing it would have.
//! B4×100 is that trace replayed a hundred times into one text (10 MB), sent
//! as one update per replay. After each server restart, a fresh client's time
//! from opening the socket to holding the whole document is measured.

use std::collections::HashMap;
use std::io::Read;
use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use futures::SinkExt;
use serde::{Deserialize, Serialize};
use tokio_tungstenite::tungstenite::Message;
use yrs::updates::decoder::Decode;
use yrs::{Doc, GetString, Options, ReadTxn, StateVector, Text, Transact};

use crate::peer::{clocks_reached, Peer};
use crate::servers::Running;
use crate::stats::{summarize, Summary};
use crate::wire::Incoming;

/// The client id every replayed edit carries.
const AUTHOR: u64 = 0xB4;

/// One edit of the trace: at `position` (code points) delete `deleted`, then insert `inserted`.
#[derive(Debug, Clone, Deserialize)]
pub struct Patch(pub u32, pub u32, pub String);

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Trace {
    end_content: String,
    txns: Vec<Txn>,
}

#[derive(Deserialize)]
struct Txn {
    patches: Vec<Patch>,
}

/// Every patch of a gzipped trace, and the text they must produce.
pub fn read_trace(path: &Path) -> anyhow::Result<(Vec<Patch>, String)> {
    let file = std::fs::File::open(path).with_context(|| format!("opening {}", path.display()))?;
    let mut json = String::new();
    flate2::read::GzDecoder::new(file).read_to_string(&mut json)?;
    let trace: Trace = serde_json::from_str(&json)?;
    Ok((trace.txns.into_iter().flat_map(|txn| txn.patches).collect(), trace.end_content))
}

/// [`read_trace`] for the replay, which counts positions in bytes: ASCII traces only.
pub fn load_trace(path: &Path) -> anyhow::Result<(Vec<Patch>, String)> {
    let (patches, end) = read_trace(path)?;
    if !end.is_ascii() {
        bail!("the replay counts positions in bytes: it needs an ASCII trace");
    }
    Ok((patches, end))
}

/// A document being written by replaying a trace.
pub struct Replay {
    doc: Doc,
    text: yrs::TextRef,
}

impl Default for Replay {
    fn default() -> Self {
        Self::new()
    }
}

impl Replay {
    pub fn new() -> Self {
        let doc = Doc::with_options(Options {
            client_id: yrs::block::ClientID::new(AUTHOR),
            offset_kind: yrs::OffsetKind::Utf16,
            ..Options::default()
        });
        let text = doc.get_or_insert_text("content");
        Replay { doc, text }
    }

    /// Applies one patch `offset` characters into the text; its update.
    pub fn apply(&self, offset: u32, Patch(position, deleted, inserted): &Patch) -> Vec<u8> {
        let mut txn = self.doc.transact_mut();
        if *deleted > 0 {
            self.text.remove_range(&mut txn, offset + position, *deleted);
        }
        if !inserted.is_empty() {
            self.text.insert(&mut txn, offset + position, inserted);
        }
        txn.encode_update_v1()
    }

    pub fn len(&self) -> u32 {
        self.text.len(&self.doc.transact())
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn text(&self) -> String {
        self.text.get_string(&self.doc.transact())
    }

    pub fn state_vector(&self) -> StateVector {
        self.doc.transact().state_vector()
    }

    pub fn diff(&self, since: &StateVector) -> Vec<u8> {
        self.doc.transact().encode_state_as_update_v1(since)
    }

    /// The author's clock: a client holds the whole document when it has this much.
    pub fn clock(&self) -> u32 {
        self.state_vector().get(&yrs::block::ClientID::new(AUTHOR))
    }
}

/// The two documents: B4's per-edit updates, and B4×100 as one update per copy.
pub struct Documents {
    pub b4_updates: Vec<Vec<u8>>,
    /// Author → clock a client must reach to hold all of B4.
    pub b4_clocks: HashMap<u64, u32>,
    pub b4_chars: u32,
    pub x100_updates: Vec<Vec<u8>>,
    pub x100_clocks: HashMap<u64, u32>,
    pub x100_chars: u32,
    pub x100_bytes: usize,
}

/// Replays the trace edit by edit (B4), then makes B4×`copies`: the same
/// history written by `copies` different authors into one text, as if each
/// had typed the paper at the same time. Each copy is B4's update with its
/// author's id rewritten, so the big document costs one replay, not a hundred
/// (a replay deep into a 10 MB text is quadratic in yrs).
pub fn build(trace: &Path, copies: usize) -> anyhow::Result<Documents> {
    let (patches, end) = load_trace(trace)?;
    let b4 = Replay::new();
    let b4_updates: Vec<Vec<u8>> = patches.iter().map(|patch| b4.apply(0, patch)).collect();
    if b4.text() != end {
        bail!("replaying the trace did not give its final text");
    }
    let whole = b4.diff(&StateVector::default());
    let x100_updates: Vec<Vec<u8>> = (1..=copies as u64)
        .map(|copy| rebase_author(&whole, AUTHOR, AUTHOR + copy).context("rewriting B4 for another author"))
        .collect::<anyhow::Result<_>>()?;
    let big = Doc::with_options(Options { offset_kind: yrs::OffsetKind::Utf16, ..Options::default() });
    let text = big.get_or_insert_text("content");
    {
        let mut txn = big.transact_mut();
        for update in &x100_updates {
            txn.apply_update(yrs::Update::decode_v1(update)?)?;
        }
    }
    let x100_chars = text.len(&big.transact());
    if x100_chars as usize != end.len() * copies {
        bail!("B4×{copies} has {x100_chars} characters, not {}", end.len() * copies);
    }
    let x100_bytes = big.transact().encode_state_as_update_v1(&StateVector::default()).len();
    Ok(Documents {
        b4_clocks: HashMap::from([(AUTHOR, b4.clock())]),
        b4_chars: b4.len(),
        b4_updates,
        x100_clocks: (1..=copies as u64).map(|copy| (AUTHOR + copy, b4.clock())).collect(),
        x100_chars,
        x100_bytes,
        x100_updates,
    })
}

/// Rewrites a v1 update written by `from` alone (text and deletions, as the
/// replay makes) so that `to` wrote it: every id and origin changes client.
fn rebase_author(update: &[u8], from: u64, to: u64) -> Option<Vec<u8>> {
    use yrs::encoding::read::{Cursor, Read};
    use yrs::encoding::write::Write;
    let mut cursor = Cursor::new(update);
    let mut out = Vec::with_capacity(update.len() + 64);
    let swap = |client: u64| if client == from { to } else { client };
    let copy_id = |cursor: &mut Cursor, out: &mut Vec<u8>| -> Option<()> {
        let client: u64 = cursor.read_var().ok()?;
        let clock: u32 = cursor.read_var().ok()?;
        out.write_var(swap(client));
        out.write_var(clock);
        Some(())
    };
    let clients: u64 = cursor.read_var().ok()?;
    out.write_var(clients);
    for _ in 0..clients {
        let structs: u64 = cursor.read_var().ok()?;
        out.write_var(structs);
        copy_id(&mut cursor, &mut out)?;
        for _ in 0..structs {
            let info = cursor.read_u8().ok()?;
            out.write_u8(info);
            match info & 0b1_1111 {
                0 | 10 => out.write_var(cursor.read_var::<u64>().ok()?),
                content @ (1 | 4) => {
                    if info & 0x80 != 0 {
                        copy_id(&mut cursor, &mut out)?;
                    }
                    if info & 0x40 != 0 {
                        copy_id(&mut cursor, &mut out)?;
                    }
                    if info & 0xC0 == 0 {
                        let named: u64 = cursor.read_var().ok()?;
                        out.write_var(named);
                        if named == 1 {
                            out.write_string(cursor.read_string().ok()?);
                        } else {
                            copy_id(&mut cursor, &mut out)?;
                        }
                        if info & 0x20 != 0 {
                            out.write_string(cursor.read_string().ok()?);
                        }
                    }
                    if content == 1 {
                        out.write_var(cursor.read_var::<u64>().ok()?);
                    } else {
                        out.write_string(cursor.read_string().ok()?);
                    }
                }
                _ => return None,
            }
        }
    }
    // The delete set: per client, ranges of (clock, length).
    let clients: u64 = cursor.read_var().ok()?;
    out.write_var(clients);
    for _ in 0..clients {
        let client: u64 = cursor.read_var().ok()?;
        out.write_var(swap(client));
        let ranges: u64 = cursor.read_var().ok()?;
        out.write_var(ranges);
        for _ in 0..ranges * 2 {
            out.write_var(cursor.read_var::<u64>().ok()?);
        }
    }
    (!cursor.has_content()).then_some(out)
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ColdLoad {
    pub document: String,
    pub updates_sent: usize,
    /// Time to write the document into the server (all updates accepted).
    pub write_secs: f64,
    /// Connect → whole document received, one sample per restart.
    pub load: Summary,
}

/// Writes `updates` into a fresh room, restarts the server `restarts` times
/// and times a fresh client's full sync after each restart.
pub async fn run(
    server: &mut Running,
    name: &str,
    updates: &[Vec<u8>],
    clocks: &HashMap<u64, u32>,
    restarts: usize,
) -> anyhow::Result<ColdLoad> {
    let room = server.target.new_rooms(&format!("cold-{}", name.replace('×', "x")), 1).await?.remove(0);
    let target = server.target.clone();
    let started = Instant::now();
    let (mut writer, _) = Peer::join(&target, 0, &room, Duration::from_secs(30)).await?;
    for (index, update) in updates.iter().enumerate() {
        writer.sink.feed(Message::Binary(writer.dialect.update(update).into())).await?;
        if index % 256 == 255 {
            writer.sink.flush().await?;
        }
    }
    writer.sink.flush().await?;
    // Quire says when everything is committed; for the others, a second
    // client seeing the whole document shows it was all applied.
    if target.kind == crate::target::Kind::Quire {
        let expected = updates.len() as u64;
        tokio::time::timeout(Duration::from_secs(600), async {
            while writer.saved < expected {
                writer.next().await?;
            }
            anyhow::Ok(())
        })
        .await
        .context("Quire did not acknowledge every update")??;
    } else {
        full_sync(&target, &room, clocks).await?;
    }
    let write_secs = started.elapsed().as_secs_f64();
    let _ = writer.sink.close().await;
    drop(writer);
    // Stores that write behind (y-websocket's LevelDB queue, Hocuspocus's 2 s
    // debounce) get until the server goes idle; then SIGTERM, which every
    // server here handles by flushing or at least not losing what it wrote.
    server.settle(Duration::from_secs(300)).await;

    let mut samples = Vec::with_capacity(restarts);
    for _ in 0..restarts {
        server.restart()?;
        let elapsed = full_sync(&server.target, &room, clocks).await?;
        samples.push(elapsed.as_micros() as u32);
    }
    Ok(ColdLoad { document: name.to_string(), updates_sent: updates.len(), write_secs, load: summarize(samples) })
}

/// Time from opening a socket to holding every author's clock in `clocks`
/// (the frame that completes it has arrived; decoding it is not counted).
async fn full_sync(target: &crate::target::Target, room: &str, clocks: &HashMap<u64, u32>) -> anyhow::Result<Duration> {
    let started = Instant::now();
    let (mut peer, early) = Peer::join(target, 0, room, Duration::from_secs(120)).await?;
    let mut arrived = started.elapsed();
    let mut missing: HashMap<u64, u32> = clocks.clone();
    let note = |missing: &mut HashMap<u64, u32>, update: &[u8]| -> anyhow::Result<()> {
        for (client, reached) in clocks_reached(update)? {
            if missing.get(&client).is_some_and(|&wanted| reached >= wanted) {
                missing.remove(&client);
            }
        }
        Ok(())
    };
    for update in early {
        note(&mut missing, &update)?;
    }
    while !missing.is_empty() {
        let messages = tokio::time::timeout(Duration::from_secs(120), peer.next())
            .await
            .context("the document never arrived in full")??;
        arrived = started.elapsed();
        for message in messages {
            if let Incoming::Update(update) | Incoming::SyncStep2(update) = message {
                note(&mut missing, &update)?;
            }
        }
    }
    let _ = peer.sink.close().await;
    Ok(arrived)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rebased_copy_is_the_same_text_by_another_author() {
        let replay = Replay::new();
        for (at, text) in [(0, "hello world"), (5, ","), (0, ">> ")] {
            replay.apply(0, &Patch(at, 0, text.to_string()));
        }
        replay.apply(0, &Patch(3, 2, String::new()));
        let whole = replay.diff(&StateVector::default());
        let doc = Doc::new();
        let text = doc.get_or_insert_text("content");
        for author in [AUTHOR + 1, AUTHOR + 2] {
            let copy = rebase_author(&whole, AUTHOR, author).unwrap();
            doc.transact_mut().apply_update(yrs::Update::decode_v1(&copy).unwrap()).unwrap();
        }
        let expected = replay.text();
        assert_eq!(text.get_string(&doc.transact()), format!("{expected}{expected}"));
        assert_eq!(doc.transact().state_vector().get(&yrs::block::ClientID::new(AUTHOR + 2)), replay.clock());
    }
}
