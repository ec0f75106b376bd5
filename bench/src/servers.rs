//! Starting, restarting and measuring the servers under test, each pinned to
//! the server core with `taskset`, each with its store in a fresh folder.

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context};

use crate::target::{Kind, Target};

/// Where things are and which cores to use.
#[derive(Debug, Clone)]
pub struct Setup {
    /// The repository root (the servers' working directory).
    pub root: PathBuf,
    /// Scratch space for stores and logs (emptied per server).
    pub scratch: PathBuf,
    /// The core every server process is pinned to.
    pub server_cpu: usize,
}

/// One server under test, maybe several processes (Quire ×2 plus Redis).
pub struct Running {
    pub target: Target,
    spec: Spec,
    processes: Vec<Child>,
    /// Redis for a two-instance Quire; not counted in RSS.
    helper: Option<Child>,
    data: PathBuf,
    setup: Setup,
}

/// What to start.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Spec {
    Quire { instances: usize },
    YWebsocket,
    Hocuspocus,
    Floor,
}

impl Spec {
    pub fn label(self) -> String {
        match self {
            Spec::Quire { instances: 1 } => "quire".into(),
            Spec::Quire { instances } => format!("quire ×{instances} (Redis)"),
            Spec::YWebsocket => "y-websocket".into(),
            Spec::Hocuspocus => "hocuspocus".into(),
            Spec::Floor => "floor".into(),
        }
    }

    fn kind(self) -> Kind {
        match self {
            Spec::Quire { .. } => Kind::Quire,
            Spec::YWebsocket => Kind::YWebsocket,
            Spec::Hocuspocus => Kind::Hocuspocus,
            Spec::Floor => Kind::Floor,
        }
    }
}

impl Running {
    /// Starts `spec` with an empty store.
    pub async fn start(spec: Spec, setup: &Setup) -> anyhow::Result<Running> {
        let data = setup.scratch.join(spec.label().replace([' ', '×', '(', ')'], ""));
        let _ = std::fs::remove_dir_all(&data);
        std::fs::create_dir_all(&data)?;
        let instances = match spec {
            Spec::Quire { instances } => instances,
            _ => 1,
        };
        let target = Target {
            label: spec.label(),
            kind: spec.kind(),
            instances: (0..instances).map(|_| free_port()).collect::<anyhow::Result<_>>()?,
            token: None,
        };
        let mut running = Running { target, spec, processes: Vec::new(), helper: None, data, setup: setup.clone() };
        if let Spec::Quire { instances } = spec {
            if instances > 1 {
                let port = free_port()?.port();
                let redis = pinned(setup, "redis-server")
                    .args(["--port", &port.to_string(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
                    .stdout(Stdio::null())
                    .spawn()
                    .context("redis-server (run scripts/setup.sh)")?;
                running.helper = Some(redis);
                wait_for_port(format!("127.0.0.1:{port}").parse()?, Duration::from_secs(10))?;
                std::fs::write(running.data.join("redis-url"), format!("redis://127.0.0.1:{port}"))?;
            }
        }
        running.launch()?;
        if spec.kind() == Kind::Quire {
            running.target.token = Some(quire_token(running.target.instances[0]).await?);
        }
        Ok(running)
    }

    fn launch(&mut self) -> anyhow::Result<()> {
        for (index, addr) in self.target.instances.clone().into_iter().enumerate() {
            let log = std::fs::File::create(self.data.join(format!("server-{index}.log")))?;
            let mut command = match self.spec {
                Spec::Quire { .. } => {
                    // QUIRE_BENCH_BIN: another build of Quire (an older commit, for
                    // a same-machine before/after); the release build by default.
                    let binary = std::env::var_os("QUIRE_BENCH_BIN")
                        .map_or_else(|| self.setup.root.join("target/release/quire"), std::path::PathBuf::from);
                    let mut command = pinned(&self.setup, binary);
                    command
                        .env("DATABASE_URL", format!("sqlite://{}/quire.db", self.data.display()))
                        .env("QUIRE_ADDR", addr.to_string())
                        .env("LEPTOS_SITE_ROOT", "target/site")
                        // QUIRE_BENCH_LOG=sqlx=debug,... shows what a workload makes Quire do.
                        .env("RUST_LOG", std::env::var("QUIRE_BENCH_LOG").unwrap_or_else(|_| "warn".into()))
                        // The ×100 document is larger than a document may grow by default.
                        .env("QUIRE_MAX_DOCUMENT_CHARS", (64 * 1024 * 1024).to_string())
                        .env("QUIRE_MAX_DOCUMENT_BYTES", (256u64 * 1024 * 1024).to_string())
                        // One account drives thousands of sockets at full speed
                        // from one address: the per-client limits are off.
                        .env("QUIRE_MAX_MESSAGES_PER_SECOND", "0")
                        .env("QUIRE_MAX_SOCKETS_PER_PERSON", "0")
                        .env("QUIRE_MAX_SOCKETS_PER_ADDRESS", "0");
                    if let Ok(url) = std::fs::read_to_string(self.data.join("redis-url")) {
                        command.env("REDIS_URL", url);
                    }
                    command
                }
                Spec::YWebsocket => {
                    let mut command = pinned(&self.setup, "node");
                    command
                        .arg("bench/servers/node_modules/y-websocket/bin/server.js")
                        .env("HOST", "127.0.0.1")
                        .env("PORT", addr.port().to_string())
                        .env("YPERSISTENCE", self.data.join("leveldb"));
                    command
                }
                Spec::Hocuspocus => {
                    let mut command = pinned(&self.setup, "node");
                    command
                        .arg("bench/servers/hocuspocus.mjs")
                        .env("PORT", addr.port().to_string())
                        .env("HOCUSPOCUS_STORE", self.data.join("documents"));
                    command
                }
                Spec::Floor => {
                    let mut command = pinned(&self.setup, std::env::current_exe()?);
                    command.args(["floor", "--addr", &addr.to_string()]);
                    command
                }
            };
            command.current_dir(&self.setup.root).stdout(log.try_clone()?).stderr(log);
            let child = command.spawn().with_context(|| format!("starting {}", self.target.label))?;
            self.processes.push(child);
            wait_for_port(addr, Duration::from_secs(60))
                .with_context(|| format!("{} did not start; see {}", self.target.label, self.data.display()))?;
        }
        Ok(())
    }

    /// Stops every instance the way an operator would (SIGTERM, so stores are
    /// flushed) and starts them again on the same ports and store.
    pub fn restart(&mut self) -> anyhow::Result<()> {
        self.stop_processes();
        self.launch()
    }

    /// Resident memory of the server's processes, in KiB.
    pub fn rss_kib(&self) -> u64 {
        self.processes.iter().map(|child| rss_kib(child.id()).unwrap_or(0)).sum()
    }

    /// Waits (at most `within`) until the server has used under 2% of a core
    /// for a whole second: whatever it does in the background is done.
    pub async fn settle(&self, within: Duration) {
        let deadline = Instant::now() + within;
        let mut last = self.cpu_ticks();
        while Instant::now() < deadline {
            tokio::time::sleep(Duration::from_secs(1)).await;
            let now = self.cpu_ticks();
            // Clock ticks are 10 ms: two ticks in a second is 2%.
            if now.saturating_sub(last) <= 2 {
                return;
            }
            last = now;
        }
    }

    /// User plus system CPU time of the server's processes, in clock ticks.
    fn cpu_ticks(&self) -> u64 {
        self.processes
            .iter()
            .filter_map(|child| std::fs::read_to_string(format!("/proc/{}/stat", child.id())).ok())
            .map(|stat| {
                // Fields after the command name (which may hold spaces): utime is 14th, stime 15th overall.
                let rest = stat.rsplit_once(')').map(|(_, rest)| rest).unwrap_or("");
                let fields: Vec<&str> = rest.split_whitespace().collect();
                fields.get(11).and_then(|v| v.parse::<u64>().ok()).unwrap_or(0)
                    + fields.get(12).and_then(|v| v.parse::<u64>().ok()).unwrap_or(0)
            })
            .sum()
    }

    fn stop_processes(&mut self) {
        for child in &mut self.processes {
            let _ = Command::new("kill").args(["-TERM", &child.id().to_string()]).status();
        }
        for mut child in self.processes.drain(..) {
            let deadline = Instant::now() + Duration::from_secs(30);
            while Instant::now() < deadline {
                if let Ok(Some(_)) = child.try_wait() {
                    break;
                }
                std::thread::sleep(Duration::from_millis(20));
            }
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        self.stop_processes();
        if let Some(mut redis) = self.helper.take() {
            let _ = redis.kill();
            let _ = redis.wait();
        }
    }
}

/// A command run under `taskset` on the server core.
fn pinned(setup: &Setup, program: impl AsRef<std::ffi::OsStr>) -> Command {
    let mut command = Command::new("taskset");
    command.arg("-c").arg(setup.server_cpu.to_string()).arg(program);
    command
}

fn free_port() -> anyhow::Result<SocketAddr> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    Ok(listener.local_addr()?)
}

pub fn wait_for_port(addr: SocketAddr, within: Duration) -> anyhow::Result<()> {
    let deadline = Instant::now() + within;
    while Instant::now() < deadline {
        if TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok() {
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    bail!("nothing listens on {addr}")
}

/// VmRSS of a process, from /proc.
pub fn rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(Path::new("/proc").join(pid.to_string()).join("status")).ok()?;
    let line = status.lines().find(|line| line.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// The benchmark's account on every Quire it starts.
pub const BENCH_USER: &str = "bench";
pub const BENCH_PASSWORD: &str = "benchmark password";

/// Signs up the benchmark's account on a fresh Quire and makes it an API token.
pub async fn quire_token(addr: SocketAddr) -> anyhow::Result<String> {
    let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build()?;
    let response = http
        .post(format!("http://{addr}/api/users"))
        .json(&serde_json::json!({ "username": BENCH_USER, "password": BENCH_PASSWORD }))
        .send()
        .await?
        .error_for_status()
        .context("signing up on Quire")?;
    let cookie = response
        .headers()
        .get("set-cookie")
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.split(';').next())
        .context("Quire set no session cookie")?
        .to_string();
    let response = http
        .post(format!("http://{addr}/api/tokens"))
        .header("cookie", cookie)
        .json(&serde_json::json!({ "name": "benchmark" }))
        .send()
        .await?
        .error_for_status()
        .context("making an API token")?;
    let body: serde_json::Value = response.json().await?;
    Ok(body["token"].as_str().context("no token in the answer")?.to_string())
}
