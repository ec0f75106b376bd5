//! Groups against the real server: a document shared with a group opens for
//! every member with the group's role (the most generous grant winning);
//! leaving the group, unsharing the group or deleting it reaches the member's
//! open socket on another instance at once; who may create and manage
//! groups; invitations that put a new account into a group.

mod common;

use std::time::{Duration, Instant};

use reqwest::Method;
use serde_json::{json, Value};

use app::api::Role;
use app::collab::protocol::close;
use common::redis::RedisServer;
use common::{http_client, next_event, send_json as send, sqlite_url, subscribe, TestServer, YClient, PASSWORD};
use server::Config;

const WITHIN_A_SECOND: Duration = Duration::from_secs(1);

async fn create_group(server: &TestServer, cookie: &str, name: &str) -> String {
    let (status, body) = send(server, cookie, Method::POST, "/api/groups", Some(json!({ "name": name }))).await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["name"], name);
    body["id"].as_str().unwrap().to_string()
}

/// The caller's role in a document as their document list says it.
async fn listed_role(server: &TestServer, cookie: &str, doc: &str) -> Option<String> {
    let (status, list) = send(server, cookie, Method::GET, "/api/docs", None).await;
    assert_eq!(status, 200);
    list["shared"].as_array().unwrap().iter().find(|d| d["id"] == doc).map(|d| d["role"].as_str().unwrap().into())
}

async fn group_sharing(database_url: String, redis: &RedisServer) {
    let instance = |url: String| {
        let mut config = Config::defaults_with_database(url);
        config.redis_url = Some(redis.url());
        config.resync_ms = 200;
        TestServer::start_with(config)
    };
    let a = instance(database_url.clone()).await;
    let b = instance(database_url).await;
    let ada = a.sign_up("ada").await;
    let bob = a.sign_up("bob").await;
    let design = create_group(&a, &a.owner, "Design").await;
    assert_eq!(send(&a, &a.owner, Method::PUT, &format!("/api/groups/{design}/members/ada"), None).await.0, 204);
    let doc = a.create_doc("Brand guide").await;
    let share_group = |role: &'static str| {
        let (a, path) = (&a, format!("/api/docs/{doc}/groups/{design}"));
        async move { assert_eq!(send(a, &a.owner, Method::PUT, &path, Some(json!({ "role": role }))).await.0, 204) }
    };
    // Not shared yet: ada cannot open it.
    assert_eq!(send(&b, &ada, Method::GET, &format!("/api/docs/{doc}/markdown"), None).await.0, 404);
    share_group("editor").await;
    assert_eq!(listed_role(&b, &ada, &doc).await.as_deref(), Some("editor"));
    assert_eq!(listed_role(&b, &bob, &doc).await, None, "bob is not in the group");
    assert_eq!(send(&b, &bob, Method::GET, &format!("/api/docs/{doc}/markdown"), None).await.0, 404);

    let mut ada_on_b = YClient::connect_with_cookie(b.addr, &doc, &ada).await;
    ada_on_b.hello().await;
    assert_eq!(ada_on_b.role, Some(Role::Editor));
    ada_on_b.insert(0, "Use the blue").await;
    ada_on_b.wait_saved(Duration::from_secs(5)).await;

    // Shared with ada by name as a viewer too: the group's editor role wins.
    let ada_member = format!("/api/docs/{doc}/members/ada");
    assert_eq!(send(&a, &a.owner, Method::PUT, &ada_member, Some(json!({ "role": "viewer" }))).await.0, 204);
    assert_eq!(listed_role(&b, &ada, &doc).await.as_deref(), Some("editor"), "the most generous grant wins");

    // Out of the group (on A), her socket on B drops to what is left: viewer.
    let started = Instant::now();
    assert_eq!(send(&a, &a.owner, Method::DELETE, &format!("/api/groups/{design}/members/ada"), None).await.0, 204);
    ada_on_b.pump_until(WITHIN_A_SECOND, |c, _| c.role == Some(Role::Viewer)).await;
    assert_eq!(ada_on_b.role, Some(Role::Viewer), "leaving the group reached the other instance");
    assert!(started.elapsed() < WITHIN_A_SECOND);
    ada_on_b.insert(0, "Use red. ").await;
    ada_on_b.pump_until(Duration::from_secs(2), |c, _| !c.denied.is_empty()).await;
    assert_eq!(a.markdown(&doc).await, "Use the blue");
    assert_eq!(send(&a, &a.owner, Method::DELETE, &ada_member, None).await.0, 204);
    assert_eq!(ada_on_b.expect_close().await.0, close::FORBIDDEN);

    // Bob joins: his list hears of it at once, on the other instance.
    let (mut bob_events, mut bob_buffer) = subscribe(&b, &bob).await;
    assert_eq!(send(&a, &a.owner, Method::PUT, &format!("/api/groups/{design}/members/bob"), None).await.0, 204);
    let heard = next_event(&mut bob_events, &mut bob_buffer, "docs", Duration::from_secs(2)).await;
    assert_eq!(heard.as_deref(), Some(doc.as_str()));
    let mut bob_on_b = YClient::connect_with_cookie(b.addr, &doc, &bob).await;
    bob_on_b.hello().await;
    assert_eq!(bob_on_b.role, Some(Role::Editor));
    // The group's role changes: bob's socket follows.
    share_group("viewer").await;
    bob_on_b.pump_until(WITHIN_A_SECOND, |c, _| c.role == Some(Role::Viewer)).await;
    assert_eq!(bob_on_b.role, Some(Role::Viewer));
    // The document is no longer shared with the group: bob's socket closes.
    assert_eq!(send(&a, &a.owner, Method::DELETE, &format!("/api/docs/{doc}/groups/{design}"), None).await.0, 204);
    assert_eq!(bob_on_b.expect_close().await.0, close::FORBIDDEN);
    assert_eq!(listed_role(&b, &bob, &doc).await, None);

    // Shared again, then the group is deleted: the same.
    share_group("editor").await;
    let mut bob_on_b = YClient::connect_with_cookie(b.addr, &doc, &bob).await;
    bob_on_b.hello().await;
    assert_eq!(bob_on_b.role, Some(Role::Editor));
    // Only an admin or the creator deletes a group, and only the owner shares the document.
    assert_eq!(send(&b, &bob, Method::DELETE, &format!("/api/groups/{design}"), None).await.0, 403);
    let doc_group = format!("/api/docs/{doc}/groups/{design}");
    assert_eq!(send(&b, &bob, Method::PUT, &doc_group, Some(json!({"role": "editor"}))).await.0, 403);
    assert_eq!(send(&a, &a.owner, Method::DELETE, &format!("/api/groups/{design}"), None).await.0, 204);
    assert_eq!(bob_on_b.expect_close().await.0, close::FORBIDDEN);
    assert_eq!(send(&b, &bob, Method::GET, &format!("/api/docs/{doc}/markdown"), None).await.0, 404);
    assert_eq!(a.markdown(&doc).await, "Use the blue", "nothing anyone wrote was lost on the way");
    a.stop().await;
    b.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn group_shares_grant_and_revoke_live_across_instances_sqlite() {
    let Some(redis) = RedisServer::start().await else { return };
    let (url, _dir) = sqlite_url();
    group_sharing(url, &redis).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn group_shares_grant_and_revoke_live_across_instances_postgres() {
    let Some(url) = common::postgres_url().await else { return };
    let Some(redis) = RedisServer::start().await else { return };
    group_sharing(url, &redis).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn who_may_create_manage_and_see_groups() {
    let (url, _dir) = sqlite_url();
    let server = TestServer::start(&url).await;
    let bob = server.sign_up("bob").await;
    let eve = server.sign_up("eve").await;

    // By default only admins create groups.
    let (status, body) = send(&server, &bob, Method::POST, "/api/groups", Some(json!({ "name": "Bob's crew" }))).await;
    assert_eq!(status, 403, "{body}");
    let anyone = json!({ "anyone": true });
    assert_eq!(send(&server, &bob, Method::PUT, "/api/admin/group-creation", Some(anyone.clone())).await.0, 403);
    assert_eq!(send(&server, &server.owner, Method::PUT, "/api/admin/group-creation", Some(anyone)).await.0, 204);
    let crew = create_group(&server, &bob, "Bob's crew").await;
    // Names are unique regardless of case, trimmed, bounded, and never markup.
    let (status, body) =
        send(&server, &eve, Method::POST, "/api/groups", Some(json!({ "name": "  BOB'S CREW " }))).await;
    assert_eq!(status, 400, "{body}");
    assert!(body["error"].as_str().unwrap().contains("already"), "{body}");
    for bad in ["", "   ", "a\u{0}b", &"x".repeat(61)] {
        let (status, _) = send(&server, &eve, Method::POST, "/api/groups", Some(json!({ "name": bad }))).await;
        assert_eq!(status, 400, "{bad:?}");
    }

    // The creator manages it; others cannot add or remove people.
    let members = |name: &str| format!("/api/groups/{crew}/members/{name}");
    assert_eq!(send(&server, &bob, Method::PUT, &members("eve"), None).await.0, 204);
    assert_eq!(send(&server, &bob, Method::PUT, &members("nobody"), None).await.0, 400);
    assert_eq!(send(&server, &eve, Method::PUT, &members("owner"), None).await.0, 403, "a member does not manage");
    assert_eq!(send(&server, &eve, Method::DELETE, &members("bob"), None).await.0, 403);
    assert_eq!(send(&server, &eve, Method::DELETE, &format!("/api/groups/{crew}"), None).await.0, 403);

    // Members and managers see who is in it; anyone else only how many.
    let listed = |cookie: String| {
        let server = &server;
        async move {
            let (status, body) = send(server, &cookie, Method::GET, "/api/groups", None).await;
            assert_eq!(status, 200);
            body["groups"].as_array().unwrap().iter().find(|g| g["name"] == "Bob's crew").unwrap().clone()
        }
    };
    let for_eve = listed(eve.clone()).await;
    assert_eq!(for_eve["members"], json!(["eve"]));
    assert_eq!(for_eve["is_member"], true);
    assert_eq!(for_eve["can_manage"], false);
    let dan = server.sign_up("dan").await;
    let for_dan = listed(dan.clone()).await;
    assert_eq!(for_dan["members"], Value::Null, "an outsider does not see who is in it");
    assert_eq!(for_dan["member_count"], 1);
    assert_eq!(listed(server.owner.clone()).await["can_manage"], true, "admins manage every group");

    // A member leaves on their own.
    assert_eq!(send(&server, &eve, Method::DELETE, &members("eve"), None).await.0, 204);
    assert_eq!(listed(bob.clone()).await["members"], json!([]));
    let anonymous = http_client().get(server.http("/api/groups")).send().await.unwrap();
    assert_eq!(anonymous.status(), 401);

    // An owner in a group shared with their own document does not see it as "shared".
    let doc: Value = server
        .send_as(&bob, Method::POST, "/api/docs", Some(json!({ "title": "Crew notes" })))
        .await
        .json()
        .await
        .unwrap();
    let doc = doc["id"].as_str().unwrap();
    assert_eq!(send(&server, &bob, Method::PUT, &members("bob"), None).await.0, 204);
    let doc_group = format!("/api/docs/{doc}/groups/{crew}");
    assert_eq!(send(&server, &bob, Method::PUT, &doc_group, Some(json!({"role": "viewer"}))).await.0, 204);
    assert_eq!(listed_role(&server, &bob, doc).await, None);
    assert_eq!(send(&server, &bob, Method::PUT, &doc_group, Some(json!({"role": "owner"}))).await.0, 400);
    let no_group = format!("/api/docs/{doc}/groups/nope");
    assert_eq!(send(&server, &bob, Method::PUT, &no_group, Some(json!({"role": "viewer"}))).await.0, 400);
    server.stop().await;
}

async fn invitation_into_a_group(database_url: &str) {
    let server = TestServer::start(database_url).await;
    let team = create_group(&server, &server.owner, "Team").await;
    let doc = server.create_doc("Onboarding").await;
    let share = format!("/api/docs/{doc}/groups/{team}");
    assert_eq!(send(&server, &server.owner, Method::PUT, &share, Some(json!({ "role": "editor" }))).await.0, 204);

    let body = json!({ "uses": 2, "expires_in_days": 7, "group": team });
    let (status, made) = send(&server, &server.owner, Method::POST, "/api/invites", Some(body)).await;
    assert_eq!(status, 201, "{made}");
    assert_eq!(made["group"], "Team");
    let invite = made["url"].as_str().unwrap().strip_prefix("/signup?invite=").unwrap().to_string();
    let bad = json!({ "uses": 1, "group": "no-such-group" });
    assert_eq!(send(&server, &server.owner, Method::POST, "/api/invites", Some(bad)).await.0, 400);

    let response = http_client()
        .post(server.http("/api/users"))
        .json(&json!({ "username": "newcomer", "password": PASSWORD, "invite": invite }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    let newcomer = common::session_cookie(&response).unwrap();
    assert_eq!(listed_role(&server, &newcomer, &doc).await.as_deref(), Some("editor"), "in the group from the start");
    assert_eq!(server.markdown(&doc).await, "");

    // The group deleted, the invitation still admits people, into no group.
    assert_eq!(send(&server, &server.owner, Method::DELETE, &format!("/api/groups/{team}"), None).await.0, 204);
    let (_, invites) = send(&server, &server.owner, Method::GET, "/api/invites", None).await;
    assert_eq!(invites["invites"][0]["group"], Value::Null);
    let response = http_client()
        .post(server.http("/api/users"))
        .json(&json!({ "username": "later", "password": PASSWORD, "invite": invite }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    assert_eq!(listed_role(&server, &newcomer, &doc).await, None, "the group's grant went with it");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_invitation_with_a_group_makes_a_member_sqlite() {
    let (url, _dir) = sqlite_url();
    invitation_into_a_group(&url).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_invitation_with_a_group_makes_a_member_postgres() {
    let Some(url) = common::postgres_url().await else { return };
    invitation_into_a_group(&url).await;
}
