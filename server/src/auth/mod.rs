//! Who is on the other end of a request, decided here and only here; the
//! client never names itself.
//!
//! Sessions are tower-sessions stored in the app's database (see
//! [`SqlSessionStore`]). A session may hold a signed-in account, a guest
//! identity, and the share links its browser has opened. Scripts may instead
//! send a personal API token as `Authorization: Bearer`. [`resolve_caller`]
//! turns either into a [`Caller`] request extension for every route.

mod caller;
pub mod oidc;
pub mod password;
mod person;
pub mod secret;
mod session_store;
pub mod throttle;

pub use caller::{Caller, Credential, SessionUser, LINKS_KEY, USER_KEY};
pub use person::{Person, COLORS};
pub use session_store::SqlSessionStore;

use axum::extract::{Request, State};
use axum::http::{header, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use time::Duration;
use tower_sessions::cookie::SameSite;
use tower_sessions::{Expiry, Session, SessionManagerLayer};

use crate::error::Error;
use crate::state::AppState;

/// The session cookie's name.
pub const COOKIE: &str = "quire_session";
const GUEST_KEY: &str = "guest";
/// Prefix of personal API tokens.
pub const API_TOKEN_PREFIX: &str = "qt_";

/// Sessions last 30 days after the last visit; the cookie is HttpOnly (scripts
/// cannot read it) and SameSite=Lax (other sites cannot ride it), and Secure
/// when Quire is served over https.
pub fn session_layer(store: SqlSessionStore, secure: bool) -> SessionManagerLayer<SqlSessionStore> {
    SessionManagerLayer::new(store)
        .with_name(COOKIE)
        .with_http_only(true)
        .with_same_site(SameSite::Lax)
        .with_secure(secure)
        .with_expiry(Expiry::OnInactivity(Duration::days(30)))
}

/// Middleware for every route: works out the [`Caller`] from a Bearer token
/// or the session. A Bearer header that is not a live token is refused with
/// 401 rather than ignored, so a script with a revoked token learns so.
pub async fn resolve_caller(State(state): State<AppState>, mut request: Request, next: Next) -> Response {
    // The bundle, styles and icons are public: reading the session for them
    // would cost a database query per file.
    if is_public_asset(request.uri().path()) {
        request.extensions_mut().insert(Caller::nobody());
        return next.run(request).await;
    }
    let bearer = request.headers().get(header::AUTHORIZATION).map(|v| v.to_str().unwrap_or("").to_string());
    let caller = match bearer {
        Some(value) => match token_user(&state, &value).await {
            // A read-only token reads: anything but GET (or HEAD) is refused
            // here, before any handler, whatever the route.
            Ok(Some((_, _, limits)))
                if limits.read_only && !matches!(*request.method(), Method::GET | Method::HEAD) =>
            {
                return Error::Forbidden("this API token may only read".into()).into_response();
            }
            Ok(Some((user, digest, limits))) => Caller::with_token(user, digest, limits),
            Ok(None) => return Error::Unauthorized.into_response(),
            Err(error) => return error.into_response(),
        },
        None => match request.extensions().get::<Session>().cloned() {
            Some(session) => Caller::from_session(session).await,
            None => Caller::nobody(),
        },
    };
    let peer = request.extensions().get::<axum::extract::ConnectInfo<std::net::SocketAddr>>().map(|info| info.0.ip());
    let address =
        peer.map(|peer| crate::client_addr::client_addr(peer, request.headers(), &state.config.trusted_proxies));
    request.extensions_mut().insert(Caller { address, ..caller });
    next.run(request).await
}

fn is_public_asset(path: &str) -> bool {
    path.starts_with("/pkg/") || path == "/favicon.svg" || path == "/healthz"
}

async fn token_user(
    state: &AppState,
    header: &str,
) -> crate::error::Result<Option<(SessionUser, String, crate::store::TokenLimits)>> {
    let Some(token) = header.strip_prefix("Bearer ") else {
        return Ok(None);
    };
    if !secret::looks_valid(API_TOKEN_PREFIX, token.trim()) {
        return Ok(None);
    }
    let digest = secret::digest(token.trim());
    let found = state.store.user_by_token(&digest).await?;
    Ok(found.map(|found| (SessionUser { id: found.user_id, username: found.username, epoch: 0 }, digest, found.limits)))
}

/// Whether the credential a signed-in caller came with still stands: the
/// token is not revoked, the session was not signed out (or signed in as
/// someone else). Long-lived connections ask this whenever access is
/// re-checked, so signing out or revoking a token ends them. Guests and
/// anonymous callers have nothing to lose here (their share links are
/// checked by `access::grant`).
pub async fn still_signed_in(store: &crate::store::Store, caller: &Caller) -> crate::error::Result<bool> {
    let Some(user) = &caller.user else {
        return Ok(true);
    };
    match &caller.credential {
        Credential::Token(digest) => {
            Ok(store.user_by_token(digest).await?.is_some_and(|found| found.user_id == user.id))
        }
        Credential::Session(id) => {
            use tower_sessions::SessionStore;
            let record = SqlSessionStore::new(store.pool())
                .load(id)
                .await
                .map_err(|e| crate::error::Error::Internal(format!("session store: {e}")))?;
            let signed_in = record
                .and_then(|record| record.data.get(USER_KEY).cloned())
                .and_then(|value| serde_json::from_value::<SessionUser>(value).ok());
            Ok(signed_in.is_some_and(|signed_in| signed_in.id == user.id))
        }
        Credential::None => Ok(false),
    }
}

/// When this process last wrote each account's "last seen" (and each
/// session's "last active"): a person opening many documents (or a script
/// opening thousands of sockets) costs one write a minute, not one per
/// connection. Keyed by account id or `s:` and the session id (random, so
/// servers sharing a process in tests cannot collide); pruned to the last
/// minute's.
static LAST_WRITTEN: std::sync::LazyLock<std::sync::Mutex<std::collections::HashMap<String, std::time::Instant>>> =
    std::sync::LazyLock::new(Default::default);

/// Whether `key` was not written within the last minute (and notes it is now).
fn due_for_write(key: String) -> bool {
    const MINUTE: std::time::Duration = std::time::Duration::from_secs(60);
    let now = std::time::Instant::now();
    let mut written = LAST_WRITTEN.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    if written.get(&key).is_some_and(|at| now.duration_since(*at) < MINUTE) {
        return false;
    }
    written.insert(key, now);
    // Entries older than a minute decide nothing: dropped now and then.
    if written.len() > 4096 {
        written.retain(|_, at| now.duration_since(*at) < MINUTE);
    }
    true
}

/// Notes (to the minute, off the request's path) that a signed-in caller was
/// here: their account's "last seen" (the admin page) and their session's
/// "last active" (their own session list).
pub fn touch_last_seen(state: &AppState, caller: &Caller) {
    let Some(user) = &caller.user else { return };
    let account = due_for_write(user.id.clone()).then(|| user.id.clone());
    let session = match &caller.credential {
        Credential::Session(id) => Some(id.to_string()).filter(|id| due_for_write(format!("s:{id}"))),
        _ => None,
    };
    if account.is_none() && session.is_none() {
        return;
    }
    let store = state.store.clone();
    tokio::spawn(async move {
        if let Some(account) = account {
            if let Err(error) = store.touch_last_seen(&account).await {
                tracing::debug!(%error, "could not note when an account was last seen");
            }
        }
        if let Some(session) = session {
            if let Err(error) = store.touch_session(&session).await {
                tracing::debug!(%error, "could not note when a session was last active");
            }
        }
    });
}

/// The session's guest, created (and so the session saved and its cookie set)
/// on first use. When the session store cannot be read (the database is down),
/// the visitor gets a guest for this request only and nothing is written, so
/// pages keep working; the identity just does not survive a reload.
pub async fn guest_for(session: &Session) -> Person {
    match session.get::<Person>(GUEST_KEY).await {
        Ok(Some(guest)) => guest,
        Ok(None) => {
            let guest = Person::random_guest();
            if let Err(error) = session.insert(GUEST_KEY, &guest).await {
                tracing::warn!(%error, "could not store a guest in the session");
            }
            guest
        }
        Err(error) => {
            tracing::warn!(%error, "could not read the session; using a one-off guest");
            Person::random_guest()
        }
    }
}
