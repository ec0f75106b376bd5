//! Server functions of the history panel: a document's versions, one
//! version opened (rendered, and compared with the current text), naming,
//! restoring, renaming and deleting versions, who wrote the current text, and
//! the owner's switch that shows the history to viewers.

use leptos::prelude::*;

use super::types::*;

#[server(prefix = "/rpc")]
pub async fn list_versions(id: String) -> Result<HistoryList, ServerFnError> {
    Ok(super::ssr::backend()?.history(id).await?)
}

#[server(prefix = "/rpc")]
pub async fn open_version(id: String, version: i64) -> Result<VersionView, ServerFnError> {
    Ok(super::ssr::backend()?.open_version(id, version).await?)
}

/// Keeps the current text as a named version.
#[server(prefix = "/rpc")]
pub async fn name_version(id: String, name: String) -> Result<VersionInfo, ServerFnError> {
    Ok(super::ssr::backend()?.name_version(id, name).await?)
}

/// Keeps the current text as a version and answers the text of `version`,
/// which the browser then applies as an edit of the person's own (so they
/// can undo it).
#[server(prefix = "/rpc")]
pub async fn prepare_restore(id: String, version: i64) -> Result<String, ServerFnError> {
    Ok(super::ssr::backend()?.prepare_restore(id, version).await?)
}

/// Renames a named version; an empty name makes it automatic again.
#[server(prefix = "/rpc")]
pub async fn rename_version(id: String, version: i64, name: String) -> Result<(), ServerFnError> {
    let name = Some(name).filter(|name| !name.trim().is_empty());
    Ok(super::ssr::backend()?.rename_version(id, version, name).await?)
}

#[server(prefix = "/rpc")]
pub async fn delete_version(id: String, version: i64) -> Result<(), ServerFnError> {
    Ok(super::ssr::backend()?.delete_version(id, version).await?)
}

#[server(prefix = "/rpc")]
pub async fn get_authorship(id: String) -> Result<Authorship, ServerFnError> {
    Ok(super::ssr::backend()?.authorship(id).await?)
}

#[server(prefix = "/rpc")]
pub async fn set_history_access(id: String, viewers: bool) -> Result<(), ServerFnError> {
    Ok(super::ssr::backend()?.set_history_access(id, viewers).await?)
}
