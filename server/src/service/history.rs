//! A document's history, as one caller may use it: listing and reading
//! versions, naming one, restoring one, renaming and deleting.
//!
//! Editors and owners see the history; viewers only where the owner allowed
//! it. Naming and restoring need an editor (guests who came by an editor link
//! included); renaming and deleting named versions are the owner's. A
//! restore is a forward edit through the document's room, written by the
//! restorer like any keystroke of theirs: everyone sees it live, offline
//! copies merge with it, and the text it replaced stays a version.

use app::api::ssr::Refusal;
use app::api::{validate_version_name, Identity, Role, VersionInfo};

use super::{internal, invalid, Service};
use crate::doc_id::DocId;
use crate::hub::UpdateError;
use crate::store::{Cut, VersionRow, Write};

impl Service {
    /// The document, if the caller may see its history.
    async fn history_of(&self, id: &str) -> Result<(DocId, Role), Refusal> {
        let (id, grant, _) = self.granted(id).await?;
        if grant.role == Role::Viewer && !self.state.store.history_for_viewers(&id).await.map_err(internal)? {
            return Err(Refusal::Forbidden);
        }
        Ok((id, grant.role))
    }

    /// Its versions, newest first.
    pub async fn versions(&self, id: &str) -> Result<Vec<VersionInfo>, Refusal> {
        let (id, _) = self.history_of(id).await?;
        let versions = self.state.store.versions(&id).await.map_err(internal)?;
        Ok(versions.into_iter().map(info).collect())
    }

    /// One version's metadata.
    pub async fn version(&self, id: &str, version: i64) -> Result<VersionInfo, Refusal> {
        let (id, _) = self.history_of(id).await?;
        self.state.store.version(&id, version).await.map_err(internal)?.map(info).ok_or(Refusal::NotFound)
    }

    /// One version's text, and the document's title.
    pub async fn version_markdown(&self, id: &str, version: i64) -> Result<(String, String), Refusal> {
        let (id, _) = self.history_of(id).await?;
        let title = self.state.store.document(&id).await.map_err(internal)?.map(|doc| doc.title).unwrap_or_default();
        let text = self.state.store.version_text(&id, version).await.map_err(internal)?.ok_or(Refusal::NotFound)?;
        Ok((text, title))
    }

    /// Keeps the text as it is now as a named version.
    pub async fn name_version(&self, id: &str, name: &str) -> Result<VersionInfo, Refusal> {
        let name = validate_version_name(name).map_err(invalid)?;
        let (id, role) = self.history_of(id).await?;
        if !role.can_edit() {
            return Err(Refusal::Forbidden);
        }
        // Through the writer: everything already accepted is in it.
        let persister = self.state.hub.persister();
        let version = persister.cut(id.clone(), Cut::Named(name)).await.map_err(internal)?;
        let Some(version) = version else {
            return Err(Refusal::Invalid("an empty document has nothing to keep yet".into()));
        };
        self.state.store.version(&id, version).await.map_err(internal)?.map(info).ok_or(Refusal::Internal)
    }

    /// Renames a version (None: unnamed, thinned like automatic ones). Owner only.
    pub async fn rename_version(&self, id: &str, version: i64, name: Option<&str>) -> Result<VersionInfo, Refusal> {
        let name = name.map(validate_version_name).transpose().map_err(invalid)?;
        let id = self.owned(id).await?;
        let store = &self.state.store;
        if !store.rename_version(&id, version, name.as_deref()).await.map_err(internal)? {
            return Err(Refusal::NotFound);
        }
        store.version(&id, version).await.map_err(internal)?.map(info).ok_or(Refusal::NotFound)
    }

    /// Deletes a version. Owner only.
    pub async fn delete_version(&self, id: &str, version: i64) -> Result<(), Refusal> {
        let id = self.owned(id).await?;
        if !self.state.store.delete_version(&id, version).await.map_err(internal)? {
            return Err(Refusal::NotFound);
        }
        Ok(())
    }

    /// Makes the document's text a version's again; returns the version that
    /// keeps the text it replaced.
    pub async fn restore_version(&self, id: &str, version: i64) -> Result<Option<i64>, Refusal> {
        let (id, role) = self.history_of(id).await?;
        if !role.can_edit() {
            return Err(Refusal::Forbidden);
        }
        let store = &self.state.store;
        let target = store.version_text(&id, version).await.map_err(internal)?.ok_or(Refusal::NotFound)?;
        let persister = self.state.hub.persister();
        let before = persister.cut(id.clone(), Cut::BeforeRestore).await.map_err(internal)?;
        // A room that closed under us (it was unloading) is opened afresh.
        for _ in 0..3 {
            let room = self.state.hub.room(&id).await.map_err(internal)?.ok_or(Refusal::NotFound)?;
            match room.replace_text(&target) {
                Ok(None) => return Ok(before),
                Ok(Some(applied)) => {
                    let Some(update) = applied.change else { return Ok(before) };
                    let author = self.caller.person().map(|person| std::sync::Arc::new(person.author()));
                    let write = Write { doc: id.clone(), update, author, introduced: applied.introduced };
                    persister.append(write, None).await;
                    // Answered once it is durable, like a keystroke's "Saved".
                    persister.flush(None).await;
                    return Ok(before);
                }
                Err(UpdateError::TooLarge) => {
                    return Err(Refusal::Invalid("that version is larger than documents may be now".into()))
                }
                Err(_) => continue,
            }
        }
        Err(Refusal::Internal)
    }

    /// Lets viewers see the history, or not. Owner only.
    pub async fn set_history_for_viewers(&self, id: &str, allowed: bool) -> Result<(), Refusal> {
        let id = self.owned(id).await?;
        self.state.store.set_history_for_viewers(&id, allowed).await.map_err(internal)
    }
}

fn info(row: VersionRow) -> VersionInfo {
    VersionInfo {
        id: row.id,
        created_at: row.created_at,
        kind: row.kind,
        name: row.name,
        size: row.size,
        authors: row.authors.into_iter().map(|author| Identity { name: author.name, color: author.color }).collect(),
    }
}
