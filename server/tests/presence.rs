//! Presence over the real socket: identities come from the server, a client
//! speaks only for itself, leaving clears presence at once, traffic is batched,
//! and rooms have a size limit.

mod common;

use std::time::{Duration, Instant};

use futures::{SinkExt, StreamExt};
use serde_json::Value;
use tokio_tungstenite::tungstenite::Message as WsMessage;
use yrs::sync::Message;

use app::collab::protocol;
use common::{awareness_frame, postgres_url, sqlite_url, TestServer, YClient};
use server::Config;

const SOON: Duration = Duration::from_secs(2);

fn name_of(state: &Value) -> &str {
    state["user"]["name"].as_str().unwrap_or("")
}

#[tokio::test]
async fn others_see_the_name_the_server_gave_not_the_one_a_client_claims() {
    let (url, _dir) = sqlite_url();
    let server = TestServer::start(&url).await;
    let doc = server.create_doc("Names").await;
    let mut mallory = YClient::connect(server.addr, &doc).await;
    let mut bob = YClient::connect(server.addr, &doc).await;

    let id = mallory.id();
    mallory.say_presence(id, 1, r##"{"user":{"name":"The Boss","color":"#000000"},"cursor":null}"##).await;
    bob.wait_for_presence(SOON, |c| !c.state_of(id).is_null()).await;
    let first = bob.state_of(id);
    assert_ne!(name_of(&first), "The Boss");
    assert_eq!(name_of(&first).split(' ').count(), 2, "a guest name: {first}");
    assert_ne!(first["user"]["color"], "#000000");
    assert_eq!(first["cursor"], Value::Null, "fields other than the identity are relayed as sent");

    // The same person keeps the same identity on every update.
    mallory.say_presence(id, 2, r##"{"user":{"name":"Someone Else"},"typing":true}"##).await;
    bob.wait_for_presence(SOON, |c| c.state_of(id)["typing"] == true).await;
    assert_eq!(bob.state_of(id)["user"], first["user"]);
    server.stop().await;
}

#[tokio::test]
async fn a_client_cannot_change_or_clear_someone_elses_presence() {
    let (url, _dir) = sqlite_url();
    let server = TestServer::start(&url).await;
    let doc = server.create_doc("Spoofing").await;
    let mut alice = YClient::connect(server.addr, &doc).await;
    let mut eve = YClient::connect(server.addr, &doc).await;
    let mut bob = YClient::connect(server.addr, &doc).await;

    let alice_id = alice.id();
    alice.say_presence(alice_id, 1, r#"{"cursor":{"anchor":1,"head":1}}"#).await;
    bob.wait_for_presence(SOON, |c| !c.state_of(alice_id).is_null()).await;
    let before = bob.presence[&alice_id].clone();

    // Eve overwrites Alice's state with a higher clock, then tries to remove it.
    eve.say_presence(alice_id, 5, r#"{"cursor":{"anchor":99,"head":99}}"#).await;
    eve.say_presence(alice_id, 6, "null").await;
    // Eve's own state goes after, on the same socket: once Bob sees it, the
    // server has handled everything Eve sent before.
    let eve_id = eve.id();
    eve.say_presence(eve_id, 1, r#"{"cursor":null}"#).await;
    bob.wait_for_presence(SOON, |c| !c.state_of(eve_id).is_null()).await;
    assert_eq!(bob.presence[&alice_id], before, "Alice's presence is untouched");
    assert_ne!(name_of(&bob.state_of(eve_id)), name_of(&before.1), "Eve is not Alice");

    // A newcomer sees Alice as she is, too.
    let mut carol = YClient::connect(server.addr, &doc).await;
    carol.wait_for_presence(SOON, |c| c.presence.len() >= 2).await;
    assert_eq!(carol.presence[&alice_id], before);
    server.stop().await;
}

#[tokio::test]
async fn another_tab_of_the_same_session_may_take_over_its_own_id() {
    let (url, _dir) = sqlite_url();
    let server = TestServer::start(&url).await;
    let doc = server.create_doc("Reconnect").await;
    let mut first = YClient::connect(server.addr, &doc).await;
    let mut bob = YClient::connect(server.addr, &doc).await;
    let id = first.id();
    first.say_presence(id, 1, r#"{"n":1}"#).await;
    bob.wait_for_presence(SOON, |c| c.state_of(id)["n"] == 1).await;

    // The tab reconnects before the server noticed the old socket is gone.
    let cookie = first.cookie.clone().expect("the upgrade set a session cookie");
    let name = name_of(&bob.state_of(id)).to_string();
    let mut again = YClient::connect_with_cookie(server.addr, &doc, &cookie).await;
    again.say_presence(id, 3, r#"{"n":3}"#).await;
    bob.wait_for_presence(SOON, |c| c.state_of(id)["n"] == 3).await;
    assert_eq!(name_of(&bob.state_of(id)), name, "same session, same person");

    // The old socket closing no longer removes the state the new one owns.
    drop(first);
    assert!(bob.stays_quiet(Duration::from_millis(500)).await, "no removal was broadcast");
    assert_eq!(bob.state_of(id)["n"], 3);
    drop(again);
    bob.wait_for_presence(SOON, |c| c.state_of(id).is_null()).await;
    server.stop().await;
}

#[tokio::test]
async fn a_guest_keeps_their_identity_across_restarts_in_an_httponly_lax_cookie() {
    let (url, _dir) = sqlite_url();
    guest_identity_survives_a_restart(&url).await;
}

#[tokio::test]
async fn postgres_sessions_keep_a_guest_identity_across_restarts() {
    let Some(url) = postgres_url().await else { return };
    guest_identity_survives_a_restart(&url).await;
}

async fn guest_identity_survives_a_restart(url: &str) {
    let server = TestServer::start(url).await;
    let doc = server.create_doc("Sessions").await;

    // Opening the edit link creates the session and its guest; the page then
    // names them.
    let link = common::edit_link(&doc).unwrap();
    let opened = common::http_client().get(server.http(&link)).send().await.unwrap();
    let set_cookie = opened.headers()["set-cookie"].to_str().unwrap().to_string();
    assert!(set_cookie.contains("HttpOnly"), "{set_cookie}");
    assert!(set_cookie.contains("SameSite=Lax"), "{set_cookie}");
    let cookie = set_cookie.split(';').next().unwrap().to_string();
    let page =
        reqwest::Client::new().get(server.http(&format!("/d/{doc}"))).header("cookie", &cookie).send().await.unwrap();
    let html = page.text().await.unwrap();
    // The viewer's own avatar is titled "<name> (you)".
    let name = html
        .split(" (you)\"")
        .next()
        .and_then(|before| before.rsplit("title=\"").next())
        .expect("the page names its viewer")
        .to_string();
    assert_eq!(name.split(' ').count(), 2, "{name}");
    server.stop().await;

    // After a restart, the same cookie is the same person, on the page and
    // on the socket.
    let server = TestServer::start(url).await;
    let again =
        reqwest::Client::new().get(server.http(&format!("/d/{doc}"))).header("cookie", &cookie).send().await.unwrap();
    assert!(again.headers().get("set-cookie").is_none(), "no new session");
    assert!(again.text().await.unwrap().contains(&format!("data-name=\"{name}\"")));
    let mut me = YClient::connect_with_cookie(server.addr, &doc, &cookie).await;
    let mut bob = YClient::connect(server.addr, &doc).await;
    let id = me.id();
    me.say_presence(id, 1, "{}").await;
    bob.wait_for_presence(SOON, |c| !c.state_of(id).is_null()).await;
    assert_eq!(name_of(&bob.state_of(id)), name);
    server.stop().await;
}

#[tokio::test]
async fn closing_a_socket_removes_its_presence_for_everyone_within_a_second() {
    let (url, _dir) = sqlite_url();
    let server = TestServer::start(&url).await;
    let doc = server.create_doc("Leaving").await;
    let mut alice = YClient::connect(server.addr, &doc).await;
    let mut bob = YClient::connect(server.addr, &doc).await;
    let id = alice.id();
    alice.say_presence(id, 1, r#"{"cursor":null}"#).await;
    bob.wait_for_presence(SOON, |c| !c.state_of(id).is_null()).await;

    let closed_at = Instant::now();
    alice.send_ws(WsMessage::Close(None)).await;
    drop(alice);
    bob.wait_for_presence(Duration::from_secs(1), |c| c.state_of(id).is_null()).await;
    assert!(closed_at.elapsed() < Duration::from_secs(1));
    assert!(bob.presence.contains_key(&id), "removal was announced, not just silence");
    server.stop().await;
}

#[tokio::test]
async fn malformed_or_oversized_presence_loses_only_that_client() {
    let (url, _dir) = sqlite_url();
    let mut config = Config::defaults_with_database(url);
    config.max_presence_bytes = 256;
    let server = TestServer::start_with(config).await;
    let doc = server.create_doc("Bad presence").await;
    let mut bob = YClient::connect(server.addr, &doc).await;

    let mut array = YClient::connect(server.addr, &doc).await;
    let id = array.id();
    array.say_presence(id, 1, "[1,2,3]").await;
    assert_eq!(array.expect_close().await.0, protocol::close::INVALID);

    let mut big = YClient::connect(server.addr, &doc).await;
    let id_big = big.id();
    big.say_presence(id_big, 1, &format!(r#"{{"x":"{}"}}"#, "y".repeat(300))).await;
    assert_eq!(big.expect_close().await.0, protocol::close::TOO_BIG);

    // Bob saw neither, and carries on editing.
    assert!(bob.state_of(id).is_null() && bob.state_of(id_big).is_null());
    bob.insert(0, "still here").await;
    let mut check = YClient::connect(server.addr, &doc).await;
    check.wait_for_text("still here").await;
    server.stop().await;
}

#[tokio::test]
async fn a_full_room_turns_the_next_person_away_with_a_reason() {
    let (url, _dir) = sqlite_url();
    let mut config = Config::defaults_with_database(url);
    config.max_room_peers = 2;
    let server = TestServer::start_with(config).await;
    let doc = server.create_doc("Small room").await;
    let _a = YClient::connect(server.addr, &doc).await;
    let _b = YClient::connect(server.addr, &doc).await;

    let mut socket = YClient::raw_socket(server.addr, &doc).await;
    let close = loop {
        match tokio::time::timeout(SOON, socket.next()).await.expect("closed in time") {
            Some(Ok(WsMessage::Close(Some(frame)))) => break frame,
            Some(Ok(_)) => continue,
            other => panic!("expected a close frame, got {other:?}"),
        }
    };
    assert_eq!(u16::from(close.code), protocol::close::ROOM_FULL);
    assert!(close.reason.contains("as many people"), "{}", close.reason);
    server.stop().await;
}

/// 100 people each move their caret 10 times at 20 updates/s. Relayed one by
/// one that is 100 x 10 x 99 = 99,000 frames; batched, each flush (at most
/// one per 50 ms) is one frame per person.
#[tokio::test]
async fn a_hundred_people_moving_carets_cost_a_bounded_number_of_frames() {
    const PEOPLE: usize = 100;
    const MOVES: u32 = 10;
    let (url, _dir) = sqlite_url();
    let server = TestServer::start(&url).await;
    let doc = server.create_doc("Crowd").await;
    let mut sockets = Vec::new();
    for _ in 0..PEOPLE {
        sockets.push(YClient::raw_socket(server.addr, &doc).await);
    }
    let started = Instant::now();
    let mut people = Vec::new();
    for (n, socket) in sockets.into_iter().enumerate() {
        let id = 1_000 + n as u64;
        people.push(tokio::spawn(async move {
            let (mut tx, mut rx) = socket.split();
            let reader = tokio::spawn(async move {
                let mut frames = 0usize;
                let mut seen = std::collections::HashMap::<u64, u32>::new();
                let settle = Duration::from_millis(600);
                while let Ok(Some(Ok(message))) = tokio::time::timeout(settle, rx.next()).await {
                    let WsMessage::Binary(frame) = message else { continue };
                    for message in protocol::decode(&frame).unwrap() {
                        if let Message::Awareness(update) = message {
                            frames += 1;
                            // Removals (people who finished and left) are not moves.
                            for (client, entry) in update.clients.into_iter().filter(|(_, e)| &*e.json != "null") {
                                let clock = seen.entry(client.get()).or_default();
                                *clock = (*clock).max(entry.clock);
                            }
                        }
                    }
                }
                (frames, seen)
            });
            for clock in 1..=MOVES {
                let state = format!(r#"{{"cursor":{{"anchor":{clock},"head":{clock}}}}}"#);
                tx.send(WsMessage::Binary(awareness_frame(&[(id, clock, &state)]).into())).await.unwrap();
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            let result = reader.await.unwrap();
            drop(tx);
            result
        }));
    }
    let mut total = 0;
    for person in people {
        let (frames, seen) = person.await.unwrap();
        total += frames;
        assert_eq!(seen.len(), PEOPLE, "everyone sees everyone");
        assert!(seen.values().all(|clock| *clock == MOVES), "everyone sees everyone's last move");
    }
    // Sending ends about 0.5 s in; the readers stop after 0.6 s of silence.
    let active_ms = started.elapsed().as_millis() as usize - 600;
    let bound = PEOPLE * (active_ms / 50 + 3);
    println!("{total} presence frames in {active_ms} ms for {PEOPLE} people (bound {bound}, unbatched 99000)");
    assert!(total <= bound, "{total} frames exceed the bound of {bound}");
    server.stop().await;
}
