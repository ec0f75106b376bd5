//! The caller's own account (README, "Your account"): who they are, their
//! password, signed-in sessions, and the list of personal API tokens.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;

use super::{service, Body};
use crate::auth::Caller;
use crate::error::Result;
use crate::state::AppState;

/// `GET /api/me` -> `{"username","admin","password","sso"}`: who the caller
/// is, whether the account has a password, and the identity it is connected
/// to at the single sign-on provider (null: none, or no provider).
pub async fn me(State(state): State<AppState>, caller: Caller) -> Result<Response> {
    use app::api::ssr::Backend;
    let service = service(state, caller)?;
    let me = service.me().await?;
    let sso = service.sso_status().await?;
    Ok(Json(serde_json::json!({
        "username": me.username,
        "admin": me.admin,
        "password": sso.has_password,
        "sso": sso.linked,
    }))
    .into_response())
}

/// `DELETE /api/me/sso` -> 204: disconnects the account from the single
/// sign-on provider (403 if it has no password to sign in with instead).
pub async fn unlink_sso(State(state): State<AppState>, caller: Caller) -> Result<StatusCode> {
    service(state, caller)?.unlink_sso().await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PasswordChange {
    pub current: String,
    pub new: String,
    /// Revoke every API token of the account too.
    #[serde(default)]
    pub revoke_tokens: bool,
}

/// `PUT /api/me/password {"current","new"}` -> 204: every other session is
/// signed out, this one stays (session only: `403` with an API token).
pub async fn change_password(
    State(state): State<AppState>,
    caller: Caller,
    Body(body): Body<PasswordChange>,
) -> Result<StatusCode> {
    service(state, caller)?.new_password(body.current, body.new, body.revoke_tokens).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /api/me/sessions` -> `{"sessions": [...]}`, the current one first.
pub async fn sessions(State(state): State<AppState>, caller: Caller) -> Result<Response> {
    let list = service(state, caller)?.my_sessions().await?;
    let sessions: Vec<serde_json::Value> = list
        .sessions
        .iter()
        .map(|session| {
            serde_json::json!({
                "id": session.id,
                "device": session.device,
                "address": session.address,
                "signed_in_at": session.signed_in_at,
                "last_active_at": session.last_active_at,
                "current": session.current,
            })
        })
        .collect();
    Ok(Json(serde_json::json!({ "sessions": sessions })).into_response())
}

/// `DELETE /api/me/sessions/{id}` -> 204: that session is signed out and its
/// sockets close.
pub async fn end_session(State(state): State<AppState>, caller: Caller, Path(id): Path<String>) -> Result<StatusCode> {
    service(state, caller)?.end_my_session(&id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `DELETE /api/me/sessions` -> 204: every session but the caller's is signed out.
pub async fn end_other_sessions(State(state): State<AppState>, caller: Caller) -> Result<StatusCode> {
    service(state, caller)?.end_my_other_sessions().await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /api/tokens` -> `{"tokens": [...]}`: those that still work (never their secrets).
pub async fn tokens(State(state): State<AppState>, caller: Caller) -> Result<Response> {
    let tokens: Vec<serde_json::Value> = service(state, caller)?
        .my_tokens()
        .await?
        .iter()
        .map(|token| {
            serde_json::json!({
                "id": token.id,
                "name": token.name,
                "created_at": token.created_at,
                "last_used_at": token.last_used_at,
                "expires_at": token.expires_at,
                "read_only": token.read_only,
            })
        })
        .collect();
    Ok(Json(serde_json::json!({ "tokens": tokens })).into_response())
}
