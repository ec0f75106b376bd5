//! The two addresses of single sign-on: `GET /auth/oidc/start` sends the
//! browser to the OpenID provider, `GET /auth/oidc/callback` is where the
//! provider sends it back. Both answer with a redirect (they work without
//! JavaScript); what they decide is in `service/sso.rs`.
//!
//! Both are GET: the callback must be (the provider redirects), and a start
//! that is a POST would be stopped by the pages' `form-action 'self'` on its
//! way to the provider. Starting a sign-in from another site only sends the
//! visitor to the provider; starting a *link* from another site is refused,
//! so no page elsewhere can connect whatever identity the browser has at the
//! provider to the account signed in here.

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
    if state.sso.is_none() {
        return no_store(Redirect::to(&format!("{back}?sso=off")));
    }
    if link && !crate::same_site::from_this_site(&headers, state.config.public_origin.as_deref()) {
        return no_store(Redirect::to("/settings?sso=state"));
    }
    if link && caller.user.is_none() {
        return no_store(Redirect::to("/signin?next=/settings"));
    }
    let redirect_uri = callback_url(&state, &headers);
    let next = app::api::local_path(query.next.as_deref());
    let service = Service::new(state, caller, ip);
    match service.begin_sso(&redirect_uri, &next, query.invite, link).await {
        Ok(url) => no_store(Redirect::to(&url)),
        Err(_) => no_store(Redirect::to(&format!("{back}?sso=unavailable"))),
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
    let user_agent = headers.get(header::USER_AGENT).and_then(|v| v.to_str().ok());
    let service = Service::new(state, caller, ip).with_user_agent(user_agent);
    // A malformed query is a callback without state: refused as such.
    let query = query.map(|Query(query)| query).unwrap_or_default();
    no_store(Redirect::to(&service.finish_sso(query).await))
}

/// This site's callback address: under the configured public origin, else
/// the host the browser asked for (the provider accepts only the addresses
/// registered with it, so a forged Host leads nowhere).
fn callback_url(state: &AppState, headers: &HeaderMap) -> String {
    if let Some(origin) = state.config.public_origin.as_deref() {
        return format!("{}{CALLBACK_PATH}", origin.trim_end_matches('/'));
    }
    let host = headers.get(header::HOST).and_then(|v| v.to_str().ok()).unwrap_or("localhost");
    let scheme = if state.config.secure_cookies { "https" } else { "http" };
    format!("{scheme}://{host}{CALLBACK_PATH}")
}

/// Neither answer may be cached: each carries a one-time secret onwards.
fn no_store(redirect: Redirect) -> Response {
    let mut response = redirect.into_response();
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}
