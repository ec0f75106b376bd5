//! `/`: for a signed-in person, their documents and the ones shared with them,
//! kept current live (see `client::list_events`); for anyone else, what Quire
//! is and how to start.

use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_meta::Title;

use crate::api::{error_text, list_documents, whoami, CreateDocument, DocSummary, Role};
use crate::components::account_menu::AccountMenu;
use crate::components::brand::Brand;
use crate::components::when::relative_time;

#[component]
pub fn HomePage() -> impl IntoView {
    let me = Resource::new(|| (), |_| whoami());
    view! {
        <Title text=""/>
        <header class="topbar">
            <Brand/>
            <span class="spacer"></span>
            <AccountMenu/>
        </header>
        <Suspense fallback=|| view! { <p class="muted page">"Loading…"</p> }>
            {move || me.get().and_then(Result::ok).map(|me| if me.username.is_some() {
                view! { <Documents/> }.into_any()
            } else {
                view! { <Welcome/> }.into_any()
            })}
        </Suspense>
    }
}

#[component]
fn Welcome() -> impl IntoView {
    view! {
        <main class="page narrow welcome">
            <h1>"Write Markdown together, in real time."</h1>
            <p class="lede">"Everyone's keystrokes arrive in milliseconds, you see each other's carets, and only the people you share a document with can read it."</p>
            <p class="actions">
                <a class="button primary" href="/signup">"Create an account"</a>
                <a class="button" href="/signin">"Sign in"</a>
            </p>
        </main>
    }
}

#[component]
fn Documents() -> impl IntoView {
    let create = ServerAction::<CreateDocument>::new();
    let documents = Resource::new(|| (), |_| list_documents());
    // Opened from an effect, which runs once hydration is complete: a reload
    // triggered while the page is still hydrating would be lost. The stream
    // lives as long as the effect, so it closes when the page goes away.
    #[cfg(feature = "hydrate")]
    Effect::new(move |events: Option<send_wrapper::SendWrapper<Option<crate::client::list_events::ListEvents>>>| {
        events.unwrap_or_else(|| {
            send_wrapper::SendWrapper::new(crate::client::list_events::ListEvents::open(move || documents.refetch()))
        })
    });
    view! {
        <main class="page narrow">
            <section class="new-doc" aria-labelledby="new-doc-heading">
                <h1 id="new-doc-heading">"Your documents"</h1>
                <ActionForm action=create attr:class="new-doc-form">
                    <label class="visually-hidden" for="new-title">"Title of the new document"</label>
                    <input id="new-title" name="title" type="text" required maxlength="200"
                        placeholder="Title of a new document" autocomplete="off"/>
                    <button type="submit" class="button primary">"New document"</button>
                </ActionForm>
                {move || create.value().get().and_then(|r| r.err()).map(|e| view! {
                    <p class="error" role="alert">{error_text(&e)}</p>
                })}
            </section>
            <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || documents.get().map(|result| match result {
                    Ok(list) => {
                        let now = list.now;
                        view! {
                            <DocSection testid="my-docs" heading=None docs=list.mine now
                                empty="No documents yet. Give your first one a title above."/>
                            <DocSection testid="shared-docs" heading=Some("Shared with you") docs=list.shared now
                                empty="Nothing is shared with you yet."/>
                        }.into_any()
                    }
                    Err(e) => view! { <p class="error" role="alert">{error_text(&e)}</p> }.into_any(),
                })}
            </Transition>
            <p class="muted footer-links"><a href="/groups">"Groups"</a><a href="/trash">"Trash"</a></p>
        </main>
    }
}

#[component]
fn DocSection(
    testid: &'static str,
    heading: Option<&'static str>,
    docs: Vec<DocSummary>,
    now: i64,
    empty: &'static str,
) -> impl IntoView {
    view! {
        <section class="doc-section" data-testid=testid>
            {heading.map(|h| view! { <h2>{h}</h2> })}
            {if docs.is_empty() {
                view! { <p class="empty muted">{empty}</p> }.into_any()
            } else {
                view! {
                    <ul class="doc-list">
                        {docs.into_iter().map(|doc| view! { <DocRow doc now/> }).collect_view()}
                    </ul>
                }.into_any()
            }}
        </section>
    }
}

#[component]
fn DocRow(doc: DocSummary, now: i64) -> impl IntoView {
    let href = format!("/d/{}", doc.id);
    let detail = match (doc.role, &doc.owner) {
        (Role::Owner, _) => String::new(),
        (role, Some(owner)) => format!("{owner} · {} · ", role.label()),
        (role, None) => format!("{} · ", role.label()),
    };
    view! {
        <li>
            <a class="doc-row" href=href>
                <span class="doc-title">{doc.title}</span>
                <span class="doc-edited muted">{detail} "Edited " {relative_time(now, doc.updated_at)}</span>
            </a>
        </li>
    }
}
