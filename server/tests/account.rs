//! Your account, against the real server: changing the password signs every
//! other session out (and closes its sockets) but keeps this one; the session
//! list names devices and addresses without revealing session ids, and
//! signing one or all others out ends their sockets; API tokens that expire
//! (their socket ends when they do) or only read (no writes by any route or
//! socket message).

mod common;

use std::time::Duration;

use reqwest::Method;
use serde_json::{json, Value};

use app::api::Role;
use app::collab::protocol::close;
use common::{http_client, send_json as send, session_cookie, sqlite_url, TestServer, YClient, PASSWORD};
use server::store::{now_ms, Store};

const FIREFOX: &str = "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0";

/// Signs in from a browser with this User-Agent; the session cookie.
async fn sign_in_from(server: &TestServer, username: &str, password: &str, agent: &str) -> String {
    let response = http_client()
        .post(server.http("/api/session"))
        .header("user-agent", agent)
        .json(&json!({ "username": username, "password": password }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 204);
    session_cookie(&response).unwrap()
}

async fn status(server: &TestServer, cookie: &str) -> u16 {
    send(server, cookie, Method::GET, "/api/docs", None).await.0
}

async fn sessions(server: &TestServer, cookie: &str) -> Vec<Value> {
    let (code, body) = send(server, cookie, Method::GET, "/api/me/sessions", None).await;
    assert_eq!(code, 200);
    body["sessions"].as_array().unwrap().clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn changing_the_password_signs_out_every_other_session_and_keeps_this_one() {
    let (url, _dir) = sqlite_url();
    let server = TestServer::start(&url).await;
    let ada = server.sign_up("ada").await;
    let laptop = sign_in_from(&server, "ada", PASSWORD, FIREFOX).await;
    let doc: Value =
        server.send_as(&ada, Method::POST, "/api/docs", Some(json!({ "title": "Diary" }))).await.json().await.unwrap();
    let doc = doc["id"].as_str().unwrap().to_string();
    let mut on_laptop = YClient::connect_with_cookie(server.addr, &doc, &laptop).await;
    on_laptop.hello().await;
    let mut here = YClient::connect_with_cookie(server.addr, &doc, &ada).await;
    here.hello().await;

    let kept: Value =
        server.send_as(&ada, Method::POST, "/api/tokens", Some(json!({ "name": "kept" }))).await.json().await.unwrap();
    let kept = format!("Bearer {}", kept["token"].as_str().unwrap());
    let by_kept = || {
        let request = http_client().get(server.http("/api/docs")).header("authorization", &kept);
        async move { request.send().await.unwrap().status().as_u16() }
    };
    let change = |current: &str, new: &str| json!({ "current": current, "new": new });
    let (code, body) =
        send(&server, &ada, Method::PUT, "/api/me/password", Some(change("wrong one!", "brand new pass"))).await;
    assert_eq!(code, 400, "{body}");
    assert!(body["error"].as_str().unwrap().contains("current password"), "{body}");
    assert_eq!(send(&server, &ada, Method::PUT, "/api/me/password", Some(change(PASSWORD, "short"))).await.0, 400);
    assert_eq!(status(&server, &laptop).await, 200, "nothing changed yet");

    assert_eq!(
        send(&server, &ada, Method::PUT, "/api/me/password", Some(change(PASSWORD, "brand new pass"))).await.0,
        204
    );
    assert_eq!(on_laptop.expect_close().await.0, close::FORBIDDEN, "the other session's socket closed");
    assert_eq!(status(&server, &laptop).await, 401, "the other session is signed out");
    assert_eq!(status(&server, &ada,).await, 200, "this session stays signed in");
    // This session's socket goes on: it still writes.
    here.insert(0, "still here").await;
    here.wait_saved(Duration::from_secs(5)).await;
    assert!(server.sign_in("ada", PASSWORD).await.is_err(), "the old password no longer works");
    server.sign_in("ada", "brand new pass").await.expect("the new one does");

    // Not with an API token: a stolen token must not take the account.
    let token: Value = server
        .send_as(&ada, Method::POST, "/api/tokens", Some(json!({ "name": "script" })))
        .await
        .json()
        .await
        .unwrap();
    let by_token = http_client()
        .put(server.http("/api/me/password"))
        .header("authorization", format!("Bearer {}", token["token"].as_str().unwrap()))
        .json(&change("brand new pass", "taken over!!"))
        .send()
        .await
        .unwrap();
    assert_eq!(by_token.status(), 403);
    server.sign_in("ada", "brand new pass").await.expect("unchanged");
    // Nor does a token read where she signs in, or sign her browsers out.
    let bearer = format!("Bearer {}", token["token"].as_str().unwrap());
    let listed =
        http_client().get(server.http("/api/me/sessions")).header("authorization", &bearer).send().await.unwrap();
    assert_eq!(listed.status(), 403);
    let ended =
        http_client().delete(server.http("/api/me/sessions")).header("authorization", &bearer).send().await.unwrap();
    assert_eq!(ended.status(), 403);
    assert_eq!(status(&server, &ada).await, 200);

    // Tokens survive a password change unless asked; asked, they go too.
    assert_eq!(by_kept().await, 200);
    let and_tokens = json!({ "current": "brand new pass", "new": "a third password", "revoke_tokens": true });
    assert_eq!(send(&server, &ada, Method::PUT, "/api/me/password", Some(and_tokens)).await.0, 204);
    assert_eq!(by_kept().await, 401);
    assert_eq!(status(&server, &ada).await, 200);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_session_list_names_devices_and_ends_the_sessions_it_lists() {
    let (url, _dir) = sqlite_url();
    let server = TestServer::start(&url).await;
    let ada = server.sign_up("ada").await;
    let laptop = sign_in_from(&server, "ada", PASSWORD, FIREFOX).await;
    let phone = sign_in_from(&server, "ada", PASSWORD, "<script>alert(1)</script>").await;
    let eve = server.sign_up("eve").await;

    let listed = sessions(&server, &ada).await;
    assert_eq!(listed.len(), 3, "{listed:?}");
    assert_eq!(listed[0]["current"], true, "the caller's own session comes first");
    let firefox = listed.iter().find(|s| s["device"] == "Firefox on Linux").expect("the laptop, by name");
    assert_eq!(firefox["address"], "127.0.0.1");
    assert!(firefox["signed_in_at"].as_i64().unwrap() > now_ms() - 60_000);
    assert!(listed.iter().any(|s| s["device"] == "A browser"), "a hostile User-Agent is not shown back");
    // Ids name sessions without being their secrets (the cookie values).
    for session in &listed {
        let id = session["id"].as_str().unwrap();
        assert_eq!(id.len(), 16);
        for cookie in [&ada, &laptop, &phone] {
            assert!(!cookie.contains(id), "a listed id is not a session's cookie");
        }
    }
    let laptop_id = firefox["id"].as_str().unwrap().to_string();

    // Nobody ends someone else's session.
    assert_eq!(send(&server, &eve, Method::DELETE, &format!("/api/me/sessions/{laptop_id}"), None).await.0, 400);
    assert_eq!(status(&server, &laptop).await, 200);

    let doc: Value =
        server.send_as(&ada, Method::POST, "/api/docs", Some(json!({ "title": "Plans" }))).await.json().await.unwrap();
    let doc = doc["id"].as_str().unwrap().to_string();
    let mut on_laptop = YClient::connect_with_cookie(server.addr, &doc, &laptop).await;
    on_laptop.hello().await;
    assert_eq!(send(&server, &ada, Method::DELETE, &format!("/api/me/sessions/{laptop_id}"), None).await.0, 204);
    assert_eq!(on_laptop.expect_close().await.0, close::FORBIDDEN, "its socket closed at once");
    assert_eq!(status(&server, &laptop).await, 401);
    assert_eq!(status(&server, &phone).await, 200, "only that one");
    assert_eq!(sessions(&server, &ada).await.len(), 2);

    // Everywhere else: the phone goes, this one stays.
    let mut on_phone = YClient::connect_with_cookie(server.addr, &doc, &phone).await;
    on_phone.hello().await;
    assert_eq!(send(&server, &ada, Method::DELETE, "/api/me/sessions", None).await.0, 204);
    assert_eq!(on_phone.expect_close().await.0, close::FORBIDDEN);
    assert_eq!(status(&server, &phone).await, 401);
    assert_eq!(status(&server, &ada).await, 200);
    let left = sessions(&server, &ada).await;
    assert_eq!(left.len(), 1);
    assert_eq!(left[0]["current"], true);
    assert_eq!(status(&server, &eve).await, 200, "other people's sessions are not touched");
    server.stop().await;
}

/// A request of a session, in flight when the session is signed out from the
/// list, saves it afterwards: the session must stay signed out.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_signed_out_from_the_list_stays_out_when_a_request_in_flight_saves_it() {
    use std::str::FromStr;
    use tower_sessions::{session::Id, SessionStore};
    let (url, _dir) = sqlite_url();
    let server = TestServer::start(&url).await;
    let ada = server.sign_up("ada").await;
    let thief = sign_in_from(&server, "ada", PASSWORD, FIREFOX).await;
    let sessions_store = server::auth::SqlSessionStore::new(Store::connect(&url).await.unwrap().pool());
    let id = Id::from_str(thief.split_once('=').unwrap().1).unwrap();
    let in_flight = sessions_store.load(&id).await.unwrap().expect("the thief's session");

    let listed = sessions(&server, &ada).await;
    let theirs = listed.iter().find(|s| s["device"] == "Firefox on Linux").unwrap()["id"].as_str().unwrap().to_string();
    assert_eq!(send(&server, &ada, Method::DELETE, &format!("/api/me/sessions/{theirs}"), None).await.0, 204);
    assert_eq!(status(&server, &thief).await, 401);
    sessions_store.save(&in_flight).await.unwrap();
    assert_eq!(status(&server, &thief).await, 401, "written back, it is still signed out");
    assert_eq!(sessions(&server, &ada).await.len(), 1);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_read_only_token_only_reads_and_an_expiring_token_ends_with_its_socket() {
    let (url, _dir) = sqlite_url();
    let server = TestServer::start(&url).await;
    let doc = server.create_doc("Report").await;
    let made = |body: Value| {
        let server = &server;
        async move {
            let (code, made) = send(server, &server.owner, Method::POST, "/api/tokens", Some(body)).await;
            assert_eq!(code, 201, "{made}");
            made
        }
    };
    let reader = made(json!({ "name": "dashboard", "read_only": true })).await;
    assert_eq!(reader["read_only"], true);
    let reader = reader["token"].as_str().unwrap().to_string();
    let as_reader = |method: Method, path: String, body: Option<Value>| {
        let (server, bearer) = (&server, format!("Bearer {reader}"));
        async move {
            let request = http_client().request(method, server.http(&path)).header("authorization", bearer);
            let request = if let Some(body) = body { request.json(&body) } else { request };
            request.send().await.unwrap().status().as_u16()
        }
    };
    assert_eq!(as_reader(Method::GET, format!("/api/docs/{doc}/markdown"), None).await, 200);
    assert_eq!(as_reader(Method::GET, "/api/docs".into(), None).await, 200);
    for (method, path, body) in [
        (Method::POST, "/api/docs".to_string(), Some(json!({ "title": "nope" }))),
        (Method::DELETE, format!("/api/docs/{doc}"), None),
        (Method::PUT, format!("/api/docs/{doc}/members/owner"), Some(json!({ "role": "editor" }))),
        (Method::POST, format!("/api/docs/{doc}/versions"), Some(json!({ "name": "v" }))),
        (Method::POST, "/rpc/create_document".to_string(), None),
    ] {
        assert_eq!(as_reader(method.clone(), path.clone(), body).await, 403, "{method} {path}");
    }
    // On the socket the owner's read-only token is a viewer: its writes are refused.
    let mut socket = YClient::connect_with_token(server.addr, &doc, &reader).await;
    socket.hello().await;
    assert_eq!(socket.role, Some(Role::Viewer));
    socket.insert(0, "written by a reader").await;
    socket.pump_until(Duration::from_secs(2), |c, _| !c.denied.is_empty()).await;
    assert_eq!(server.markdown(&doc).await, "");

    // An expiring token works until then, and its socket ends when it expires.
    let (code, _) =
        send(&server, &server.owner, Method::POST, "/api/tokens", Some(json!({ "name": "x", "expires_in_days": 366 })))
            .await;
    assert_eq!(code, 400, "at most a year");
    let expiring = made(json!({ "name": "nightly", "expires_in_days": 7 })).await;
    let week = expiring["expires_at"].as_i64().unwrap() - now_ms();
    assert!((7 * 86_400_000 - 60_000..=7 * 86_400_000).contains(&week), "{week}");
    let secret = expiring["token"].as_str().unwrap().to_string();
    // Seven days pass (here: the stored expiry moves to two seconds from now).
    let store = Store::connect(&url).await.unwrap();
    sqlx::query("UPDATE api_tokens SET expires_at = $1 WHERE id = $2")
        .bind(now_ms() + 2_000)
        .bind(expiring["id"].as_str().unwrap())
        .execute(&store.pool())
        .await
        .unwrap();
    let mut socket = YClient::connect_with_token(server.addr, &doc, &secret).await;
    socket.hello().await;
    assert_eq!(socket.role, Some(Role::Owner));
    socket.insert(0, "before the end").await;
    socket.wait_saved(Duration::from_secs(5)).await;
    assert_eq!(socket.expect_close().await.0, close::FORBIDDEN, "the socket ends when the token does");
    let by_token = http_client()
        .get(server.http("/api/docs"))
        .header("authorization", format!("Bearer {secret}"))
        .send()
        .await
        .unwrap();
    assert_eq!(by_token.status(), 401);
    let (_, listed) = send(&server, &server.owner, Method::GET, "/api/tokens", None).await;
    let names: Vec<&str> = listed["tokens"].as_array().unwrap().iter().map(|t| t["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["dashboard"], "an expired token is no longer listed");
    assert_eq!(server.markdown(&doc).await, "before the end");
    server.stop().await;
}
