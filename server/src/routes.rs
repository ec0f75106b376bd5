//! The HTTP surface: Leptos pages (SSR) and server functions, the WebSocket,
//! the JSON API and static files. Sessions cover everything (they cost nothing
//! until a handler uses one); pages and server functions also get the
//! visitor's identity.

use std::sync::Arc;

use axum::middleware;
use axum::routing::get;
use axum::Router;
use leptos::prelude::provide_context;
use leptos_axum::{generate_route_list, LeptosRoutes};
use tower_http::compression::CompressionLayer;

use app::api::ssr::DocumentsHandle;
use app::{shell, App};

use crate::documents::DocumentService;
use crate::{api, auth, ws, AppState};

pub fn router(state: AppState) -> Router {
    let routes = generate_route_list(App);
    let documents: DocumentsHandle = Arc::new(DocumentService::new(state.store.clone(), state.hub.clone()));
    let options = state.leptos_options.clone();
    let sessions = auth::session_layer(auth::SqlSessionStore::new(state.store.pool()), state.config.secure_cookies);
    let pages = Router::new()
        .leptos_routes_with_context(
            &state,
            routes,
            move || provide_context(documents.clone()),
            move || shell(options.clone()),
        )
        .layer(middleware::from_fn(auth::attach_identity));
    Router::new()
        .route("/ws/doc/{id}", get(ws::upgrade))
        .route("/api/docs", get(api::list).post(api::create))
        .route("/api/docs/{id}/markdown", get(api::markdown))
        .route("/healthz", get(api::health))
        .merge(pages)
        .fallback(leptos_axum::file_and_error_handler::<AppState, _>(shell))
        .layer(sessions)
        .layer(CompressionLayer::new())
        .with_state(state)
}
