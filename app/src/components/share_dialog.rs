//! The owner's "Share" panel: rename, people (by username, as viewer or
//! editor, the role changeable in place), groups (every member gets the
//! role), share links (view or edit,
//! optionally expiring, copied with one press, revocable), and moving the
//! document to the trash; what cannot be undone asks first. Every change
//! takes effect on the others' open pages within a second (the server
//! re-checks their sockets).
//!
//! It is a modal `<dialog>`: the browser moves the focus into it and keeps it
//! there, Escape closes it, and the focus returns to the Share button.

use leptos::form::ActionForm;
use leptos::html::Dialog;
use leptos::prelude::*;

use crate::api::{
    error_text, get_sharing, CreateShareLink, DeleteDocument, GroupChoice, GroupShare, RenameDocument, RevokeShareLink,
    Role, SetHistoryAccess, ShareDocument, ShareWithGroup, UnshareDocument, UnshareGroup,
};
use crate::components::confirm_button::ConfirmButton;
use crate::components::copy_link::CopyLink;
use crate::components::modal::{clicked_backdrop, modal};

/// "Expires in 3 hours", "Expires in 7 days"… for a link expiring at
/// `expires_at` (ms since the epoch) seen at `now`.
pub fn expiry_text(expires_at: Option<i64>, now: i64) -> String {
    const MINUTE: i64 = 60_000;
    const HOUR: i64 = 60 * MINUTE;
    const DAY: i64 = 24 * HOUR;
    let Some(at) = expires_at else { return "Never expires".into() };
    let left = at - now;
    if left <= 0 {
        return "Expired".into();
    }
    let (count, unit) = if left < HOUR {
        ((left + MINUTE - 1) / MINUTE, "minute")
    } else if left < DAY {
        ((left + HOUR - 1) / HOUR, "hour")
    } else {
        ((left + DAY / 2) / DAY, "day")
    };
    format!("Expires in {count} {unit}{}", if count == 1 { "" } else { "s" })
}

#[component]
pub fn ShareDialog(
    doc_id: String,
    title: ReadSignal<String>,
    set_title: WriteSignal<String>,
    open: RwSignal<bool>,
    /// The owner (who manages all this); an editor only sees who has access.
    manage: bool,
    /// The owner's username, listed first.
    owner: Option<String>,
) -> impl IntoView {
    let rename = ServerAction::<RenameDocument>::new();
    let share = ServerAction::<ShareDocument>::new();
    let unshare = ServerAction::<UnshareDocument>::new();
    let create_link = ServerAction::<CreateShareLink>::new();
    let revoke_link = ServerAction::<RevokeShareLink>::new();
    let delete = ServerAction::<DeleteDocument>::new();
    let history_access = ServerAction::<SetHistoryAccess>::new();
    let share_group = ServerAction::<ShareWithGroup>::new();
    let unshare_group = ServerAction::<UnshareGroup>::new();
    let id = doc_id.clone();
    let sharing = Resource::new(
        move || {
            (
                share.version().get(),
                unshare.version().get(),
                create_link.version().get(),
                revoke_link.version().get(),
                share_group.version().get(),
                unshare_group.version().get(),
            )
        },
        move |_| get_sharing(id.clone()),
    );
    Effect::new(move |_| {
        if let Some(Ok(())) = rename.value().get() {
            if let Some(input) = rename.input().get() {
                set_title.set(input.title.trim().to_string());
            }
        }
    });
    Effect::new(move |_| {
        if let Some(Ok(())) = delete.value().get() {
            leptos_router::hooks::use_navigate()("/", Default::default());
        }
    });
    let (unshare_id, revoke_id, delete_id) = (doc_id.clone(), doc_id.clone(), doc_id.clone());
    let (rename_id, share_id, link_id) = (doc_id.clone(), doc_id.clone(), doc_id.clone());
    let role_id = doc_id.clone();
    let groups_id = doc_id.clone();
    let history_id = doc_id;
    let dialog = NodeRef::<Dialog>::new();
    let close = modal(dialog, open);
    let error = move || {
        [
            rename.value().get(),
            share.value().get(),
            unshare.value().get(),
            revoke_link.value().get(),
            delete.value().get(),
            history_access.value().get(),
            share_group.value().get(),
            unshare_group.value().get(),
        ]
        .into_iter()
        .flatten()
        .find_map(|r| r.err())
        .or_else(|| create_link.value().get().and_then(|r| r.err()))
        .map(|e| view! { <p class="error" role="alert">{error_text(&e)}</p> })
    };
    view! {
        <dialog node_ref=dialog class="dialog" aria-labelledby="share-heading" data-testid="share-dialog"
            on:close=move |_| open.set(false)
            // A press on the backdrop lands on the dialog element itself.
            on:click=move |event| {
                if clicked_backdrop(&event) {
                    close();
                }
            }>
            <header class="dialog-head">
                <h2 id="share-heading">{if manage { "Share and manage" } else { "Who has access" }}</h2>
                <button type="button" class="button subtle" aria-label="Close" on:click=move |_| close()>"✕"</button>
            </header>
            {error}
            {manage.then(|| view! {
                <h3>"Title"</h3>
                <ActionForm action=rename attr:class="row-form">
                    <input type="hidden" name="id" value=rename_id/>
                    <input name="title" type="text" required maxlength="200" prop:value=move || title.get() aria-label="Title"/>
                    <button type="submit" class="button">"Rename"</button>
                </ActionForm>
            })}

            <h3>"People"</h3>
            {manage.then(|| view! {
                <ActionForm action=share attr:class="row-form">
                    <input type="hidden" name="id" value=share_id/>
                    <input name="username" type="text" required placeholder="Username" aria-label="Username to share with" autocomplete="off"/>
                    <RolePicker name="role"/>
                    <button type="submit" class="button primary">"Share"</button>
                </ActionForm>
            })}
            <Transition fallback=|| ()>
                {move || sharing.get().and_then(Result::ok).map(|sharing| {
                    let unshare_id = unshare_id.clone();
                    let revoke_id = revoke_id.clone();
                    let role_id = role_id.clone();
                    let history_id = history_id.clone();
                    let groups = GroupsPart {
                        doc_id: groups_id.clone(),
                        shared: sharing.groups.clone(),
                        choices: sharing.group_choices.clone(),
                        manage,
                        share: share_group,
                        unshare: unshare_group,
                    };
                    let now = sharing.now;
                    let history_for_viewers = sharing.history_for_viewers;
                    let owner = owner.clone();
                    view! {
                        <ul class="share-list" data-testid="members">
                            {owner.map(|owner| view! {
                                <li><span class="who">{owner}</span><span class="muted">"Owner"</span></li>
                            })}
                            {sharing.members.into_iter().map(|member| {
                                let (id, name) = (unshare_id.clone(), member.username.clone());
                                let (doc, person) = (role_id.clone(), member.username.clone());
                                let change_role = move |event: leptos::ev::Event| {
                                    share.dispatch(ShareDocument {
                                        id: doc.clone(),
                                        username: person.clone(),
                                        role: event_target_value(&event),
                                    });
                                };
                                let remove = Callback::new(move |()| {
                                    unshare.dispatch(UnshareDocument { id: id.clone(), username: name.clone() });
                                });
                                let is_editor = member.role == Role::Editor;
                                if !manage {
                                    return view! {
                                        <li>
                                            <span class="who">{member.username.clone()}</span>
                                            <span class="muted">{member.role.label()}</span>
                                        </li>
                                    }
                                    .into_any();
                                }
                                view! {
                                    <li>
                                        <span class="who">{member.username.clone()}</span>
                                        <select aria-label=format!("Role of {}", member.username) data-testid="member-role"
                                            on:change=change_role>
                                            <option value="editor" selected=is_editor>"Can edit"</option>
                                            <option value="viewer" selected=!is_editor>"Can view"</option>
                                        </select>
                                        <ConfirmButton label="Remove".into() question=format!("Remove {}?", member.username)
                                            class="subtle" testid="remove-member" on_confirm=remove/>
                                    </li>
                                }
                                .into_any()
                            }).collect_view()}
                        </ul>
                        {groups.view()}
                        <h3 hidden=!manage>"Links"</h3>
                        <ul class="share-list" data-testid="links">
                            {sharing.links.into_iter().map(|link| {
                                let (id, link_id) = (revoke_id.clone(), link.id.clone());
                                let revoke = Callback::new(move |()| {
                                    revoke_link.dispatch(RevokeShareLink { id: id.clone(), link_id: link_id.clone() });
                                });
                                view! {
                                    <li>
                                        <span class="who">{if link.role == Role::Editor { "Edit link" } else { "View link" }}</span>
                                        <span class="muted" data-testid="link-expiry">{expiry_text(link.expires_at, now)}</span>
                                        <ConfirmButton label="Revoke".into() question="Revoke it?".into()
                                            class="danger" testid="revoke-link" on_confirm=revoke/>
                                    </li>
                                }
                            }).collect_view()}
                        </ul>
                        {manage.then(|| view! {
                            <h3>"History"</h3>
                            <label class="check">
                                <input type="checkbox" data-testid="history-for-viewers" checked=history_for_viewers
                                    on:change=move |event| {
                                        history_access.dispatch(SetHistoryAccess {
                                            id: history_id.clone(),
                                            viewers: event_target_checked(&event),
                                        });
                                    }/>
                                "Viewers can see the history"
                            </label>
                            <p class="muted">"Editors always can. Viewers then see every earlier version, and who wrote what."</p>
                        })}
                    }
                })}
            </Transition>
            {manage.then(|| view! {
                <ActionForm action=create_link attr:class="row-form">
                    <input type="hidden" name="id" value=link_id/>
                    <RolePicker name="role"/>
                    <select name="expires_in_days" aria-label="Link expires">
                        <option value="0">"Never expires"</option>
                        <option value="1">"Expires in 1 day"</option>
                        <option value="7">"Expires in 7 days"</option>
                        <option value="30">"Expires in 30 days"</option>
                    </select>
                    <button type="submit" class="button" data-testid="create-link">"Create link"</button>
                </ActionForm>
                {move || create_link.value().get().and_then(Result::ok).map(|new| view! {
                    <div class="notice" role="status">
                        <p>"Anyone with this link " {if new.link.role == Role::Editor { "can edit" } else { "can view" }} ". It is shown only now:"</p>
                        <CopyLink path=new.path label="The new link" testid="new-link"/>
                    </div>
                })}

                <h3>"Delete"</h3>
                <p class="muted">"Moves the document to your trash; you can restore it for 30 days. Everyone else loses access at once."</p>
                <ConfirmButton label="Move to trash".into() question="Move it to the trash?".into()
                    class="danger" testid="delete-doc"
                    on_confirm=Callback::new(move |()| { delete.dispatch(DeleteDocument { id: delete_id.clone() }); })/>
            })}
        </dialog>
    }
    // Erased: the page's whole view type is otherwise too deep for the compiler.
    .into_any()
}

#[cfg(test)]
mod tests {
    use super::expiry_text;

    #[test]
    fn expiry_reads_as_people_say_it() {
        let now = 1_000_000_000_000;
        let hour = 3_600_000;
        assert_eq!(expiry_text(None, now), "Never expires");
        assert_eq!(expiry_text(Some(now - 1), now), "Expired");
        assert_eq!(expiry_text(Some(now + 60_000), now), "Expires in 1 minute");
        assert_eq!(expiry_text(Some(now + 59 * 60_000 + 1), now), "Expires in 60 minutes");
        assert_eq!(expiry_text(Some(now + 5 * hour), now), "Expires in 5 hours");
        assert_eq!(expiry_text(Some(now + 24 * hour), now), "Expires in 1 day");
        // A link made "for 7 days" a few seconds ago still says 7 days.
        assert_eq!(expiry_text(Some(now + 7 * 24 * hour - 5_000), now), "Expires in 7 days");
    }
}

/// The panel's groups: those the document is shared with (role changeable,
/// removable by the owner), and a form to share with one more.
struct GroupsPart {
    doc_id: String,
    shared: Vec<GroupShare>,
    choices: Vec<GroupChoice>,
    manage: bool,
    share: ServerAction<ShareWithGroup>,
    unshare: ServerAction<UnshareGroup>,
}

impl GroupsPart {
    fn view(self) -> impl IntoView {
        let GroupsPart { doc_id, shared, choices, manage, share, unshare } = self;
        // Nothing to show: no groups on the server, or none shared (for an editor).
        if shared.is_empty() && (!manage || choices.is_empty()) {
            return ().into_any();
        }
        let unshared: Vec<GroupChoice> =
            choices.into_iter().filter(|choice| !shared.iter().any(|group| group.id == choice.id)).collect();
        let form_id = doc_id.clone();
        view! {
            <h3>"Groups"</h3>
            {(manage && !unshared.is_empty()).then(|| view! {
                <ActionForm action=share attr:class="row-form">
                    <input type="hidden" name="id" value=form_id/>
                    <select name="group_id" aria-label="Group to share with" data-testid="share-group-choice" required>
                        {unshared.into_iter().map(|group| {
                            let label = group.label();
                            view! { <option value=group.id>{label}</option> }
                        }).collect_view()}
                    </select>
                    <RolePicker name="role"/>
                    <button type="submit" class="button primary" data-testid="share-group" aria-label="Share with the group">"Share"</button>
                </ActionForm>
            })}
            <ul class="share-list" data-testid="groups">
                {shared.into_iter().map(|group| {
                    let mut people = format!("{} {}", group.members, if group.members == 1 { "person" } else { "people" });
                    if let Some(creator) = &group.creator {
                        people.push_str(&format!(" · made by {creator}"));
                    }
                    if !manage {
                        return view! {
                            <li>
                                <span class="who">{group.name}<span class="group-size">{people}</span></span>
                                <span class="muted">{group.role.label()}</span>
                            </li>
                        }
                        .into_any();
                    }
                    let (doc, group_id) = (doc_id.clone(), group.id.clone());
                    let change_role = move |event: leptos::ev::Event| {
                        share.dispatch(ShareWithGroup { id: doc.clone(), group_id: group_id.clone(), role: event_target_value(&event) });
                    };
                    let (doc, group_id) = (doc_id.clone(), group.id.clone());
                    let remove = Callback::new(move |()| {
                        unshare.dispatch(UnshareGroup { id: doc.clone(), group_id: group_id.clone() });
                    });
                    let is_editor = group.role == Role::Editor;
                    view! {
                        <li data-group-id=group.id.clone()>
                            <span class="who">{group.name.clone()}<span class="group-size">{people}</span></span>
                            <select aria-label=format!("Role of the group {}", group.name) data-testid="group-role" on:change=change_role>
                                <option value="editor" selected=is_editor>"Can edit"</option>
                                <option value="viewer" selected=!is_editor>"Can view"</option>
                            </select>
                            <ConfirmButton label="Remove".into() question=format!("Remove {}?", group.name)
                                class="subtle" testid="remove-group" on_confirm=remove/>
                        </li>
                    }
                    .into_any()
                }).collect_view()}
            </ul>
        }
        .into_any()
    }
}

#[component]
fn RolePicker(name: &'static str) -> impl IntoView {
    view! {
        <select name=name aria-label="Role">
            <option value="editor">"Can edit"</option>
            <option value="viewer">"Can view"</option>
        </select>
    }
}
