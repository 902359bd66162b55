//! `s3-connector`: run the connector's modules from the command line.

use clap::{Parser, Subcommand};
use connector_core::framework::local_files::LocalFiles;
use connector_core::framework::profile::AwsConfig;
use connector_core::{Connection, Context, Error, ErrorKind, Registry};
use s3_connector::local_store::{LOCAL_ACCESS_KEY, LOCAL_SECRET_KEY, LocalStore, LocalStoreConfig};
use s3_connector::progress::TerminalProgress;
use s3_connector::serve;
use s3_connector::{demo, manifest};
use serde_json::{Value, json};
use std::io::Read;
use std::path::PathBuf;
use std::process::ExitCode;

/// Prints a line on stdout; a closed pipe (`… | head`) ends the program quietly.
macro_rules! out {
    ($($arg:tt)*) => {
        write_stdout(&format!($($arg)*))
    };
}

fn write_stdout(line: &str) {
    use std::io::Write;
    let mut stdout = std::io::stdout().lock();
    if let Err(err) = writeln!(stdout, "{line}").and_then(|()| stdout.flush()) {
        if err.kind() == std::io::ErrorKind::BrokenPipe {
            std::process::exit(0);
        }
        eprintln!("cannot write the output: {err}");
        std::process::exit(1);
    }
}

const AFTER_HELP: &str = "\
Connections: `run` reads the connection from --connection FILE (JSON, see
schemas/connection.json), or like the AWS CLI: a --profile of the shared files,
else the environment variables AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY,
AWS_SESSION_TOKEN, else the AWS_PROFILE (or default) profile of
~/.aws/credentials and ~/.aws/config (AWS_SHARED_CREDENTIALS_FILE,
AWS_CONFIG_FILE). Region: AWS_REGION, AWS_DEFAULT_REGION, the profile's.
Endpoint: AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL, the profile's. A profile with
role_arn and source_profile assumes that role.

Output: JSON on stdout. On failure, a JSON error on stderr
({kind, message, code, request_id, status, field, retryable}) and the exit code
of its kind: 2 invalid_input, 3 auth, 4 signature_mismatch, 5 access_denied,
6 not_found, 7 conflict, 8 throttled, 9 server, 10 network, 11 timeout
(1: the command line itself is wrong). Ctrl-C or SIGTERM stops a `run`: its
temporary files are removed and an unfinished multipart upload is aborted, then
it exits with a `cancelled` error, code 130 (Ctrl-C) or 143 (SIGTERM); a second
Ctrl-C exits at once.

Logs: set S3C_LOG (else RUST_LOG), e.g. S3C_LOG=debug, for logs on stderr;
secrets never appear.";

/// Amazon S3 connector for workflow automation: modules invoked by name with JSON.
#[derive(Debug, Parser)]
#[command(name = "s3-connector", version, after_help = AFTER_HELP)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

/// A JSON input: a file, standard input, or inline.
#[derive(Debug, clap::Args)]
struct InputArgs {
    /// The JSON input: a file, or `-` for standard input.
    #[arg(short, long, value_name = "FILE|-", conflicts_with = "json")]
    input: Option<PathBuf>,
    /// The JSON input, inline: '{"bucket": "my-bucket"}'.
    #[arg(long, value_name = "JSON")]
    json: Option<String>,
}

/// Where the connection comes from.
#[derive(Debug, clap::Args)]
struct ConnectionArgs {
    /// A connection file (JSON). Default: the AWS environment variables, else the shared AWS
    /// config and credentials files.
    #[arg(
        short,
        long,
        value_name = "FILE",
        env = "S3C_CONNECTION",
        conflicts_with = "profile"
    )]
    connection: Option<PathBuf>,
    /// A profile of the shared AWS config and credentials files (like `aws --profile`).
    #[arg(long, value_name = "NAME")]
    profile: Option<String>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// List the modules: name, kind and label.
    Modules {
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Print the JSON Schema of a module's input (or of its output).
    Schema {
        /// The module, e.g. upload_file.
        name: String,
        /// Print the output schema instead of the input schema.
        #[arg(long)]
        output: bool,
    },
    /// Run a module with JSON input and print its JSON output.
    Run {
        /// The module, e.g. list_files (see `s3-connector modules`).
        name: String,
        #[command(flatten)]
        input: InputArgs,
        #[command(flatten)]
        connection: ConnectionArgs,
        /// Send nothing: print the first request the module would send, signed (secrets
        /// redacted), with an equivalent curl command.
        #[arg(long)]
        dry_run: bool,
        /// No progress bar for long transfers (shown on stderr when it is a terminal).
        #[arg(short, long)]
        quiet: bool,
    },
    /// Print an option list for a form field (`x-options` in the schemas): [{value, label}].
    Options {
        /// The list: buckets, regions, folders (see `s3-connector manifest`).
        name: String,
        /// The form's current values (e.g. {"bucket": "b"} for folders).
        #[command(flatten)]
        input: InputArgs,
        #[command(flatten)]
        connection: ConnectionArgs,
    },
    /// Write manifest/connector.json and schemas/*.json from the code (or check them).
    Manifest {
        /// The repository root to write under.
        #[arg(long, default_value = ".")]
        dir: PathBuf,
        /// Only check that the files are up to date; exit 1 if not.
        #[arg(long)]
        check: bool,
    },
    /// Serve a local S3-compatible store on 127.0.0.1 from a directory, until Ctrl-C.
    Local {
        /// The directory holding the buckets. Default: a temporary one, removed on exit.
        #[arg(long)]
        dir: Option<PathBuf>,
        /// The port (0: a free one).
        #[arg(long, default_value_t = 9000)]
        port: u16,
        /// The access key ID the store accepts.
        #[arg(long, default_value = LOCAL_ACCESS_KEY)]
        access_key: String,
        /// The secret access key the store accepts.
        #[arg(long, default_value = LOCAL_SECRET_KEY)]
        secret_key: String,
    },
    /// Serve the modules as tools of a Model Context Protocol server on standard input and
    /// output, for AI agents (see the README for a client's configuration).
    Mcp {
        #[command(flatten)]
        connection: ConnectionArgs,
        #[command(flatten)]
        switches: s3_connector::mcp::McpArgs,
    },
    /// Serve the modules over HTTP (with OpenAPI) and the scenario-builder page, until Ctrl-C.
    Serve(serve::ServeArgs),
    /// Start a local store and run the six baseline modules against it, printing each step.
    Demo,
}

#[tokio::main]
async fn main() -> ExitCode {
    s3_connector::init_logging();
    let cli = Cli::parse();
    match execute(cli.command).await {
        Ok(code) => code,
        Err(err) => {
            eprintln!("{}", pretty(&err.to_json()));
            ExitCode::from(s3_connector::exit_code::exit_code(err.kind()))
        }
    }
}

fn pretty(value: &Value) -> String {
    serde_json::to_string_pretty(value).expect("JSON")
}

async fn execute(command: Command) -> Result<ExitCode, Error> {
    let registry = Registry::global();
    match command {
        Command::Modules { json } => {
            if json {
                let list: Vec<Value> = registry
                    .modules()
                    .map(|m| {
                        json!({"name": m.name(), "label": m.label(), "kind": m.kind(),
                               "description": m.description()})
                    })
                    .collect();
                out!("{}", pretty(&Value::Array(list)));
            } else {
                out!("{:<16} {:<7} {:<20} DESCRIPTION", "NAME", "KIND", "LABEL");
                for m in registry.modules() {
                    let kind = serde_json::to_value(m.kind()).expect("kind");
                    let kind = kind.as_str().unwrap_or_default();
                    out!(
                        "{:<16} {kind:<7} {:<20} {}",
                        m.name(),
                        m.label(),
                        m.description()
                    );
                }
            }
        }
        Command::Schema { name, output } => {
            let module = registry.get(&name).ok_or_else(|| {
                Error::invalid_input("name", format!("no module is called {name:?}"))
            })?;
            let schema = if output {
                module.output_schema()
            } else {
                module.input_schema()
            };
            out!("{}", pretty(&schema));
        }
        Command::Run {
            name,
            input,
            connection,
            dry_run,
            quiet,
        } => {
            let input_from_stdin = input.input.as_deref() == Some(std::path::Path::new("-"));
            let input = read_input(input)?;
            // The input is read and checked before credentials are looked for: a typo is
            // reported first.
            let prepared = registry.prepare(&name, input)?;
            if let Some(field) = prepared.reads_stdin().filter(|_| input_from_stdin) {
                return Err(Error::invalid_input(
                    field,
                    "standard input already carries the JSON input: give the file's path, or pass the input with --json",
                ));
            }
            let connection = load_connection(connection).await?;
            let mut ctx = if dry_run {
                Context::dry_run(connection)?
            } else {
                Context::new(connection)?
            };
            if let Some(progress) = TerminalProgress::for_stderr().filter(|_| !quiet) {
                ctx = ctx.with_progress(std::sync::Arc::new(progress));
            }
            let mut interrupts = Interrupts::listen()?;
            let invocation = prepared.run(&ctx);
            // On Ctrl-C or SIGTERM the module's future is dropped here, which removes its
            // temporary files and starts aborting its multipart upload.
            let outcome = tokio::select! {
                output = invocation => Ok(output),
                interrupt = interrupts.next() => Err(interrupt),
            };
            match outcome {
                Ok(output) => out!("{}", pretty(&output?)),
                Err(interrupt) => stop(&name, interrupt, interrupts).await,
            }
        }
        Command::Options {
            name,
            input,
            connection,
        } => {
            let input = read_input(input)?;
            // Read before credentials are looked for, as for `run`.
            let list = registry.prepare_options(&name, &input)?;
            let ctx = if list.needs_connection() {
                Some(Context::new(load_connection(connection).await?)?)
            } else {
                None
            };
            let items = list.run(ctx.as_ref()).await?;
            out!("{}", pretty(&serde_json::to_value(items).expect("JSON")));
        }
        Command::Manifest { dir, check } => {
            if check {
                let stale = manifest::stale(registry, &dir);
                if !stale.is_empty() {
                    for path in &stale {
                        eprintln!("out of date: {}", path.display());
                    }
                    eprintln!("run `s3-connector manifest` to regenerate them");
                    return Ok(ExitCode::from(1));
                }
                eprintln!("manifest and schemas are up to date");
            } else {
                for path in manifest::write(registry, &dir)? {
                    out!("{}", path.display());
                }
            }
        }
        Command::Local {
            dir,
            port,
            access_key,
            secret_key,
        } => {
            let store = LocalStore::start(LocalStoreConfig {
                dir,
                port,
                access_key,
                secret_key,
            })
            .await?;
            let connection = json!({
                "access_key_id": store.access_key(),
                "secret_access_key": store.secret_key(),
                "region": "us-east-1",
                "endpoint_url": store.endpoint(),
            });
            out!(
                "{}",
                pretty(
                    &json!({"endpoint": store.endpoint(), "dir": store.dir(), "connection": connection})
                )
            );
            eprintln!(
                "Serving {} on {} (Ctrl-C to stop). To use it:\n  export AWS_ACCESS_KEY_ID={} \
                 AWS_SECRET_ACCESS_KEY={} AWS_ENDPOINT_URL={}",
                store.dir().display(),
                store.endpoint(),
                store.access_key(),
                store.secret_key(),
                store.endpoint()
            );
            tokio::signal::ctrl_c().await?;
            store.stop().await;
        }
        Command::Mcp {
            connection,
            switches,
        } => {
            // Missing credentials are reported now, not at the first call.
            let client = connector_core::S3Client::new(load_connection(connection).await?)?;
            let local_files = match &switches.files_dir {
                Some(dir) => LocalFiles::Under(dir.clone()),
                None => LocalFiles::Nowhere,
            };
            let contexts: s3_connector::mcp::ContextSource = std::sync::Arc::new(move || {
                let context =
                    Context::from_client(client.clone()).with_local_files(local_files.clone());
                Box::pin(std::future::ready(Ok(context)))
            });
            let server = s3_connector::mcp::McpServer::new(switches.policy(), contexts);
            s3_connector::mcp::serve_stdio(server).await?;
        }
        Command::Serve(args) => {
            let config = args.into_config();
            let server = serve::start(config).await?;
            out!(
                "{}",
                serde_json::to_string(&json!({"url": server.url()})).expect("JSON")
            );
            eprintln!(
                "Serving {} (Ctrl-C to stop; the page is at {}/)",
                server.url(),
                server.url()
            );
            server.run_until(shutdown_signal()).await;
        }
        Command::Demo => {
            demo::run(|step, module, input, output| {
                out!("# Step {step}: {module}");
                out!(
                    "{}",
                    pretty(&json!({"module": module, "input": input, "output": output}))
                );
            })
            .await?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// A signal that stops a run.
#[derive(Debug, Clone, Copy)]
enum Interrupt {
    /// SIGINT (Ctrl-C).
    Int,
    /// SIGTERM.
    Term,
}

impl Interrupt {
    fn name(self) -> &'static str {
        match self {
            Interrupt::Int => "Ctrl-C (SIGINT)",
            Interrupt::Term => "SIGTERM",
        }
    }

    /// 128 + the signal number, as shells report a program a signal ended.
    fn exit_code(self) -> i32 {
        match self {
            Interrupt::Int => 130,
            Interrupt::Term => 143,
        }
    }
}

/// SIGINT and SIGTERM, caught (from when this is made) instead of ending the process.
struct Interrupts {
    int: tokio::signal::unix::Signal,
    term: tokio::signal::unix::Signal,
}

impl Interrupts {
    fn listen() -> Result<Interrupts, Error> {
        use tokio::signal::unix::{SignalKind, signal};
        let listen = |kind| {
            signal(kind).map_err(|err| {
                Error::new(
                    ErrorKind::Server,
                    format!("cannot listen for Ctrl-C and SIGTERM: {err}"),
                )
            })
        };
        Ok(Interrupts {
            int: listen(SignalKind::interrupt())?,
            term: listen(SignalKind::terminate())?,
        })
    }

    /// The next one.
    async fn next(&mut self) -> Interrupt {
        tokio::select! {
            _ = self.int.recv() => Interrupt::Int,
            _ = self.term.recv() => Interrupt::Term,
        }
    }
}

/// The longest an interrupted run waits for its clean-up (aborting a multipart upload).
const CLEANUP_TIME: std::time::Duration = std::time::Duration::from_secs(10);

/// Ends the process after `interrupt` stopped the module `name` (already dropped): waits for
/// its clean-up (at most [`CLEANUP_TIME`]; a second signal ends it at once), then prints a
/// `cancelled` error and exits with the signal's code.
async fn stop(name: &str, interrupt: Interrupt, mut interrupts: Interrupts) -> ! {
    let cleaned = tokio::select! {
        cleaned = connector_core::wire::cleanup::finish(CLEANUP_TIME) => cleaned,
        again = interrupts.next() => std::process::exit(again.exit_code()),
    };
    let cleanup = if cleaned {
        "what it had started was cleaned up (temporary files removed, an unfinished multipart \
         upload aborted)"
    } else {
        "its temporary files were removed, but aborting its multipart upload did not finish in \
         time: its parts may stay stored (and billed) until a lifecycle rule removes them"
    };
    let err = Error::new(
        ErrorKind::Cancelled,
        format!(
            "{name} was interrupted by {} before it finished; {cleanup}",
            interrupt.name()
        ),
    );
    eprintln!("{}", pretty(&err.to_json()));
    // Exits without waiting for blocking reads still parked on a pipe or standard input.
    std::process::exit(interrupt.exit_code())
}

/// Ctrl-C or SIGTERM.
async fn shutdown_signal() {
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = terminate => {}
    }
}

/// The connection of `run` and `options`: a file, else like the AWS CLI.
async fn load_connection(args: ConnectionArgs) -> Result<Connection, Error> {
    match args.connection {
        Some(path) => Connection::from_file(&path),
        None => {
            AwsConfig::from_process()
                .connection(args.profile.as_deref())
                .await
        }
    }
}

/// The JSON input of `run`: a file, standard input, inline text, or `{}` when none is given.
fn read_input(args: InputArgs) -> Result<Value, Error> {
    let text = match (args.input, args.json) {
        (Some(path), _) if path.as_os_str() == "-" => {
            let mut text = String::new();
            std::io::stdin().read_to_string(&mut text)?;
            text
        }
        (Some(path), _) => std::fs::read_to_string(&path).map_err(|err| {
            Error::invalid_input("input", format!("cannot read {}: {err}", path.display()))
        })?,
        (None, Some(text)) => text,
        (None, None) => "{}".to_owned(),
    };
    serde_json::from_str(&text).map_err(|err| {
        Error::new(
            ErrorKind::InvalidInput,
            format!("the input is not valid JSON: {err}"),
        )
        .with_field("input")
    })
}
