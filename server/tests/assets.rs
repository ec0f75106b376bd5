//! The site's built files (`/pkg/…`): compressed once and served from memory,
//! byte for byte what is on disk, never stale after a rebuild, and never
//! anything from outside the package directory.

mod common;

use std::io::Read;
use std::path::Path;
use std::time::Duration;

use common::{sqlite_url, TestServer};
use server::Config;

const WASM: &str = "pkg/quire.wasm";
const EDITOR: &str = "pkg/snippets/app-0123/js/dist/editor.js";

/// A site as cargo-leptos builds it, with compressible files, and a file
/// beside it (outside the site) that must never be served.
fn site() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    let write = |path: &str, body: Vec<u8>| {
        let path = dir.path().join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, body).unwrap();
    };
    let wasm: Vec<u8> = (0..400_000u32).flat_map(|i| (i % 251).to_le_bytes()).collect();
    write(&format!("site/{WASM}"), wasm);
    write(&format!("site/{EDITOR}"), "export const greeting = 'hello';\n".repeat(2_000).into_bytes());
    write("site/pkg/quire.css", "body { color: black }\n".repeat(500).into_bytes());
    write("secret.js", b"the key is 42".to_vec());
    dir
}

async fn start(dir: &Path) -> (TestServer, tempfile::TempDir) {
    let (url, db) = sqlite_url();
    (TestServer::start_with_site(Config::defaults_with_database(url), &dir.join("site")).await, db)
}

async fn get(server: &TestServer, path: &str, headers: &[(&str, &str)]) -> reqwest::Response {
    let mut request = reqwest::Client::new().get(format!("http://{}{path}", server.addr));
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    request.send().await.expect("request")
}

fn gunzip(body: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(body).read_to_end(&mut out).expect("a valid gzip stream");
    out
}

/// Waits until `path` is answered from memory (compressed at start, in the background).
async fn compressed(server: &TestServer, path: &str) -> reqwest::Response {
    for _ in 0..200 {
        let response = get(server, path, &[("accept-encoding", "gzip, deflate, br")]).await;
        if response.headers().contains_key("etag") {
            return response;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("{path} was never served from memory");
}

#[tokio::test]
async fn built_files_are_served_gzipped_from_memory_byte_for_byte() {
    let dir = site();
    let (server, _db) = start(dir.path()).await;
    for (path, content_type) in [(WASM, "application/wasm"), (EDITOR, "text/javascript; charset=utf-8")] {
        let response = compressed(&server, &format!("/{path}")).await;
        assert_eq!(response.status(), 200);
        assert_eq!(response.headers()["content-encoding"], "gzip");
        assert_eq!(response.headers()["content-type"], content_type);
        assert_eq!(response.headers()["x-content-type-options"], "nosniff", "security headers apply");
        let body = response.bytes().await.unwrap();
        let original = std::fs::read(dir.path().join("site").join(path)).unwrap();
        assert!(body.len() < original.len() / 4, "{path}: {} bytes for {}", body.len(), original.len());
        assert_eq!(gunzip(&body), original, "{path} arrives as it is on disk");
    }
    server.stop().await;
}

#[tokio::test]
async fn a_browser_that_refuses_gzip_gets_the_file_as_it_is() {
    let dir = site();
    let (server, _db) = start(dir.path()).await;
    compressed(&server, &format!("/{WASM}")).await;
    let original = std::fs::read(dir.path().join("site").join(WASM)).unwrap();
    for accept in ["identity", "gzip;q=0", "br;q=0, gzip;q=0.0", "gzip;q=0, *", "*;q=0", "gzip;Q=0"] {
        let response = get(&server, &format!("/{WASM}"), &[("accept-encoding", accept)]).await;
        assert_eq!(response.status(), 200);
        assert!(!response.headers().contains_key("content-encoding"), "{accept}: {:?}", response.headers());
        assert_eq!(response.bytes().await.unwrap(), original, "{accept}");
    }
    server.stop().await;
}

#[tokio::test]
async fn a_file_rebuilt_on_disk_is_never_served_stale() {
    let dir = site();
    let (server, _db) = start(dir.path()).await;
    let path = format!("/{EDITOR}");
    let before = compressed(&server, &path).await.headers()["etag"].clone();
    // What `cargo leptos watch` does while the server runs.
    let rebuilt = "export const greeting = 'hello again';\n".repeat(1_500).into_bytes();
    std::fs::write(dir.path().join("site").join(EDITOR), &rebuilt).unwrap();
    let response = get(&server, &path, &[("accept-encoding", "gzip")]).await;
    let encoded = response.headers().get("content-encoding").is_some();
    let body = response.bytes().await.unwrap().to_vec();
    assert_eq!(if encoded { gunzip(&body) } else { body }, rebuilt, "the rebuilt file, at once");
    // And it is compressed again, under a new tag.
    let again = compressed(&server, &path).await;
    assert_ne!(again.headers()["etag"], before);
    assert_eq!(gunzip(&again.bytes().await.unwrap()), rebuilt);
    server.stop().await;
}

#[tokio::test]
async fn a_cached_copy_is_revalidated_with_304() {
    let dir = site();
    let (server, _db) = start(dir.path()).await;
    let path = format!("/{WASM}");
    let etag = compressed(&server, &path).await.headers()["etag"].to_str().unwrap().to_string();
    let response = get(&server, &path, &[("accept-encoding", "gzip"), ("if-none-match", &etag)]).await;
    assert_eq!(response.status(), 304);
    assert!(response.bytes().await.unwrap().is_empty());
    let response = get(&server, &path, &[("accept-encoding", "gzip"), ("if-none-match", "\"something-else\"")]).await;
    assert_eq!(response.status(), 200);
    server.stop().await;
}

#[tokio::test]
async fn nothing_outside_the_package_directory_is_served() {
    let dir = site();
    let (server, _db) = start(dir.path()).await;
    compressed(&server, &format!("/{WASM}")).await;
    for path in
        ["/pkg/../../secret.js", "/pkg/%2e%2e/%2e%2e/secret.js", "/pkg/..%2f..%2fsecret.js", "/pkg//../../secret.js"]
    {
        let response = get(&server, path, &[("accept-encoding", "gzip")]).await;
        let encoded = response.headers().get("content-encoding").is_some();
        let body = response.bytes().await.unwrap().to_vec();
        let body = if encoded { gunzip(&body) } else { body };
        assert!(!String::from_utf8_lossy(&body).contains("the key is 42"), "{path} reached a file outside the site");
    }
    server.stop().await;
}
