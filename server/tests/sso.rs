//! Single sign-on against a real OpenID provider (npm's `oidc-provider`,
//! started per test): signing in creates an account on first use and finds
//! it by issuer and `sub` afterwards (never by a matching name), linking from
//! a signed-in account, the registration rules, password sign-in switched
//! off, and the failures — a wrong `state`, a replayed code, an expired ID
//! token, a provider's refusal — none of which signs anyone in.

mod common;

use app::api::Registration;
use common::oidc::{Browser, OidcProvider, NAME};
use common::{http_client, postgres_url, send_json, sqlite_url, TestServer};
use reqwest::{Method, Url};
use server::Config;

const CALLBACK: &str = "/auth/oidc/callback";

async fn start(provider: &OidcProvider, url: &str, registration: Option<Registration>) -> TestServer {
    let mut config = provider.configure(Config::defaults_with_database(url));
    config.registration = registration;
    config.signups_per_hour = 0;
    TestServer::start_with(config).await
}

/// Signs `login` in at the provider from `start_path` and stops on the way
/// back to Quire: the callback URL, not yet opened.
async fn to_callback(server: &TestServer, browser: &Browser, start_path: &str, login: &str) -> String {
    browser.walk(&server.http(start_path), login, &server.http(CALLBACK)).await
}

/// Opens the callback: where Quire sends the browser next (a path).
async fn come_back(browser: &Browser, callback: &str) -> String {
    let (status, location, body) = browser.get(callback).await;
    assert_eq!(status, 303, "the callback redirects: {body}");
    let location = Url::parse(&location.expect("a Location")).unwrap();
    match location.query() {
        Some(query) => format!("{}?{query}", location.path()),
        None => location.path().to_string(),
    }
}

/// Confirms the password of whoever `browser` is signed in as, as the
/// settings page's form does before connecting single sign-on.
/// (The form's address is the one the settings page shows an account not
/// yet connected; it also takes the posts of one that is.)
async fn confirm_password(server: &TestServer, browser: &Browser, password: &str) -> u16 {
    let action = server.form_action("/settings", Some(&server.owner), "confirm_sso_link");
    static ACTION: tokio::sync::OnceCell<String> = tokio::sync::OnceCell::const_new();
    let action = ACTION.get_or_init(|| action).await;
    let response = browser.http.post(server.http(action)).form(&[("password", password)]).send().await.unwrap();
    response.status().as_u16()
}

/// Who the browser is signed in as at `server` (None: nobody).
async fn who(server: &TestServer, browser: &Browser) -> Option<serde_json::Value> {
    let cookie = browser.cookie_for(&server.http("/"))?;
    let (status, me) = send_json(server, &cookie, Method::GET, "/api/me", None).await;
    (status == 200).then_some(me)
}

async fn username(server: &TestServer, browser: &Browser) -> Option<String> {
    who(server, browser).await.and_then(|me| me["username"].as_str().map(str::to_string))
}

fn with_query(url: &str, key: &str, value: &str) -> String {
    let mut url = Url::parse(url).unwrap();
    let pairs: Vec<(String, String)> =
        url.query_pairs().filter(|(k, _)| k != key).map(|(k, v)| (k.into_owned(), v.into_owned())).collect();
    url.query_pairs_mut().clear().extend_pairs(pairs).append_pair(key, value);
    url.to_string()
}

fn query_value(url: &str, key: &str) -> String {
    Url::parse(url).unwrap().query_pairs().find(|(k, _)| k == key).map(|(_, v)| v.into_owned()).unwrap()
}

async fn audit(server: &TestServer) -> Vec<serde_json::Value> {
    let (status, page) = send_json(server, &server.owner, Method::GET, "/api/admin/audit", None).await;
    assert_eq!(status, 200);
    page["entries"].as_array().unwrap().clone()
}

async fn sign_in_creates_finds_and_links(url: &str) {
    let provider = OidcProvider::start().await;
    let server = start(&provider, url, Some(Registration::Open)).await;

    // First sign-in: a new account, named after the provider's username, and
    // on to where the person was going.
    let ada = Browser::new();
    let callback = to_callback(&server, &ada, "/auth/oidc/start?next=/trash", "Ada").await;
    assert_eq!(come_back(&ada, &callback).await, "/trash");
    let me = who(&server, &ada).await.expect("signed in");
    assert_eq!(me["username"], "ada");
    assert_eq!(me["sso"], "ada@example.test");
    assert_eq!(me["password"], false, "an account made by single sign-on has no password");
    assert_eq!(me["admin"], false, "the owner was first");
    // It has no password, so no password signs in to it.
    assert_eq!(server.sign_in("ada", "").await.unwrap_err().0, 400);

    // Again, from another browser: the same account (found by issuer and sub).
    let again = Browser::new();
    let callback = to_callback(&server, &again, "/auth/oidc/start", "Ada").await;
    assert_eq!(come_back(&again, &callback).await, "/");
    assert_eq!(username(&server, &again).await.as_deref(), Some("ada"));

    // Someone at the provider whose name is a local account's gets an
    // account of their own, never the local one.
    let impostor = Browser::new();
    let callback = to_callback(&server, &impostor, "/auth/oidc/start", "owner").await;
    come_back(&impostor, &callback).await;
    assert_eq!(username(&server, &impostor).await.as_deref(), Some("owner-2"));

    // Linking: the owner (signed in with a password) connects an identity,
    // which from then on signs in the owner.
    // (A fresh browser each time: one signed in at the provider already
    // would come back as whoever that is.)
    let owner_browser = || {
        let browser = Browser::new();
        browser.jar.add_cookie_str(&server.owner, &Url::parse(&server.http("/")).unwrap());
        browser
    };
    let owner = owner_browser();
    // A session alone does not link: the password is confirmed first, and
    // a confirmation starts one link only.
    let (_, location, _) = owner.get(&server.http("/auth/oidc/start?link=1")).await;
    assert!(location.unwrap().ends_with("/settings?sso=confirm"));
    assert_eq!(confirm_password(&server, &owner, "not the password").await, 400);
    let (_, location, _) = owner.get(&server.http("/auth/oidc/start?link=1")).await;
    assert!(location.unwrap().ends_with("/settings?sso=confirm"));
    assert!(matches!(confirm_password(&server, &owner, common::PASSWORD).await, 200 | 302));
    let callback = to_callback(&server, &owner, "/auth/oidc/start?link=1", "boss").await;
    assert_eq!(come_back(&owner, &callback).await, "/settings?sso=linked");
    let (_, location, _) = owner.get(&server.http("/auth/oidc/start?link=1")).await;
    assert!(location.unwrap().ends_with("/settings?sso=confirm"), "one link per confirmation");
    let boss = Browser::new();
    let callback = to_callback(&server, &boss, "/auth/oidc/start", "boss").await;
    come_back(&boss, &callback).await;
    let me = who(&server, &boss).await.unwrap();
    assert_eq!((me["username"].as_str(), me["admin"].as_bool()), (Some("owner"), Some(true)));
    let (_, users) = send_json(&server, &server.owner, Method::GET, "/api/admin/users", None).await;
    let sso: Vec<(&str, bool)> = users["users"]
        .as_array()
        .unwrap()
        .iter()
        .map(|user| (user["username"].as_str().unwrap(), user["sso"].as_bool().unwrap()))
        .collect();
    assert_eq!(sso, [("ada", true), ("owner", true), ("owner-2", true)]);

    // An identity that signs in someone else cannot be linked to the owner too,
    // nor a second identity to an account that has one.
    let owner = owner_browser();
    confirm_password(&server, &owner, common::PASSWORD).await;
    let callback = to_callback(&server, &owner, "/auth/oidc/start?link=1", "Ada").await;
    assert_eq!(come_back(&owner, &callback).await, "/settings?sso=elsewhere");
    assert_eq!(username(&server, &ada).await.as_deref(), Some("ada"), "Ada still signs in as herself");
    let owner = owner_browser();
    confirm_password(&server, &owner, common::PASSWORD).await;
    let callback = to_callback(&server, &owner, "/auth/oidc/start?link=1", "someone-new").await;
    assert_eq!(come_back(&owner, &callback).await, "/settings?sso=another");

    // A page on another site cannot start linking.
    let (status, location, _) = {
        let response = owner
            .http
            .get(server.http("/auth/oidc/start?link=1"))
            .header("sec-fetch-site", "cross-site")
            .send()
            .await
            .unwrap();
        (response.status().as_u16(), response.headers().get("location").cloned(), ())
    };
    assert_eq!(status, 303);
    assert_eq!(location.unwrap().to_str().unwrap(), "/settings?sso=state");
    // Nor can it switch a signed-in person's account by sending them to sign in.
    let response =
        owner.http.get(server.http("/auth/oidc/start")).header("sec-fetch-site", "cross-site").send().await.unwrap();
    assert_eq!(response.headers()["location"], "/");
    // And an image in a document starts nothing.
    let response = owner
        .http
        .get(server.http("/auth/oidc/start"))
        .header("sec-fetch-site", "same-origin")
        .header("sec-fetch-mode", "no-cors")
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["location"], "/signin?sso=state");

    // Disconnecting needs a password to fall back on: the owner has one, Ada none.
    let ada_cookie = ada.cookie_for(&server.http("/")).unwrap();
    let (status, body) = send_json(&server, &ada_cookie, Method::DELETE, "/api/me/sso", None).await;
    assert_eq!(status, 403, "{body}");
    assert_eq!(who(&server, &ada).await.unwrap()["sso"], "ada@example.test");
    assert_eq!(send_json(&server, &server.owner, Method::DELETE, "/api/me/sso", None).await.0, 204);
    let (_, me) = send_json(&server, &server.owner, Method::GET, "/api/me", None).await;
    assert!(me["sso"].is_null());

    // The audit log has the sign-ins, the link and the refusals, and never a
    // code or state from the flow.
    let entries = audit(&server).await;
    let text = serde_json::to_string(&entries).unwrap();
    let has = |action: &str, detail: &str| {
        entries.iter().any(|e| e["action"] == action && e["detail"].as_str().is_some_and(|d| d.contains(detail)))
    };
    assert!(has("sign_in.succeeded", "single sign-on"), "{text}");
    assert!(has("account.created", "by single sign-on"), "{text}");
    assert!(has("account.sso_linked", "boss@example.test"), "{text}");
    assert!(has("account.sso_link_failed", "signs in another account"), "{text}");
    assert!(has("account.sso_link_failed", "linked to another identity"), "{text}");
    assert!(entries.iter().any(|e| e["action"] == "account.sso_unlinked"), "{text}");
    let code = query_value(&callback, "code");
    assert!(!text.contains(&code) && !text.contains(&query_value(&callback, "state")));
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_in_creates_finds_and_links_sqlite() {
    let (url, _dir) = sqlite_url();
    sign_in_creates_finds_and_links(&url).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_in_creates_finds_and_links_postgres() {
    let Some(url) = postgres_url().await else { return };
    sign_in_creates_finds_and_links(&url).await;
}

/// A wrong state, a replayed code, an expired ID token, a refusal at the
/// provider, no session at all: each ends on the sign-in page saying so, and
/// nobody is signed in.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failures_sign_nobody_in() {
    let (url, _dir) = sqlite_url();
    let provider = OidcProvider::start().await;
    let server = start(&provider, &url, Some(Registration::Open)).await;

    // A wrong state, and then the right one: the waiting sign-in was spent on the first.
    let browser = Browser::new();
    let callback = to_callback(&server, &browser, "/auth/oidc/start", "grace").await;
    assert_eq!(come_back(&browser, &with_query(&callback, "state", "forged")).await, "/signin?sso=state");
    assert_eq!(who(&server, &browser).await, None);
    assert_eq!(come_back(&browser, &callback).await, "/signin?sso=state");
    assert_eq!(who(&server, &browser).await, None);

    // A replayed code: one sign-in goes through; a second, started afresh,
    // comes back with the first one's code and its own state.
    let first = to_callback(&server, &browser, "/auth/oidc/start", "grace").await;
    assert_eq!(come_back(&browser, &first).await, "/");
    assert_eq!(username(&server, &browser).await.as_deref(), Some("grace"));
    let thief = Browser::new();
    let second = to_callback(&server, &thief, "/auth/oidc/start", "mallory").await;
    let replayed = with_query(&second, "code", &query_value(&first, "code"));
    assert_eq!(come_back(&thief, &replayed).await, "/signin?sso=code");
    assert_eq!(who(&server, &thief).await, None);

    // An expired ID token.
    provider.expire_id_tokens(true).await;
    let late = Browser::new();
    let callback = to_callback(&server, &late, "/auth/oidc/start", "late").await;
    assert_eq!(come_back(&late, &callback).await, "/signin?sso=expired");
    assert_eq!(who(&server, &late).await, None);
    provider.expire_id_tokens(false).await;

    // The provider did not sign the person in (they cancelled).
    let cancelled = Browser::new();
    let (_, authorize, _) = cancelled.get(&server.http("/auth/oidc/start")).await;
    let state = query_value(&authorize.unwrap(), "state");
    let refused = format!("{}?state={state}&error=access_denied", server.http(CALLBACK));
    assert_eq!(come_back(&cancelled, &refused).await, "/signin?sso=refused");

    // No session (a link opened in another browser), or no query at all.
    assert_eq!(come_back(&Browser::new(), &callback).await, "/signin?sso=state");
    assert_eq!(come_back(&Browser::new(), &server.http(CALLBACK)).await, "/signin?sso=state");

    // Only a path on this site is a place to go afterwards.
    let wanderer = Browser::new();
    let callback = to_callback(&server, &wanderer, "/auth/oidc/start?next=//evil.example/x", "wanderer").await;
    assert_eq!(come_back(&wanderer, &callback).await, "/");

    // The sign-in page turns the codes into sentences, and nothing else.
    let page = http_client().get(server.http("/signin?sso=code")).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("it was used already"), "{page}");
    let page = http_client()
        .get(server.http("/signin?sso=%3Cscript%3Ealert(1)%3C/script%3E"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!page.contains("<script>alert(1)"));

    // Each failed attempt is audited; a callback nothing waited for (no
    // session, a second visit) writes nothing, so hitting it costs nothing.
    let entries = audit(&server).await;
    let failed: Vec<&str> = entries
        .iter()
        .filter(|e| e["action"] == "sign_in.failed")
        .map(|e| e["detail"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(failed.len(), 4, "{failed:?}");
    for reason in ["wrong or reused state", "used already", "expired", "access_denied"] {
        assert!(failed.iter().any(|detail| detail.contains(reason)), "{reason}: {failed:?}");
    }
    server.stop().await;
}

/// Registration decides who gets a new account by single sign-on; a
/// disabled account is not signed in by it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn registration_rules_apply_to_single_sign_on() {
    let (url, _dir) = sqlite_url();
    let provider = OidcProvider::start().await;
    // Unset: invitations only once the admin (the owner) exists.
    let server = start(&provider, &url, None).await;

    let stranger = Browser::new();
    let callback = to_callback(&server, &stranger, "/auth/oidc/start", "stranger").await;
    assert_eq!(come_back(&stranger, &callback).await, "/signin?sso=invite");
    assert_eq!(who(&server, &stranger).await, None);

    // Through an invitation (for one sign-up), from the sign-up page.
    let invite = server.invite(1).await;
    let invited = Browser::new();
    let callback = to_callback(&server, &invited, &format!("/auth/oidc/start?invite={invite}"), "newcomer").await;
    assert_eq!(come_back(&invited, &callback).await, "/");
    assert_eq!(username(&server, &invited).await.as_deref(), Some("newcomer"));
    let second = Browser::new();
    let callback = to_callback(&server, &second, &format!("/auth/oidc/start?invite={invite}"), "second").await;
    assert_eq!(come_back(&second, &callback).await, "/signin?sso=dead-invite", "the invitation was used up");

    // Closed: nobody new.
    let (status, _) = send_json(
        &server,
        &server.owner,
        Method::PUT,
        "/api/admin/registration",
        Some(serde_json::json!({ "mode": "closed" })),
    )
    .await;
    assert_eq!(status, 204);
    let callback = to_callback(&server, &stranger, "/auth/oidc/start", "stranger").await;
    assert_eq!(come_back(&stranger, &callback).await, "/signin?sso=closed");
    // But whoever has an account still signs in.
    let back = Browser::new();
    let callback = to_callback(&server, &back, "/auth/oidc/start", "newcomer").await;
    assert_eq!(come_back(&back, &callback).await, "/");

    // Disabled: not signed in, and the open session ended.
    let (status, _) = send_json(
        &server,
        &server.owner,
        Method::PATCH,
        "/api/admin/users/newcomer",
        Some(serde_json::json!({ "disabled": true })),
    )
    .await;
    assert_eq!(status, 204);
    assert_eq!(who(&server, &back).await, None);
    let callback = to_callback(&server, &back, "/auth/oidc/start", "newcomer").await;
    assert_eq!(come_back(&back, &callback).await, "/signin?sso=disabled");
    assert_eq!(who(&server, &back).await, None);
    server.stop().await;
}

/// `QUIRE_PASSWORD_SIGNIN=false`: single sign-on is the only way in (the
/// very first account, made by it, is the admin); passwords are refused
/// everywhere, and the sign-in page offers only the provider.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn single_sign_on_can_be_the_only_way_in() {
    let (url, _dir) = sqlite_url();
    let provider = OidcProvider::start().await;
    let mut config = provider.configure(Config::defaults_with_database(&url));
    config.password_sign_in = false;
    let server = TestServer::start_with(config).await;

    let page = http_client().get(server.http("/signin")).send().await.unwrap().text().await.unwrap();
    assert!(page.contains(&format!("Sign in with {NAME}")), "{page}");
    assert!(!page.contains("name=\"password\""), "no password field: {page}");

    let first = Browser::new();
    let callback = to_callback(&server, &first, "/auth/oidc/start", "founder").await;
    come_back(&first, &callback).await;
    let me = who(&server, &first).await.unwrap();
    assert_eq!((me["username"].as_str(), me["admin"].as_bool()), (Some("founder"), Some(true)));

    let body = serde_json::json!({ "username": "someone", "password": "correct horse battery" });
    let sign_up = http_client().post(server.http("/api/users")).json(&body).send().await.unwrap();
    assert_eq!(sign_up.status(), 403);
    let sign_in = http_client().post(server.http("/api/session")).json(&body).send().await.unwrap();
    assert_eq!(sign_in.status(), 403);
    assert!(sign_in.text().await.unwrap().contains(&format!("sign in with {NAME}")));
    let founder = first.cookie_for(&server.http("/")).unwrap();
    let (status, _) = send_json(&server, &founder, Method::POST, "/api/admin/users/founder/reset", None).await;
    assert_eq!(status, 403, "no password-reset links where passwords do not sign in");
    server.stop().await;
}

/// Settings that cannot work stop the server before it starts.
#[tokio::test]
async fn half_configured_single_sign_on_is_refused_at_start() {
    let (url, _dir) = sqlite_url();
    let listener = || async { tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap() };
    let mut partial = Config::defaults_with_database(&url);
    partial.oidc_issuer = Some("https://id.example.com".into());
    let result = server::run(partial, common::leptos_options(), listener().await, async {}).await;
    assert!(result.unwrap_err().to_string().contains("QUIRE_OIDC_CLIENT_ID"));
    let mut locked_out = Config::defaults_with_database(&url);
    locked_out.password_sign_in = false;
    let result = server::run(locked_out, common::leptos_options(), listener().await, async {}).await;
    assert!(result.unwrap_err().to_string().contains("QUIRE_PASSWORD_SIGNIN=false"));
}
