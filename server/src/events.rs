//! Live document lists: `GET /events` is a Server-Sent Events stream for a
//! signed-in user. When a document is created, renamed, shared, unshared,
//! deleted or restored, each user whose lists show (or showed) it gets a
//! `docs` event naming it, and their page reloads its lists (through the same
//! access checks as any other read). Only the document's audience hears: the
//! owner and its members, computed by the caller before and after the change.
//! People connected to other instances hear through the relay.
//!
//! A stream lives only as long as the credential it was opened with: when its
//! account signs out or revokes a token, every stream of that account
//! re-checks its own and ends if it no longer holds; one opened with an
//! expiring token ends when the token expires.

use std::collections::HashMap;
use std::convert::Infallible;
use std::sync::Mutex;
use std::time::Duration;

use axum::extract::State;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use futures::stream::{self, Stream, StreamExt};
use tokio::sync::broadcast;

use crate::auth::Caller;
use crate::doc_id::DocId;
use crate::error::Error;
use crate::relay::{self, Relay};
use crate::state::AppState;

/// Events buffered per user; a tab that falls further behind reloads anyway.
const BUFFER: usize = 64;

pub struct ListEvents {
    by_user: Mutex<HashMap<String, broadcast::Sender<ListEvent>>>,
    relay: Relay,
}

/// What a user's streams hear.
#[derive(Debug, Clone)]
pub enum ListEvent {
    /// This document (or "*", all of them) changed in their lists.
    Changed(String),
    /// A credential of theirs ended: each stream checks its own.
    Recheck,
}

impl ListEvents {
    pub fn new(relay: Relay) -> Self {
        ListEvents { by_user: Mutex::default(), relay }
    }

    pub fn subscribe(&self, user_id: &str) -> broadcast::Receiver<ListEvent> {
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
                    let _ = sender.send(ListEvent::Changed(doc.to_string()));
                }
            }
        }
    }

    /// A credential of this user ended (here or on another instance): their
    /// streams on this instance re-check theirs.
    pub fn recheck(&self, user_id: &str) {
        let by_user = self.by_user.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(sender) = by_user.get(user_id) {
            let _ = sender.send(ListEvent::Recheck);
        }
    }
}

/// `GET /events`: the signed-in caller's list events (401 for anyone else).
pub async fn stream(State(state): State<AppState>, caller: Caller) -> Response {
    let Some(user) = &caller.user else {
        return Error::Unauthorized.into_response();
    };
    crate::auth::touch_last_seen(&state, &caller);
    let receiver = state.events.subscribe(&user.id);
    Sse::new(events(receiver, state, caller))
        .keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
        .into_response()
}

fn events(
    receiver: broadcast::Receiver<ListEvent>,
    state: AppState,
    caller: Caller,
) -> impl Stream<Item = Result<Event, Infallible>> {
    // First a `ready` event, so a page knows it will hear about changes from
    // now on (and reloads once, in case it missed one while connecting).
    // Browsers drop events whose data is empty, so every event carries some.
    let ready = stream::once(async { Ok(Event::default().event("ready").data("ok")) });
    let changes = stream::unfold((receiver, state, caller), |(mut receiver, state, caller)| async move {
        // A stream opened with an expiring API token ends when the token does.
        let expires = caller.token_limits.expires_at.map(|at| {
            let left = u64::try_from(at - crate::store::now_ms()).unwrap_or(0);
            tokio::time::Instant::now() + Duration::from_millis(left)
        });
        let doc = loop {
            tokio::select! {
                _ = state.shutdown.cancelled() => return None,
                _ = async { tokio::time::sleep_until(expires.unwrap_or_else(tokio::time::Instant::now)).await }, if expires.is_some() => return None,
                received = receiver.recv() => match received {
                    Ok(ListEvent::Changed(doc)) => break doc,
                    Ok(ListEvent::Recheck) => {
                        if !crate::auth::still_signed_in(&state.store, &caller).await.unwrap_or(false) {
                            return None;
                        }
                    }
                    // Missed some (a re-check among them, perhaps): check, and
                    // "*" instead of a document means "reload all".
                    Err(broadcast::error::RecvError::Lagged(_)) => {
                        if !crate::auth::still_signed_in(&state.store, &caller).await.unwrap_or(false) {
                            return None;
                        }
                        break "*".to_string();
                    }
                    Err(broadcast::error::RecvError::Closed) => return None,
                },
            }
        };
        Some((Ok(Event::default().event("docs").data(doc)), (receiver, state, caller)))
    });
    ready.chain(changes)
}
