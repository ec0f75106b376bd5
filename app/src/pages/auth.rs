//! `/signin` and `/signup`: plain forms that work without JavaScript too. The
//! server validates again; the rules shown here are the same ones.

use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::api::{error_text, SignIn, SignUp};
use crate::components::brand::Brand;

#[component]
pub fn SignInPage() -> impl IntoView {
    let action = ServerAction::<SignIn>::new();
    let query = use_query_map();
    let next = move || query.read().get("next").unwrap_or_default();
    view! {
        <Title text="Sign in"/>
        <header class="topbar"><Brand/></header>
        <main class="page auth-page">
            <div class="auth-card">
                <h1>"Sign in"</h1>
                <ActionForm action attr:class="stack-form">
                    <input type="hidden" name="next" value=next/>
                    <label for="username">"Username"</label>
                    <input id="username" name="username" type="text" required autocomplete="username" autofocus/>
                    <label for="password">"Password"</label>
                    <input id="password" name="password" type="password" required autocomplete="current-password"/>
                    <button type="submit" class="button primary">"Sign in"</button>
                </ActionForm>
                {move || action.value().get().and_then(|r| r.err()).map(|e| view! {
                    <p class="error" role="alert" data-testid="auth-error">{error_text(&e)}</p>
                })}
                <p class="muted">"New here? " <a href="/signup">"Create an account"</a></p>
            </div>
        </main>
    }
}

#[component]
pub fn SignUpPage() -> impl IntoView {
    let action = ServerAction::<SignUp>::new();
    view! {
        <Title text="Sign up"/>
        <header class="topbar"><Brand/></header>
        <main class="page auth-page">
            <div class="auth-card">
                <h1>"Create your account"</h1>
                <ActionForm action attr:class="stack-form">
                    <label for="username">"Username"</label>
                    <input id="username" name="username" type="text" required minlength="3" maxlength="32"
                        pattern="[A-Za-z0-9_.\\-]+" autocomplete="username" autofocus
                        aria-describedby="username-rule"/>
                    <p id="username-rule" class="hint">"3–32 letters, digits, “_”, “-” or “.”; others see it on your caret."</p>
                    <label for="password">"Password"</label>
                    <input id="password" name="password" type="password" required minlength="8" maxlength="256"
                        autocomplete="new-password" aria-describedby="password-rule"/>
                    <p id="password-rule" class="hint">"At least 8 characters."</p>
                    <button type="submit" class="button primary">"Sign up"</button>
                </ActionForm>
                {move || action.value().get().and_then(|r| r.err()).map(|e| view! {
                    <p class="error" role="alert" data-testid="auth-error">{error_text(&e)}</p>
                })}
                <p class="muted">"Have an account? " <a href="/signin">"Sign in"</a></p>
            </div>
        </main>
    }
}
