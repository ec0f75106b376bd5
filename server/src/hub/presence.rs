//! Who is in a room and where their carets are: y-protocols awareness states,
//! held by the server under its own rules rather than trusted as sent.
//!
//! - Each awareness client id belongs to the connection that introduced it;
//!   entries about ids a connection does not own are ignored (stock Yjs
//!   clients echo everyone's states back, so this is routine, not an attack).
//!   A new connection of the same session may take an id over (a reconnecting
//!   tab whose old socket is not yet known dead).
//! - The `user` field of every state is replaced with the owner's identity
//!   from its server-side session.
//! - When a connection leaves, its states are removed at once (clock + 1,
//!   null), and the id is remembered for a while so a late echo cannot revive it.
//! - Changes are not relayed one by one: they collect in `pending` and go out
//!   as one merged update per flush, at most one flush per [`FLUSH_EVERY`], so
//!   a room of N people typing costs O(N) frames per flush, not O(N²).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{Map, Value};
use yrs::sync::awareness::{AwarenessUpdate, AwarenessUpdateEntry};
use yrs::ClientID;

use app::api::Identity;

use super::room::ConnId;

/// Shortest time between two presence flushes of one room.
pub const FLUSH_EVERY: Duration = Duration::from_millis(50);
/// Awareness ids one connection may own (a Yjs client uses one per document).
pub const MAX_IDS_PER_CONNECTION: usize = 4;
/// How long a removed id stays remembered.
const RETIRED_FOR: Duration = Duration::from_secs(600);

/// Why a connection's presence was refused (the connection is closed).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PresenceError {
    /// A state is larger than the configured limit.
    TooLarge,
    /// A state is not a JSON object (or null).
    Malformed,
}

/// The connection presence comes from: who it is and which session it belongs to.
#[derive(Debug, Clone)]
pub struct Sender<'a> {
    pub conn: ConnId,
    /// The session's guest key: the same person in another tab or socket.
    pub key: &'a str,
    pub identity: &'a Identity,
}

struct Entry {
    clock: u32,
    /// The stamped JSON state; None once removed.
    state: Option<Arc<str>>,
    owner: Option<(ConnId, Arc<str>)>,
    retired_at: Option<Instant>,
}

/// What the room should do after presence changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flush {
    /// Flush now (the last flush was long enough ago).
    Now,
    /// A flush is due after this delay; the caller arranges it.
    After(Duration),
    /// A flush is already arranged, or nothing changed.
    Nothing,
}

#[derive(Default)]
pub struct Presence {
    entries: HashMap<ClientID, Entry>,
    by_conn: HashMap<ConnId, Vec<ClientID>>,
    pending: Vec<ClientID>,
    last_flush: Option<Instant>,
    flush_due: bool,
    max_state_bytes: usize,
}

enum Decision {
    Ignore,
    Accept { claim: bool, state: Option<Arc<str>> },
}

impl Presence {
    pub fn new(max_state_bytes: usize) -> Self {
        Presence { max_state_bytes, ..Default::default() }
    }

    /// Applies a connection's awareness update under the rules above. The whole
    /// update is checked before any of it takes effect. Returns how to flush.
    pub fn apply(&mut self, from: &Sender<'_>, update: AwarenessUpdate, now: Instant) -> Result<Flush, PresenceError> {
        let mut decisions = Vec::with_capacity(update.clients.len());
        let mut owned = self.by_conn.get(&from.conn).map_or(0, Vec::len);
        for (id, entry) in update.clients {
            if entry.json.len() > self.max_state_bytes {
                return Err(PresenceError::TooLarge);
            }
            let state = parse_state(&entry.json)?;
            let decision = self.decide(from, id, entry.clock, state.is_some(), owned);
            if let Decision::Accept { claim: true, .. } = decision {
                owned += 1;
            }
            let decision = match decision {
                Decision::Accept { claim, .. } => {
                    Decision::Accept { claim, state: state.map(|s| stamp(s, from.identity)) }
                }
                Decision::Ignore => Decision::Ignore,
            };
            decisions.push((id, entry.clock, decision));
        }
        let mut changed = false;
        for (id, clock, decision) in decisions {
            let Decision::Accept { claim, state } = decision else { continue };
            if claim {
                self.claim(id, from);
            }
            if state.is_none() {
                self.disown(id);
            }
            let entry = self.entries.get_mut(&id).expect("claimed above");
            entry.clock = clock;
            entry.retired_at = state.is_none().then_some(now);
            entry.state = state;
            self.pending.push(id);
            changed = true;
        }
        Ok(if changed { self.plan(now) } else { Flush::Nothing })
    }

    fn decide(&self, from: &Sender<'_>, id: ClientID, clock: u32, has_state: bool, owned: usize) -> Decision {
        let claim_ok = has_state && owned < MAX_IDS_PER_CONNECTION;
        match self.entries.get(&id) {
            None if claim_ok => Decision::Accept { claim: true, state: None },
            None => Decision::Ignore,
            Some(entry) => match &entry.owner {
                Some((conn, _)) if *conn == from.conn => {
                    let newer = clock > entry.clock || (clock == entry.clock && !has_state);
                    if newer { Decision::Accept { claim: false, state: None } } else { Decision::Ignore }
                }
                // The same session on a new socket: the tab reconnected.
                Some((_, key)) if &**key == from.key && clock > entry.clock && claim_ok => {
                    Decision::Accept { claim: true, state: None }
                }
                Some(_) => Decision::Ignore,
                // Removed earlier: only a genuinely newer state brings it back,
                // never a late echo of an old one.
                None if claim_ok && clock > entry.clock => Decision::Accept { claim: true, state: None },
                None => Decision::Ignore,
            },
        }
    }

    fn claim(&mut self, id: ClientID, from: &Sender<'_>) {
        self.disown(id);
        let owner = Some((from.conn, Arc::<str>::from(from.key)));
        self.entries
            .entry(id)
            .and_modify(|entry| entry.owner = owner.clone())
            .or_insert(Entry { clock: 0, state: None, owner, retired_at: None });
        self.by_conn.entry(from.conn).or_default().push(id);
    }

    /// Forgets which connection owns `id` (its entry stays).
    fn disown(&mut self, id: ClientID) {
        let Some(entry) = self.entries.get_mut(&id) else { return };
        if let Some((conn, _)) = entry.owner.take() {
            if let Some(ids) = self.by_conn.get_mut(&conn) {
                ids.retain(|owned| *owned != id);
                if ids.is_empty() {
                    self.by_conn.remove(&conn);
                }
            }
        }
    }

    /// Removes every state a connection owns, for everyone.
    pub fn leave(&mut self, conn: ConnId, now: Instant) -> Flush {
        let Some(ids) = self.by_conn.remove(&conn) else { return Flush::Nothing };
        for id in ids {
            if let Some(entry) = self.entries.get_mut(&id) {
                entry.owner = None;
                entry.state = None;
                entry.clock = entry.clock.saturating_add(1);
                entry.retired_at = Some(now);
                self.pending.push(id);
            }
        }
        self.plan(now)
    }

    fn plan(&mut self, now: Instant) -> Flush {
        if self.flush_due {
            return Flush::Nothing;
        }
        match self.last_flush.map(|at| now.saturating_duration_since(at)) {
            Some(since) if since < FLUSH_EVERY => {
                self.flush_due = true;
                Flush::After(FLUSH_EVERY - since)
            }
            _ => Flush::Now,
        }
    }

    /// Everything that changed since the last flush, as one update.
    pub fn flush(&mut self, now: Instant) -> Option<AwarenessUpdate> {
        self.flush_due = false;
        self.last_flush = Some(now);
        if self.pending.is_empty() {
            return None;
        }
        let mut clients = HashMap::with_capacity(self.pending.len());
        for id in self.pending.drain(..) {
            if let Some(entry) = self.entries.get(&id) {
                clients.insert(id, wire_entry(entry));
            }
        }
        self.entries.retain(|_, e| e.retired_at.is_none_or(|at| now.saturating_duration_since(at) < RETIRED_FOR));
        Some(AwarenessUpdate { clients })
    }

    /// Everyone present now (for a joining client or an AwarenessQuery).
    pub fn snapshot(&self) -> Option<AwarenessUpdate> {
        let clients: HashMap<_, _> = self
            .entries
            .iter()
            .filter(|(_, e)| e.state.is_some())
            .map(|(id, e)| (*id, wire_entry(e)))
            .collect();
        (!clients.is_empty()).then_some(AwarenessUpdate { clients })
    }

    /// How many states are live (people present with presence).
    #[cfg(test)]
    fn live(&self) -> usize {
        self.entries.values().filter(|e| e.state.is_some()).count()
    }
}

fn wire_entry(entry: &Entry) -> AwarenessUpdateEntry {
    AwarenessUpdateEntry { clock: entry.clock, json: entry.state.clone().unwrap_or_else(|| Arc::from("null")) }
}

/// A state as JSON: an object, or None for "null" (removal).
fn parse_state(json: &str) -> Result<Option<Map<String, Value>>, PresenceError> {
    match serde_json::from_str::<Value>(json) {
        Ok(Value::Null) => Ok(None),
        Ok(Value::Object(map)) => Ok(Some(map)),
        _ => Err(PresenceError::Malformed),
    }
}

/// The state with its `user` replaced by the sender's identity. `colorLight`
/// is the colour at 20 % opacity, as Yjs editor bindings expect for selections.
fn stamp(mut state: Map<String, Value>, identity: &Identity) -> Arc<str> {
    let user = serde_json::json!({
        "name": identity.name,
        "color": identity.color,
        "colorLight": format!("{}33", identity.color),
    });
    state.insert("user".into(), user);
    Arc::from(Value::Object(state).to_string())
}

#[cfg(test)]
mod tests {
    use app::collab::presence::awareness_update as update;

    use super::*;

    fn identity(name: &str) -> Identity {
        Identity { name: name.into(), color: "#3e63dd".into() }
    }

    #[test]
    fn the_user_field_is_the_senders_identity_whatever_was_sent() {
        let ada = identity("Ada");
        let mut presence = Presence::new(1024);
        let now = Instant::now();
        let from = Sender { conn: 1, key: "a", identity: &ada };
        presence.apply(&from, update(&[(7, 1, r#"{"user":{"name":"Eve","admin":true},"cursor":null}"#)]), now).unwrap();
        let out = presence.flush(now).unwrap();
        let state: Value = serde_json::from_str(&out.clients[&ClientID::new(7)].json).unwrap();
        assert_eq!(state["user"]["name"], "Ada");
        assert!(state["user"].get("admin").is_none());
        assert_eq!(state["cursor"], Value::Null);
    }

    #[test]
    fn flushes_are_throttled_and_merge_every_change() {
        let ada = identity("Ada");
        let mut presence = Presence::new(1024);
        let t0 = Instant::now();
        let a = Sender { conn: 1, key: "a", identity: &ada };
        let b = Sender { conn: 2, key: "b", identity: &ada };
        assert_eq!(presence.apply(&a, update(&[(1, 1, "{}")]), t0).unwrap(), Flush::Now);
        presence.flush(t0);
        let t1 = t0 + Duration::from_millis(10);
        assert_eq!(presence.apply(&a, update(&[(1, 2, "{}")]), t1).unwrap(), Flush::After(Duration::from_millis(40)));
        assert_eq!(presence.apply(&b, update(&[(2, 1, "{}")]), t1).unwrap(), Flush::Nothing);
        let merged = presence.flush(t0 + FLUSH_EVERY).unwrap();
        assert_eq!(merged.clients.len(), 2);
        assert_eq!(merged.clients[&ClientID::new(1)].clock, 2);
    }

    #[test]
    fn a_late_echo_of_a_removed_state_does_not_revive_it() {
        let ada = identity("Ada");
        let mut presence = Presence::new(1024);
        let now = Instant::now();
        let a = Sender { conn: 1, key: "a", identity: &ada };
        let echoer = Sender { conn: 2, key: "b", identity: &ada };
        presence.apply(&a, update(&[(1, 5, "{}")]), now).unwrap();
        presence.leave(1, now);
        presence.apply(&echoer, update(&[(1, 5, "{}")]), now).unwrap();
        assert_eq!(presence.live(), 0);
        // The same tab coming back with a newer clock is welcome.
        let back = Sender { conn: 3, key: "a", identity: &ada };
        presence.apply(&back, update(&[(1, 8, "{}")]), now).unwrap();
        assert_eq!(presence.live(), 1);
    }

    #[test]
    fn refuses_non_objects_and_oversized_states_before_changing_anything() {
        let ada = identity("Ada");
        let mut presence = Presence::new(64);
        let now = Instant::now();
        let a = Sender { conn: 1, key: "a", identity: &ada };
        assert_eq!(presence.apply(&a, update(&[(1, 1, "{}"), (2, 1, "[1]")]), now), Err(PresenceError::Malformed));
        let big = format!(r#"{{"x":"{}"}}"#, "y".repeat(100));
        assert_eq!(presence.apply(&a, update(&[(1, 1, &big)]), now), Err(PresenceError::TooLarge));
        assert_eq!(presence.live(), 0);
    }

    #[test]
    fn one_connection_cannot_hoard_ids() {
        let ada = identity("Ada");
        let mut presence = Presence::new(1024);
        let now = Instant::now();
        let a = Sender { conn: 1, key: "a", identity: &ada };
        let many: Vec<(u64, u32, &str)> = (1..=10).map(|id| (id, 1, "{}")).collect();
        presence.apply(&a, update(&many), now).unwrap();
        assert_eq!(presence.live(), MAX_IDS_PER_CONNECTION);
    }
}
