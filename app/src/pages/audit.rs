//! `/admin/audit`: the instance's audit log for its admins, newest first: who
//! did what, to what, when and from where. Filters (kind of entry, person,
//! since a day) are a plain GET form, so the page works without JavaScript
//! and a filtered view can be bookmarked; older entries come a page at a time.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::api::{describe_action, error_text, load_audit, AuditEntryView, AUDIT_CATEGORIES};
use crate::components::account_menu::AccountMenu;
use crate::components::brand::Brand;
use crate::components::when::{relative_time, utc_stamp};

#[component]
pub fn AuditPage() -> impl IntoView {
    let query = use_query_map();
    let param = move |name: &str| query.with(|query| query.get(name).unwrap_or_default());
    let page = Resource::new(
        move || (param("category"), param("actor"), param("since"), param("before")),
        |(category, actor, since, before)| load_audit(category, actor, since, before.parse().ok()),
    );
    view! {
        <Title text="Audit log"/>
        <header class="topbar"><Brand/><span class="spacer"></span><AccountMenu/></header>
        <main class="page admin-page">
            <p class="muted"><a href="/admin">"← Admin"</a></p>
            <h1>"Audit log"</h1>
            <form method="get" action="/admin/audit" class="row-form audit-filters" role="search">
                <select name="category" aria-label="Kind of entry">
                    <option value="">"Everything"</option>
                    {AUDIT_CATEGORIES.iter().map(|(value, label)| view! {
                        <option value=*value selected=move || param("category") == *value>{*label}</option>
                    }).collect_view()}
                </select>
                <input name="actor" type="text" placeholder="Done by (username)" aria-label="Done by" autocomplete="off"
                    value=move || param("actor")/>
                <label class="inline-label" for="audit-since">"Since"</label>
                <input id="audit-since" name="since" type="date" value=move || param("since")/>
                <button type="submit" class="button">"Filter"</button>
            </form>
            <Transition fallback=|| ()>
                {move || page.get().map(|result| match result {
                    Err(e) => view! { <p class="error" role="alert">{error_text(&e)}</p> }.into_any(),
                    Ok(view) if view.entries.is_empty() => view! { <p class="empty muted">"No entries."</p> }.into_any(),
                    Ok(view) => {
                        let older = view.next_before.map(|before| {
                            older_link(&param("category"), &param("actor"), &param("since"), before)
                        });
                        view! {
                            <div class="table-scroll">
                                <table class="people audit" data-testid="audit">
                                    <thead>
                                        <tr>
                                            <th scope="col">"When"</th>
                                            <th scope="col">"Who"</th>
                                            <th scope="col">"What"</th>
                                            <th scope="col">"From"</th>
                                        </tr>
                                    </thead>
                                    <tbody>
                                        {view.entries.into_iter().map(|entry| entry_row(entry, view.now)).collect_view()}
                                    </tbody>
                                </table>
                            </div>
                            {older.map(|href| view! { <p><a class="button subtle" href=href data-testid="older">"Older entries"</a></p> })}
                        }.into_any()
                    }
                })}
            </Transition>
        </main>
    }
}

fn entry_row(entry: AuditEntryView, now: i64) -> impl IntoView {
    let AuditEntryView { action, actor, at, target_kind: _, target_id: _, target_name, detail, address, id } = entry;
    let what = describe_action(&action);
    view! {
        <tr data-testid="audit-entry" data-action=action.clone() data-entry-id=id.to_string()>
            <td><time title=utc_stamp(at)>{relative_time(now, at)}</time></td>
            <th scope="row">{actor.unwrap_or_else(|| "—".into())}</th>
            <td class="audit-what">
                {what}
                {target_name.map(|name| view! { " " <strong>{name}</strong> })}
                {detail.map(|detail| view! { <span class="muted">{format!(" · {detail}")}</span> })}
            </td>
            <td class="muted">{address.unwrap_or_default()}</td>
        </tr>
    }
}

/// The link to the next page, keeping the filters.
fn older_link(category: &str, actor: &str, since: &str, before: i64) -> String {
    format!(
        "/admin/audit?category={}&actor={}&since={}&before={before}",
        encode(category),
        encode(actor),
        encode(since)
    )
}

/// Percent-encodes everything but letters, digits and `-._~` (a query value).
fn encode(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => (b as char).to_string(),
            other => format!("%{other:02X}"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::older_link;

    #[test]
    fn the_next_page_keeps_the_filters_encoded() {
        assert_eq!(
            older_link("document", "a&b=c d", "2026-12-01", 42),
            "/admin/audit?category=document&actor=a%26b%3Dc%20d&since=2026-12-01&before=42"
        );
    }
}
