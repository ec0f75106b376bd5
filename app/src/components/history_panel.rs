//! The history panel: a document's versions grouped by day, with who changed
//! what; one version opened shows what changed since (line by line, the
//! changed words marked) or how it read, and can be restored, downloaded,
//! renamed or deleted; "Name this version" keeps the current text by name.
//! The "Authors" view colours the current text by who wrote it.
//!
//! A restore is the person's own edit: the server first keeps the current
//! text as a version, then the editor applies the difference like typing, so
//! it reaches everyone live and Undo takes it back.
//!
//! A modal `<dialog>` like the Share panel (`modal.rs`).

use leptos::html::Dialog;
use leptos::prelude::*;

use crate::api::{
    error_text, get_authorship, list_versions, open_version, DeleteVersion, Identity, NameVersion, PrepareRestore,
    RenameVersion, VersionInfo, MAX_VERSION_NAME_CHARS,
};
use crate::collab::compare::{DiffLine, LineKind};
use crate::components::confirm_button::ConfirmButton;
use crate::components::modal::{clicked_backdrop, modal};
use crate::components::presence_bar::initial;
use crate::components::when::{clock, day_heading, local, offset_minutes};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tab {
    Versions,
    Authors,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shown {
    Changes,
    Rendered,
}

/// What a version is called in the list.
pub fn version_label(version: &VersionInfo) -> String {
    match (&version.name, version.kind.as_str()) {
        (Some(name), _) => name.clone(),
        (None, "restore") => "Before a restore".into(),
        (None, _) => "Edited".into(),
    }
}

/// "Ada", "Ada and Bob", "Ada, Bob and 2 others".
pub fn author_names(authors: &[Identity]) -> String {
    match authors {
        [] => String::new(),
        [one] => one.name.clone(),
        [a, b] => format!("{} and {}", a.name, b.name),
        [a, b, rest @ ..] if rest.len() == 1 => format!("{}, {} and {}", a.name, b.name, rest[0].name),
        [a, b, rest @ ..] => format!("{}, {} and {} others", a.name, b.name, rest.len()),
    }
}

/// A colour safe to put in a style attribute: `#rrggbb`, or a neutral one.
fn safe_color(color: &str) -> String {
    let valid = color.len() == 7 && color.starts_with('#') && color[1..].chars().all(|c| c.is_ascii_hexdigit());
    if valid {
        color.to_string()
    } else {
        "#6e56cf".into()
    }
}

/// Versions grouped under day headings, newest first.
fn by_day(versions: Vec<VersionInfo>, now: i64) -> Vec<(String, Vec<VersionInfo>)> {
    let today = local(now, offset_minutes(now));
    let mut groups: Vec<(String, Vec<VersionInfo>)> = Vec::new();
    for version in versions {
        let heading = day_heading(local(version.created_at, offset_minutes(version.created_at)), today);
        match groups.last_mut() {
            Some((last, items)) if *last == heading => items.push(version),
            _ => groups.push((heading, vec![version])),
        }
    }
    groups
}

#[component]
pub fn HistoryPanel(
    doc_id: String,
    open: RwSignal<bool>,
    /// Applies a version's text as the person's own edit; false if it could not.
    restore_with: StoredValue<Option<Callback<String, bool>>>,
    /// The person can write right now (editor, synced, access not ended).
    can_write: Signal<bool>,
) -> impl IntoView {
    let dialog = NodeRef::<Dialog>::new();
    let close = modal(dialog, open);
    let tab = RwSignal::new(Tab::Versions);
    let shown = RwSignal::new(Shown::Changes);
    let selected = RwSignal::new(None::<i64>);
    let name_version = ServerAction::<NameVersion>::new();
    let rename = ServerAction::<RenameVersion>::new();
    let delete = ServerAction::<DeleteVersion>::new();
    let prepare = ServerAction::<PrepareRestore>::new();
    let notice = RwSignal::new(None::<String>);

    let list_id = doc_id.clone();
    let versions = Resource::new(
        move || (name_version.version().get(), rename.version().get(), delete.version().get()),
        move |_| list_versions(list_id.clone()),
    );
    let open_id = doc_id.clone();
    let opened = Resource::new(
        move || (selected.get(), rename.version().get()),
        move |(version, _)| {
            let id = open_id.clone();
            async move {
                match version {
                    Some(version) => Some(open_version(id, version).await),
                    None => None,
                }
            }
        },
    );
    let authors_id = doc_id.clone();
    let authorship = Resource::new(
        move || tab.get() == Tab::Authors,
        move |wanted| {
            let id = authors_id.clone();
            async move {
                if wanted {
                    Some(get_authorship(id).await)
                } else {
                    None
                }
            }
        },
    );
    // A named version is selected once it exists.
    Effect::new(move |_| {
        if let Some(Ok(version)) = name_version.value().get() {
            selected.set(Some(version.id));
            notice.set(Some(format!("Kept as “{}”.", version_label(&version))));
        }
    });
    Effect::new(move |_| {
        if let Some(Ok(())) = delete.value().get() {
            selected.set(None);
        }
    });
    // The server kept the current text; now the editor takes the version's.
    // Closed first: the browser then gives the focus back to the History
    // button, and the restore moves it on to the editor, where Ctrl+Z undoes it.
    Effect::new(move |_| {
        if let Some(Ok(text)) = prepare.value().get() {
            if !can_write.get_untracked() {
                notice.set(Some("The version could not be restored here: the editor is read-only right now.".into()));
                return;
            }
            close();
            let applied = restore_with.with_value(|restore| restore.as_ref().is_some_and(|restore| restore.run(text)));
            if !applied {
                open.set(true);
                notice.set(Some("The version could not be restored yet: wait until the document is synced.".into()));
            }
        }
    });
    let error = move || {
        [
            name_version.value().get().and_then(|r| r.err()),
            rename.value().get().and_then(|r| r.err()),
            delete.value().get().and_then(|r| r.err()),
            prepare.value().get().and_then(|r| r.err()),
        ]
        .into_iter()
        .flatten()
        .next()
        .map(|e| view! { <p class="error" role="alert">{error_text(&e)}</p> })
    };

    let name_id = doc_id.clone();
    let list = move || {
        versions.get().map(|result| match result {
            Err(e) => view! { <p class="error" role="alert">{error_text(&e)}</p> }.into_any(),
            Ok(history) => {
                let can_edit = history.can_edit;
                let name_id = name_id.clone();
                let empty = history.versions.is_empty();
                let groups = by_day(history.versions, history.now);
                view! {
                    {can_edit.then(|| view! {
                        <form class="row-form name-version" on:submit=move |event: leptos::ev::SubmitEvent| {
                            event.prevent_default();
                            let form = event.target().and_then(|t| wasm_form_value(&t));
                            if let Some(name) = form {
                                name_version.dispatch(NameVersion { id: name_id.clone(), name });
                            }
                        }>
                            <input name="name" type="text" required maxlength=MAX_VERSION_NAME_CHARS.to_string()
                                placeholder="Name the current text" aria-label="Version name" data-testid="version-name"/>
                            <button type="submit" class="button" data-testid="name-version">"Name this version"</button>
                        </form>
                    })}
                    {empty.then(|| view! {
                        <p class="muted history-empty">"No versions yet. One is kept a few minutes after each burst of editing."</p>
                    })}
                    {groups.into_iter().map(|(heading, items)| view! {
                        <h3 class="history-day">{heading}</h3>
                        <ul class="version-list">
                            {items.into_iter().map(|version| {
                                let id = version.id;
                                let when = clock(local(version.created_at, offset_minutes(version.created_at)));
                                let label = version_label(&version);
                                let names = author_names(&version.authors);
                                let named = version.name.is_some();
                                view! {
                                    <li>
                                        <button type="button" class="version-item" data-testid="version"
                                            class:named=named
                                            aria-current=move || (selected.get() == Some(id)).then_some("true")
                                            on:click=move |_| selected.set(Some(id))>
                                            <span class="version-when">{when}</span>
                                            <span class="version-label">{label}</span>
                                            <span class="version-authors">
                                                <span class="mini-avatars" aria-hidden="true">
                                                    {version.authors.iter().take(3).map(|person| view! {
                                                        <span class="mini-avatar" style:background-color=safe_color(&person.color)>
                                                            {initial(&person.name)}
                                                        </span>
                                                    }).collect_view()}
                                                </span>
                                                <span class="version-names">{names}</span>
                                            </span>
                                        </button>
                                    </li>
                                }
                            }).collect_view()}
                        </ul>
                    }).collect_view()}
                }
                .into_any()
            }
        })
    };

    let detail_id = doc_id.clone();
    let detail = move || {
        let id = detail_id.clone();
        opened.get().map(|opened| match opened {
            None => view! {
                <p class="muted history-hint">"Pick a version to see what changed since, or how it read."</p>
            }
            .into_any(),
            Some(Err(e)) => view! { <p class="error" role="alert">{error_text(&e)}</p> }.into_any(),
            Some(Ok(view)) => {
                let version = view.info.id;
                let can_manage = versions.get_untracked().and_then(Result::ok).is_some_and(|h| h.can_manage);
                let can_edit = versions.get_untracked().and_then(Result::ok).is_some_and(|h| h.can_edit);
                let download = format!("/api/docs/{id}/versions/{version}/markdown?download");
                let (restore_id, rename_id, delete_id) = (id.clone(), id.clone(), id.clone());
                let left_out = view.left_out;
                let changed = view.diff.iter().any(|line| matches!(line, DiffLine::Line { kind, .. } if *kind != LineKind::Same));
                let named = view.info.name.clone();
                let remove = Callback::new(move |()| {
                    delete.dispatch(DeleteVersion { id: delete_id.clone(), version });
                });
                view! {
                    <div class="version-actions">
                        <div class="segmented" role="group" aria-label="Show">
                            <button type="button" class="segment" aria-pressed=move || (shown.get() == Shown::Changes).to_string()
                                data-testid="show-changes" on:click=move |_| shown.set(Shown::Changes)>"Changes since"</button>
                            <button type="button" class="segment" aria-pressed=move || (shown.get() == Shown::Rendered).to_string()
                                data-testid="show-rendered" on:click=move |_| shown.set(Shown::Rendered)>"As it read"</button>
                        </div>
                        <span class="spacer"></span>
                        <a class="button subtle" href=download download data-testid="download-version">"Download .md"</a>
                        {can_edit.then(|| view! {
                            <button type="button" class="button primary" data-testid="restore-version"
                                disabled=move || !can_write.get() || !changed || prepare.pending().get()
                                title=move || if changed { "Make the document read like this again (Undo takes it back)" } else { "The document reads like this now" }
                                on:click=move |_| { prepare.dispatch(PrepareRestore { id: restore_id.clone(), version }); }>
                                "Restore this version"
                            </button>
                        })}
                    </div>
                    {can_manage.then(|| view! {
                        <form class="row-form rename-version" on:submit=move |event: leptos::ev::SubmitEvent| {
                            event.prevent_default();
                            if let Some(name) = event.target().and_then(|t| wasm_form_value(&t)) {
                                rename.dispatch(RenameVersion { id: rename_id.clone(), version, name });
                            }
                        }>
                            <input name="name" type="text" maxlength=MAX_VERSION_NAME_CHARS.to_string()
                                value=named.clone().unwrap_or_default() placeholder="Name this version"
                                aria-label="Name of this version" data-testid="rename-input"/>
                            <button type="submit" class="button">{if named.is_some() { "Rename" } else { "Name it" }}</button>
                            {named.is_some().then(|| view! {
                                <ConfirmButton label="Delete".into() question="Delete this version?".into()
                                    class="danger" testid="delete-version" on_confirm=remove/>
                            })}
                        </form>
                    })}
                    <div class="version-body" hidden=move || shown.get() != Shown::Changes>
                        {if changed {
                            view! {
                                <div class="diff" data-testid="diff" role="group" aria-label="Changes since this version">
                                    {diff_lines(view.diff)}
                                </div>
                            }.into_any()
                        } else {
                            view! { <p class="muted">"Nothing changed since this version: the document reads like this now."</p> }.into_any()
                        }}
                        {(left_out > 0).then(|| view! {
                            <p class="muted">{format!("{left_out} more changed lines are not shown.")}</p>
                        })}
                    </div>
                    <article class="preview version-body" data-testid="version-rendered"
                        hidden=move || shown.get() != Shown::Rendered inner_html=view.html></article>
                }
                .into_any()
            }
        })
    };

    let authors_view = move || {
        authorship.get().flatten().map(|result| match result {
            Err(e) => view! { <p class="error" role="alert">{error_text(&e)}</p> }.into_any(),
            Ok(authorship) => {
                let people = authorship.people.clone();
                view! {
                    <ul class="author-legend" data-testid="author-legend">
                        {authorship.people.iter().map(|person| view! {
                            <li><span class="swatch" style:background-color=safe_color(&person.color)></span>{person.name.clone()}</li>
                        }).collect_view()}
                    </ul>
                    <pre class="authored" data-testid="authors-view">
                        {authorship.spans.into_iter().map(|span| {
                            let person = span.person.and_then(|n| people.get(n as usize));
                            match person {
                                Some(person) => view! {
                                    <span class="authored-span" title=person.name.clone() data-author=person.name.clone()
                                        style=format!("--author: {}", safe_color(&person.color))>{span.text}</span>
                                }.into_any(),
                                None => view! { <span class="authored-span unknown">{span.text}</span> }.into_any(),
                            }
                        }).collect_view()}
                    </pre>
                }
                .into_any()
            }
        })
    };

    view! {
        <dialog node_ref=dialog class="dialog history-dialog" aria-labelledby="history-heading" data-testid="history-dialog"
            on:close=move |_| open.set(false)
            on:click=move |event| {
                if clicked_backdrop(&event) {
                    close();
                }
            }>
            <header class="dialog-head">
                <h2 id="history-heading">"History"</h2>
                <div class="segmented" role="group" aria-label="View">
                    <button type="button" class="segment" aria-pressed=move || (tab.get() == Tab::Versions).to_string()
                        data-testid="tab-versions" on:click=move |_| tab.set(Tab::Versions)>"Versions"</button>
                    <button type="button" class="segment" aria-pressed=move || (tab.get() == Tab::Authors).to_string()
                        data-testid="show-authors" on:click=move |_| tab.set(Tab::Authors)>"Show authors"</button>
                </div>
                <button type="button" class="button subtle" aria-label="Close" on:click=move |_| close()>"✕"</button>
            </header>
            {error}
            {move || notice.get().map(|text| view! { <p class="notice" role="status">{text}</p> })}
            <div class="history-body" hidden=move || tab.get() != Tab::Versions>
                <nav class="history-list" aria-label="Versions">
                    <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>{list}</Transition>
                </nav>
                <section class="history-detail" aria-label="Selected version">
                    <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>{detail}</Transition>
                </section>
            </div>
            <div class="history-authors" hidden=move || tab.get() != Tab::Authors>
                <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>{authors_view}</Transition>
            </div>
        </dialog>
    }
    .into_any()
}

/// The lines of a diff, the changed words marked (`<ins>`, `<del>`), each
/// line's sign repeated in words for screen readers.
fn diff_lines(lines: Vec<DiffLine>) -> impl IntoView {
    lines
        .into_iter()
        .map(|line| match line {
            DiffLine::Skipped(count) => view! {
                <div class="diff-skip">
                    {format!("⋯ {count} unchanged line{}", if count == 1 { "" } else { "s" })}
                </div>
            }
            .into_any(),
            DiffLine::Line { kind, parts } => {
                let (class, sign, said) = match kind {
                    LineKind::Same => ("diff-line", " ", ""),
                    LineKind::Added => ("diff-line added", "+", "Added: "),
                    LineKind::Removed => ("diff-line removed", "−", "Removed: "),
                };
                view! {
                    <div class=class>
                        <span class="diff-sign" aria-hidden="true">{sign}</span>
                        <span class="diff-text">
                            <span class="visually-hidden">{said}</span>
                            {parts.into_iter().map(|(changed, text)| match (changed, kind) {
                                (true, LineKind::Added) => view! { <ins>{text}</ins> }.into_any(),
                                (true, LineKind::Removed) => view! { <del>{text}</del> }.into_any(),
                                _ => view! { <span>{text}</span> }.into_any(),
                            }).collect_view()}
                        </span>
                    </div>
                }
                .into_any()
            }
        })
        .collect_view()
}

/// The `name` field of the form an event came from.
fn wasm_form_value(target: &leptos::web_sys::EventTarget) -> Option<String> {
    #[cfg(feature = "hydrate")]
    {
        use wasm_bindgen::JsCast;
        let form = target.dyn_ref::<web_sys::HtmlFormElement>()?;
        let data = web_sys::FormData::new_with_form(form).ok()?;
        data.get("name").as_string()
    }
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = target;
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn person(name: &str) -> Identity {
        Identity { name: name.into(), color: "#e5484d".into() }
    }

    #[test]
    fn authors_read_as_a_sentence() {
        assert_eq!(author_names(&[]), "");
        assert_eq!(author_names(&[person("Ada")]), "Ada");
        assert_eq!(author_names(&[person("Ada"), person("Bob")]), "Ada and Bob");
        assert_eq!(author_names(&[person("Ada"), person("Bob"), person("Cy")]), "Ada, Bob and Cy");
        assert_eq!(author_names(&[person("A"), person("B"), person("C"), person("D")]), "A, B and 2 others");
    }

    #[test]
    fn only_plain_hex_colours_reach_a_style() {
        assert_eq!(safe_color("#12a594"), "#12a594");
        assert_eq!(safe_color("red; background: url(x)"), "#6e56cf");
        assert_eq!(safe_color("#12a59"), "#6e56cf");
    }
}
