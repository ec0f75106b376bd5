//! `/d/{id}`: one document, its title, who is here, connection status, editor
//! and preview; for its owner, the Share panel. Viewers get the same page
//! read-only; if access ends while it is open, the editor stops and says why.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

use crate::api::{load_document, DocView, Role};
use crate::collab::connection::ConnStatus;
use crate::components::account_menu::AccountMenu;
use crate::components::brand::Brand;
use crate::components::editor::Editor;
use crate::components::history_panel::HistoryPanel;
use crate::components::presence_bar::PresenceBar;
use crate::components::share_dialog::ShareDialog;
use crate::components::status::StatusPill;
use crate::pages::not_found::NotFound;

#[component]
pub fn DocPage() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.read().get("id").unwrap_or_default();
    let document = Resource::new(id, load_document);
    view! {
        <Suspense fallback=|| view! { <p class="muted page">"Loading…"</p> }>
            {move || document.get().map(|result| match result {
                Ok(Some(doc)) => view! { <Document doc/> }.into_any(),
                Ok(None) => view! { <NotFound/> }.into_any(),
                Err(_) => view! {
                    <main class="page narrow">
                        <p class="error" role="alert">"This document could not be loaded. Please reload."</p>
                    </main>
                }.into_any(),
            })}
        </Suspense>
    }
}

#[component]
fn Document(doc: DocView) -> impl IntoView {
    let (status, set_status) = signal(ConnStatus::Connecting);
    let (peers, set_peers) = signal(Vec::new());
    let (role, set_role) = signal(doc.role);
    // The head's <title> is rendered when the page's stream ends, possibly
    // after this component's owner is gone, so what it reads must not live in
    // the reactive arena (reading a disposed arena signal panics on the server).
    let head_title = ArcRwSignal::new(doc.title.clone());
    let title = ReadSignal::from(head_title.read_only());
    let set_title = WriteSignal::from(head_title.write_only());
    let sharing = RwSignal::new(false);
    let history_open = RwSignal::new(false);
    // The editor fills this in once it runs: how a restore becomes an edit.
    let restore_with = StoredValue::new(None::<Callback<String, bool>>);
    let sees_history = doc.history;
    let can_write = Signal::derive(move || role.get().can_edit() && !status.get().is_final());
    let signed_in = doc.signed_in;
    let owner = doc.owner.clone();
    let is_owner = doc.role == Role::Owner;
    // Signed-in editors see who has access (the owner also manages it).
    let can_see_access = move || is_owner || (signed_in && role.get().can_edit());
    let doc_id = doc.id.clone();
    let history_id = doc.id.clone();
    let notice = move || match (status.get(), role.get()) {
        (ConnStatus::AccessRemoved, _) => {
            Some("Your access to this document was removed. What you see is how it was then.")
        }
        (ConnStatus::Deleted, _) => Some("This document was deleted by its owner."),
        (ConnStatus::Refused(refusal), _) => Some(refusal.explanation()),
        (_, Role::Viewer) => {
            Some("You can view this document. Only people it is shared with as editors can change it.")
        }
        _ => None,
    };
    // Erased: the page's whole view type is otherwise too deep for the compiler.
    let header = view! {
        <header class="topbar doc-topbar">
            <Brand/>
            <span class="crumb" aria-hidden="true">"/"</span>
            <h1 class="doc-heading" data-testid="doc-title">{move || title.get()}</h1>
            <span class="spacer"></span>
            <PresenceBar me=doc.me.clone() peers/>
            {sees_history.then(|| view! {
                <button type="button" class="button history-button" data-testid="history" title="Versions of this document, and who wrote what"
                    on:click=move |_| history_open.set(true)>
                    <svg class="icon" viewBox="0 0 24 24" aria-hidden="true"><path d="M3 12a9 9 0 1 0 3-6.7L3 8"/><path d="M3 3v5h5"/><path d="M12 7v5l3 2"/></svg>
                    <span class="label">"History"</span>
                </button>
            })}
            {move || can_see_access().then(|| view! {
                <button type="button" class="button primary" data-testid="share" on:click=move |_| sharing.set(true)>
                    {if is_owner { "Share" } else { "Access" }}
                </button>
            })}
            <StatusPill status/>
            <AccountMenu/>
        </header>
    }
    .into_any();
    view! {
        <Title text=move || head_title.get()/>
        {header}
        <p class="banner js-off">"JavaScript is off: you are reading a snapshot. Turn it on to edit live."</p>
        {move || notice().map(|text| view! { <p class="banner notice-banner" data-testid="access-banner" role="status">{text}</p> })}
        <main class="doc-main">
            <Editor doc status set_status set_peers role set_role set_title restore_with/>
        </main>
        {move || (sees_history && history_open.get()).then(|| view! {
            <HistoryPanel doc_id=history_id.clone() open=history_open restore_with can_write/>
        })}
        {move || (can_see_access() && sharing.get()).then(|| view! {
            <ShareDialog doc_id=doc_id.clone() title set_title open=sharing manage=is_owner owner=owner.clone()/>
        })}
    }
}
