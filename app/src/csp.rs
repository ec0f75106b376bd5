//! The Content-Security-Policy of every page (server only). Pages run only
//! Quire's own scripts: the bundle from this site and the inline scripts
//! Leptos writes for hydration, which carry this response's nonce. Anything a
//! document's text could smuggle into the HTML finds no script source that
//! accepts it, cannot be framed by another site, and cannot send forms
//! elsewhere.

#[cfg(feature = "ssr")]
use leptos::nonce::use_nonce;
#[cfg(feature = "ssr")]
use leptos::prelude::use_context;
#[cfg(feature = "ssr")]
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

/// The same policy for a `<meta http-equiv>` tag, which browsers apply to
/// everything after it. It is in every page's head, first: the header set
/// through Leptos's response options did not reach every response, and a
/// page without its policy would run nothing at all (the fallback header is
/// `default-src 'none'`). `frame-ancestors` is left to the header: browsers
/// ignore it in a meta tag (and say so in the console).
pub fn meta_policy(nonce: &str, watching: bool) -> String {
    policy(nonce, watching).replace("; frame-ancestors 'none'", "")
}

/// Whether `cargo leptos watch` is serving (its reload socket must be allowed).
pub fn watching() -> bool {
    std::env::var_os("LEPTOS_WATCH").is_some()
}

/// Sets the policy on the response being rendered.
#[cfg(feature = "ssr")]
pub fn apply() {
    let (Some(nonce), Some(response)) = (use_nonce(), use_context::<ResponseOptions>()) else {
        return;
    };
    if let Ok(value) = http::HeaderValue::from_str(&policy(&nonce, watching())) {
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
        let meta = super::meta_policy("abc123", false);
        assert!(meta.contains("'nonce-abc123'") && !meta.contains("frame-ancestors"));
    }
}
