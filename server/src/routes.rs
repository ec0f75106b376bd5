//! The HTTP surface: Leptos pages (SSR) and server functions, the WebSocket,
//! the JSON API and static files.

use std::sync::Arc;

use axum::routing::get;
use axum::Router;
use leptos::prelude::provide_context;
use leptos_axum::{generate_route_list, LeptosRoutes};
use tower_http::compression::CompressionLayer;

use app::api::ssr::DocumentsHandle;
use app::{shell, App};

use crate::documents::DocumentService;
use crate::{api, ws, AppState};

pub fn router(state: AppState) -> Router {
    let routes = generate_route_list(App);
    let documents: DocumentsHandle = Arc::new(DocumentService::new(state.store.clone(), state.hub.clone()));
    let options = state.leptos_options.clone();
    Router::new()
        .route("/ws/doc/{id}", get(ws::upgrade))
        .route("/api/docs", get(api::list).post(api::create))
        .route("/api/docs/{id}/markdown", get(api::markdown))
        .route("/healthz", get(api::health))
        .leptos_routes_with_context(
            &state,
            routes,
            move || provide_context(documents.clone()),
            move || shell(options.clone()),
        )
        .fallback(leptos_axum::file_and_error_handler::<AppState, _>(shell))
        .layer(CompressionLayer::new())
        .with_state(state)
}
