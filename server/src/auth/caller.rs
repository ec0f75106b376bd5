//! The [`Caller`]: who made a request and through what (session or API token).

use serde::{Deserialize, Serialize};
use tower_sessions::Session;

use super::{Person, GUEST_KEY};

/// Session key of the signed-in account.
pub const USER_KEY: &str = "user";
/// Session key of the share links this browser opened (link ids, not tokens).
pub const LINKS_KEY: &str = "links";

/// A signed-in account as remembered in a session.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionUser {
    pub id: String,
    pub username: String,
    /// The account's session epoch at sign-in; a session from an older one
    /// is signed out (see the `users.session_epoch` migration).
    #[serde(default)]
    pub epoch: i64,
}

/// What a request proved who it is with; what must still stand for a
/// long-lived connection (socket, event stream) opened with it to go on.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Credential {
    #[default]
    None,
    /// A personal API token, by its digest.
    Token(String),
    /// A session, by its id when the request came.
    Session(tower_sessions::session::Id),
}

/// Who made a request. As an extractor it is what [`super::resolve_caller`]
/// decided for this request (nobody, for a route it does not cover).
#[derive(Clone, Default)]
pub struct Caller {
    /// Signed in (session) or authenticated by an API token.
    pub user: Option<SessionUser>,
    /// The session's guest identity, once one was made.
    pub guest: Option<Person>,
    /// Share links opened in this session.
    pub links: Vec<String>,
    /// None for API-token and sessionless requests.
    pub session: Option<Session>,
    pub credential: Credential,
    /// What the API token may do (none for sessions: they may do anything
    /// their account may).
    pub token_limits: crate::store::TokenLimits,
    /// The client's address (see `client_addr`), for the audit log.
    pub address: Option<std::net::IpAddr>,
}

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for Caller {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut axum::http::request::Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(parts.extensions.get::<Caller>().cloned().unwrap_or_default())
    }
}

impl Caller {
    pub fn nobody() -> Self {
        Caller::default()
    }

    pub fn with_token(user: SessionUser, digest: String, token_limits: crate::store::TokenLimits) -> Self {
        Caller { user: Some(user), credential: Credential::Token(digest), token_limits, ..Caller::default() }
    }

    /// Reads the session. If it cannot be read (database down) the caller is
    /// nobody for this request, which can only refuse, never grant.
    pub async fn from_session(session: Session) -> Self {
        let read = async {
            let user = session.get::<SessionUser>(USER_KEY).await?;
            let guest = session.get::<Person>(GUEST_KEY).await?;
            let links = session.get::<Vec<String>>(LINKS_KEY).await?.unwrap_or_default();
            Ok::<_, tower_sessions::session::Error>((user, guest, links))
        };
        let credential = session.id().map_or(Credential::None, Credential::Session);
        match read.await {
            Ok((user, guest, links)) => {
                Caller { user, guest, links, session: Some(session), credential, ..Caller::default() }
            }
            Err(error) => {
                tracing::warn!(%error, "could not read the session");
                Caller { session: Some(session), ..Caller::default() }
            }
        }
    }

    /// Neither signed in nor a guest: nobody we know.
    pub fn is_anonymous(&self) -> bool {
        self.user.is_none() && self.guest.is_none()
    }

    /// How this caller appears to others, if they are anyone yet.
    pub fn person(&self) -> Option<Person> {
        match &self.user {
            Some(user) => Some(Person::account(&user.id, &user.username)),
            None => self.guest.clone(),
        }
    }
}
