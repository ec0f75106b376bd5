//! Bad input from one client closes that client alone, with a clear close code
//! and reason; the document and everyone else carry on untouched.

mod common;

use std::time::Duration;

use common::{attack_is_contained, sqlite_url, TestServer, YClient};
use tokio_tungstenite::tungstenite::Message as WsMessage;

use app::collab::protocol::{self, close};
use server::Config;

fn config() -> (Config, tempfile::TempDir) {
    let (url, dir) = sqlite_url();
    (Config::defaults_with_database(url), dir)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_text_frame_closes_with_1003() {
    let (config, _dir) = config();
    attack_is_contained(config, close::UNSUPPORTED, |_| vec![WsMessage::Text("hello".into())]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_frame_that_does_not_decode_closes_with_1007() {
    let (config, _dir) = config();
    attack_is_contained(config, close::INVALID, |_| vec![WsMessage::Binary(vec![0, 7, 7, 7].into())]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_update_that_does_not_apply_closes_with_1007() {
    let (config, _dir) = config();
    attack_is_contained(config, close::INVALID, |_| {
        vec![WsMessage::Binary(protocol::update(vec![1, 2, 3, 4, 5, 250, 251]).into())]
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_frame_over_the_limit_closes_with_1009() {
    let (mut config, _dir) = config();
    config.max_frame_bytes = 64 * 1024;
    attack_is_contained(config, close::TOO_BIG, |_| vec![WsMessage::Binary(vec![0u8; 200 * 1024].into())]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn growing_a_document_past_its_limit_closes_with_1009() {
    let (mut config, _dir) = config();
    config.max_document_chars = 1000;
    attack_is_contained(config, close::TOO_BIG, |mallory| {
        let update = {
            let mut txn = yrs::Transact::transact_mut(&mallory.doc);
            yrs::Text::insert(&mallory.text, &mut txn, 0, &"x".repeat(5000));
            txn.encode_update_v1()
        };
        vec![WsMessage::Binary(protocol::update(update).into())]
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_stops_reading_is_disconnected_not_waited_for() {
    let (mut config, _dir) = config();
    config.outbox_capacity = 2;
    // What is under test is the full outbox. A client silent for three ping
    // intervals is dropped without a close frame (its socket is full, so none
    // could reach it); on a loaded machine the writes below can outlast the
    // default 3 × 10 s, so the ping timers stay out of the way.
    config.ping_secs = 300;
    let server = TestServer::start_with(config).await;
    let id = server.create_doc("Firehose").await;
    let mut writer = YClient::connect(server.addr, &id).await;
    let mut sleeper = YClient::connect(server.addr, &id).await; // never reads until the end

    // Enough data to fill the sleeper's socket buffers and then its outbox.
    let chunk = "y".repeat(256 * 1024);
    for i in 0..48 {
        writer.insert(i * chunk.len() as u32, &chunk).await;
    }
    let (code, _) = sleeper.expect_close().await;
    assert_eq!(code, close::TRY_AGAIN, "the slow client is told to reconnect");
    // The writer was never held up, and everything it wrote is stored.
    writer.insert(0, "done").await;
    let expected = 4 + 48 * chunk.len();
    for _ in 0..100 {
        if server.markdown(&id).await.len() == expected {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(server.markdown(&id).await.len(), expected);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_never_reads_cannot_hold_up_shutdown() {
    let (mut config, _dir) = config();
    config.outbox_capacity = 2;
    config.ping_secs = 1;
    let server = TestServer::start_with(config).await;
    let id = server.create_doc("Stuck").await;
    let mut writer = YClient::connect(server.addr, &id).await;
    // Never reads again: its socket buffers fill, then its writer is stuck.
    let _sleeper = YClient::connect(server.addr, &id).await;
    let chunk = "z".repeat(256 * 1024);
    for i in 0..48 {
        writer.insert(i * chunk.len() as u32, &chunk).await;
    }
    let stopped = tokio::time::timeout(Duration::from_secs(20), server.stop()).await;
    assert!(stopped.is_ok(), "shutdown waited for a client that never reads");
}
