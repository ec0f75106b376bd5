//! The HTTP surface: Leptos pages (SSR) and server functions, the WebSocket,
//! the JSON API, share links, list events and static files. Sessions and the
//! [`auth::Caller`] cover everything; pages and server functions also get a
//! [`Service`] bound to that caller, which is how the app reaches the server.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::{ConnectInfo, Request, State};
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::{any, delete, get, post, put};
use axum::Router;
use leptos_axum::{generate_route_list, LeptosRoutes};
use tower_http::compression::CompressionLayer;

use app::api::ssr::BackendHandle;
use app::{shell, App};

use crate::auth::{self, Caller};
use crate::service::{self, Service};
use crate::state::AppState;
use crate::{api, events, headers, same_site, ws};

pub fn router(state: AppState) -> Router {
    let routes = generate_route_list(App);
    let options = state.leptos_options.clone();
    let secure_cookies = state.config.secure_cookies || state.config.serves_https();
    let sessions = auth::session_layer(auth::SqlSessionStore::new(state.store.pool()), secure_cookies);
    let pages = Router::new()
        .leptos_routes(&state, routes, move || shell(options.clone()))
        .layer(middleware::from_fn_with_state(state.clone(), attach_backend));
    Router::new()
        .route("/ws/doc/{id}", get(ws::upgrade))
        .route("/api/docs", get(api::list).post(api::create))
        .route("/api/docs/{id}", delete(api::delete))
        .route("/api/docs/{id}/markdown", get(api::markdown))
        .route("/api/docs/{id}/links", post(api::create_link))
        .route("/api/docs/{id}/links/{link}", delete(api::revoke_link))
        .route("/api/docs/{id}/members/{username}", put(api::share).delete(api::unshare))
        .route("/api/users", post(api::sign_up))
        .route("/api/session", post(api::sign_in))
        .route("/api/tokens", post(api::create_token))
        .route("/api/tokens/{id}", delete(api::revoke_token))
        // Everything under /api answers JSON, an unknown path too.
        .route("/api/{*rest}", any(api::no_such_endpoint))
        .route("/healthz", get(api::health))
        .route("/events", get(events::stream))
        .route("/s/{token}", get(service::open_share_link))
        .merge(pages)
        .fallback(leptos_axum::file_and_error_handler::<AppState, _>(shell))
        .layer(middleware::from_fn_with_state(state.clone(), auth::resolve_caller))
        .layer(sessions)
        .layer(middleware::from_fn_with_state(state.clone(), same_site::refuse_cross_site))
        .layer(middleware::from_fn_with_state(state.clone(), headers::security_headers))
        .layer(CompressionLayer::new())
        .with_state(state)
}

/// The client's address (see `client_addr`), when the server was started with connect info.
pub fn client_ip(request: &Request, trusted_proxies: &[std::net::IpAddr]) -> Option<std::net::IpAddr> {
    let peer = request.extensions().get::<ConnectInfo<SocketAddr>>()?.0.ip();
    Some(crate::client_addr::client_addr(peer, request.headers(), trusted_proxies))
}

/// Middleware for pages and server functions: makes sure the visitor is
/// somebody (a guest, if not signed in) and attaches their [`Service`].
async fn attach_backend(State(state): State<AppState>, mut request: Request, next: Next) -> Response {
    let mut caller = request.extensions().get::<Caller>().cloned().unwrap_or_default();
    if caller.is_anonymous() {
        if let Some(session) = &caller.session {
            caller.guest = Some(auth::guest_for(session).await);
        }
    }
    let ip = client_ip(&request, &state.config.trusted_proxies);
    let backend: BackendHandle = Arc::new(Service::new(state, caller, ip));
    request.extensions_mut().insert(backend);
    next.run(request).await
}
