//! A document's history, as one caller may use it: listing and reading
//! versions, naming one, restoring one, renaming and deleting.
//!
//! Editors and owners see the history; viewers only where the owner allowed
//! it. Naming and restoring need an editor (guests who came by an editor link
//! included); renaming and deleting named versions are the owner's. A
//! restore is a forward edit through the document's room, written by the
//! restorer like any keystroke of theirs: everyone sees it live, offline
//! copies merge with it, and the text it replaced stays a version.

use std::collections::HashMap;

use app::api::ssr::Refusal;
use app::api::{validate_version_name, AuthorSpan, Authorship, HistoryList, Identity, Role, VersionInfo, VersionView};

use super::{internal, invalid, Service};
use crate::doc_id::DocId;
use crate::hub::UpdateError;
use crate::store::{now_ms, ClientRange, Cut, VersionRow, Write};

/// Named versions one document may have (they are never thinned).
const MAX_NAMED_VERSIONS: i64 = 1_000;

/// Most lines of a diff the history panel is sent.
const MAX_DIFF_LINES: usize = 2_000;

impl Service {
    /// The document, if the caller may see its history.
    async fn history_of(&self, id: &str) -> Result<(DocId, Role), Refusal> {
        let (id, grant, _) = self.granted(id).await?;
        if !self.may_see_history(&id, grant.role).await? {
            return Err(Refusal::Forbidden);
        }
        Ok((id, grant.role))
    }

    /// Whether the caller, with this role, may open the document's history.
    pub(super) async fn may_see_history(&self, id: &DocId, role: Role) -> Result<bool, Refusal> {
        Ok(role != Role::Viewer || self.state.store.history_for_viewers(id).await.map_err(internal)?)
    }

    /// The history panel's list.
    pub async fn history_list(&self, id: &str) -> Result<HistoryList, Refusal> {
        let (id, role) = self.history_of(id).await?;
        let versions = self.state.store.versions(&id).await.map_err(internal)?;
        Ok(HistoryList {
            versions: versions.into_iter().map(info).collect(),
            can_edit: role.can_edit(),
            can_manage: role == Role::Owner,
            now: now_ms(),
        })
    }

    /// One version, rendered and compared with the current text.
    pub async fn version_view(&self, id: &str, version: i64) -> Result<VersionView, Refusal> {
        let (id, _) = self.history_of(id).await?;
        let store = &self.state.store;
        let info = store.version(&id, version).await.map_err(internal)?.map(info).ok_or(Refusal::NotFound)?;
        let text = store.version_text(&id, version).await.map_err(internal)?.ok_or(Refusal::NotFound)?;
        let current = self.state.hub.markdown(&id).await.map_err(internal)?.unwrap_or_default();
        // Rendering and diffing a large text is CPU work: off the async threads.
        let (html, diff, left_out) = tokio::task::spawn_blocking(move || {
            let (diff, left_out) = app::collab::compare::line_diff(&text, &current, MAX_DIFF_LINES);
            (app::markdown::render(&text), diff, left_out)
        })
        .await
        .map_err(|_| Refusal::Internal)?;
        Ok(VersionView { info, html, diff, left_out })
    }

    /// Keeps the current text as a version, and answers the text of
    /// `version` for the browser to apply as the person's own edit.
    pub async fn restore_in_browser(&self, id: &str, version: i64) -> Result<String, Refusal> {
        let (id, role) = self.history_of(id).await?;
        if !role.can_edit() {
            return Err(Refusal::Forbidden);
        }
        let target = self.state.store.version_text(&id, version).await.map_err(internal)?.ok_or(Refusal::NotFound)?;
        // The browser's edit would be refused by the room (and retried for ever).
        if target.encode_utf16().count() as u64 > u64::from(self.state.config.max_document_chars) {
            return Err(too_large());
        }
        self.keep_before_restore(&id).await?;
        Ok(target)
    }

    /// The current text in pieces, each with the person who wrote it.
    pub async fn authorship(&self, id: &str) -> Result<Authorship, Refusal> {
        let (id, _) = self.history_of(id).await?;
        let store = &self.state.store;
        let room = self.state.hub.room(&id).await.map_err(internal)?.ok_or(Refusal::NotFound)?;
        // On a copy of the document, away from the room's lock.
        let encoded = room.encoded();
        let pieces = tokio::task::spawn_blocking(move || {
            app::collab::doc::doc_from_updates([encoded.as_slice()])
                .map(|rebuilt| app::collab::doc::authored_pieces(&rebuilt.doc))
        })
        .await
        .map_err(|_| Refusal::Internal)?
        .map_err(|_| Refusal::Internal)?;
        let ranges = store.client_ranges(&id).await.map_err(internal)?;
        let people = store.people(&id).await.map_err(internal)?;
        let index: HashMap<&str, u32> =
            people.iter().enumerate().map(|(n, person)| (person.key.as_str(), n as u32)).collect();
        let spans = attribute(&pieces, &ranges, |key| index.get(key).copied());
        Ok(Authorship { people: distinct_colors(people), spans })
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
        if self.state.store.named_versions(&id).await.map_err(internal)? >= MAX_NAMED_VERSIONS {
            return Err(Refusal::Invalid(format!(
                "This document has {MAX_NAMED_VERSIONS} named versions already: delete some to name another."
            )));
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
        let before = self.keep_before_restore(&id).await?;
        // A room that closed under us (it was unloading) is opened afresh.
        for _ in 0..3 {
            let room = self.state.hub.room(&id).await.map_err(internal)?.ok_or(Refusal::NotFound)?;
            match room.replace_text(&target).await {
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
                Err(UpdateError::TooLarge) => return Err(too_large()),
                Err(_) => continue,
            }
        }
        Err(Refusal::Internal)
    }

    /// Keeps the text as the document's room has it (everything accepted,
    /// from this instance and relayed, committed or about to be) as the
    /// version a restore is about to replace.
    async fn keep_before_restore(&self, id: &DocId) -> Result<Option<i64>, Refusal> {
        let room = self.state.hub.room(id).await.map_err(internal)?.ok_or(Refusal::NotFound)?;
        let text = room.markdown();
        self.state.hub.persister().keep(id.clone(), Cut::BeforeRestore, text).await.map_err(internal)
    }

    /// Lets viewers see the history, or not. Owner only.
    pub async fn set_history_for_viewers(&self, id: &str, allowed: bool) -> Result<(), Refusal> {
        let id = self.owned(id).await?;
        self.state.store.set_history_for_viewers(&id, allowed).await.map_err(internal)
    }
}

/// Splits each piece `(client, first clock, text)` where the person who
/// introduced its clocks changes, and joins neighbours by the same person.
fn attribute(
    pieces: &[(u64, u32, String)],
    ranges: &[ClientRange],
    person_of: impl Fn(&str) -> Option<u32>,
) -> Vec<AuthorSpan> {
    let mut by_client: HashMap<u64, Vec<&ClientRange>> = HashMap::new();
    for range in ranges {
        by_client.entry(range.client).or_default().push(range);
    }
    let mut spans: Vec<AuthorSpan> = Vec::new();
    let mut push = |text: String, person: Option<u32>| match spans.last_mut() {
        Some(last) if last.person == person => last.text.push_str(&text),
        _ => spans.push(AuthorSpan { text, person }),
    };
    for (client, clock, text) in pieces {
        let units: Vec<u16> = text.encode_utf16().collect();
        let client_ranges = by_client.get(client).map(Vec::as_slice).unwrap_or_default();
        let mut at = 0usize;
        while at < units.len() {
            let here = clock + at as u32;
            // Ranges come sorted by start: the last one starting at or before here.
            let after = client_ranges.partition_point(|range| range.start <= here);
            let range = after.checked_sub(1).map(|n| client_ranges[n]).filter(|range| here < range.end);
            // Up to where this range ends, or the next one starts.
            let until = match range {
                Some(range) => (range.end - clock) as usize,
                None => client_ranges.get(after).map_or(units.len(), |next| (next.start - clock) as usize),
            };
            let mut end = until.clamp(at + 1, units.len());
            // Never between the halves of a surrogate pair.
            if end < units.len() && (0xDC00..0xE000).contains(&units[end]) {
                end += 1;
            }
            push(String::from_utf16_lossy(&units[at..end]), range.and_then(|range| person_of(&range.author)));
            at = end;
        }
    }
    spans
}

/// People as the authors view shows them: two people never in one colour
/// (guests pick theirs at random), so everyone's text can be told apart.
fn distinct_colors(people: Vec<crate::store::Author>) -> Vec<Identity> {
    let mut used: Vec<String> = Vec::new();
    people
        .into_iter()
        .map(|person| {
            let color = if used.contains(&person.color) {
                crate::auth::COLORS
                    .iter()
                    .find(|color| !used.iter().any(|taken| taken == *color))
                    .map_or(person.color.clone(), |color| color.to_string())
            } else {
                person.color
            };
            used.push(color.clone());
            Identity { name: person.name, color }
        })
        .collect()
}

fn too_large() -> Refusal {
    Refusal::Invalid("That version is larger than documents may be now, so it cannot be restored.".into())
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

#[cfg(test)]
mod tests {
    use super::*;

    fn range(client: u64, start: u32, end: u32, author: &str) -> ClientRange {
        ClientRange { client, start, end, author: author.into() }
    }

    #[test]
    fn pieces_are_split_where_their_author_changes_and_joined_where_not() {
        let pieces = vec![(1, 0, "Hello".to_string()), (2, 0, " 😀 world".to_string()), (1, 5, "!".to_string())];
        let ranges = vec![range(1, 0, 10, "ada"), range(2, 0, 4, "bob"), range(2, 4, 20, "ada")];
        let person = |key: &str| match key {
            "ada" => Some(0),
            "bob" => Some(1),
            _ => None,
        };
        let spans = attribute(&pieces, &ranges, person);
        let flat: Vec<(&str, Option<u32>)> = spans.iter().map(|s| (s.text.as_str(), s.person)).collect();
        // " 😀 " is 4 UTF-16 units: bob's; the rest of that piece is ada's.
        assert_eq!(flat, vec![("Hello", Some(0)), (" 😀 ", Some(1)), ("world!", Some(0))]);
        // Text nobody is recorded for (before authorship) is nobody's.
        let spans = attribute(&[(9, 0, "old".into())], &ranges, person);
        assert_eq!(spans, vec![AuthorSpan { text: "old".into(), person: None }]);
    }
}
