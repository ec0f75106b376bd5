//! Server functions about documents: lists, opening, renaming, the trash, and
//! sharing. Each acts as the caller of the request (see [`super::ssr`]).

use leptos::prelude::*;

use super::types::*;

#[server(prefix = "/rpc")]
pub async fn list_documents() -> Result<DocList, ServerFnError> {
    Ok(super::ssr::backend()?.list().await?)
}

/// Creates a document and sends the browser to it (works without JavaScript too).
#[server(prefix = "/rpc")]
pub async fn create_document(title: String) -> Result<String, ServerFnError> {
    let id = super::ssr::backend()?.create(title).await?;
    leptos_axum::redirect(&format!("/d/{id}"));
    Ok(id)
}

/// The document, or None when it does not exist or the caller may not see it.
#[server(prefix = "/rpc")]
pub async fn load_document(id: String) -> Result<Option<DocView>, ServerFnError> {
    use super::ssr::Refusal;
    match super::ssr::backend()?.open(id).await {
        Ok(view) => Ok(Some(view)),
        Err(Refusal::NotFound) => Ok(None),
        Err(other) => Err(other.into()),
    }
}

#[server(prefix = "/rpc")]
pub async fn rename_document(id: String, title: String) -> Result<(), ServerFnError> {
    Ok(super::ssr::backend()?.rename(id, title).await?)
}

/// Moves a document to the trash (restorable for 30 days).
#[server(prefix = "/rpc")]
pub async fn delete_document(id: String) -> Result<(), ServerFnError> {
    Ok(super::ssr::backend()?.delete(id).await?)
}

#[server(prefix = "/rpc")]
pub async fn restore_document(id: String) -> Result<(), ServerFnError> {
    Ok(super::ssr::backend()?.restore(id).await?)
}

#[server(prefix = "/rpc")]
pub async fn list_trash() -> Result<TrashList, ServerFnError> {
    Ok(super::ssr::backend()?.trash().await?)
}

#[server(prefix = "/rpc")]
pub async fn get_sharing(id: String) -> Result<Sharing, ServerFnError> {
    Ok(super::ssr::backend()?.sharing(id).await?)
}

/// Shares with an account by username, or changes their role.
#[server(prefix = "/rpc")]
pub async fn share_document(id: String, username: String, role: String) -> Result<(), ServerFnError> {
    let role = Role::parse_shared(&role).ok_or_else(|| super::ssr::invalid("role must be viewer or editor"))?;
    Ok(super::ssr::backend()?.share(id, username, role).await?)
}

#[server(prefix = "/rpc")]
pub async fn unshare_document(id: String, username: String) -> Result<(), ServerFnError> {
    Ok(super::ssr::backend()?.unshare(id, username).await?)
}

/// A new share link; `expires_in_days` 0 means it never expires.
#[server(prefix = "/rpc")]
pub async fn create_share_link(id: String, role: String, expires_in_days: u32) -> Result<NewShareLink, ServerFnError> {
    let role = Role::parse_shared(&role).ok_or_else(|| ServerFnError::new("role must be viewer or editor"))?;
    Ok(super::ssr::backend()?.create_link(id, role, expires_in_days).await?)
}

#[server(prefix = "/rpc")]
pub async fn revoke_share_link(id: String, link_id: String) -> Result<(), ServerFnError> {
    Ok(super::ssr::backend()?.revoke_link(id, link_id).await?)
}
