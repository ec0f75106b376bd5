//! Version history against the real server: automatic versions after a
//! pause with the right authors, nothing cut twice, restore as a live edit
//! that merges with offline copies, access rules, crashes and compaction that
//! lose no version, two instances, and retention over simulated years.

mod common;

use std::time::Duration;

use reqwest::Method;
use serde_json::{json, Value};
use yrs::{GetString, Text, Transact};

use common::redis::RedisServer;
use common::{account, sqlite_url, TestServer, YClient};
use server::doc_id::DocId;
use server::store::{Cut, Retention, Store, Write};
use server::Config;

/// A server that cuts a version after 300 ms without edits.
async fn server_with_pause(database_url: &str) -> TestServer {
    let mut config = Config::defaults_with_database(database_url);
    config.version_pause_ms = 300;
    TestServer::start_with(config).await
}

/// A client that hears when its writes are committed.
async fn saying_hello(mut client: YClient) -> YClient {
    client.hello().await;
    client
}

/// Waits (up to 2 s) until the client's copy reads `expected`.
async fn until_text(client: &mut YClient, expected: &str) {
    if client.content() != expected {
        client.pump_until(Duration::from_secs(2), |c, _| c.content() == expected).await;
    }
    assert_eq!(client.content(), expected);
}

async fn versions(server: &TestServer, cookie: &str, doc: &str) -> Vec<Value> {
    let response = server.send_as(cookie, Method::GET, &format!("/api/docs/{doc}/versions"), None).await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    body["versions"].as_array().unwrap().clone()
}

/// Waits (up to 5 s) until the document has `count` versions; returns them.
async fn wait_for_versions(server: &TestServer, doc: &str, count: usize) -> Vec<Value> {
    for _ in 0..100 {
        let listed = versions(server, &server.owner, doc).await;
        if listed.len() >= count {
            return listed;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("expected {count} versions, have {:?}", versions(server, &server.owner, doc).await);
}

async fn version_text(server: &TestServer, doc: &str, version: &Value) -> String {
    let path = format!("/api/docs/{doc}/versions/{}/markdown", version["id"]);
    let response = server.send_as(&server.owner, Method::GET, &path, None).await;
    assert_eq!(response.status(), 200);
    response.text().await.unwrap()
}

fn authors(version: &Value) -> Vec<String> {
    let mut names: Vec<String> =
        version["authors"].as_array().unwrap().iter().map(|name| name.as_str().unwrap().to_string()).collect();
    names.sort();
    names
}

/// The name a guest's session was given, as the document page tells them.
async fn guest_name(server: &TestServer, cookie: &str, doc: &str) -> String {
    let response = server.send_as(cookie, Method::GET, &format!("/d/{doc}"), None).await;
    // The page carries the visitor's identity for hydration (in a script, escaped).
    let page = response.text().await.unwrap().replace('\\', "");
    let at = page.find("\"me\":{\"name\":\"").expect("the page names its visitor") + 14;
    page[at..].split('"').next().unwrap().to_string()
}

async fn automatic_versions_carry_their_authors_and_are_never_cut_twice(database_url: &str) {
    let server = server_with_pause(database_url).await;
    let doc = server.create_doc("History").await;
    let mut owner = saying_hello(YClient::connect_with_cookie(server.addr, &doc, &server.owner).await).await;
    let mut guest = saying_hello(YClient::connect(server.addr, &doc).await).await;
    owner.insert(0, "Hello").await;
    owner.wait_saved(Duration::from_secs(5)).await;
    until_text(&mut guest, "Hello").await;
    guest.insert(5, " world").await;
    guest.wait_saved(Duration::from_secs(5)).await;
    until_text(&mut owner, "Hello world").await;

    let listed = wait_for_versions(&server, &doc, 1).await;
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0]["kind"], "auto");
    assert_eq!(version_text(&server, &doc, &listed[0]).await, "Hello world");
    let guest_cookie = guest.cookie.clone().unwrap();
    let mut expected = vec!["owner".to_string(), guest_name(&server, &guest_cookie, &doc).await];
    expected.sort();
    assert_eq!(authors(&listed[0]), expected);
    assert_eq!(listed[0]["size"], 11);

    // Typing something and taking it back again leaves the same text: no new version.
    owner.insert(11, "!").await;
    owner.edit(|text, txn| text.remove_range(txn, 11, 1)).await;
    owner.wait_saved(Duration::from_secs(5)).await;
    tokio::time::sleep(Duration::from_millis(900)).await;
    assert_eq!(versions(&server, &server.owner, &doc).await.len(), 1, "identical content makes no new version");

    // The next burst is the owner's alone.
    owner.insert(11, ", again").await;
    owner.wait_saved(Duration::from_secs(5)).await;
    let listed = wait_for_versions(&server, &doc, 2).await;
    assert_eq!(version_text(&server, &doc, &listed[0]).await, "Hello world, again");
    assert_eq!(authors(&listed[0]), vec!["owner".to_string()]);
    // Naming the current text names that version rather than copying it.
    let named = server
        .send_as(&server.owner, Method::POST, &format!("/api/docs/{doc}/versions"), Some(json!({"name": "  Draft 1 "})))
        .await;
    assert_eq!(named.status(), 201);
    let named: Value = named.json().await.unwrap();
    assert_eq!(named["id"], listed[0]["id"]);
    assert_eq!(named["name"], "Draft 1");
    // Naming the same text again and again stores nothing more, and keeps the first name.
    for _ in 0..5 {
        let again = server
            .send_as(&server.owner, Method::POST, &format!("/api/docs/{doc}/versions"), Some(json!({"name": "Other"})))
            .await;
        assert_eq!(again.json::<Value>().await.unwrap()["name"], "Draft 1");
    }
    assert_eq!(versions(&server, &server.owner, &doc).await.len(), 2);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn automatic_versions_sqlite() {
    let (url, _dir) = sqlite_url();
    automatic_versions_carry_their_authors_and_are_never_cut_twice(&url).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn automatic_versions_postgres() {
    let Some(url) = common::postgres_url().await else { return };
    automatic_versions_carry_their_authors_and_are_never_cut_twice(&url).await;
}

async fn restore_is_a_live_edit_that_merges_with_offline_copies(database_url: &str) {
    let server = server_with_pause(database_url).await;
    let doc = server.create_doc("Restore").await;
    let mut alice = saying_hello(YClient::connect(server.addr, &doc).await).await;
    alice.insert(0, "line one\nline two\nline three\n").await;
    alice.wait_saved(Duration::from_secs(5)).await;
    let first = wait_for_versions(&server, &doc, 1).await[0].clone();

    alice.edit(|text, txn| text.insert(txn, 9, "LINE TWO CHANGED\n")).await;
    alice.edit(|text, txn| text.remove_range(txn, 26, 9)).await;
    alice.wait_saved(Duration::from_secs(5)).await;
    let changed = alice.content();
    assert_eq!(changed, "line one\nLINE TWO CHANGED\nline three\n");

    // Bob goes offline with a copy and adds a line at the end meanwhile.
    let bob = saying_hello(YClient::connect(server.addr, &doc).await).await;
    let offline = bob.doc.clone();
    drop(bob);
    {
        let text = app::collab::doc::content(&offline);
        let mut txn = offline.transact_mut();
        let len = text.len(&txn);
        text.insert(&mut txn, len, "written offline\n");
    }

    let path = format!("/api/docs/{doc}/versions/{}/restore", first["id"]);
    let response = server.send_as(&server.owner, Method::POST, &path, None).await;
    assert_eq!(response.status(), 200);
    let restored: Value = response.json().await.unwrap();
    assert_eq!(restored["restored"], first["id"]);
    // Alice sees it live.
    until_text(&mut alice, "line one\nline two\nline three\n").await;
    assert_eq!(alice.content(), "line one\nline two\nline three\n");
    // What it replaced is a version of its own.
    let listed = versions(&server, &server.owner, &doc).await;
    let before = listed.iter().find(|v| v["id"] == restored["before"]).expect("the replaced text is kept");
    assert_eq!(before["kind"], "restore");
    assert_eq!(version_text(&server, &doc, before).await, changed);

    // Bob's offline line merges with the restore.
    let mut bob = saying_hello(YClient::connect_with_doc(server.addr, &doc, offline).await).await;
    bob.wait_saved(Duration::from_secs(5)).await;
    let merged = "line one\nline two\nline three\nwritten offline\n";
    until_text(&mut bob, merged).await;
    assert_eq!(bob.content(), merged);
    until_text(&mut alice, merged).await;
    server.wait_for_markdown(&doc, merged).await;
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restore_sqlite() {
    let (url, _dir) = sqlite_url();
    restore_is_a_live_edit_that_merges_with_offline_copies(&url).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restore_postgres() {
    let Some(url) = common::postgres_url().await else { return };
    restore_is_a_live_edit_that_merges_with_offline_copies(&url).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn history_is_for_editors_and_owners_and_viewers_only_if_allowed() {
    let (url, _dir) = sqlite_url();
    let server = server_with_pause(&url).await;
    let doc = server.create_doc("Private past").await;
    let mut writer = saying_hello(YClient::connect(server.addr, &doc).await).await;
    writer.insert(0, "secret draft").await;
    writer.wait_saved(Duration::from_secs(5)).await;
    let version = wait_for_versions(&server, &doc, 1).await[0]["id"].clone();
    let list = format!("/api/docs/{doc}/versions");
    let text = format!("/api/docs/{doc}/versions/{version}/markdown");
    let restore = format!("/api/docs/{doc}/versions/{version}/restore");
    let one = format!("/api/docs/{doc}/versions/{version}");

    // A stranger: nothing exists.
    let stranger = server.sign_up("stranger").await;
    for path in [&list, &text, &one] {
        assert_eq!(server.send_as(&stranger, Method::GET, path, None).await.status(), 404, "{path}");
    }
    assert_eq!(server.send_as(&stranger, Method::POST, &restore, None).await.status(), 404);

    // A viewer: refused until the owner allows it, and never restores.
    let (_, view_link) = server.share_link(&server.owner, &doc, "viewer", 0).await;
    let viewer = server.open_link(&view_link).await;
    assert_eq!(server.send_as(&viewer, Method::GET, &list, None).await.status(), 403);
    assert_eq!(server.send_as(&viewer, Method::GET, &text, None).await.status(), 403);
    let allow = format!("/api/docs/{doc}/history-access");
    let status = server.send_as(&viewer, Method::PUT, &allow, Some(json!({"viewers": true}))).await.status();
    assert!(status == 401 || status == 403, "only the owner decides, not {status}");
    assert_eq!(server.send_as(&server.owner, Method::PUT, &allow, Some(json!({"viewers": true}))).await.status(), 204);
    assert_eq!(server.send_as(&viewer, Method::GET, &list, None).await.status(), 200);
    let response = server.send_as(&viewer, Method::GET, &text, None).await;
    assert_eq!(response.text().await.unwrap(), "secret draft");
    assert_eq!(server.send_as(&viewer, Method::POST, &restore, None).await.status(), 403);
    let name = Some(json!({"name": "mine"}));
    assert_eq!(server.send_as(&viewer, Method::POST, &list, name.clone()).await.status(), 403);

    // A guest editor (by link) names and restores, but only the owner renames or deletes.
    let guest = writer.cookie.clone().unwrap();
    assert_eq!(server.send_as(&guest, Method::POST, &list, name).await.status(), 201);
    assert_eq!(server.send_as(&guest, Method::POST, &restore, None).await.status(), 200);
    let rename = Some(json!({"name": "Final"}));
    // (a guest is not signed in: 401, where a signed-in editor gets 403)
    for status in [
        server.send_as(&guest, Method::PATCH, &one, rename.clone()).await.status(),
        server.send_as(&guest, Method::DELETE, &one, None).await.status(),
    ] {
        assert!(status == 401 || status == 403, "{status}");
    }
    let renamed = server.send_as(&server.owner, Method::PATCH, &one, rename).await;
    assert_eq!(renamed.status(), 200);
    assert_eq!(renamed.json::<Value>().await.unwrap()["name"], "Final");

    // Bad input: clear errors.
    let long = Some(json!({"name": "x".repeat(101)}));
    assert_eq!(server.send_as(&server.owner, Method::POST, &list, long).await.status(), 400);
    let control = Some(json!({"name": "a\u{0}b"}));
    assert_eq!(server.send_as(&server.owner, Method::POST, &list, control).await.status(), 400);
    for bad in ["0", "-1", "abc", "99999999999999999999", "9999"] {
        let path = format!("/api/docs/{doc}/versions/{bad}/markdown");
        assert_eq!(server.send_as(&server.owner, Method::GET, &path, None).await.status(), 404, "{bad}");
    }
    // Download: a file named after the document, whatever its title holds.
    let response = server.send_as(&server.owner, Method::GET, &format!("{text}?download"), None).await;
    let disposition = response.headers()["content-disposition"].to_str().unwrap().to_string();
    assert!(disposition.starts_with("attachment; filename=\"Private past (version "), "{disposition}");

    assert_eq!(server.send_as(&server.owner, Method::DELETE, &one, None).await.status(), 204);
    assert_eq!(server.send_as(&server.owner, Method::GET, &one, None).await.status(), 404);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crash_before_the_pause_and_compaction_lose_no_version_or_author() {
    let (url, _dir) = sqlite_url();
    // A pause that never ends within the test, and compaction every 5 rows.
    let env = [("QUIRE_VERSION_PAUSE_MS", "600000"), ("QUIRE_COMPACT_AFTER", "5")];
    let server = TestServer::spawn_process(&url, &env).await;
    let doc = server.create_doc("Crash").await;
    let mut owner = saying_hello(YClient::connect_with_cookie(server.addr, &doc, &server.owner).await).await;
    // Five rows: compacted, so the owner is only in the snapshot's authors.
    for (at, chunk) in ["a", "b", "c", "d", "e"].iter().enumerate() {
        owner.insert(at as u32, chunk).await;
    }
    owner.wait_saved(Duration::from_secs(5)).await;
    let mut guest = saying_hello(YClient::connect(server.addr, &doc).await).await;
    guest.insert(5, "!").await;
    guest.wait_saved(Duration::from_secs(5)).await;
    let guest_cookie = guest.cookie.clone().unwrap();
    assert!(versions(&server, &server.owner, &doc).await.is_empty(), "the pause has not passed");
    let guest_is = guest_name(&server, &guest_cookie, &doc).await;
    drop((owner, guest));
    server.kill_9().await;

    let server = TestServer::spawn_process(&url, &env).await;
    let listed = wait_for_versions(&server, &doc, 1).await;
    assert_eq!(version_text(&server, &doc, &listed[0]).await, "abcde!");
    let mut expected = vec!["owner".to_string(), guest_is];
    expected.sort();
    assert_eq!(authors(&listed[0]), expected, "authors of rows compaction merged are kept");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_cut_one_version_and_both_list_it() {
    let Some(database) = common::postgres_url().await else { return };
    let Some(redis) = RedisServer::start().await else { return };
    let instance = |url: String| {
        let mut config = Config::defaults_with_database(url);
        config.redis_url = Some(redis.url());
        config.version_pause_ms = 300;
        config.resync_ms = 200;
        TestServer::start_with(config)
    };
    let a = instance(database.clone()).await;
    let b = instance(database.clone()).await;
    let doc = a.create_doc("Shared past").await;
    let mut on_a = saying_hello(YClient::connect(a.addr, &doc).await).await;
    let mut on_b = saying_hello(YClient::connect(b.addr, &doc).await).await;
    on_a.insert(0, "from a ").await;
    on_a.wait_saved(Duration::from_secs(5)).await;
    until_text(&mut on_b, "from a ").await;
    on_b.insert(7, "and b").await;
    on_b.wait_saved(Duration::from_secs(5)).await;
    // Both instances wrote, so both cut once the pause passes: one version stays.
    let listed = wait_for_versions(&a, &doc, 1).await;
    tokio::time::sleep(Duration::from_millis(900)).await;
    let on_a_list = versions(&a, &a.owner, &doc).await;
    let on_b_list = versions(&b, &a.owner, &doc).await;
    assert_eq!(on_a_list.len(), 1, "{on_a_list:?}");
    assert_eq!(on_a_list, on_b_list);
    assert_eq!(version_text(&b, &doc, &listed[0]).await, "from a and b");
    a.stop().await;
    b.stop().await;
}

/// Two instances on one SQLite file (the e2e setup, or a restart overlapping
/// the old process): cutting a version and compacting read, then write, in one
/// transaction; while the other instance commits without pause, a deferred
/// transaction's upgrade to writing would fail at once ("database is locked").
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn versions_and_compaction_succeed_while_another_instance_writes_the_same_sqlite_file() {
    let (url, _dir) = sqlite_url();
    let here = Store::connect(&url).await.unwrap();
    let there = Store::connect(&url).await.unwrap();
    assert_eq!(here.create_user(&account("u1", "ada")).await.unwrap(), server::store::Created::Done);
    let (mine, busy) = (DocId::random(), DocId::random());
    here.create_document(&mine, "Mine", "u1").await.unwrap();
    here.create_document(&busy, "Busy", "u1").await.unwrap();
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let writer = {
        let (stop, busy) = (stop.clone(), busy.clone());
        tokio::spawn(async move {
            let doc = app::collab::doc::new_doc();
            let text = app::collab::doc::content(&doc);
            let mut written = 0u32;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let update = {
                    let mut txn = doc.transact_mut();
                    text.insert(&mut txn, 0, "x");
                    bytes::Bytes::from(txn.encode_update_v1())
                };
                there
                    .append_updates(&[Write { doc: busy.clone(), update, author: None, introduced: Vec::new() }])
                    .await
                    .unwrap();
                written += 1;
            }
            written
        })
    };
    let doc = app::collab::doc::new_doc();
    let text = app::collab::doc::content(&doc);
    let mut failures = Vec::new();
    for n in 0..60 {
        let update = {
            let mut txn = doc.transact_mut();
            let len = text.len(&txn);
            text.insert(&mut txn, len, &format!("line {n}\n"));
            bytes::Bytes::from(txn.encode_update_v1())
        };
        here.append_updates(&[Write { doc: mine.clone(), update, author: None, introduced: Vec::new() }])
            .await
            .unwrap();
        if let Err(error) = here.cut_version(&mine, Cut::Auto).await {
            failures.push(format!("cut {n}: {error}"));
        }
        if n % 3 == 0 {
            if let Err(error) = here.compact(&mine).await {
                failures.push(format!("compact {n}: {error}"));
            }
        }
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let written = writer.await.unwrap();
    assert!(written > 60, "the other instance kept writing ({written} commits)");
    assert!(failures.is_empty(), "{} of 80 failed: {:?}", failures.len(), &failures[..failures.len().min(5)]);
    let newest = &here.versions(&mine).await.unwrap()[0];
    assert_eq!(here.version_text(&mine, newest.id).await.unwrap().unwrap(), text.get_string(&doc.transact()));
}

/// A version's text must read back exactly however thinning rebased it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retention_keeps_storage_bounded_over_years_of_daily_editing() {
    let (url, _dir) = sqlite_url();
    let store = Store::connect(&url).await.unwrap();
    let id = DocId::random();
    assert_eq!(store.create_user(&account("u1", "ada")).await.unwrap(), server::store::Created::Done);
    store.create_document(&id, "Diary", "u1").await.unwrap();
    let doc = app::collab::doc::new_doc();
    let text = app::collab::doc::content(&doc);
    let retention = Retention::default();
    const HOUR: i64 = 3_600_000;
    let start = 1_700_000_000_000i64;
    let mut expected = std::collections::HashMap::new();
    // 400 days; each day, four bursts of editing three hours apart.
    const DAYS: i64 = 400;
    for day in 0..DAYS {
        for burst in 0..4i64 {
            let at = start + day * 24 * HOUR + burst * 3 * HOUR;
            let update = {
                let mut txn = doc.transact_mut();
                let len = text.len(&txn);
                text.insert(&mut txn, len, &format!("day {day} burst {burst}\n"));
                bytes::Bytes::from(txn.encode_update_v1())
            };
            store
                .append_updates(&[Write { doc: id.clone(), update, author: None, introduced: Vec::new() }])
                .await
                .unwrap();
            set_updated_at(&store, &id, at).await;
            let version = store.cut_version(&id, Cut::Auto).await.unwrap().unwrap();
            expected.insert(version, text.get_string(&doc.transact()));
            store.thin_versions(&id, &retention, at).await.unwrap();
            if burst == 3 && day % 10 == 0 {
                store.compact(&id).await.unwrap();
            }
        }
    }
    let listed = store.versions(&id).await.unwrap();
    // The last day's 4, one an hour (each burst here) for 30 days, then one a day.
    let kept = listed.len() as i64;
    assert!(kept <= 4 + 30 * 4 + (DAYS - 29), "{kept} versions kept");
    assert!(kept >= 4 + 28 * 4 + (DAYS - 31), "{kept} versions kept");
    for version in &listed {
        let stored = store.version_text(&id, version.id).await.unwrap().unwrap();
        assert_eq!(&stored, &expected[&version.id], "version {} reads back as it was", version.id);
    }
}

async fn set_updated_at(store: &Store, id: &DocId, at: i64) {
    sqlx::query("UPDATE documents SET updated_at = $1 WHERE id = $2")
        .bind(at)
        .bind(id.as_str())
        .execute(&store.pool())
        .await
        .unwrap();
}
