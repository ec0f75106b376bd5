//! [`AppState`]: what every handler can reach. Built once by `run()`; cheap
//! to clone (everything inside is shared).

use std::sync::Arc;

use axum::extract::FromRef;
use leptos::config::LeptosOptions;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::auth::oidc::Sso;
use crate::auth::throttle::Throttle;
use crate::config::Config;
use crate::events::ListEvents;
use crate::hub::Hub;
use crate::socket_limits::SocketLimits;
use crate::store::Store;

#[derive(Clone, FromRef)]
pub struct AppState {
    pub leptos_options: LeptosOptions,
    pub config: Arc<Config>,
    pub store: Store,
    pub hub: Arc<Hub>,
    /// One token per open WebSocket, so shutdown can wait for them.
    pub connections: TaskTracker,
    /// Cancelled when the server begins shutting down.
    pub shutdown: CancellationToken,
    /// Live document-list events, per user.
    pub events: Arc<ListEvents>,
    /// Failed sign-ins, per address and account.
    pub throttle: Arc<Throttle>,
    /// Sockets held per person and per address.
    pub sockets: Arc<SocketLimits>,
    /// The OpenID provider people may sign in with, if one is configured.
    pub sso: Option<Arc<Sso>>,
}
