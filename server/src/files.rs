//! Images and files in documents, over HTTP (README, "Images and files"):
//! `POST /api/docs/{id}/files` takes one (multipart field `file`, or the raw
//! body with `?name=`), `GET /files/{id}` serves it, `GET
//! /api/docs/{id}/files` lists a document's, `DELETE
//! /api/docs/{id}/files/{file}` removes one (the owner).
//!
//! Whoever may read the document may read its files (`access::grant`, like
//! everything else; a stranger gets 404, and so does everyone while the
//! document is in the trash); whoever may edit it may add them. Bytes stream
//! in and out in chunks (store/files.rs), never held whole: memory per
//! upload is one chunk. The type is sniffed from the bytes, never taken from
//! the client: png, jpeg, gif, webp and avif are served inline, everything
//! else (SVG included) as an attachment, all with `nosniff` and a sandboxing
//! policy, so no file can run script on this site.

use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};
use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::{FromRequest, Multipart, Path, Query, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use futures::{Stream, StreamExt};
use serde::Deserialize;
use sha2::{Digest, Sha256};

use app::api::Role;

use crate::access;
use crate::auth::Caller;
use crate::doc_id::DocId;
use crate::error::{Error, Result};
use crate::state::AppState;
use crate::store::{staging_name, FileRow, Finished, NewFile, CHUNK_BYTES};

/// Uploads one instance takes at once; the next is told to try again (429).
const MAX_UPLOADS_AT_ONCE: usize = 16;
static UPLOADS: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(MAX_UPLOADS_AT_ONCE);
/// Longest an upload may take (well within the time after which its staged
/// chunks count as abandoned: store/files.rs).
pub const UPLOAD_DEADLINE: std::time::Duration = std::time::Duration::from_secs(20 * 60);
/// Bytes of a form let through before its file starts.
const FORM_PREAMBLE_BYTES: u64 = 1024 * 1024;
/// The pieces a form is handed to its parser in.
const FORM_PIECE_BYTES: usize = 16 * 1024;
/// Why a form was refused (`guard_form`).
const NOT_REFUSED: u8 = 0;
const TOO_MUCH_BEFORE: u8 = 1;
const TOO_LARGE: u8 = 2;
/// Most characters kept of a file's name.
const MAX_NAME_CHARS: usize = 200;
/// Bytes the type is sniffed from.
const SNIFF_BYTES: usize = 64;

/// Marks a response the compression layer must leave alone: files are
/// mostly compressed already, and a range must stay a range of the bytes.
#[derive(Debug, Clone, Copy)]
pub struct Uncompressed;

#[derive(Debug, Default, Deserialize)]
pub struct UploadQuery {
    /// The file's name, for a raw-body upload.
    pub name: Option<String>,
}

/// `POST /api/docs/{id}/files` -> `201 {"id","url","name","size","type"}`.
pub async fn upload(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Query(query): Query<UploadQuery>,
    request: Request,
) -> Result<Response> {
    let (doc, owner) = editable(&state, &caller, &id).await?;
    // A bounded number at once: each holds a chunk in memory and a
    // database connection now and then.
    let Ok(_slot) = UPLOADS.try_acquire() else {
        return Err(Error::Throttled("Many files are being added right now. Please try again in a moment.".into()));
    };
    let quota = quota(&state, owner.as_deref()).await?;
    let received = tokio::time::timeout(UPLOAD_DEADLINE, receive(&state, request, query)).await;
    let (name, stored) = received.map_err(|_| Error::BadRequest("The upload took too long.".into()))??;
    let added_by = caller.user.as_ref();
    let person = caller.person().map(|person| person.identity.name).unwrap_or_else(|| "Someone".into());
    let file_id = uuid::Uuid::new_v4().simple().to_string();
    let file = NewFile {
        id: &file_id,
        doc: &doc,
        sha256: &stored.sha256,
        size: stored.size as i64,
        name: &name,
        mime: stored.mime,
        added_by: added_by.map(|user| user.id.as_str()),
        added_by_name: added_by.map_or(person.as_str(), |user| user.username.as_str()),
    };
    let finished =
        state.store.finish_upload(&stored.staging, &file, quota.as_ref().map(|(o, q)| (o.as_str(), *q))).await;
    let refusal = match finished {
        Ok(Finished::Done(row)) => return Ok((StatusCode::CREATED, Json(described(&row))).into_response()),
        Ok(Finished::OverQuota { left }) => Error::TooLarge(format!(
            "The document's owner has {} left for files; this one is larger.",
            human_bytes(left)
        )),
        Ok(Finished::Incomplete) => Error::Internal("an upload's chunks went missing before it finished".into()),
        Err(error) => error,
    };
    drop_staging(&state, &stored.staging).await;
    Err(refusal)
}

/// The file's name and bytes, from a form (field `file`) or the raw body.
async fn receive(state: &AppState, request: Request, query: UploadQuery) -> Result<(String, Stored)> {
    let limit = state.config.max_file_bytes;
    let multipart = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("multipart/form-data"));
    if !multipart {
        let stream = request.into_body().into_data_stream().map(|piece| piece.map_err(|e| e.to_string()));
        return Ok((clean_name(query.name.as_deref().unwrap_or_default()), store_stream(state, stream, limit).await?));
    }
    // The form's parser keeps whatever comes before the file's bytes (other
    // fields, headers, a boundary that never comes) in memory: only a little
    // of that is let through, and the whole form is held to the file limit.
    let file_started = Arc::new(AtomicBool::new(false));
    let refused = Arc::new(AtomicU8::new(NOT_REFUSED));
    let (parts, body) = request.into_parts();
    let guarded = guard_form(body.into_data_stream(), file_started.clone(), refused.clone(), limit);
    let request = Request::from_parts(parts, Body::from_stream(guarded));
    let mut form =
        Multipart::from_request(request, state).await.map_err(|rejection| Error::BadRequest(rejection.body_text()))?;
    loop {
        let field = form.next_field().await.map_err(|e| form_error(&e.to_string(), &refused, limit))?;
        let Some(field) = field else {
            return Err(Error::BadRequest("no field named \"file\" in the form".into()));
        };
        if field.name() != Some("file") {
            continue;
        }
        file_started.store(true, Ordering::Relaxed);
        let name = clean_name(field.file_name().unwrap_or_default());
        let stream = field.map(|piece| piece.map_err(|e| e.to_string()));
        return store_stream(state, stream, limit).await.map(|stored| (name, stored)).map_err(|error| {
            match refused.load(Ordering::Relaxed) {
                NOT_REFUSED => error,
                _ => form_error("", &refused, limit),
            }
        });
    }
}

/// A form's bytes, refused past [`FORM_PREAMBLE_BYTES`] before its file
/// starts, and past the file limit (and that much again) in all. The bytes
/// go on in pieces of at most [`FORM_PIECE_BYTES`], so the parser has
/// found the file (and said so) long before a large frame that carries its
/// first bytes could count as coming before it.
/// (`refused` says why, for the answer: the parser's error does not.)
fn guard_form(
    body: impl Stream<Item = std::result::Result<Bytes, axum::Error>> + Send + 'static,
    file_started: Arc<AtomicBool>,
    refused: Arc<AtomicU8>,
    limit: u64,
) -> impl Stream<Item = std::result::Result<Bytes, std::io::Error>> + Send + 'static {
    let pieces = body.flat_map(|frame| {
        let pieces: Vec<std::result::Result<Bytes, std::io::Error>> = match frame {
            Ok(frame) => (0..frame.len())
                .step_by(FORM_PIECE_BYTES)
                .map(|at| Ok(frame.slice(at..(at + FORM_PIECE_BYTES).min(frame.len()))))
                .collect(),
            Err(error) => vec![Err(std::io::Error::other(error))],
        };
        futures::stream::iter(pieces)
    });
    let mut seen = 0u64;
    pieces.map(move |piece| {
        let piece = piece?;
        seen += piece.len() as u64;
        let why = if !file_started.load(Ordering::Relaxed) && seen > FORM_PREAMBLE_BYTES {
            TOO_MUCH_BEFORE
        } else if seen > limit.saturating_add(FORM_PREAMBLE_BYTES) {
            TOO_LARGE
        } else {
            return Ok(piece);
        };
        refused.store(why, Ordering::Relaxed);
        Err(std::io::Error::other("the form was refused"))
    })
}

/// Why reading an upload failed, as its answer.
fn form_error(message: &str, refused: &AtomicU8, limit: u64) -> Error {
    match refused.load(Ordering::Relaxed) {
        TOO_LARGE => Error::TooLarge(format!("Files may be at most {}.", human_bytes(limit))),
        TOO_MUCH_BEFORE => Error::BadRequest(format!(
            "The form has too much before its file (at most {}).",
            human_bytes(FORM_PREAMBLE_BYTES)
        )),
        _ => Error::BadRequest(format!("The upload could not be read: {message}")),
    }
}

/// `GET /api/docs/{id}/files` -> `{"files": [...]}` (anyone who may read the document).
pub async fn list(State(state): State<AppState>, caller: Caller, Path(id): Path<String>) -> Result<Response> {
    let doc = DocId::parse(&id).ok_or(Error::NotFound)?;
    access::grant(&state.store, &caller, &doc).await?.ok_or(Error::NotFound)?;
    let files = state.store.files_of(&doc).await?;
    Ok(Json(serde_json::json!({ "files": files.iter().map(described).collect::<Vec<_>>() })).into_response())
}

/// `DELETE /api/docs/{id}/files/{file}` -> 204 (the document's owner).
pub async fn delete(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, file)): Path<(String, String)>,
) -> Result<StatusCode> {
    let doc = DocId::parse(&id).ok_or(Error::NotFound)?;
    let (grant, _) = access::grant(&state.store, &caller, &doc).await?.ok_or(Error::NotFound)?;
    if grant.role != Role::Owner {
        return Err(Error::Forbidden("only the document's owner removes its files".into()));
    }
    if !state.store.delete_file(&doc, &file).await? {
        return Err(Error::NotFound);
    }
    if let Err(error) = state.store.collect_blobs().await {
        tracing::warn!(%error, "could not collect the blobs no file uses");
    }
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /files/{id}`: the bytes, whole or a range of them.
pub async fn download(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response> {
    let file = match state.store.file(&id).await? {
        Some(file) => file,
        None => return Err(Error::NotFound),
    };
    let doc = DocId::parse(&file.doc_id).ok_or(Error::NotFound)?;
    access::grant(&state.store, &caller, &doc).await?.ok_or(Error::NotFound)?;
    let etag = format!("\"{}\"", file.sha256);
    let mut response = if headers.get(header::IF_NONE_MATCH).is_some_and(|tag| tag.as_bytes() == etag.as_bytes()) {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        let size = file.size as u64;
        match requested_range(&headers, size) {
            Ranged::Whole => body_response(&state, &file, 0, size, StatusCode::OK),
            Ranged::Part(start, end) => {
                let mut response = body_response(&state, &file, start, end, StatusCode::PARTIAL_CONTENT);
                let range = format!("bytes {start}-{}/{size}", end - 1);
                response.headers_mut().insert(header::CONTENT_RANGE, value(&range));
                response
            }
            Ranged::Unsatisfiable => {
                let mut response = StatusCode::RANGE_NOT_SATISFIABLE.into_response();
                response.headers_mut().insert(header::CONTENT_RANGE, value(&format!("bytes */{size}")));
                response
            }
        }
    };
    let headers = response.headers_mut();
    headers.insert(header::ETAG, value(&etag));
    // The address names the content: it never changes. Private: only whoever may read it.
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("private, max-age=31536000, immutable"));
    headers.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    headers.insert(header::CONTENT_TYPE, value(&file.mime));
    headers.insert(header::CONTENT_DISPOSITION, value(&disposition(&file)));
    // Opened on its own, nothing in it runs, loads or submits anything.
    headers.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static("default-src 'none'; sandbox"));
    // Other sites cannot embed it (nor learn from trying whether a visitor may read it).
    headers.insert("cross-origin-resource-policy", HeaderValue::from_static("same-origin"));
    response.extensions_mut().insert(Uncompressed);
    Ok(response)
}

/// The document, if the caller may add files to it, and its owner (whose
/// quota the file counts against).
async fn editable(state: &AppState, caller: &Caller, id: &str) -> Result<(DocId, Option<String>)> {
    let doc = DocId::parse(id).ok_or(Error::NotFound)?;
    let (grant, row) = access::grant(&state.store, caller, &doc).await?.ok_or(Error::NotFound)?;
    if !grant.role.can_edit() {
        return Err(Error::Forbidden("only people who may edit the document add files to it".into()));
    }
    Ok((doc, row.owner_id))
}

/// The document owner and their quota, where there is one; refused at once
/// when it is used up (the exact check is when the upload is recorded).
async fn quota(state: &AppState, owner: Option<&str>) -> Result<Option<(String, u64)>> {
    let quota = state.config.file_quota_bytes;
    let Some(owner) = owner.filter(|_| quota > 0) else { return Ok(None) };
    let used = state.store.file_bytes_owned_by(owner).await?.max(0) as u64;
    if used >= quota {
        return Err(Error::TooLarge(format!(
            "The document's owner has used all {} their documents may hold in files.",
            human_bytes(quota)
        )));
    }
    Ok(Some((owner.to_string(), quota)))
}

/// An upload whose bytes are all stored, under `staging`.
struct Stored {
    staging: String,
    sha256: String,
    size: u64,
    mime: &'static str,
}

/// Stores a stream of bytes as chunks under a new staging name, hashing and
/// sniffing as it goes; refuses (and drops what it stored) past `limit` bytes.
async fn store_stream<S>(state: &AppState, stream: S, limit: u64) -> Result<Stored>
where
    S: Stream<Item = std::result::Result<Bytes, String>> + Unpin,
{
    let staging = staging_name();
    match store_chunks(state, &staging, stream, limit).await {
        Ok(stored) => Ok(stored),
        Err(error) => {
            drop_staging(state, &staging).await;
            Err(error)
        }
    }
}

async fn store_chunks<S>(state: &AppState, staging: &str, mut stream: S, limit: u64) -> Result<Stored>
where
    S: Stream<Item = std::result::Result<Bytes, String>> + Unpin,
{
    let mut hasher = Sha256::new();
    let mut head = Vec::with_capacity(SNIFF_BYTES);
    let mut pending = Vec::with_capacity(CHUNK_BYTES);
    let (mut size, mut seq) = (0u64, 0i64);
    while let Some(piece) = stream.next().await {
        let piece = piece.map_err(|e| Error::BadRequest(format!("The upload could not be read: {e}")))?;
        size += piece.len() as u64;
        if size > limit {
            return Err(Error::TooLarge(format!("Files may be at most {}.", human_bytes(limit))));
        }
        hasher.update(&piece);
        if head.len() < SNIFF_BYTES {
            head.extend_from_slice(&piece[..piece.len().min(SNIFF_BYTES - head.len())]);
        }
        let mut rest: &[u8] = &piece;
        while !rest.is_empty() {
            let take = rest.len().min(CHUNK_BYTES - pending.len());
            pending.extend_from_slice(&rest[..take]);
            rest = &rest[take..];
            if pending.len() == CHUNK_BYTES {
                state.store.put_chunk(staging, seq, &pending).await?;
                pending.clear();
                seq += 1;
            }
        }
    }
    if size == 0 {
        return Err(Error::BadRequest("the file is empty".into()));
    }
    if !pending.is_empty() {
        state.store.put_chunk(staging, seq, &pending).await?;
    }
    Ok(Stored { staging: staging.to_string(), sha256: hex::encode(hasher.finalize()), size, mime: sniff(&head) })
}

async fn drop_staging(state: &AppState, staging: &str) {
    if let Err(error) = state.store.drop_upload(staging).await {
        tracing::warn!(%error, "could not drop an unfinished upload (collected later)");
    }
}

/// The type, from the first bytes: the image types browsers show, PDF, SVG
/// (which can carry script, so it is only ever an attachment), else bytes.
pub fn sniff(head: &[u8]) -> &'static str {
    let starts = |magic: &[u8]| head.starts_with(magic);
    if starts(b"\x89PNG\r\n\x1a\n") {
        "image/png"
    } else if starts(b"\xff\xd8\xff") {
        "image/jpeg"
    } else if starts(b"GIF87a") || starts(b"GIF89a") {
        "image/gif"
    } else if head.len() >= 12 && &head[..4] == b"RIFF" && &head[8..12] == b"WEBP" {
        "image/webp"
    } else if head.len() >= 12 && &head[4..8] == b"ftyp" && matches!(&head[8..12], b"avif" | b"avis") {
        "image/avif"
    } else if starts(b"%PDF-") {
        "application/pdf"
    } else if looks_like_svg(head) {
        "image/svg+xml"
    } else {
        "application/octet-stream"
    }
}

fn looks_like_svg(head: &[u8]) -> bool {
    let text = String::from_utf8_lossy(head).to_ascii_lowercase();
    let text = text.trim_start_matches('\u{feff}').trim_start();
    text.starts_with("<svg") || (text.starts_with("<?xml") && text.contains("<svg"))
}

/// Whether browsers show this type inline (an image they render safely).
fn shown_inline(mime: &str) -> bool {
    matches!(mime, "image/png" | "image/jpeg" | "image/gif" | "image/webp" | "image/avif")
}

/// `inline` or `attachment`, with the name both as plain ASCII and in full (RFC 6266).
fn disposition(file: &FileRow) -> String {
    let kind = if shown_inline(&file.mime) { "inline" } else { "attachment" };
    let ascii: String = file
        .name
        .chars()
        .map(|c| if c.is_ascii_graphic() && !matches!(c, '"' | '\\' | ';' | '%') || c == ' ' { c } else { '_' })
        .collect();
    let encoded: String = file
        .name
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    format!("{kind}; filename=\"{ascii}\"; filename*=UTF-8''{encoded}")
}

/// A name as kept and shown: the last part of a path, printable, short; "file" when nothing is left.
fn clean_name(raw: &str) -> String {
    let last = raw.rsplit(['/', '\\']).next().unwrap_or_default();
    let reorders =
        |c: char| matches!(c, '\u{200E}' | '\u{200F}' | '\u{061C}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}');
    let name: String = last.chars().filter(|&c| !c.is_control() && !reorders(c)).take(MAX_NAME_CHARS).collect();
    let name = name.trim();
    if name.is_empty() || name == "." || name == ".." {
        "file".into()
    } else {
        name.to_string()
    }
}

/// A file as the API describes it.
fn described(file: &FileRow) -> serde_json::Value {
    serde_json::json!({
        "id": file.id,
        "url": format!("/files/{}", file.id),
        "name": file.name,
        "size": file.size,
        "type": file.mime,
        "added_by": file.added_by_name,
        "created_at": file.created_at,
    })
}

enum Ranged {
    Whole,
    /// Bytes `start..end`.
    Part(u64, u64),
    Unsatisfiable,
}

/// The one byte range asked for (`bytes=a-b`, `bytes=a-`, `bytes=-n`);
/// anything else (several ranges, another unit, nonsense) gets the whole file.
fn requested_range(headers: &HeaderMap, size: u64) -> Ranged {
    let Some(spec) = headers.get(header::RANGE).and_then(|v| v.to_str().ok()).and_then(|v| v.strip_prefix("bytes="))
    else {
        return Ranged::Whole;
    };
    if spec.contains(',') {
        return Ranged::Whole;
    }
    let Some((first, last)) = spec.trim().split_once('-') else { return Ranged::Whole };
    let (first, last) = (first.trim(), last.trim());
    let range = match (first.parse::<u64>(), last.parse::<u64>()) {
        (Ok(start), Ok(end)) if start <= end => Some((start, end.saturating_add(1).min(size))),
        (Ok(start), Err(_)) if last.is_empty() => Some((start, size)),
        (Err(_), Ok(suffix)) if first.is_empty() => Some((size.saturating_sub(suffix), size)),
        _ => return Ranged::Whole,
    };
    match range {
        Some((start, end)) if start < end && start < size => Ranged::Part(start, end),
        _ => Ranged::Unsatisfiable,
    }
}

/// Bytes `start..end` of the file, streamed chunk by chunk from the database.
fn body_response(state: &AppState, file: &FileRow, start: u64, end: u64, status: StatusCode) -> Response {
    let chunk = file.chunk_size.max(1) as u64;
    let store = state.store.clone();
    let sha256 = file.sha256.clone();
    let stream = futures::stream::unfold(start, move |at| {
        let (store, sha256) = (store.clone(), sha256.clone());
        async move {
            if at >= end {
                return None;
            }
            let seq = at / chunk;
            let piece = match store.chunk(&sha256, seq as i64).await {
                Ok(Some(data)) => data,
                Ok(None) => return Some((Err(std::io::Error::other("a stored chunk is missing")), end)),
                Err(error) => return Some((Err(std::io::Error::other(error.to_string())), end)),
            };
            let from = (at - seq * chunk) as usize;
            let to = ((end - seq * chunk) as usize).min(piece.len());
            if from >= to {
                return Some((Err(std::io::Error::other("a stored chunk is short")), end));
            }
            let next = seq * chunk + to as u64;
            Some((Ok(Bytes::copy_from_slice(&piece[from..to])), next))
        }
    });
    let mut response = Response::new(Body::from_stream(stream));
    *response.status_mut() = status;
    response.headers_mut().insert(header::CONTENT_LENGTH, value(&(end - start).to_string()));
    response
}

fn value(text: &str) -> HeaderValue {
    HeaderValue::from_str(text).unwrap_or_else(|_| HeaderValue::from_static("invalid"))
}

/// "25 MiB", "512 KiB", "900 B".
pub fn human_bytes(bytes: u64) -> String {
    const KIB: u64 = 1024;
    match bytes {
        b if b >= KIB * KIB * KIB => format!("{:.1} GiB", b as f64 / (KIB * KIB * KIB) as f64),
        b if b >= KIB * KIB => format!("{} MiB", (b + KIB * KIB / 2) / (KIB * KIB)),
        b if b >= KIB => format!("{} KiB", (b + KIB / 2) / KIB),
        b => format!("{b} B"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn types_come_from_the_bytes() {
        assert_eq!(sniff(b"\x89PNG\r\n\x1a\n...."), "image/png");
        assert_eq!(sniff(b"\xff\xd8\xff\xe0..JFIF"), "image/jpeg");
        assert_eq!(sniff(b"GIF89a..."), "image/gif");
        assert_eq!(sniff(b"RIFF\x10\x00\x00\x00WEBPVP8 "), "image/webp");
        assert_eq!(sniff(b"\x00\x00\x00\x1cftypavif\x00\x00"), "image/avif");
        assert_eq!(sniff(b"%PDF-1.7"), "application/pdf");
        assert_eq!(sniff(b"  <svg xmlns='http://www.w3.org/2000/svg'><script>"), "image/svg+xml");
        assert_eq!(sniff(b"<?xml version=\"1.0\"?><svg>"), "image/svg+xml");
        assert_eq!(sniff(b"<html><script>alert(1)</script>"), "application/octet-stream");
        assert_eq!(sniff(b""), "application/octet-stream");
        assert!(!shown_inline("image/svg+xml") && shown_inline("image/png"));
    }

    #[test]
    fn names_are_cleaned_and_quoted_safely() {
        assert_eq!(clean_name("C:\\Users\\me\\photo.png"), "photo.png");
        assert_eq!(clean_name("../../etc/passwd"), "passwd");
        assert_eq!(clean_name("evil\u{202E}gnp.exe"), "evilgnp.exe");
        assert_eq!(clean_name("a\r\nSet-Cookie: x"), "aSet-Cookie: x");
        assert_eq!(clean_name(".."), "file");
        let file = FileRow {
            id: "x".into(),
            doc_id: "d".into(),
            sha256: "s".into(),
            name: "rapport \"final\"; été.pdf".into(),
            mime: "application/pdf".into(),
            size: 1,
            added_by: None,
            added_by_name: "a".into(),
            created_at: 0,
            chunk_size: 1,
        };
        let header = disposition(&file);
        assert_eq!(
            header,
            "attachment; filename=\"rapport _final__ _t_.pdf\"; filename*=UTF-8''rapport%20%22final%22%3B%20%C3%A9t%C3%A9.pdf"
        );
        assert!(HeaderValue::from_str(&header).is_ok());
    }

    #[test]
    fn one_range_is_served_and_others_get_the_whole_file() {
        let range = |spec: &str| {
            let mut headers = HeaderMap::new();
            headers.insert(header::RANGE, spec.parse().unwrap());
            match requested_range(&headers, 100) {
                Ranged::Whole => "whole".to_string(),
                Ranged::Part(a, b) => format!("{a}..{b}"),
                Ranged::Unsatisfiable => "416".to_string(),
            }
        };
        assert_eq!(range("bytes=0-9"), "0..10");
        assert_eq!(range("bytes=90-"), "90..100");
        assert_eq!(range("bytes=-5"), "95..100");
        assert_eq!(range("bytes=50-1000"), "50..100");
        assert_eq!(range("bytes=100-"), "416");
        assert_eq!(range("bytes=0-1,5-6"), "whole");
        assert_eq!(range("items=0-1"), "whole");
        assert_eq!(range("bytes=9-1"), "whole");
        assert_eq!(human_bytes(25 * 1024 * 1024), "25 MiB");
    }
}
