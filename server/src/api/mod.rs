//! The JSON API (documented in the README): accounts, documents, sharing,
//! tokens, and the health check. Callers authenticate with the session cookie
//! or `Authorization: Bearer <personal API token>`; without either the answer
//! is 401. Every handler goes through the same [`Service`] as the pages.

pub mod admin;
pub mod groups;
pub mod history;
pub mod me;

use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, Path, Request, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Serialize};

use app::api::ssr::Backend;
use app::api::{DocList, DocSummary, Role};

use crate::auth::Caller;
use crate::client_addr::ClientAddr;
use crate::error::{Error, Result};
use crate::service::Service;
use crate::state::AppState;

#[derive(Deserialize)]
pub struct CreateDocument {
    pub title: String,
}

#[derive(Serialize)]
pub struct Created {
    pub id: String,
    pub url: String,
}

#[derive(Serialize)]
pub struct Listed {
    pub id: String,
    pub title: String,
    pub url: String,
    pub role: &'static str,
    pub owner: Option<String>,
    pub updated_at: i64,
}

impl From<DocSummary> for Listed {
    fn from(doc: DocSummary) -> Self {
        Listed {
            url: format!("/d/{}", doc.id),
            id: doc.id,
            title: doc.title,
            role: doc.role.as_str(),
            owner: doc.owner,
            updated_at: doc.updated_at,
        }
    }
}

/// A JSON request body; one that does not parse is a 400 with the reason, in JSON.
pub struct Body<T>(pub T);

impl<T: serde::de::DeserializeOwned, S: Send + Sync> FromRequest<S> for Body<T> {
    type Rejection = Error;

    async fn from_request(request: Request, state: &S) -> Result<Self> {
        let Json(body) = Json::<T>::from_request(request, state)
            .await
            .map_err(|rejection: JsonRejection| Error::BadRequest(rejection.body_text()))?;
        Ok(Body(body))
    }
}

fn user_agent(headers: &HeaderMap) -> Option<&str> {
    headers.get(header::USER_AGENT).and_then(|v| v.to_str().ok())
}

fn service(state: AppState, caller: Caller) -> Result<Service> {
    if caller.is_anonymous() {
        return Err(Error::Unauthorized);
    }
    Ok(Service::new(state, caller, None))
}

#[derive(Deserialize)]
pub struct Credentials {
    pub username: String,
    pub password: String,
}

/// Any other path under `/api/`: 404 in JSON, like every API answer.
pub async fn no_such_endpoint() -> Response {
    (StatusCode::NOT_FOUND, Json(serde_json::json!({ "error": "no such API endpoint" }))).into_response()
}

#[derive(Deserialize)]
pub struct NewAccount {
    pub username: String,
    pub password: String,
    /// The secret of an invitation link (`qi_…`), where sign-up needs one.
    #[serde(default)]
    pub invite: Option<String>,
}

/// `POST /api/users {"username","password","invite"?}` -> 201, signed in (session cookie).
pub async fn sign_up(
    State(state): State<AppState>,
    caller: Caller,
    ClientAddr(ip): ClientAddr,
    headers: HeaderMap,
    Body(body): Body<NewAccount>,
) -> Result<Response> {
    let username = app::api::normalize_username(&body.username);
    let service = Service::new(state, caller, ip).with_user_agent(user_agent(&headers));
    service.sign_up(username.clone(), body.password, body.invite).await?;
    Ok((StatusCode::CREATED, Json(serde_json::json!({ "username": username }))).into_response())
}

/// `POST /api/session {"username","password"}` -> 204, signed in; 429 when throttled.
pub async fn sign_in(
    State(state): State<AppState>,
    caller: Caller,
    ClientAddr(ip): ClientAddr,
    headers: HeaderMap,
    Body(body): Body<Credentials>,
) -> Result<StatusCode> {
    Service::new(state, caller, ip).with_user_agent(user_agent(&headers)).sign_in(body.username, body.password).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize)]
pub struct NewLink {
    pub role: String,
    #[serde(default)]
    pub expires_in_days: u32,
}

/// `POST /api/docs/{id}/links {"role","expires_in_days"}` -> 201 `{"id","url"}` (owner only).
pub async fn create_link(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Body(body): Body<NewLink>,
) -> Result<Response> {
    let role =
        Role::parse_shared(&body.role).ok_or_else(|| Error::BadRequest("role must be viewer or editor".into()))?;
    let link = service(state, caller)?.create_link(id, role, body.expires_in_days).await?;
    let body = serde_json::json!({ "id": link.link.id, "url": link.path, "role": role.as_str(), "expires_at": link.link.expires_at });
    Ok((StatusCode::CREATED, Json(body)).into_response())
}

/// `DELETE /api/docs/{id}/links/{link}` -> 204 (owner only).
pub async fn revoke_link(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, link)): Path<(String, String)>,
) -> Result<StatusCode> {
    service(state, caller)?.revoke_link(id, link).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize)]
pub struct Membership {
    pub role: String,
}

/// `PUT /api/docs/{id}/members/{username} {"role"}` -> 204 (owner only).
pub async fn share(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, username)): Path<(String, String)>,
    Body(body): Body<Membership>,
) -> Result<StatusCode> {
    let role =
        Role::parse_shared(&body.role).ok_or_else(|| Error::BadRequest("role must be viewer or editor".into()))?;
    service(state, caller)?.share(id, username, role).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `DELETE /api/docs/{id}/members/{username}` -> 204 (owner only).
pub async fn unshare(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, username)): Path<(String, String)>,
) -> Result<StatusCode> {
    service(state, caller)?.unshare(id, username).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `DELETE /api/docs/{id}` -> 204: to the trash (owner only).
pub async fn delete(State(state): State<AppState>, caller: Caller, Path(id): Path<String>) -> Result<StatusCode> {
    service(state, caller)?.delete(id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize)]
pub struct NewToken {
    pub name: String,
    /// 0 or absent: until revoked.
    #[serde(default)]
    pub expires_in_days: u32,
    #[serde(default)]
    pub read_only: bool,
}

/// `POST /api/tokens {"name","expires_in_days"?,"read_only"?}` -> 201
/// `{"id","token","expires_at","read_only"}`; from a signed-in session only.
pub async fn create_token(
    State(state): State<AppState>,
    caller: Caller,
    Body(body): Body<NewToken>,
) -> Result<Response> {
    let made = service(state, caller)?.make_token(&body.name, body.expires_in_days, body.read_only).await?;
    let body = serde_json::json!({
        "id": made.token.id,
        "token": made.secret,
        "expires_at": made.token.expires_at,
        "read_only": made.token.read_only,
    });
    Ok((StatusCode::CREATED, Json(body)).into_response())
}

/// `DELETE /api/tokens/{id}` -> 204.
pub async fn revoke_token(State(state): State<AppState>, caller: Caller, Path(id): Path<String>) -> Result<StatusCode> {
    service(state, caller)?.revoke_api_token(id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /api/docs {"title"}` -> 201 `{"id","url"}`; needs an account.
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    Body(body): Body<CreateDocument>,
) -> Result<Response> {
    let service = service(state, caller)?;
    let id = service.create_document(body.title).await?;
    Ok((StatusCode::CREATED, Json(Created { url: format!("/d/{id}"), id })).into_response())
}

/// `GET /api/docs` -> `{"mine": [...], "shared": [...]}`, most recently edited first.
pub async fn list(State(state): State<AppState>, caller: Caller) -> Result<Response> {
    let DocList { mine, shared, .. } = service(state, caller)?.list_documents().await?;
    let mine: Vec<Listed> = mine.into_iter().map(Listed::from).collect();
    let shared: Vec<Listed> = shared.into_iter().map(Listed::from).collect();
    Ok(Json(serde_json::json!({ "mine": mine, "shared": shared })).into_response())
}

/// `GET /api/docs/{id}/markdown` -> the document's text as `text/markdown`,
/// for anyone who may read it (404 for everyone else, existing or not).
pub async fn markdown(State(state): State<AppState>, caller: Caller, Path(id): Path<String>) -> Result<Response> {
    let text = service(state, caller)?.markdown(&id).await?;
    Ok(([(header::CONTENT_TYPE, "text/markdown; charset=utf-8")], text).into_response())
}

/// `GET /healthz` -> 200 when the database answers and writes are succeeding.
pub async fn health(State(state): State<AppState>) -> Response {
    let database = state.store.ping().await;
    let writes = state.hub.persister().is_healthy();
    let status = if database && writes { StatusCode::OK } else { StatusCode::SERVICE_UNAVAILABLE };
    let body = serde_json::json!({
        "status": if status == StatusCode::OK { "ok" } else { "degraded" },
        "database": if database { "ok" } else { "unreachable" },
        "writes": if writes { "ok" } else { "retrying" },
        "open_documents": state.hub.open_rooms(),
        "pending_writes": state.hub.persister().pending(),
        // Reported, not counted against health: without Redis an instance
        // still serves its own clients, and taking every instance out of a
        // load balancer at once would serve no one.
        "relay": state.hub.relay().status().as_str(),
    });
    (status, Json(body)).into_response()
}
