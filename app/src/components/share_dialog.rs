//! The owner's "Share" panel: rename, people (by username, as viewer or
//! editor), share links (view or edit, optionally expiring, revocable), and
//! moving the document to the trash. Every change takes effect on the others'
//! open pages within a second (the server re-checks their sockets).

use leptos::form::ActionForm;
use leptos::prelude::*;

use crate::api::{
    error_text, get_sharing, CreateShareLink, DeleteDocument, RenameDocument, RevokeShareLink, Role, ShareDocument,
    UnshareDocument,
};
use crate::pages::settings::select_all;

#[component]
pub fn ShareDialog(
    doc_id: String,
    title: ReadSignal<String>,
    set_title: WriteSignal<String>,
    open: RwSignal<bool>,
) -> impl IntoView {
    let rename = ServerAction::<RenameDocument>::new();
    let share = ServerAction::<ShareDocument>::new();
    let unshare = ServerAction::<UnshareDocument>::new();
    let create_link = ServerAction::<CreateShareLink>::new();
    let revoke_link = ServerAction::<RevokeShareLink>::new();
    let delete = ServerAction::<DeleteDocument>::new();
    let id = doc_id.clone();
    let sharing = Resource::new(
        move || {
            (share.version().get(), unshare.version().get(), create_link.version().get(), revoke_link.version().get())
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
    let (rename_id, share_id, link_id) = (doc_id.clone(), doc_id.clone(), doc_id);
    let error = move || {
        [
            rename.value().get(),
            share.value().get(),
            unshare.value().get(),
            revoke_link.value().get(),
            delete.value().get(),
        ]
        .into_iter()
        .flatten()
        .find_map(|r| r.err())
        .or_else(|| create_link.value().get().and_then(|r| r.err()))
        .map(|e| view! { <p class="error" role="alert">{error_text(&e)}</p> })
    };
    view! {
        <div class="dialog-backdrop" on:click=move |_| open.set(false)></div>
        <section class="dialog" role="dialog" aria-modal="true" aria-labelledby="share-heading" data-testid="share-dialog">
            <header class="dialog-head">
                <h2 id="share-heading">"Share and manage"</h2>
                <button type="button" class="button subtle" aria-label="Close" on:click=move |_| open.set(false)>"✕"</button>
            </header>
            {error}
            <h3>"Title"</h3>
            <ActionForm action=rename attr:class="row-form">
                <input type="hidden" name="id" value=rename_id/>
                <input name="title" type="text" required maxlength="200" prop:value=move || title.get() aria-label="Title"/>
                <button type="submit" class="button">"Rename"</button>
            </ActionForm>

            <h3>"People"</h3>
            <ActionForm action=share attr:class="row-form">
                <input type="hidden" name="id" value=share_id/>
                <input name="username" type="text" required placeholder="Username" aria-label="Username to share with" autocomplete="off"/>
                <RolePicker name="role"/>
                <button type="submit" class="button primary">"Share"</button>
            </ActionForm>
            <Transition fallback=|| ()>
                {move || sharing.get().and_then(Result::ok).map(|sharing| {
                    let unshare_id = unshare_id.clone();
                    let revoke_id = revoke_id.clone();
                    let now = sharing.now;
                    view! {
                        <ul class="share-list" data-testid="members">
                            {sharing.members.into_iter().map(|member| {
                                let (id, name) = (unshare_id.clone(), member.username.clone());
                                view! {
                                    <li>
                                        <span class="who">{member.username}</span>
                                        <span class="muted">{member.role.label()}</span>
                                        <button type="button" class="button subtle" on:click=move |_| {
                                            unshare.dispatch(UnshareDocument { id: id.clone(), username: name.clone() });
                                        }>"Remove"</button>
                                    </li>
                                }
                            }).collect_view()}
                        </ul>
                        <h3>"Links"</h3>
                        <ul class="share-list" data-testid="links">
                            {sharing.links.into_iter().map(|link| {
                                let (id, link_id) = (revoke_id.clone(), link.id.clone());
                                let expiry = match link.expires_at {
                                    Some(at) => format!("expires in {} h", ((at - now).max(0) + 3_599_999) / 3_600_000),
                                    None => "never expires".to_string(),
                                };
                                view! {
                                    <li>
                                        <span class="who">{if link.role == Role::Editor { "Edit link" } else { "View link" }}</span>
                                        <span class="muted">{expiry}</span>
                                        <button type="button" class="button danger" data-testid="revoke-link" on:click=move |_| {
                                            revoke_link.dispatch(RevokeShareLink { id: id.clone(), link_id: link_id.clone() });
                                        }>"Revoke"</button>
                                    </li>
                                }
                            }).collect_view()}
                        </ul>
                    }
                })}
            </Transition>
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
            {move || create_link.value().get().and_then(Result::ok).map(|new| {
                let url = web_origin() + &new.path;
                view! {
                    <div class="notice" role="status">
                        <p>"Anyone with this link " {if new.link.role == Role::Editor { "can edit" } else { "can view" }} ". It is shown only now:"</p>
                        <input class="secret" readonly value=url data-testid="new-link" on:focus=|ev| select_all(&ev)/>
                    </div>
                }
            })}

            <h3>"Delete"</h3>
            <p class="muted">"Moves the document to your trash; you can restore it for 30 days. Everyone else loses access at once."</p>
            <button type="button" class="button danger" data-testid="delete-doc" on:click=move |_| {
                delete.dispatch(DeleteDocument { id: delete_id.clone() });
            }>"Move to trash"</button>
        </section>
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

/// `https://host` of the page, so a new link can be copied whole.
fn web_origin() -> String {
    #[cfg(feature = "hydrate")]
    {
        web_sys::window().and_then(|w| w.location().origin().ok()).unwrap_or_default()
    }
    #[cfg(not(feature = "hydrate"))]
    {
        String::new()
    }
}
