//! Browser-only code (feature `hydrate`): the live editing session.
//!
//! `session` wires the pieces together; `presence` is its awareness half;
//! `provider` owns the WebSocket; `binding` keeps the `<textarea>` and the
//! Y.Text equal; `cursors` draws other people's carets over it; `preview`
//! patches the rendered Markdown; `dom` holds small helpers for listeners,
//! timers and animation frames that clean up after themselves; `list_events`
//! keeps the home page's lists live.

pub mod binding;
pub mod cursors;
pub mod dom;
pub mod list_events;
pub mod presence;
pub mod preview;
pub mod provider;
pub mod session;
