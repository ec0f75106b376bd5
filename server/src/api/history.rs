//! The history endpoints (README, "Version history"): a document's versions,
//! each one's text, naming, restoring, renaming and deleting them, and the
//! owner's switch that shows the history to viewers.

use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Serialize};

use app::api::VersionInfo;

use super::{service, Body};
use crate::auth::Caller;
use crate::error::{Error, Result};
use crate::state::AppState;

/// A version as the API shows it.
#[derive(Serialize)]
pub struct Version {
    pub id: i64,
    pub name: Option<String>,
    pub kind: String,
    pub created_at: i64,
    /// Names of who changed the text since the version before.
    pub authors: Vec<String>,
    /// The same people with their colours, as the history panel shows them.
    pub people: Vec<app::api::Identity>,
    pub size: i64,
}

impl From<VersionInfo> for Version {
    fn from(info: VersionInfo) -> Self {
        Version {
            id: info.id,
            name: info.name,
            kind: info.kind,
            created_at: info.created_at,
            authors: info.authors.iter().map(|person| person.name.clone()).collect(),
            people: info.authors,
            size: info.size,
        }
    }
}

/// A version number from the path; anything else names no version.
fn version_id(raw: &str) -> Result<i64> {
    raw.parse::<i64>().ok().filter(|id| *id > 0).ok_or(Error::NotFound)
}

/// `GET /api/docs/{id}/versions` -> `{"versions": [...]}`, newest first.
pub async fn list(State(state): State<AppState>, caller: Caller, Path(id): Path<String>) -> Result<Response> {
    let versions: Vec<Version> = service(state, caller)?.versions(&id).await?.into_iter().map(Version::from).collect();
    Ok(Json(serde_json::json!({ "versions": versions })).into_response())
}

#[derive(Deserialize)]
pub struct NewVersion {
    pub name: String,
}

/// `POST /api/docs/{id}/versions {"name"}` -> 201 the version now holding the text, named.
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Body(body): Body<NewVersion>,
) -> Result<Response> {
    let version = service(state, caller)?.name_version(&id, &body.name).await?;
    Ok((StatusCode::CREATED, Json(Version::from(version))).into_response())
}

/// `GET /api/docs/{id}/versions/{v}` -> the version.
pub async fn show(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, version)): Path<(String, String)>,
) -> Result<Response> {
    let version = service(state, caller)?.version(&id, version_id(&version)?).await?;
    Ok(Json(Version::from(version)).into_response())
}

#[derive(Deserialize)]
pub struct Rename {
    /// null makes it an automatic version again.
    pub name: Option<String>,
}

/// `PATCH /api/docs/{id}/versions/{v} {"name"}` -> the version (owner only).
pub async fn rename(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, version)): Path<(String, String)>,
    Body(body): Body<Rename>,
) -> Result<Response> {
    let version = service(state, caller)?.rename_version(&id, version_id(&version)?, body.name.as_deref()).await?;
    Ok(Json(Version::from(version)).into_response())
}

/// `DELETE /api/docs/{id}/versions/{v}` -> 204 (owner only).
pub async fn delete(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, version)): Path<(String, String)>,
) -> Result<StatusCode> {
    service(state, caller)?.delete_version(&id, version_id(&version)?).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize)]
pub struct Download {
    /// Present: answer as a file to save (`Content-Disposition: attachment`).
    pub download: Option<String>,
}

/// `GET /api/docs/{id}/versions/{v}/markdown[?download]` -> the version's text.
pub async fn markdown(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, version)): Path<(String, String)>,
    Query(query): Query<Download>,
) -> Result<Response> {
    let number = version_id(&version)?;
    let (text, title) = service(state, caller)?.version_markdown(&id, number).await?;
    let mut response = ([(header::CONTENT_TYPE, "text/markdown; charset=utf-8")], text).into_response();
    if query.download.is_some() {
        let disposition = attachment(&title, number);
        if let Ok(value) = HeaderValue::from_str(&disposition) {
            response.headers_mut().insert(header::CONTENT_DISPOSITION, value);
        }
    }
    Ok(response)
}

/// `POST /api/docs/{id}/versions/{v}/restore` -> `{"restored", "before"}`:
/// the document's text is the version's again; `before` keeps what it was.
pub async fn restore(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, version)): Path<(String, String)>,
) -> Result<Response> {
    let number = version_id(&version)?;
    let before = service(state, caller)?.restore_version(&id, number).await?;
    Ok(Json(serde_json::json!({ "restored": number, "before": before })).into_response())
}

#[derive(Deserialize)]
pub struct HistoryAccess {
    pub viewers: bool,
}

/// `PUT /api/docs/{id}/history-access {"viewers"}` -> 204 (owner only).
pub async fn set_access(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Body(body): Body<HistoryAccess>,
) -> Result<StatusCode> {
    service(state, caller)?.set_history_for_viewers(&id, body.viewers).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `attachment` with the title as the file's name: an ASCII fallback, and
/// the title itself percent-encoded (RFC 6266), so no title can break out
/// of the header.
fn attachment(title: &str, version: i64) -> String {
    let name = format!("{title} (version {version}).md");
    let ascii: String =
        name.chars().map(|c| if c.is_ascii_alphanumeric() || " ()-_.".contains(c) { c } else { '_' }).collect();
    let encoded: String = name
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    format!("attachment; filename=\"{ascii}\"; filename*=UTF-8''{encoded}")
}

#[cfg(test)]
mod tests {
    use super::attachment;

    #[test]
    fn hostile_titles_stay_inside_the_header() {
        let header = attachment("a\"; filename=evil.html\r\nSet-Cookie: x=1 😀", 3);
        assert!(
            header.starts_with("attachment; filename=\"a__ filename_evil.html__Set-Cookie_ x_1 _ (version 3).md\";")
        );
        assert!(!header.contains('\r') && !header.contains('\n'));
        assert!(header.ends_with("filename*=UTF-8''a%22%3B%20filename%3Devil.html%0D%0ASet-Cookie%3A%20x%3D1%20%F0%9F%98%80%20%28version%203%29.md"));
    }
}
