//! The right end of every top bar: the theme, who you are, and signing in or out.

use leptos::form::ActionForm;
use leptos::prelude::*;

use crate::api::{whoami, SignOut};
use crate::components::theme_toggle::ThemeToggle;

#[component]
pub fn AccountMenu() -> impl IntoView {
    let me = Resource::new(|| (), |_| whoami());
    let sign_out = ServerAction::<SignOut>::new();
    view! {
        <ThemeToggle/>
        <Suspense fallback=|| ()>
            {move || me.get().and_then(Result::ok).map(|me| match me.username {
                Some(username) => view! {
                    <nav class="account" aria-label="Account">
                        {me.admin.then(|| view! { <a class="button subtle" href="/admin" data-testid="admin-link">"Admin"</a> })}
                        <a class="account-link" href="/settings" data-testid="account-name" title="Your account: password, sessions, API tokens">
                            <span class="account-avatar" style=format!("background:{}", me.identity.color) aria-hidden="true">
                                {username.chars().next().map(|c| c.to_uppercase().to_string()).unwrap_or_default()}
                            </span>
                            <span class="account-label">{username.clone()}</span>
                        </a>
                        <ActionForm action=sign_out attr:class="inline-form">
                            <button type="submit" class="button subtle" data-testid="sign-out">"Sign out"</button>
                        </ActionForm>
                    </nav>
                }.into_any(),
                None => view! {
                    <nav class="account" aria-label="Account">
                        <a class="button subtle" href="/signin">"Sign in"</a>
                        <a class="button primary" href="/signup">"Sign up"</a>
                    </nav>
                }.into_any(),
            })}
        </Suspense>
    }
    // Erased: it sits in every top bar, and the pages' view types get too deep otherwise.
    .into_any()
}
