//! Benchmarks Sitelink's function binaries under the local Runtime API against a
//! hello-world `lambda_http` baseline, with moto and the Webflow fake as downstream
//! services. `bench/run.sh` builds everything, starts moto and the fake, and runs this;
//! see `--help` for running it by hand.

mod events;
mod proxy;
mod report;
mod seed;
mod suite;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use aws_config::BehaviorVersion;
use aws_sdk_dynamodb::config::{Credentials, Region};
use sitelink_core::config::Config;

use crate::proxy::ExchangeLog;
use crate::report::{Artifact, FunctionResult, Results, ScenarioResult, Settings, VariantResult};
use crate::suite::{Environment, Expect, Request, Scenario, random_token};

pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

const BASELINE: &str = "bench-hello";

const USAGE: &str =
    "sitelink-bench: benchmarks Sitelink's Lambda functions under a local Runtime API.

Usage: sitelink-bench --moto-url URL --webflow-url URL --bin-dir DIR --out DIR [options]

Required:
  --moto-url URL       moto server, such as http://127.0.0.1:5000 (must be on 127.0.0.1)
  --webflow-url URL    Webflow fake base URL, such as http://127.0.0.1:8787/v2
  --bin-dir DIR        directory with the release binaries link, test-connection,
                       list-accounts, bench-hello and sitelink-init-probe
  --out DIR            where report.md, results.json and the function logs go

Options:
  --cold-starts N      processes started per function for init figures [default: 20]
  --warm N             invocations after the first in each warm run [default: 1000]
  --proxied N          invocations recorded behind the proxies per scenario [default: 200]
  --variant-warm N     warm invocations per profile variant [default: 200]
  --accounts LIST      comma-separated tenant sizes for list [default: 25,1000,10000]
  --variant LABEL=PATH a build of link to compare; may repeat
  --artifacts FILE     tab-separated name, zip bytes, bootstrap bytes, one per line
  --variants-only      measure the baseline and the --variant builds, not the functions
  -h, --help           print this help
";

#[derive(Debug)]
struct Options {
    moto_url: String,
    webflow_url: String,
    bin_dir: PathBuf,
    out: PathBuf,
    cold_starts: usize,
    warm: usize,
    proxied: usize,
    variant_warm: usize,
    accounts: Vec<usize>,
    variants: Vec<(String, PathBuf)>,
    artifacts: Option<PathBuf>,
    variants_only: bool,
}

fn parse_options(args: impl IntoIterator<Item = String>) -> Result<Option<Options>, String> {
    let mut options = Options {
        moto_url: String::new(),
        webflow_url: String::new(),
        bin_dir: PathBuf::new(),
        out: PathBuf::new(),
        cold_starts: 20,
        warm: 1000,
        proxied: 200,
        variant_warm: 200,
        accounts: vec![25, 1000, 10_000],
        variants: Vec::new(),
        artifacts: None,
        variants_only: false,
    };
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        if arg == "-h" || arg == "--help" {
            return Ok(None);
        }
        if arg == "--variants-only" {
            options.variants_only = true;
            continue;
        }
        let mut value = || {
            args.next()
                .ok_or_else(|| format!("missing value for {arg}"))
        };
        let number = |text: String| {
            text.parse::<usize>()
                .map_err(|_| format!("invalid number `{text}` for {arg}"))
        };
        match arg.as_str() {
            "--moto-url" => options.moto_url = value()?,
            "--webflow-url" => options.webflow_url = value()?,
            "--bin-dir" => options.bin_dir = value()?.into(),
            "--out" => options.out = value()?.into(),
            "--cold-starts" => options.cold_starts = number(value()?)?,
            "--warm" => options.warm = number(value()?)?,
            "--proxied" => options.proxied = number(value()?)?,
            "--variant-warm" => options.variant_warm = number(value()?)?,
            "--accounts" => {
                options.accounts = value()?
                    .split(',')
                    .map(|part| number(part.trim().to_owned()))
                    .collect::<Result<_, _>>()?;
            }
            "--variant" => {
                let text = value()?;
                let (label, path) = text
                    .split_once('=')
                    .ok_or_else(|| format!("invalid --variant `{text}`: expected LABEL=PATH"))?;
                options.variants.push((label.to_owned(), path.into()));
            }
            "--artifacts" => options.artifacts = Some(value()?.into()),
            other => return Err(format!("unknown argument `{other}`")),
        }
    }
    for (name, missing) in [
        ("--moto-url", options.moto_url.is_empty()),
        ("--webflow-url", options.webflow_url.is_empty()),
        ("--bin-dir", options.bin_dir.as_os_str().is_empty()),
        ("--out", options.out.as_os_str().is_empty()),
    ] {
        if missing {
            return Err(format!("{name} is required"));
        }
    }
    if options.cold_starts == 0 || options.warm == 0 || options.proxied == 0 {
        return Err("--cold-starts, --warm and --proxied must be at least 1".to_owned());
    }
    if options.accounts.contains(&0) {
        return Err("--accounts sizes must be at least 1".to_owned());
    }
    Ok(Some(options))
}

/// Splits a loopback URL into its origin (`http://127.0.0.1:PORT`) and path, refusing
/// any other host so that no benchmark traffic leaves the machine.
fn loopback_origin(url: &str) -> Result<(String, String), String> {
    let parsed = url::Url::parse(url).map_err(|error| format!("invalid URL `{url}`: {error}"))?;
    let address = parsed
        .host_str()
        .zip(parsed.port())
        .and_then(|(host, port)| format!("{host}:{port}").parse::<SocketAddr>().ok());
    match address {
        Some(address) if address.ip().is_loopback() && parsed.scheme() == "http" => Ok((
            format!("http://{address}"),
            parsed.path().trim_end_matches('/').to_owned(),
        )),
        _ => Err(format!(
            "`{url}` is not an http URL with a loopback IP address and a port"
        )),
    }
}

fn read_artifacts(path: &PathBuf) -> Result<Vec<Artifact>, BoxError> {
    let text = std::fs::read_to_string(path)
        .map_err(|error| format!("reading {} failed: {error}", path.display()))?;
    text.lines()
        .filter(|line| !line.trim().is_empty())
        .map(|line| {
            let fields: Vec<&str> = line.split('\t').collect();
            let [name, zip, bootstrap] = fields.as_slice() else {
                return Err(format!(
                    "invalid artifacts line `{line}`: expected 3 tab-separated fields"
                )
                .into());
            };
            Ok(Artifact {
                name: (*name).to_owned(),
                zip_bytes: zip.parse()?,
                bootstrap_bytes: bootstrap.parse()?,
            })
        })
        .collect()
}

fn main() -> ExitCode {
    let options = match parse_options(std::env::args().skip(1)) {
        Ok(Some(options)) => options,
        Ok(None) => {
            print!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(message) => {
            eprintln!("sitelink-bench: {message}\nRun `sitelink-bench --help` for usage.");
            return ExitCode::from(2);
        }
    };
    match run(&options) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("sitelink-bench: {error}");
            ExitCode::FAILURE
        }
    }
}

fn run(options: &Options) -> Result<(), BoxError> {
    let (moto_origin, _) = loopback_origin(&options.moto_url)?;
    let (webflow_origin, webflow_path) = loopback_origin(&options.webflow_url)?;
    let log_dir = options.out.join("logs");
    std::fs::create_dir_all(&log_dir)?;

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let sdk = runtime.block_on(
        aws_config::defaults(BehaviorVersion::latest())
            .endpoint_url(&moto_origin)
            .region(Region::new("us-east-1"))
            .credentials_provider(Credentials::new(
                "testing",
                "testing",
                None,
                None,
                "sitelink-bench",
            ))
            .load(),
    );
    let dynamodb = aws_sdk_dynamodb::Client::new(&sdk);
    let run_id = uuid::Uuid::now_v7().simple().to_string();
    let table = format!("sitelink-bench-{run_id}");
    let list_table = format!("sitelink-bench-list-{run_id}");
    for name in [&table, &list_table] {
        runtime.block_on(seed::create_table(&dynamodb, name))?;
        eprintln!("sitelink-bench: created table {name} in moto at {moto_origin}");
    }

    let exchanges = ExchangeLog::default();
    let moto_proxy = proxy::start(runtime.handle(), &moto_origin, "moto", exchanges.clone())?;
    let webflow_proxy = proxy::start(
        runtime.handle(),
        &webflow_origin,
        "Webflow",
        exchanges.clone(),
    )?;
    let environment = Environment {
        table: table.clone(),
        list_table,
        secret_prefix: format!("sitelink-bench/{run_id}/"),
        cursor_key: format!("bench-cursor-key-{run_id}"),
        moto_url: moto_origin.clone(),
        webflow_url: format!("{webflow_origin}{webflow_path}"),
        proxied_moto_url: format!("http://{moto_proxy}"),
        proxied_webflow_url: format!("http://{webflow_proxy}{webflow_path}"),
        log_dir,
    };

    let scenarios = runtime.block_on(seed_scenarios(options, &environment, &sdk, &dynamodb))?;
    let binary = |function: &str| options.bin_dir.join(function);

    let mut functions = Vec::new();
    let mut scenario_results = Vec::new();
    // The baseline always runs, because the variants' init is given as a ratio to it.
    let measured = scenarios
        .iter()
        .filter(|scenario| !options.variants_only || scenario.function == BASELINE);
    for scenario in measured {
        let run_name = scenario_slug(&scenario.name);
        // The first scenario of each function also measures its cold starts.
        if !functions
            .iter()
            .any(|result: &FunctionResult| result.function == scenario.function)
        {
            eprintln!(
                "sitelink-bench: {} cold starts of {}",
                options.cold_starts, scenario.function
            );
            let cold = suite::cold_starts(
                &environment,
                scenario,
                &binary(&scenario.function),
                &format!("{}-cold", scenario.function),
                options.cold_starts,
            )?;
            functions.push(FunctionResult {
                function: scenario.function.clone(),
                cold,
            });
        }
        eprintln!(
            "sitelink-bench: {}: {} warm invocations",
            scenario.name, options.warm
        );
        let warm = suite::warm_run(
            &environment,
            scenario,
            &binary(&scenario.function),
            &format!("{run_name}-warm"),
            options.warm,
        )?;
        let proxied = if scenario.function == BASELINE {
            None
        } else {
            eprintln!(
                "sitelink-bench: {}: {} invocations behind the recording proxies",
                scenario.name, options.proxied
            );
            Some(suite::proxied_run(
                &environment,
                scenario,
                &binary(&scenario.function),
                &format!("{run_name}-proxied"),
                options.proxied,
                &exchanges,
            )?)
        };
        scenario_results.push(ScenarioResult {
            scenario: scenario.clone(),
            warm,
            proxied,
        });
    }

    let probe = options.bin_dir.join("sitelink-init-probe");
    eprintln!(
        "sitelink-bench: {} runs of the start-up probe",
        options.cold_starts
    );
    let init_steps = suite::init_steps(&environment, &probe, options.cold_starts)?;

    let mut variants = Vec::new();
    let mut failures = Vec::new();
    if let Some(link_new) = scenarios
        .iter()
        .find(|scenario| matches!(scenario.request, Request::LinkNewSite { .. }))
    {
        for (label, path) in &options.variants {
            eprintln!("sitelink-bench: link built as {label}");
            let run_name = format!("variant-{}", scenario_slug(label));
            let measure = || -> Result<VariantResult, BoxError> {
                let cold = suite::cold_starts(
                    &environment,
                    link_new,
                    path,
                    &format!("{run_name}-cold"),
                    options.cold_starts,
                )?;
                let warm = suite::warm_run(
                    &environment,
                    link_new,
                    path,
                    &format!("{run_name}-warm"),
                    options.variant_warm,
                )?;
                Ok(VariantResult {
                    label: label.clone(),
                    cold,
                    warm,
                })
            };
            // One failed variant is reported, and the figures already measured are kept.
            match measure() {
                Ok(result) => variants.push(result),
                Err(error) => {
                    eprintln!("sitelink-bench: link built as {label} failed: {error}");
                    failures.push(format!("link built as {label}: {error}"));
                }
            }
        }
    }

    let artifacts = match &options.artifacts {
        Some(path) => read_artifacts(path)?,
        None => Vec::new(),
    };
    let results = Results {
        settings: Settings {
            cold_starts: options.cold_starts,
            warm_invocations: options.warm,
            proxied_invocations: options.proxied,
            variant_invocations: options.variant_warm,
        },
        baseline: BASELINE.to_owned(),
        init_steps,
        functions,
        scenarios: scenario_results,
        variants,
        failures,
        artifacts,
    };
    let markdown = results.to_markdown();
    std::fs::write(options.out.join("report.md"), &markdown)?;
    std::fs::write(
        options.out.join("results.json"),
        serde_json::to_string_pretty(&results.to_json())?,
    )?;
    print!("{markdown}");
    Ok(())
}

/// Seeds the accounts the scenarios read and returns the scenarios, baseline first.
async fn seed_scenarios(
    options: &Options,
    environment: &Environment,
    sdk: &aws_config::SdkConfig,
    dynamodb: &aws_sdk_dynamodb::Client,
) -> Result<Vec<Scenario>, BoxError> {
    let config_for = |table: &str| {
        Config::from_lookup(|name| match name {
            "SITELINK_TABLE_NAME" => Some(table.to_owned()),
            "SITELINK_SECRET_PREFIX" => Some(environment.secret_prefix.clone()),
            "WEBFLOW_API_BASE_URL" => Some(environment.webflow_url.clone()),
            "SITELINK_CURSOR_KEYS" => Some(environment.cursor_key.clone()),
            _ => None,
        })
    };
    let linker = seed::Linker::new(config_for(&environment.table)?, sdk)?;
    let list_linker = seed::Linker::new(config_for(&environment.list_table)?, sdk)?;

    let test_tenant = "bench-test".to_owned();
    let test_account = linker
        .link(&test_tenant, &random_token(), "owner-test")
        .await?;
    let relink_tenant = "bench-relink".to_owned();
    let relink_token = random_token();
    linker
        .link(&relink_tenant, &relink_token, "owner-relink")
        .await?;

    let mut scenarios = vec![
        Scenario {
            name: "baseline (hello)".to_owned(),
            function: BASELINE.to_owned(),
            request: Request::Hello,
            expect: Expect::Status(200),
        },
        Scenario {
            name: "link (new site)".to_owned(),
            function: "link".to_owned(),
            request: Request::LinkNewSite {
                tenant: "bench-link".to_owned(),
            },
            expect: Expect::Status(201),
        },
        Scenario {
            name: "link (relink)".to_owned(),
            function: "link".to_owned(),
            request: Request::Relink {
                tenant: relink_tenant,
                token: relink_token,
                owner_id: "owner-relink".to_owned(),
            },
            expect: Expect::Status(200),
        },
        Scenario {
            name: "test".to_owned(),
            function: "test-connection".to_owned(),
            request: Request::Test {
                tenant: test_tenant,
                account_id: test_account,
            },
            expect: Expect::TestOk,
        },
    ];

    for &count in &options.accounts {
        let tenant = format!("bench-list-{count}");
        let template_id = list_linker
            .link(&tenant, &random_token(), &format!("owner-{tenant}"))
            .await?;
        if count > 1 {
            eprintln!(
                "sitelink-bench: writing {} accounts for {tenant}",
                count - 1
            );
            let template =
                seed::find_account_item(dynamodb, &environment.list_table, &template_id).await?;
            seed::copy_account(
                dynamodb,
                &environment.list_table,
                &template,
                &template_id,
                count - 1,
            )
            .await?;
        }
        let page = usize::from(sitelink_validation::DEFAULT_PAGE_LIMIT);
        scenarios.push(Scenario {
            name: format!("list ({count} accounts)"),
            function: "list-accounts".to_owned(),
            request: Request::List { tenant },
            expect: Expect::ListPage {
                accounts: count.min(page),
                more: (count != page).then_some(count > page),
            },
        });
    }
    Ok(scenarios)
}

/// Turns a scenario name into a file name part: `link (new site)` → `link-new-site`.
fn scenario_slug(name: &str) -> String {
    name.split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|part| !part.is_empty())
        .collect::<Vec<_>>()
        .join("-")
        .to_ascii_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Option<Options>, String> {
        parse_options(args.iter().map(|arg| (*arg).to_owned()))
    }

    const REQUIRED: [&str; 8] = [
        "--moto-url",
        "http://127.0.0.1:5000",
        "--webflow-url",
        "http://127.0.0.1:8787/v2",
        "--bin-dir",
        "target/release",
        "--out",
        "target/bench",
    ];

    #[test]
    fn options_defaults_and_overrides() {
        let options = parse(&REQUIRED).unwrap().unwrap();
        assert_eq!(options.warm, 1000);
        assert_eq!(options.accounts, vec![25, 1000, 10_000]);

        let mut args = REQUIRED.to_vec();
        args.extend([
            "--warm",
            "10",
            "--accounts",
            "5, 50",
            "--variant",
            "fat=target/x/link",
        ]);
        let options = parse(&args).unwrap().unwrap();
        assert_eq!(options.warm, 10);
        assert_eq!(options.accounts, vec![5, 50]);
        assert_eq!(
            options.variants,
            vec![("fat".to_owned(), PathBuf::from("target/x/link"))]
        );
    }

    #[test]
    fn options_reject_bad_input() {
        assert!(parse(&[]).unwrap_err().contains("--moto-url"));
        let mut args = REQUIRED.to_vec();
        args.extend(["--warm", "many"]);
        assert!(parse(&args).unwrap_err().contains("many"));
        let mut args = REQUIRED.to_vec();
        args.extend(["--variant", "no-equals"]);
        assert!(parse(&args).unwrap_err().contains("LABEL=PATH"));
        assert!(parse(&["--help"]).unwrap().is_none());
    }

    #[test]
    fn only_loopback_urls_are_accepted() {
        assert_eq!(
            loopback_origin("http://127.0.0.1:8787/v2/").unwrap(),
            ("http://127.0.0.1:8787".to_owned(), "/v2".to_owned())
        );
        for url in [
            "http://10.0.0.1:5000",
            "https://127.0.0.1:5000",
            "http://localhost:5000",
            "http://127.0.0.1",
        ] {
            assert!(loopback_origin(url).is_err(), "{url}");
        }
    }

    #[test]
    fn slugs_are_file_names() {
        assert_eq!(scenario_slug("link (new site)"), "link-new-site");
        assert_eq!(
            scenario_slug("list (10000 accounts)"),
            "list-10000-accounts"
        );
    }
}
