//! The HTTP surface: Leptos pages (SSR) and server functions, the WebSocket,
//! the JSON API, share links, list events and static files. Sessions and the
//! [`auth::Caller`] cover everything; pages and server functions also get a
//! [`Service`] bound to that caller, which is how the app reaches the server.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{Extensions, HeaderMap, StatusCode, Version};
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::{any, delete, get, patch, post, put};
use axum::Router;
use leptos_axum::{generate_route_list, LeptosRoutes};
use tower_http::compression::predicate::{DefaultPredicate, Predicate};
use tower_http::compression::CompressionLayer;
use tower_http::timeout::RequestBodyTimeoutLayer;

/// Longest a client may take to send a request's body.
const REQUEST_BODY_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

use app::api::ssr::BackendHandle;
use app::{shell, App};

use crate::assets::{self, Assets};
use crate::auth::{self, Caller};
use crate::client_addr::ClientAddr;
use crate::service::{self, Service};
use crate::state::AppState;
use crate::{api, events, files, headers, same_site, sso, ws};

pub fn router(state: AppState) -> Router {
    let routes = generate_route_list(App);
    let options = state.leptos_options.clone();
    let secure_cookies = state.config.secure_cookies || state.config.serves_https();
    let sessions = auth::session_layer(auth::SqlSessionStore::new(state.store.pool()), secure_cookies);
    // The wasm, scripts and stylesheet, compressed once (assets.rs).
    let pkg_dir = std::path::Path::new(&*options.site_root).join(&*options.site_pkg_dir);
    let assets = Assets::load(pkg_dir, format!("/{}", options.site_pkg_dir));
    let pages = Router::new()
        .leptos_routes(&state, routes, move || shell(options.clone()))
        .layer(middleware::from_fn_with_state(state.clone(), attach_backend));
    Router::new()
        .route("/ws/doc/{id}", get(ws::upgrade))
        .route("/api/docs", get(api::list).post(api::create))
        .route("/api/docs/{id}", delete(api::delete))
        .route("/api/docs/{id}/markdown", get(api::markdown))
        // Uploads stream past axum's 2 MB default; files.rs enforces the limits.
        .route(
            "/api/docs/{id}/files",
            get(files::list).post(files::upload).layer(axum::extract::DefaultBodyLimit::disable()),
        )
        .route("/api/docs/{id}/files/{file}", delete(files::delete))
        .route("/files/{id}", get(files::download))
        .route("/api/docs/{id}/versions", get(api::history::list).post(api::history::create))
        .route(
            "/api/docs/{id}/versions/{version}",
            get(api::history::show).patch(api::history::rename).delete(api::history::delete),
        )
        .route("/api/docs/{id}/versions/{version}/markdown", get(api::history::markdown))
        .route("/api/docs/{id}/versions/{version}/restore", post(api::history::restore))
        .route("/api/docs/{id}/history-access", put(api::history::set_access))
        .route("/api/docs/{id}/links", post(api::create_link))
        .route("/api/docs/{id}/links/{link}", delete(api::revoke_link))
        .route("/api/docs/{id}/members/{username}", put(api::share).delete(api::unshare))
        .route("/api/docs/{id}/groups/{group}", put(api::groups::share).delete(api::groups::unshare))
        .route("/api/groups", get(api::groups::list).post(api::groups::create))
        .route("/api/groups/{id}", delete(api::groups::delete))
        .route("/api/groups/{id}/members/{name}", put(api::groups::add_member).delete(api::groups::remove_member))
        .route("/api/users", post(api::sign_up))
        .route("/api/admin/users", get(api::admin::users))
        .route("/api/admin/users/{name}", patch(api::admin::update_user).delete(api::admin::delete_user))
        .route("/api/admin/users/{name}/reset", post(api::admin::reset_link))
        .route("/api/admin/registration", get(api::admin::registration).put(api::admin::set_registration))
        .route("/api/admin/group-creation", put(api::groups::set_creation))
        .route("/api/admin/audit", get(api::admin::audit))
        .route("/api/invites", get(api::admin::invites).post(api::admin::create_invite))
        .route("/api/invites/{id}", delete(api::admin::revoke_invite))
        .route("/api/session", post(api::sign_in))
        .route("/api/tokens", get(api::me::tokens).post(api::create_token))
        .route("/api/me", get(api::me::me))
        .route("/api/me/sso", delete(api::me::unlink_sso))
        .route("/api/me/password", put(api::me::change_password))
        .route("/api/me/sessions", get(api::me::sessions).delete(api::me::end_other_sessions))
        .route("/api/me/sessions/{id}", delete(api::me::end_session))
        .route("/api/tokens/{id}", delete(api::revoke_token))
        // Everything under /api answers JSON, an unknown path too.
        .route("/api/{*rest}", any(api::no_such_endpoint))
        .route("/healthz", get(api::health))
        .route("/events", get(events::stream))
        .route("/s/{token}", get(service::open_share_link))
        .route("/auth/oidc/start", get(sso::start))
        .route(sso::CALLBACK_PATH, get(sso::callback))
        .merge(pages)
        .fallback(leptos_axum::file_and_error_handler::<AppState, _>(shell))
        .layer(middleware::from_fn_with_state(state.clone(), auth::resolve_caller))
        .layer(sessions)
        // Before sessions: a static file needs no session (nor its database read).
        .layer(middleware::from_fn_with_state(assets, assets::serve))
        .layer(middleware::from_fn_with_state(state.clone(), same_site::refuse_cross_site))
        .layer(middleware::from_fn_with_state(state.clone(), headers::security_headers))
        // A request body must arrive in reasonable time (the headers' own
        // deadline is in serve.rs).
        .layer(RequestBodyTimeoutLayer::new(REQUEST_BODY_TIMEOUT))
        // Not files: mostly compressed already, and a range stays a range of the bytes.
        .layer(CompressionLayer::new().compress_when(DefaultPredicate::new().and(
            |_: StatusCode, _: Version, _: &HeaderMap, extensions: &Extensions| {
                extensions.get::<files::Uncompressed>().is_none()
            },
        )))
        .with_state(state)
}

/// Middleware for pages and server functions: makes sure the visitor is
/// somebody (a guest, if not signed in) and attaches their [`Service`].
async fn attach_backend(
    State(state): State<AppState>,
    mut caller: Caller,
    ClientAddr(ip): ClientAddr,
    mut request: Request,
    next: Next,
) -> Response {
    if caller.is_anonymous() {
        if let Some(session) = &caller.session {
            caller.guest = Some(auth::guest_for(session).await);
        }
    }
    auth::touch_last_seen(&state, &caller);
    let user_agent = request.headers().get(axum::http::header::USER_AGENT).and_then(|v| v.to_str().ok());
    let backend: BackendHandle = Arc::new(Service::new(state, caller, ip).with_user_agent(user_agent));
    request.extensions_mut().insert(backend);
    next.run(request).await
}
