//! Two real y-sync clients against the real server: live editing, merging,
//! persistence across restarts, on SQLite and on PostgreSQL.

mod common;

use std::time::Duration;

use common::{postgres_url, sqlite_url, TestServer, YClient};
use yrs::Text;

async fn two_clients_converge_and_survive_a_restart(url: &str) {
    let server = TestServer::start(url).await;
    let id = server.create_doc("Shared notes").await;
    let mut alice = YClient::connect(server.addr, &id).await;
    let mut bob = YClient::connect(server.addr, &id).await;

    // Alice types; Bob sees it.
    alice.insert(0, "Hello world").await;
    bob.wait_for_text("Hello world").await;

    // Both type at the same spot before seeing each other's change.
    alice.insert(5, ", Alice").await;
    bob.insert(5, ", Bob").await;
    alice.pump_until(Duration::from_secs(5), |c, _| c.content().len() == "Hello, Alice, Bob world".len()).await;
    bob.pump_until(Duration::from_secs(5), |c, _| c.content().len() == "Hello, Alice, Bob world".len()).await;
    let merged = alice.content();
    assert_eq!(merged, bob.content(), "clients diverged");
    assert!(merged.contains(", Alice") && merged.contains(", Bob"), "lost an edit: {merged}");
    assert_eq!(merged.matches("Hello").count(), 1, "duplicated text: {merged}");

    // Deletions merge too.
    alice.edit(|text, txn| text.remove_range(txn, 0, 5)).await;
    let expected = merged[5..].to_string();
    bob.wait_for_text(&expected).await;
    drop(alice);
    drop(bob);

    server.stop().await;
    let server = TestServer::start(url).await;
    assert_eq!(server.markdown(&id).await, expected, "restart lost content");
    let carol = YClient::connect(server.addr, &id).await;
    assert_eq!(carol.content(), expected);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_two_clients_converge_and_survive_a_restart() {
    let (url, _dir) = sqlite_url();
    two_clients_converge_and_survive_a_restart(&url).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_two_clients_converge_and_survive_a_restart() {
    let Some(url) = postgres_url().await else { return };
    two_clients_converge_and_survive_a_restart(&url).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_update_is_never_echoed_to_its_sender() {
    let (url, _dir) = sqlite_url();
    let server = TestServer::start(&url).await;
    let id = server.create_doc("Echo").await;
    let mut alice = YClient::connect(server.addr, &id).await;
    let mut bob = YClient::connect(server.addr, &id).await;
    alice.insert(0, "only once").await;
    bob.wait_for_text("only once").await;
    assert_eq!(bob.received_updates, 1, "one edit, one update");
    assert!(alice.stays_quiet(Duration::from_millis(300)).await, "the sender got its own update back");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn offline_edits_merge_both_ways_on_reconnect() {
    let (url, _dir) = sqlite_url();
    let server = TestServer::start(&url).await;
    let id = server.create_doc("Offline").await;
    let mut alice = YClient::connect(server.addr, &id).await;
    alice.insert(0, "base.").await;
    let mut bob = YClient::connect(server.addr, &id).await;
    bob.wait_for_text("base.").await;

    // Bob goes offline (his socket is gone) and keeps writing into his doc.
    let offline_doc = bob.doc.clone();
    drop(bob);
    {
        let text = app::collab::doc::content(&offline_doc);
        let mut txn = yrs::Transact::transact_mut(&offline_doc);
        text.insert(&mut txn, 5, " bob-offline");
    }
    // Meanwhile Alice keeps writing online.
    alice.insert(0, "alice ").await;

    // Bob reconnects with his offline doc: step 1/step 2 both ways.
    let mut bob = YClient::connect_with_doc(server.addr, &id, offline_doc).await;
    let expected = "alice base. bob-offline";
    bob.wait_for_text(expected).await;
    alice.wait_for_text(expected).await;
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn emoji_and_cjk_survive_the_round_trip() {
    let (url, _dir) = sqlite_url();
    let server = TestServer::start(&url).await;
    let id = server.create_doc("Unicode").await;
    let mut alice = YClient::connect(server.addr, &id).await;
    let mut bob = YClient::connect(server.addr, &id).await;
    alice.insert(0, "a😀b漢").await;
    bob.wait_for_text("a😀b漢").await;
    // UTF-16 offsets: after the emoji is 3.
    bob.insert(3, "!").await;
    alice.wait_for_text("a😀!b漢").await;
    assert_eq!(server.markdown(&id).await, "a😀!b漢");
    server.stop().await;
}
