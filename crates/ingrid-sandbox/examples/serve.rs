//! Serves the sandbox on a fixed port until ctrl-c, for trying it with curl or Postman:
//!
//! ```text
//! cargo run -p ingrid-sandbox --example serve -- 8080
//! ```
//!
//! The port defaults to 8080. Logs go to stderr; set `RUST_LOG=ingrid_sandbox=debug` for more.

use ingrid_sandbox::Sandbox;
use tracing_subscriber::EnvFilter;

/// Port used when none is given on the command line.
const DEFAULT_PORT: u16 = 8080;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .init();

    let port = match std::env::args().nth(1) {
        Some(port) => port
            .parse()
            .map_err(|error| format!("the port must be a number from 0 to 65535: {error}"))?,
        None => DEFAULT_PORT,
    };

    Sandbox::builder().port(port).build()?.serve().await?;
    Ok(())
}
