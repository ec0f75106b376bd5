//! Who is on the other end of a request: server-side sessions (tower-sessions,
//! stored in the app's database) and the guest identity each session carries.
//!
//! Identity is decided here and only here; the client never names itself. Pages
//! and server functions find it as an [`app::api::Identity`] request extension
//! (see [`attach_identity`]); the WebSocket asks [`guest_for`] directly.

mod guest;
mod session_store;

pub use guest::Guest;
pub use session_store::SqlSessionStore;

use axum::extract::Request;
use axum::middleware::Next;
use axum::response::Response;
use time::Duration;
use tower_sessions::cookie::SameSite;
use tower_sessions::{Expiry, Session, SessionManagerLayer};

/// The session cookie's name.
pub const COOKIE: &str = "quire_session";
const GUEST_KEY: &str = "guest";

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

/// The session's guest, created (and so the session saved and its cookie set)
/// on first use. When the session store cannot be read (the database is down),
/// the visitor gets a guest for this request only and nothing is written, so
/// pages and sockets keep working; the identity just does not survive a reload.
pub async fn guest_for(session: &Session) -> Guest {
    match session.get::<Guest>(GUEST_KEY).await {
        Ok(Some(guest)) => guest,
        Ok(None) => {
            let guest = Guest::random();
            if let Err(error) = session.insert(GUEST_KEY, &guest).await {
                tracing::warn!(%error, "could not store a guest in the session");
            }
            guest
        }
        Err(error) => {
            tracing::warn!(%error, "could not read the session; using a one-off guest");
            Guest::random()
        }
    }
}

/// Middleware for pages and server functions: puts the visitor's identity in
/// the request's extensions, where the app reads it.
pub async fn attach_identity(session: Session, mut request: Request, next: Next) -> Response {
    let guest = guest_for(&session).await;
    request.extensions_mut().insert(guest.identity);
    next.run(request).await
}
