//! Groups of people: the types, and the server functions of the groups page
//! and of sharing a document with a group (the Share panel). A document
//! shared with a group gives every member that role.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use super::types::Role;

/// Longest a group's name may be, in characters.
pub const MAX_GROUP_NAME: usize = 60;

/// A group as the groups page shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Group {
    pub id: String,
    pub name: String,
    pub member_count: i64,
    /// Usernames, for the group's members and those who manage it; None for
    /// everyone else (who sees only how many).
    pub members: Option<Vec<String>>,
    pub is_member: bool,
    /// Admins and the group's creator add and remove people and delete it.
    pub can_manage: bool,
}

/// Everything the groups page shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupsView {
    pub groups: Vec<Group>,
    /// The caller may create groups (admins, or anyone where allowed).
    pub can_create: bool,
    /// The caller's username.
    pub me: String,
}

/// A group a document is shared with, as the Share panel lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupShare {
    pub id: String,
    pub name: String,
    pub role: Role,
    pub members: i64,
    /// Who made it (and so decides who is in it, with the admins).
    pub creator: Option<String>,
}

/// A group one can pick (to share with, to invite into).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupChoice {
    pub id: String,
    pub name: String,
    /// Who made it (and so decides who is in it, with the admins): shown
    /// beside the name, so nobody shares with a look-alike group unawares.
    pub creator: Option<String>,
}

impl GroupChoice {
    /// "Design team (made by margaret)".
    pub fn label(&self) -> String {
        match &self.creator {
            Some(creator) => format!("{} (made by {creator})", self.name),
            None => self.name.clone(),
        }
    }
}

#[server(prefix = "/rpc")]
pub async fn load_groups() -> Result<GroupsView, ServerFnError> {
    Ok(super::ssr::backend()?.groups().await?)
}

#[server(prefix = "/rpc")]
pub async fn create_group(name: String) -> Result<GroupChoice, ServerFnError> {
    Ok(super::ssr::backend()?.create_group(name).await?)
}

#[server(prefix = "/rpc")]
pub async fn delete_group(group_id: String) -> Result<(), ServerFnError> {
    Ok(super::ssr::backend()?.delete_group(group_id).await?)
}

#[server(prefix = "/rpc")]
pub async fn add_group_member(group_id: String, username: String) -> Result<(), ServerFnError> {
    Ok(super::ssr::backend()?.add_group_member(group_id, username).await?)
}

/// Takes someone out of a group (a member may take themselves out).
#[server(prefix = "/rpc")]
pub async fn remove_group_member(group_id: String, username: String) -> Result<(), ServerFnError> {
    Ok(super::ssr::backend()?.remove_group_member(group_id, username).await?)
}

/// Shares a document with a group, or changes the group's role in it.
#[server(prefix = "/rpc")]
pub async fn share_with_group(id: String, group_id: String, role: String) -> Result<(), ServerFnError> {
    let role = Role::parse_shared(&role).ok_or_else(|| super::ssr::invalid("role must be viewer or editor"))?;
    Ok(super::ssr::backend()?.share_group(id, group_id, role).await?)
}

#[server(prefix = "/rpc")]
pub async fn unshare_group(id: String, group_id: String) -> Result<(), ServerFnError> {
    Ok(super::ssr::backend()?.unshare_group(id, group_id).await?)
}

/// Whether anyone (not only admins) may create groups.
#[server(prefix = "/rpc")]
pub async fn set_group_creation(anyone: bool) -> Result<(), ServerFnError> {
    Ok(super::ssr::backend()?.set_group_creation(anyone).await?)
}
