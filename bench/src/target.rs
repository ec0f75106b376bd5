//! A server under test as the clients see it: where its instances listen, how
//! a room is named and opened, and which dialect it speaks.

use std::net::SocketAddr;

use anyhow::Context;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::handshake::client::Request;

use crate::wire::Dialect;

/// The kinds of server the benchmark knows how to drive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    Quire,
    YWebsocket,
    Hocuspocus,
    /// The bare relay: forwards frames, keeps nothing, answers nothing.
    Floor,
}

/// A running server (one or more instances) the workloads connect to.
#[derive(Debug, Clone)]
pub struct Target {
    /// Label in the results ("quire", "quire ×2 (Redis)", "y-websocket", ...).
    pub label: String,
    pub kind: Kind,
    /// One address per instance; clients say which instance they want.
    pub instances: Vec<SocketAddr>,
    /// Quire: an API token of the benchmark's account.
    pub token: Option<String>,
}

impl Target {
    /// Does this server answer SyncStep1 (everything but the relay does)?
    pub fn syncs(&self) -> bool {
        self.kind != Kind::Floor
    }

    /// Makes `count` fresh rooms and returns their names. Quire rooms are
    /// documents made through its API; the others make a room on first join.
    pub async fn new_rooms(&self, prefix: &str, count: usize) -> anyhow::Result<Vec<String>> {
        match self.kind {
            Kind::Quire => {
                let http = reqwest::Client::new();
                let token = self.token.as_deref().context("Quire needs an API token")?;
                let mut rooms = Vec::with_capacity(count);
                for i in 0..count {
                    let response = http
                        .post(format!("http://{}/api/docs", self.instances[0]))
                        .bearer_auth(token)
                        .json(&serde_json::json!({ "title": format!("{prefix} {i}") }))
                        .send()
                        .await?
                        .error_for_status()?;
                    let created: serde_json::Value = response.json().await?;
                    rooms.push(created["id"].as_str().context("no document id")?.to_string());
                }
                Ok(rooms)
            }
            _ => {
                let run = std::process::id();
                Ok((0..count).map(|i| format!("{prefix}-{run}-{i}")).collect())
            }
        }
    }

    /// The WebSocket request that opens `room` on instance `instance`.
    pub fn request(&self, instance: usize, room: &str) -> anyhow::Result<Request> {
        let addr = self.instances[instance % self.instances.len()];
        let path = match self.kind {
            Kind::Quire => format!("/ws/doc/{room}"),
            // Hocuspocus names the document inside every frame instead.
            Kind::Hocuspocus => "/".to_string(),
            Kind::YWebsocket | Kind::Floor => format!("/{room}"),
        };
        let mut request = format!("ws://{addr}{path}").into_client_request()?;
        if self.kind == Kind::Quire {
            let headers = request.headers_mut();
            headers.insert("origin", format!("http://{addr}").parse()?);
            let token = self.token.as_deref().context("Quire needs an API token")?;
            headers.insert("authorization", format!("Bearer {token}").parse()?);
        }
        Ok(request)
    }

    pub fn dialect(&self, room: &str) -> Dialect {
        match self.kind {
            Kind::Hocuspocus => Dialect::Hocuspocus { document: room.to_string() },
            _ => Dialect::YSync,
        }
    }
}
