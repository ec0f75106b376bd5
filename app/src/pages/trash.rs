//! `/trash`: the owner's deleted documents, each restorable until it is
//! removed for good 30 days after deletion.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::api::{error_text, list_trash, RestoreDocument};
use crate::components::account_menu::AccountMenu;
use crate::components::brand::Brand;
use crate::components::when::relative_time;

#[component]
pub fn TrashPage() -> impl IntoView {
    let restore = ServerAction::<RestoreDocument>::new();
    let trash = Resource::new(move || restore.version().get(), |_| list_trash());
    view! {
        <Title text="Trash"/>
        <header class="topbar"><Brand/><span class="spacer"></span><AccountMenu/></header>
        <main class="page narrow">
            <h1>"Trash"</h1>
            <p class="muted">"Deleted documents stay here for 30 days; then they are removed for good."</p>
            <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || trash.get().map(|result| match result {
                    Ok(list) if list.documents.is_empty() => view! { <p class="empty muted">"The trash is empty."</p> }.into_any(),
                    Ok(list) => {
                        let now = list.now;
                        view! {
                            <ul class="doc-list" data-testid="trash">
                                {list.documents.into_iter().map(|doc| {
                                    let days_left = ((doc.purge_at - now).max(0) + 86_399_999) / 86_400_000;
                                    let id = doc.id.clone();
                                    view! {
                                        <li class="doc-row">
                                            <span class="doc-title">{doc.title}</span>
                                            <span class="doc-edited muted">
                                                "Deleted " {relative_time(now, doc.deleted_at)} " · removed in " {days_left} " days"
                                            </span>
                                            <button class="button" on:click=move |_| { restore.dispatch(RestoreDocument { id: id.clone() }); }>
                                                "Restore"
                                            </button>
                                        </li>
                                    }
                                }).collect_view()}
                            </ul>
                        }.into_any()
                    }
                    Err(e) => view! { <p class="error" role="alert">{error_text(&e)}</p> }.into_any(),
                })}
            </Transition>
            <p><a href="/">"← Back to your documents"</a></p>
        </main>
    }
}
