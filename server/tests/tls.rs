//! Quire talks to Redis and PostgreSQL over TLS: `rediss://` with a
//! certificate the system trusts (here through `SSL_CERT_FILE`), and
//! PostgreSQL with `sslmode=require` (scripts/postgres.sh serves TLS).

mod common;

use std::process::{Command, Stdio};
use std::time::Duration;

use common::{postgres_url, sqlite_url, TestServer, YClient};
use server::Config;

/// A CA and a certificate it signed for 127.0.0.1, made with openssl.
fn certificates(dir: &std::path::Path) {
    let run = |args: &[&str]| {
        let status =
            Command::new("openssl").args(args).current_dir(dir).stdout(Stdio::null()).stderr(Stdio::null()).status();
        assert!(status.is_ok_and(|s| s.success()), "openssl {args:?}");
    };
    run(&[
        "req",
        "-x509",
        "-new",
        "-nodes",
        "-days",
        "2",
        "-subj",
        "/CN=Quire test CA",
        "-keyout",
        "ca.key",
        "-out",
        "ca.pem",
    ]);
    run(&["req", "-new", "-nodes", "-subj", "/CN=127.0.0.1", "-keyout", "redis.key", "-out", "redis.csr"]);
    std::fs::write(dir.join("san.ext"), "subjectAltName=IP:127.0.0.1\n").unwrap();
    run(&[
        "x509",
        "-req",
        "-in",
        "redis.csr",
        "-CA",
        "ca.pem",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-days",
        "2",
        "-extfile",
        "san.ext",
        "-out",
        "redis.pem",
    ]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn instances_relay_through_redis_over_tls() {
    if Command::new("redis-server").arg("--version").stdout(Stdio::null()).status().is_err() {
        assert!(std::env::var("CI").is_err(), "CI must have redis-server");
        return;
    }
    let certs = tempfile::tempdir().unwrap();
    certificates(certs.path());
    // rustls takes its roots from the system store, which honours this.
    std::env::set_var("SSL_CERT_FILE", certs.path().join("ca.pem"));
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let path = |name: &str| certs.path().join(name).to_string_lossy().to_string();
    let _redis = KillOnDrop(
        Command::new("redis-server")
            .args(["--bind", "127.0.0.1", "--port", "0", "--tls-port", &port.to_string()])
            .args(["--tls-cert-file", &path("redis.pem"), "--tls-key-file", &path("redis.key")])
            .args(["--tls-ca-cert-file", &path("ca.pem"), "--tls-auth-clients", "no"])
            .args(["--save", "", "--appendonly", "no"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("redis-server with TLS"),
    );
    for _ in 0..200 {
        if tokio::net::TcpStream::connect(("127.0.0.1", port)).await.is_ok() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }

    let (url, _dir) = sqlite_url();
    let config = || {
        let mut config = Config::defaults_with_database(url.clone());
        config.redis_url = Some(format!("rediss://127.0.0.1:{port}/"));
        config.relay_secret = Some("tls test secret".into());
        // Only the relay can carry the edit within the test's second.
        config.resync_ms = 60_000;
        config
    };
    let a = TestServer::start_with(config()).await;
    let b = TestServer::start_with(config()).await;
    let id = a.create_doc("Over TLS").await;
    let mut on_b = YClient::connect(b.addr, &id).await;
    // Both subscribed and connected to Redis before the edit.
    for server in [&a, &b] {
        for _ in 0..100 {
            if server.health().await.1["relay"] == "ok" {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        assert_eq!(server.health().await.1["relay"], "ok", "connected to rediss://");
    }
    let mut on_a = YClient::connect(a.addr, &id).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    on_a.insert(0, "through TLS").await;
    tokio::time::timeout(Duration::from_secs(2), on_b.wait_for_text("through TLS")).await.expect("relayed within 2 s");
    a.stop().await;
    b.stop().await;
}

/// Stops the Redis server however the test ends.
struct KillOnDrop(std::process::Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_with_sslmode_require() {
    let Some(url) = postgres_url().await else { return };
    let url = format!("{url}{}sslmode=require", if url.contains('?') { '&' } else { '?' });
    // The connection really is encrypted.
    use sqlx::{Connection, Row};
    let mut conn = sqlx::PgConnection::connect(&url).await.expect("TLS connection");
    let ssl: bool = sqlx::query("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()")
        .fetch_one(&mut conn)
        .await
        .unwrap()
        .get(0);
    assert!(ssl, "the session is TLS");
    // And Quire runs on it.
    let server = TestServer::start(&url).await;
    let id = server.create_doc("Encrypted").await;
    let mut client = YClient::connect(server.addr, &id).await;
    client.insert(0, "stored over TLS").await;
    server.wait_for_markdown(&id, "stored over TLS").await;
    server.stop().await;
}
