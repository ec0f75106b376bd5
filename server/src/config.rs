//! Every setting Quire reads, from command-line flags or environment variables
//! (flags win). `.env.example` at the repository root lists them with defaults.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::Parser;

/// Quire: a real-time collaborative Markdown editor.
#[derive(Debug, Clone, Parser)]
#[command(name = "quire", version, about)]
pub struct Config {
    /// Address to listen on. Overrides `site-addr` from Leptos.toml.
    #[arg(long, env = "QUIRE_ADDR")]
    pub addr: Option<SocketAddr>,

    /// Database URL: `sqlite://path/to/file.db` (created on first run) or
    /// `postgres://user:pass@host/db`.
    #[arg(long, env = "DATABASE_URL", default_value = "sqlite://data/quire.db")]
    pub database_url: String,

    /// Connections each instance keeps to PostgreSQL, at most (SQLite: 4).
    /// Mind the server's `max_connections` when running several instances.
    #[arg(long, env = "QUIRE_DB_POOL", default_value_t = crate::store::DEFAULT_POSTGRES_POOL)]
    pub db_pool: u32,

    /// Leptos runtime options file (output name, site root, package dir, address).
    #[arg(long, env = "QUIRE_LEPTOS_CONFIG", default_value = "Leptos.toml")]
    pub leptos_config: PathBuf,

    /// Largest WebSocket message accepted from a client, in bytes. A larger one
    /// closes that client's connection with code 1009.
    #[arg(long, env = "QUIRE_MAX_FRAME_BYTES", default_value_t = 16 * 1024 * 1024)]
    pub max_frame_bytes: usize,

    /// Largest document, in UTF-16 code units of text (about characters). An
    /// update that could grow a document past it is refused (code 1009).
    #[arg(long, env = "QUIRE_MAX_DOCUMENT_CHARS", default_value_t = 16 * 1024 * 1024)]
    pub max_document_chars: u32,

    /// Largest document, in bytes of everything it stores (its text, deleted
    /// text not yet collected, and the CRDT's bookkeeping). An update that would
    /// grow a document past it is refused (code 1009).
    #[arg(long, env = "QUIRE_MAX_DOCUMENT_BYTES", default_value_t = 32 * 1024 * 1024)]
    pub max_document_bytes: u64,

    /// People connected to one document at once; the next one is turned away
    /// with a message (close code 4001) and retries later.
    #[arg(long, env = "QUIRE_MAX_ROOM_PEERS", default_value_t = 400)]
    pub max_room_peers: usize,

    /// Largest presence state (caret, selection, name) of one client, in bytes
    /// of JSON. A larger one closes that client's connection with code 1009.
    #[arg(long, env = "QUIRE_MAX_PRESENCE_BYTES", default_value_t = 4096)]
    pub max_presence_bytes: usize,

    /// The address people use to reach Quire, like `https://quire.example.com`.
    /// WebSocket requests must carry it as their Origin. Unset: the Origin
    /// must name the host the request was sent to.
    #[arg(long, env = "QUIRE_PUBLIC_ORIGIN")]
    pub public_origin: Option<String>,

    /// Mark the session cookie Secure. Automatic when `QUIRE_PUBLIC_ORIGIN`
    /// is https; set this when serving https without naming the origin.
    #[arg(long, env = "QUIRE_SECURE_COOKIES", default_value_t = false)]
    pub secure_cookies: bool,

    /// Messages queued for one client before it counts as too slow and is
    /// disconnected (it re-syncs when it reconnects).
    #[arg(long, env = "QUIRE_OUTBOX_CAPACITY", default_value_t = 1024)]
    pub outbox_capacity: usize,

    /// Accounts one client address may create per hour (0: no limit). Sign-ups
    /// past it get HTTP 429 with the reason.
    #[arg(long, env = "QUIRE_SIGNUPS_PER_HOUR", default_value_t = 20)]
    pub signups_per_hour: u32,

    /// Who may create an account: `open` (anyone), `invite` (only through an
    /// admin's invitation link) or `closed`. Unset: the admin page decides,
    /// and until an admin changes it, `invite` (the very first account, which
    /// becomes the admin, can always be created). Set: the admin page shows
    /// it and cannot change it.
    #[arg(long, env = "QUIRE_REGISTRATION", value_parser = parse_registration)]
    pub registration: Option<app::api::Registration>,

    /// Single sign-on: the OpenID provider's issuer URL (its discovery
    /// document is `<issuer>/.well-known/openid-configuration`). With the
    /// client id and secret below, the sign-in page offers "Sign in with …".
    #[arg(long, env = "QUIRE_OIDC_ISSUER")]
    pub oidc_issuer: Option<String>,

    /// The client id Quire was registered with at the OpenID provider.
    #[arg(long, env = "QUIRE_OIDC_CLIENT_ID")]
    pub oidc_client_id: Option<String>,

    /// The client secret that goes with `QUIRE_OIDC_CLIENT_ID`.
    #[arg(long, env = "QUIRE_OIDC_CLIENT_SECRET", hide_env_values = true)]
    pub oidc_client_secret: Option<String>,

    /// What the sign-in button calls the provider: "Sign in with <name>".
    #[arg(long, env = "QUIRE_OIDC_NAME", default_value = "SSO")]
    pub oidc_name: String,

    /// Whether people may sign in (and sign up) with a password. `false`
    /// makes single sign-on the only way in (it must then be configured);
    /// API tokens keep working.
    #[arg(long, env = "QUIRE_PASSWORD_SIGNIN", default_value_t = true, action = clap::ArgAction::Set)]
    pub password_sign_in: bool,

    /// Largest file (image, PDF…) that can be added to a document, in bytes.
    #[arg(long, env = "QUIRE_MAX_FILE_BYTES", default_value_t = 25 * 1024 * 1024)]
    pub max_file_bytes: u64,

    /// Bytes of files the documents one person owns may hold, whoever added
    /// them (each distinct file once). 0: no quota.
    #[arg(long, env = "QUIRE_FILE_QUOTA_BYTES", default_value_t = 1024 * 1024 * 1024)]
    pub file_quota_bytes: u64,

    /// Days the audit log keeps an entry (sign-ins, sharing, admin actions…);
    /// older ones are removed hourly. 0 keeps them forever.
    #[arg(long, env = "QUIRE_AUDIT_RETENTION_DAYS", default_value_t = 365)]
    pub audit_retention_days: u32,

    /// WebSockets one person (an account, or a guest's session) may hold at
    /// once, across documents; the next is closed with code 1008. 0: no limit.
    #[arg(long, env = "QUIRE_MAX_SOCKETS_PER_PERSON", default_value_t = 32)]
    pub max_sockets_per_person: usize,

    /// WebSockets one client address (IPv6: one /64) may hold at once; the
    /// next is closed with code 1008. Mind offices behind one NAT. 0: no limit.
    #[arg(long, env = "QUIRE_MAX_SOCKETS_PER_ADDRESS", default_value_t = 256)]
    pub max_sockets_per_address: usize,

    /// Messages one connection may send per second, on average (bursts of
    /// twice that pass). Faster clients are disconnected (code 1008) and
    /// reconnect. 0 turns the limit off (load generators need that).
    #[arg(long, env = "QUIRE_MAX_MESSAGES_PER_SECOND", default_value_t = 500)]
    pub max_messages_per_second: u32,

    /// Seconds a document stays in memory after its last client leaves.
    #[arg(long, env = "QUIRE_ROOM_IDLE_SECS", default_value_t = 30)]
    pub room_idle_secs: u64,

    /// Updates appended to a document's log before it is compacted into a snapshot.
    #[arg(long, env = "QUIRE_COMPACT_AFTER", default_value_t = 500)]
    pub compact_after: usize,

    /// Milliseconds without an edit after which a document's text is kept as
    /// a version in its history (versions are also cut when a document
    /// unloads, before a restore and when someone names one).
    #[arg(long, env = "QUIRE_VERSION_PAUSE_MS", default_value_t = 180_000)]
    pub version_pause_ms: u64,

    /// Hours for which every automatic version is kept; older ones are
    /// thinned to one an hour. Named versions are kept until deleted.
    #[arg(long, env = "QUIRE_VERSIONS_KEEP_ALL_HOURS", default_value_t = 24)]
    pub versions_keep_all_hours: u32,

    /// Days for which one automatic version an hour is kept; older ones are
    /// thinned to one a day.
    #[arg(long, env = "QUIRE_VERSIONS_HOURLY_DAYS", default_value_t = 30)]
    pub versions_hourly_days: u32,

    /// Addresses of the load balancers in front of Quire, comma-separated
    /// (`10.0.0.2,10.0.0.3`). Only requests from these may name their client
    /// in `X-Forwarded-For` (sign-in throttling counts per client address).
    #[arg(long, env = "QUIRE_TRUSTED_PROXIES", value_delimiter = ',')]
    pub trusted_proxies: Vec<std::net::IpAddr>,

    /// Redis, to run several instances behind one address:
    /// `redis://127.0.0.1:6379`. They then relay updates, presence and access
    /// changes to each other. Unset: one instance, nothing relayed.
    #[arg(long, env = "REDIS_URL")]
    pub redis_url: Option<String>,

    /// With several instances: a secret they all share, to sign what they
    /// relay. Any client of the same Redis could otherwise publish updates,
    /// presence or throttle events as if it were an instance. Set it whenever
    /// Redis is reachable by anything but Quire (and keep Redis private anyway).
    #[arg(long, env = "QUIRE_RELAY_SECRET", hide_env_values = true)]
    pub relay_secret: Option<String>,

    /// With several instances: milliseconds between checks of each open
    /// document against the database, which catch whatever the relay lost.
    /// A change reaches every instance within about this long at worst.
    #[arg(long, env = "QUIRE_RESYNC_MS", default_value_t = 2000)]
    pub resync_ms: u64,

    /// Seconds a client has to send a request's headers, and a keep-alive
    /// connection may stay idle; then it is closed (slow clients cannot hold
    /// connections open for ever).
    #[arg(long, env = "QUIRE_HEADER_TIMEOUT_SECS", default_value_t = 15)]
    pub header_timeout_secs: u64,

    /// Seconds between server pings on a WebSocket; a client silent for three
    /// intervals is disconnected.
    #[arg(long, env = "QUIRE_PING_SECS", default_value_t = 10)]
    pub ping_secs: u64,

    /// Instead of serving: a one-off task (see `quire help admin`).
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// One-off tasks run from the command line against the configured database.
#[derive(Debug, Clone, clap::Subcommand)]
pub enum Command {
    /// Administering the instance.
    #[command(subcommand)]
    Admin(AdminCommand),
}

#[derive(Debug, Clone, clap::Subcommand)]
pub enum AdminCommand {
    /// Makes an account an admin (and enables it), for when no admin can sign in.
    Promote {
        /// The account's username.
        name: String,
    },
}

fn parse_registration(raw: &str) -> Result<app::api::Registration, String> {
    app::api::Registration::parse(raw).ok_or_else(|| format!("{raw:?} is not one of open, invite, closed"))
}

impl Config {
    /// Configuration from the process's arguments and environment.
    pub fn from_env() -> Self {
        Self::parse()
    }

    /// Defaults only (ignores the process's arguments), for tests and embedding.
    pub fn defaults_with_database(database_url: impl Into<String>) -> Self {
        let mut config = Self::parse_from(["quire"]);
        config.database_url = database_url.into();
        config
    }

    /// The single sign-on settings, if all three are given. Some but not
    /// all of them, or password sign-in off without them, is a mistake
    /// worth refusing to start over.
    pub fn sso(&self) -> Result<Option<crate::auth::oidc::SsoSettings>, String> {
        let parts = (self.oidc_issuer.as_deref(), self.oidc_client_id.as_deref(), self.oidc_client_secret.as_deref());
        let nonempty = |value: Option<&str>| value.map(str::trim).filter(|value| !value.is_empty()).map(str::to_string);
        let settings = match (nonempty(parts.0), nonempty(parts.1), nonempty(parts.2)) {
            (Some(issuer), Some(client_id), Some(client_secret)) => {
                let name = self.oidc_name.trim();
                let name = if name.is_empty() { "SSO" } else { name };
                Some(crate::auth::oidc::SsoSettings::new(&issuer, client_id, client_secret, name)?)
            }
            (None, None, None) => None,
            _ => {
                return Err("single sign-on needs all of QUIRE_OIDC_ISSUER, QUIRE_OIDC_CLIENT_ID and \
                            QUIRE_OIDC_CLIENT_SECRET"
                    .into())
            }
        };
        if settings.is_none() && !self.password_sign_in {
            return Err("QUIRE_PASSWORD_SIGNIN=false needs single sign-on (QUIRE_OIDC_ISSUER…): \
                        nobody could sign in"
                .into());
        }
        Ok(settings)
    }

    pub fn room_limits(&self) -> crate::hub::RoomLimits {
        crate::hub::RoomLimits {
            max_document_chars: self.max_document_chars,
            max_document_bytes: self.max_document_bytes,
            max_peers: self.max_room_peers.max(1),
            max_presence_bytes: self.max_presence_bytes,
        }
    }

    /// Bytes queued for one client before it counts as too slow: room for
    /// the whole document (the answer to its sync request) and a few frames.
    pub fn outbox_bytes(&self) -> usize {
        (self.max_document_bytes as usize).saturating_add(self.max_frame_bytes.saturating_mul(2))
    }

    /// True when people reach Quire over https (the public origin says so):
    /// cookies are then Secure and responses carry HSTS.
    pub fn serves_https(&self) -> bool {
        self.public_origin.as_deref().is_some_and(|origin| origin.starts_with("https://"))
    }

    pub fn version_policy(&self) -> crate::store::VersionPolicy {
        const HOUR_MS: i64 = 3_600_000;
        let keep_all_ms = i64::from(self.versions_keep_all_hours) * HOUR_MS;
        crate::store::VersionPolicy {
            pause: Duration::from_millis(self.version_pause_ms.max(10)),
            retention: crate::store::Retention {
                keep_all_ms,
                hourly_until_ms: (i64::from(self.versions_hourly_days) * 24 * HOUR_MS).max(keep_all_ms),
            },
        }
    }

    pub fn room_idle(&self) -> Duration {
        Duration::from_secs(self.room_idle_secs)
    }

    pub fn resync_interval(&self) -> Duration {
        Duration::from_millis(self.resync_ms.max(50))
    }

    pub fn header_timeout(&self) -> Duration {
        Duration::from_secs(self.header_timeout_secs.max(1))
    }

    pub fn ping_interval(&self) -> Duration {
        Duration::from_secs(self.ping_secs.max(1))
    }
}
