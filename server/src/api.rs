//! The JSON API (documented in the README): list and create documents, read
//! one as Markdown, and the health check. Callers authenticate with the session
//! cookie or `Authorization: Bearer <personal API token>`; without either the
//! answer is 401.

use axum::extract::rejection::JsonRejection;
use axum::extract::{Extension, Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Serialize};

use app::api::ssr::Refusal;
use app::api::{DocList, DocSummary};

use crate::auth::Caller;
use crate::error::{Error, Result};
use crate::service::Service;
use crate::AppState;

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
        Listed { url: format!("/d/{}", doc.id), id: doc.id, title: doc.title, role: doc.role.as_str(), owner: doc.owner, updated_at: doc.updated_at }
    }
}

fn refused(refusal: Refusal) -> Error {
    match refusal {
        Refusal::SignedOut => Error::Unauthorized,
        Refusal::NotFound => Error::NotFound,
        Refusal::Forbidden => Error::Forbidden("only the owner can do that"),
        Refusal::Invalid(message) => Error::BadRequest(message),
        Refusal::Throttled(message) => Error::Throttled(message),
        Refusal::Internal => Error::Internal("see the log".into()),
    }
}

fn service(state: AppState, caller: Caller) -> Result<Service> {
    if caller.is_anonymous() {
        return Err(Error::Unauthorized);
    }
    Ok(Service::new(state, caller, None))
}

/// `POST /api/docs {"title"}` -> 201 `{"id","url"}`; needs an account.
pub async fn create(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    body: Result<Json<CreateDocument>, JsonRejection>,
) -> Result<Response> {
    let service = service(state, caller)?;
    let Json(body) = body.map_err(|rejection| Error::BadRequest(rejection.body_text()))?;
    let title = app::api::validate_title(&body.title).map_err(|msg| Error::BadRequest(msg.to_string()))?;
    let id = service.create_document(title).await.map_err(refused)?;
    Ok((StatusCode::CREATED, Json(Created { url: format!("/d/{id}"), id })).into_response())
}

/// `GET /api/docs` -> `{"mine": [...], "shared": [...]}`, most recently edited first.
pub async fn list(State(state): State<AppState>, Extension(caller): Extension<Caller>) -> Result<Response> {
    let DocList { mine, shared, .. } = service(state, caller)?.list_documents().await.map_err(refused)?;
    let mine: Vec<Listed> = mine.into_iter().map(Listed::from).collect();
    let shared: Vec<Listed> = shared.into_iter().map(Listed::from).collect();
    Ok(Json(serde_json::json!({ "mine": mine, "shared": shared })).into_response())
}

/// `GET /api/docs/{id}/markdown` -> the document's text as `text/markdown`,
/// for anyone who may read it (404 for everyone else, existing or not).
pub async fn markdown(State(state): State<AppState>, Extension(caller): Extension<Caller>, Path(id): Path<String>) -> Result<Response> {
    let text = service(state, caller)?.markdown(&id).await.map_err(refused)?;
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
    });
    (status, Json(body)).into_response()
}
