//! A room's life: loaded lazily, unloaded after its idle period with a final
//! flush and compaction, reloaded from the database intact; shutdown flushes.

mod common;

use std::time::Duration;

use common::{account, sqlite_url, TestServer, YClient};
use server::doc_id::DocId;
use server::store::{Created, Store};
use server::Config;

async fn open_documents(server: &TestServer) -> u64 {
    let health: serde_json::Value = reqwest::get(server.http("/healthz")).await.unwrap().json().await.unwrap();
    health["open_documents"].as_u64().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_idle_room_is_flushed_compacted_and_unloaded_then_reloads_intact() {
    let (url, _dir) = sqlite_url();
    let mut config = Config::defaults_with_database(&url);
    config.room_idle_secs = 1;
    let server = TestServer::start_with(config).await;
    let id = server.create_doc("Idle").await;
    assert_eq!(open_documents(&server).await, 0, "nothing is loaded before someone opens it");

    let mut alice = YClient::connect(server.addr, &id).await;
    for word in ["one ", "two ", "three "] {
        alice.insert(0, word).await;
    }
    let mut bob = YClient::connect(server.addr, &id).await;
    bob.wait_for_text("three two one ").await;
    assert_eq!(open_documents(&server).await, 1);
    drop(alice);
    drop(bob);

    let mut unloaded = false;
    for _ in 0..60 {
        if open_documents(&server).await == 0 {
            unloaded = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(unloaded, "room still in memory long after its idle period");

    // The final flush compacted the log into a snapshot.
    let store = Store::connect(&url).await.unwrap();
    let doc = DocId::parse(&id).unwrap();
    assert_eq!(store.log_len(&doc).await.unwrap(), 0, "log rows were merged into the snapshot");
    assert_eq!(store.load_updates(&doc).await.unwrap().updates.len(), 1, "one snapshot");

    let carol = YClient::connect(server.addr, &id).await;
    assert_eq!(carol.content(), "three two one ");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn compaction_keeps_the_document_and_only_deletes_what_it_merged() {
    let (url, _dir) = sqlite_url();
    let store = Store::connect(&url).await.unwrap();
    let id = DocId::random();
    assert_eq!(store.create_user(&account("u1", "ada")).await.unwrap(), Created::Done);
    store.create_document(&id, "Compaction", "u1").await.unwrap();

    let doc = app::collab::doc::new_doc();
    let text = app::collab::doc::content(&doc);
    let mut batch = Vec::new();
    for i in 0..50u32 {
        use yrs::{Text, Transact};
        let mut txn = doc.transact_mut();
        text.insert(&mut txn, i, "x");
        let update = bytes::Bytes::from(txn.encode_update_v1());
        batch.push(server::store::Write { doc: id.clone(), update, author: None, introduced: Vec::new() });
    }
    store.append_updates(&batch[..30]).await.unwrap();
    assert_eq!(store.compact(&id).await.unwrap(), 30);
    store.append_updates(&batch[30..]).await.unwrap();
    assert_eq!(store.log_len(&id).await.unwrap(), 20, "rows after the compaction are kept");
    assert_eq!(store.compact(&id).await.unwrap(), 20);

    let updates = store.load_updates(&id).await.unwrap().updates;
    let rebuilt = app::collab::doc::doc_from_updates(updates.iter().map(Vec::as_slice)).unwrap().doc;
    let content = app::collab::doc::content(&rebuilt);
    assert_eq!(app::collab::doc::markdown(&content, &yrs::Transact::transact(&rebuilt)), "x".repeat(50));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_closes_sockets_with_a_reason_and_flushes_every_write() {
    let (url, _dir) = sqlite_url();
    let server = TestServer::start(&url).await;
    let id = server.create_doc("Shutdown").await;
    let mut alice = YClient::connect(server.addr, &id).await;
    for i in 0..200u32 {
        alice.insert(i, "k").await;
    }
    let stopping = tokio::spawn(server.stop());
    let (code, reason) = alice.expect_close().await;
    assert_eq!(code, app::collab::protocol::close::RESTART, "{reason}");
    stopping.await.unwrap();

    let server = TestServer::start(&url).await;
    assert_eq!(server.markdown(&id).await, "k".repeat(200), "a write was lost at shutdown");
    server.stop().await;
}
