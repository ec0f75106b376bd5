//! Headers every response carries: no MIME sniffing, no framing by other
//! sites, no full URLs in Referer (share-link tokens are in paths), HSTS when
//! Quire is served over https, and a locked-down Content-Security-Policy on
//! any HTML that did not set its own (pages set theirs, with a nonce: see
//! `app::csp`).

use axum::extract::{Request, State};
use axum::http::{header, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;

use crate::state::AppState;

/// For HTML whose response carries no policy of its own. Pages carry their
/// script policy (with the nonce) in a meta tag as well (see `app::csp`), and
/// a header and a meta policy are both enforced, so this one must not forbid
/// what the page's allows: it keeps what a meta tag cannot say.
const FALLBACK_CSP: &str = "frame-ancestors 'none'; object-src 'none'; base-uri 'none'";

pub async fn security_headers(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    let is_html = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    let headers = response.headers_mut();
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    if is_html && !headers.contains_key(header::CONTENT_SECURITY_POLICY) {
        headers.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(FALLBACK_CSP));
    }
    if state.config.serves_https() {
        headers.insert(header::STRICT_TRANSPORT_SECURITY, HeaderValue::from_static("max-age=31536000"));
    }
    response
}
