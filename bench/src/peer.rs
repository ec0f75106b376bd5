//! One benchmark client: a real WebSocket speaking y-sync to a [`Target`].
//!
//! Clients keep no document: a receiver only needs to know how far the
//! writer's clock has reached, which it reads off each update, so thousands of
//! them fit on the load generator's one core.

use std::collections::HashMap;
use std::time::Duration;

use anyhow::{bail, Context};
use futures::stream::{SplitSink, SplitStream};
use futures::{SinkExt, StreamExt};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};
use yrs::updates::decoder::Decode;
use yrs::Update;

use crate::target::{Kind, Target};
use crate::wire::{Dialect, Incoming};

type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// WebSocket settings for the benchmark's clients and the relay: a small
/// read buffer (tungstenite's 128 KiB default is resident per socket), as
/// Quire uses, so ten thousand clients fit and the floor is as lean as Quire.
/// Frames may be as large as a whole B4×100 document (about 25 MB).
pub fn lean_config() -> tokio_tungstenite::tungstenite::protocol::WebSocketConfig {
    const LARGEST: usize = 256 * 1024 * 1024;
    tokio_tungstenite::tungstenite::protocol::WebSocketConfig::default()
        .read_buffer_size(2 * 1024)
        .max_frame_size(Some(LARGEST))
        .max_message_size(Some(LARGEST))
}

pub struct Peer {
    pub sink: SplitSink<Socket, Message>,
    pub stream: SplitStream<Socket>,
    pub dialect: Dialect,
    /// Quire's saved count, when it sends one.
    pub saved: u64,
}

impl Peer {
    /// Opens `room` on `instance`, sends what the server needs first and, if
    /// the server syncs, waits for its SyncStep2. Whatever the server sent
    /// before is handed to `early` (a y-websocket sync may hold content).
    pub async fn join(
        target: &Target,
        instance: usize,
        room: &str,
        within: Duration,
    ) -> anyhow::Result<(Peer, Vec<Vec<u8>>)> {
        tokio::time::timeout(within, Self::join_inner(target, instance, room))
            .await
            .with_context(|| format!("{}: joining {room} took longer than {within:?}", target.label))?
    }

    async fn join_inner(target: &Target, instance: usize, room: &str) -> anyhow::Result<(Peer, Vec<Vec<u8>>)> {
        // Nagle off, as browsers have it: small frames go out at once.
        let (socket, _) =
            tokio_tungstenite::connect_async_with_config(target.request(instance, room)?, Some(lean_config()), true)
                .await
                .with_context(|| format!("{}: could not open {room}", target.label))?;
        let (sink, stream) = socket.split();
        let mut peer = Peer { sink, stream, dialect: target.dialect(room), saved: 0 };
        if let Some(opening) = peer.dialect.opening() {
            peer.send(opening).await?;
        }
        if target.kind == Kind::Quire {
            peer.send(peer.dialect.quire_hello()).await?;
        }
        let mut received = Vec::new();
        if !target.syncs() {
            return Ok((peer, received));
        }
        peer.send(peer.dialect.sync_step1_empty()).await?;
        loop {
            for message in peer.next().await? {
                match message {
                    Incoming::SyncStep2(update) => {
                        received.push(update);
                        return Ok((peer, received));
                    }
                    Incoming::Update(update) => received.push(update),
                    _ => {}
                }
            }
        }
    }

    pub async fn send(&mut self, frame: Vec<u8>) -> anyhow::Result<()> {
        self.sink.send(Message::Binary(frame.into())).await?;
        Ok(())
    }

    /// The messages of the next binary frame (pings are answered by the
    /// library while reading).
    pub async fn next(&mut self) -> anyhow::Result<Vec<Incoming>> {
        loop {
            match self.stream.next().await {
                None => bail!("the server closed the connection"),
                Some(Err(error)) => return Err(error.into()),
                Some(Ok(Message::Binary(frame))) => {
                    let messages = self.dialect.parse(&frame)?;
                    for message in &messages {
                        if let Incoming::Saved(n) = message {
                            self.saved = self.saved.max(*n);
                        }
                    }
                    return Ok(messages);
                }
                Some(Ok(Message::Close(frame))) => bail!("the server closed the connection: {frame:?}"),
                Some(Ok(_)) => {}
            }
        }
    }
}

/// How far every client's clock reaches in an update.
pub fn clocks_reached(update: &[u8]) -> anyhow::Result<HashMap<u64, u32>> {
    let update = Update::decode_v1(update).map_err(|e| anyhow::anyhow!("undecodable update: {e}"))?;
    let insertions = update.insertions(true);
    Ok(insertions
        .iter()
        .filter_map(|(id, ranges)| ranges.iter().map(|range| range.end).max().map(|end| (id.get(), end)))
        .collect())
}

/// How far `client`'s clock reaches in an update: the end of its last
/// inserted (or since deleted) item. Servers that merge or re-encode updates
/// still carry the writer's ids, so this measures delivery for all of them.
pub fn clock_reached(update: &[u8], client: u64) -> anyhow::Result<Option<u32>> {
    if let Some(reached) = scan_clock(update, client) {
        return Ok(reached);
    }
    let update = Update::decode_v1(update).map_err(|e| anyhow::anyhow!("undecodable update: {e}"))?;
    let insertions = update.insertions(true);
    Ok(insertions
        .iter()
        .filter(|(id, _)| id.get() == client)
        .flat_map(|(_, ranges)| ranges.iter().map(|range| range.end).collect::<Vec<_>>())
        .max())
}

/// The fast path of [`clock_reached`], for updates that hold only text and
/// deleted items (all the fan-out writer makes): walks the v1 encoding
/// without building anything. None when the update holds something else.
fn scan_clock(update: &[u8], client: u64) -> Option<Option<u32>> {
    use yrs::encoding::read::{Cursor, Read};
    let mut cursor = Cursor::new(update);
    let mut reached = None;
    let clients: u64 = cursor.read_var().ok()?;
    for _ in 0..clients {
        let structs: u64 = cursor.read_var().ok()?;
        let id: u64 = cursor.read_var().ok()?;
        let mut clock: u32 = cursor.read_var().ok()?;
        for _ in 0..structs {
            let info = cursor.read_u8().ok()?;
            let len: u32 = match info & 0b1_1111 {
                // GC, Skip, Deleted: just a length.
                0 | 10 => cursor.read_var().ok()?,
                content @ (1 | 4) => {
                    if info & 0x80 != 0 {
                        let _: (u64, u32) = (cursor.read_var().ok()?, cursor.read_var().ok()?);
                    }
                    if info & 0x40 != 0 {
                        let _: (u64, u32) = (cursor.read_var().ok()?, cursor.read_var().ok()?);
                    }
                    if info & 0xC0 == 0 {
                        let named: u64 = cursor.read_var().ok()?;
                        if named == 1 {
                            skip_buf(&mut cursor)?;
                        } else {
                            let _: (u64, u32) = (cursor.read_var().ok()?, cursor.read_var().ok()?);
                        }
                        if info & 0x20 != 0 {
                            skip_buf(&mut cursor)?;
                        }
                    }
                    if content == 1 {
                        cursor.read_var().ok()?
                    } else {
                        let text = std::str::from_utf8(buf(&mut cursor)?).ok()?;
                        text.encode_utf16().count() as u32
                    }
                }
                _ => return None,
            };
            clock = clock.checked_add(len)?;
        }
        if id == client && clock > 0 {
            reached = Some(reached.unwrap_or(0).max(clock));
        }
    }
    Some(reached)
}

fn buf<'a>(cursor: &mut yrs::encoding::read::Cursor<'a>) -> Option<&'a [u8]> {
    use yrs::encoding::read::Read;
    let len: usize = cursor.read_var::<u64>().ok()? as usize;
    let end = cursor.next.checked_add(len).filter(|&end| end <= cursor.buf.len())?;
    let bytes = &cursor.buf[cursor.next..end];
    cursor.next = end;
    Some(bytes)
}

fn skip_buf(cursor: &mut yrs::encoding::read::Cursor) -> Option<()> {
    buf(cursor).map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;
    use yrs::{Doc, Options, ReadTxn, Text, Transact};

    #[test]
    fn the_fast_scan_agrees_with_decoding() {
        let doc = Doc::with_options(Options { client_id: yrs::block::ClientID::new(77), ..Options::default() });
        let text = doc.get_or_insert_text("content");
        let mut updates = Vec::new();
        for chunk in ["hello", " wörld", "!"] {
            let mut txn = doc.transact_mut();
            let end = text.len(&txn);
            text.insert(&mut txn, end, chunk);
            updates.push(txn.encode_update_v1());
        }
        {
            let mut txn = doc.transact_mut();
            text.remove_range(&mut txn, 0, 3);
            updates.push(txn.encode_update_v1());
        }
        updates.push(doc.transact().encode_state_as_update_v1(&Default::default()));
        for update in &updates {
            let decoded = Update::decode_v1(update).unwrap().insertions(true);
            let slow = decoded
                .iter()
                .filter(|(id, _)| id.get() == 77)
                .flat_map(|(_, r)| r.iter().map(|r| r.end).collect::<Vec<_>>())
                .max();
            assert_eq!(scan_clock(update, 77), Some(slow), "{update:?}");
            assert_eq!(scan_clock(update, 78), Some(None));
        }
    }
}
