//! Live document lists: `GET /events` is a Server-Sent Events stream for a
//! signed-in user. When a document is created, renamed, shared, unshared,
//! deleted or restored, each user whose lists show (or showed) it gets a
//! `docs` event naming it, and their page reloads its lists (through the same
//! access checks as any other read). Only the document's audience hears: the
//! owner and its members, computed by the caller before and after the change.
//! People connected to other instances hear through the relay.

use std::collections::HashMap;
use std::convert::Infallible;
use std::sync::Mutex;
use std::time::Duration;

use axum::extract::{Extension, State};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use futures::stream::{self, Stream, StreamExt};
use tokio::sync::broadcast;

use crate::auth::Caller;
use crate::doc_id::DocId;
use crate::error::Error;
use crate::relay::{self, Relay};
use crate::AppState;

/// Events buffered per user; a tab that falls further behind reloads anyway.
const BUFFER: usize = 64;

pub struct ListEvents {
    by_user: Mutex<HashMap<String, broadcast::Sender<String>>>,
    relay: Relay,
}

impl ListEvents {
    pub fn new(relay: Relay) -> Self {
        ListEvents { by_user: Mutex::default(), relay }
    }

    pub fn subscribe(&self, user_id: &str) -> broadcast::Receiver<String> {
        let mut by_user = self.by_user.lock().unwrap_or_else(|e| e.into_inner());
        by_user.retain(|_, sender| sender.receiver_count() > 0);
        by_user.entry(user_id.to_string()).or_insert_with(|| broadcast::channel(BUFFER).0).subscribe()
    }

    /// Tells these users, wherever they are connected, that a document in (or
    /// formerly in) their lists changed.
    pub fn document_changed<'a>(&self, audience: impl IntoIterator<Item = &'a String>, doc: &DocId) {
        let audience: Vec<String> = audience.into_iter().cloned().collect();
        self.deliver(&audience, doc);
        if !audience.is_empty() {
            self.relay.publish(&relay::Message::DocsChanged(doc.clone(), audience));
        }
    }

    /// Tells those of these users connected to this instance.
    pub fn deliver(&self, audience: &[String], doc: &DocId) {
        let by_user = self.by_user.lock().unwrap_or_else(|e| e.into_inner());
        let mut told = std::collections::HashSet::new();
        for user in audience {
            if told.insert(user) {
                if let Some(sender) = by_user.get(user) {
                    let _ = sender.send(doc.to_string());
                }
            }
        }
    }
}

/// `GET /events`: the signed-in caller's list events (401 for anyone else).
pub async fn stream(State(state): State<AppState>, Extension(caller): Extension<Caller>) -> Response {
    let Some(user) = caller.user else { return Error::Unauthorized.into_response() };
    let receiver = state.events.subscribe(&user.id);
    Sse::new(events(receiver, state.shutdown.clone()))
        .keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
        .into_response()
}

fn events(
    receiver: broadcast::Receiver<String>,
    shutdown: tokio_util::sync::CancellationToken,
) -> impl Stream<Item = Result<Event, Infallible>> {
    // First a `ready` event, so a page knows it will hear about changes from
    // now on (and reloads once, in case it missed one while connecting).
    // Browsers drop events whose data is empty, so every event carries some.
    let ready = stream::once(async { Ok(Event::default().event("ready").data("ok")) });
    let changes = stream::unfold((receiver, shutdown), |(mut receiver, shutdown)| async move {
        let doc = tokio::select! {
            _ = shutdown.cancelled() => return None,
            received = receiver.recv() => match received {
                Ok(doc) => doc,
                // Missed some: "*" instead of a document means "reload all".
                Err(broadcast::error::RecvError::Lagged(_)) => "*".to_string(),
                Err(broadcast::error::RecvError::Closed) => return None,
            },
        };
        Some((Ok(Event::default().event("docs").data(doc)), (receiver, shutdown)))
    });
    ready.chain(changes)
}
