//! The command line: `serve`, `migrate`, `seed-demo`, `openapi`, `create-admin`.

use std::process::ExitCode;
use std::time::Instant;

use actix_web::{HttpServer, web};
use clap::{Parser, Subcommand};

use crate::app;
use crate::audit::Actor;
use crate::auth::users::store as users_store;
use crate::auth::{password, permissions::Role};
use crate::config::Config;
use crate::db;

#[derive(Parser)]
#[command(name = "gonghui", version, about = "智慧工会 backend: the university trade union's API service")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the HTTP API (applies pending migrations first unless GONGHUI_RUN_MIGRATIONS=false;
    /// runs a job worker too unless GONGHUI_RUN_WORKER=false).
    Serve,
    /// Run only the job worker (webhook deliveries, WeChat messages, scheduled jobs).
    Worker,
    /// Apply pending database migrations and exit.
    Migrate,
    /// Load the demo union (24 secondary unions, 5,000+ members, honors, an administrator). Safe to re-run.
    SeedDemo,
    /// Print the OpenAPI document (JSON) to stdout.
    Openapi,
    /// Create an administrator (system_admin + union_admin), or reset its password if it exists.
    CreateAdmin {
        #[arg(long, default_value = "admin")]
        username: String,
        /// Display name.
        #[arg(long, default_value = "系统管理员")]
        name: String,
        /// Password; read from GONGHUI_ADMIN_PASSWORD when omitted, generated when neither is given.
        #[arg(long, env = "GONGHUI_ADMIN_PASSWORD", hide_env_values = true)]
        password: Option<String>,
    },
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    if let Command::Openapi = cli.command {
        return match serde_json::to_string_pretty(&app::openapi()) {
            Ok(json) => {
                println!("{json}");
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("error: {e}");
                ExitCode::FAILURE
            }
        };
    }
    let config = match Config::from_env() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    crate::telemetry::init(config.log_format, &config.log_filter);
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = match cli.command {
        Command::Serve => serve(config),
        Command::Worker => runtime.block_on(worker(config)),
        Command::Migrate => runtime.block_on(migrate(&config)),
        Command::SeedDemo => runtime.block_on(crate::seed::run(&config)),
        Command::CreateAdmin { username, name, password } => {
            runtime.block_on(create_admin(&config, &username, &name, password))
        }
        Command::Openapi => Ok(()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn migrate(config: &Config) -> anyhow::Result<()> {
    let applied = db::run_migrations(&config.database_url).await?;
    if applied.is_empty() {
        println!("database is up to date");
    } else {
        for v in applied {
            println!("applied migration {v}");
        }
    }
    Ok(())
}

async fn create_admin(config: &Config, username: &str, name: &str, given: Option<String>) -> anyhow::Result<()> {
    let (password, generated) = match given {
        Some(p) if password::is_strong_enough(&p) => (p, false),
        Some(_) => anyhow::bail!("the password needs at least 12 characters with letters and digits"),
        None => (password::generate_password(), true),
    };
    let pool = db::build_pool(config)?;
    let mut conn = pool.get().await.map_err(|e| anyhow::anyhow!("database: {e}"))?;
    let hash = password::hash_password(&password)?;
    users_store::ensure_admin(
        &mut conn,
        &username.to_lowercase(),
        name,
        &hash,
        &[Role::SystemAdmin, Role::UnionAdmin],
        &Actor::system("create-admin"),
    )
    .await
    .map_err(|e| anyhow::anyhow!("{e}"))?;
    println!("administrator: {}", username.to_lowercase());
    if generated {
        println!("password:      {password}");
    }
    Ok(())
}

/// Runs the job worker until SIGINT/SIGTERM; a job in hand is finished first.
async fn worker(config: Config) -> anyhow::Result<()> {
    let pool = db::build_pool(&config)?;
    let http = crate::outbound::client(&config)?;
    let worker = crate::app::worker(pool, std::sync::Arc::new(config), http);
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let running = tokio::spawn(worker.run(stopped));
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = term.recv() => {}
    }
    let _ = stop.send(true);
    running.await?;
    Ok(())
}

/// Runs the server on actix's own runtime until SIGINT/SIGTERM, then drains connections.
fn serve(config: Config) -> anyhow::Result<()> {
    actix_web::rt::System::new().block_on(async move {
        let started = Instant::now();
        if config.run_migrations {
            let applied = db::run_migrations(&config.database_url).await?;
            tracing::info!(count = applied.len(), "migrations applied");
        }
        let pool = db::build_pool(&config)?;
        let bind = config.bind.clone();
        let workers = config.workers;
        let client_request_timeout = config.client_request_timeout;
        let public_url = config.public_url.clone();
        let state = web::Data::new(app::state(config, pool)?);
        let (stop_worker, stopped) = tokio::sync::watch::channel(false);
        if state.config.run_worker {
            let worker = crate::app::worker(state.pool.clone(), state.config.clone(), state.http.clone());
            actix_web::rt::spawn(worker.run(stopped));
        }
        let server = HttpServer::new(move || {
            let app = app::build(state.clone());
            app::release_startup_memory();
            app
        })
            .workers(workers)
            .client_request_timeout(client_request_timeout)
            .shutdown_timeout(30)
            .bind(&bind)?
            .run();
        tracing::info!(%bind, docs = %format!("{public_url}/docs/"), startup_ms = started.elapsed().as_millis() as u64, "listening");
        server.await?;
        let _ = stop_worker.send(true);
        tracing::info!("stopped");
        Ok(())
    })
}
