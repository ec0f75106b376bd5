//! `/settings`: your account. Change the password (the current one needed;
//! every other session is signed out), connect the account to the single
//! sign-on provider (or disconnect it, when it has a password), see where you are signed in (device,
//! address, when last active) and sign any of those out, or all of them, and
//! personal API tokens for scripts (`Authorization: Bearer`), optionally
//! expiring or read-only. A new token's secret is shown once; revoking one,
//! or signing a session out, ends what it opened at once.

use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_meta::Title;

use leptos_router::hooks::use_query_map;

use crate::api::{
    error_text, list_api_tokens, list_sessions, load_sso_status, sso_problem, ApiToken, ChangePassword, ConfirmSsoLink,
    CreateApiToken, EndOtherSessions, EndSession, RevokeApiToken, SessionInfo, SsoStatus, UnlinkSso,
    MIN_PASSWORD_CHARS,
};
use crate::components::account_menu::AccountMenu;
use crate::components::brand::Brand;
use crate::components::confirm_button::ConfirmButton;
use crate::components::copy_link::select_all;
use crate::components::share_dialog::expiry_text;
use crate::components::when::relative_time;

#[component]
pub fn SettingsPage() -> impl IntoView {
    view! {
        <Title text="Your account"/>
        <header class="topbar"><Brand/><span class="spacer"></span><AccountMenu/></header>
        <main class="page narrow account-page">
            <h1>"Your account"</h1>
            <SignInSections/>
            <SessionsSection/>
            <TokensSection/>
        </main>
    }
}

/// How the account signs in: its password (where it has one and passwords
/// work here) and its connection to the single sign-on provider.
#[component]
fn SignInSections() -> impl IntoView {
    let unlink = ServerAction::<UnlinkSso>::new();
    let status = Resource::new(move || unlink.version().get(), |_| load_sso_status());
    view! {
        <Transition fallback=|| ()>
            {move || status.get().map(|result| match result {
                Err(e) => view! { <p class="error" role="alert">{error_text(&e)}</p> }.into_any(),
                Ok(status) => view! {
                    {(status.has_password && status.password_sign_in).then(|| view! { <PasswordSection/> })}
                    {status.provider.clone().map(|provider| view! { <SsoSection status=status.clone() provider unlink/> })}
                }.into_any(),
            })}
        </Transition>
    }
}

#[component]
fn SsoSection(status: SsoStatus, provider: String, unlink: ServerAction<UnlinkSso>) -> impl IntoView {
    let confirm = ServerAction::<ConfirmSsoLink>::new();
    let query = use_query_map();
    let code = move || query.read().get("sso");
    let linked = status.linked.is_some();
    let name = provider.clone();
    let outcome = move || {
        Some(match code()?.as_str() {
            // Said only when it is so (anyone can open this address).
            "linked" if linked => view! {
                <p class="notice" role="status" data-testid="sso-linked">"Connected: you can sign in with " {name.clone()} " now."</p>
            }
            .into_any(),
            "linked" | "confirmed" => return None,
            code => {
                let problem = sso_problem(code).unwrap_or("Connecting did not work. Please try again.");
                view! { <p class="error" role="alert" data-testid="sso-error">{problem}</p> }.into_any()
            }
        })
    };
    let can_unlink = status.has_password && status.password_sign_in;
    let connect = {
        let provider = provider.clone();
        move || {
            if code().as_deref() == Some("confirmed") {
                // The password was confirmed in this session: on to the provider
                // (a link, not a form: a form may not lead off the site).
                view! {
                    <p class="notice" role="status">"Password confirmed. Sign in at " {provider.clone()} " to connect it to this account."</p>
                    <div class="section-actions">
                        <a class="button primary" href="/auth/oidc/start?link=1" rel="external" data-testid="sso-link">
                            "Continue to " {provider.clone()}
                        </a>
                    </div>
                }
                .into_any()
            } else {
                let lead = format!("Connect your account to {provider} to sign in with it instead of a password.");
                let label = format!("Connect {provider}");
                view! {
                    <p class="muted">{lead}</p>
                    <ActionForm action=confirm attr:class="row-form">
                        <label for="sso-password" class="visually-hidden">"Your password"</label>
                        <input id="sso-password" name="password" type="password" required autocomplete="current-password"
                            placeholder="Your password, to confirm"/>
                        <button type="submit" class="button" data-testid="sso-confirm">{label}</button>
                    </ActionForm>
                    {move || confirm.value().get().and_then(Result::err).map(|e| view! {
                        <p class="error" role="alert">{error_text(&e)}</p>
                    })}
                }
                .into_any()
            }
        }
    };
    view! {
        <section class="admin-section" aria-labelledby="sso-heading">
            <h2 id="sso-heading">"Single sign-on"</h2>
            {outcome}
            {match status.linked {
                Some(identity) => view! {
                    <p data-testid="sso-identity">"Connected to " {provider.clone()} " as " <strong>{identity}</strong> "."</p>
                    {if can_unlink {
                        view! {
                            <div class="section-actions">
                                <ConfirmButton label=format!("Disconnect {provider}") question="Disconnect? You then sign in with your password only.".into()
                                    class="subtle" testid="sso-unlink"
                                    on_confirm=Callback::new(move |()| { unlink.dispatch(UnlinkSso {}); })/>
                            </div>
                        }.into_any()
                    } else {
                        view! { <p class="muted">"This account signs in only through " {provider.clone()} "."</p> }.into_any()
                    }}
                }.into_any(),
                None if status.has_password => connect.into_any(),
                None => view! { <p class="muted">"This account has no password to confirm connecting with; ask an admin."</p> }.into_any(),
            }}
            {move || unlink.value().get().and_then(Result::err).map(|e| view! {
                <p class="error" role="alert">{error_text(&e)}</p>
            })}
        </section>
    }
}

#[component]
fn PasswordSection() -> impl IntoView {
    let change = ServerAction::<ChangePassword>::new();
    view! {
        <section class="admin-section" aria-labelledby="password-heading">
            <h2 id="password-heading">"Password"</h2>
            <ActionForm action=change attr:class="stack-form">
                <label for="current-password">"Current password"</label>
                <input id="current-password" name="current" type="password" required autocomplete="current-password"/>
                <label for="new-password">"New password"</label>
                <input id="new-password" name="new_password" type="password" required minlength=MIN_PASSWORD_CHARS.to_string()
                    autocomplete="new-password"/>
                <label class="check">
                    <input type="checkbox" name="revoke_tokens" value="yes" data-testid="revoke-tokens"/>
                    "Also revoke my API tokens (if someone else may have had this account)"
                </label>
                <button type="submit" class="button primary" data-testid="change-password">"Change password"</button>
            </ActionForm>
            {move || change.value().get().map(|result| match result {
                Ok(()) => view! {
                    <p class="notice" role="status" data-testid="password-changed">
                        "Your password is changed. Every other session was signed out; this one stays."
                    </p>
                }.into_any(),
                Err(e) => view! { <p class="error" role="alert" data-testid="password-error">{error_text(&e)}</p> }.into_any(),
            })}
        </section>
    }
}

#[component]
fn SessionsSection() -> impl IntoView {
    let end = ServerAction::<EndSession>::new();
    let end_others = ServerAction::<EndOtherSessions>::new();
    let sessions = Resource::new(move || (end.version().get(), end_others.version().get()), |_| list_sessions());
    let failure = move || {
        [end.value().get().and_then(Result::err), end_others.value().get().and_then(Result::err)]
            .into_iter()
            .flatten()
            .next()
            .map(|e| view! { <p class="error" role="alert">{error_text(&e)}</p> })
    };
    view! {
        <section class="admin-section" aria-labelledby="sessions-heading">
            <h2 id="sessions-heading">"Where you are signed in"</h2>
            <p class="muted">"Sign out a session you do not recognise or a device you lost: its open pages lose access at once."</p>
            {failure}
            <Transition fallback=|| ()>
                {move || sessions.get().map(|result| match result {
                    Err(e) => view! { <p class="error" role="alert">{error_text(&e)}</p> }.into_any(),
                    Ok(list) => {
                        let others = list.sessions.iter().filter(|session| !session.current).count();
                        let now = list.now;
                        view! {
                            <ul class="doc-list" data-testid="sessions">
                                {list.sessions.into_iter().map(|session| session_row(session, now, end)).collect_view()}
                            </ul>
                            {(others > 0).then(|| view! {
                                <div class="section-actions">
                                    <ConfirmButton label="Sign out everywhere else".into()
                                        question=format!("Sign out {others} other session{}?", if others == 1 { "" } else { "s" })
                                        class="danger" testid="end-other-sessions"
                                        on_confirm=Callback::new(move |()| { end_others.dispatch(EndOtherSessions {}); })/>
                                </div>
                            })}
                        }.into_any()
                    }
                })}
            </Transition>
        </section>
    }
}

fn session_row(session: SessionInfo, now: i64, end: ServerAction<EndSession>) -> impl IntoView {
    let SessionInfo { id, device, address, signed_in_at, last_active_at, current } = session;
    let mut details = Vec::new();
    if let Some(address) = address {
        details.push(address);
    }
    if let Some(at) = signed_in_at {
        details.push(format!("signed in {}", relative_time(now, at)));
    }
    if current {
        details.push("active now".to_string());
    } else if let Some(at) = last_active_at {
        details.push(format!("active {}", relative_time(now, at)));
    }
    let question = format!("Sign out {device}?");
    let session_id = id.clone();
    view! {
        <li class="doc-row" data-testid="session" data-session-id=id.clone() data-current=current.to_string()>
            <span class="doc-title">
                {device}
                {current.then(|| view! { <span class="badge accent">"this browser"</span> })}
            </span>
            <span class="doc-edited muted">{details.join(" · ")}</span>
            {(!current).then(|| view! {
                <ConfirmButton label="Sign out".into() question class="subtle" testid="end-session"
                    on_confirm=Callback::new(move |()| { end.dispatch(EndSession { session_id: session_id.clone() }); })/>
            })}
        </li>
    }
}

#[component]
fn TokensSection() -> impl IntoView {
    let create = ServerAction::<CreateApiToken>::new();
    let revoke = ServerAction::<RevokeApiToken>::new();
    let tokens = Resource::new(move || (create.version().get(), revoke.version().get()), |_| list_api_tokens());
    view! {
        <section class="admin-section" aria-labelledby="tokens-heading">
            <h2 id="tokens-heading">"API tokens"</h2>
            <p class="muted">"Scripts can use the JSON API as you by sending "
                <code>"Authorization: Bearer <token>"</code>". Revoke a token you no longer use."</p>
            <ActionForm action=create attr:class="row-form token-form">
                <label class="visually-hidden" for="token-name">"Name of the new token"</label>
                <input id="token-name" name="name" type="text" required maxlength="60" placeholder="What is it for?" autocomplete="off"/>
                <select name="access" aria-label="What the token may do">
                    <option value="write">"Read and write"</option>
                    <option value="read">"Read only"</option>
                </select>
                <select name="expires_in_days" aria-label="Token expires">
                    <option value="0">"Never expires"</option>
                    <option value="7">"Expires in 7 days"</option>
                    <option value="30">"Expires in 30 days"</option>
                    <option value="90">"Expires in 90 days"</option>
                    <option value="365">"Expires in a year"</option>
                </select>
                <button type="submit" class="button primary">"Create token"</button>
            </ActionForm>
            {move || create.value().get().map(|result| match result {
                Ok(new) => view! {
                    <div class="notice" role="status">
                        <p>"Copy this token now; it will not be shown again."</p>
                        <input class="secret" readonly value=new.secret data-testid="new-token" aria-label="The new token"
                            on:focus=|ev| select_all(&ev)/>
                    </div>
                }.into_any(),
                Err(e) => view! { <p class="error" role="alert">{error_text(&e)}</p> }.into_any(),
            })}
            <Transition fallback=|| ()>
                {move || tokens.get().map(|result| match result {
                    Ok(list) if list.tokens.is_empty() => view! { <p class="empty muted">"No tokens."</p> }.into_any(),
                    Ok(list) => view! {
                        <ul class="doc-list" data-testid="tokens">
                            {list.tokens.into_iter().map(|token| token_row(token, list.now, revoke)).collect_view()}
                        </ul>
                    }.into_any(),
                    Err(e) => view! { <p class="error" role="alert">{error_text(&e)}</p> }.into_any(),
                })}
            </Transition>
        </section>
    }
}

fn token_row(token: ApiToken, now: i64, revoke: ServerAction<RevokeApiToken>) -> impl IntoView {
    let ApiToken { id, name, created_at: _, last_used_at, expires_at, read_only } = token;
    let used = if last_used_at.is_some() { "used" } else { "never used" };
    view! {
        <li class="doc-row" data-testid="token">
            <span class="doc-title">
                {name}
                {read_only.then(|| view! { <span class="badge">"read-only"</span> })}
            </span>
            <span class="doc-edited muted">{format!("{used} · {}", expiry_text(expires_at, now).to_lowercase())}</span>
            <button class="button danger" on:click=move |_| { revoke.dispatch(RevokeApiToken { token_id: id.clone() }); }>
                "Revoke"
            </button>
        </li>
    }
}
