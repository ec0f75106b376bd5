//! The admin endpoints (README, "Running Quire for a team"): the people on
//! the instance, disabling and promoting them, reset links, invitations and
//! who may sign up. Every one answers 403 to anyone but an admin.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;

use app::api::{Invite, Registration};

use super::{service, Body};
use crate::auth::Caller;
use crate::error::{Error, Result};
use crate::state::AppState;

fn invite_json(invite: &Invite) -> serde_json::Value {
    serde_json::json!({
        "id": invite.id,
        "created_at": invite.created_at,
        "expires_at": invite.expires_at,
        "uses": invite.uses,
        "used": invite.used,
        "group": invite.group,
    })
}

/// `GET /api/admin/users` -> `{"users": [...]}`, by username.
pub async fn users(State(state): State<AppState>, caller: Caller) -> Result<Response> {
    let view = service(state, caller)?.admin_page().await?;
    let users: Vec<serde_json::Value> = view
        .accounts
        .iter()
        .map(|account| {
            serde_json::json!({
                "username": account.username,
                "created_at": account.created_at,
                "last_seen_at": account.last_seen_at,
                "documents": account.documents,
                "storage_bytes": account.storage_bytes,
                "admin": account.admin,
                "disabled": account.disabled,
                "sso": account.sso,
            })
        })
        .collect();
    Ok(Json(serde_json::json!({ "users": users })).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccountPatch {
    pub disabled: Option<bool>,
    pub admin: Option<bool>,
}

/// `PATCH /api/admin/users/{name} {"disabled"?, "admin"?}` -> 204.
pub async fn update_user(
    State(state): State<AppState>,
    caller: Caller,
    Path(name): Path<String>,
    Body(patch): Body<AccountPatch>,
) -> Result<StatusCode> {
    if patch.disabled.is_none() && patch.admin.is_none() {
        return Err(Error::BadRequest("send \"disabled\" or \"admin\"".into()));
    }
    let service = service(state, caller)?;
    if let Some(admin) = patch.admin {
        service.make_admin(&name, admin).await?;
    }
    if let Some(disabled) = patch.disabled {
        service.disable(&name, disabled).await?;
    }
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize)]
pub struct Deletion {
    #[serde(default)]
    pub documents: String,
}

/// `DELETE /api/admin/users/{name}?documents=admin|trash` -> 204: the account
/// is gone; its documents are the admin's now, or in the admin's trash.
pub async fn delete_user(
    State(state): State<AppState>,
    caller: Caller,
    Path(name): Path<String>,
    axum::extract::Query(query): axum::extract::Query<Deletion>,
) -> Result<StatusCode> {
    let bequest = match query.documents.as_str() {
        "admin" => crate::store::Bequest::Admin,
        "trash" => crate::store::Bequest::Trash,
        _ => {
            return Err(Error::BadRequest("say where their documents go: ?documents=admin or ?documents=trash".into()))
        }
    };
    service(state, caller)?.delete_account(&name, bequest).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /api/admin/users/{name}/reset` -> 201 `{"url","expires_at"}`: a
/// one-time link with which the person sets a new password.
pub async fn reset_link(State(state): State<AppState>, caller: Caller, Path(name): Path<String>) -> Result<Response> {
    let link = service(state, caller)?.password_reset_link(&name).await?;
    let body = serde_json::json!({ "username": link.username, "url": link.path, "expires_at": link.expires_at });
    Ok((StatusCode::CREATED, Json(body)).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewInvite {
    #[serde(default)]
    pub expires_in_days: u32,
    #[serde(default = "one")]
    pub uses: u32,
    /// The id of a group whoever signs up through it joins.
    #[serde(default)]
    pub group: Option<String>,
}

fn one() -> u32 {
    1
}

/// `POST /api/invites {"expires_in_days","uses","group"}` -> 201 `{"id","url",...}`.
pub async fn create_invite(
    State(state): State<AppState>,
    caller: Caller,
    Body(body): Body<NewInvite>,
) -> Result<Response> {
    let made = service(state, caller)?.invite(body.expires_in_days, body.uses, body.group.as_deref()).await?;
    let mut json = invite_json(&made.invite);
    json["url"] = serde_json::Value::String(made.path);
    Ok((StatusCode::CREATED, Json(json)).into_response())
}

/// `GET /api/invites` -> `{"invites": [...]}`: those that still work.
pub async fn invites(State(state): State<AppState>, caller: Caller) -> Result<Response> {
    let invites: Vec<serde_json::Value> =
        service(state, caller)?.open_invites().await?.iter().map(invite_json).collect();
    Ok(Json(serde_json::json!({ "invites": invites })).into_response())
}

/// `DELETE /api/invites/{id}` -> 204.
pub async fn revoke_invite(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<StatusCode> {
    service(state, caller)?.uninvite(&id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegistrationBody {
    pub mode: String,
}

/// `GET /api/admin/registration` -> `{"mode","fixed"}`.
pub async fn registration(State(state): State<AppState>, caller: Caller) -> Result<Response> {
    let (mode, fixed) = service(state, caller)?.registration_setting().await?;
    Ok(Json(serde_json::json!({ "mode": mode.as_str(), "fixed": fixed })).into_response())
}

/// `PUT /api/admin/registration {"mode": "open"|"invite"|"closed"}` -> 204.
pub async fn set_registration(
    State(state): State<AppState>,
    caller: Caller,
    Body(body): Body<RegistrationBody>,
) -> Result<StatusCode> {
    let mode = Registration::parse(&body.mode)
        .ok_or_else(|| Error::BadRequest("mode must be open, invite or closed".into()))?;
    service(state, caller)?.choose_registration(mode).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize)]
pub struct AuditQuery {
    #[serde(default)]
    pub category: String,
    #[serde(default)]
    pub actor: String,
    #[serde(default)]
    pub since: String,
    #[serde(default)]
    pub before: String,
}

/// `GET /api/admin/audit?category=&actor=&since=YYYY-MM-DD&before=` ->
/// `{"entries": [...], "next_before"}`: 100 entries, newest first.
pub async fn audit(
    State(state): State<AppState>,
    caller: Caller,
    query: Result<axum::extract::Query<AuditQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Response> {
    let axum::extract::Query(query) = query.map_err(|rejection| Error::BadRequest(rejection.body_text()))?;
    let before = match query.before.trim() {
        "" => None,
        raw => Some(raw.parse::<i64>().map_err(|_| Error::BadRequest("before must be an entry's id".into()))?),
    };
    let page = service(state, caller)?.audit_page(&query.category, &query.actor, &query.since, before).await?;
    let entries: Vec<serde_json::Value> = page
        .entries
        .iter()
        .map(|entry| {
            serde_json::json!({
                "id": entry.id,
                "at": entry.at,
                "actor": entry.actor,
                "action": entry.action,
                "target": entry.target_kind.as_ref().map(|kind| serde_json::json!({
                    "kind": kind, "id": entry.target_id, "name": entry.target_name,
                })),
                "detail": entry.detail,
                "address": entry.address,
            })
        })
        .collect();
    Ok(Json(serde_json::json!({ "entries": entries, "next_before": page.next_before })).into_response())
}
