//! The `omnipanel` binary; everything lives in the library so tests can run the real server.

#[tokio::main]
async fn main() -> std::process::ExitCode {
    omnipanel_api::cli::run().await
}
