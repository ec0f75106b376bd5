//! The JSON API: status codes and messages a script author relies on.

mod common;

use common::{sqlite_url, TestServer, YClient};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_list_and_read_documents() {
    let (url, _dir) = sqlite_url();
    let server = TestServer::start(&url).await;
    let client = reqwest::Client::new();

    let first = server.create_doc("First").await;
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    let second = server.create_doc("  Second  ").await;

    let list: serde_json::Value = client
        .get(server.http("/api/docs"))
        .header("cookie", &server.owner)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let list = list["mine"].as_array().unwrap();
    assert_eq!(list.len(), 2);
    assert_eq!(list[0]["id"], second, "newest first");
    assert_eq!(list[0]["title"], "Second", "titles are trimmed");
    assert_eq!(list[1]["id"], first);
    assert_eq!(list[1]["url"], format!("/d/{first}"));

    let response = client
        .get(server.http(&format!("/api/docs/{first}/markdown")))
        .header("cookie", &server.owner)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "text/markdown; charset=utf-8");
    assert_eq!(response.text().await.unwrap(), "");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_requests_get_clear_errors() {
    let (url, _dir) = sqlite_url();
    let server = TestServer::start(&url).await;
    let client = reqwest::Client::new();

    for (body, content_type) in [
        ("{not json", "application/json"),
        ("{}", "application/json"),
        (r#"{"title": 5}"#, "application/json"),
        (r#"{"title": "x"}"#, "text/plain"),
    ] {
        let response = client
            .post(server.http("/api/docs"))
            .header("cookie", &server.owner)
            .header("content-type", content_type)
            .body(body)
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        assert!(status == 400 || status == 415, "{body}: {status}");
        let json: serde_json::Value = response.json().await.unwrap();
        assert!(!json["error"].as_str().unwrap().is_empty(), "{body}: no message");
    }
    for title in ["", "   ", &"x".repeat(201)] {
        let response = client
            .post(server.http("/api/docs"))
            .header("cookie", &server.owner)
            .json(&serde_json::json!({ "title": title }))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 400);
        let json: serde_json::Value = response.json().await.unwrap();
        assert!(json["error"].as_str().unwrap().contains("title"));
    }

    let unknown = uuid::Uuid::new_v4();
    for path in [format!("/api/docs/{unknown}/markdown"), "/api/docs/not-an-id/markdown".to_string()] {
        let response = client.get(server.http(&path)).header("cookie", &server.owner).send().await.unwrap();
        assert_eq!(response.status(), 404, "{path}");
    }
    let origin = format!("http://{}", server.addr);
    let refused =
        YClient::try_open(server.addr, &unknown.to_string(), &[("cookie", &server.owner), ("origin", &origin)]).await;
    assert_eq!(refused.err(), Some(403), "an unknown document is refused like a forbidden one");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_reports_the_database() {
    let (url, _dir) = sqlite_url();
    let server = TestServer::start(&url).await;
    let response = reqwest::get(server.http("/healthz")).await.unwrap();
    assert_eq!(response.status(), 200);
    let json: serde_json::Value = response.json().await.unwrap();
    assert_eq!(json["database"], "ok");
    server.stop().await;
}
