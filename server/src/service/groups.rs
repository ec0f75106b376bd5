//! Groups, as the caller: listing and creating them, who is in them, and
//! sharing a document with one. Admins and a group's creator manage it; a
//! member may leave. Every change to who is in a group reaches the open
//! sockets and lists of the people it concerns, on every instance, like any
//! other change to who may see a document.

use app::api::ssr::Refusal;
use app::api::*;

use super::audit::Audit;
use super::{internal, Service};
use crate::auth::SessionUser;
use crate::doc_id::DocId;
use crate::store::GroupRow;

/// The settings key saying whether anyone (not only admins) creates groups.
const GROUP_CREATION_KEY: &str = "group_creation";
/// Its value when anyone may.
const ANYONE: &str = "everyone";

impl Service {
    /// Whether people who are not admins may create groups.
    pub async fn anyone_creates_groups(&self) -> Result<bool, Refusal> {
        Ok(self.state.store.setting(GROUP_CREATION_KEY).await.map_err(internal)?.as_deref() == Some(ANYONE))
    }

    pub async fn choose_group_creation(&self, anyone: bool) -> Result<(), Refusal> {
        self.admin().await?;
        let value = if anyone { ANYONE } else { "admins" };
        self.state.store.set_setting(GROUP_CREATION_KEY, value).await.map_err(internal)?;
        self.record(Audit::new("admin.group_creation_changed").detail(value)).await;
        Ok(())
    }

    /// Every group, as the caller may see it: members' names only for a
    /// group's members and managers.
    pub async fn groups_view(&self) -> Result<GroupsView, Refusal> {
        let me = self.user()?.clone();
        let admin = self.is_admin().await;
        let store = &self.state.store;
        let mine = store.groups_of(&me.id).await.map_err(internal)?;
        let mut groups = Vec::new();
        for row in store.groups().await.map_err(internal)? {
            let is_member = mine.contains(&row.id);
            let can_manage = admin || row.created_by.as_deref() == Some(me.id.as_str());
            let members = if is_member || can_manage {
                let members = store.group_members(&row.id).await.map_err(internal)?;
                Some(members.into_iter().map(|(_, username)| username).collect())
            } else {
                None
            };
            groups.push(Group {
                id: row.id,
                name: row.name,
                member_count: row.members,
                members,
                is_member,
                can_manage,
            });
        }
        Ok(GroupsView { groups, can_create: admin || self.anyone_creates_groups().await?, me: me.username })
    }

    pub async fn make_group(&self, name: &str) -> Result<GroupChoice, Refusal> {
        let me = self.user()?.clone();
        if !self.is_admin().await && !self.anyone_creates_groups().await? {
            return Err(Refusal::AdminOnly);
        }
        let name = validate_group_name(name)?;
        let id = uuid::Uuid::new_v4().to_string();
        if !self.state.store.create_group(&id, &name, &me.id).await.map_err(internal)? {
            return Err(Refusal::Invalid(format!("There is a group called “{name}” already.")));
        }
        tracing::info!(group = %id, "group created");
        self.record(Audit::new("group.created").target("group", &id, Some(name.clone()))).await;
        Ok(GroupChoice { id, name, creator: Some(me.username) })
    }

    /// The group, if the caller manages it (admins and its creator); a
    /// group they may not manage is Forbidden, one that does not exist NotFound.
    async fn managed_group(&self, group_id: &str) -> Result<(SessionUser, GroupRow), Refusal> {
        let me = self.user()?.clone();
        let group = self.state.store.group(group_id).await.map_err(internal)?.ok_or_else(no_such_group)?;
        if group.created_by.as_deref() != Some(me.id.as_str()) && !self.is_admin().await {
            return Err(Refusal::Denied("Only an admin or whoever created the group can change it.".into()));
        }
        Ok((me, group))
    }

    /// Removes a group: every document shared with it re-checks its open
    /// sockets and lists, on every instance.
    pub async fn remove_group(&self, group_id: &str) -> Result<(), Refusal> {
        let (_, group) = self.managed_group(group_id).await?;
        let store = &self.state.store;
        let members: Vec<String> =
            store.group_members(&group.id).await.map_err(internal)?.into_iter().map(|(id, _)| id).collect();
        let docs = store.delete_group(&group.id).await.map_err(internal)?;
        // Whoever saw these documents through the group hears, as do those who still see them.
        for doc in docs.iter().filter_map(|id| DocId::parse(id)) {
            let mut audience = self.audience(&doc).await?;
            audience.extend(members.iter().cloned());
            self.access_changed(&doc, &audience);
        }
        tracing::info!(group = %group.id, "group deleted");
        self.record(Audit::new("group.deleted").target("group", group.id, Some(group.name))).await;
        Ok(())
    }

    pub async fn join_group(&self, group_id: &str, username: &str) -> Result<(), Refusal> {
        let (_, group) = self.managed_group(group_id).await?;
        let store = &self.state.store;
        let username = normalize_username(username);
        let Some(member) = store.user_by_name(&username).await.map_err(internal)? else {
            return Err(Refusal::Invalid(format!("Nobody is called “{username}” here.")));
        };
        if store.add_group_member(&group.id, &member.id).await.map_err(internal)? {
            self.membership_changed(&group.id, &member.id).await?;
            let added = Audit::new("group.member_added").target("group", group.id, Some(group.name));
            self.record(added.detail(member.username)).await;
        }
        Ok(())
    }

    /// Takes someone out of a group: managers may take anyone out, a member
    /// themselves. What they could open only through it closes at once.
    pub async fn leave_group(&self, group_id: &str, username: &str) -> Result<(), Refusal> {
        let me = self.user()?.clone();
        let username = normalize_username(username);
        let group = if username == me.username {
            self.state.store.group(group_id).await.map_err(internal)?.ok_or_else(no_such_group)?
        } else {
            self.managed_group(group_id).await?.1
        };
        let store = &self.state.store;
        let Some(member) = store.user_by_name(&username).await.map_err(internal)? else {
            return Err(Refusal::Invalid(format!("Nobody is called “{username}” here.")));
        };
        if store.remove_group_member(&group.id, &member.id).await.map_err(internal)? {
            self.membership_changed(&group.id, &member.id).await?;
            let removed = Audit::new("group.member_removed").target("group", group.id, Some(group.name));
            self.record(removed.detail(member.username)).await;
        }
        Ok(())
    }

    /// Someone joined or left a group: their sockets (any document, any
    /// instance) re-check, and their lists reload.
    async fn membership_changed(&self, group_id: &str, account: &str) -> Result<(), Refusal> {
        self.state.hub.account_changed(account);
        let account = account.to_string();
        for doc in self.group_docs(group_id).await? {
            self.state.events.document_changed([&account], &doc);
        }
        Ok(())
    }

    async fn group_docs(&self, group_id: &str) -> Result<Vec<DocId>, Refusal> {
        let ids = self.state.store.group_documents(group_id).await.map_err(internal)?;
        Ok(ids.iter().filter_map(|id| DocId::parse(id)).collect())
    }

    pub async fn share_with_group(&self, id: &str, group_id: &str, role: Role) -> Result<(), Refusal> {
        let (id, doc) = self.owned_doc(id).await?;
        let store = &self.state.store;
        let group = store.group(group_id).await.map_err(internal)?.ok_or_else(no_such_group)?;
        store.set_doc_group(id.as_str(), &group.id, role).await.map_err(internal)?;
        let audience = self.audience(&id).await?;
        self.access_changed(&id, &audience);
        let shared = Audit::new("document.group_shared").target("document", doc.id, Some(doc.title));
        self.record(shared.detail(format!("with {} as {}", group.name, role.as_str()))).await;
        Ok(())
    }

    pub async fn unshare_with_group(&self, id: &str, group_id: &str) -> Result<(), Refusal> {
        let (id, doc) = self.owned_doc(id).await?;
        let audience = self.audience(&id).await?;
        let store = &self.state.store;
        let group = store.group(group_id).await.map_err(internal)?;
        if store.remove_doc_group(id.as_str(), group_id).await.map_err(internal)? {
            let name = group.map_or_else(|| group_id.to_string(), |group| group.name);
            let unshared = Audit::new("document.group_unshared").target("document", doc.id, Some(doc.title));
            self.record(unshared.detail(format!("with {name}"))).await;
        }
        self.access_changed(&id, &audience);
        Ok(())
    }

    /// The groups a document is shared with, and (for its owner) every group
    /// to choose from.
    pub async fn document_groups(
        &self,
        id: &DocId,
        owner: bool,
    ) -> Result<(Vec<GroupShare>, Vec<GroupChoice>), Refusal> {
        let store = &self.state.store;
        let shared = store.doc_groups(id.as_str()).await.map_err(internal)?;
        let shared = shared
            .into_iter()
            .map(|row| GroupShare {
                id: row.id,
                name: row.name,
                role: row.role,
                members: row.members,
                creator: row.creator,
            })
            .collect();
        let choices = if owner { self.group_choices().await? } else { Vec::new() };
        Ok((shared, choices))
    }

    pub async fn group_choices(&self) -> Result<Vec<GroupChoice>, Refusal> {
        let rows = self.state.store.groups().await.map_err(internal)?;
        Ok(rows.into_iter().map(|row| GroupChoice { id: row.id, name: row.name, creator: row.creator }).collect())
    }
}

/// A group's name, trimmed: 1 to [`MAX_GROUP_NAME`] characters, none of them
/// control characters.
fn validate_group_name(name: &str) -> Result<String, Refusal> {
    let name = name.trim();
    let length = name.chars().count();
    if length == 0 || length > MAX_GROUP_NAME || name.chars().any(char::is_control) {
        return Err(Refusal::Invalid(format!("Give the group a name of 1 to {MAX_GROUP_NAME} characters.")));
    }
    Ok(name.to_string())
}

fn no_such_group() -> Refusal {
    Refusal::Invalid("There is no such group.".into())
}

#[cfg(test)]
mod tests {
    use super::validate_group_name;

    #[test]
    fn group_names_are_trimmed_and_bounded() {
        assert_eq!(validate_group_name("  Design team ").unwrap(), "Design team");
        assert!(validate_group_name("   ").is_err());
        assert!(validate_group_name(&"x".repeat(61)).is_err());
        assert!(validate_group_name("a\nb").is_err());
        assert_eq!(validate_group_name(&"é".repeat(60)).unwrap().chars().count(), 60);
    }
}
