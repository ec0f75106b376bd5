//! The audit log against the real server (SQLite and PostgreSQL): every
//! action the README lists leaves an entry naming who, what and from where;
//! no entry carries a secret (passwords, tokens, link and invitation
//! secrets, session ids); filters and paging; admins only.

mod common;

use reqwest::Method;
use serde_json::{json, Value};

use common::{http_client, send_json as send, session_cookie, sqlite_url, TestServer, PASSWORD};
use server::store::{now_ms, Store};

async fn ok(server: &TestServer, cookie: &str, method: Method, path: &str, body: Option<Value>) -> Value {
    let (status, body) = send(server, cookie, method.clone(), path, body).await;
    assert!((200..300).contains(&status), "{method} {path}: {status} {body}");
    body
}

/// Every entry, newest first, following the pages.
async fn all_entries(server: &TestServer) -> Vec<Value> {
    let mut entries = Vec::new();
    let mut path = "/api/admin/audit".to_string();
    loop {
        let page = ok(server, &server.owner, Method::GET, &path, None).await;
        entries.extend(page["entries"].as_array().unwrap().iter().cloned());
        match page["next_before"].as_i64() {
            Some(before) => path = format!("/api/admin/audit?before={before}"),
            None => return entries,
        }
    }
}

async fn every_action_is_kept_and_nothing_secret(url: &str) {
    let server = TestServer::start(url).await;
    let mut secrets = vec![PASSWORD.to_string(), "a-typed-password!".to_string(), server.owner.clone()];

    // Sign-ins: a wrong password, a password typed as the username, a success.
    let ada = server.sign_up("ada").await;
    secrets.push(ada.clone());
    assert!(server.sign_in("ada", "not her password").await.is_err());
    assert!(server.sign_in("a-typed-password!", PASSWORD).await.is_err());
    let ada_again = server.sign_in("ada", PASSWORD).await.unwrap();
    secrets.push(ada_again.clone());

    // Documents, sharing, links, tokens.
    let doc = ok(&server, &ada, Method::POST, "/api/docs", Some(json!({ "title": "Quarterly <plan>" }))).await;
    let doc = doc["id"].as_str().unwrap().to_string();
    ok(&server, &ada, Method::PUT, &format!("/api/docs/{doc}/members/owner"), Some(json!({ "role": "viewer" }))).await;
    ok(&server, &ada, Method::DELETE, &format!("/api/docs/{doc}/members/owner"), None).await;
    let link =
        ok(&server, &ada, Method::POST, &format!("/api/docs/{doc}/links"), Some(json!({ "role": "editor" }))).await;
    secrets.push(link["url"].as_str().unwrap().trim_start_matches("/s/").to_string());
    ok(&server, &ada, Method::DELETE, &format!("/api/docs/{doc}/links/{}", link["id"].as_str().unwrap()), None).await;
    let token = ok(&server, &ada, Method::POST, "/api/tokens", Some(json!({ "name": "backup" }))).await;
    secrets.push(token["token"].as_str().unwrap().to_string());
    ok(&server, &ada, Method::DELETE, &format!("/api/tokens/{}", token["id"].as_str().unwrap()), None).await;
    ok(&server, &ada, Method::DELETE, &format!("/api/docs/{doc}"), None).await;
    // Restoring goes through the trash page's server function.
    let restored = http_client()
        .post(server.http(<app::api::RestoreDocument as leptos::server_fn::ServerFn>::PATH))
        .header("cookie", &ada)
        .header("origin", format!("http://{}", server.addr))
        .header("accept", "application/json")
        .form(&[("id", doc.as_str())])
        .send()
        .await
        .unwrap();
    assert!(restored.status().is_success(), "{}", restored.status());

    // Groups and a group share.
    let group = ok(&server, &server.owner, Method::POST, "/api/groups", Some(json!({ "name": "Finance" }))).await;
    let group = group["id"].as_str().unwrap().to_string();
    ok(&server, &server.owner, Method::PUT, &format!("/api/groups/{group}/members/ada"), None).await;
    let owners_doc = server.create_doc("Budget").await;
    let group_share = format!("/api/docs/{owners_doc}/groups/{group}");
    ok(&server, &server.owner, Method::PUT, &group_share, Some(json!({ "role": "editor" }))).await;
    ok(&server, &server.owner, Method::DELETE, &group_share, None).await;
    ok(&server, &server.owner, Method::DELETE, &format!("/api/groups/{group}/members/ada"), None).await;
    ok(&server, &server.owner, Method::DELETE, &format!("/api/groups/{group}"), None).await;

    // Admin actions, an invited sign-up and a password reset.
    ok(&server, &server.owner, Method::PUT, "/api/admin/registration", Some(json!({ "mode": "invite" }))).await;
    ok(&server, &server.owner, Method::PUT, "/api/admin/group-creation", Some(json!({ "anyone": true }))).await;
    let invite = ok(&server, &server.owner, Method::POST, "/api/invites", Some(json!({ "uses": 1 }))).await;
    let invite_secret = invite["url"].as_str().unwrap().trim_start_matches("/signup?invite=").to_string();
    secrets.push(invite_secret.clone());
    let joined = http_client()
        .post(server.http("/api/users"))
        .json(&json!({ "username": "bob", "password": PASSWORD, "invite": invite_secret }))
        .send()
        .await
        .unwrap();
    assert_eq!(joined.status(), 201);
    let other = ok(&server, &server.owner, Method::POST, "/api/invites", Some(json!({ "uses": 1 }))).await;
    ok(&server, &server.owner, Method::DELETE, &format!("/api/invites/{}", other["id"].as_str().unwrap()), None).await;
    ok(&server, &server.owner, Method::PATCH, "/api/admin/users/ada", Some(json!({ "admin": true }))).await;
    ok(&server, &server.owner, Method::PATCH, "/api/admin/users/ada", Some(json!({ "admin": false }))).await;
    ok(&server, &server.owner, Method::PATCH, "/api/admin/users/bob", Some(json!({ "disabled": true }))).await;
    ok(&server, &server.owner, Method::PATCH, "/api/admin/users/bob", Some(json!({ "disabled": false }))).await;
    let reset = ok(&server, &server.owner, Method::POST, "/api/admin/users/ada/reset", None).await;
    let reset_secret = reset["url"].as_str().unwrap().trim_start_matches("/reset?token=").to_string();
    secrets.push(reset_secret.clone());
    let reset_page = server.form_action(&format!("/reset?token={reset_secret}"), None, "reset_password").await;
    let done = http_client()
        .post(server.http(&reset_page))
        .header("origin", format!("http://{}", server.addr))
        .header("accept", "application/json")
        .form(&[("token", reset_secret.as_str()), ("password", "a reset password")])
        .send()
        .await
        .unwrap();
    let ada = session_cookie(&done).expect("the reset signs in");
    secrets.push(ada.clone());

    // Your account: password, sessions.
    let change = json!({ "current": "a reset password", "new": "yet another password" });
    ok(&server, &ada, Method::PUT, "/api/me/password", Some(change)).await;
    let laptop = server.sign_in("ada", "yet another password").await.unwrap();
    let sessions = ok(&server, &ada, Method::GET, "/api/me/sessions", None).await;
    let laptop_id =
        sessions["sessions"].as_array().unwrap().iter().find(|s| s["current"] == false).unwrap()["id"].clone();
    ok(&server, &ada, Method::DELETE, &format!("/api/me/sessions/{}", laptop_id.as_str().unwrap()), None).await;
    let _ = laptop;
    ok(&server, &ada, Method::DELETE, "/api/me/sessions", None).await;
    secrets.extend(["a reset password".to_string(), "yet another password".to_string()]);

    // The trash emptied for good by the server.
    let store = Store::connect(url).await.unwrap();
    ok(&server, &ada, Method::DELETE, &format!("/api/docs/{doc}"), None).await;
    for (id, title) in store.purge_trash(now_ms() + 1).await.unwrap() {
        let entry = server::store::AuditEntry {
            action: "document.purged",
            target_kind: Some("document"),
            target_id: Some(id),
            target_name: Some(title),
            ..Default::default()
        };
        store.append_audit(&entry).await.unwrap();
    }

    // A person deleted.
    server.sign_up("dan").await;
    ok(&server, &server.owner, Method::DELETE, "/api/admin/users/dan?documents=trash", None).await;

    let entries = all_entries(&server).await;
    let actions: Vec<&str> = entries.iter().map(|e| e["action"].as_str().unwrap()).collect();
    for expected in [
        "account.created",
        "sign_in.failed",
        "sign_in.succeeded",
        "document.shared",
        "document.unshared",
        "link.created",
        "link.revoked",
        "token.created",
        "token.revoked",
        "document.deleted",
        "document.restored",
        "document.purged",
        "group.created",
        "group.member_added",
        "document.group_shared",
        "document.group_unshared",
        "group.member_removed",
        "group.deleted",
        "admin.registration_changed",
        "admin.group_creation_changed",
        "admin.invite_created",
        "admin.invite_revoked",
        "admin.promoted",
        "admin.demoted",
        "admin.disabled",
        "admin.enabled",
        "admin.reset_link_created",
        "admin.deleted",
        "account.password_reset",
        "account.password_changed",
        "account.session_ended",
        "account.other_sessions_ended",
    ] {
        assert!(actions.contains(&expected), "no {expected} entry in {actions:?}");
    }
    // Who, on what, from where.
    let shared = entries.iter().find(|e| e["action"] == "document.shared").unwrap();
    assert_eq!(shared["actor"], "ada");
    assert_eq!(shared["target"]["kind"], "document");
    assert_eq!(shared["target"]["name"], "Quarterly <plan>");
    assert_eq!(shared["detail"], "with owner as viewer");
    assert_eq!(shared["address"], "127.0.0.1");
    let failures: Vec<&Value> = entries.iter().filter(|e| e["action"] == "sign_in.failed").collect();
    assert!(failures.iter().any(|e| e["target"]["name"] == "ada"), "a wrong password for ada");
    assert!(failures.iter().any(|e| e["detail"] == "no such account" && e["target"].is_null()));
    // Nothing in the whole log is a secret, or contains one.
    let everything = serde_json::to_string(&entries).unwrap();
    for secret in &secrets {
        let needle = secret.split('=').next_back().unwrap();
        assert!(!everything.contains(needle), "the audit log holds a secret: {needle}");
    }

    // Filters: a category, a person, a day; paging.
    let page = ok(&server, &server.owner, Method::GET, "/api/admin/audit?category=group", None).await;
    let groups = page["entries"].as_array().unwrap();
    assert_eq!(groups.len(), 4, "{groups:?}");
    assert!(groups.iter().all(|e| e["action"].as_str().unwrap().starts_with("group.")));
    let page = ok(&server, &server.owner, Method::GET, "/api/admin/audit?actor=bob", None).await;
    assert!(page["entries"].as_array().unwrap().iter().all(|e| e["actor"] == "bob"));
    let page = ok(&server, &server.owner, Method::GET, "/api/admin/audit?since=2999-01-01", None).await;
    assert_eq!(page["entries"].as_array().unwrap().len(), 0);
    assert_eq!(send(&server, &server.owner, Method::GET, "/api/admin/audit?category=secrets", None).await.0, 400);
    assert_eq!(send(&server, &server.owner, Method::GET, "/api/admin/audit?since=yesterday", None).await.0, 400);
    assert_eq!(send(&server, &server.owner, Method::GET, "/api/admin/audit?before=x", None).await.0, 400);
    // Admins only.
    let bob = server.sign_in("bob", PASSWORD).await.unwrap();
    assert_eq!(send(&server, &bob, Method::GET, "/api/admin/audit", None).await.0, 403);
    assert_eq!(http_client().get(server.http("/api/admin/audit")).send().await.unwrap().status(), 401);

    // Retention: entries older than it go, the rest stay.
    let before = all_entries(&server).await.len();
    assert_eq!(store.purge_audit(now_ms() - 86_400_000).await.unwrap(), 0);
    assert!(store.purge_audit(now_ms() + 1).await.unwrap() as usize >= before);
    assert_eq!(all_entries(&server).await.len(), 0);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_listed_action_is_audited_without_secrets_sqlite() {
    let (url, _dir) = sqlite_url();
    every_action_is_kept_and_nothing_secret(&url).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_listed_action_is_audited_without_secrets_postgres() {
    let Some(url) = common::postgres_url().await else { return };
    every_action_is_kept_and_nothing_secret(&url).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_audit_log_pages_through_many_entries() {
    let (url, _dir) = sqlite_url();
    let server = TestServer::start(&url).await;
    let store = Store::connect(&url).await.unwrap();
    for n in 0..130 {
        let entry = server::store::AuditEntry {
            action: "document.deleted",
            detail: Some(format!("{n}")),
            ..Default::default()
        };
        store.append_audit(&entry).await.unwrap();
    }
    let first = ok(&server, &server.owner, Method::GET, "/api/admin/audit", None).await;
    assert_eq!(first["entries"].as_array().unwrap().len(), 100);
    let before = first["next_before"].as_i64().expect("a next page");
    let second = ok(&server, &server.owner, Method::GET, &format!("/api/admin/audit?before={before}"), None).await;
    let ids = |page: &Value| {
        page["entries"].as_array().unwrap().iter().map(|e| e["id"].as_i64().unwrap()).collect::<Vec<_>>()
    };
    assert!(ids(&second).iter().all(|id| *id < before));
    assert!(ids(&first).windows(2).all(|w| w[0] > w[1]), "newest first");
    server.stop().await;
}
