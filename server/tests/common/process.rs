//! The `quire` binary as a child process, for tests that kill it: its address
//! comes from the line it prints at startup; its log is copied to the test's
//! stderr (shown when a test fails) so the pipe never fills up.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Command, Stdio};
use std::time::Duration;

pub struct Child {
    child: std::process::Child,
}

impl Child {
    /// Starts the server on a free loopback port against `database_url`.
    pub async fn spawn(database_url: &str, env: &[(&str, &str)]) -> (Child, SocketAddr) {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let mut command = Command::new(env!("CARGO_BIN_EXE_quire"));
        command
            .current_dir(&root)
            .env("QUIRE_ADDR", "127.0.0.1:0")
            .env("DATABASE_URL", database_url)
            .env("RUST_LOG", "warn")
            .env_remove("QUIRE_CRASH_AT")
            .env_remove("REDIS_URL")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit());
        for (name, value) in env {
            command.env(name, value);
        }
        let mut child = command.spawn().expect("start the quire binary");
        let stdout = child.stdout.take().expect("stdout is piped");
        let (found, addr) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut found = Some(found);
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                eprintln!("[quire] {line}");
                if let Some(rest) = line.strip_prefix("Quire is running on http://") {
                    if let (Some(found), Ok(addr)) = (found.take(), rest.trim().parse::<SocketAddr>()) {
                        let _ = found.send(addr);
                    }
                }
            }
        });
        let addr = tokio::task::spawn_blocking(move || addr.recv_timeout(Duration::from_secs(30)))
            .await
            .unwrap()
            .expect("the server prints its address");
        (Child { child }, addr)
    }

    /// SIGKILL, then reap.
    pub async fn kill_9(mut self) {
        self.child.kill().expect("SIGKILL");
        let _ = self.child.wait();
    }

    /// SIGTERM, then wait (up to 30 s) for a clean exit.
    pub async fn terminate(mut self) -> bool {
        let status = Command::new("kill").args(["-TERM", &self.child.id().to_string()]).status().expect("run kill");
        assert!(status.success(), "kill -TERM failed");
        self.wait(Duration::from_secs(30)).await.is_some_and(|status| status.success())
    }

    /// Waits for the process to exit by itself; false (and kills it) if it
    /// is still running after `within`.
    pub async fn wait_exit(mut self, within: Duration) -> bool {
        let exited = self.wait(within).await.is_some();
        if !exited {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
        exited
    }

    async fn wait(&mut self, within: Duration) -> Option<std::process::ExitStatus> {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            if let Some(status) = self.child.try_wait().expect("wait for the server") {
                return Some(status);
            }
            if tokio::time::Instant::now() >= deadline {
                return None;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

impl Drop for Child {
    /// A failing test must not leave a server running.
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}
