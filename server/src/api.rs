//! The JSON API (documented in the README): create and list documents, read one
//! as Markdown, and the health check.

use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Serialize};

use crate::doc_id::DocId;
use crate::error::{Error, Result};
use crate::store::DocumentRow;
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
    pub created_at: i64,
    pub updated_at: i64,
}

impl From<DocumentRow> for Listed {
    fn from(row: DocumentRow) -> Self {
        Listed { url: format!("/d/{}", row.id), id: row.id, title: row.title, created_at: row.created_at, updated_at: row.updated_at }
    }
}

/// `POST /api/docs {"title"}` -> 201 `{"id","url"}`.
pub async fn create(State(state): State<AppState>, body: Result<Json<CreateDocument>, JsonRejection>) -> Result<Response> {
    let Json(body) = body.map_err(|rejection| Error::BadRequest(rejection.body_text()))?;
    let title = app::api::validate_title(&body.title).map_err(|msg| Error::BadRequest(msg.to_string()))?;
    let id = DocId::random();
    state.store.create_document(&id, &title).await?;
    let created = Created { url: format!("/d/{id}"), id: id.to_string() };
    Ok((StatusCode::CREATED, Json(created)).into_response())
}

/// `GET /api/docs` -> every document, most recently edited first.
pub async fn list(State(state): State<AppState>) -> Result<Json<Vec<Listed>>> {
    let rows = state.store.list_documents().await?;
    Ok(Json(rows.into_iter().map(Listed::from).collect()))
}

/// `GET /api/docs/{id}/markdown` -> the document's text as `text/markdown`.
pub async fn markdown(State(state): State<AppState>, Path(id): Path<String>) -> Result<Response> {
    let id = DocId::parse(&id).ok_or(Error::NotFound)?;
    let text = state.hub.markdown(&id).await?.ok_or(Error::NotFound)?;
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
