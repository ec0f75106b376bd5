//! Images and files in documents: byte-identical round trips through the
//! database (SQLite and PostgreSQL, chunked), the same bytes stored once,
//! the size limit and quota, types sniffed from the bytes (and SVG never
//! inline), who may read and add them (stranger, viewer, guest, trash,
//! purge), ranges and revalidation, and two instances on one database.

mod common;

use common::{http_client, postgres_url, send_json, sqlite_url, TestServer};
use reqwest::Method;
use server::Config;
use sqlx::Row;

const PNG: &[u8] =
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89";

/// `len` bytes nobody would guess, different for each `seed`.
fn noise(len: usize, seed: u64) -> Vec<u8> {
    let mut rng = fastrand::Rng::with_seed(seed);
    (0..len).map(|_| rng.u8(..)).collect()
}

async fn upload_raw(
    server: &TestServer,
    cookie: &str,
    doc: &str,
    name: &str,
    bytes: Vec<u8>,
) -> (u16, serde_json::Value) {
    let response = http_client()
        .post(server.http(&format!("/api/docs/{doc}/files?name={name}")))
        .header("cookie", cookie)
        // The client's word for the type counts for nothing.
        .header("content-type", "text/html")
        .body(bytes)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(serde_json::Value::Null))
}

async fn upload_form(
    server: &TestServer,
    cookie: &str,
    doc: &str,
    name: &str,
    bytes: Vec<u8>,
) -> (u16, serde_json::Value) {
    let part = reqwest::multipart::Part::bytes(bytes).file_name(name.to_string()).mime_str("text/html").unwrap();
    let form = reqwest::multipart::Form::new().text("note", "ignored").part("file", part);
    let response = http_client()
        .post(server.http(&format!("/api/docs/{doc}/files")))
        .header("cookie", cookie)
        .multipart(form)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(serde_json::Value::Null))
}

async fn get(server: &TestServer, cookie: Option<&str>, url: &str, range: Option<&str>) -> reqwest::Response {
    let mut request = http_client().get(server.http(url));
    if let Some(cookie) = cookie {
        request = request.header("cookie", cookie);
    }
    if let Some(range) = range {
        request = request.header("range", range);
    }
    request.send().await.unwrap()
}

async fn count(url: &str, table: &str) -> i64 {
    sqlx::any::install_default_drivers();
    let mut db = <sqlx::AnyConnection as sqlx::Connection>::connect(url).await.unwrap();
    sqlx::query(&format!("SELECT COUNT(*) AS n FROM {table}")).fetch_one(&mut db).await.unwrap().get::<i64, _>("n")
}

async fn round_trip_dedupe_and_purge(url: &str) {
    let server = TestServer::start(url).await;
    let owner = server.owner.clone();
    let doc = server.create_doc("Photos").await;

    // 3 MB and a bit: more than a dozen chunks, the last one short.
    let big = noise(3 * 1024 * 1024 + 12_345, 1);
    let (status, file) = upload_raw(&server, &owner, &doc, "data.bin", big.clone()).await;
    assert_eq!(status, 201, "{file}");
    assert_eq!(file["size"], big.len());
    assert_eq!(file["type"], "application/octet-stream");
    assert_eq!(file["name"], "data.bin");
    let url_of = |file: &serde_json::Value| file["url"].as_str().unwrap().to_string();
    let response = get(&server, Some(&owner), &url_of(&file), None).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "application/octet-stream");
    assert!(response.headers()["content-disposition"].to_str().unwrap().starts_with("attachment;"));
    assert_eq!(response.headers()["content-length"], big.len().to_string().as_str());
    let etag = response.headers()["etag"].to_str().unwrap().to_string();
    assert_eq!(response.bytes().await.unwrap().as_ref(), big.as_slice(), "byte-identical");

    // A range across a chunk boundary, a suffix, one past the end.
    let response = get(&server, Some(&owner), &url_of(&file), Some("bytes=262100-262200")).await;
    assert_eq!(response.status(), 206);
    assert_eq!(response.headers()["content-range"], format!("bytes 262100-262200/{}", big.len()).as_str());
    assert_eq!(response.bytes().await.unwrap().as_ref(), &big[262_100..=262_200]);
    let response = get(&server, Some(&owner), &url_of(&file), Some("bytes=-10")).await;
    assert_eq!(response.bytes().await.unwrap().as_ref(), &big[big.len() - 10..]);
    let past = format!("bytes={}-", big.len());
    assert_eq!(get(&server, Some(&owner), &url_of(&file), Some(&past)).await.status(), 416);
    // Revalidation costs nothing.
    let response =
        http_client().get(server.http(&url_of(&file))).header("cookie", &owner).header("if-none-match", &etag);
    assert_eq!(response.send().await.unwrap().status(), 304);

    // The same bytes again, as a form, in another document: stored once.
    let other = server.create_doc("Elsewhere").await;
    let (status, again) = upload_form(&server, &owner, &other, "copy.bin", big.clone()).await;
    assert_eq!(status, 201, "{again}");
    assert_ne!(again["id"], file["id"]);
    assert_eq!(count(url, "blobs").await, 1);
    let chunks = count(url, "blob_chunks").await;
    assert_eq!(chunks, 13);

    // The list, with who added what.
    let (status, list) = send_json(&server, &owner, Method::GET, &format!("/api/docs/{doc}/files"), None).await;
    assert_eq!(status, 200);
    assert_eq!(list["files"][0]["id"], file["id"]);
    assert_eq!(list["files"][0]["added_by"], "owner");

    // Trash: nobody reads the files, not even the owner; purge: the blob
    // goes once no document uses it.
    assert_eq!(send_json(&server, &owner, Method::DELETE, &format!("/api/docs/{doc}"), None).await.0, 204);
    assert_eq!(get(&server, Some(&owner), &url_of(&file), None).await.status(), 404);
    assert_eq!(get(&server, Some(&owner), &url_of(&again), None).await.status(), 200, "the other document's copy");
    let store = server::store::Store::connect(url).await.unwrap();
    store.purge_trash(i64::MAX).await.unwrap();
    store.collect_blobs().await.unwrap();
    assert_eq!(count(url, "blobs").await, 1, "still used by the other document");
    assert_eq!(
        send_json(
            &server,
            &owner,
            Method::DELETE,
            &format!("/api/docs/{other}/files/{}", again["id"].as_str().unwrap()),
            None
        )
        .await
        .0,
        204
    );
    assert_eq!(count(url, "blobs").await, 0);
    assert_eq!(count(url, "blob_chunks").await, 0);
    assert_eq!(get(&server, Some(&owner), &url_of(&again), None).await.status(), 404);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn round_trip_dedupe_and_purge_sqlite() {
    let (url, _dir) = sqlite_url();
    round_trip_dedupe_and_purge(&url).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn round_trip_dedupe_and_purge_postgres() {
    let Some(url) = postgres_url().await else { return };
    round_trip_dedupe_and_purge(&url).await;
}

/// What the bytes are decides how a file is served, whatever its name or
/// the client said; nothing uploaded can run script on this site.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn types_are_sniffed_and_nothing_runs() {
    let (url, _dir) = sqlite_url();
    let server = TestServer::start(&url).await;
    let owner = server.owner.clone();
    let doc = server.create_doc("Types").await;
    let cases: [(&str, Vec<u8>, &str, &str); 4] = [
        ("photo.pdf", PNG.to_vec(), "image/png", "inline"),
        (
            "page.png",
            b"<html><script>alert(document.cookie)</script>".to_vec(),
            "application/octet-stream",
            "attachment",
        ),
        (
            "logo.svg",
            b"<svg xmlns=\"http://www.w3.org/2000/svg\"><script>alert(1)</script></svg>".to_vec(),
            "image/svg+xml",
            "attachment",
        ),
        ("report.pdf", b"%PDF-1.7\n...".to_vec(), "application/pdf", "attachment"),
    ];
    for (name, bytes, mime, disposition) in cases {
        let (status, file) = upload_raw(&server, &owner, &doc, name, bytes).await;
        assert_eq!(status, 201);
        assert_eq!(file["type"], mime, "{name}");
        let response = get(&server, Some(&owner), file["url"].as_str().unwrap(), None).await;
        let headers = response.headers();
        assert_eq!(headers["content-type"], mime);
        assert!(headers["content-disposition"].to_str().unwrap().starts_with(disposition), "{name}");
        assert_eq!(headers["x-content-type-options"], "nosniff");
        assert_eq!(headers["content-security-policy"], "default-src 'none'; sandbox");
        assert_eq!(headers["cross-origin-resource-policy"], "same-origin");
        assert!(headers["cache-control"].to_str().unwrap().starts_with("private"));
    }
    // A hostile name stays a name: no header injection, no path.
    let (status, file) =
        upload_raw(&server, &owner, &doc, "..%2F..%2Fevil%0d%0aSet-Cookie:%20x%3D1.png", PNG.to_vec()).await;
    assert_eq!(status, 201);
    assert_eq!(file["name"], "evilSet-Cookie: x=1.png");
    let response = get(&server, Some(&owner), file["url"].as_str().unwrap(), None).await;
    assert!(response.headers().get("set-cookie").is_none());
    // An empty upload says so.
    assert_eq!(upload_raw(&server, &owner, &doc, "empty", Vec::new()).await.0, 400);
    server.stop().await;
}

/// Whoever reads the document reads its files; whoever edits it adds them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn access_follows_the_document() {
    let (url, _dir) = sqlite_url();
    let server = TestServer::start(&url).await;
    let owner = server.owner.clone();
    let doc = server.create_doc("Private").await;
    let (_, file) = upload_raw(&server, &owner, &doc, "a.png", PNG.to_vec()).await;
    let file_url = file["url"].as_str().unwrap().to_string();

    // A stranger: 404 for the file, the list and an upload, as for the document.
    let stranger = server.sign_up("stranger").await;
    assert_eq!(get(&server, Some(&stranger), &file_url, None).await.status(), 404);
    assert_eq!(get(&server, None, &file_url, None).await.status(), 404);
    assert_eq!(send_json(&server, &stranger, Method::GET, &format!("/api/docs/{doc}/files"), None).await.0, 404);
    assert_eq!(upload_raw(&server, &stranger, &doc, "b.png", PNG.to_vec()).await.0, 404);

    // A viewer reads but does not add; an editor adds.
    let viewer = server.sign_up("viewer").await;
    let share = |name: &str, role: &str| {
        let path = format!("/api/docs/{doc}/members/{name}");
        let body = serde_json::json!({ "role": role });
        let owner = owner.clone();
        let server = &server;
        async move { send_json(server, &owner, Method::PUT, &path, Some(body)).await.0 }
    };
    assert_eq!(share("viewer", "viewer").await, 204);
    assert_eq!(get(&server, Some(&viewer), &file_url, None).await.status(), 200);
    assert_eq!(upload_raw(&server, &viewer, &doc, "b.png", PNG.to_vec()).await.0, 403);
    // A guest with a view link sees the images; with an edit link adds them.
    let (_, view_link) = server.share_link(&owner, &doc, "viewer", 0).await;
    let guest = server.open_link(&view_link).await;
    assert_eq!(get(&server, Some(&guest), &file_url, None).await.status(), 200);
    let edit_link = common::edit_link(&doc).unwrap();
    let editor_guest = server.open_link(&edit_link).await;
    let (status, added) = upload_raw(&server, &editor_guest, &doc, "guest.png", noise(1000, 7)).await;
    assert_eq!(status, 201);
    assert_ne!(added["added_by"], "", "a guest's name");
    // Only the owner removes files.
    let path = format!("/api/docs/{doc}/files/{}", added["id"].as_str().unwrap());
    assert_eq!(send_json(&server, &editor_guest, Method::DELETE, &path, None).await.0, 403);
    assert_eq!(send_json(&server, &owner, Method::DELETE, &path, None).await.0, 204);
    server.stop().await;
}

/// Too large, or past the owner's quota: a clear 413, and nothing kept.
async fn limits_and_quota_refuse_clearly_and_keep_nothing(url: &str) {
    let url = url.to_string();
    let mut config = Config::defaults_with_database(&url);
    config.max_file_bytes = 1024 * 1024;
    config.file_quota_bytes = 1536 * 1024;
    let server = TestServer::start_with(config).await;
    let owner = server.owner.clone();
    let doc = server.create_doc("Limits").await;

    let (status, body) = upload_raw(&server, &owner, &doc, "huge.bin", noise(2 * 1024 * 1024, 2)).await;
    assert_eq!(status, 413);
    assert_eq!(body["error"], "Files may be at most 1 MiB.");
    let (status, body) = upload_form(&server, &owner, &doc, "huge.bin", noise(2 * 1024 * 1024, 2)).await;
    assert_eq!(status, 413, "{body}");
    assert_eq!(count(&url, "blob_chunks").await, 0, "a refused upload leaves nothing behind");

    assert_eq!(upload_raw(&server, &owner, &doc, "one.bin", noise(1024 * 1024, 3)).await.0, 201);
    // The same bytes again cost no quota.
    assert_eq!(upload_raw(&server, &owner, &doc, "one-again.bin", noise(1024 * 1024, 3)).await.0, 201);
    let (status, body) = upload_raw(&server, &owner, &doc, "two.bin", noise(1024 * 1024, 4)).await;
    assert_eq!(status, 413);
    assert_eq!(body["error"], "The document's owner has 512 KiB left for files; this one is larger.");
    assert_eq!(count(&url, "blobs").await, 1);

    // Uploads at once cannot pass the quota together: of four 200 KiB files
    // with 512 KiB left, two fit.
    let sends = (0..4).map(|i| upload_raw(&server, &owner, &doc, "part.bin", noise(200 * 1024, 50 + i)));
    let statuses: Vec<u16> = futures::future::join_all(sends).await.into_iter().map(|(status, _)| status).collect();
    assert_eq!(statuses.iter().filter(|&&s| s == 201).count(), 2, "{statuses:?}");
    assert_eq!(statuses.iter().filter(|&&s| s == 413).count(), 2, "{statuses:?}");
    assert_eq!(count(&url, "blob_chunks").await, 4 + 2, "the refused ones left nothing");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn limits_and_quota_refuse_clearly_and_keep_nothing_sqlite() {
    let (url, _dir) = sqlite_url();
    limits_and_quota_refuse_clearly_and_keep_nothing(&url).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn limits_and_quota_refuse_clearly_and_keep_nothing_postgres() {
    let Some(url) = postgres_url().await else { return };
    limits_and_quota_refuse_clearly_and_keep_nothing(&url).await;
}

/// A form whose file never starts (a huge field first, or no boundary at
/// all) is refused after a little (1 MiB), not kept in memory as it grows;
/// a form whose file arrives in large frames is not mistaken for one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_form_is_read_only_so_far_before_its_file() {
    let (url, _dir) = sqlite_url();
    let server = TestServer::start(&url).await;
    let owner = server.owner.clone();
    let doc = server.create_doc("Forms").await;
    let form = reqwest::multipart::Form::new()
        .text("note", "x".repeat(2 * 1024 * 1024))
        .part("file", reqwest::multipart::Part::bytes(PNG.to_vec()).file_name("a.png"));
    let response = http_client()
        .post(server.http(&format!("/api/docs/{doc}/files")))
        .header("cookie", &owner)
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    assert!(response.text().await.unwrap().contains("too much before its file"));
    // A boundary that never comes: megabytes of nothing.
    let response = http_client()
        .post(server.http(&format!("/api/docs/{doc}/files")))
        .header("cookie", &owner)
        .header("content-type", "multipart/form-data; boundary=never")
        .body(vec![b'a'; 8 * 1024 * 1024])
        .send()
        .await;
    // Refused (400), or the connection cut while the rest was still being sent.
    assert!(response.map_or(true, |response| response.status() == 400));
    assert_eq!(count(&url, "blob_chunks").await, 0);
    // A proper form still works, a large one sent in one go too.
    assert_eq!(upload_form(&server, &owner, &doc, "a.png", PNG.to_vec()).await.0, 201);
    let mut big = PNG.to_vec();
    big.extend(noise(4 * 1024 * 1024, 9));
    let boundary = "quire-test-boundary";
    let mut body = format!(
        "--{boundary}\r\ncontent-disposition: form-data; name=\"note\"\r\n\r\n{}\r\n\
         --{boundary}\r\ncontent-disposition: form-data; name=\"file\"; filename=\"big.png\"\r\n\r\n",
        "n".repeat(200 * 1024)
    )
    .into_bytes();
    body.extend(&big);
    body.extend(format!("\r\n--{boundary}--\r\n").as_bytes());
    let response = http_client()
        .post(server.http(&format!("/api/docs/{doc}/files")))
        .header("cookie", &owner)
        .header("content-type", format!("multipart/form-data; boundary={boundary}"))
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    let file: serde_json::Value = response.json().await.unwrap();
    let got = get(&server, Some(&owner), file["url"].as_str().unwrap(), None).await.bytes().await.unwrap();
    assert_eq!(got.as_ref(), big.as_slice());
    server.stop().await;
}

/// Two instances on one database serve each other's files.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_instance_serves_the_file() {
    let (url, _dir) = sqlite_url();
    let a = TestServer::start(&url).await;
    let b = TestServer::start(&url).await;
    let doc = a.create_doc("Shared").await;
    let bytes = noise(700_000, 5);
    let (_, file) = upload_raw(&a, &a.owner, &doc, "x.bin", bytes.clone()).await;
    let response = get(&b, Some(&b.owner), file["url"].as_str().unwrap(), None).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.bytes().await.unwrap().as_ref(), bytes.as_slice());
    b.stop().await;
    a.stop().await;
}
