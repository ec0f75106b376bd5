//! A real OpenID provider for one test: npm's `oidc-provider` (a certified
//! implementation) run by `end2end/tools/oidc-provider.mjs` on a free
//! loopback port, killed when dropped. Anyone signs in on its login page with
//! any name; [`Browser`] walks through those pages as a person would, with its
//! own cookies at the provider and at Quire, without following redirects by
//! itself so a test can stop at any step.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use reqwest::cookie::Jar;
use reqwest::Url;

use server::Config;

/// The client the provider script registers.
pub const CLIENT_ID: &str = "quire";
pub const CLIENT_SECRET: &str = "quire-test-secret";
/// What Quire calls the provider in these tests.
pub const NAME: &str = "Test ID";

pub struct OidcProvider {
    pub issuer: String,
    child: std::process::Child,
}

impl OidcProvider {
    pub async fn start() -> OidcProvider {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let script = root.join("end2end/tools/oidc-provider.mjs");
        let mut child = Command::new("node")
            .arg(&script)
            .arg("0")
            .current_dir(&root)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start the OpenID provider (node; scripts/setup.sh installs end2end/node_modules)");
        // Its errors show; its start-up warnings (a development setup, which this is) do not.
        let stderr = child.stderr.take().expect("stderr is piped");
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if !line.starts_with("oidc-provider WARNING") {
                    eprintln!("[oidc-provider] {line}");
                }
            }
        });
        let stdout = child.stdout.take().expect("stdout is piped");
        let (found, issuer) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut found = Some(found);
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Some(issuer) = line.strip_prefix("listening on ") {
                    if let Some(found) = found.take() {
                        let _ = found.send(issuer.trim().to_string());
                    }
                }
            }
        });
        let issuer = tokio::task::spawn_blocking(move || issuer.recv_timeout(Duration::from_secs(30)))
            .await
            .unwrap()
            .expect("the OpenID provider started (is end2end/node_modules installed?)");
        OidcProvider { issuer, child }
    }

    /// `config` signing in through this provider.
    pub fn configure(&self, mut config: Config) -> Config {
        config.oidc_issuer = Some(self.issuer.clone());
        config.oidc_client_id = Some(CLIENT_ID.into());
        config.oidc_client_secret = Some(CLIENT_SECRET.into());
        config.oidc_name = NAME.into();
        config
    }

    /// From now on (`on`), the ID tokens it issues have expired by the time they arrive.
    pub async fn expire_id_tokens(&self, on: bool) {
        let url = format!("{}/__test/expire-id-tokens?on={}", self.issuer, if on { 1 } else { 0 });
        let response = reqwest::get(url).await.expect("the provider's test switch");
        assert!(response.status().is_success());
    }
}

impl Drop for OidcProvider {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A person's browser, as far as single sign-on goes: cookies for every
/// site, redirects followed one at a time, the provider's forms filled in.
pub struct Browser {
    pub http: reqwest::Client,
    pub jar: Arc<Jar>,
}

impl Default for Browser {
    fn default() -> Self {
        Self::new()
    }
}

impl Browser {
    pub fn new() -> Browser {
        let jar = Arc::new(Jar::default());
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .cookie_provider(jar.clone())
            .build()
            .unwrap();
        Browser { http, jar }
    }

    /// The session cookie this browser holds for `server` (to use with the harness's helpers).
    pub fn cookie_for(&self, server: &str) -> Option<String> {
        use reqwest::cookie::CookieStore;
        let cookies = self.jar.cookies(&Url::parse(server).unwrap())?;
        let cookies = cookies.to_str().ok()?.to_string();
        cookies.split("; ").find(|c| c.starts_with("quire_session=")).map(str::to_string)
    }

    /// GET `url`; answers the status and the Location it redirects to (absolute), if any.
    pub async fn get(&self, url: &str) -> (u16, Option<String>, String) {
        let response = self.http.get(url).send().await.unwrap_or_else(|e| panic!("GET {url}: {e}"));
        self.answer(url, response).await
    }

    async fn answer(&self, url: &str, response: reqwest::Response) -> (u16, Option<String>, String) {
        let status = response.status().as_u16();
        let location = response
            .headers()
            .get("location")
            .and_then(|v| v.to_str().ok())
            .map(|location| Url::parse(url).unwrap().join(location).unwrap().to_string());
        (status, location, response.text().await.unwrap_or_default())
    }

    /// Follows redirects from `url` until one leaves for `stop_at` (a URL
    /// prefix, not fetched), or a page answers. Fills in the provider's
    /// login (as `login`) and consent pages on the way.
    pub async fn walk(&self, url: &str, login: &str, stop_at: &str) -> String {
        let mut url = url.to_string();
        for _ in 0..20 {
            if url.starts_with(stop_at) {
                return url;
            }
            let (status, location, body) = self.get(&url).await;
            url = match location {
                Some(next) => next,
                None if body.contains("name=\"login\"") => {
                    self.submit(&url, &body, &[("login", login), ("password", "anything")]).await
                }
                None if body.contains("name=\"prompt\" value=\"consent\"") => self.submit(&url, &body, &[]).await,
                None => panic!("stuck at {url} ({status}): {body}"),
            };
        }
        panic!("too many redirects, last at {url}");
    }

    /// Posts the page's form (its action, its hidden fields, and `fields`); answers where it redirects.
    async fn submit(&self, page: &str, body: &str, fields: &[(&str, &str)]) -> String {
        let action = attribute(body, "<form", "action").unwrap_or_else(|| panic!("a form on {page}: {body}"));
        let action = Url::parse(page).unwrap().join(&action).unwrap().to_string();
        let mut form: Vec<(String, String)> = hidden_fields(body);
        form.extend(fields.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        let response = self.http.post(&action).form(&form).send().await.unwrap();
        let (status, location, body) = self.answer(&action, response).await;
        location.unwrap_or_else(|| panic!("posting {action} answered {status}: {body}"))
    }
}

/// The value of `name="…"` in the first tag starting with `tag`.
fn attribute(body: &str, tag: &str, name: &str) -> Option<String> {
    let start = body.find(tag)?;
    let end = start + body[start..].find('>')?;
    let element = &body[start..end];
    let key = format!("{name}=\"");
    let at = element.find(&key)? + key.len();
    Some(element[at..].split('"').next()?.replace("&amp;", "&"))
}

/// Every `<input type="hidden" name=… value=…>` of the page.
fn hidden_fields(body: &str) -> Vec<(String, String)> {
    body.match_indices("<input")
        .filter_map(|(at, _)| {
            let element = &body[at..=at + body[at..].find('>')?];
            if !element.contains("type=\"hidden\"") {
                return None;
            }
            Some((attribute(element, "<input", "name")?, attribute(element, "<input", "value")?))
        })
        .collect()
}
