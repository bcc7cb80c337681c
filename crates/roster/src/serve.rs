//! `roster serve`: migrate, make sure an enterprise exists, serve until SIGTERM or Ctrl-C, then
//! drain the requests in flight (within `--drain-timeout`, cutting what is left) and exit 0.

use std::sync::Arc;

use directory::rate_limit::RateLimit;
use directory::{Directory, Limits};
use server::{AppState, PublicOrigin, ServerConfig};
use store::{OpenMode, OpenOptions};
use tokio::net::TcpListener;

use crate::cli::ServeArgs;
use crate::edge_limits;
use crate::enterprise_cmd::profile;
use crate::retention;

/// `--rate-limit R [--rate-burst B]`: B defaults to 10 × R (at least 1).
fn rate_limit(args: &ServeArgs) -> Result<Option<RateLimit>, String> {
    let Some(per_second) = args.rate_limit else {
        return Ok(None);
    };
    if !(per_second > 0.0 && per_second.is_finite()) {
        return Err(format!(
            "--rate-limit {per_second} is not valid: give requests per second as a positive number (e.g. 25 or 0.5)"
        ));
    }
    let burst = args
        .rate_burst
        .unwrap_or_else(|| (per_second * 10.0).ceil().clamp(1.0, f64::from(u32::MAX)) as u32);
    if burst == 0 {
        return Err("--rate-burst must be at least 1".into());
    }
    Ok(Some(RateLimit { per_second, burst }))
}

/// `--public-url` and `--trusted-proxy`, checked before anything starts.
fn public_origin(args: &ServeArgs) -> Result<PublicOrigin, String> {
    Ok(PublicOrigin {
        url: args
            .public_url
            .as_deref()
            .map(PublicOrigin::parse_url)
            .transpose()?,
        trusted_proxies: args
            .trusted_proxies
            .iter()
            .map(|p| PublicOrigin::parse_proxy(p))
            .collect::<Result<_, _>>()?,
    })
}

pub async fn run(args: ServeArgs) -> Result<(), String> {
    let limit = rate_limit(&args)?;
    let public_origin = public_origin(&args)?;
    let (edge, open_files) = edge_limits::limits(&args.edge)?;
    // Before anything is printed: a supervisor that signals once it sees the banner must
    // reach the drain, never the default action of the signal (an abrupt exit).
    let shutdown = shutdown_signal()?;
    let open = OpenOptions {
        write_timeout: args.write_timeout,
        pg: args.pg.options(),
        ..OpenOptions::new(OpenMode::Serve)
    };
    let store = store::open_with(&args.db.database, &open)
        .await
        .map_err(|e| e.to_string())?;
    let directory = Arc::new(Directory::new(
        store,
        Limits {
            rate_limit: limit,
            ..Limits::default()
        },
    ));
    let listener = TcpListener::bind(&args.listen)
        .await
        .map_err(|e| format!("cannot listen on {}: {e}", args.listen))?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    let public = public_origin
        .url
        .clone()
        .unwrap_or_else(|| format!("http://{addr}"));

    let mut enterprises = directory.enterprises().await.map_err(|e| e.to_string())?;
    println!(
        "Roster is listening on http://{addr} (database {})",
        args.db.database
    );
    if enterprises.is_empty() {
        match directory
            .create_enterprise(&args.enterprise, &args.short_code, profile(&args.profile)?)
            .await
        {
            Ok((enterprise, issued)) => {
                println!(
                    "Created enterprise '{}' (short code {}, profile {}).",
                    enterprise.slug,
                    enterprise.short_code,
                    enterprise.profile.as_str()
                );
                println!("SCIM base URL: {public}{}", enterprise.scim_base_path());
                println!("SCIM token:    {}", issued.secret);
                println!(
                    "(The token is shown once and stored only as a hash. Paste both into your IdP's SCIM settings.)"
                );
            }
            Err(e) => {
                // Replicas starting together on an empty database race to create the first
                // enterprise; the database lets one win, and the others serve what it created.
                enterprises = directory.enterprises().await.map_err(|e| e.to_string())?;
                if enterprises.is_empty() {
                    return Err(e.to_string());
                }
            }
        }
    }
    if !enterprises.is_empty() {
        for e in &enterprises {
            println!(
                "SCIM base URL: {public}{}  (enterprise {}, profile {})",
                e.scim_base_path(),
                e.slug,
                e.profile.as_str()
            );
        }
        println!("(Tokens: `roster token create --enterprise SLUG --scope scim:enterprise`.)");
    }
    let state = AppState::new(
        directory.clone(),
        ServerConfig {
            max_body_bytes: args.max_body_bytes,
            public: public_origin,
            edge,
        },
    );
    if let Some(days) = args.audit_retention_days {
        tokio::spawn(retention::run(directory, days));
    }
    edge_limits::announce(&state.config.edge, open_files);
    tracing::info!(%addr, "ready");
    server::serve(listener, state, shutdown)
        .await
        .map_err(|e| format!("server failed: {e}"))?;
    tracing::info!("stopped");
    Ok(())
}

/// Completes on the first SIGTERM or SIGINT (Ctrl-C). The handlers are installed now, not
/// when the future is first polled.
fn shutdown_signal() -> Result<impl std::future::Future<Output = ()> + Send + 'static, String> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let listen = |kind: SignalKind, name: &str| {
            signal(kind).map_err(|e| format!("cannot listen for {name}: {e}"))
        };
        let mut terminate = listen(SignalKind::terminate(), "SIGTERM")?;
        let mut interrupt = listen(SignalKind::interrupt(), "SIGINT")?;
        Ok(async move {
            let name = tokio::select! {
                _ = terminate.recv() => "SIGTERM",
                _ = interrupt.recv() => "SIGINT",
            };
            tracing::info!(signal = name, "shutting down");
        })
    }
    #[cfg(not(unix))]
    {
        Ok(async {
            let _ = tokio::signal::ctrl_c().await;
            tracing::info!(signal = "Ctrl-C", "shutting down");
        })
    }
}
