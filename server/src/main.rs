//! The `quire` binary: read config, start logging, serve until Ctrl+C or
//! SIGTERM (or run a one-off command, such as `quire admin promote NAME`).

use server::{leptos_options, run, Config};
use tracing_subscriber::EnvFilter;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    tracing_subscriber::fmt()
        .with_env_filter(EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn")))
        .init();
    let config = Config::from_env();
    if let Some(command) = &config.command {
        return Ok(server::cli::run(&config, command).await?);
    }
    let options = leptos_options(&config)?;
    let addr = config.addr.unwrap_or(options.site_addr);
    let listener = tokio::net::TcpListener::bind(addr).await?;
    println!("Quire is running on http://{}", listener.local_addr()?);
    run(config, options, listener, shutdown_signal()).await?;
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = terminate => {} }
    tracing::info!("shutting down: flushing writes");
}
