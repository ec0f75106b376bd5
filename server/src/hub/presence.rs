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
//! - With several instances, each one owns the states of its own clients and
//!   relays them (see `relay`); states from another instance are held as that
//!   instance's, never claimed by a local connection of another session, and
//!   removed when that instance goes away.
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
use crate::relay::{InstanceId, RelayedPresence};

/// Shortest time between two presence flushes of one room.
pub const FLUSH_EVERY: Duration = Duration::from_millis(50);
/// Awareness ids one connection may own (a Yjs client uses one per document).
pub const MAX_IDS_PER_CONNECTION: usize = 4;
/// Awareness ids one connection may claim over its whole life: claiming an
/// id, clearing it and claiming another, thousands of times, would leave a
/// trail of retired ids for the room to remember and send around.
pub const MAX_CLAIMS_PER_CONNECTION: usize = 16;
/// How long a removed id stays remembered.
const RETIRED_FOR: Duration = Duration::from_secs(600);
/// Removed ids a room remembers at most (the oldest are forgotten first).
const MAX_RETIRED: usize = 4096;

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
    owner: Option<Owner>,
    /// The session of whoever last held the id, so the same person may take
    /// it over from a new socket.
    key: Arc<str>,
    retired_at: Option<Instant>,
}

/// Who speaks for an awareness id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Owner {
    /// A connection to this instance.
    Local(ConnId),
    /// A connection to another instance, which relays its states.
    Remote(InstanceId),
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
    /// Ids each connection claimed so far, over its life.
    claims: HashMap<ConnId, usize>,
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
        let mut claimed = self.claims.get(&from.conn).copied().unwrap_or(0);
        for (id, entry) in update.clients {
            if entry.json.len() > self.max_state_bytes {
                return Err(PresenceError::TooLarge);
            }
            let state = parse_state(&entry.json)?;
            let may_claim = owned < MAX_IDS_PER_CONNECTION && claimed < MAX_CLAIMS_PER_CONNECTION;
            let decision = self.decide(from, id, entry.clock, state.is_some(), may_claim);
            if let Decision::Accept { claim: true, .. } = decision {
                owned += 1;
                claimed += 1;
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
            let Decision::Accept { claim, state } = decision else {
                continue;
            };
            if claim {
                self.claim(id, from);
                *self.claims.entry(from.conn).or_default() += 1;
            }
            if state.is_none() {
                self.disown(id);
            }
            let entry = self.entries.get_mut(&id).expect("claimed above");
            entry.clock = clock;
            entry.retired_at = state.is_none().then_some(now);
            entry.state = state;
            if !self.pending.contains(&id) {
                self.pending.push(id);
            }
            changed = true;
        }
        Ok(if changed { self.plan(now) } else { Flush::Nothing })
    }

    fn decide(&self, from: &Sender<'_>, id: ClientID, clock: u32, has_state: bool, may_claim: bool) -> Decision {
        let claim_ok = has_state && may_claim;
        match self.entries.get(&id) {
            None if claim_ok => Decision::Accept { claim: true, state: None },
            None => Decision::Ignore,
            Some(entry) => match entry.owner {
                Some(Owner::Local(conn)) if conn == from.conn => {
                    let newer = clock > entry.clock || (clock == entry.clock && !has_state);
                    if newer {
                        Decision::Accept { claim: false, state: None }
                    } else {
                        Decision::Ignore
                    }
                }
                // The same session on a new socket, here or moved over from
                // another instance: the tab reconnected.
                Some(_) if &*entry.key == from.key && clock > entry.clock && claim_ok => {
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
        let owner = Some(Owner::Local(from.conn));
        let key = Arc::<str>::from(from.key);
        self.entries
            .entry(id)
            .and_modify(|entry| {
                entry.owner = owner;
                entry.key = key.clone();
            })
            .or_insert(Entry { clock: 0, state: None, owner, key, retired_at: None });
        self.by_conn.entry(from.conn).or_default().push(id);
    }

    /// Forgets which connection owns `id` (its entry stays).
    fn disown(&mut self, id: ClientID) {
        let Some(entry) = self.entries.get_mut(&id) else {
            return;
        };
        if let Some(Owner::Local(conn)) = entry.owner.take() {
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
        self.claims.remove(&conn);
        let Some(ids) = self.by_conn.remove(&conn) else {
            return Flush::Nothing;
        };
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

    /// Everything this instance's connections changed since the last flush:
    /// as one update for them, and as entries for the other instances.
    pub fn flush(&mut self, now: Instant) -> Option<(AwarenessUpdate, Vec<RelayedPresence>)> {
        self.flush_due = false;
        self.last_flush = Some(now);
        if self.pending.is_empty() {
            return None;
        }
        let mut clients = HashMap::with_capacity(self.pending.len());
        let mut relayed = Vec::with_capacity(self.pending.len());
        for id in self.pending.drain(..) {
            if let Some(entry) = self.entries.get(&id) {
                clients.insert(id, wire_entry(entry));
                relayed.push(relayed_entry(id, entry));
            }
        }
        self.forget_retired(now);
        Some((AwarenessUpdate { clients }, relayed))
    }

    /// Forgets removed ids after [`RETIRED_FOR`], and the oldest beyond [`MAX_RETIRED`].
    fn forget_retired(&mut self, now: Instant) {
        self.entries.retain(|_, e| e.retired_at.is_none_or(|at| now.saturating_duration_since(at) < RETIRED_FOR));
        let mut retired: Vec<(Instant, ClientID)> =
            self.entries.iter().filter_map(|(id, e)| e.retired_at.map(|at| (at, *id))).collect();
        if retired.len() > MAX_RETIRED {
            retired.sort_unstable();
            for (_, id) in &retired[..retired.len() - MAX_RETIRED] {
                self.entries.remove(id);
            }
        }
    }

    /// Applies states relayed by another instance (already checked and
    /// stamped there). A state this instance's own connection holds stays
    /// its; otherwise the newer clock wins, as in Yjs. Returns what changed,
    /// for this instance's connections.
    pub fn apply_remote(
        &mut self,
        instance: InstanceId,
        states: Vec<RelayedPresence>,
        now: Instant,
    ) -> Option<AwarenessUpdate> {
        let mut clients = HashMap::new();
        for relayed in states {
            if relayed.state.as_ref().is_some_and(|state| state.len() > self.max_state_bytes) {
                continue;
            }
            let id = ClientID::new(relayed.id);
            let newer = match self.entries.get(&id) {
                None => relayed.state.is_some(),
                Some(Entry { owner: Some(Owner::Local(_)), .. }) => false,
                Some(entry) => {
                    relayed.clock > entry.clock
                        || (relayed.clock == entry.clock && relayed.state.is_none() && entry.state.is_some())
                }
            };
            if !newer {
                continue;
            }
            let entry = self.entries.entry(id).or_insert_with(|| Entry {
                clock: 0,
                state: None,
                owner: None,
                key: relayed.key.clone(),
                retired_at: None,
            });
            entry.clock = relayed.clock;
            entry.owner = relayed.state.is_some().then_some(Owner::Remote(instance));
            entry.retired_at = relayed.state.is_none().then_some(now);
            entry.state = relayed.state;
            entry.key = relayed.key;
            clients.insert(id, wire_entry(entry));
        }
        (!clients.is_empty()).then_some(AwarenessUpdate { clients })
    }

    /// Applies everyone present through another instance, complete: anyone
    /// held for that instance and not listed left, and is removed.
    pub fn apply_remote_snapshot(
        &mut self,
        instance: InstanceId,
        states: Vec<RelayedPresence>,
        now: Instant,
    ) -> Option<AwarenessUpdate> {
        let listed: std::collections::HashSet<u64> = states.iter().map(|state| state.id).collect();
        let removed = self.drop_instance_where(instance, now, |id| !listed.contains(&id.get()));
        let changed = self.apply_remote(instance, states, now);
        match (removed, changed) {
            (Some(mut removed), Some(changed)) => {
                removed.clients.extend(changed.clients);
                Some(removed)
            }
            (removed, changed) => removed.or(changed),
        }
    }

    /// Removes every state another instance held (it went away). Returns the
    /// removals, for this instance's connections.
    pub fn drop_instance(&mut self, instance: InstanceId, now: Instant) -> Option<AwarenessUpdate> {
        self.drop_instance_where(instance, now, |_| true)
    }

    fn drop_instance_where(
        &mut self,
        instance: InstanceId,
        now: Instant,
        dropped: impl Fn(ClientID) -> bool,
    ) -> Option<AwarenessUpdate> {
        let mut clients = HashMap::new();
        for (id, entry) in &mut self.entries {
            if entry.owner == Some(Owner::Remote(instance)) && dropped(*id) {
                entry.owner = None;
                entry.state = None;
                entry.clock = entry.clock.saturating_add(1);
                entry.retired_at = Some(now);
                clients.insert(*id, wire_entry(entry));
            }
        }
        (!clients.is_empty()).then_some(AwarenessUpdate { clients })
    }

    /// The live states of this instance's own connections, for another
    /// instance that asked.
    pub fn local_states(&self) -> Vec<RelayedPresence> {
        self.entries
            .iter()
            .filter(|(_, entry)| matches!(entry.owner, Some(Owner::Local(_))) && entry.state.is_some())
            .map(|(id, entry)| relayed_entry(*id, entry))
            .collect()
    }

    /// Everyone present now (for a joining client or an AwarenessQuery).
    pub fn snapshot(&self) -> Option<AwarenessUpdate> {
        let clients: HashMap<_, _> =
            self.entries.iter().filter(|(_, e)| e.state.is_some()).map(|(id, e)| (*id, wire_entry(e))).collect();
        (!clients.is_empty()).then_some(AwarenessUpdate { clients })
    }

    /// How many states are live (people present with presence).
    #[cfg(test)]
    fn live(&self) -> usize {
        self.entries.values().filter(|e| e.state.is_some()).count()
    }
}

fn relayed_entry(id: ClientID, entry: &Entry) -> RelayedPresence {
    RelayedPresence { id: id.get(), clock: entry.clock, state: entry.state.clone(), key: entry.key.clone() }
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
        let (out, _) = presence.flush(now).unwrap();
        let state: Value = serde_json::from_str(&out.clients[&ClientID::new(7)].json).unwrap();
        assert_eq!(state["user"]["name"], "Ada");
        assert!(state["user"].get("admin").is_none());
        assert_eq!(state["cursor"], Value::Null);
    }

    #[test]
    fn a_connection_cannot_claim_id_after_id() {
        let eve = identity("Eve");
        let mut presence = Presence::new(1024);
        let now = Instant::now();
        let mallory = Sender { conn: 1, key: "m", identity: &eve };
        for id in 0..1_000u64 {
            presence.apply(&mallory, update(&[(id, 1, "{}")]), now).unwrap();
            presence.apply(&mallory, update(&[(id, 2, "null")]), now).unwrap();
        }
        presence.flush(now);
        assert_eq!(presence.entries.len(), MAX_CLAIMS_PER_CONNECTION, "only the first claims were taken");
        // Leaving and coming back is a new connection, with its own allowance,
        // but what a room remembers of removed ids stays bounded.
        for conn in 2..400 {
            let again = Sender { conn, key: "m", identity: &eve };
            for id in 0..20u64 {
                let id = conn * 100 + id;
                presence.apply(&again, update(&[(id, 1, "{}")]), now).unwrap();
            }
            presence.leave(conn, now);
            presence.flush(now);
        }
        assert!(presence.entries.len() <= MAX_RETIRED, "{} entries", presence.entries.len());
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
        let (merged, _) = presence.flush(t0 + FLUSH_EVERY).unwrap();
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

    fn remote(id: u64, clock: u32, state: Option<&str>, key: &str) -> RelayedPresence {
        RelayedPresence { id, clock, state: state.map(Arc::from), key: Arc::from(key) }
    }

    #[test]
    fn remote_states_are_shown_but_never_taken_by_another_session() {
        let eve = identity("Eve");
        let mut presence = Presence::new(1024);
        let now = Instant::now();
        let changed =
            presence.apply_remote(9, vec![remote(1, 3, Some(r#"{"user":{"name":"Ada"}}"#), "ada")], now).unwrap();
        assert_eq!(changed.clients[&ClientID::new(1)].clock, 3);
        // A local client echoing (or forging) Ada's id with a newer clock is ignored.
        let echoer = Sender { conn: 1, key: "eve", identity: &eve };
        assert_eq!(presence.apply(&echoer, update(&[(1, 9, "{}")]), now).unwrap(), Flush::Nothing);
        assert!(presence.local_states().is_empty());
        // Ada herself, reconnected to this instance, takes it over.
        let ada = identity("Ada");
        let back = Sender { conn: 2, key: "ada", identity: &ada };
        assert_eq!(presence.apply(&back, update(&[(1, 4, "{}")]), now).unwrap(), Flush::Now);
        assert_eq!(presence.local_states().len(), 1);
        // From now on the other instance's stale word about her changes nothing.
        assert!(presence.apply_remote(9, vec![remote(1, 5, None, "ada")], now).is_none());
    }

    #[test]
    fn an_instance_that_goes_away_takes_its_people_with_it() {
        let mut presence = Presence::new(1024);
        let now = Instant::now();
        presence.apply_remote(9, vec![remote(1, 1, Some("{}"), "a"), remote(2, 1, Some("{}"), "b")], now);
        presence.apply_remote(8, vec![remote(3, 1, Some("{}"), "c")], now);
        let removed = presence.drop_instance(9, now).unwrap();
        assert_eq!(removed.clients.len(), 2);
        assert!(removed.clients.values().all(|entry| &*entry.json == "null" && entry.clock == 2));
        assert_eq!(presence.live(), 1);
        // Removals are relayed by their own instance, not by this one.
        assert!(presence.flush(now).is_none());
    }

    #[test]
    fn local_changes_are_flushed_with_their_session_keys_for_relaying() {
        let ada = identity("Ada");
        let mut presence = Presence::new(1024);
        let now = Instant::now();
        let a = Sender { conn: 1, key: "ada-key", identity: &ada };
        presence.apply(&a, update(&[(5, 1, "{}")]), now).unwrap();
        let (_, relayed) = presence.flush(now).unwrap();
        assert_eq!(relayed.len(), 1);
        assert_eq!((&*relayed[0].key, relayed[0].id, relayed[0].clock), ("ada-key", 5, 1));
        presence.leave(1, now);
        let (_, relayed) = presence.flush(now + FLUSH_EVERY).unwrap();
        assert_eq!((relayed[0].clock, relayed[0].state.is_none()), (2, true));
    }

    #[test]
    fn a_complete_answer_removes_whoever_left_unnoticed() {
        let mut presence = Presence::new(1024);
        let now = Instant::now();
        presence.apply_remote(9, vec![remote(1, 1, Some("{}"), "a"), remote(2, 1, Some("{}"), "b")], now);
        presence.apply_remote(8, vec![remote(3, 1, Some("{}"), "c")], now);
        // Instance 9 now has only person 1 (person 2's removal was lost), moved on.
        let changed = presence.apply_remote_snapshot(9, vec![remote(1, 2, Some(r#"{"x":1}"#), "a")], now).unwrap();
        assert_eq!(changed.clients.len(), 2);
        assert_eq!(&*changed.clients[&ClientID::new(2)].json, "null");
        assert_eq!(changed.clients[&ClientID::new(1)].clock, 2);
        assert_eq!(presence.live(), 2, "person 1 and instance 8's person 3 remain");
        // Nobody left on 9 at all.
        assert_eq!(presence.apply_remote_snapshot(9, vec![], now).unwrap().clients.len(), 1);
        assert_eq!(presence.live(), 1);
    }
}
