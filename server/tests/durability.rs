//! "Saved" means on disk: the server acknowledges a client's writes only after
//! the transaction holding them committed, and whatever it acknowledged
//! survives `kill -9`, a crash in the middle of compaction, a database outage,
//! and SIGTERM while people type. Servers here are separate processes when the
//! test kills them.

mod common;

use std::time::Duration;

use common::proxy::Proxy;
use common::{sqlite_url, TestServer, YClient};
use yrs::Text;

/// The line a test client writes as its `n`th edit.
fn line(who: &str, n: usize) -> String {
    format!("{who} {n}\n")
}

/// Appends `count` lines, waiting for each to be acknowledged; returns how
/// many were acknowledged before the server went away.
async fn append_acknowledged(client: &mut YClient, who: &str, count: usize) -> usize {
    let mut acknowledged = 0;
    for n in 0..count {
        let len = client.content().encode_utf16().count() as u32;
        let chunk = line(who, n);
        if !client.try_edit(|text, txn| text.insert(txn, len, &chunk)).await {
            break;
        }
        let target = client.writes;
        while client.saved < target && client.closed.is_none() {
            client.pump_for(Duration::from_millis(50)).await;
        }
        if client.saved < target {
            break;
        }
        acknowledged += 1;
    }
    acknowledged
}

fn lines(who: &str, count: usize) -> String {
    (0..count).map(|n| line(who, n)).collect()
}

#[tokio::test]
async fn acknowledged_writes_survive_kill_9() {
    let (url, _dir) = sqlite_url();
    let server = TestServer::spawn_process(&url, &[]).await;
    let id = server.create_doc("Durable").await;
    let mut client = YClient::connect(server.addr, &id).await;
    client.hello().await;
    assert_eq!(append_acknowledged(&mut client, "acked", 40).await, 40);
    // More writes the server may or may not have committed when it dies.
    for n in 0..20 {
        let len = client.content().encode_utf16().count() as u32;
        let chunk = line("unacked", n);
        client.try_edit(|text, txn| text.insert(txn, len, &chunk)).await;
    }
    server.kill_9().await;

    let server = TestServer::spawn_process(&url, &[]).await;
    let stored = server.markdown(&id).await;
    assert!(stored.starts_with(&lines("acked", 40)), "every acknowledged write is stored, in order: {stored:?}");
    // Whatever survived of the rest is a prefix of it: nothing out of order or torn.
    let rest = &stored[lines("acked", 40).len()..];
    assert!(lines("unacked", 20).starts_with(rest), "unacknowledged tail is a clean prefix: {rest:?}");

    // The client reconnects with its own copy: the exchange sends what the
    // server lacks, and the text is there exactly once.
    let mut again = YClient::connect_with_doc(server.addr, &id, client.doc).await;
    again.hello().await;
    again.wait_saved(Duration::from_secs(5)).await;
    let expected = format!("{}{}", lines("acked", 40), lines("unacked", 20));
    assert_eq!(again.content(), expected);
    assert_eq!(server.markdown(&id).await, expected);
    server.stop().await;
}

/// A crash at `point` (with compaction after every 10 updates): everything
/// acknowledged is there after a restart, once, and compaction then works.
async fn crash_at(point: &str) {
    let (url, _dir) = sqlite_url();
    let env = [("QUIRE_CRASH_AT", point), ("QUIRE_COMPACT_AFTER", "10")];
    let server = TestServer::spawn_process(&url, &env).await;
    let id = server.create_doc("Crashy").await;
    let mut client = YClient::connect(server.addr, &id).await;
    client.hello().await;
    let acknowledged = append_acknowledged(&mut client, "line", 100).await;
    assert!(acknowledged < 100, "the server crashed at {point}");
    assert!(server.wait_for_crash(Duration::from_secs(10)).await, "the process aborted at {point}");

    let server = TestServer::spawn_process(&url, &[("QUIRE_COMPACT_AFTER", "10")]).await;
    let stored = server.markdown(&id).await;
    assert!(
        stored.starts_with(&lines("line", acknowledged)),
        "acknowledged writes survive a crash at {point}: {stored:?}"
    );
    assert!(lines("line", 100).starts_with(&stored), "no duplicated or torn text after a crash at {point}: {stored:?}");

    // The same client carries on from where it was; the log compacts again.
    let mut again = YClient::connect_with_doc(server.addr, &id, client.doc).await;
    again.hello().await;
    let more = append_acknowledged(&mut again, "after", 25).await;
    assert_eq!(more, 25);
    // The line that was in flight at the crash is in the client's copy.
    let expected = format!("{}{}", lines("line", acknowledged + 1), lines("after", 25));
    assert_eq!(again.content(), expected);
    drop(again);
    server.stop().await;
    let server = TestServer::spawn_process(&url, &[]).await;
    assert_eq!(server.markdown(&id).await, expected, "a fresh load from the database");
    server.stop().await;
}

#[tokio::test]
async fn a_crash_after_the_snapshot_was_written_loses_nothing() {
    crash_at("compaction:snapshot-written").await;
}

#[tokio::test]
async fn a_crash_after_the_merged_rows_were_deleted_loses_nothing() {
    crash_at("compaction:log-deleted").await;
}

#[tokio::test]
async fn a_crash_between_commit_and_acknowledgement_duplicates_nothing() {
    crash_at("commit:before-ack").await;
}

/// Waits until /healthz reports `status` (up to `within`).
async fn wait_for_health(server: &TestServer, status: u16, within: Duration) -> serde_json::Value {
    let deadline = tokio::time::Instant::now() + within;
    loop {
        let (got, body) = server.health().await;
        if got == status {
            return body;
        }
        assert!(tokio::time::Instant::now() < deadline, "health stayed {got}: {body}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn while_sqlite_is_locked_nothing_is_acknowledged_and_nothing_is_lost() {
    use sqlx::Connection;
    let (url, _dir) = sqlite_url();
    let server = TestServer::start(&url).await;
    let id = server.create_doc("Locked").await;
    let mut client = YClient::connect(server.addr, &id).await;
    client.hello().await;
    client.insert(0, "before ").await;
    client.wait_saved(Duration::from_secs(5)).await;

    // Another process-like writer takes the database's write lock and keeps it.
    let mut blocker = sqlx::SqliteConnection::connect(&url).await.expect("open the database file");
    sqlx::query("BEGIN EXCLUSIVE").execute(&mut blocker).await.expect("take the write lock");
    client.insert(7, "during").await;
    let unsaved = client.writes;
    let body = wait_for_health(&server, 503, Duration::from_secs(15)).await;
    assert_eq!(body["writes"], "retrying");
    assert!(body["pending_writes"].as_u64().unwrap() >= 1, "{body}");
    client.pump_for(Duration::from_millis(300)).await;
    assert!(client.saved < unsaved, "no acknowledgement while the write cannot commit");
    // Everyone still sees the edit live: the outage only delays durability.
    let mut reader = YClient::connect_with_cookie(server.addr, &id, &server.owner).await;
    assert_eq!(reader.content(), "before during");

    sqlx::query("ROLLBACK").execute(&mut blocker).await.unwrap();
    client.wait_saved(Duration::from_secs(15)).await;
    wait_for_health(&server, 200, Duration::from_secs(5)).await;
    reader.pump_for(Duration::from_millis(50)).await;
    drop((client, reader));
    server.stop().await;
    let server = TestServer::start(&url).await;
    assert_eq!(server.markdown(&id).await, "before during");
    server.stop().await;
}

/// The test PostgreSQL behind a proxy the test controls, as a fresh database.
async fn postgres_behind_proxy() -> Option<(String, Proxy)> {
    let url = common::postgres_url().await?;
    let parsed = reqwest::Url::parse(&url).expect("database URL");
    let host = parsed.host_str().unwrap_or("127.0.0.1");
    let target = tokio::net::lookup_host((host, parsed.port().unwrap_or(5432))).await.unwrap().next().unwrap();
    let proxy = Proxy::start(target).await;
    let mut through = parsed.clone();
    through.set_host(Some("127.0.0.1")).unwrap();
    through.set_port(Some(proxy.addr.port())).unwrap();
    Some((through.to_string(), proxy))
}

#[tokio::test]
async fn while_postgres_is_unreachable_nothing_is_acknowledged_and_nothing_is_lost() {
    let Some((url, proxy)) = postgres_behind_proxy().await else { return };
    let server = TestServer::start(&url).await;
    let id = server.create_doc("Outage").await;
    let mut client = YClient::connect(server.addr, &id).await;
    client.hello().await;
    client.insert(0, "one ").await;
    client.wait_saved(Duration::from_secs(5)).await;

    proxy.cut();
    for (n, word) in ["two ", "three ", "four"].into_iter().enumerate() {
        let len = client.content().encode_utf16().count() as u32;
        client.insert(len, word).await;
        client.pump_for(Duration::from_millis(200 * n as u64)).await;
    }
    let unsaved = client.writes;
    let body = wait_for_health(&server, 503, Duration::from_secs(15)).await;
    assert_ne!(body["database"], "ok", "{body}");
    client.pump_for(Duration::from_secs(1)).await;
    assert!(client.saved < unsaved, "no acknowledgement while the database is unreachable");

    proxy.pass(Duration::ZERO);
    client.wait_saved(Duration::from_secs(20)).await;
    wait_for_health(&server, 200, Duration::from_secs(10)).await;
    drop(client);
    server.stop().await;
    let server = TestServer::start(&url).await;
    assert_eq!(server.markdown(&id).await, "one two three four");
    server.stop().await;
}

#[tokio::test]
async fn clients_joining_while_a_slow_store_loads_get_the_whole_document() {
    let Some((url, proxy)) = postgres_behind_proxy().await else { return };
    let server = TestServer::start(&url).await;
    let id = server.create_doc("Slow").await;
    let mut writer = YClient::connect(server.addr, &id).await;
    writer.hello().await;
    assert_eq!(append_acknowledged(&mut writer, "stored", 30).await, 30);
    drop(writer);
    server.stop().await;

    // The next instance finds the database slow: every answer takes 150 ms.
    let server = TestServer::start(&url).await;
    proxy.pass(Duration::from_millis(150));
    let joins = (0..4).map(|_| async {
        // All four arrive while the first load is under way and wait for it.
        let mut client = YClient::connect(server.addr, &id).await;
        assert_eq!(client.content(), lines("stored", 30), "the whole document at the first sync");
        client.hello().await;
        client
    });
    let started = tokio::time::Instant::now();
    let mut clients = futures::future::join_all(joins).await;
    assert!(started.elapsed() > Duration::from_millis(300), "the store really was slow");
    proxy.pass(Duration::ZERO);
    let first = &mut clients[0];
    let len = first.content().encode_utf16().count() as u32;
    first.insert(len, "joined\n").await;
    first.wait_saved(Duration::from_secs(5)).await;
    let expected = format!("{}joined\n", lines("stored", 30));
    for client in &mut clients[1..] {
        client.wait_for_text(&expected).await;
    }
    drop(clients);
    server.stop().await;
    let server = TestServer::start(&url).await;
    assert_eq!(server.markdown(&id).await, expected);
    server.stop().await;
}

#[tokio::test]
async fn sigterm_while_people_type_loses_nothing() {
    let (url, _dir) = sqlite_url();
    let server = TestServer::spawn_process(&url, &[]).await;
    let id = server.create_doc("Typing").await;
    let addr = server.addr;
    let typists = (0..3).map(|who| {
        let id = id.clone();
        tokio::spawn(async move {
            let mut client = YClient::connect(addr, &id).await;
            client.hello().await;
            let mut typed = Vec::new();
            // Type until the server closes the socket (or 3000 lines).
            for n in 0..3000 {
                let chunk = format!("t{who}-{n};");
                // Each typist writes at its own end of the text: its lines
                // stay in order, whatever the others do.
                let len = client.content().encode_utf16().count() as u32;
                let at = if who == 0 { 0 } else { len };
                if !client.try_edit(|text, txn| text.insert(txn, at, &chunk)).await {
                    break;
                }
                typed.push(chunk);
                client.pump_for(Duration::from_millis(5)).await;
                if client.closed.is_some() {
                    break;
                }
            }
            while client.closed.is_none() {
                client.pump_for(Duration::from_millis(100)).await;
            }
            (client, typed)
        })
    });
    let typists: Vec<_> = typists.collect();
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert!(server.terminate().await, "the server exits cleanly on SIGTERM");
    let mut results = Vec::new();
    for typist in typists {
        results.push(typist.await.unwrap());
    }

    let server = TestServer::spawn_process(&url, &[]).await;
    let stored = server.markdown(&id).await;
    for (client, typed) in &results {
        assert_eq!(client.closed.as_ref().map(|c| c.0), Some(1012), "closed with the restart reason");
        assert!(typed.len() > 5, "the typist typed before the restart");
        // Everything the server acknowledged is on disk, even before anyone reconnects.
        let acked = typed.len().min(client.saved.saturating_sub(1) as usize);
        for chunk in &typed[..acked] {
            assert_eq!(stored.matches(chunk.as_str()).count(), 1, "{chunk} stored once");
        }
    }
    // Reconnecting, each client hands over anything the server lacked.
    let mut everything = Vec::new();
    let mut reconnected = Vec::new();
    for (client, typed) in results {
        let mut again = YClient::connect_with_doc(server.addr, &id, client.doc).await;
        again.hello().await;
        again.wait_saved(Duration::from_secs(5)).await;
        reconnected.push(again);
        everything.extend(typed);
    }
    let stored = server.markdown(&id).await;
    for chunk in &everything {
        assert_eq!(stored.matches(chunk.as_str()).count(), 1, "{chunk} is in the document exactly once");
    }
    assert_eq!(stored.matches(';').count(), everything.len(), "and nothing else");
    drop(reconnected);
    server.stop().await;
}
