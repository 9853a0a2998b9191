//! `tandem`: the one binary. Serves the web UI and API, seeds the demo,
//! runs migrations, and does the operator's chores (tokens, audit
//! verification, backups).

mod bench_assets;
mod bench_pages;
mod bench_seed;
mod quote;

use anyhow::{Context, bail};
use clap::{Parser, Subcommand};
use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;
use tandem_domain::Role;
use tandem_service::accounts::NewUser;
use tandem_service::{Db, RequestMeta, Settings, Tandem};
use tandem_web::{AppState, WebConfig, make_app};

/// mimalloc instead of the system allocator: the server allocates per row
/// and per request, and glibc's malloc and its consolidation cost 19-22% of
/// read, list and queue throughput (BENCHMARKS.md, session 14).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    name = "tandem",
    version,
    about = "Tandem: one service desk for the in-house IT team and its provider"
)]
struct Cli {
    /// A TOML file with settings (the same names as the TANDEM_* variables, lower-case, without the prefix).
    #[arg(long, global = true)]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the server.
    Serve,
    /// Create (or reuse) a demo database, print its sign-ins, and run the server.
    Demo,
    /// Bring the database schema up to date and exit.
    Migrate,
    /// Set up a new installation: the provider that runs it and its first
    /// admin. The admin's password is read from standard input (one line).
    Setup {
        /// The provider's name.
        #[arg(long)]
        provider: String,
        /// The provider's short name (lowercase letters, digits, hyphens).
        #[arg(long)]
        slug: String,
        /// The first admin's name.
        #[arg(long)]
        admin_name: String,
        /// The first admin's e-mail, their sign-in name.
        #[arg(long)]
        admin_email: String,
    },
    /// Personal API tokens.
    Token {
        #[command(subcommand)]
        command: TokenCommand,
    },
    /// The audit log.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
    /// Invoices.
    Invoice {
        #[command(subcommand)]
        command: InvoiceCommand,
    },
    /// Compare provider proposals for a company profile (a JSON file, see
    /// docs/quote-example.json) and print the table. Needs no database.
    Quote {
        /// The comparison to make; `-` reads standard input.
        #[arg(long)]
        file: PathBuf,
    },
    /// Copy a live SQLite database to a file, consistently, and check the copy.
    Backup {
        /// Where to write the copy (must not exist yet).
        #[arg(long)]
        to: PathBuf,
    },
    /// The credential vault's master key.
    Vault {
        #[command(subcommand)]
        command: VaultCommand,
    },
    /// Load the HTTP benchmarks' data set (benches/http/run.sh): the demo,
    /// bench clients with people and engagements, and bulk-loaded tickets.
    #[command(hide = true)]
    BenchSeed {
        /// Bench client organizations to onboard.
        #[arg(long, default_value_t = 200)]
        clients: usize,
        /// Tickets to load, spread over the bench clients.
        #[arg(long, default_value_t = 1_000_000)]
        tickets: usize,
        /// Tickets per transaction.
        #[arg(long, default_value_t = 10_000)]
        batch: usize,
        /// Documentation pages (~2 KB, five revisions each) to load,
        /// spread over the bench clients.
        #[arg(long, default_value_t = 0)]
        pages: usize,
        /// Asset records to load, spread over the bench clients.
        #[arg(long, default_value_t = 0)]
        assets: usize,
        /// Write one line per bench client (`id category-key ...`) here.
        #[arg(long)]
        out: Option<PathBuf>,
    },
}

#[derive(Subcommand)]
enum TokenCommand {
    /// Create a token for a user; the secret is printed once.
    Create {
        /// The user's e-mail.
        #[arg(long)]
        user: String,
        /// A label for the token.
        #[arg(long, default_value = "created on the command line")]
        name: String,
    },
}

#[derive(Subcommand)]
enum InvoiceCommand {
    /// Draft the month's invoice for every active agreement; running it
    /// again for the same month makes nothing new.
    Run {
        /// The month, `YYYY-MM`.
        #[arg(long)]
        period: String,
    },
}

#[derive(Subcommand)]
enum VaultCommand {
    /// Make a new master key, rewrap every client's data key to it in
    /// small transactions (a running server keeps reading either key),
    /// then remove the old key from the key file.
    RotateMasterKey {
        /// Client data keys per transaction.
        #[arg(long, default_value_t = 50)]
        batch: i64,
    },
    /// Show the key file, its keys, and how many client data keys each wraps.
    Status,
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Check the hash chain; names the first entry altered, removed or reordered.
    Verify,
}

/// Every setting, with its default. Unknown names are an error.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Config {
    /// `sqlite://PATH` or `postgres://...`.
    database_url: String,
    /// Address and port to listen on.
    bind: String,
    /// The address people reach Tandem at; `https://` turns on Secure cookies and HSTS.
    public_url: Option<String>,
    /// Largest request body in bytes.
    max_body_bytes: usize,
    /// Minutes without a request before a session ends.
    session_idle_minutes: i64,
    /// Hours after sign-in when a session ends however active.
    session_absolute_hours: i64,
    /// Log filter, e.g. `info` or `tandem=debug`.
    log: String,
    /// Whether webhooks may post to loopback and private addresses (a
    /// receiver on the same host or network); link-local never.
    webhook_allow_private: bool,
    /// The vault's master key file (created, owner-only, when missing);
    /// by default `tandem-master.key` next to the SQLite database, or in
    /// the working directory for PostgreSQL.
    master_key_file: Option<PathBuf>,
}

impl Default for Config {
    fn default() -> Self {
        let s = Settings::default();
        Self {
            database_url: "sqlite://tandem.db".into(),
            bind: "127.0.0.1:8080".into(),
            public_url: None,
            max_body_bytes: 1024 * 1024,
            session_idle_minutes: s.session_idle_minutes,
            session_absolute_hours: s.session_absolute_hours,
            log: "info,sqlx=warn".into(),
            webhook_allow_private: s.webhook_allow_private,
            master_key_file: None,
        }
    }
}

impl Config {
    /// Where the vault's master keys live.
    fn master_key_path(&self) -> PathBuf {
        if let Some(p) = &self.master_key_file {
            return p.clone();
        }
        let dir = self
            .database_url
            .strip_prefix("sqlite://")
            .or_else(|| self.database_url.strip_prefix("sqlite:"))
            .map(|p| p.split('?').next().unwrap_or(p))
            .and_then(|p| {
                std::path::Path::new(p)
                    .parent()
                    .map(std::path::Path::to_owned)
            })
            .unwrap_or_default();
        dir.join("tandem-master.key")
    }
}

const SETTING_NAMES: [&str; 9] = [
    "database_url",
    "bind",
    "public_url",
    "max_body_bytes",
    "session_idle_minutes",
    "session_absolute_hours",
    "log",
    "webhook_allow_private",
    "master_key_file",
];

fn load_config(file: Option<&PathBuf>) -> anyhow::Result<Config> {
    let mut fig = Figment::from(Serialized::defaults(Config::default()));
    if let Some(f) = file {
        if !f.exists() {
            bail!("config file {} does not exist", f.display());
        }
        fig = fig.merge(Toml::file(f));
    }
    // Only our own names: other TANDEM_* variables (a test URL, say) belong
    // to other tools and must not be mistaken for settings.
    fig = fig.merge(Env::prefixed("TANDEM_").only(&SETTING_NAMES));
    fig.extract().context("invalid configuration")
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    // The calculator is arithmetic on a file: no settings, no database.
    if let Command::Quote { file } = &cli.command {
        return quote::run(file);
    }
    let config = load_config(cli.config.as_ref())?;
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_new(&config.log).context("invalid log filter")?,
        )
        .with_target(false)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        // Logs go to stderr: stdout carries command output (a new token, say).
        .with_writer(std::io::stderr)
        .init();

    // A server listens for SIGTERM and Ctrl-C from before it opens the
    // database: one that comes while it migrates or seeds the demo stops it
    // once that work is whole, instead of killing it part way (the demo is
    // written in many transactions). The one-shot commands keep the default
    // of ending at once.
    let stop = match cli.command {
        Command::Serve | Command::Demo => Some(Box::pin(
            shutdown_signal().context("cannot listen for SIGTERM")?,
        )),
        _ => None,
    };
    let db = Db::connect(&config.database_url)
        .await
        .with_context(|| format!("cannot open {}", redact(&config.database_url)))?;
    db.migrate().await.context("migration failed")?;
    let settings = Settings {
        session_idle_minutes: config.session_idle_minutes,
        session_absolute_hours: config.session_absolute_hours,
        webhook_allow_private: config.webhook_allow_private,
        ..Settings::default()
    };
    let tandem = Tandem::new(db.clone(), settings);
    // The commands that read or write the vault hold the master keys from
    // the key file; the others never touch a secret.
    let tandem = match &cli.command {
        Command::Serve | Command::Demo | Command::Vault { .. } | Command::BenchSeed { .. } => {
            let path = config.master_key_path();
            let keyring = tandem_service::vault_keys::Keyring::open_file(&path)
                .context("the vault's master key file cannot be used")?;
            tracing::info!(file = %path.display(), keys = keyring.key_ids().len(), "vault master keys loaded");
            tandem.with_keyring(keyring)
        }
        _ => tandem,
    };

    // Installed above for exactly these two commands.
    let installed = "the server's stop signal";
    match cli.command {
        Command::Migrate => println!("schema is up to date"),
        Command::Setup {
            provider,
            slug,
            admin_name,
            admin_email,
        } => {
            // From standard input, so that it stays out of the shell's
            // history and the process list.
            let mut password = String::new();
            std::io::stdin()
                .read_line(&mut password)
                .context("cannot read the admin's password from standard input")?;
            let admin = NewUser {
                email: admin_email,
                name: admin_name,
                role: Role::ProviderAdmin,
                password: password.trim_end_matches(['\r', '\n']).to_owned(),
            };
            let (org, user) = tandem
                .set_up_provider(&provider, &slug, &admin, &RequestMeta::cli("setup"))
                .await?;
            println!(
                "set up {} ({}) with its admin {}; start the server with `tandem serve` and sign in",
                org.name, org.slug, user.email
            );
        }
        Command::Serve => serve(tandem, &config, stop.context(installed)?).await?,
        Command::Demo => {
            let mut stop = stop.context(installed)?;
            // Seeded in full even when told to stop meanwhile: a demo cut
            // short cannot be finished by a later start.
            let (logins, stopping) = {
                let seeding = tandem.seed_demo();
                tokio::pin!(seeding);
                tokio::select! {
                    seeded = &mut seeding => (seeded?, false),
                    () = &mut stop => {
                        tracing::info!("stopping once the demo is seeded");
                        (seeding.await?, true)
                    }
                }
            };
            if stopping {
                tracing::info!("demo seeded; stopped before serving");
                db.close().await;
                return Ok(());
            }
            println!(
                "\nTandem demo. Every account's password: {}\n",
                tandem_service::demo::DEMO_PASSWORD
            );
            for l in &logins {
                println!(
                    "  {:<28} {:<20} {:<24} {}",
                    l.org,
                    l.role.label(),
                    l.name,
                    l.email
                );
            }
            println!();
            serve(tandem, &config, stop).await?;
        }
        Command::Token {
            command: TokenCommand::Create { user, name },
        } => {
            let (token, secret) = tandem
                .create_token_for_email(&user, &name, &RequestMeta::cli("token create"))
                .await?;
            eprintln!(
                "token {} created for {user}; it is shown only this once:",
                token.id
            );
            println!("{secret}");
        }
        Command::Audit {
            command: AuditCommand::Verify,
        } => match tandem.verify_audit().await? {
            Ok(n) => println!("audit log intact: {n} entries verified"),
            Err(b) => {
                eprintln!("audit log broken: {b}");
                db.close().await;
                std::process::exit(1);
            }
        },
        Command::Invoice {
            command: InvoiceCommand::Run { period },
        } => {
            let first = tandem_service::invoices::parse_period(&period)?;
            let out = tandem
                .run_invoices(None, first, &RequestMeta::cli("invoice run"))
                .await?;
            println!(
                "{period}: {} drafted, {} already invoiced, {} not running that month",
                out.created.len(),
                out.existing,
                out.not_running
            );
        }
        Command::Backup { to } => backup(&db, &to).await?,
        Command::Vault {
            command: VaultCommand::RotateMasterKey { batch },
        } => {
            let report = tandem.rotate_master_key(batch).await?;
            println!(
                "master key rotated: {} client data keys rewrapped to {}; the old key is removed from {}",
                report.rewrapped,
                report.new_key_id,
                config.master_key_path().display()
            );
        }
        Command::Vault {
            command: VaultCommand::Status,
        } => {
            println!("key file: {}", config.master_key_path().display());
            for id in tandem.keyring().key_ids() {
                println!("  key {id}");
            }
            for (id, n) in tandem.vault_key_usage().await? {
                println!("  {n} client data keys wrapped by {id}");
            }
        }
        // Answered above, before the database is opened.
        Command::Quote { file } => quote::run(&file)?,
        Command::BenchSeed {
            clients,
            tickets,
            batch,
            pages,
            assets,
            out,
        } => {
            bench_seed::run(
                &tandem,
                clients,
                tickets,
                batch.max(1),
                pages,
                assets,
                out.as_deref(),
            )
            .await?
        }
    }
    db.close().await;
    Ok(())
}

async fn backup(db: &Db, to: &std::path::Path) -> anyhow::Result<()> {
    if db.backend() == tandem_service::Backend::Postgres {
        bail!(
            "this is a PostgreSQL database: back it up with pg_dump, for example\n  pg_dump --format=custom --file=tandem.dump \"$TANDEM_DATABASE_URL\"\nand restore with pg_restore --clean --dbname=... tandem.dump"
        );
    }
    if to.exists() {
        bail!("{} exists already; choose a new file", to.display());
    }
    let path = to.to_str().context("backup path is not valid UTF-8")?;
    db.backup_sqlite_to(path).await.context("backup failed")?;
    if !tandem_store::sqlite_file_is_sound(path).await? {
        bail!("the copy at {path} failed its integrity check");
    }
    println!("backup written to {path} and checked (integrity ok)");
    Ok(())
}

/// Serve until `stop` (see [`shutdown_signal`]), then drain.
async fn serve(
    tandem: Tandem,
    config: &Config,
    stop: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let web = WebConfig {
        public_url: config
            .public_url
            .clone()
            .unwrap_or_else(|| format!("http://{}", config.bind)),
        max_body_bytes: config.max_body_bytes,
    };
    let state = AppState::new(tandem.clone(), web);
    let app = make_app(state);
    let listener = tokio::net::TcpListener::bind(&config.bind)
        .await
        .with_context(|| format!("cannot listen on {}", config.bind))?;
    tracing::info!(bind = %config.bind, database = %redact(&config.database_url), "Tandem is listening on http://{}", config.bind);

    let worker_tandem = tandem.clone();
    let housekeeping = tokio::spawn(async move {
        let mut every = tokio::time::interval(Duration::from_secs(600));
        loop {
            every.tick().await;
            if let Err(e) = tandem.purge_expired().await {
                tracing::warn!(error = %e, "housekeeping failed");
            }
            // Invoices are drafted on each agreement's invoice day.
            match tandem.run_due_invoices_today().await {
                Ok(0) => {}
                Ok(n) => tracing::info!(drafts = n, "invoice day: drafted last month's invoices"),
                Err(e) => tracing::warn!(error = %e, "the invoice day's run failed"),
            }
        }
    });
    // Deliver queued notifications and raise SLA warnings and breaches.
    let worker = tokio::spawn(async move {
        let mut every = tokio::time::interval(Duration::from_secs(5));
        loop {
            every.tick().await;
            if let Err(e) = worker_tandem.work_once().await {
                tracing::warn!(error = %e, "background work failed");
            }
        }
    });
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(stop)
    .await?;
    housekeeping.abort();
    worker.abort();
    tracing::info!("drained in-flight requests; bye");
    Ok(())
}

/// SIGTERM or Ctrl-C: stop accepting, finish what is in flight, exit.
/// The handlers are installed when this is called, not when the future is
/// first polled: the server calls it before it binds, so a SIGTERM sent as
/// soon as it says it listens drains it instead of killing it.
fn shutdown_signal() -> std::io::Result<impl Future<Output = ()>> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let mut term = signal(SignalKind::terminate())?;
        let mut interrupt = signal(SignalKind::interrupt())?;
        Ok(async move {
            tokio::select! { _ = term.recv() => {}, _ = interrupt.recv() => {} }
            tracing::info!("shutting down");
        })
    }
    #[cfg(not(unix))]
    Ok(async {
        let _ = tokio::signal::ctrl_c().await;
        tracing::info!("shutting down");
    })
}

/// A database URL without its password, for logs.
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let creds = &url[s + 3..at];
            let user = creds.split(':').next().unwrap_or("");
            format!("{}{}:***{}", &url[..s + 3], user, &url[at..])
        }
        _ => url.to_owned(),
    }
}
