//! The site's built files (`/pkg/…`: the wasm, its JavaScript, the editor's
//! bundle, the stylesheet), gzip-compressed once instead of per request.
//!
//! Compressing the 1.8 MB wasm on the fly costs about 140 ms of CPU for every
//! browser that opens a page with an empty cache, and on a small machine
//! that is CPU the page's own start-up competes for. So at start, a blocking
//! task compresses each such file (at gzip's highest level, as `gzip -9`
//! would at build time) and keeps the result in memory. A request for one of
//! them, from a browser that takes gzip, is answered from memory; anything
//! else (no gzip, a range, a file not compressed yet or changed on disk since,
//! as `cargo leptos watch` rebuilds them) goes on to the ordinary file
//! handler, so nothing is ever served stale.

use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};
use std::time::SystemTime;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use sha2::{Digest, Sha256};

/// Files worth compressing, by extension, with their content type.
const COMPRESSED: [(&str, &str); 4] = [
    ("wasm", "application/wasm"),
    ("js", "text/javascript; charset=utf-8"),
    ("mjs", "text/javascript; charset=utf-8"),
    ("css", "text/css; charset=utf-8"),
];

/// Larger files are left to the file handler (nothing the build makes comes
/// near this; it bounds the memory a stray file in the directory could take).
const MAX_FILE_BYTES: u64 = 32 << 20;

/// One compressed file, and what it was made from.
struct Asset {
    gzip: Bytes,
    content_type: HeaderValue,
    etag: HeaderValue,
    /// The file as it was compressed: a different size or time means it
    /// changed, and this copy is not used.
    len: u64,
    modified: SystemTime,
}

/// The compressed files under the site's package directory, by URL path.
#[derive(Clone)]
pub struct Assets {
    inner: Arc<Inner>,
}

struct Inner {
    /// The package directory, and the URL path it is served under (`/pkg`).
    dir: PathBuf,
    prefix: String,
    files: RwLock<HashMap<String, Arc<Asset>>>,
}

impl Assets {
    /// Starts compressing every file under `dir`, served under `prefix`, on
    /// a blocking thread; requests meanwhile go to the file handler.
    pub fn load(dir: PathBuf, prefix: String) -> Assets {
        let assets = Assets { inner: Arc::new(Inner { dir, prefix, files: RwLock::default() }) };
        let filling = assets.clone();
        tokio::task::spawn_blocking(move || filling.compress_all());
        assets
    }

    fn compress_all(&self) {
        let mut pending = vec![self.inner.dir.clone()];
        while let Some(folder) = pending.pop() {
            let Ok(entries) = std::fs::read_dir(&folder) else { continue };
            for entry in entries.flatten() {
                let Ok(kind) = entry.file_type() else { continue };
                if kind.is_dir() {
                    pending.push(entry.path());
                } else if kind.is_file() {
                    self.compress_file(&entry.path());
                }
            }
        }
    }

    fn compress_file(&self, path: &Path) {
        if let (Some(url), Some(asset)) = (self.url_path(path), compress(path)) {
            self.files_mut().insert(url, Arc::new(asset));
        }
    }

    /// `/pkg/snippets/x/editor.js` for `<dir>/snippets/x/editor.js`.
    fn url_path(&self, file: &Path) -> Option<String> {
        let relative = file.strip_prefix(&self.inner.dir).ok()?;
        let parts: Vec<&str> = relative.components().map(|c| c.as_os_str().to_str()).collect::<Option<_>>()?;
        Some(format!("{}/{}", self.inner.prefix, parts.join("/")))
    }

    fn get(&self, url: &str) -> Option<Arc<Asset>> {
        self.inner.files.read().unwrap_or_else(|e| e.into_inner()).get(url).cloned()
    }

    fn files_mut(&self) -> std::sync::RwLockWriteGuard<'_, HashMap<String, Arc<Asset>>> {
        self.inner.files.write().unwrap_or_else(|e| e.into_inner())
    }

    /// Whether the file on disk is still the one compressed. If not, the copy
    /// is forgotten and the new file compressed in the background. (Only URLs
    /// found in the directory are ever in the map, so `url` maps back into it.)
    async fn still_current(&self, url: &str, asset: &Asset) -> bool {
        let Some(relative) = url.strip_prefix(&self.inner.prefix) else { return false };
        let file = self.inner.dir.join(relative.trim_start_matches('/'));
        let same = tokio::fs::metadata(&file)
            .await
            .is_ok_and(|m| m.len() == asset.len && m.modified().is_ok_and(|t| t == asset.modified));
        if !same && self.files_mut().remove(url).is_some() {
            let assets = self.clone();
            tokio::task::spawn_blocking(move || assets.compress_file(&file));
        }
        same
    }
}

fn content_type(path: &Path) -> Option<&'static str> {
    let extension = path.extension()?.to_str()?;
    COMPRESSED.iter().find(|(ext, _)| *ext == extension).map(|(_, content_type)| *content_type)
}

fn compress(path: &Path) -> Option<Asset> {
    let content_type = content_type(path)?;
    let metadata = std::fs::metadata(path).ok()?;
    if metadata.len() > MAX_FILE_BYTES {
        return None;
    }
    let body = std::fs::read(path).ok()?;
    // Changed while it was read (a build writing it): leave it to the file handler.
    if body.len() as u64 != metadata.len() {
        return None;
    }
    let mut encoder = flate2::write::GzEncoder::new(Vec::with_capacity(body.len() / 2), flate2::Compression::best());
    encoder.write_all(&body).ok()?;
    let gzip = encoder.finish().ok()?;
    let digest = Sha256::digest(&body);
    let etag = format!("\"{}-gzip\"", hex::encode(&digest[..16]));
    Some(Asset {
        gzip: Bytes::from(gzip),
        content_type: HeaderValue::from_static(content_type),
        etag: HeaderValue::from_str(&etag).ok()?,
        len: metadata.len(),
        modified: metadata.modified().ok()?,
    })
}

/// Whether the request's `Accept-Encoding` takes gzip: gzip's own weight if
/// it is listed, else that of `*` (RFC 9110: `*` covers codings not listed).
fn accepts_gzip(headers: &HeaderMap) -> bool {
    let (mut gzip, mut any) = (None, None);
    for coding in
        headers.get_all(header::ACCEPT_ENCODING).iter().filter_map(|v| v.to_str().ok()).flat_map(|v| v.split(','))
    {
        let mut parts = coding.split(';').map(str::trim);
        let name = parts.next().unwrap_or_default();
        let weight = parts
            .find_map(|p| p.strip_prefix("q=").or_else(|| p.strip_prefix("Q=")))
            .map_or(1.0, |q| q.trim().parse::<f32>().unwrap_or(0.0));
        if name.eq_ignore_ascii_case("gzip") || name.eq_ignore_ascii_case("x-gzip") {
            gzip = Some(weight);
        } else if name == "*" {
            any = Some(weight);
        }
    }
    gzip.or(any).is_some_and(|weight| weight > 0.0)
}

/// Middleware: answers from memory when it can, otherwise passes the request on.
pub async fn serve(State(assets): State<Assets>, request: Request, next: Next) -> Response {
    let method = request.method().clone();
    if !(method == Method::GET || method == Method::HEAD)
        || request.headers().contains_key(header::RANGE)
        || !accepts_gzip(request.headers())
    {
        return next.run(request).await;
    }
    let Some(asset) = assets.get(request.uri().path()) else {
        return next.run(request).await;
    };
    // The copy is used only while the file is still what was compressed.
    if !assets.still_current(request.uri().path(), &asset).await {
        return next.run(request).await;
    }
    let mut headers = HeaderMap::new();
    headers.insert(header::CONTENT_TYPE, asset.content_type.clone());
    headers.insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
    headers.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
    headers.insert(header::ETAG, asset.etag.clone());
    if let Ok(value) = HeaderValue::from_str(&httpdate::fmt_http_date(asset.modified)) {
        headers.insert(header::LAST_MODIFIED, value);
    }
    let unchanged = request.headers().get(header::IF_NONE_MATCH).and_then(|v| v.to_str().ok()).is_some_and(|tags| {
        tags.split(',').map(str::trim).any(|tag| tag == "*" || tag.trim_start_matches("W/") == asset.etag)
    });
    if unchanged {
        return (StatusCode::NOT_MODIFIED, headers).into_response();
    }
    headers.insert(header::CONTENT_LENGTH, HeaderValue::from(asset.gzip.len()));
    let body = if method == Method::HEAD { Body::empty() } else { Body::from(asset.gzip.clone()) };
    (StatusCode::OK, headers, body).into_response()
}
