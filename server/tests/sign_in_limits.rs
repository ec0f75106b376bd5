//! Password guessing and mass sign-ups are slowed down, without letting a
//! stranger lock an account's owner out.

mod common;

use common::{http_client, session_cookie, sqlite_url, TestServer, PASSWORD};
use server::Config;

/// A server that believes `X-Forwarded-For` from this machine, so one test can
/// speak for several client addresses.
async fn server(signups_per_hour: u32) -> (TestServer, tempfile::TempDir) {
    let (url, dir) = sqlite_url();
    let mut config = Config::defaults_with_database(url);
    config.trusted_proxies = vec!["127.0.0.1".parse().unwrap()];
    config.signups_per_hour = signups_per_hour;
    // Sign-ups without an invitation, so only the per-address limit stops them.
    config.registration = Some(app::api::Registration::Open);
    (TestServer::start_with(config).await, dir)
}

async fn sign_in_from(server: &TestServer, address: &str, username: &str, password: &str) -> u16 {
    http_client()
        .post(server.http("/api/session"))
        .header("x-forwarded-for", address)
        .json(&serde_json::json!({ "username": username, "password": password }))
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sixty_guesses_at_once_get_five_tries_and_the_owner_still_gets_in() {
    let (server, _dir) = server(20).await;
    server.sign_up("target").await;
    let guesses = (0..60).map(|i| {
        let server = &server;
        async move { sign_in_from(server, "198.51.100.7", "target", &format!("guess {i}")).await }
    });
    let statuses = futures::future::join_all(guesses).await;
    let checked = statuses.iter().filter(|&&s| s == 400).count();
    let throttled = statuses.iter().filter(|&&s| s == 429).count();
    assert_eq!((checked, throttled), (5, 55), "{statuses:?}");

    // The account is locked for the guesser, from any address it failed from...
    assert_eq!(sign_in_from(&server, "198.51.100.7", "target", PASSWORD).await, 429);
    // ...but its owner, from an address that has not failed, signs in.
    assert_eq!(sign_in_from(&server, "203.0.113.20", "target", PASSWORD).await, 204);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_ups_per_address_are_limited() {
    let (server, _dir) = server(3).await;
    let sign_up = |name: String, address: &'static str| {
        let request = http_client()
            .post(server.http("/api/users"))
            .header("x-forwarded-for", address)
            .json(&serde_json::json!({ "username": name, "password": PASSWORD }));
        async move { request.send().await.unwrap() }
    };
    for i in 0..3 {
        let response = sign_up(format!("bulk{i}"), "198.51.100.9").await;
        assert_eq!(response.status(), 201);
        assert!(session_cookie(&response).is_some());
    }
    let refused = sign_up("bulk3".into(), "198.51.100.9").await;
    assert_eq!(refused.status(), 429);
    assert!(refused.json::<serde_json::Value>().await.unwrap()["error"]
        .as_str()
        .unwrap()
        .contains("Too many accounts"));
    // Another address is unaffected; IPv6 neighbours in one /64 count together.
    assert_eq!(sign_up("elsewhere".into(), "203.0.113.1").await.status(), 201);
    for i in 0..3 {
        assert_eq!(sign_up(format!("six{i}"), "2001:db8:0:1::a").await.status(), 201);
    }
    assert_eq!(sign_up("six3".into(), "2001:db8:0:1:ffff::b").await.status(), 429);
    server.stop().await;
}
