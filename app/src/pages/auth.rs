//! `/signin`, `/signup` and `/reset`: plain forms that work without JavaScript
//! too. The server validates again; the rules shown here are the same ones.

use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_meta::{Meta, Title};
use leptos_router::hooks::use_query_map;

use crate::api::{
    error_text, load_sign_in_methods, reset_account, sso_problem, sso_start_url, who_may_sign_up, Registration,
    ResetPassword, SignIn, SignInMethods, SignUp,
};
use crate::components::brand::Brand;

#[component]
pub fn SignInPage() -> impl IntoView {
    let action = ServerAction::<SignIn>::new();
    let query = use_query_map();
    let next = move || query.read().get("next").unwrap_or_default();
    let methods = Resource::new(|| (), |_| load_sign_in_methods());
    let password_form = move || {
        view! {
            <ActionForm action attr:class="stack-form">
                <input type="hidden" name="next" value=next/>
                <label for="username">"Username"</label>
                <input id="username" name="username" type="text" required autocomplete="username" autofocus/>
                <label for="password">"Password"</label>
                <input id="password" name="password" type="password" required autocomplete="current-password"/>
                <button type="submit" class="button primary">"Sign in"</button>
            </ActionForm>
        }
    };
    view! {
        <Title text="Sign in"/>
        <header class="topbar"><Brand/></header>
        <main class="page auth-page">
            <div class="auth-card">
                <h1>"Sign in"</h1>
                <SsoProblem/>
                <Suspense fallback=|| ()>
                    {move || methods.get().map(|methods| match methods {
                        Err(e) => view! { <p class="error" role="alert">{error_text(&e)}</p> }.into_any(),
                        Ok(SignInMethods { password, sso }) => view! {
                            {sso.map(|name| {
                                let href = sso_start_url(Some(&next()), None);
                                view! { <SsoButton name href verb="Sign in" divider=password/> }
                            })}
                            {password.then(password_form)}
                        }.into_any(),
                    })}
                </Suspense>
                {move || action.value().get().and_then(|r| r.err()).map(|e| view! {
                    <p class="error" role="alert" data-testid="auth-error">{error_text(&e)}</p>
                })}
                <p class="muted">"New here? " <a href="/signup">"Create an account"</a></p>
            </div>
        </main>
    }
}

/// "Sign in with …": to the provider, and back signed in. `divider`: a
/// password form follows it.
#[component]
fn SsoButton(name: String, href: String, verb: &'static str, divider: bool) -> impl IntoView {
    view! {
        // rel=external: the router must let the browser leave for the server's redirect.
        <a class="button primary sso-button" href=href rel="external" data-testid="sso-sign-in">{format!("{verb} with {name}")}</a>
        {divider.then(|| view! { <p class="auth-divider" role="separator"><span>"or with a password"</span></p> })}
    }
}

/// What went wrong with single sign-on, when the server sent the browser
/// back here saying so (`?sso=<code>`; only known codes are shown).
#[component]
fn SsoProblem() -> impl IntoView {
    let query = use_query_map();
    move || {
        let code = query.read().get("sso")?;
        let problem = sso_problem(&code).unwrap_or("Signing in with single sign-on did not work. Please try again.");
        Some(view! { <p class="error" role="alert" data-testid="sso-error">{problem}</p> })
    }
}

/// Signing up: the form, with the invitation it came with; or, where sign-up
/// needs an invitation (or is closed) and there is none, what to do instead.
#[component]
pub fn SignUpPage() -> impl IntoView {
    let action = ServerAction::<SignUp>::new();
    let query = use_query_map();
    let invite = move || query.read().get("invite").filter(|invite| !invite.is_empty());
    let mode = Resource::new(
        || (),
        |_| async { Ok::<_, ServerFnError>((who_may_sign_up().await?, load_sign_in_methods().await?)) },
    );
    let form = move |invite: Option<String>, methods: SignInMethods| {
        let invited = invite.is_some();
        let sso = methods.sso.map(|name| {
            let href = sso_start_url(None, invite.as_deref());
            view! { <SsoButton name href verb="Sign up" divider=methods.password/> }
        });
        let password = methods.password.then(|| view! {
            <ActionForm action attr:class="stack-form">
                <input type="hidden" name="invite" value=invite.clone().unwrap_or_default()/>
                <label for="username">"Username"</label>
                <input id="username" name="username" type="text" required minlength="3" maxlength="32"
                    pattern="[A-Za-z0-9_.\\-]+" autocomplete="username" autofocus
                    aria-describedby="username-rule"/>
                <p id="username-rule" class="hint">"3–32 letters, digits, “_”, “-” or “.”; others see it on your caret."</p>
                <NewPassword label="Password" autofocus=false/>
                <button type="submit" class="button primary">"Sign up"</button>
            </ActionForm>
        });
        let welcome = if methods.password {
            "You were invited: choose a username and a password."
        } else {
            "You were invited: sign up with your organisation's account."
        };
        view! {
            {invited.then(|| view! { <p class="notice" data-testid="invited">{welcome}</p> })}
            {sso}
            {password}
        }
    };
    view! {
        <Title text="Sign up"/>
        // The address may hold an invitation's secret: never sent on as a Referer.
        <Meta name="referrer" content="no-referrer"/>
        <header class="topbar"><Brand/></header>
        <main class="page auth-page">
            <div class="auth-card">
                <h1>"Create your account"</h1>
                <SsoProblem/>
                <Suspense fallback=|| ()>
                    {move || mode.get().map(|mode| match (invite(), mode) {
                        (Some(invite), Ok((_, methods))) => form(Some(invite), methods).into_any(),
                        (None, Ok((Registration::Open, methods))) => form(None, methods).into_any(),
                        (None, Ok((Registration::Invite, _))) => view! {
                            <p data-testid="sign-up-closed">"Accounts on this server are by invitation. Ask its admin for an invitation link, then open it."</p>
                        }.into_any(),
                        (None, Ok((Registration::Closed, _))) => view! {
                            <p data-testid="sign-up-closed">"Sign-up is closed on this server. Ask its admin for an account."</p>
                        }.into_any(),
                        (_, Err(e)) => view! { <p class="error" role="alert">{error_text(&e)}</p> }.into_any(),
                    })}
                </Suspense>
                {move || action.value().get().and_then(|r| r.err()).map(|e| view! {
                    <p class="error" role="alert" data-testid="auth-error">{error_text(&e)}</p>
                })}
                <p class="muted">"Have an account? " <a href="/signin">"Sign in"</a></p>
            </div>
        </main>
    }
}

/// `/reset?token=…`: a new password through the one-time link an admin made,
/// naming the account it is for (or saying at once that it no longer works).
#[component]
pub fn ResetPasswordPage() -> impl IntoView {
    let action = ServerAction::<ResetPassword>::new();
    let query = use_query_map();
    let token = move || query.read().get("token").unwrap_or_default();
    let account = Resource::new(token, reset_account);
    let form = move |username: String| {
        view! {
            <p class="muted">"For " <strong data-testid="reset-for">{username}</strong>
                ". Every device signed in to the account is signed out; this one is signed in with the new password."</p>
            <ActionForm action attr:class="stack-form">
                <input type="hidden" name="token" value=token/>
                <NewPassword label="New password" autofocus=true/>
                <button type="submit" class="button primary">"Set the password"</button>
            </ActionForm>
        }
    };
    view! {
        <Title text="Choose a new password"/>
        // The address holds the reset link's secret: never sent on as a Referer.
        <Meta name="referrer" content="no-referrer"/>
        <header class="topbar"><Brand/></header>
        <main class="page auth-page">
            <div class="auth-card">
                <h1>"Choose a new password"</h1>
                <Suspense fallback=|| ()>
                    {move || account.get().map(|found| match found {
                        Ok(Some(username)) => form(username).into_any(),
                        Ok(None) => view! {
                            <p class="error" role="alert" data-testid="auth-error">
                                "This password-reset link does not work: it expired or was used already. Ask an admin for a new one."
                            </p>
                        }.into_any(),
                        Err(e) => view! { <p class="error" role="alert">{error_text(&e)}</p> }.into_any(),
                    })}
                </Suspense>
                {move || action.value().get().and_then(|r| r.err()).map(|e| view! {
                    <p class="error" role="alert" data-testid="auth-error">{error_text(&e)}</p>
                })}
            </div>
        </main>
    }
}

/// A password being chosen (sign-up, reset), with the rule the server applies.
#[component]
fn NewPassword(label: &'static str, autofocus: bool) -> impl IntoView {
    view! {
        <label for="password">{label}</label>
        <input id="password" name="password" type="password" required minlength="8" maxlength="256"
            autocomplete="new-password" autofocus=autofocus aria-describedby="password-rule"/>
        <p id="password-rule" class="hint">"At least 8 characters."</p>
    }
}
