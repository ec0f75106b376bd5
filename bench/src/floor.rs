//! The floor: a bare WebSocket relay with no CRDT. Every binary frame a client
//! sends goes, unchanged, to every other client in the same room (the URL
//! path); nothing is decoded, stored or answered. No server that does more can
//! be faster on the same machine, so its numbers are the floor the others are
//! measured against.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use futures::{SinkExt, StreamExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::handshake::server::{Request, Response};
use tokio_tungstenite::tungstenite::Message;

type Outbox = mpsc::UnboundedSender<Message>;

#[derive(Default)]
struct Rooms {
    next_id: u64,
    members: HashMap<String, Vec<(u64, Outbox)>>,
}

/// Serves the relay on `listener` until the process ends.
pub async fn serve(listener: TcpListener) -> anyhow::Result<()> {
    let rooms = Arc::new(Mutex::new(Rooms::default()));
    loop {
        let (stream, _) = listener.accept().await?;
        let _ = stream.set_nodelay(true);
        tokio::spawn(connection(stream, rooms.clone()));
    }
}

/// Binds `addr` and serves on a single-threaded runtime (the relay is pinned
/// to one core like every other server).
pub fn run(addr: SocketAddr) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    runtime.block_on(async {
        let listener = TcpListener::bind(addr).await?;
        serve(listener).await
    })
}

async fn connection(stream: TcpStream, rooms: Arc<Mutex<Rooms>>) {
    let mut path = String::new();
    // The handshake callback's signature is tungstenite's (its error is an HTTP response).
    #[allow(clippy::result_large_err)]
    let callback = |request: &Request, response: Response| {
        path = request.uri().path().to_string();
        Ok(response)
    };
    let accepted =
        tokio_tungstenite::accept_hdr_async_with_config(stream, callback, Some(crate::peer::lean_config())).await;
    let Ok(socket) = accepted else { return };
    let (mut sink, mut source) = socket.split();
    let (outbox, mut inbox) = mpsc::unbounded_channel::<Message>();
    let id = {
        let mut rooms = rooms.lock().unwrap();
        rooms.next_id += 1;
        let id = rooms.next_id;
        rooms.members.entry(path.clone()).or_default().push((id, outbox));
        id
    };
    let writer = tokio::spawn(async move {
        // As Quire does: what is queued goes out in one write.
        while let Some(message) = inbox.recv().await {
            if sink.feed(message).await.is_err() {
                return;
            }
            while let Ok(message) = inbox.try_recv() {
                if sink.feed(message).await.is_err() {
                    return;
                }
            }
            if sink.flush().await.is_err() {
                return;
            }
        }
    });
    while let Some(Ok(message)) = source.next().await {
        if !message.is_binary() {
            continue;
        }
        let rooms = rooms.lock().unwrap();
        for (member, outbox) in rooms.members.get(&path).into_iter().flatten() {
            if *member != id {
                let _ = outbox.send(message.clone());
            }
        }
    }
    let mut rooms = rooms.lock().unwrap();
    if let Some(members) = rooms.members.get_mut(&path) {
        members.retain(|(member, _)| *member != id);
        if members.is_empty() {
            rooms.members.remove(&path);
        }
    }
    writer.abort();
}
