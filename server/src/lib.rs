//! The Quire server: axum serving the Leptos app (SSR), the y-sync WebSocket,
//! and a small JSON API, on top of the Hub (open documents) and the Store.
//!
//! [`run`] is the seam: `main` calls it with the process's config, integration
//! tests call it with a port-0 listener and their own shutdown signal.

pub mod access;
pub mod api;
pub mod assets;
pub mod auth;
pub mod cli;
pub mod client_addr;
pub mod config;
pub mod doc_id;
pub mod error;
pub mod events;
pub mod failpoint;
pub mod files;
pub mod headers;
pub mod hub;
pub mod relay;
pub mod routes;
pub mod same_site;
pub mod serve;
pub mod service;
pub mod socket_limits;
pub mod sso;
pub mod state;
pub mod store;
pub mod ws;

use std::future::Future;
use std::sync::Arc;

use leptos::config::LeptosOptions;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

pub use state::AppState;

pub use config::Config;
pub use error::{Error, Result};

use hub::Hub;
use store::{Persister, Store};

/// Reads the Leptos runtime options (Leptos.toml, overridden by LEPTOS_* env vars).
pub fn leptos_options(config: &Config) -> Result<LeptosOptions> {
    let path = config.leptos_config.to_string_lossy().to_string();
    let conf = leptos::config::get_configuration(Some(&path)).map_err(|e| Error::Config(format!("{path}: {e}")))?;
    Ok(conf.leptos_options)
}

/// Serves Quire on `listener` until `shutdown` completes; then stops accepting,
/// closes every socket with a "restarting" reason, flushes every pending write,
/// and returns.
pub async fn run(
    config: Config,
    leptos_options: LeptosOptions,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<()> {
    // Settings that cannot work are refused before anything starts.
    let sso = match config.sso().map_err(Error::Config)? {
        Some(settings) => Some(Arc::new(auth::oidc::Sso::new(settings).map_err(Error::Config)?)),
        None => None,
    };
    if sso.is_some() && config.public_origin.is_none() {
        tracing::warn!(
            "single sign-on without QUIRE_PUBLIC_ORIGIN: the redirect URI is made from each request's Host \
             (and is http unless QUIRE_SECURE_COOKIES); set QUIRE_PUBLIC_ORIGIN to the address registered \
             with the provider"
        );
    }
    let store = Store::connect_pooled(&config.database_url, config.db_pool).await?;
    let (persister, writer) = Persister::spawn(store.clone(), config.compact_after, config.version_policy());
    let cancel = CancellationToken::new();
    // What an earlier run (one that crashed, say) left without its version.
    tokio::spawn(cut_missed_versions(store.clone(), persister.clone(), cancel.clone()));
    // The relay outlives the sockets: it stops after every write is flushed.
    let relay_cancel = CancellationToken::new();
    let (relay, relay_events) = match &config.redis_url {
        Some(url) => {
            if config.relay_secret.as_deref().is_none_or(str::is_empty) {
                tracing::warn!(
                    "REDIS_URL without QUIRE_RELAY_SECRET: anything that can reach this Redis can inject \
                     updates and presence; set the same secret on every instance"
                );
            }
            relay::Relay::redis(url, config.relay_secret.as_deref(), relay_cancel.clone())?
        }
        None => relay::Relay::in_process(&relay::LocalBus::default(), relay_cancel.clone()),
    };
    let hub = Arc::new(Hub::new(store.clone(), persister, config.room_limits(), relay.clone()));
    let events = Arc::new(events::ListEvents::new(relay.clone()));
    let sockets =
        Arc::new(socket_limits::SocketLimits::new(config.max_sockets_per_person, config.max_sockets_per_address));
    let state = AppState {
        leptos_options,
        config: Arc::new(config),
        store,
        hub: hub.clone(),
        connections: TaskTracker::new(),
        shutdown: cancel.clone(),
        events: events.clone(),
        throttle: Arc::default(),
        sockets,
        sso,
    };
    let relaying = tokio::spawn(follow_relay(
        hub.clone(),
        events,
        state.throttle.clone(),
        relay_events,
        state.config.resync_interval(),
        relay_cancel.clone(),
    ));
    let sweeper = tokio::spawn(unload_idle_rooms(hub.clone(), state.config.room_idle(), cancel.clone()));
    let sessions =
        tokio::spawn(delete_expired_sessions(auth::SqlSessionStore::new(state.store.pool()), cancel.clone()));
    let trash = tokio::spawn(empty_trash(state.store.clone(), state.config.audit_retention_days, cancel.clone()));
    let connections = state.connections.clone();
    let state_config = state.config.clone();
    let app = routes::router(state);

    tracing::info!(addr = %listener.local_addr()?, "Quire listening");
    let stop = cancel.clone();
    serve::serve(listener, app, state_config.header_timeout(), async move {
        shutdown.await;
        stop.cancel();
    })
    .await?;

    // Sockets were told to close when `cancel` fired; wait for them, then for
    // the writer to commit everything they queued.
    connections.close();
    connections.wait().await;
    let _ = sweeper.await;
    let _ = sessions.await;
    let _ = trash.await;
    hub.persister().close().await;
    // Everything queued is committed and no connection is left to queue more.
    writer.abort();
    // Last, tell the other instances this one is gone.
    relay_cancel.cancel();
    let _ = relaying.await;
    Ok(())
}

/// Acts on what the relay reports, and, with other instances, regularly
/// brings every open room up to what the database holds (see `hub::catch_up`):
/// at once after the relay may have lost messages. Catching up runs apart from
/// the events, so a slow database never holds up presence or list events.
async fn follow_relay(
    hub: Arc<Hub>,
    events: Arc<events::ListEvents>,
    throttle: Arc<auth::throttle::Throttle>,
    mut relayed: tokio::sync::mpsc::Receiver<relay::Event>,
    every: std::time::Duration,
    cancel: CancellationToken,
) {
    let resync = Arc::new(tokio::sync::Notify::new());
    let catching_up = tokio::spawn(catch_up(hub.clone(), every, resync.clone(), cancel.clone()));
    loop {
        tokio::select! {
            _ = cancel.cancelled() => break,
            event = relayed.recv() => match event {
                None => break,
                Some(relay::Event::DocsChanged(doc, users)) => events.deliver(&users, &doc),
                Some(relay::Event::SignInFailed(keys)) => throttle.failed(&keys, std::time::Instant::now()),
                Some(relay::Event::SignInSucceeded(key)) => throttle.account_succeeded(&key),
                Some(relay::Event::AccountChanged(account)) => {
                    hub.account_changed_here(&account);
                    events.recheck(&account);
                }
                Some(relay::Event::InstanceGone(instance)) => hub.instance_gone(instance),
                Some(relay::Event::Resync) => resync.notify_one(),
            },
        }
    }
    let _ = catching_up.await;
}

async fn catch_up(
    hub: Arc<Hub>,
    every: std::time::Duration,
    resync: Arc<tokio::sync::Notify>,
    cancel: CancellationToken,
) {
    let shared = hub.relay().is_shared();
    let mut ticks = tokio::time::interval(every);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = cancel.cancelled() => return,
            _ = ticks.tick(), if shared => hub.catch_up_all(false).await,
            _ = resync.notified() => hub.catch_up_all(true).await,
        }
    }
}

/// Periodically unloads rooms nobody has used for `idle`.
async fn unload_idle_rooms(hub: Arc<Hub>, idle: std::time::Duration, cancel: CancellationToken) {
    let every = (idle / 2).max(std::time::Duration::from_millis(100));
    loop {
        tokio::select! {
            _ = cancel.cancelled() => return,
            _ = tokio::time::sleep(every) => { hub.unload_idle(idle).await; }
        }
    }
}

/// Hourly, removes sessions nobody has used within their expiry.
async fn delete_expired_sessions(store: auth::SqlSessionStore, cancel: CancellationToken) {
    use tower_sessions::session_store::ExpiredDeletion;
    loop {
        if let Err(error) = store.delete_expired().await {
            tracing::warn!(%error, "could not delete expired sessions");
        }
        tokio::select! {
            _ = cancel.cancelled() => return,
            _ = tokio::time::sleep(std::time::Duration::from_secs(3600)) => {}
        }
    }
}

/// Hourly, removes for good the documents that have been in the trash for
/// longer than [`service::TRASH_MS`] (each noted in the audit log), and audit
/// entries older than the retention (`audit_retention_days`, 0: kept forever).
async fn empty_trash(store: Store, audit_retention_days: u32, cancel: CancellationToken) {
    loop {
        match store.purge_trash(store::now_ms() - service::TRASH_MS).await {
            Ok(purged) if purged.is_empty() => {}
            Ok(purged) => {
                tracing::info!(purged = purged.len(), "emptied the trash");
                for (id, title) in purged {
                    let entry = store::AuditEntry {
                        action: "document.purged",
                        target_kind: Some("document"),
                        target_id: Some(id),
                        target_name: Some(title),
                        detail: Some("30 days after it went to the trash".into()),
                        ..Default::default()
                    };
                    if let Err(error) = store.append_audit(&entry).await {
                        tracing::warn!(%error, "could not note a purged document in the audit log");
                    }
                }
            }
            Err(error) => tracing::warn!(%error, "could not empty the trash"),
        }
        // The files of purged documents, where no other document has the same.
        if let Err(error) = store.collect_blobs().await {
            tracing::warn!(%error, "could not collect the blobs no file uses");
        }
        if audit_retention_days > 0 {
            let before = store::now_ms() - i64::from(audit_retention_days) * 86_400_000;
            if let Err(error) = store.purge_audit(before).await {
                tracing::warn!(%error, "could not remove old audit entries");
            }
        }
        tokio::select! {
            _ = cancel.cancelled() => return,
            _ = tokio::time::sleep(std::time::Duration::from_secs(3600)) => {}
        }
    }
}

/// Cuts the versions a crash (or kill -9) kept the writer from cutting: of
/// every document edited after its newest version.
async fn cut_missed_versions(store: Store, persister: Persister, cancel: CancellationToken) {
    let documents = match store.documents_without_latest_version().await {
        Ok(documents) => documents,
        Err(error) => return tracing::warn!(%error, "could not look for documents without their latest version"),
    };
    for doc in documents {
        if cancel.is_cancelled() {
            return;
        }
        if let Err(error) = persister.cut(doc.clone(), store::Cut::Auto).await {
            tracing::warn!(%doc, %error, "could not cut a missed version");
        }
    }
}
