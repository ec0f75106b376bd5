//! A throwaway Redis server for one test: `redis-server` on a free loopback
//! port, no persistence, killed when dropped. Tests can restart it on the same
//! port to see instances lose and regain it.

use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

pub struct RedisServer {
    pub addr: SocketAddr,
    child: Option<Child>,
}

impl RedisServer {
    /// Starts one. Outside CI, without `redis-server` installed, returns None
    /// (the caller skips); in CI that is a failure (scripts/setup.sh installs it).
    pub async fn start() -> Option<RedisServer> {
        if Command::new("redis-server").arg("--version").stdout(Stdio::null()).status().is_err() {
            assert!(std::env::var("CI").is_err(), "CI must have redis-server (scripts/setup.sh installs it)");
            eprintln!("redis-server not found: skipping (run scripts/test.sh)");
            return None;
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let mut server = RedisServer { addr: SocketAddr::from(([127, 0, 0, 1], port)), child: None };
        server.launch().await;
        Some(server)
    }

    pub fn url(&self) -> String {
        format!("redis://{}/", self.addr)
    }

    async fn launch(&mut self) {
        let child = Command::new("redis-server")
            .args(["--bind", "127.0.0.1", "--port", &self.addr.port().to_string()])
            .args(["--save", "", "--appendonly", "no", "--protected-mode", "no"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start redis-server");
        self.child = Some(child);
        for _ in 0..200 {
            if tokio::net::TcpStream::connect(self.addr).await.is_ok() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        panic!("redis-server did not start on {}", self.addr);
    }

    /// Kills Redis (every connection drops, every message in flight is lost)
    /// and, after `down_for`, starts a fresh one on the same port.
    pub async fn restart(&mut self, down_for: Duration) {
        self.kill();
        tokio::time::sleep(down_for).await;
        self.launch().await;
    }

    fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.kill();
    }
}
