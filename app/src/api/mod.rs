//! What the pages ask the server for: shared DTOs and Leptos server functions.
//! The server-side half (the [`ssr::Documents`] service the server provides as
//! context) lives in `mod ssr`.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// A row of the document list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocSummary {
    pub id: String,
    pub title: String,
    /// Last edit, Unix milliseconds.
    pub updated_at: i64,
}

/// The document list and the server's clock, so "edited 5 minutes ago" reads
/// the same when rendered on the server and when hydrated.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocList {
    pub documents: Vec<DocSummary>,
    pub now: i64,
}

/// Who someone is to the people they work with, as decided by the server: the
/// name and colour others see on their caret and in the presence bar.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Identity {
    pub name: String,
    /// A CSS hex colour, `#rrggbb`.
    pub color: String,
}

/// One document as first rendered, and who is looking at it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocView {
    pub id: String,
    pub title: String,
    pub markdown: String,
    pub me: Identity,
}

/// Longest title accepted, in characters.
pub const MAX_TITLE_CHARS: usize = 200;

/// A title as stored: trimmed, not empty, not too long, no control characters.
pub fn validate_title(raw: &str) -> Result<String, &'static str> {
    let title = raw.trim();
    if title.is_empty() {
        return Err("title must not be empty");
    }
    if title.chars().count() > MAX_TITLE_CHARS {
        return Err("title must be at most 200 characters");
    }
    if title.chars().any(char::is_control) {
        return Err("title must not contain control characters");
    }
    Ok(title.to_string())
}

#[server(prefix = "/rpc")]
pub async fn list_documents() -> Result<DocList, ServerFnError> {
    let docs = ssr::documents()?;
    docs.list().await.map_err(ssr::public_error)
}

/// Creates a document and sends the browser to it (works without JavaScript too).
#[server(prefix = "/rpc")]
pub async fn create_document(title: String) -> Result<String, ServerFnError> {
    let title = validate_title(&title).map_err(ServerFnError::new)?;
    let docs = ssr::documents()?;
    let id = docs.create(title).await.map_err(ssr::public_error)?;
    leptos_axum::redirect(&format!("/d/{id}"));
    Ok(id)
}

#[server(prefix = "/rpc")]
pub async fn load_document(id: String) -> Result<Option<DocView>, ServerFnError> {
    let docs = ssr::documents()?;
    let me = ssr::identity()?;
    docs.open(id, me).await.map_err(ssr::public_error)
}

#[cfg(feature = "ssr")]
pub mod ssr {
    //! The server's side of the pages' data: a service the server binary
    //! implements and provides as Leptos context.

    use std::future::Future;
    use std::pin::Pin;
    use std::sync::Arc;

    use leptos::prelude::*;

    use super::{DocList, DocView, Identity};

    pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

    /// An internal failure; logged by the implementation, shown to users as a
    /// generic message.
    #[derive(Debug)]
    pub struct Internal;

    pub trait Documents: Send + Sync + 'static {
        fn list(&self) -> BoxFuture<'_, Result<DocList, Internal>>;
        /// Creates a document with an already validated title; returns its id.
        fn create(&self, title: String) -> BoxFuture<'_, Result<String, Internal>>;
        /// The document as `me` sees it, or None when the id names no document.
        fn open(&self, id: String, me: Identity) -> BoxFuture<'_, Result<Option<DocView>, Internal>>;
    }

    pub type DocumentsHandle = Arc<dyn Documents>;

    pub fn documents() -> Result<DocumentsHandle, ServerFnError> {
        use_context::<DocumentsHandle>().ok_or_else(|| ServerFnError::new("documents service missing"))
    }

    /// The visitor's identity, which the server attaches to every page and
    /// server-function request.
    pub fn identity() -> Result<Identity, ServerFnError> {
        use_context::<http::request::Parts>()
            .and_then(|parts| parts.extensions.get::<Identity>().cloned())
            .ok_or_else(|| ServerFnError::new("identity missing"))
    }

    pub fn public_error(_: Internal) -> ServerFnError {
        ServerFnError::new("Something went wrong on the server. Please try again.")
    }
}
