//! `/groups`: the instance's groups. Share a document with a group (in its
//! Share panel) and everyone in it gets that access. Admins, and anyone where
//! the admin allows it, create groups; a group's creator and the admins add
//! and remove people and delete it; a member can leave. Members and managers
//! see who is in a group, everyone else only how many. Plain forms: it works
//! without JavaScript too.

use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_meta::Title;

use crate::api::{
    error_text, load_groups, AddGroupMember, CreateGroup, DeleteGroup, Group, RemoveGroupMember, MAX_GROUP_NAME,
};
use crate::components::account_menu::AccountMenu;
use crate::components::brand::Brand;
use crate::components::confirm_button::ConfirmButton;

#[derive(Clone, Copy)]
struct Actions {
    create: ServerAction<CreateGroup>,
    delete: ServerAction<DeleteGroup>,
    add: ServerAction<AddGroupMember>,
    remove: ServerAction<RemoveGroupMember>,
}

#[component]
pub fn GroupsPage() -> impl IntoView {
    let actions = Actions {
        create: ServerAction::new(),
        delete: ServerAction::new(),
        add: ServerAction::new(),
        remove: ServerAction::new(),
    };
    let page = Resource::new(
        move || {
            (
                actions.create.version().get(),
                actions.delete.version().get(),
                actions.add.version().get(),
                actions.remove.version().get(),
            )
        },
        |_| load_groups(),
    );
    let failure = move || {
        [
            actions.create.value().get().and_then(Result::err),
            actions.delete.value().get().and_then(Result::err),
            actions.add.value().get().and_then(Result::err),
            actions.remove.value().get().and_then(Result::err),
        ]
        .into_iter()
        .flatten()
        .next()
        .map(|e| view! { <p class="error" role="alert" data-testid="groups-error">{error_text(&e)}</p> })
    };
    view! {
        <Title text="Groups"/>
        <header class="topbar"><Brand/><span class="spacer"></span><AccountMenu/></header>
        <main class="page admin-page">
            <h1>"Groups"</h1>
            <p class="muted">"Share a document with a group in its Share panel, and everyone in the group can open it."</p>
            {failure}
            <Transition fallback=|| ()>
                {move || page.get().map(|result| match result {
                    Err(e) => view! { <p class="error" role="alert">{error_text(&e)}</p> }.into_any(),
                    Ok(view) => {
                        let empty = view.groups.is_empty();
                        view! {
                            {if view.can_create {
                                view! {
                                    <ActionForm action=actions.create attr:class="row-form">
                                        <input name="name" type="text" required maxlength=MAX_GROUP_NAME.to_string()
                                            placeholder="Group name" aria-label="Name of the new group" autocomplete="off"/>
                                        <button type="submit" class="button primary" data-testid="create-group">"Create group"</button>
                                    </ActionForm>
                                }.into_any()
                            } else {
                                view! { <p class="hint">"Only the server's admins create groups here."</p> }.into_any()
                            }}
                            {if empty {
                                view! { <p class="empty muted">"There are no groups yet."</p> }.into_any()
                            } else {
                                view! {
                                    <div class="group-list" data-testid="groups">
                                        {view.groups.into_iter().map(|group| group_card(group, view.me.clone(), actions)).collect_view()}
                                    </div>
                                }.into_any()
                            }}
                        }.into_any()
                    }
                })}
            </Transition>
        </main>
    }
}

fn group_card(group: Group, me: String, actions: Actions) -> impl IntoView {
    let Group { id, name, member_count, members, is_member, can_manage } = group;
    let (heading_id, labelled_by) = (format!("group-{id}"), format!("group-{id}"));
    let count = format!("{member_count} {}", if member_count == 1 { "person" } else { "people" });
    let (add_id, delete_id, leave_id) = (id.clone(), id.clone(), id.clone());
    let leave_name = name.clone();
    view! {
        <section class="admin-section group-card" aria-labelledby=labelled_by data-testid="group" data-group-id=id.clone()>
            <header class="group-head">
                <h2 id=heading_id>{name.clone()}</h2>
                <span class="muted">{count}</span>
                {is_member.then(|| view! { <span class="badge accent">"you are in it"</span> })}
            </header>
            {members.map(|members| view! {
                <ul class="member-chips" data-testid="group-members">
                    {members.into_iter().map(|username| {
                        let (group_id, person) = (id.clone(), username.clone());
                        view! {
                            <li class="member-chip" data-username=username.clone()>
                                <span>{username.clone()}</span>
                                {can_manage.then(|| view! {
                                    <button type="button" class="chip-remove" aria-label=format!("Remove {username} from the group")
                                        data-testid="remove-group-member"
                                        on:click=move |_| {
                                            actions.remove.dispatch(RemoveGroupMember { group_id: group_id.clone(), username: person.clone() });
                                        }>"✕"</button>
                                })}
                            </li>
                        }
                    }).collect_view()}
                </ul>
            })}
            {can_manage.then(|| view! {
                <ActionForm action=actions.add attr:class="row-form">
                    <input type="hidden" name="group_id" value=add_id/>
                    <input name="username" type="text" required placeholder="Username" autocomplete="off"
                        aria-label=format!("Username to add to {name}")/>
                    <button type="submit" class="button" data-testid="add-group-member">"Add"</button>
                </ActionForm>
            })}
            <div class="group-actions">
                {(is_member && !can_manage).then(|| view! {
                    <ConfirmButton label="Leave".into() question=format!("Leave {leave_name}?") class="subtle" testid="leave-group"
                        on_confirm=Callback::new(move |()| {
                            actions.remove.dispatch(RemoveGroupMember { group_id: leave_id.clone(), username: me.clone() });
                        })/>
                })}
                {can_manage.then(|| view! {
                    <ConfirmButton label="Delete group".into() question="Delete it? Documents shared with it lose that access.".into()
                        class="danger" testid="delete-group"
                        on_confirm=Callback::new(move |()| { actions.delete.dispatch(DeleteGroup { group_id: delete_id.clone() }); })/>
                })}
            </div>
        </section>
    }
}
