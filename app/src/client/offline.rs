//! The document's copy on this device, in IndexedDB: every update the session's
//! Doc goes through (typed, undone, received), so a reload with no network
//! shows the document as the user last saw it, edits included, and a count of
//! the changes the server has not yet acknowledged.
//!
//! Database `quire`, two object stores: `updates` maps `[doc, time, random]` to
//! one yrs v1 update (keys never collide between tabs; order does not matter
//! to a CRDT), and `unsaved` maps a doc id to its unacknowledged change count.
//! Every [`COMPACT_AFTER`] records the copy is compacted: in one readwrite
//! transaction, every record of the document (other tabs' too) is read, merged
//! with the session's state into one update, written, and exactly the records
//! read are deleted. Updates received from the server are written together,
//! in one transaction once a burst of them has settled (see
//! [`LocalCopy::append_received`]).

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use js_sys::{Array, Promise, Uint8Array};
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{IdbDatabase, IdbKeyRange, IdbObjectStore, IdbOpenDbRequest, IdbRequest, IdbTransactionMode};
use yrs::{ReadTxn, StateVector, Transact};

use super::dom::Timeout;

const DB_NAME: &str = "quire";
const DB_VERSION: u32 = 1;
const UPDATES: &str = "updates";
const UNSAVED: &str = "unsaved";
/// Records of one document before they are merged into one.
pub const COMPACT_AFTER: u32 = 200;
/// How long updates received from the server wait to be written as one.
const RECEIVED_WRITE_DELAY_MS: u32 = 300;

/// One document's copy on this device.
pub struct LocalCopy {
    db: IdbDatabase,
    doc: String,
    /// Records this session knows of (loaded or written since the last compaction).
    records: Cell<u32>,
    received: Rc<Received>,
}

/// Updates received from the server and not yet written.
#[derive(Default)]
struct Received {
    updates: RefCell<Vec<Vec<u8>>>,
    write: RefCell<Option<Timeout>>,
    scheduled: Cell<bool>,
}

/// What the device held for a document.
pub struct Stored {
    pub updates: Vec<Vec<u8>>,
    pub unsaved: u64,
}

impl LocalCopy {
    /// Opens (creating on first use) the device's database.
    pub async fn open(doc: &str) -> Result<LocalCopy, JsValue> {
        let factory = web_sys::window().ok_or("no window")?.indexed_db()?.ok_or("IndexedDB is not available")?;
        let request: IdbOpenDbRequest = factory.open_with_u32(DB_NAME, DB_VERSION)?;
        let upgrade = Closure::once_into_js(move |event: web_sys::Event| {
            let Some(request) = event.target().and_then(|t| t.dyn_into::<IdbOpenDbRequest>().ok()) else { return };
            if let Ok(db) = request.result().and_then(|db| db.dyn_into::<IdbDatabase>()) {
                // Version 1 is the first: both stores are new.
                let _ = db.create_object_store(UPDATES);
                let _ = db.create_object_store(UNSAVED);
            }
        });
        request.set_onupgradeneeded(Some(upgrade.unchecked_ref()));
        let db: IdbDatabase = completion(&request).await?.dyn_into()?;
        Ok(LocalCopy { db, doc: doc.to_string(), records: Cell::new(0), received: Rc::default() })
    }

    /// Everything stored for the document.
    pub async fn load(&self) -> Result<Stored, JsValue> {
        let names = Array::of2(&UPDATES.into(), &UNSAVED.into());
        let txn = self.db.transaction_with_str_sequence(&names)?;
        let records = txn.object_store(UPDATES)?.get_all_with_key(&self.range()?.into())?;
        let unsaved = txn.object_store(UNSAVED)?.get(&self.doc.as_str().into())?;
        let records: Array = completion(&records).await?.dyn_into()?;
        let unsaved = completion(&unsaved).await?.as_f64().unwrap_or(0.0);
        let updates: Vec<Vec<u8>> = records
            .iter()
            .filter_map(|value| value.dyn_into::<Uint8Array>().ok())
            .map(|bytes| bytes.to_vec())
            .collect();
        self.records.set(updates.len() as u32);
        Ok(Stored { updates, unsaved: unsaved.max(0.0) as u64 })
    }

    /// Stores one update (queued behind earlier writes; IndexedDB runs
    /// readwrite transactions on a store in the order they were created).
    pub fn append(&self, update: &[u8]) {
        put_update(&self.db, &self.doc, update);
        self.records.set(self.records.get() + 1);
    }

    /// Stores an update received from the server, with the others that
    /// arrive within a moment, in one transaction. The server holds them
    /// already, so the wait risks nothing of the person's own, and a
    /// colleague typing costs this tab one IndexedDB transaction per burst
    /// instead of one per keystroke.
    pub fn append_received(&self, update: &[u8]) {
        self.received.updates.borrow_mut().push(update.to_vec());
        self.records.set(self.records.get() + 1);
        if self.received.scheduled.replace(true) {
            return;
        }
        let (db, doc, received) = (self.db.clone(), self.doc.clone(), Rc::downgrade(&self.received));
        let write = Timeout::new(RECEIVED_WRITE_DELAY_MS, move || {
            let Some(received) = received.upgrade() else { return };
            received.scheduled.set(false);
            let updates: Vec<Vec<u8>> = received.updates.borrow_mut().drain(..).collect();
            let stored = store(&db, UPDATES).and_then(|store| {
                updates.iter().try_for_each(|update| {
                    store.put_with_key(&Uint8Array::from(update.as_slice()), &new_key(&doc)).map(drop)
                })
            });
            if let Err(error) = stored {
                web_sys::console::warn_2(&"Quire: could not keep an edit on this device".into(), &error);
            }
        });
        *self.received.write.borrow_mut() = write;
    }

    /// Drops the received updates not yet written (the copy is being
    /// replaced or forgotten).
    fn drop_received(&self) {
        self.received.updates.borrow_mut().clear();
        self.received.write.borrow_mut().take();
        self.received.scheduled.set(false);
    }

    /// True once enough records piled up to merge them.
    pub fn wants_compaction(&self) -> bool {
        self.records.get() >= COMPACT_AFTER
    }

    /// Replaces the document's records with one: `state` (the session's whole
    /// document) merged with every record stored, all in one transaction.
    pub fn compact(&self, state: Vec<u8>) {
        // The session's state holds what was received, too.
        self.drop_received();
        let Ok(store) = store(&self.db, UPDATES) else { return };
        let Ok(range) = self.range() else { return };
        let (Ok(keys), Ok(values)) = (store.get_all_keys_with_key(&range), store.get_all_with_key(&range)) else {
            return;
        };
        let key = new_key(&self.doc);
        let values_request = values.clone();
        // Requests in a transaction finish in order: when the values are in,
        // so are the keys. All of this runs while the transaction is active.
        let merge = Closure::once_into_js(move |_: web_sys::Event| {
            let (Ok(keys), Ok(values)) = (keys.result(), values_request.result()) else { return };
            let (keys, values): (Array, Array) = (keys.unchecked_into(), values.unchecked_into());
            let stored: Vec<Vec<u8>> =
                values.iter().filter_map(|v| v.dyn_into::<Uint8Array>().ok()).map(|b| b.to_vec()).collect();
            let all = std::iter::once(state.as_slice()).chain(stored.iter().map(Vec::as_slice));
            let Ok(crate::collab::doc::Rebuilt { doc, .. }) = crate::collab::doc::doc_from_updates(all) else { return };
            let merged = doc.transact().encode_state_as_update_v1(&StateVector::default());
            for key in keys.iter() {
                let _ = store.delete(&key);
            }
            let _ = store.put_with_key(&Uint8Array::from(merged.as_slice()), &key);
        });
        values.set_onsuccess(Some(merge.unchecked_ref()));
        self.records.set(1);
    }

    /// Remembers how many changes the server has not acknowledged.
    pub fn set_unsaved(&self, unsaved: u64) {
        if let Ok(store) = store(&self.db, UNSAVED) {
            let _ = store.put_with_key(&JsValue::from_f64(unsaved as f64), &self.doc.as_str().into());
        }
    }

    /// Forgets the document on this device (access ended, or the server
    /// refused what this copy holds); resolves once that is committed.
    pub async fn clear(&self) {
        self.drop_received();
        let names = Array::of2(&UPDATES.into(), &UNSAVED.into());
        let Ok(txn) = self.db.transaction_with_str_sequence_and_mode(&names, IdbTransactionMode::Readwrite) else {
            return;
        };
        let (Ok(updates), Ok(unsaved)) = (txn.object_store(UPDATES), txn.object_store(UNSAVED)) else { return };
        let Ok(range) = self.range() else { return };
        let _ = updates.delete(&range);
        if let Ok(last) = unsaved.delete(&self.doc.as_str().into()) {
            let _ = completion(&last).await;
        }
        self.records.set(0);
    }

    /// Every key of this document: from `[doc]` up to `[doc, []]` (arrays sort
    /// after numbers in IndexedDB).
    fn range(&self) -> Result<IdbKeyRange, JsValue> {
        let doc = JsValue::from_str(&self.doc);
        IdbKeyRange::bound(&Array::of1(&doc), &Array::of2(&doc, &Array::new()))
    }
}

/// Writes one record of `doc`.
fn put_update(db: &IdbDatabase, doc: &str, update: &[u8]) {
    let stored = store(db, UPDATES).and_then(|store| store.put_with_key(&Uint8Array::from(update), &new_key(doc)));
    if let Err(error) = stored {
        web_sys::console::warn_2(&"Quire: could not keep an edit on this device".into(), &error);
    }
}

fn store(db: &IdbDatabase, name: &str) -> Result<IdbObjectStore, JsValue> {
    db.transaction_with_str_and_mode(name, IdbTransactionMode::Readwrite)?.object_store(name)
}

fn new_key(doc: &str) -> JsValue {
    Array::of3(&doc.into(), &js_sys::Date::now().into(), &js_sys::Math::random().into()).into()
}

/// Resolves with a request's result once it succeeds.
async fn completion(request: &IdbRequest) -> Result<JsValue, JsValue> {
    let promise = Promise::new(&mut |resolve, reject| {
        let done = request.clone();
        let on_success = Closure::once_into_js(move |_: web_sys::Event| {
            let _ = resolve.call1(&JsValue::NULL, &done.result().unwrap_or(JsValue::UNDEFINED));
        });
        let failed = request.clone();
        let on_error = Closure::once_into_js(move |_: web_sys::Event| {
            let error =
                failed.error().ok().flatten().map(JsValue::from).unwrap_or_else(|| "IndexedDB request failed".into());
            let _ = reject.call1(&JsValue::NULL, &error);
        });
        request.set_onsuccess(Some(on_success.unchecked_ref()));
        request.set_onerror(Some(on_error.unchecked_ref()));
    });
    JsFuture::from(promise).await
}
