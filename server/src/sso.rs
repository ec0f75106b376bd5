//! The two addresses of single sign-on: `GET /auth/oidc/start` sends the
//! browser to the OpenID provider, `GET /auth/oidc/callback` is where the
//! provider sends it back. Both answer with a redirect (they work without
//! JavaScript); what they decide is in `service/sso.rs`.
//!
//! Both are GET: the callback must be (the provider redirects), and a start
//! that is a POST would be stopped by the pages' `form-action 'self'` on its
//! way to the provider. Both answer page navigations only. Starting a
//! sign-in from another site only sends a visitor who is not signed in to
//! the provider (a provider's own "open Quire" link works); someone signed in
//! stays who they are. Starting a *link* from another site is refused, and a
//! link also needs the password confirmed in this session just before, so no
//! page elsewhere — nor someone who merely holds the session — can connect an
//! identity to the account signed in here.

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use crate::auth::Caller;
use crate::client_addr::ClientAddr;
use crate::service::{Service, SsoCallback};
use crate::state::AppState;

/// Where the provider sends the browser back to, on this site.
pub const CALLBACK_PATH: &str = "/auth/oidc/callback";

#[derive(Debug, Default, Deserialize)]
pub struct Start {
    /// Where to go once signed in (a path on this site).
    pub next: Option<String>,
    /// The invitation the sign-up page was opened with.
    pub invite: Option<String>,
    /// `1`: connect the identity to the signed-in account instead.
    pub link: Option<String>,
}

/// `GET /auth/oidc/start?next=&invite=&link=1` -> 303 to the provider.
pub async fn start(
    State(state): State<AppState>,
    caller: Caller,
    ClientAddr(ip): ClientAddr,
    headers: HeaderMap,
    Query(query): Query<Start>,
) -> Response {
    let link = query.link.as_deref() == Some("1");
    let back = if link { "/settings" } else { "/signin" };
    // Only a page navigation starts a sign-in: not an image in a document,
    // not a script's fetch.
    if !is_navigation(&headers) {
        return no_store(Redirect::to(&format!("{back}?sso=state")));
    }
    let from_here = crate::same_site::from_this_site(&headers, state.config.public_origin.as_deref());
    if link && (!from_here || caller.user.is_none()) {
        let to = if caller.user.is_none() { "/signin?next=/settings" } else { "/settings?sso=state" };
        return no_store(Redirect::to(to));
    }
    // Someone signed in, sent here by another site: they stay who they are
    // (a page elsewhere must not switch their account).
    if !link && !from_here && caller.user.is_some() {
        return no_store(Redirect::to("/"));
    }
    let Some(redirect_uri) = callback_url(&state, &headers) else {
        return no_store(Redirect::to(&format!("{back}?sso=invalid")));
    };
    let next = app::api::local_path(query.next.as_deref());
    let service = Service::new(state, caller, ip);
    match service.begin_sso(&redirect_uri, &next, query.invite, link).await {
        Ok(url) => no_store(Redirect::to(&url)),
        Err(code) => no_store(Redirect::to(&format!("{back}?sso={code}"))),
    }
}

/// `GET /auth/oidc/callback?state=&code=` (or `&error=`) -> 303 onwards.
pub async fn callback(
    State(state): State<AppState>,
    caller: Caller,
    ClientAddr(ip): ClientAddr,
    headers: HeaderMap,
    query: Result<Query<SsoCallback>, QueryRejection>,
) -> Response {
    if !is_navigation(&headers) {
        return no_store(Redirect::to("/signin?sso=state"));
    }
    let user_agent = headers.get(header::USER_AGENT).and_then(|v| v.to_str().ok());
    let service = Service::new(state, caller, ip).with_user_agent(user_agent);
    // A malformed query is a callback without state: refused as such.
    let query = query.map(|Query(query)| query).unwrap_or_default();
    no_store(Redirect::to(&service.finish_sso(query).await))
}

/// Whether the browser says this is a page navigation (programs, which send
/// no `Sec-Fetch-Mode`, are taken at their word).
fn is_navigation(headers: &HeaderMap) -> bool {
    headers.get("sec-fetch-mode").is_none_or(|mode| mode.as_bytes() == b"navigate")
}

/// This site's callback address: under the configured public origin, else
/// the host the browser asked for (the provider accepts only the addresses
/// registered with it, so a forged Host leads nowhere); None when that host
/// is not a plain `name[:port]`.
fn callback_url(state: &AppState, headers: &HeaderMap) -> Option<String> {
    if let Some(origin) = state.config.public_origin.as_deref() {
        return Some(format!("{}{CALLBACK_PATH}", origin.trim_end_matches('/')));
    }
    let host = headers.get(header::HOST).and_then(|v| v.to_str().ok())?;
    let plain = !host.is_empty()
        && host.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b':' | b'[' | b']'));
    let scheme = if state.config.secure_cookies { "https" } else { "http" };
    plain.then(|| format!("{scheme}://{host}{CALLBACK_PATH}"))
}

/// Neither answer may be cached: each carries a one-time secret onwards.
fn no_store(redirect: Redirect) -> Response {
    let mut response = redirect.into_response();
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}
