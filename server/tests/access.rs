//! Access control, one rule per test: who may open a socket or read a list,
//! what a viewer's writes do, and how fast revocations reach open sockets.

mod common;

use std::time::{Duration, Instant};

use common::{http_client, next_event, session_cookie, sqlite_url, subscribe, TestServer, YClient, PASSWORD};
use reqwest::Method;
use server::doc_id::DocId;
use server::store::{now_ms, Store};
use yrs::{Doc, ReadTxn, StateVector, Text, Transact};

use app::api::Role;
use app::collab::{doc as qdoc, protocol};

const WITHIN_A_SECOND: Duration = Duration::from_secs(1);

/// Connects with a session cookie as a browser on this site would.
async fn connect_as(server: &TestServer, doc: &str, cookie: &str) -> YClient {
    YClient::connect_with_cookie(server.addr, doc, cookie).await
}

fn origin(server: &TestServer) -> String {
    format!("http://{}", server.addr)
}

#[tokio::test]
async fn without_a_session_the_api_and_the_socket_answer_401() {
    let (url, _dir) = sqlite_url();
    let server = TestServer::start(&url).await;
    let doc = server.create_doc("Private").await;
    let client = reqwest::Client::new();
    for response in [
        client.get(server.http("/api/docs")).send().await.unwrap(),
        client.get(server.http(&format!("/api/docs/{doc}/markdown"))).send().await.unwrap(),
        client.post(server.http("/api/docs")).json(&serde_json::json!({"title": "x"})).send().await.unwrap(),
        client.get(server.http("/events")).send().await.unwrap(),
    ] {
        assert_eq!(response.status(), 401, "{}", response.url());
    }
    let refused = YClient::try_open(server.addr, &doc, &[("origin", &origin(&server))]).await;
    assert_eq!(refused.err(), Some(401));
    server.stop().await;
}

#[tokio::test]
async fn a_wrong_or_missing_origin_is_refused_with_403_before_the_upgrade() {
    let (url, _dir) = sqlite_url();
    let server = TestServer::start(&url).await;
    let doc = server.create_doc("Origins").await;
    let owner = server.owner.clone();
    for headers in [
        vec![("cookie", owner.as_str())],
        vec![("cookie", owner.as_str()), ("origin", "http://evil.example")],
        vec![("cookie", owner.as_str()), ("origin", "null")],
    ] {
        assert_eq!(YClient::try_open(server.addr, &doc, &headers).await.err(), Some(403), "{headers:?}");
    }
    let good = origin(&server);
    assert!(YClient::try_open(server.addr, &doc, &[("cookie", &owner), ("origin", &good)]).await.is_ok());
    server.stop().await;

    // With a public origin configured, only that one is accepted.
    let (url, _dir) = sqlite_url();
    let mut config = server::Config::defaults_with_database(url);
    config.public_origin = Some("https://quire.example".into());
    let server = TestServer::start_with(config).await;
    let doc = server.create_doc("Configured").await;
    let owner = server.owner.clone();
    let own_host = origin(&server);
    assert_eq!(
        YClient::try_open(server.addr, &doc, &[("cookie", &owner), ("origin", &own_host)]).await.err(),
        Some(403)
    );
    assert!(YClient::try_open(server.addr, &doc, &[("cookie", &owner), ("origin", "https://quire.example")])
        .await
        .is_ok());
    server.stop().await;
}

#[tokio::test]
async fn a_viewers_writes_are_refused_and_nothing_is_stored_or_relayed() {
    let (url, _dir) = sqlite_url();
    let server = TestServer::start(&url).await;
    let doc = server.create_doc("Read only").await;
    let mut editor = YClient::connect(server.addr, &doc).await;
    editor.insert(0, "original").await;
    server.wait_for_markdown(&doc, "original").await;
    let (_, view_link) = server.share_link(&server.owner, &doc, "viewer", 0).await;
    let viewer_cookie = server.open_link(&view_link).await;
    let mut viewer = connect_as(&server, &doc, &viewer_cookie).await;
    assert_eq!(viewer.content(), "original", "viewers receive the document");
    assert_eq!(viewer.role, Some(Role::Viewer));
    let _ = editor.stays_quiet(Duration::from_millis(200)).await;

    // An Update, and a SyncStep2 carrying changes (what a stock Yjs client
    // sends after editing offline).
    viewer.insert(0, "vandal ").await;
    let offline = Doc::new();
    offline.get_or_insert_text("content").insert(&mut offline.transact_mut(), 0, "sneaky ");
    let update = offline.transact().encode_state_as_update_v1(&StateVector::default());
    viewer.send_raw(protocol::sync_step2(update)).await;
    viewer.pump_until(Duration::from_secs(2), |c, _| c.denied.len() == 2).await;
    assert!(viewer.denied[0].contains("read-only"), "{:?}", viewer.denied);

    assert!(editor.stays_quiet(Duration::from_millis(500)).await, "nothing was relayed");
    assert_eq!(server.markdown(&doc).await, "original", "the document is unchanged");
    server.stop().await;
    let store = Store::connect(&url).await.unwrap();
    let stored = store.load_updates(&DocId::parse(&doc).unwrap()).await.unwrap();
    let stored = qdoc::doc_from_updates(stored.updates.iter().map(Vec::as_slice)).unwrap().doc;
    assert_eq!(qdoc::markdown(&qdoc::content(&stored), &stored.transact()), "original", "nothing was stored");
}

#[tokio::test]
async fn revoking_a_link_closes_the_sockets_it_opened_within_a_second() {
    let (url, _dir) = sqlite_url();
    let server = TestServer::start(&url).await;
    let doc = server.create_doc("Revocable").await;
    let (link_id, path) = server.share_link(&server.owner, &doc, "editor", 0).await;
    let guest = server.open_link(&path).await;
    let mut client = connect_as(&server, &doc, &guest).await;

    let started = Instant::now();
    let response =
        server.send_as(&server.owner, Method::DELETE, &format!("/api/docs/{doc}/links/{link_id}"), None).await;
    assert_eq!(response.status(), 204);
    let (code, reason) = client.expect_close().await;
    assert!(started.elapsed() < WITHIN_A_SECOND, "took {:?}", started.elapsed());
    assert_eq!(code, protocol::close::FORBIDDEN);
    assert!(reason.contains("access"), "{reason}");

    // Neither the link nor the session that used it opens anything now.
    let again = http_client().get(server.http(&path)).send().await.unwrap();
    assert_eq!(again.headers()["location"], "/link-invalid");
    let refused = YClient::try_open(server.addr, &doc, &[("cookie", &guest), ("origin", &origin(&server))]).await;
    assert_eq!(refused.err(), Some(403));
    server.stop().await;
}

#[tokio::test]
async fn changing_a_members_role_takes_effect_on_their_open_socket_within_a_second() {
    let (url, _dir) = sqlite_url();
    let server = TestServer::start(&url).await;
    let doc = server.create_doc("Team").await;
    let bob = server.sign_up("bob").await;
    let members = format!("/api/docs/{doc}/members/bob");
    let share = |role: &'static str| {
        let body = serde_json::json!({ "role": role });
        let (server, members) = (&server, &members);
        async move { assert_eq!(server.send_as(&server.owner, Method::PUT, members, Some(body)).await.status(), 204) }
    };
    share("editor").await;
    let mut client = connect_as(&server, &doc, &bob).await;
    assert_eq!(client.role, Some(Role::Editor));
    client.insert(0, "bob was here").await;
    server.wait_for_markdown(&doc, "bob was here").await;

    let started = Instant::now();
    share("viewer").await;
    client.pump_until(WITHIN_A_SECOND, |c, _| c.role == Some(Role::Viewer)).await;
    assert!(started.elapsed() < WITHIN_A_SECOND);
    client.insert(0, "no more ").await;
    client.pump_until(Duration::from_secs(2), |c, _| !c.denied.is_empty()).await;
    assert_eq!(server.markdown(&doc).await, "bob was here");

    // Unsharing disconnects with a reason.
    assert_eq!(server.send_as(&server.owner, Method::DELETE, &members, None).await.status(), 204);
    assert_eq!(client.expect_close().await.0, protocol::close::FORBIDDEN);
    server.stop().await;
}

#[tokio::test]
async fn list_events_reach_exactly_the_people_who_can_see_the_document() {
    let (url, _dir) = sqlite_url();
    list_events_reach_the_audience(&url).await;
}

#[tokio::test]
async fn postgres_sharing_lists_and_events_behave_the_same() {
    let Some(url) = common::postgres_url().await else { return };
    list_events_reach_the_audience(&url).await;
}

async fn list_events_reach_the_audience(url: &str) {
    let server = TestServer::start(url).await;
    let bob = server.sign_up("bob").await;
    let eve = server.sign_up("eve").await;
    let (mut owner_events, mut owner_buf) = subscribe(&server, &server.owner).await;
    let (mut bob_events, mut bob_buf) = subscribe(&server, &bob).await;
    let (mut eve_events, mut eve_buf) = subscribe(&server, &eve).await;
    let soon = Duration::from_secs(2);

    let doc = server.create_doc("Plans").await;
    assert_eq!(next_event(&mut owner_events, &mut owner_buf, "docs", soon).await.as_deref(), Some(doc.as_str()));

    let members = format!("/api/docs/{doc}/members/bob");
    let share = server.send_as(&server.owner, Method::PUT, &members, Some(serde_json::json!({"role": "viewer"}))).await;
    assert_eq!(share.status(), 204);
    assert_eq!(next_event(&mut bob_events, &mut bob_buf, "docs", soon).await.as_deref(), Some(doc.as_str()));
    let listed: serde_json::Value = server.send_as(&bob, Method::GET, "/api/docs", None).await.json().await.unwrap();
    assert_eq!(listed["shared"][0]["id"], doc.as_str());
    assert_eq!(listed["shared"][0]["role"], "viewer");

    assert_eq!(server.send_as(&server.owner, Method::DELETE, &members, None).await.status(), 204);
    assert_eq!(next_event(&mut bob_events, &mut bob_buf, "docs", soon).await.as_deref(), Some(doc.as_str()));

    // Eve never heard of it, and cannot read it by id.
    assert_eq!(next_event(&mut eve_events, &mut eve_buf, "docs", Duration::from_millis(300)).await, None);
    let read = server.send_as(&eve, Method::GET, &format!("/api/docs/{doc}/markdown"), None).await;
    assert_eq!(read.status(), 404);
    let socket = YClient::try_open(server.addr, &doc, &[("cookie", &eve), ("origin", &origin(&server))]).await;
    assert_eq!(socket.err(), Some(403), "no document bytes for someone without access");
    server.stop().await;
}

#[tokio::test]
async fn expired_and_revoked_links_are_refused_and_an_expiring_link_ends_its_socket() {
    let (url, _dir) = sqlite_url();
    let server = TestServer::start(&url).await;
    let doc = server.create_doc("Temporary").await;
    let doc_id = DocId::parse(&doc).unwrap();
    let store = Store::connect(&url).await.unwrap();
    let make = |expires_at: i64| {
        let (store, doc_id) = (store.clone(), doc_id.clone());
        async move {
            let token = server::auth::secret::generate(server::service::SHARE_TOKEN_PREFIX);
            let id = uuid::Uuid::new_v4().to_string();
            store
                .create_link(&id, &doc_id, &server::auth::secret::digest(&token), Role::Editor, Some(expires_at))
                .await
                .unwrap();
            format!("/s/{token}")
        }
    };
    let expired = make(now_ms() - 1).await;
    let response = http_client().get(server.http(&expired)).send().await.unwrap();
    assert_eq!(response.headers()["location"], "/link-invalid");
    let bogus = http_client().get(server.http("/s/qs_0123")).send().await.unwrap();
    assert_eq!(bogus.headers()["location"], "/link-invalid");

    // A link that runs out while in use ends the socket at its expiry.
    let expiring = make(now_ms() + 1_500).await;
    let guest = server.open_link(&expiring).await;
    let mut client = connect_as(&server, &doc, &guest).await;
    let started = Instant::now();
    assert_eq!(client.expect_close().await.0, protocol::close::FORBIDDEN);
    assert!(started.elapsed() < Duration::from_millis(2_500), "{:?}", started.elapsed());
    server.stop().await;
}

#[tokio::test]
async fn repeated_failed_sign_ins_are_throttled_even_with_the_right_password() {
    let (url, _dir) = sqlite_url();
    let server = TestServer::start(&url).await;
    server.sign_up("carol").await;
    for _ in 0..server::auth::throttle::FREE_FAILURES {
        assert_eq!(server.sign_in("carol", "wrong password").await.err().map(|e| e.0), Some(400));
    }
    let (status, body) = server.sign_in("carol", PASSWORD).await.expect_err("locked");
    assert_eq!(status, 429);
    assert!(body.contains("Too many failed sign-ins"), "{body}");
    server.stop().await;
}

#[tokio::test]
async fn signing_in_rotates_the_session_id() {
    let (url, _dir) = sqlite_url();
    let server = TestServer::start(&url).await;
    server.sign_up("dave").await;
    let page = http_client().get(server.http("/")).send().await.unwrap();
    let before = session_cookie(&page).expect("a visit starts a session");
    let response = http_client()
        .post(server.http("/api/session"))
        .header("cookie", &before)
        .json(&serde_json::json!({"username": "dave", "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 204);
    let after = session_cookie(&response).expect("a new session id");
    assert_ne!(before, after);
    let old = server.send_as(&before, Method::GET, "/api/docs", None).await;
    assert_eq!(old.status(), 401, "the old id is not signed in");
    server.stop().await;
}

#[tokio::test]
async fn an_api_token_works_until_it_is_revoked() {
    let (url, _dir) = sqlite_url();
    let server = TestServer::start(&url).await;
    let doc = server.create_doc("Scripted").await;
    let body = serde_json::json!({"name": "backup script"});
    let created: serde_json::Value =
        server.send_as(&server.owner, Method::POST, "/api/tokens", Some(body)).await.json().await.unwrap();
    let token = created["token"].as_str().unwrap().to_string();
    let bearer = format!("Bearer {token}");
    let read = |auth: String| {
        let url = server.http(&format!("/api/docs/{doc}/markdown"));
        async move { reqwest::Client::new().get(url).header("authorization", auth).send().await.unwrap().status() }
    };
    assert_eq!(read(bearer.clone()).await, 200);
    // A token cannot mint more tokens.
    let minted = reqwest::Client::new()
        .post(server.http("/api/tokens"))
        .header("authorization", &bearer)
        .json(&serde_json::json!({"name": "more"}))
        .send()
        .await
        .unwrap();
    assert_eq!(minted.status(), 403);

    let token_path = format!("/api/tokens/{}", created["id"].as_str().unwrap());
    assert_eq!(server.send_as(&server.owner, Method::DELETE, &token_path, None).await.status(), 204);
    assert_eq!(read(bearer).await, 401);
    assert_eq!(read("Bearer qt_nonsense".into()).await, 401);
    server.stop().await;
}

#[tokio::test]
async fn deleting_a_document_ends_its_sockets_and_the_trash_can_restore_it() {
    let (url, _dir) = sqlite_url();
    let server = TestServer::start(&url).await;
    let doc = server.create_doc("Doomed").await;
    let mut client = YClient::connect(server.addr, &doc).await;
    client.insert(0, "keep me").await;
    server.wait_for_markdown(&doc, "keep me").await;
    assert_eq!(server.send_as(&server.owner, Method::DELETE, &format!("/api/docs/{doc}"), None).await.status(), 204);
    assert_eq!(client.expect_close().await.0, protocol::close::GONE);
    let read = server.send_as(&server.owner, Method::GET, &format!("/api/docs/{doc}/markdown"), None).await;
    assert_eq!(read.status(), 404, "a document in the trash is not served");

    let store = Store::connect(&url).await.unwrap();
    let id = DocId::parse(&doc).unwrap();
    let row = store.document(&id).await.unwrap().unwrap();
    assert!(row.deleted_at.is_some());
    store.set_deleted(&id, None).await.unwrap();
    assert_eq!(server.markdown(&doc).await, "keep me", "restored with its content");
    // Purging only removes what has been in the trash for the whole period.
    store.set_deleted(&id, Some(now_ms())).await.unwrap();
    assert_eq!(store.purge_trash(now_ms() - server::service::TRASH_MS).await.unwrap().len(), 0);
    assert_eq!(store.purge_trash(now_ms() + 1).await.unwrap().len(), 1);
    assert!(store.document(&id).await.unwrap().is_none());
    server.stop().await;
}
