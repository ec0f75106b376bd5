//! Shared test harness: the real server on a port-0 listener against a real
//! database, and a real y-sync WebSocket client built on yrs.

#![allow(dead_code)] // each test binary uses a different part of the harness

use std::collections::HashMap;
use std::net::SocketAddr;
use std::time::Duration;

use futures::{SinkExt, StreamExt};
use leptos::config::LeptosOptions;
use tokio::net::TcpStream;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::Message as WsMessage;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};
use yrs::sync::{Message, SyncMessage};
use yrs::updates::decoder::Decode;
use yrs::updates::encoder::Encode;
use yrs::{Doc, GetString, ReadTxn, Text, TextRef, Transact, Update};

use app::collab::{doc as qdoc, protocol};
use server::Config;

pub mod oidc;
pub mod process;
pub mod proxy;
pub mod redis;

pub struct TestServer {
    pub addr: SocketAddr,
    /// The session cookie of the account that owns what `create_doc` makes.
    pub owner: String,
    running: Running,
}

/// How the server under test runs.
enum Running {
    /// `server::run` in this process, stopped through its shutdown future.
    InProcess { stop: Option<oneshot::Sender<()>>, task: Option<JoinHandle<server::Result<()>>> },
    /// The `quire` binary as a child process (see `process.rs`).
    Process(process::Child),
}

/// An account for a test that writes to the store directly (its password
/// hash is not a real one: it never signs in).
pub fn account(id: &str, username: &str) -> server::store::NewAccount {
    server::store::NewAccount {
        id: id.into(),
        username: username.into(),
        password_hash: "not-a-real-hash".into(),
        sso: None,
    }
}

/// The owner's password in every test.
pub const PASSWORD: &str = "correct horse battery";

/// Each document's edit link (`/s/...`), so [`YClient::connect`] can join as a
/// fresh guest, as a person opening the link would. Keyed by document id,
/// which is unique across servers and survives restarts.
static EDIT_LINKS: std::sync::Mutex<Option<HashMap<String, String>>> = std::sync::Mutex::new(None);

pub fn edit_link(doc: &str) -> Option<String> {
    EDIT_LINKS.lock().unwrap().as_ref().and_then(|links| links.get(doc).cloned())
}

/// An HTTP client that does not follow redirects (so Set-Cookie is seen).
pub fn http_client() -> reqwest::Client {
    reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap()
}

/// `name=value` of a response's session cookie, if it set one.
pub fn session_cookie(response: &reqwest::Response) -> Option<String> {
    response
        .headers()
        .get("set-cookie")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(str::to_string)
}

/// A fresh SQLite database in a temporary folder (kept alive by the returned guard).
pub fn sqlite_url() -> (String, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("tempdir");
    let url = format!("sqlite://{}/quire.db", dir.path().display());
    (url, dir)
}

/// The PostgreSQL server the test command started, as a fresh database.
/// Outside CI, with no PostgreSQL configured, returns None (the caller skips);
/// in CI a missing database is a failure.
pub async fn postgres_url() -> Option<String> {
    let Ok(base) = std::env::var("QUIRE_TEST_POSTGRES_URL") else {
        assert!(
            std::env::var("CI").is_err(),
            "CI must provide QUIRE_TEST_POSTGRES_URL (scripts/test.sh starts PostgreSQL)"
        );
        eprintln!("QUIRE_TEST_POSTGRES_URL not set: skipping the PostgreSQL variant (run scripts/test.sh)");
        return None;
    };
    use sqlx::Connection;
    let name = format!("quire_test_{}", uuid::Uuid::new_v4().simple());
    let mut admin = sqlx::PgConnection::connect(&base).await.expect("connect to test PostgreSQL");
    sqlx::query(&format!("CREATE DATABASE {name}")).execute(&mut admin).await.expect("create test database");
    let (prefix, _) = base.rsplit_once('/').expect("database URL has a path");
    Some(format!("{prefix}/{name}"))
}

pub fn leptos_options() -> LeptosOptions {
    LeptosOptions::builder().output_name("quire").site_root("target/site").site_pkg_dir("pkg").build()
}

impl TestServer {
    pub async fn start(database_url: &str) -> TestServer {
        Self::start_with(Config::defaults_with_database(database_url)).await
    }

    pub async fn start_with(config: Config) -> TestServer {
        Self::start_with_options(config, leptos_options()).await
    }

    /// A server whose site (the built wasm, scripts, stylesheet) is in `site_root`.
    pub async fn start_with_site(config: Config, site_root: &std::path::Path) -> TestServer {
        let root = site_root.to_str().expect("a UTF-8 path");
        let options = LeptosOptions::builder().output_name("quire").site_root(root).site_pkg_dir("pkg").build();
        Self::start_with_options(config, options).await
    }

    async fn start_with_options(config: Config, options: LeptosOptions) -> TestServer {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let (stop, stopped) = oneshot::channel::<()>();
        // Where passwords do not sign in, there is no owner to sign up.
        let with_owner = config.password_sign_in;
        let task = tokio::spawn(server::run(config, options, listener, async move {
            let _ = stopped.await;
        }));
        Self::ready(addr, Running::InProcess { stop: Some(stop), task: Some(task) }, with_owner).await
    }

    /// Waits until /healthz answers (migrations done) and signs the owner in.
    async fn ready(addr: SocketAddr, running: Running, with_owner: bool) -> TestServer {
        let url = format!("http://{addr}/healthz");
        for _ in 0..400 {
            if reqwest::get(&url).await.map(|r| r.status().is_success()).unwrap_or(false) {
                let mut server = TestServer { addr, owner: String::new(), running };
                if !with_owner {
                    return server;
                }
                // The same owner across restarts on one database.
                server.owner = match server.try_sign_up("owner").await {
                    Some(cookie) => cookie,
                    None => server.sign_in("owner", PASSWORD).await.expect("owner signs in"),
                };
                return server;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        panic!("server did not become healthy");
    }

    /// The `quire` binary as a separate process on a free port, with extra
    /// environment variables (for crash injection).
    pub async fn spawn_process(database_url: &str, env: &[(&str, &str)]) -> TestServer {
        let (child, addr) = process::Child::spawn(database_url, env).await;
        Self::ready(addr, Running::Process(child), true).await
    }

    /// Kills the server process with SIGKILL: no shutdown, no flush.
    pub async fn kill_9(self) {
        match self.running {
            Running::Process(child) => child.kill_9().await,
            Running::InProcess { .. } => panic!("kill_9 needs a server started with spawn_process"),
        }
    }

    /// Sends SIGTERM and waits for the process to exit; returns whether it
    /// exited successfully.
    pub async fn terminate(self) -> bool {
        match self.running {
            Running::Process(child) => child.terminate().await,
            Running::InProcess { .. } => {
                panic!("terminate needs a server started with spawn_process")
            }
        }
    }

    /// Waits for a server process to exit by itself (a crash point); true if it did.
    pub async fn wait_for_crash(self, within: Duration) -> bool {
        match self.running {
            Running::Process(child) => child.wait_exit(within).await,
            Running::InProcess { .. } => {
                panic!("wait_for_crash needs a server started with spawn_process")
            }
        }
    }

    /// The /healthz body.
    pub async fn health(&self) -> (u16, serde_json::Value) {
        let response = reqwest::get(self.http("/healthz")).await.expect("GET /healthz");
        let status = response.status().as_u16();
        (status, response.json().await.expect("health JSON"))
    }

    /// Sends a request as the session behind `cookie`, with an optional JSON body.
    pub async fn send_as(
        &self,
        cookie: &str,
        method: reqwest::Method,
        path: &str,
        body: Option<serde_json::Value>,
    ) -> reqwest::Response {
        let mut request = reqwest::Client::new().request(method, self.http(path)).header("cookie", cookie);
        if let Some(body) = body {
            request = request.json(&body);
        }
        request.send().await.expect("request")
    }

    /// Creates an account; returns its session cookie.
    pub async fn sign_up(&self, username: &str) -> String {
        self.try_sign_up(username).await.expect("sign up")
    }

    /// The instance's first account (the owner, its admin) needs no
    /// invitation; everyone after it signs up through one the owner makes,
    /// as sign-up is by invitation by default.
    async fn try_sign_up(&self, username: &str) -> Option<String> {
        let invite = if self.owner.is_empty() { None } else { Some(self.invite(1).await) };
        let response = http_client()
            .post(self.http("/api/users"))
            .json(&serde_json::json!({ "username": username, "password": PASSWORD, "invite": invite }))
            .send()
            .await
            .expect("POST /api/users");
        (response.status() == 201).then(|| session_cookie(&response).expect("sign-up sets a cookie"))
    }

    /// The secret of a new invitation for `uses` sign-ups, made by the owner.
    pub async fn invite(&self, uses: u32) -> String {
        let response = self
            .send_as(&self.owner, reqwest::Method::POST, "/api/invites", Some(serde_json::json!({ "uses": uses })))
            .await;
        assert_eq!(response.status(), 201, "the owner (the first account) is an admin and invites");
        let body: serde_json::Value = response.json().await.unwrap();
        let url = body["url"].as_str().unwrap();
        url.strip_prefix("/signup?invite=").expect("an invitation is a sign-up link").to_string()
    }

    /// Signs in; the cookie, or the status code when refused.
    pub async fn sign_in(&self, username: &str, password: &str) -> Result<String, (u16, String)> {
        let response = http_client()
            .post(self.http("/api/session"))
            .json(&serde_json::json!({ "username": username, "password": password }))
            .send()
            .await
            .expect("POST /api/session");
        match response.status().as_u16() {
            204 => Ok(session_cookie(&response).expect("sign-in sets a cookie")),
            status => Err((status, response.text().await.unwrap_or_default())),
        }
    }

    /// Makes a share link of a document as its owner (`cookie`); returns (link id, path).
    pub async fn share_link(&self, cookie: &str, doc: &str, role: &str, expires_in_days: u32) -> (String, String) {
        let response = http_client()
            .post(self.http(&format!("/api/docs/{doc}/links")))
            .header("cookie", cookie)
            .json(&serde_json::json!({ "role": role, "expires_in_days": expires_in_days }))
            .send()
            .await
            .expect("POST links");
        assert_eq!(response.status(), 201);
        let body: serde_json::Value = response.json().await.unwrap();
        (body["id"].as_str().unwrap().to_string(), body["url"].as_str().unwrap().to_string())
    }

    /// Opens a share link as a new browser would; returns the guest's cookie.
    pub async fn open_link(&self, path: &str) -> String {
        let response = http_client().get(self.http(path)).send().await.expect("GET share link");
        assert_eq!(response.status(), 303, "a working link redirects to its document");
        session_cookie(&response).expect("a share link starts a session")
    }

    /// The URL a form on `page` posts to, the one whose action names
    /// `function` (a server function), as the page shows it to the holder of
    /// `cookie`.
    pub async fn form_action(&self, page: &str, cookie: Option<&str>, function: &str) -> String {
        let mut request = http_client().get(self.http(page));
        if let Some(cookie) = cookie {
            request = request.header("cookie", cookie);
        }
        let html = request.send().await.unwrap().text().await.unwrap();
        html.split("action=\"")
            .skip(1)
            .filter_map(|rest| rest.split('"').next())
            .find(|action| action.contains(function))
            .unwrap_or_else(|| panic!("no form posting to {function} on {page}"))
            .to_string()
    }

    pub fn http(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    /// Graceful shutdown: returns once every pending write is flushed.
    pub async fn stop(self) {
        match self.running {
            Running::InProcess { mut stop, mut task } => {
                if let Some(stop) = stop.take() {
                    let _ = stop.send(());
                }
                if let Some(task) = task.take() {
                    task.await.expect("server task").expect("server run");
                }
            }
            Running::Process(child) => {
                assert!(child.terminate().await, "server exits cleanly on SIGTERM")
            }
        }
    }

    /// Creates a document owned by [`Self::owner`], with an edit link that
    /// [`YClient::connect`] uses to join as a new guest each time.
    pub async fn create_doc(&self, title: &str) -> String {
        let response = reqwest::Client::new()
            .post(self.http("/api/docs"))
            .header("cookie", &self.owner)
            .json(&serde_json::json!({ "title": title }))
            .send()
            .await
            .expect("POST /api/docs");
        assert_eq!(response.status(), 201);
        let body: serde_json::Value = response.json().await.expect("json");
        let id = body["id"].as_str().expect("id").to_string();
        let (_, path) = self.share_link(&self.owner, &id, "editor", 0).await;
        EDIT_LINKS.lock().unwrap().get_or_insert_with(HashMap::new).insert(id.clone(), path);
        id
    }

    /// Waits (up to 5 s) until the server's copy of the document reads `expected`.
    pub async fn wait_for_markdown(&self, id: &str, expected: &str) {
        for _ in 0..200 {
            if self.markdown(id).await == expected {
                return;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        assert_eq!(self.markdown(id).await, expected, "the server's copy");
    }

    /// The document's text, read through the API as its owner.
    pub async fn markdown(&self, id: &str) -> String {
        let response = reqwest::Client::new()
            .get(self.http(&format!("/api/docs/{id}/markdown")))
            .header("cookie", &self.owner)
            .send()
            .await
            .expect("GET markdown");
        assert_eq!(response.status(), 200);
        response.text().await.expect("text")
    }
}

pub type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// A y-sync client with its own yrs document, like a browser tab.
pub struct YClient {
    pub doc: Doc,
    pub text: TextRef,
    socket: Socket,
    /// Frames received that were not y-sync updates (for assertions).
    pub received_updates: usize,
    /// Everyone's presence as this client sees it: client id -> (clock, state).
    pub presence: HashMap<u64, (u32, serde_json::Value)>,
    /// Awareness messages received.
    pub awareness_messages: usize,
    /// The session cookie this client connected with (`name=value`).
    pub cookie: Option<String>,
    /// The role the server last stated (Quire's access message).
    pub role: Option<app::api::Role>,
    /// Reasons of the permission-denied messages received (refused writes).
    pub denied: Vec<String>,
    /// Writes (SyncStep2 and Update messages) sent on this socket.
    pub writes: u64,
    /// How many of them the server said are committed (after [`Self::hello`]).
    pub saved: u64,
    /// The close frame, once the server closed the socket (see [`Self::pump_for`]).
    pub closed: Option<(u16, String)>,
}

impl YClient {
    /// Connects as a new guest who opened the document's edit link, and
    /// completes the initial sync (server's step 2 applied).
    pub async fn connect(addr: SocketAddr, id: &str) -> YClient {
        Self::connect_with_doc(addr, id, qdoc::new_doc()).await
    }

    /// Connects with an existing document (one edited while offline).
    pub async fn connect_with_doc(addr: SocketAddr, id: &str, doc: Doc) -> YClient {
        let path = edit_link(id).expect("documents made by TestServer::create_doc have an edit link");
        let response = http_client().get(format!("http://{addr}{path}")).send().await.expect("open link");
        let cookie = session_cookie(&response).expect("a share link starts a session");
        Self::connect_full(addr, id, doc, Some(&cookie)).await
    }

    /// A bare socket of a new guest (through the edit link), no sync done.
    pub async fn raw_socket(addr: SocketAddr, id: &str) -> Socket {
        let path = edit_link(id).expect("documents made by TestServer::create_doc have an edit link");
        let response = http_client().get(format!("http://{addr}{path}")).send().await.expect("open link");
        let cookie = session_cookie(&response).expect("a share link starts a session");
        let origin = format!("http://{addr}");
        Self::try_open(addr, id, &[("cookie", &cookie), ("origin", &origin)]).await.expect("socket opens")
    }

    /// Opens the socket with these request headers; the HTTP status if refused.
    pub async fn try_open(addr: SocketAddr, id: &str, headers: &[(&str, &str)]) -> Result<Socket, u16> {
        use tokio_tungstenite::tungstenite::client::IntoClientRequest;
        let mut request = format!("ws://{addr}/ws/doc/{id}").into_client_request().expect("request");
        for (name, value) in headers {
            request.headers_mut().insert(
                tokio_tungstenite::tungstenite::http::HeaderName::from_bytes(name.as_bytes()).unwrap(),
                value.parse().unwrap(),
            );
        }
        match tokio_tungstenite::connect_async(request).await {
            Ok((socket, _)) => Ok(socket),
            Err(tokio_tungstenite::tungstenite::Error::Http(response)) => Err(response.status().as_u16()),
            Err(other) => panic!("websocket failed: {other}"),
        }
    }

    /// Connects as the session behind `cookie` (another tab of the same person).
    pub async fn connect_with_cookie(addr: SocketAddr, id: &str, cookie: &str) -> YClient {
        Self::connect_full(addr, id, qdoc::new_doc(), Some(cookie)).await
    }

    /// Connects as a script would, with a personal API token.
    pub async fn connect_with_token(addr: SocketAddr, id: &str, token: &str) -> YClient {
        Self::connect_headers(addr, id, qdoc::new_doc(), None, &[("authorization", &format!("Bearer {token}"))]).await
    }

    async fn connect_full(addr: SocketAddr, id: &str, doc: Doc, cookie: Option<&str>) -> YClient {
        Self::connect_headers(addr, id, doc, cookie, &[]).await
    }

    async fn connect_headers(
        addr: SocketAddr,
        id: &str,
        doc: Doc,
        cookie: Option<&str>,
        headers: &[(&'static str, &str)],
    ) -> YClient {
        use tokio_tungstenite::tungstenite::client::IntoClientRequest;
        let mut request = format!("ws://{addr}/ws/doc/{id}").into_client_request().expect("request");
        request.headers_mut().insert("origin", format!("http://{addr}").parse().unwrap());
        if let Some(cookie) = cookie {
            request.headers_mut().insert("cookie", cookie.parse().expect("cookie header"));
        }
        for (name, value) in headers {
            request.headers_mut().insert(*name, value.parse().expect("header"));
        }
        let (socket, response) = tokio_tungstenite::connect_async(request).await.expect("websocket connect");
        let cookie = response
            .headers()
            .get("set-cookie")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .map(str::to_string)
            .or_else(|| cookie.map(str::to_string));
        let text = qdoc::content(&doc);
        let mut client = YClient {
            doc,
            text,
            socket,
            received_updates: 0,
            presence: HashMap::new(),
            awareness_messages: 0,
            cookie,
            role: None,
            denied: Vec::new(),
            writes: 0,
            saved: 0,
            closed: None,
        };
        let sv = client.doc.transact().state_vector();
        client.send_raw(protocol::sync_step1(sv)).await;
        client
            .pump_until(Duration::from_secs(5), |_, msg| matches!(msg, Message::Sync(SyncMessage::SyncStep2(_))))
            .await;
        client
    }

    pub async fn send_raw(&mut self, frame: Vec<u8>) {
        self.socket.send(WsMessage::Binary(frame.into())).await.expect("send");
    }

    /// Sends a write (update or step 2) and counts it, as Quire's client does.
    async fn send_write(&mut self, frame: Vec<u8>) {
        self.writes += 1;
        self.send_raw(frame).await;
    }

    /// Says Quire's hello: from now on the server reports committed writes.
    pub async fn hello(&mut self) {
        self.send_raw(protocol::hello()).await;
    }

    /// Waits until the server says every write sent so far is committed.
    pub async fn wait_saved(&mut self, within: Duration) {
        let target = self.writes;
        if self.saved >= target {
            return;
        }
        self.pump_until(within, |client, _| client.saved >= target).await;
    }

    /// Handles whatever arrives within `window`; returns early if the server
    /// closes the socket (recorded in [`Self::closed`]) or the connection drops.
    pub async fn pump_for(&mut self, window: Duration) {
        let deadline = tokio::time::Instant::now() + window;
        while self.closed.is_none() {
            match tokio::time::timeout_at(deadline, self.socket.next()).await {
                Err(_) => return,
                Ok(None) | Ok(Some(Err(_))) => self.closed = Some((1006, String::new())),
                Ok(Some(Ok(WsMessage::Close(frame)))) => {
                    self.closed =
                        Some(frame.map(|f| (u16::from(f.code), f.reason.to_string())).unwrap_or((1005, String::new())))
                }
                Ok(Some(Ok(WsMessage::Binary(frame)))) => {
                    for message in protocol::decode(&frame).expect("server sent a valid frame") {
                        self.handle(&message).await;
                    }
                }
                Ok(Some(Ok(_))) => {}
            }
        }
    }

    /// Edits locally and sends the update unless the socket is closed; the
    /// edit stays in this client's document either way (offline editing).
    pub async fn try_edit(&mut self, f: impl FnOnce(&TextRef, &mut yrs::TransactionMut)) -> bool {
        let update = {
            let mut txn = self.doc.transact_mut();
            f(&self.text, &mut txn);
            txn.encode_update_v1()
        };
        if self.closed.is_some() {
            return false;
        }
        self.writes += 1;
        self.socket.send(WsMessage::Binary(protocol::update(update).into())).await.is_ok()
    }

    pub async fn send_ws(&mut self, message: WsMessage) {
        self.socket.send(message).await.expect("send");
    }

    /// Sends a frame; false if the connection is gone (an attack may be cut
    /// off halfway).
    pub async fn try_send_ws(&mut self, message: WsMessage) -> bool {
        self.socket.send(message).await.is_ok()
    }

    /// Edits locally (one transaction) and sends the update.
    pub async fn edit(&mut self, f: impl FnOnce(&TextRef, &mut yrs::TransactionMut)) {
        let update = {
            let mut txn = self.doc.transact_mut();
            f(&self.text, &mut txn);
            txn.encode_update_v1()
        };
        self.send_write(protocol::update(update)).await;
    }

    pub async fn insert(&mut self, index: u32, chunk: &str) {
        self.edit(|text, txn| text.insert(txn, index, chunk)).await;
    }

    pub fn content(&self) -> String {
        self.text.get_string(&self.doc.transact())
    }

    /// Handles incoming frames until `done` returns true for one of them, or panics at the deadline.
    pub async fn pump_until(&mut self, within: Duration, mut done: impl FnMut(&Self, &Message) -> bool) {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            let next = tokio::time::timeout_at(deadline, self.socket.next()).await;
            let frame = match next {
                Err(_) => panic!("timed out waiting for a message"),
                Ok(None) => panic!("socket closed"),
                Ok(Some(Err(e))) => panic!("socket error: {e}"),
                Ok(Some(Ok(WsMessage::Binary(frame)))) => frame,
                Ok(Some(Ok(WsMessage::Close(frame)))) => panic!("closed by server: {frame:?}"),
                Ok(Some(Ok(_))) => continue,
            };
            for message in protocol::decode(&frame).expect("server sent a valid frame") {
                self.handle(&message).await;
                if done(self, &message) {
                    return;
                }
            }
        }
    }

    /// What a client does with one message from the server.
    async fn handle(&mut self, message: &Message) {
        match message {
            Message::Sync(SyncMessage::SyncStep1(sv)) => {
                let update = self.doc.transact().encode_state_as_update_v1(sv);
                self.send_write(protocol::sync_step2(update)).await;
            }
            Message::Awareness(update) => {
                self.awareness_messages += 1;
                for (id, entry) in &update.clients {
                    let state: serde_json::Value = serde_json::from_str(&entry.json).expect("state is JSON");
                    let newer = self
                        .presence
                        .get(&id.get())
                        .is_none_or(|(clock, _)| entry.clock > *clock || (entry.clock == *clock && state.is_null()));
                    if newer {
                        self.presence.insert(id.get(), (entry.clock, state));
                    }
                }
            }
            Message::Sync(SyncMessage::SyncStep2(u)) | Message::Sync(SyncMessage::Update(u)) => {
                if matches!(message, Message::Sync(SyncMessage::Update(_))) {
                    self.received_updates += 1;
                }
                self.doc
                    .transact_mut()
                    .apply_update(Update::decode_v1(u).expect("update decodes"))
                    .expect("update applies");
            }
            Message::Custom(protocol::MSG_ACCESS, payload) => self.role = protocol::read_access(payload),
            Message::Custom(protocol::MSG_SAVED, payload) => {
                let saved = protocol::read_saved(payload).expect("saved message decodes");
                assert!(saved <= self.writes, "server acknowledged {saved} writes of {}", self.writes);
                assert!(saved >= self.saved, "acknowledgements never go back");
                self.saved = saved;
            }
            Message::Auth(Some(reason)) => self.denied.push(reason.clone()),
            _ => {}
        }
    }

    /// Sends an awareness update saying `state` (JSON) for client `id` at `clock`.
    pub async fn say_presence(&mut self, id: u64, clock: u32, state: &str) {
        self.send_raw(awareness_frame(&[(id, clock, state)])).await;
    }

    /// This client's own awareness id (its document's client id).
    pub fn id(&self) -> u64 {
        self.doc.client_id().get()
    }

    /// The state this client sees for `id` (Null when removed or unknown).
    pub fn state_of(&self, id: u64) -> serde_json::Value {
        self.presence.get(&id).map(|(_, s)| s.clone()).unwrap_or(serde_json::Value::Null)
    }

    /// Waits until `done` holds for this client's view of presence.
    pub async fn wait_for_presence(&mut self, within: Duration, mut done: impl FnMut(&Self) -> bool) {
        if done(self) {
            return;
        }
        self.pump_until(within, |client, _| done(client)).await;
    }

    /// Waits until this client's text equals `expected`.
    pub async fn wait_for_text(&mut self, expected: &str) {
        if self.content() == expected {
            return;
        }
        let expected = expected.to_string();
        self.pump_until(Duration::from_secs(5), |client, _| client.content() == expected).await;
    }

    /// Waits for the server to close the socket; returns the close code and reason.
    pub async fn expect_close(&mut self) -> (u16, String) {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
        loop {
            match tokio::time::timeout_at(deadline, self.socket.next()).await {
                Err(_) => panic!("server did not close the connection"),
                Ok(Some(Ok(WsMessage::Close(Some(frame))))) => {
                    return (u16::from(frame.code), frame.reason.to_string())
                }
                Ok(Some(Ok(WsMessage::Close(None)))) => return (u16::from(CloseCode::Status), String::new()),
                Ok(None) | Ok(Some(Err(_))) => panic!("connection dropped without a close frame"),
                Ok(Some(Ok(_))) => continue,
            }
        }
    }

    /// True if nothing arrives within `window` (used to prove "no echo").
    pub async fn stays_quiet(&mut self, window: Duration) -> bool {
        loop {
            match tokio::time::timeout(window, self.socket.next()).await {
                Err(_) => return true,
                Ok(Some(Ok(WsMessage::Ping(_)))) | Ok(Some(Ok(WsMessage::Pong(_)))) => continue,
                Ok(_) => return false,
            }
        }
    }
}

/// One awareness frame with the given (client id, clock, JSON state) entries.
pub fn awareness_frame(entries: &[(u64, u32, &str)]) -> Vec<u8> {
    Message::Awareness(app::collab::presence::awareness_update(entries)).encode_v1()
}

/// Reads server-sent events until one named `event` arrives; its data.
pub async fn next_event(
    stream: &mut reqwest::Response,
    buffer: &mut String,
    event: &str,
    within: Duration,
) -> Option<String> {
    let deadline = tokio::time::Instant::now() + within;
    loop {
        while let Some(end) = buffer.find("\n\n") {
            let block: String = buffer.drain(..end + 2).collect();
            let name = block.lines().find_map(|l| l.strip_prefix("event: ").or_else(|| l.strip_prefix("event:")));
            let data = block.lines().find_map(|l| l.strip_prefix("data: ").or_else(|| l.strip_prefix("data:")));
            if name == Some(event) {
                return Some(data.unwrap_or("").to_string());
            }
        }
        match tokio::time::timeout_at(deadline, stream.chunk()).await {
            Ok(Ok(Some(chunk))) => buffer.push_str(&String::from_utf8_lossy(&chunk)),
            _ => return None,
        }
    }
}

/// A request as `cookie`'s session: the status and the JSON body (null if none).
pub async fn send_json(
    server: &TestServer,
    cookie: &str,
    method: reqwest::Method,
    path: &str,
    body: Option<serde_json::Value>,
) -> (u16, serde_json::Value) {
    let response = server.send_as(cookie, method, path, body).await;
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(serde_json::Value::Null))
}

pub async fn subscribe(server: &TestServer, cookie: &str) -> (reqwest::Response, String) {
    let mut response =
        reqwest::Client::new().get(server.http("/events")).header("cookie", cookie).send().await.unwrap();
    assert_eq!(response.status(), 200);
    let mut buffer = String::new();
    assert!(next_event(&mut response, &mut buffer, "ready", Duration::from_secs(2)).await.is_some());
    (response, buffer)
}

/// Alice and Bob share a document; Mallory joins and sends what `attack`
/// makes. Mallory must be closed with `code` and a reason; Alice and Bob still
/// edit together, the document holds exactly their text, and a newcomer gets
/// it. Returns the close reason.
pub async fn attack_is_contained<M: Into<WsMessage>>(
    config: Config,
    code: u16,
    attack: impl FnOnce(&mut YClient) -> Vec<M>,
) -> String {
    let server = TestServer::start_with(config).await;
    let id = server.create_doc("Target").await;
    let mut alice = YClient::connect(server.addr, &id).await;
    let mut bob = YClient::connect(server.addr, &id).await;
    alice.insert(0, "intact").await;
    bob.wait_for_text("intact").await;

    let mut mallory = YClient::connect(server.addr, &id).await;
    mallory.wait_for_text("intact").await;
    for message in attack(&mut mallory) {
        // The server may cut the attack off halfway.
        if !mallory.try_send_ws(message.into()).await {
            break;
        }
    }
    let (got, reason) = mallory.expect_close().await;
    assert_eq!(got, code, "close code (reason {reason:?})");
    assert!(!reason.is_empty(), "a close reason explains what went wrong");

    bob.insert(6, "!").await;
    alice.wait_for_text("intact!").await;
    assert_eq!(server.markdown(&id).await, "intact!");
    let mut carol = YClient::connect(server.addr, &id).await;
    carol.wait_for_text("intact!").await;
    server.stop().await;
    reason
}
