//! `/settings`: personal API tokens for scripts (`Authorization: Bearer`).
//! A new token's secret is shown once; revoking one stops it at once.

use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_meta::Title;

use crate::api::{error_text, list_api_tokens, CreateApiToken, RevokeApiToken};
use crate::components::account_menu::AccountMenu;
use crate::components::brand::Brand;
use crate::components::copy_link::select_all;

#[component]
pub fn SettingsPage() -> impl IntoView {
    let create = ServerAction::<CreateApiToken>::new();
    let revoke = ServerAction::<RevokeApiToken>::new();
    let tokens = Resource::new(move || (create.version().get(), revoke.version().get()), |_| list_api_tokens());
    view! {
        <Title text="Settings"/>
        <header class="topbar"><Brand/><span class="spacer"></span><AccountMenu/></header>
        <main class="page narrow">
            <h1>"API tokens"</h1>
            <p class="muted">"Scripts can use the JSON API as you by sending "
                <code>"Authorization: Bearer <token>"</code>". Revoke a token you no longer use."</p>
            <ActionForm action=create attr:class="new-doc-form">
                <label class="visually-hidden" for="token-name">"Name of the new token"</label>
                <input id="token-name" name="name" type="text" required maxlength="60" placeholder="What is it for?" autocomplete="off"/>
                <button type="submit" class="button primary">"Create token"</button>
            </ActionForm>
            {move || create.value().get().map(|result| match result {
                Ok(new) => view! {
                    <div class="notice" role="status">
                        <p>"Copy this token now; it will not be shown again."</p>
                        <input class="secret" readonly value=new.secret data-testid="new-token" on:focus=|ev| select_all(&ev)/>
                    </div>
                }.into_any(),
                Err(e) => view! { <p class="error" role="alert">{error_text(&e)}</p> }.into_any(),
            })}
            <Transition fallback=|| ()>
                {move || tokens.get().map(|result| match result {
                    Ok(list) if list.is_empty() => view! { <p class="empty muted">"No tokens."</p> }.into_any(),
                    Ok(list) => view! {
                        <ul class="doc-list">
                            {list.into_iter().map(|token| {
                                let id = token.id.clone();
                                view! {
                                    <li class="doc-row">
                                        <span class="doc-title">{token.name}</span>
                                        <span class="doc-edited muted">{if token.last_used_at.is_some() { "used" } else { "never used" }}</span>
                                        <button class="button danger" on:click=move |_| { revoke.dispatch(RevokeApiToken { token_id: id.clone() }); }>
                                            "Revoke"
                                        </button>
                                    </li>
                                }
                            }).collect_view()}
                        </ul>
                    }.into_any(),
                    Err(e) => view! { <p class="error" role="alert">{error_text(&e)}</p> }.into_any(),
                })}
            </Transition>
        </main>
    }
}
