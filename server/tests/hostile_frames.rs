//! One client that was let in — an edit-link guest, or a viewer — cannot make
//! the server do unbounded work, abort it, or store what a Quire document
//! does not hold: each attack closes that client alone, with a reason, and
//! everyone else carries on (see `bad_input.rs` for the ordinary mistakes).

mod common;

use common::{attack_is_contained, sqlite_url, TestServer, YClient};
use tokio_tungstenite::tungstenite::Message as WsMessage;
use yrs::{Map, ReadTxn, StateVector, Text, Transact};

use app::collab::protocol::{self, close};
use server::Config;

fn config() -> (Config, tempfile::TempDir) {
    let (url, dir) = sqlite_url();
    (Config::defaults_with_database(url), dir)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_frame_of_a_million_sync_requests_is_refused_whole() {
    let (config, _dir) = config();
    // 4 MiB of empty SyncStep1 messages: each would be answered with the
    // whole document, all collected before anything is sent.
    let reason = attack_is_contained(config, close::TOO_BIG, |_| vec![[0u8, 0, 1, 0].repeat(1 << 20)]).await;
    assert!(reason.contains("too many messages"), "{reason}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_frame_of_presence_queries_is_refused_whole() {
    let (config, _dir) = config();
    attack_is_contained(config, close::TOO_BIG, |_| vec![vec![3u8; 4 << 20]]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_of_small_messages_is_cut_off_by_the_rate_limit() {
    let (mut config, _dir) = config();
    config.max_messages_per_second = 100;
    // Heartbeats cost the server little each, but not nothing.
    let heartbeats = protocol::heartbeat().repeat(protocol::MAX_MESSAGES_PER_FRAME);
    let reason = attack_is_contained(config, close::POLICY, |_| vec![heartbeats; 200]).await;
    assert!(reason.contains("too many messages"), "{reason}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn repeated_sync_requests_are_cut_off() {
    let (mut config, _dir) = config();
    config.max_messages_per_second = 0; // the costly-request limit holds even then
    let step1 = protocol::sync_step1(StateVector::default());
    let reason = attack_is_contained(config, close::POLICY, |_| vec![step1; 50]).await;
    assert!(reason.contains("sync or presence requests"), "{reason}");
}

/// An update of about 200 KB nesting an array 100,000 deep in the root
/// `content`: yrs decodes it recursively and overflows the stack, which
/// aborts the whole process (catch_unwind cannot stop that).
fn deeply_nested_update(depth: usize) -> Vec<u8> {
    let mut update = vec![1, 1, 7, 0, 8, 1, 7];
    update.extend_from_slice(b"content");
    update.push(1);
    for _ in 0..depth {
        update.extend_from_slice(&[117, 1]);
    }
    update.extend_from_slice(&[126, 0]);
    update
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_update_nested_100000_deep_is_refused_without_aborting() {
    let (config, _dir) = config();
    attack_is_contained(config, close::INVALID, |_| vec![protocol::update(deeply_nested_update(100_000))]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_root_type_is_refused() {
    let (config, _dir) = config();
    let reason = attack_is_contained(config, close::INVALID, |mallory| {
        let other = mallory.doc.get_or_insert_text("stash");
        let mut txn = mallory.doc.transact_mut();
        other.insert(&mut txn, 0, &"x".repeat(100_000));
        vec![protocol::update(txn.encode_update_v1())]
    })
    .await;
    assert!(reason.contains("content"), "{reason}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_map_is_refused_even_under_the_text_limit() {
    let (mut config, _dir) = config();
    config.max_document_chars = 1000;
    attack_is_contained(config, close::INVALID, |mallory| {
        let map = mallory.doc.get_or_insert_map("meta");
        let mut txn = mallory.doc.transact_mut();
        map.insert(&mut txn, "blob", "y".repeat(50_000));
        vec![protocol::update(txn.encode_update_v1())]
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn updates_waiting_for_missing_changes_are_not_held() {
    let (config, _dir) = config();
    attack_is_contained(config, close::TRY_AGAIN, |_| {
        // A client whose first change the server never sees: everything it
        // sends after would wait in memory, pending, for ever.
        let ghost = app::collab::doc::new_doc();
        let text = app::collab::doc::content(&ghost);
        text.insert(&mut ghost.transact_mut(), 0, "never sent");
        (0..20)
            .map(|_| {
                let before = ghost.transact().state_vector();
                text.insert(&mut ghost.transact_mut(), 0, &"p".repeat(100_000));
                protocol::update(ghost.transact().encode_state_as_update_v1(&before))
            })
            .collect()
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_document_limit_counts_stored_bytes() {
    let (mut config, _dir) = config();
    config.max_document_bytes = 64 * 1024;
    attack_is_contained(config, close::TOO_BIG, |mallory| {
        let mut txn = mallory.doc.transact_mut();
        mallory.text.insert(&mut txn, 0, &"z".repeat(100_000));
        vec![protocol::update(txn.encode_update_v1())]
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deleted_text_does_not_count_once_collected() {
    // Writing and deleting the same amount again and again stays within the
    // limit: what the document holds is small, whatever the running total.
    let (mut config, _dir) = config();
    config.max_document_bytes = 64 * 1024;
    let server = TestServer::start_with(config).await;
    let id = server.create_doc("Churn").await;
    let mut alice = YClient::connect(server.addr, &id).await;
    for round in 0..10 {
        alice.insert(0, &"c".repeat(20_000)).await;
        alice.edit(|text, txn| text.remove_range(txn, 0, 20_000)).await;
        assert!(alice.closed.is_none(), "round {round}");
    }
    alice.insert(0, "still here").await;
    server.wait_for_markdown(&id, "still here").await;
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stock_text_edits_still_pass_every_check() {
    let (config, _dir) = config();
    let server = TestServer::start_with(config).await;
    let id = server.create_doc("Plain").await;
    let mut alice = YClient::connect(server.addr, &id).await;
    let mut bob = YClient::connect(server.addr, &id).await;
    alice.insert(0, "héllo 😀 ").await;
    bob.wait_for_text("héllo 😀 ").await;
    bob.edit(|text, txn| {
        text.remove_range(txn, 1, 2);
        text.insert(txn, 1, "漢字");
    })
    .await;
    alice.wait_for_text("h漢字lo 😀 ").await;
    server.wait_for_markdown(&id, "h漢字lo 😀 ").await;
    server.stop().await;
}

/// The close code the server sends first on `socket`, if it closes within a second.
async fn closes_at_once(socket: &mut common::Socket) -> Option<(u16, String)> {
    use futures::StreamExt;
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(1);
    loop {
        match tokio::time::timeout_at(deadline, socket.next()).await {
            Err(_) => return None,
            Ok(Some(Ok(WsMessage::Close(Some(frame))))) => {
                return Some((u16::from(frame.code), frame.reason.to_string()))
            }
            Ok(Some(Ok(_))) => continue,
            Ok(_) => return Some((1006, String::new())),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_person_cannot_hold_every_place_in_a_room() {
    let (mut config, _dir) = config();
    config.max_sockets_per_person = 3;
    config.max_sockets_per_address = 4;
    let server = TestServer::start_with(config).await;
    let id = server.create_doc("Crowded").await;
    let origin = format!("http://{}", server.addr);
    let guest = server.open_link(&common::edit_link(&id).unwrap()).await;
    let headers = [("cookie", guest.as_str()), ("origin", origin.as_str())];
    let mut mine = Vec::new();
    for _ in 0..3 {
        let mut socket = YClient::try_open(server.addr, &id, &headers).await.unwrap();
        assert_eq!(closes_at_once(&mut socket).await, None);
        mine.push(socket);
    }
    let mut fourth = YClient::try_open(server.addr, &id, &headers).await.unwrap();
    let (code, reason) = closes_at_once(&mut fourth).await.expect("turned away");
    assert_eq!(code, close::POLICY);
    assert!(reason.contains("too many connections"), "{reason}");
    // Someone else still gets in; closing a socket frees its place.
    let mut other = YClient::connect(server.addr, &id).await;
    other.insert(0, "room for others").await;
    drop(mine.pop());
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    let mut again = YClient::try_open(server.addr, &id, &headers).await.unwrap();
    assert_eq!(closes_at_once(&mut again).await, None);
    // Four from this address now (three of the guest's and the other's): one
    // more guest from here is turned away.
    let mut sixth = YClient::raw_socket(server.addr, &id).await;
    assert_eq!(closes_at_once(&mut sixth).await.map(|(code, _)| code), Some(close::POLICY));
    server.stop().await;
}
