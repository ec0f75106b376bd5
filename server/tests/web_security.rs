//! What a browser is protected by: pages that never run a document's text as
//! script, the web's security headers, refusals of cross-site requests, safe
//! redirects after sign-in, and credentials whose end ends every socket and
//! event stream opened with them.

mod common;

use std::time::Duration;

use common::{http_client, session_cookie, sqlite_url, TestServer, PASSWORD};
use futures::StreamExt;
use tokio_tungstenite::tungstenite::Message as WsMessage;

use app::collab::protocol::close;
use server::Config;

const HOSTILE_TEXT: &str =
    "# Notes\n</textarea><script>window.pwned=1</script>\n&lt;b&gt; stays &amp; <img src=x onerror=alert(1)>";
const HOSTILE_TITLE: &str = "</title><script>window.pwned=2</script>";

async fn server() -> (TestServer, tempfile::TempDir) {
    let (url, dir) = sqlite_url();
    (TestServer::start_with(Config::defaults_with_database(url)).await, dir)
}

/// Puts `text` into document `id` through a socket, and waits until it is stored.
async fn write(server: &TestServer, id: &str, text: &str) {
    let mut client = common::YClient::connect(server.addr, id).await;
    client.insert(0, text).await;
    server.wait_for_markdown(id, text).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn document_text_and_titles_never_become_markup() {
    let (server, _dir) = server().await;
    let id = server.create_doc(HOSTILE_TITLE).await;
    write(&server, &id, HOSTILE_TEXT).await;
    let page = server.send_as(&server.owner, reqwest::Method::GET, &format!("/d/{id}"), None).await;
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(!html.contains("<script>window.pwned"), "a document's text or title opened a script element:\n{html}");
    assert!(!html.contains("<img src=x"), "markup from the text reached the page");
    // The textarea holds the text exactly, entity-encoded once.
    assert!(html.contains("&lt;/textarea&gt;&lt;script&gt;window.pwned=1&lt;/script&gt;"), "{html}");
    assert!(html.contains("&amp;lt;b&amp;gt; stays &amp;amp;"), "an entity in the text stays text");
    // The home page lists the title as text too.
    let home = server.send_as(&server.owner, reqwest::Method::GET, "/", None).await.text().await.unwrap();
    assert!(!home.contains("<script>window.pwned"), "{home}");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_carry_a_content_security_policy_that_only_their_own_scripts_pass() {
    let (server, _dir) = server().await;
    let id = server.create_doc("Headers").await;
    let page = server.send_as(&server.owner, reqwest::Method::GET, &format!("/d/{id}"), None).await;
    let headers = page.headers().clone();
    let csp = headers.get("content-security-policy").expect("a CSP").to_str().unwrap().to_string();
    assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
    assert!(!csp.contains("'unsafe-inline' 'nonce") && !csp.contains("script-src 'unsafe-inline'"), "{csp}");
    let nonce =
        csp.split("'nonce-").nth(1).and_then(|rest| rest.split('\'').next()).expect("a script nonce").to_string();
    assert!(nonce.len() >= 16, "nonce {nonce:?}");
    assert_eq!(headers.get("x-content-type-options").unwrap(), "nosniff");
    assert_eq!(headers.get("referrer-policy").unwrap(), "same-origin");
    assert!(headers.get("strict-transport-security").is_none(), "no HSTS over plain http");
    let html = page.text().await.unwrap();
    // The same policy is in the head, before any script (see app::csp).
    let meta = format!(
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'self'; script-src 'self' 'nonce-{nonce}'"
    );
    assert!(html.contains(&meta), "{html}");
    assert!(html.find(&meta) < html.find("<script"), "the policy comes before every script");
    let scripts = html.matches("<script").count();
    assert!(scripts >= 2, "the page has its inline scripts");
    assert_eq!(
        html.matches(&format!("nonce=\"{nonce}\"")).count(),
        scripts,
        "every script carries this response's nonce:\n{html}"
    );
    // A second response has a fresh nonce.
    let again = server.send_as(&server.owner, reqwest::Method::GET, &format!("/d/{id}"), None).await;
    assert!(!again.headers().get("content-security-policy").unwrap().to_str().unwrap().contains(&nonce));
    // JSON has the same protections.
    let api = server.send_as(&server.owner, reqwest::Method::GET, "/api/docs", None).await;
    assert_eq!(api.headers().get("x-content-type-options").unwrap(), "nosniff");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn over_https_cookies_are_secure_and_hsts_is_sent() {
    let (url, _dir) = sqlite_url();
    let mut config = Config::defaults_with_database(url);
    config.public_origin = Some("https://quire.example.com".into());
    config.registration = Some(app::api::Registration::Open);
    let server = TestServer::start_with(config).await;
    let home = http_client().get(server.http("/signin")).send().await.unwrap();
    assert_eq!(home.headers().get("strict-transport-security").unwrap(), "max-age=31536000");
    let response = http_client()
        .post(server.http("/api/users"))
        .json(&serde_json::json!({ "username": "secure", "password": PASSWORD }))
        .send()
        .await
        .unwrap();
    let cookie = response.headers().get("set-cookie").unwrap().to_str().unwrap().to_string();
    assert!(cookie.contains("Secure"), "{cookie}");
    server.stop().await;
}

async fn sign_in_action(server: &TestServer) -> String {
    server.form_action("/signin", None, "sign_in").await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_foreign_page_cannot_sign_a_visitor_in_or_change_anything() {
    let (server, _dir) = server().await;
    server.sign_up("attacker").await;
    let action = sign_in_action(&server).await;
    let form = [("username", "attacker"), ("password", PASSWORD)];
    // A form on evil.example auto-submitting to Quire (login CSRF).
    let forged = http_client()
        .post(server.http(&action))
        .header("origin", "https://evil.example")
        .header("sec-fetch-site", "cross-site")
        .form(&form)
        .send()
        .await
        .unwrap();
    let status = forged.status();
    let cookie = session_cookie(&forged);
    assert_eq!(status, 403, "{action}: {:?}", forged.text().await);
    assert!(cookie.is_none(), "no session for the visitor");
    // The same form on Quire's own page works.
    let own = http_client()
        .post(server.http(&action))
        .header("origin", format!("http://{}", server.addr))
        .header("sec-fetch-site", "same-origin")
        .header("accept", "text/html")
        .form(&form)
        .send()
        .await
        .unwrap();
    assert!(own.status().is_redirection(), "{}", own.status());
    assert!(session_cookie(&own).is_some());
    // The JSON API refuses a cookie-carrying cross-site request, in JSON.
    let api = http_client()
        .post(server.http("/api/docs"))
        .header("cookie", &server.owner)
        .header("origin", "https://evil.example")
        .json(&serde_json::json!({ "title": "planted" }))
        .send()
        .await
        .unwrap();
    assert_eq!(api.status(), 403);
    assert!(api.json::<serde_json::Value>().await.unwrap()["error"].as_str().unwrap().contains("cross-site"));
    let list: serde_json::Value =
        server.send_as(&server.owner, reqwest::Method::GET, "/api/docs", None).await.json().await.unwrap();
    assert!(!list.to_string().contains("planted"));
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_sign_in_next_never_leads_off_site() {
    let (server, _dir) = server().await;
    server.sign_up("walker").await;
    let action = sign_in_action(&server).await;
    for next in ["/\t/evil.example", "/\n/evil.example", "/\\evil.example", "//evil.example", "https://evil.example"] {
        let response = http_client()
            .post(server.http(&action))
            .header("origin", format!("http://{}", server.addr))
            .header("accept", "text/html")
            .form(&[("username", "walker"), ("password", PASSWORD), ("next", next)])
            .send()
            .await
            .unwrap();
        assert!(response.status().is_redirection(), "{next:?}: {}", response.status());
        assert_eq!(response.headers().get("location").unwrap(), "/", "next = {next:?}");
    }
    server.stop().await;
}

/// Waits for the server to close `socket`; its close code.
async fn closed_within(socket: &mut common::Socket, within: Duration) -> Option<u16> {
    let deadline = tokio::time::Instant::now() + within;
    loop {
        match tokio::time::timeout_at(deadline, socket.next()).await {
            Err(_) => return None,
            Ok(Some(Ok(WsMessage::Close(frame)))) => return Some(frame.map_or(1005, |f| u16::from(f.code))),
            Ok(Some(Ok(_))) => continue,
            Ok(_) => return Some(1006),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn revoking_a_token_closes_the_sockets_opened_with_it() {
    let (server, _dir) = server().await;
    let id = server.create_doc("Scripted").await;
    let made: serde_json::Value = server
        .send_as(&server.owner, reqwest::Method::POST, "/api/tokens", Some(serde_json::json!({ "name": "bot" })))
        .await
        .json()
        .await
        .unwrap();
    let token = made["token"].as_str().unwrap();
    let origin = format!("http://{}", server.addr);
    let bearer = format!("Bearer {token}");
    let mut socket = common::YClient::try_open(server.addr, &id, &[("authorization", &bearer), ("origin", &origin)])
        .await
        .expect("a token opens a socket");
    assert_eq!(closed_within(&mut socket, Duration::from_millis(300)).await, None, "open while the token is good");
    let revoked = server
        .send_as(&server.owner, reqwest::Method::DELETE, &format!("/api/tokens/{}", made["id"].as_str().unwrap()), None)
        .await;
    assert_eq!(revoked.status(), 204);
    assert_eq!(closed_within(&mut socket, Duration::from_secs(3)).await, Some(close::FORBIDDEN));
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signing_out_closes_that_sessions_sockets_and_event_streams() {
    let (server, _dir) = server().await;
    let id = server.create_doc("Laptop").await;
    let cookie = server.owner.clone();
    let origin = format!("http://{}", server.addr);
    let mut socket =
        common::YClient::try_open(server.addr, &id, &[("cookie", &cookie), ("origin", &origin)]).await.unwrap();
    let (mut events, mut buffer) = common::subscribe(&server, &cookie).await;
    // Another session of the same person stays signed in, and stays connected.
    let other = server.sign_in("owner", PASSWORD).await.expect("second session");
    let mut other_socket =
        common::YClient::try_open(server.addr, &id, &[("cookie", &other), ("origin", &origin)]).await.unwrap();

    let action = server.form_action("/", Some(&cookie), "sign_out").await;
    let out = http_client()
        .post(server.http(&action))
        .header("cookie", &cookie)
        .header("origin", &origin)
        .send()
        .await
        .unwrap();
    assert!(out.status().is_success() || out.status().is_redirection(), "{}", out.status());

    assert_eq!(closed_within(&mut socket, Duration::from_secs(3)).await, Some(close::FORBIDDEN));
    let ended = tokio::time::timeout(Duration::from_secs(3), async {
        loop {
            match events.chunk().await {
                Ok(Some(chunk)) => buffer.push_str(&String::from_utf8_lossy(&chunk)),
                _ => return true,
            }
        }
    })
    .await;
    assert_eq!(ended, Ok(true), "the event stream ended");
    assert_eq!(
        closed_within(&mut other_socket, Duration::from_millis(500)).await,
        None,
        "the other session is untouched"
    );
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_sends_its_headers_slowly_is_cut_off() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let (url, _dir) = sqlite_url();
    let mut config = Config::defaults_with_database(url);
    config.header_timeout_secs = 1;
    let server = TestServer::start_with(config).await;
    // Slowloris: a request line, one header, then a trickle that never ends.
    let mut slow = tokio::net::TcpStream::connect(server.addr).await.unwrap();
    slow.write_all(b"GET / HTTP/1.1\r\nHost: quire\r\n").await.unwrap();
    let started = std::time::Instant::now();
    let mut buffer = [0u8; 1024];
    let closed = tokio::time::timeout(Duration::from_secs(5), async {
        loop {
            if slow.write_all(b"X").await.is_err() {
                return;
            }
            match tokio::time::timeout(Duration::from_millis(300), slow.read(&mut buffer)).await {
                Ok(Ok(0)) | Ok(Err(_)) => return,
                _ => {}
            }
        }
    })
    .await;
    assert!(closed.is_ok(), "the connection was still open after 5 s");
    assert!(started.elapsed() >= Duration::from_millis(900), "closed after the deadline, not before");
    // An idle keep-alive connection is closed too; ordinary requests still work.
    let mut idle = tokio::net::TcpStream::connect(server.addr).await.unwrap();
    let read = tokio::time::timeout(Duration::from_secs(5), idle.read(&mut buffer)).await;
    assert!(matches!(read, Ok(Ok(0)) | Ok(Err(_))), "an idle connection is closed");
    assert_eq!(http_client().get(server.http("/healthz")).send().await.unwrap().status(), 200);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ordinary_mistakes_are_4xx_and_the_api_always_answers_json() {
    let (server, _dir) = server().await;
    // Server functions, called as the hydrated page calls them.
    let action = sign_in_action(&server).await;
    let wrong = http_client()
        .post(server.http(&action))
        .header("origin", format!("http://{}", server.addr))
        .form(&[("username", "owner"), ("password", "not the password")])
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 400, "a wrong password is the caller's mistake");
    assert!(wrong.text().await.unwrap().contains("Wrong username or password"));
    // Sign-up is by invitation (the default): the form comes with the link.
    let invite = server.invite(5).await;
    let sign_up = server.form_action(&format!("/signup?invite={invite}"), None, "sign_up").await;
    let taken = http_client()
        .post(server.http(&sign_up))
        .header("origin", format!("http://{}", server.addr))
        .form(&[("username", "owner"), ("password", PASSWORD), ("invite", &invite)])
        .send()
        .await
        .unwrap();
    assert_eq!(taken.status(), 400, "a taken username");
    let short = http_client()
        .post(server.http(&sign_up))
        .header("origin", format!("http://{}", server.addr))
        .form(&[("username", "x"), ("password", PASSWORD), ("invite", &invite)])
        .send()
        .await
        .unwrap();
    assert_eq!(short.status(), 400, "an invalid username");
    // Unknown API paths answer JSON, not the HTML not-found page.
    let unknown = server.send_as(&server.owner, reqwest::Method::GET, "/api/nope/nothing", None).await;
    assert_eq!(unknown.status(), 404);
    assert!(unknown.headers().get("content-type").unwrap().to_str().unwrap().starts_with("application/json"));
    assert!(unknown.json::<serde_json::Value>().await.unwrap()["error"].is_string());
    server.stop().await;
}
