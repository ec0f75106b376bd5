//! The Content-Security-Policy of every page (server only). Pages run only
//! Quire's own scripts: the bundle from this site and the inline scripts
//! Leptos writes for hydration, which carry this response's nonce. Anything a
//! document's text could smuggle into the HTML finds no script source that
//! accepts it, cannot be framed by another site, and cannot send forms
//! elsewhere.

use leptos::nonce::use_nonce;
use leptos::prelude::use_context;
use leptos_axum::ResponseOptions;

/// The policy for a page whose inline scripts carry `nonce`.
pub fn policy(nonce: &str, watching: bool) -> String {
    // `cargo leptos watch` reloads pages through its own socket on another port.
    let reload = if watching { " ws:" } else { "" };
    format!(
        "default-src 'self'; \
         script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'; \
         style-src 'self' 'unsafe-inline'; \
         img-src 'self' data: blob: https:; \
         connect-src 'self'{reload}; \
         object-src 'none'; \
         base-uri 'none'; \
         form-action 'self'; \
         frame-ancestors 'none'"
    )
}

/// Sets the policy on the response being rendered.
pub fn apply() {
    let (Some(nonce), Some(response)) = (use_nonce(), use_context::<ResponseOptions>()) else {
        return;
    };
    let watching = std::env::var_os("LEPTOS_WATCH").is_some();
    if let Ok(value) = http::HeaderValue::from_str(&policy(&nonce, watching)) {
        response.insert_header(http::header::CONTENT_SECURITY_POLICY, value);
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn scripts_need_the_nonce() {
        let policy = super::policy("abc123", false);
        assert!(policy.contains("script-src 'self' 'nonce-abc123' 'wasm-unsafe-eval';"));
        assert!(!policy.contains("unsafe-inline' 'nonce") && !policy.contains("script-src 'unsafe-inline"));
        assert!(policy.contains("frame-ancestors 'none'"));
        assert!(!policy.contains("ws:"));
        assert!(super::policy("n", true).contains("connect-src 'self' ws:;"));
    }
}
