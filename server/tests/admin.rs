//! Running an instance, against the real server: the first account is its
//! admin, sign-up follows the registration mode, invitations (expiry, uses),
//! disabling ends sessions, tokens and sockets at once (on another instance
//! too), a reset link works once and signs the person out elsewhere, the
//! command-line promotion, and every admin route refuses everyone else.

mod common;

use std::time::Duration;

use reqwest::Method;
use serde_json::{json, Value};

use common::redis::RedisServer;
use common::{account, http_client, session_cookie, sqlite_url, TestServer, YClient, PASSWORD};
use server::Config;

/// `POST /api/users`: the status and the body.
async fn sign_up(server: &TestServer, username: &str, invite: Option<&str>) -> (u16, Value) {
    let response = http_client()
        .post(server.http("/api/users"))
        .json(&json!({ "username": username, "password": PASSWORD, "invite": invite }))
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn status_of(server: &TestServer, cookie: &str, method: Method, path: &str, body: Option<Value>) -> u16 {
    server.send_as(cookie, method, path, body).await.status().as_u16()
}

async fn users(server: &TestServer) -> Vec<Value> {
    let response = server.send_as(&server.owner, Method::GET, "/api/admin/users", None).await;
    assert_eq!(response.status(), 200);
    response.json::<Value>().await.unwrap()["users"].as_array().unwrap().clone()
}

fn user<'a>(list: &'a [Value], name: &str) -> &'a Value {
    list.iter().find(|u| u["username"] == name).unwrap_or_else(|| panic!("{name} listed"))
}

async fn invitations_and_modes(database_url: &str) {
    let server = TestServer::start(database_url).await;
    let listed = users(&server).await;
    assert_eq!(user(&listed, "owner")["admin"], true, "the first account is the admin");

    // By default, after the first account: only through an invitation.
    let (status, body) = sign_up(&server, "stranger", None).await;
    assert_eq!(status, 403, "{body}");
    assert!(body["error"].as_str().unwrap().contains("invitation"), "{body}");
    let (status, _) =
        sign_up(&server, "forger", Some("qi_0000000000000000000000000000000000000000000000000000000000000000")).await;
    assert_eq!(status, 403, "a made-up invitation does not work");

    // Two uses: a taken username does not spend one.
    let made = server
        .send_as(&server.owner, Method::POST, "/api/invites", Some(json!({ "uses": 2, "expires_in_days": 7 })))
        .await;
    assert_eq!(made.status(), 201);
    let made: Value = made.json().await.unwrap();
    let secret = made["url"].as_str().unwrap().strip_prefix("/signup?invite=").unwrap().to_string();
    assert!(made["expires_at"].as_i64().unwrap() > 0);
    assert_eq!(sign_up(&server, "owner", Some(&secret)).await.0, 400, "taken");
    assert_eq!(sign_up(&server, "ada", Some(&secret)).await.0, 201);
    assert_eq!(sign_up(&server, "grace", Some(&secret)).await.0, 201);
    let (status, body) = sign_up(&server, "linus", Some(&secret)).await;
    assert_eq!(status, 403, "used up");
    assert!(body["error"].as_str().unwrap().contains("does not work"), "{body}");
    let open: Value = server.send_as(&server.owner, Method::GET, "/api/invites", None).await.json().await.unwrap();
    assert!(open["invites"].as_array().unwrap().is_empty(), "a used-up invitation is no longer listed");

    // A withdrawn one stops working.
    let withdrawn = server.invite(5).await;
    let listed: Value = server.send_as(&server.owner, Method::GET, "/api/invites", None).await.json().await.unwrap();
    let id = listed["invites"][0]["id"].as_str().unwrap().to_string();
    assert_eq!(status_of(&server, &server.owner, Method::DELETE, &format!("/api/invites/{id}"), None).await, 204);
    assert_eq!(sign_up(&server, "late", Some(&withdrawn)).await.0, 403);

    // Closed: invitations do not help; open: nobody needs one.
    let mode = |mode: &str| json!({ "mode": mode });
    assert_eq!(
        status_of(&server, &server.owner, Method::PUT, "/api/admin/registration", Some(mode("closed"))).await,
        204
    );
    let invite = server.invite(1).await;
    assert_eq!(sign_up(&server, "shut", Some(&invite)).await.0, 403);
    assert_eq!(
        status_of(&server, &server.owner, Method::PUT, "/api/admin/registration", Some(mode("open"))).await,
        204
    );
    assert_eq!(sign_up(&server, "walkin", None).await.0, 201);
    assert_eq!(
        status_of(&server, &server.owner, Method::PUT, "/api/admin/registration", Some(mode("sideways"))).await,
        400
    );
    let shown: Value =
        server.send_as(&server.owner, Method::GET, "/api/admin/registration", None).await.json().await.unwrap();
    assert_eq!(shown, json!({ "mode": "open", "fixed": false }));
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invitations_and_registration_modes_sqlite() {
    let (url, _dir) = sqlite_url();
    invitations_and_modes(&url).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invitations_and_registration_modes_postgres() {
    let Some(url) = common::postgres_url().await else { return };
    invitations_and_modes(&url).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_mode_set_by_the_configuration_cannot_be_changed_on_the_page() {
    let (url, _dir) = sqlite_url();
    let mut config = Config::defaults_with_database(url);
    config.registration = Some(app::api::Registration::Closed);
    let server = TestServer::start_with(config).await;
    // The very first account can still be made (it is the admin): `owner`.
    assert_eq!(users(&server).await.len(), 1);
    let invite = server.invite(1).await;
    assert_eq!(sign_up(&server, "nobody", Some(&invite)).await.0, 403);
    let changed =
        server.send_as(&server.owner, Method::PUT, "/api/admin/registration", Some(json!({ "mode": "open" }))).await;
    assert_eq!(changed.status(), 400);
    assert!(changed.text().await.unwrap().contains("QUIRE_REGISTRATION"));
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_admins_reach_the_admin_routes() {
    let (url, _dir) = sqlite_url();
    let server = TestServer::start(&url).await;
    let ada = server.sign_up("ada").await;
    let routes: [(Method, &str, Option<Value>); 8] = [
        (Method::GET, "/api/admin/users", None),
        (Method::PATCH, "/api/admin/users/owner", Some(json!({ "disabled": true }))),
        (Method::PATCH, "/api/admin/users/ada", Some(json!({ "admin": true }))),
        (Method::POST, "/api/admin/users/owner/reset", None),
        (Method::GET, "/api/admin/registration", None),
        (Method::PUT, "/api/admin/registration", Some(json!({ "mode": "open" }))),
        (Method::POST, "/api/invites", Some(json!({ "uses": 1 }))),
        (Method::GET, "/api/invites", None),
    ];
    for (method, path, body) in routes {
        assert_eq!(
            status_of(&server, &ada, method.clone(), path, body.clone()).await,
            403,
            "{method} {path} as a non-admin"
        );
        let anonymous = http_client().request(method.clone(), server.http(path)).json(&body).send().await.unwrap();
        assert_eq!(anonymous.status(), 401, "{method} {path} signed out");
    }
    assert_eq!(status_of(&server, &ada, Method::DELETE, "/api/invites/whatever", None).await, 403);
    // Nothing changed: the owner is still the only admin and enabled.
    let listed = users(&server).await;
    assert_eq!(user(&listed, "owner")["disabled"], false);
    assert_eq!(user(&listed, "ada")["admin"], false);

    // Promoted, ada administers too; the last enabled admin cannot be removed.
    let promote = json!({ "admin": true });
    assert_eq!(status_of(&server, &server.owner, Method::PATCH, "/api/admin/users/ada", Some(promote)).await, 204);
    assert_eq!(status_of(&server, &ada, Method::GET, "/api/admin/users", None).await, 200);
    let demote = json!({ "admin": false });
    assert_eq!(status_of(&server, &ada, Method::PATCH, "/api/admin/users/owner", Some(demote.clone())).await, 204);
    let refused = server.send_as(&ada, Method::PATCH, "/api/admin/users/ada", Some(demote)).await;
    assert_eq!(refused.status(), 400);
    assert!(refused.text().await.unwrap().contains("at least one enabled admin"));
    assert_eq!(status_of(&server, &server.owner, Method::GET, "/api/admin/users", None).await, 403, "demoted at once");
    server.stop().await;
}

/// Disabling on instance A: the person's socket on instance B closes, their
/// session and token stop working, and signing in says why.
async fn disabling_ends_everything(database_url: String, redis: &RedisServer) {
    let instance = |url: String| {
        let mut config = Config::defaults_with_database(url);
        config.redis_url = Some(redis.url());
        config.resync_ms = 200;
        TestServer::start_with(config)
    };
    let a = instance(database_url.clone()).await;
    let b = instance(database_url).await;
    let ada = a.sign_up("ada").await;
    let doc: Value =
        a.send_as(&ada, Method::POST, "/api/docs", Some(json!({ "title": "Ada's notes" }))).await.json().await.unwrap();
    let doc = doc["id"].as_str().unwrap().to_string();
    let token: Value =
        a.send_as(&ada, Method::POST, "/api/tokens", Some(json!({ "name": "script" }))).await.json().await.unwrap();
    let token = token["token"].as_str().unwrap().to_string();
    let mut on_b = YClient::connect_with_cookie(b.addr, &doc, &ada).await;
    on_b.hello().await;
    on_b.insert(0, "written before").await;
    on_b.wait_saved(Duration::from_secs(5)).await;

    let disable = json!({ "disabled": true });
    assert_eq!(status_of(&a, &a.owner, Method::PATCH, "/api/admin/users/ada", Some(disable)).await, 204);
    let (code, _) = on_b.expect_close().await;
    assert_eq!(
        code,
        app::collab::protocol::close::FORBIDDEN,
        "the socket on the other instance closed: no access any more"
    );
    assert_eq!(status_of(&b, &ada, Method::GET, "/api/docs", None).await, 401, "the session ended");
    let by_token =
        http_client().get(b.http("/api/docs")).header("authorization", format!("Bearer {token}")).send().await.unwrap();
    assert_eq!(by_token.status(), 401, "the token ended");
    let (status, message) = a.sign_in("ada", PASSWORD).await.unwrap_err();
    assert_eq!(status, 403);
    assert!(message.contains("disabled"), "{message}");
    let listed = users(&a).await;
    assert_eq!(user(&listed, "ada")["disabled"], true);
    assert_eq!(user(&listed, "ada")["documents"], 1);
    assert!(user(&listed, "ada")["storage_bytes"].as_i64().unwrap() > 0);
    assert!(user(&listed, "ada")["last_seen_at"].as_i64().is_some());

    // Enabled again, ada signs in; her text is all there; the old token stays revoked.
    let enable = json!({ "disabled": false });
    assert_eq!(status_of(&a, &a.owner, Method::PATCH, "/api/admin/users/ada", Some(enable)).await, 204);
    let again = a.sign_in("ada", PASSWORD).await.expect("enabled accounts sign in");
    let text = a.send_as(&again, Method::GET, &format!("/api/docs/{doc}/markdown"), None).await.text().await.unwrap();
    assert_eq!(text, "written before");
    let by_token =
        http_client().get(a.http("/api/docs")).header("authorization", format!("Bearer {token}")).send().await.unwrap();
    assert_eq!(by_token.status(), 401);
    // Nobody disables themselves.
    let own = a.send_as(&a.owner, Method::PATCH, "/api/admin/users/owner", Some(json!({ "disabled": true }))).await;
    assert_eq!(own.status(), 400);
    a.stop().await;
    b.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn disabling_ends_sessions_tokens_and_sockets_at_once_sqlite() {
    let Some(redis) = RedisServer::start().await else { return };
    let (url, _dir) = sqlite_url();
    disabling_ends_everything(url, &redis).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn disabling_ends_sessions_tokens_and_sockets_at_once_postgres() {
    let Some(url) = common::postgres_url().await else { return };
    let Some(redis) = RedisServer::start().await else { return };
    disabling_ends_everything(url, &redis).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reset_link_works_once_and_signs_the_person_out_everywhere_else() {
    let (url, _dir) = sqlite_url();
    let server = TestServer::start(&url).await;
    server.sign_up("ada").await;
    let doc = server.create_doc("Shared").await;
    let share = json!({ "role": "editor" });
    assert_eq!(
        status_of(&server, &server.owner, Method::PUT, &format!("/api/docs/{doc}/members/ada"), Some(share)).await,
        204
    );
    // Not for oneself, and not with an API token (it would turn a token into a session).
    assert_eq!(status_of(&server, &server.owner, Method::POST, "/api/admin/users/owner/reset", None).await, 400);
    let owner_token: Value = server
        .send_as(&server.owner, Method::POST, "/api/tokens", Some(json!({ "name": "admin script" })))
        .await
        .json()
        .await
        .unwrap();
    let by_token = http_client()
        .post(server.http("/api/admin/users/ada/reset"))
        .header("authorization", format!("Bearer {}", owner_token["token"].as_str().unwrap()))
        .send()
        .await
        .unwrap();
    assert_eq!(by_token.status(), 403);
    // A link made before the account was disabled dies with the disabling.
    let early: Value =
        server.send_as(&server.owner, Method::POST, "/api/admin/users/ada/reset", None).await.json().await.unwrap();
    for disabled in [true, false] {
        let change = json!({ "disabled": disabled });
        assert_eq!(status_of(&server, &server.owner, Method::PATCH, "/api/admin/users/ada", Some(change)).await, 204);
    }
    let early = http_client().get(server.http(early["url"].as_str().unwrap())).send().await.unwrap();
    assert!(early.text().await.unwrap().contains("does not work"), "the page says so at once");
    let laptop = server.sign_in("ada", PASSWORD).await.expect("enabled again");
    let script: Value = server
        .send_as(&laptop, Method::POST, "/api/tokens", Some(json!({ "name": "script" })))
        .await
        .json()
        .await
        .unwrap();
    let script_token = script["token"].as_str().unwrap().to_string();
    let mut socket = YClient::connect_with_cookie(server.addr, &doc, &laptop).await;
    socket.hello().await;

    let made = server.send_as(&server.owner, Method::POST, "/api/admin/users/ada/reset", None).await;
    assert_eq!(made.status(), 201);
    let made: Value = made.json().await.unwrap();
    let path = made["url"].as_str().unwrap().to_string();
    let token = path.strip_prefix("/reset?token=").unwrap().to_string();
    let page = http_client().get(server.http(&path)).send().await.unwrap();
    assert_eq!(page.status(), 200);

    let action = server.form_action(&path, None, "reset_password").await;
    let origin = format!("http://{}", server.addr);
    let reset = |password: &'static str| {
        http_client()
            .post(server.http(&action))
            .header("origin", &origin)
            .header("accept", "application/json")
            .form(&[("token", token.as_str()), ("password", password)])
            .send()
    };
    let used = reset("a brand new secret").await.unwrap();
    assert!(used.status().is_success() || used.status().is_redirection(), "{}", used.status());
    let phone = session_cookie(&used).expect("the reset signs this browser in");
    assert_eq!(status_of(&server, &phone, Method::GET, "/api/docs", None).await, 200);
    assert_eq!(status_of(&server, &laptop, Method::GET, "/api/docs", None).await, 401, "signed out elsewhere");
    assert_eq!(
        socket.expect_close().await.0,
        app::collab::protocol::close::FORBIDDEN,
        "and that session's socket closed"
    );
    assert_eq!(server.sign_in("ada", PASSWORD).await.unwrap_err().0, 400, "the old password no longer works");
    let by_token = http_client()
        .get(server.http("/api/docs"))
        .header("authorization", format!("Bearer {script_token}"))
        .send()
        .await
        .unwrap();
    assert_eq!(by_token.status(), 401, "a reset takes the account back from scripts too");
    server.sign_in("ada", "a brand new secret").await.expect("the new one does");
    let again = reset("yet another secret").await.unwrap();
    assert_eq!(again.status(), 403, "a reset link works once");
    server.sign_in("ada", "a brand new secret").await.expect("unchanged by the second try");
    server.stop().await;
}

/// A `sessions` row: id, data, expires_at, user_id, user_epoch.
type SessionRow = (String, String, i64, Option<String>, Option<i64>);

/// The session epoch: a session saved back after its account was signed out
/// everywhere (as a request in flight at that moment would) stays signed out.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_written_back_after_disabling_stays_signed_out() {
    let (url, _dir) = sqlite_url();
    let server = TestServer::start(&url).await;
    let ada = server.sign_up("ada").await;
    let store = server::store::Store::connect(&url).await.unwrap();
    let pool = store.pool();
    let saved: Vec<SessionRow> =
        sqlx::query_as("SELECT id, data, expires_at, user_id, user_epoch FROM sessions WHERE user_id IS NOT NULL")
            .fetch_all(&pool)
            .await
            .unwrap();
    assert!(!saved.is_empty(), "sessions record whose they are");
    let disable = json!({ "disabled": true });
    assert_eq!(status_of(&server, &server.owner, Method::PATCH, "/api/admin/users/ada", Some(disable)).await, 204);
    let enable = json!({ "disabled": false });
    assert_eq!(status_of(&server, &server.owner, Method::PATCH, "/api/admin/users/ada", Some(enable)).await, 204);
    for (id, data, expires_at, user_id, epoch) in saved {
        sqlx::query(
            "INSERT INTO sessions (id, data, expires_at, user_id, user_epoch) VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (id) DO NOTHING",
        )
        .bind(id)
        .bind(data)
        .bind(expires_at)
        .bind(user_id)
        .bind(epoch)
        .execute(&pool)
        .await
        .unwrap();
    }
    assert_eq!(status_of(&server, &ada, Method::GET, "/api/docs", None).await, 401);
    assert_eq!(status_of(&server, &server.owner, Method::GET, "/api/docs", None).await, 200, "others are untouched");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn quire_admin_promote_makes_an_admin_from_the_command_line() {
    let (url, _dir) = sqlite_url();
    let server = TestServer::start(&url).await;
    server.sign_up("ada").await;
    let run = |name: &str| {
        std::process::Command::new(env!("CARGO_BIN_EXE_quire"))
            .args(["admin", "promote", name])
            .env("DATABASE_URL", &url)
            .output()
            .unwrap()
    };
    let promoted = run("Ada");
    assert!(promoted.status.success(), "{}", String::from_utf8_lossy(&promoted.stderr));
    assert!(String::from_utf8_lossy(&promoted.stdout).contains("ada is an admin"));
    assert_eq!(user(&users(&server).await, "ada")["admin"], true);
    let missing = run("nobody");
    assert!(!missing.status.success());
    assert!(
        String::from_utf8_lossy(&missing.stderr).contains("no account"),
        "{}",
        String::from_utf8_lossy(&missing.stderr)
    );
    server.stop().await;
}

/// Two first sign-ups at once make one admin; two admins removing each other
/// at once leave one. Store-level, so the requests truly overlap.
async fn admin_changes_are_serialised(url: &str) {
    use server::store::Created;
    let store = server::store::Store::connect(url).await.unwrap();
    let (alpha, beta) = (account("id-alpha", "alpha"), account("id-beta", "beta"));
    let (a, b) = tokio::join!(store.create_first_user(&alpha), store.create_first_user(&beta));
    let (a, b) = (a.unwrap(), b.unwrap());
    assert!(matches!((a, b), (Some(Created::Done), None) | (None, Some(Created::Done))), "exactly one first account");
    let loser = if store.user_by_name("alpha").await.unwrap().is_some() { "beta" } else { "alpha" };
    assert_eq!(store.create_user(&account(&format!("id-{loser}"), loser)).await.unwrap(), Created::Done);
    let winner = if loser == "alpha" { "beta" } else { "alpha" };
    use server::store::AccountChange;
    assert_eq!(store.set_admin(loser, true).await.unwrap(), AccountChange::Done);
    for _ in 0..10 {
        let (x, y) = tokio::join!(store.set_admin(winner, false), store.set_admin(loser, false));
        let (x, y) = (x.unwrap(), y.unwrap());
        assert!(x == AccountChange::LastAdmin || y == AccountChange::LastAdmin, "one of them must be refused");
        let admins = store.accounts().await.unwrap().into_iter().filter(|a| a.is_admin && !a.disabled).count();
        assert_eq!(admins, 1);
        assert_eq!(store.set_admin(winner, true).await.unwrap(), AccountChange::Done);
        assert_eq!(store.set_admin(loser, true).await.unwrap(), AccountChange::Done);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_changes_are_serialised_sqlite() {
    let (url, _dir) = sqlite_url();
    admin_changes_are_serialised(&url).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_changes_are_serialised_postgres() {
    let Some(url) = common::postgres_url().await else { return };
    admin_changes_are_serialised(&url).await;
}

/// Deleting a person: their open socket, session and token end at once;
/// their documents become the admin's (shares kept) or go to the admin's
/// trash (nobody else can open them); the name can be taken again, by
/// someone who inherits nothing.
async fn deleting_a_person(database_url: &str) {
    use server::doc_id::DocId;
    let server = TestServer::start(database_url).await;
    let ada = server.sign_up("ada").await;
    let bob = server.sign_up("bob").await;
    let carl = server.sign_up("carl").await;
    let create = |cookie: String, title: &'static str| {
        let server = &server;
        async move {
            let made: Value = server
                .send_as(&cookie, Method::POST, "/api/docs", Some(json!({ "title": title })))
                .await
                .json()
                .await
                .unwrap();
            made["id"].as_str().unwrap().to_string()
        }
    };
    let notes = create(ada.clone(), "Ada's notes").await;
    let share = json!({ "role": "editor" });
    assert_eq!(
        status_of(&server, &ada, Method::PUT, &format!("/api/docs/{notes}/members/bob"), Some(share)).await,
        204
    );
    let token: Value = server
        .send_as(&ada, Method::POST, "/api/tokens", Some(json!({ "name": "script" })))
        .await
        .json()
        .await
        .unwrap();
    let token = token["token"].as_str().unwrap().to_string();
    let mut socket = YClient::connect_with_cookie(server.addr, &notes, &ada).await;
    socket.hello().await;
    socket.insert(0, "kept for the team").await;
    socket.wait_saved(Duration::from_secs(5)).await;

    let delete = |name: &str, documents: &str| format!("/api/admin/users/{name}?documents={documents}");
    assert_eq!(status_of(&server, &server.owner, Method::DELETE, "/api/admin/users/ada", None).await, 400, "say where");
    assert_eq!(
        status_of(&server, &server.owner, Method::DELETE, &delete("owner", "admin"), None).await,
        400,
        "not yourself"
    );
    assert_eq!(status_of(&server, &bob, Method::DELETE, &delete("ada", "admin"), None).await, 403);
    assert_eq!(status_of(&server, &server.owner, Method::DELETE, &delete("nobody", "admin"), None).await, 400);

    assert_eq!(status_of(&server, &server.owner, Method::DELETE, &delete("ada", "admin"), None).await, 204);
    assert_eq!(socket.expect_close().await.0, app::collab::protocol::close::FORBIDDEN, "her socket closed at once");
    assert_eq!(status_of(&server, &ada, Method::GET, "/api/docs", None).await, 401, "her session ended");
    let by_token = http_client()
        .get(server.http("/api/docs"))
        .header("authorization", format!("Bearer {token}"))
        .send()
        .await
        .unwrap();
    assert_eq!(by_token.status(), 401, "her token ended");
    assert_eq!(server.sign_in("ada", PASSWORD).await.unwrap_err().0, 400);
    assert!(users(&server).await.iter().all(|u| u["username"] != "ada"));
    // The document is the admin's now, with its text and its shares.
    let mine: Value = server.send_as(&server.owner, Method::GET, "/api/docs", None).await.json().await.unwrap();
    assert!(mine["mine"].as_array().unwrap().iter().any(|d| d["id"] == notes.as_str()), "{mine}");
    assert_eq!(server.markdown(&notes).await, "kept for the team");
    let bobs: Value = server.send_as(&bob, Method::GET, "/api/docs", None).await.json().await.unwrap();
    let shared = bobs["shared"].as_array().unwrap().iter().find(|d| d["id"] == notes.as_str()).expect("still shared");
    assert_eq!(shared["owner"], "owner");

    // To the trash: the admin's, and nobody else opens it meanwhile.
    let plans = create(carl.clone(), "Carl's plans").await;
    let share = json!({ "role": "viewer" });
    assert_eq!(
        status_of(&server, &carl, Method::PUT, &format!("/api/docs/{plans}/members/bob"), Some(share)).await,
        204
    );
    // Carl was an admin with an open invitation: it goes with him.
    assert_eq!(
        status_of(&server, &server.owner, Method::PATCH, "/api/admin/users/carl", Some(json!({ "admin": true }))).await,
        204
    );
    let invited: Value =
        server.send_as(&carl, Method::POST, "/api/invites", Some(json!({ "uses": 5 }))).await.json().await.unwrap();
    let invitation = invited["url"].as_str().unwrap().trim_start_matches("/signup?invite=").to_string();
    // Not with an API token: deleting cannot be undone.
    let token: Value = server
        .send_as(&server.owner, Method::POST, "/api/tokens", Some(json!({ "name": "admin script" })))
        .await
        .json()
        .await
        .unwrap();
    let by_token = http_client()
        .delete(server.http(&delete("carl", "trash")))
        .header("authorization", format!("Bearer {}", token["token"].as_str().unwrap()))
        .send()
        .await
        .unwrap();
    assert_eq!(by_token.status(), 403);
    assert_eq!(status_of(&server, &server.owner, Method::DELETE, &delete("carl", "trash"), None).await, 204);
    let (status, _) = sign_up(&server, "carlsguest", Some(&invitation)).await;
    assert_eq!(status, 403, "a deleted admin's invitation no longer admits anyone");
    let store = server::store::Store::connect(database_url).await.unwrap();
    let row = store.document(&DocId::parse(&plans).unwrap()).await.unwrap().expect("kept in the trash");
    assert!(row.deleted_at.is_some());
    assert_eq!(row.owner.as_deref(), Some("owner"));
    assert_eq!(status_of(&server, &bob, Method::GET, &format!("/api/docs/{plans}/markdown"), None).await, 404);

    // The name is free again; whoever takes it inherits nothing.
    let new_ada = server.sign_up("ada").await;
    let listed: Value = server.send_as(&new_ada, Method::GET, "/api/docs", None).await.json().await.unwrap();
    assert_eq!(listed["mine"], json!([]));
    assert_eq!(listed["shared"], json!([]));
    assert_eq!(status_of(&server, &new_ada, Method::GET, &format!("/api/docs/{notes}/markdown"), None).await, 404);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deleting_a_person_hands_their_documents_over_sqlite() {
    let (url, _dir) = sqlite_url();
    deleting_a_person(&url).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deleting_a_person_hands_their_documents_over_postgres() {
    let Some(url) = common::postgres_url().await else { return };
    deleting_a_person(&url).await;
}
