//! The group endpoints (README, "Running Quire for a team"): groups and who
//! is in them, documents shared with a group, and whether anyone may create
//! groups. The same rules as the groups page and the Share panel.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;

use app::api::Role;

use super::{service, Body, Membership};
use crate::auth::Caller;
use crate::error::{Error, Result};
use crate::state::AppState;

/// `GET /api/groups` -> `{"groups": [...], "can_create"}`, by name.
pub async fn list(State(state): State<AppState>, caller: Caller) -> Result<Response> {
    let view = service(state, caller)?.groups_view().await?;
    let groups: Vec<serde_json::Value> = view
        .groups
        .iter()
        .map(|group| {
            serde_json::json!({
                "id": group.id,
                "name": group.name,
                "member_count": group.member_count,
                "members": group.members,
                "is_member": group.is_member,
                "can_manage": group.can_manage,
            })
        })
        .collect();
    Ok(Json(serde_json::json!({ "groups": groups, "can_create": view.can_create })).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewGroup {
    pub name: String,
}

/// `POST /api/groups {"name"}` -> 201 `{"id","name"}`.
pub async fn create(State(state): State<AppState>, caller: Caller, Body(body): Body<NewGroup>) -> Result<Response> {
    let group = service(state, caller)?.make_group(&body.name).await?;
    Ok((StatusCode::CREATED, Json(serde_json::json!({ "id": group.id, "name": group.name }))).into_response())
}

/// `DELETE /api/groups/{id}` -> 204 (admins and the group's creator).
pub async fn delete(State(state): State<AppState>, caller: Caller, Path(id): Path<String>) -> Result<StatusCode> {
    service(state, caller)?.remove_group(&id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `PUT /api/groups/{id}/members/{name}` -> 204.
pub async fn add_member(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, name)): Path<(String, String)>,
) -> Result<StatusCode> {
    service(state, caller)?.join_group(&id, &name).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `DELETE /api/groups/{id}/members/{name}` -> 204 (a member may remove themselves).
pub async fn remove_member(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, name)): Path<(String, String)>,
) -> Result<StatusCode> {
    service(state, caller)?.leave_group(&id, &name).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `PUT /api/docs/{id}/groups/{group} {"role"}` -> 204 (owner only).
pub async fn share(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, group)): Path<(String, String)>,
    Body(body): Body<Membership>,
) -> Result<StatusCode> {
    let role =
        Role::parse_shared(&body.role).ok_or_else(|| Error::BadRequest("role must be viewer or editor".into()))?;
    service(state, caller)?.share_with_group(&id, &group, role).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `DELETE /api/docs/{id}/groups/{group}` -> 204 (owner only).
pub async fn unshare(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, group)): Path<(String, String)>,
) -> Result<StatusCode> {
    service(state, caller)?.unshare_with_group(&id, &group).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GroupCreation {
    pub anyone: bool,
}

/// `PUT /api/admin/group-creation {"anyone": bool}` -> 204: whether people
/// who are not admins may create groups.
pub async fn set_creation(
    State(state): State<AppState>,
    caller: Caller,
    Body(body): Body<GroupCreation>,
) -> Result<StatusCode> {
    service(state, caller)?.choose_group_creation(body.anyone).await?;
    Ok(StatusCode::NO_CONTENT)
}
