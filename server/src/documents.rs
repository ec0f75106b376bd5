//! The server's implementation of the pages' document service
//! (`app::api::ssr::Documents`), over the Store and the Hub.

use std::sync::Arc;

use app::api::ssr::{BoxFuture, Documents, Internal};
use app::api::{DocList, DocSummary, DocView, Identity};

use crate::doc_id::DocId;
use crate::hub::Hub;
use crate::store::{now_ms, Store};

pub struct DocumentService {
    store: Store,
    hub: Arc<Hub>,
}

impl DocumentService {
    pub fn new(store: Store, hub: Arc<Hub>) -> Self {
        DocumentService { store, hub }
    }
}

fn internal(error: crate::Error) -> Internal {
    tracing::error!(%error, "document service failed");
    Internal
}

impl Documents for DocumentService {
    fn list(&self) -> BoxFuture<'_, Result<DocList, Internal>> {
        Box::pin(async move {
            let rows = self.store.list_documents().await.map_err(internal)?;
            let documents = rows
                .into_iter()
                .map(|row| DocSummary { id: row.id, title: row.title, updated_at: row.updated_at })
                .collect();
            Ok(DocList { documents, now: now_ms() })
        })
    }

    fn create(&self, title: String) -> BoxFuture<'_, Result<String, Internal>> {
        Box::pin(async move {
            let id = DocId::random();
            self.store.create_document(&id, &title).await.map_err(internal)?;
            Ok(id.to_string())
        })
    }

    fn open(&self, id: String, me: Identity) -> BoxFuture<'_, Result<Option<DocView>, Internal>> {
        Box::pin(async move {
            let Some(id) = DocId::parse(&id) else { return Ok(None) };
            let Some(row) = self.store.document(&id).await.map_err(internal)? else { return Ok(None) };
            let markdown = self.hub.markdown(&id).await.map_err(internal)?.unwrap_or_default();
            Ok(Some(DocView { id: row.id, title: row.title, markdown, me }))
        })
    }
}
