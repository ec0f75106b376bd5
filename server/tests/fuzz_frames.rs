//! Fuzzing the socket handler: random and mutated y-sync frames from a client
//! that was let in, through a real WebSocket, against a real server. Whatever
//! arrives, the server must not panic or abort, must close only that client,
//! must keep serving honest clients the exact text they wrote, and must not
//! grow without bound. Bounded in cases and time, so it runs with every test.

mod common;

use std::time::{Duration, Instant};

use proptest::prelude::*;
use proptest::test_runner::{Config as RunnerConfig, TestRunner};
use tokio_tungstenite::tungstenite::Message as WsMessage;
use yrs::{ReadTxn, StateVector, Text, Transact};

use app::collab::{doc as qdoc, protocol};
use common::{sqlite_url, TestServer, YClient};
use server::Config;

/// Well-formed frames to mutate: every message a client may send.
fn seeds() -> Vec<Vec<u8>> {
    let doc = qdoc::new_doc();
    let text = qdoc::content(&doc);
    let mut seeds = vec![
        protocol::sync_step1(StateVector::default()),
        protocol::hello(),
        protocol::heartbeat(),
        vec![3],
        common::awareness_frame(&[(7, 1, r#"{"cursor":{"anchor":1,"head":2}}"#)]),
    ];
    for chunk in ["fuzz ", "más 😀 ", "\n## x\n"] {
        let sv = doc.transact().state_vector();
        let len = text.len(&doc.transact());
        text.insert(&mut doc.transact_mut(), len, chunk);
        seeds.push(protocol::update(doc.transact().encode_state_as_update_v1(&sv)));
    }
    seeds.push(protocol::sync_step2(doc.transact().encode_state_as_update_v1(&StateVector::default())));
    let mut two = protocol::heartbeat();
    two.extend(protocol::sync_step1(doc.transact().state_vector()));
    seeds.push(two);
    seeds
}

fn frames() -> impl Strategy<Value = Vec<u8>> {
    let seeds = seeds();
    let mutated = (0..seeds.len(), prop::collection::vec((any::<u16>(), any::<u8>(), 0u8..5), 0..8)).prop_map(
        move |(seed, edits)| {
            let mut bytes = seeds[seed].clone();
            for (at, byte, kind) in edits {
                let at = at as usize % (bytes.len() + 1);
                match kind {
                    0 if at < bytes.len() => bytes[at] = byte,
                    1 => bytes.insert(at, byte),
                    2 if at < bytes.len() => {
                        bytes.remove(at);
                    }
                    3 => {
                        let tail = bytes[at..].to_vec();
                        bytes.extend(tail);
                    }
                    _ => bytes.truncate(at),
                }
            }
            bytes
        },
    );
    prop_oneof![3 => mutated, 1 => prop::collection::vec(any::<u8>(), 0..64)]
}

fn resident_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

#[test]
fn random_and_mutated_frames_lose_only_their_sender() {
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let (url, _dir) = sqlite_url();
    let server = runtime.block_on(TestServer::start_with(Config::defaults_with_database(url)));
    let id = runtime.block_on(server.create_doc("Fuzzed"));
    let (mut alice, mut bob) = runtime.block_on(async {
        let alice = YClient::connect(server.addr, &id).await;
        let bob = YClient::connect(server.addr, &id).await;
        (alice, bob)
    });
    runtime.block_on(alice.insert(0, "honest"));
    runtime.block_on(bob.wait_for_text("honest"));
    let before = resident_kib();

    // The runner takes an `Fn`: what the cases change lives in cells.
    let mallory = std::cell::RefCell::new(Some(runtime.block_on(YClient::connect(server.addr, &id))));
    let (cases, reconnects) = (std::cell::Cell::new(0), std::cell::Cell::new(0));
    let deadline = Instant::now() + Duration::from_secs(25);
    let mut runner = TestRunner::new(RunnerConfig { cases: 400, failure_persistence: None, ..RunnerConfig::default() });
    let outcome = runner.run(&frames(), |frame| {
        if Instant::now() > deadline {
            return Ok(());
        }
        cases.set(cases.get() + 1);
        // Out of the cell while the case runs (no borrow across an await).
        let mut client = mallory.take().expect("mallory is back after every case");
        runtime.block_on(async {
            let sent = client.try_send_ws(WsMessage::Binary(frame.into())).await;
            if sent {
                client.pump_for(Duration::from_millis(5)).await;
            }
            if !sent || client.closed.is_some() {
                reconnects.set(reconnects.get() + 1);
                client = YClient::connect(server.addr, &id).await;
            }
        });
        mallory.replace(Some(client));
        Ok(())
    });
    assert!(outcome.is_ok(), "{outcome:?}");
    let (cases, reconnects) = (cases.get(), reconnects.get());
    assert!(cases >= 100, "only {cases} cases ran");

    // The honest clients never noticed: they still write together, and the
    // document holds their text (whatever valid text Mallory added, at most).
    runtime.block_on(async {
        alice.pump_for(Duration::from_millis(200)).await;
        bob.pump_for(Duration::from_millis(200)).await;
        assert_eq!(alice.closed, None, "an honest client was closed");
        assert_eq!(bob.closed, None, "an honest client was closed");
        bob.insert(0, ">").await;
        alice.wait_for_text(&bob.content()).await;
        let stored = server.markdown(&id).await;
        assert!(stored.contains("honest") && stored.starts_with('>'), "{stored:?}");
        let mut carol = YClient::connect(server.addr, &id).await;
        carol.wait_for_text(&stored).await;
    });
    let grown = resident_kib().saturating_sub(before);
    assert!(grown < 256 * 1024, "the process grew by {grown} KiB over {cases} cases");
    eprintln!("fuzzed {cases} frames, {reconnects} reconnects, RSS +{grown} KiB");
    runtime.block_on(server.stop());
}
