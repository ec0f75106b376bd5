//! Browser-only code (feature `hydrate`): the live editing session.
//!
//! `session` wires the pieces together; `provider` owns the WebSocket and speaks
//! y-sync; `binding` keeps the `<textarea>` and the Y.Text equal; `preview` patches
//! the rendered Markdown; `dom` holds
//! small helpers for event listeners and timers that clean up after themselves.

pub mod binding;
pub mod dom;
pub mod preview;
pub mod provider;
pub mod session;
