//! Crash injection for the durability tests: with `QUIRE_CRASH_AT=<name>` in
//! its environment, the process aborts (no destructors, no flushing: as abrupt
//! as `kill -9`) the first time it reaches the point of that name. Unset, each
//! point costs one comparison against a value read once.
//!
//! Points: `compaction:snapshot-written`, `compaction:log-deleted` (inside the
//! compaction transaction, before it commits) and `commit:before-ack` (after a
//! batch committed, before its writers are told).

use std::sync::OnceLock;

static CRASH_AT: OnceLock<Option<String>> = OnceLock::new();

/// Aborts the process if it was told to crash at `point`.
pub fn hit(point: &str) {
    let armed = CRASH_AT.get_or_init(|| std::env::var("QUIRE_CRASH_AT").ok().filter(|p| !p.is_empty()));
    if armed.as_deref() == Some(point) {
        eprintln!("QUIRE_CRASH_AT={point}: aborting");
        std::process::abort();
    }
}
