//! A TCP proxy between the server and its database or Redis, for tests that
//! make them slow, unreachable or silent without touching them.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mode {
    /// Bytes pass, each chunk from the database held back by this long.
    Pass(Duration),
    /// Every connection is dropped and new ones are closed at once.
    Cut,
    /// Connections stay open and requests go through, but nothing comes back
    /// until the mode changes (a stalled subscription).
    Hold,
}

pub struct Proxy {
    pub addr: SocketAddr,
    mode: Arc<watch::Sender<Mode>>,
}

impl Proxy {
    /// Listens on a free loopback port and forwards to `target`.
    pub async fn start(target: SocketAddr) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind proxy");
        let addr = listener.local_addr().unwrap();
        let mode = Arc::new(watch::Sender::new(Mode::Pass(Duration::ZERO)));
        let modes = mode.clone();
        tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                if *modes.borrow() == Mode::Cut {
                    continue; // dropped: the connection closes
                }
                tokio::spawn(forward(client, target, modes.subscribe()));
            }
        });
        Proxy { addr, mode }
    }

    /// Makes the database unreachable: open connections break, new ones fail.
    pub fn cut(&self) {
        self.mode.send_replace(Mode::Cut);
    }

    /// Holds every answer back (connections stay open) until `pass`.
    pub fn hold(&self) {
        self.mode.send_replace(Mode::Hold);
    }

    /// Lets bytes through again, answers delayed by `latency`.
    pub fn pass(&self, latency: Duration) {
        self.mode.send_replace(Mode::Pass(latency));
    }
}

async fn forward(client: TcpStream, target: SocketAddr, mut mode: watch::Receiver<Mode>) {
    let Ok(server) = TcpStream::connect(target).await else { return };
    let (mut client_read, mut client_write) = client.into_split();
    let (mut server_read, mut server_write) = server.into_split();
    let upstream = async {
        let mut buf = vec![0u8; 64 * 1024];
        while let Ok(n) = client_read.read(&mut buf).await {
            if n == 0 || server_write.write_all(&buf[..n]).await.is_err() {
                break;
            }
        }
    };
    let latency = mode.clone();
    let downstream = async move {
        let mut buf = vec![0u8; 64 * 1024];
        while let Ok(n) = server_read.read(&mut buf).await {
            if n == 0 {
                break;
            }
            let mut held = latency.clone();
            if held.wait_for(|mode| *mode != Mode::Hold).await.is_err() {
                break;
            }
            let current = *latency.borrow();
            if let Mode::Pass(delay) = current {
                if !delay.is_zero() {
                    tokio::time::sleep(delay).await;
                }
            }
            if client_write.write_all(&buf[..n]).await.is_err() {
                break;
            }
        }
    };
    let cut = async {
        while mode.changed().await.is_ok() {
            if *mode.borrow() == Mode::Cut {
                return;
            }
        }
        std::future::pending::<()>().await
    };
    tokio::select! {
        _ = upstream => {}
        _ = downstream => {}
        _ = cut => {}
    }
}
