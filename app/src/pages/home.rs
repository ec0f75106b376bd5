//! `/`: every document, most recently edited first, and "New document".

use leptos::prelude::*;
use leptos::form::ActionForm;
use leptos_meta::Title;

use crate::api::{list_documents, CreateDocument, DocSummary};
use crate::components::brand::Brand;

#[component]
pub fn HomePage() -> impl IntoView {
    let create = ServerAction::<CreateDocument>::new();
    let documents = Resource::new(|| (), |_| list_documents());
    view! {
        <Title text=""/>
        <header class="topbar">
            <Brand/>
        </header>
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
            <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || documents.get().map(|result| match result {
                    Ok(list) if list.documents.is_empty() => view! {
                        <p class="empty muted">"No documents yet. Give your first one a title above."</p>
                    }.into_any(),
                    Ok(list) => {
                        let now = list.now;
                        view! {
                            <ul class="doc-list">
                                {list.documents.into_iter().map(|doc| view! { <DocRow doc now/> }).collect_view()}
                            </ul>
                        }.into_any()
                    }
                    Err(e) => view! { <p class="error" role="alert">{error_text(&e)}</p> }.into_any(),
                })}
            </Suspense>
        </main>
    }
}

#[component]
fn DocRow(doc: DocSummary, now: i64) -> impl IntoView {
    let href = format!("/d/{}", doc.id);
    view! {
        <li>
            <a class="doc-row" href=href>
                <span class="doc-title">{doc.title}</span>
                <span class="doc-edited muted">"Edited " {relative_time(now, doc.updated_at)}</span>
            </a>
        </li>
    }
}

/// The message of a server function error, without the framework's prefix.
fn error_text(error: &ServerFnError) -> String {
    match error {
        ServerFnError::ServerError(message) => message.clone(),
        other => other.to_string(),
    }
}

/// "just now", "5 minutes ago", "3 days ago".
pub fn relative_time(now_ms: i64, then_ms: i64) -> String {
    let seconds = (now_ms - then_ms).max(0) / 1000;
    let plural = |n: i64, unit: &str| format!("{n} {unit}{} ago", if n == 1 { "" } else { "s" });
    match seconds {
        0..=44 => "just now".to_string(),
        45..=3599 => plural((seconds / 60).max(1), "minute"),
        3600..=86_399 => plural(seconds / 3600, "hour"),
        86_400..=2_591_999 => plural(seconds / 86_400, "day"),
        _ => plural(seconds / 2_592_000, "month"),
    }
}

#[cfg(test)]
mod tests {
    use super::relative_time;

    #[test]
    fn relative_times_read_naturally() {
        assert_eq!(relative_time(10_000, 9_000), "just now");
        assert_eq!(relative_time(60_000 * 5, 0), "5 minutes ago");
        assert_eq!(relative_time(3_600_000, 0), "1 hour ago");
        assert_eq!(relative_time(86_400_000 * 3, 0), "3 days ago");
    }
}
