//! Requests that change something must come from this site's own pages (or
//! from a script holding an API token): a page elsewhere cannot post a form
//! to Quire with a visitor's cookie — not to sign them in as someone else
//! (login CSRF), nor to share, delete or mint tokens. WebSocket upgrades are
//! checked the same way ([`origin_allowed`]).
//!
//! Browsers send `Origin` with every cross-site POST, and `Sec-Fetch-Site`
//! with every request; pages cannot forge either. Requests with neither come
//! from programs, not from a browser a visitor was lured into.

use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::state::AppState;

const REFUSED: &str = "cross-site request refused: this request must come from a page of this site";

pub async fn refuse_cross_site(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let safe = matches!(*request.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    if safe || same_site(request.headers(), state.config.public_origin.as_deref()) {
        return next.run(request).await;
    }
    if request.uri().path().starts_with("/api/") {
        (StatusCode::FORBIDDEN, axum::Json(serde_json::json!({ "error": REFUSED }))).into_response()
    } else {
        (StatusCode::FORBIDDEN, REFUSED).into_response()
    }
}

/// Whether a request (of any method) was made by this site's own pages, by
/// the person typing the address, or by a program — not by a page elsewhere.
pub fn from_this_site(headers: &HeaderMap, public_origin: Option<&str>) -> bool {
    same_site(headers, public_origin)
}

/// Whether a state-changing request may proceed (see the module docs).
fn same_site(headers: &HeaderMap, public_origin: Option<&str>) -> bool {
    // A token and no cookie: nothing ambient a foreign page could ride.
    if headers.contains_key(header::AUTHORIZATION) && !headers.contains_key(header::COOKIE) {
        return true;
    }
    let origin = headers.get(header::ORIGIN).map(|origin| origin.as_bytes());
    match headers.get("sec-fetch-site").map(|site| site.to_str()) {
        // The browser vouches for it. A form posted from one of our pages
        // that sends no referrer (the password-reset page) says `Origin:
        // null`; an opaque origin elsewhere (a sandboxed frame) is
        // cross-site. A named origin is still checked against the configured
        // one below (a rebound host name is "same-origin" to the browser).
        Some(Ok("same-origin")) if matches!(origin, None | Some(b"null")) => return true,
        Some(Ok("same-origin")) | Some(Ok("none")) | None => {}
        Some(_) => return false,
    }
    match headers.get(header::ORIGIN) {
        Some(_) => origin_allowed(headers, public_origin),
        None => true,
    }
}

/// Whether a request's Origin names this site: the configured public origin,
/// or else the host the request was sent to. Without an Origin: no.
pub fn origin_allowed(headers: &HeaderMap, public_origin: Option<&str>) -> bool {
    let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) else {
        return false;
    };
    match public_origin {
        Some(allowed) => origin.trim_end_matches('/') == allowed.trim_end_matches('/'),
        None => {
            let Some(host) = headers.get(header::HOST).and_then(|v| v.to_str().ok()) else {
                return false;
            };
            origin == format!("http://{host}") || origin == format!("https://{host}")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(*name, value.parse().unwrap());
        }
        map
    }

    #[test]
    fn foreign_pages_are_refused_and_programs_pass() {
        let host = ("host", "quire.test");
        assert!(same_site(&headers(&[host, ("origin", "http://quire.test")]), None));
        assert!(!same_site(&headers(&[host, ("origin", "https://evil.example")]), None));
        assert!(!same_site(&headers(&[host, ("origin", "null")]), None), "sandboxed frames send null");
        assert!(!same_site(&headers(&[host, ("sec-fetch-site", "cross-site")]), None));
        assert!(!same_site(&headers(&[host, ("sec-fetch-site", "same-site")]), None), "a sibling subdomain");
        assert!(same_site(&headers(&[host, ("sec-fetch-site", "same-origin"), ("origin", "http://quire.test")]), None));
        // A plain form post from our own page with no referrer (the reset page).
        assert!(same_site(&headers(&[host, ("sec-fetch-site", "same-origin"), ("origin", "null")]), None));
        assert!(!same_site(&headers(&[host, ("sec-fetch-site", "cross-site"), ("origin", "null")]), None));
        // A host name rebound to this server is same-origin to the browser: the configured origin decides.
        let rebound = [("host", "evil.example"), ("sec-fetch-site", "same-origin"), ("origin", "http://evil.example")];
        assert!(!same_site(&headers(&rebound), Some("https://quire.example.com")));
        assert!(same_site(&headers(&[host, ("cookie", "quire_session=x")]), None), "curl with a cookie");
        assert!(same_site(
            &headers(&[host, ("authorization", "Bearer qt_x"), ("origin", "https://evil.example")]),
            None
        ));
        assert!(!same_site(
            &headers(&[host, ("authorization", "Bearer qt_x"), ("cookie", "a=b"), ("origin", "https://evil.example")]),
            None
        ));
        assert!(same_site(
            &headers(&[host, ("origin", "https://quire.example.com")]),
            Some("https://quire.example.com/")
        ));
        assert!(!same_site(&headers(&[host, ("origin", "http://quire.test")]), Some("https://quire.example.com")));
    }
}
