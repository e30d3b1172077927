//! Scenarios (a function and the event it receives) and the three kinds of run the
//! harness makes of them: cold starts, a warm run and a run behind the recording proxies.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use runtime_emulator::function::{FunctionSpec, RunningFunction};
use runtime_emulator::proc_stats::CpuUsage;
use runtime_emulator::runtime_api::{Completion, Invocation, Outcome};
use runtime_emulator::stats::{Exchange, busy_time, round_trip_levels};
use serde_json::{Value, json};

use crate::BoxError;
use crate::events::{HttpEvent, parse_reply};
use crate::proxy::ExchangeLog;

/// The function timeout and memory size in `template.yaml`.
const FUNCTION_TIMEOUT: Duration = Duration::from_secs(15);
const FUNCTION_MEMORY_MB: u32 = 256;
/// How long a process may take to ask for its first event before the run fails.
const INIT_TIMEOUT: Duration = Duration::from_secs(20);
/// How long one invocation may take before the run fails.
const INVOKE_TIMEOUT: Duration = Duration::from_secs(30);

/// The downstream services and configuration that the functions are given.
pub struct Environment {
    /// The table of the link, relink and test scenarios.
    pub table: String,
    /// The table of the list scenarios. moto copies a whole table for every
    /// `TransactWriteItems` (to roll back), so the 10 000 seeded accounts would slow every
    /// link down if they shared its table.
    pub list_table: String,
    pub secret_prefix: String,
    pub cursor_key: String,
    pub moto_url: String,
    pub webflow_url: String,
    pub proxied_moto_url: String,
    pub proxied_webflow_url: String,
    pub log_dir: PathBuf,
}

impl Environment {
    /// The function configuration, pointing at the services directly or through the
    /// recording proxies.
    pub fn function_env(&self, table: &str, proxied: bool) -> Vec<(String, String)> {
        let (moto, webflow) = if proxied {
            (&self.proxied_moto_url, &self.proxied_webflow_url)
        } else {
            (&self.moto_url, &self.webflow_url)
        };
        [
            ("SITELINK_TABLE_NAME", table),
            ("SITELINK_SECRET_PREFIX", self.secret_prefix.as_str()),
            ("SITELINK_CURSOR_KEYS", self.cursor_key.as_str()),
            ("WEBFLOW_API_BASE_URL", webflow.as_str()),
            ("AWS_ENDPOINT_URL", moto.as_str()),
            ("AWS_REGION", "us-east-1"),
            ("AWS_DEFAULT_REGION", "us-east-1"),
            ("AWS_ACCESS_KEY_ID", "testing"),
            ("AWS_SECRET_ACCESS_KEY", "testing"),
            ("AWS_SESSION_TOKEN", "testing"),
            ("AWS_EC2_METADATA_DISABLED", "true"),
            // moto sometimes stalls for seconds (a TransactWriteItems taking over 3 s was
            // seen), longer than the production timeouts allow. The bench measures speed,
            // so it waits those stalls out instead of failing the invocation.
            ("SITELINK_AWS_ATTEMPT_TIMEOUT_MS", "20000"),
            ("SITELINK_AWS_TIMEOUT_MS", "25000"),
        ]
        .into_iter()
        .map(|(name, value)| (name.to_owned(), value.to_owned()))
        .collect()
    }

    /// Builds the spec that starts `binary` as the Lambda function of `scenario`.
    pub fn spec(
        &self,
        scenario: &Scenario,
        binary: &Path,
        run: &str,
        proxied: bool,
    ) -> FunctionSpec {
        let table = match scenario.request {
            Request::List { .. } => &self.list_table,
            _ => &self.table,
        };
        FunctionSpec {
            name: scenario.function.clone(),
            binary: binary.to_owned(),
            env: self.function_env(table, proxied),
            memory_mb: FUNCTION_MEMORY_MB,
            timeout: FUNCTION_TIMEOUT,
            log: self.log_dir.join(format!("{run}.log")),
        }
    }
}

/// The request a scenario sends.
#[derive(Debug, Clone)]
pub enum Request {
    /// `GET /hello` to the baseline function.
    Hello,
    /// `POST /accounts` with a new random token, so a new site, every time.
    LinkNewSite { tenant: String },
    /// `POST /accounts` with the token and owner of an account already linked.
    Relink {
        tenant: String,
        token: String,
        owner_id: String,
    },
    /// `POST /accounts/{account_id}/test`
    Test { tenant: String, account_id: String },
    /// `GET /accounts` with the default page size.
    List { tenant: String },
}

/// The shape of a successful response.
#[derive(Debug, Clone, Copy)]
pub enum Expect {
    Status(u16),
    TestOk,
    /// A page of `accounts` accounts. `more` tells whether `next_cursor` must be set, and
    /// `None` accepts either, because a full last page may or may not carry a cursor.
    ListPage {
        accounts: usize,
        more: Option<bool>,
    },
}

/// A function binary and the request it serves in a benchmark.
#[derive(Debug, Clone)]
pub struct Scenario {
    /// The name in reports, such as `link (new site)`.
    pub name: String,
    /// The function's binary and Lambda function name.
    pub function: String,
    pub request: Request,
    pub expect: Expect,
}

impl Scenario {
    fn event(&self, request_id: &str) -> Vec<u8> {
        match &self.request {
            Request::Hello => HttpEvent {
                method: "GET",
                route: "/hello",
                path: "/hello",
                query: "",
                path_parameters: None,
                json_body: None,
                tenant: None,
            }
            .to_json(request_id),
            Request::LinkNewSite { tenant } => {
                let owner = format!("owner-{}", fastrand::u32(..));
                link_event(tenant, &random_token(), &owner, request_id)
            }
            Request::Relink {
                tenant,
                token,
                owner_id,
            } => link_event(tenant, token, owner_id, request_id),
            Request::Test { tenant, account_id } => {
                let path = format!("/accounts/{account_id}/test");
                HttpEvent {
                    method: "POST",
                    route: "/accounts/{account_id}/test",
                    path: &path,
                    query: "",
                    path_parameters: Some(("account_id", account_id)),
                    json_body: None,
                    tenant: Some(tenant),
                }
                .to_json(request_id)
            }
            Request::List { tenant } => HttpEvent {
                method: "GET",
                route: "/accounts",
                path: "/accounts",
                query: "",
                path_parameters: None,
                json_body: None,
                tenant: Some(tenant),
            }
            .to_json(request_id),
        }
    }

    fn check(&self, completion: &Completion) -> Result<(), BoxError> {
        let raw = match &completion.outcome {
            Outcome::Response(raw) => raw,
            Outcome::Error { error_type, body } => {
                return Err(format!(
                    "{}: the function reported an error ({error_type:?}): {}",
                    self.name,
                    String::from_utf8_lossy(body)
                )
                .into());
            }
        };
        let reply = parse_reply(raw)?;
        let fail = |what: &str| -> BoxError {
            let body: String = reply.body.to_string().chars().take(500).collect();
            format!(
                "{}: {what}; status {}, body (first 500 characters) {body}",
                self.name, reply.status
            )
            .into()
        };
        match self.expect {
            Expect::Status(status) if reply.status == status => Ok(()),
            Expect::Status(status) => Err(fail(&format!("expected status {status}"))),
            Expect::TestOk if reply.status == 200 && reply.body["result"] == "ok" => Ok(()),
            Expect::TestOk => Err(fail("expected status 200 with result ok")),
            Expect::ListPage { accounts, more } => {
                let count = reply.body["data"].as_array().map(Vec::len);
                let has_next = reply.body["next_cursor"].is_string();
                if reply.status == 200
                    && count == Some(accounts)
                    && more.is_none_or(|more| more == has_next)
                {
                    Ok(())
                } else {
                    let cursor = match more {
                        Some(true) => "set",
                        Some(false) => "null",
                        None => "set or null",
                    };
                    Err(fail(&format!(
                        "expected status 200 with {accounts} accounts and next_cursor {cursor}"
                    )))
                }
            }
        }
    }
}

fn link_event(tenant: &str, token: &str, owner_id: &str, request_id: &str) -> Vec<u8> {
    HttpEvent {
        method: "POST",
        route: "/accounts",
        path: "/accounts",
        query: "",
        path_parameters: None,
        json_body: Some(json!({
            "site_token": token,
            "origin_owner_id": owner_id,
            "origin_owner_name": format!("Owner {owner_id}"),
            "label": "benchmark"
        })),
        tenant: Some(tenant),
    }
    .to_json(request_id)
}

/// Returns a random site token that the Webflow fake accepts: 64 hexadecimal characters.
/// The leading `f` keeps it clear of the fake's `00000…` prefixes that choose failures.
pub fn random_token() -> String {
    std::iter::once('f')
        .chain((0..63).map(|_| char::from(b"0123456789abcdef"[fastrand::usize(..16)])))
        .collect()
}

/// Sends one event of `scenario` and checks the response.
fn invoke_checked(
    function: &mut RunningFunction,
    scenario: &Scenario,
) -> Result<Completion, BoxError> {
    let request_id = uuid::Uuid::now_v7().hyphenated().to_string();
    let event = scenario.event(&request_id);
    let completion = function
        .invoke(Invocation { request_id, event }, INVOKE_TIMEOUT)
        .map_err(|error| format!("{}: {error}", scenario.name))?;
    scenario.check(&completion)?;
    Ok(completion)
}

/// Figures from starting a function again and again, each time for one invocation.
#[derive(Debug, Default)]
pub struct ColdStarts {
    pub init: Vec<Duration>,
    pub first_invocation: Vec<Duration>,
    /// Peak RSS after the one invocation, in KiB.
    pub peak_rss_kib: Vec<u64>,
}

/// Starts `binary` `count` times; each process serves one event of `scenario` and is
/// killed.
pub fn cold_starts(
    environment: &Environment,
    scenario: &Scenario,
    binary: &Path,
    run_name: &str,
    count: usize,
) -> Result<ColdStarts, BoxError> {
    let spec = environment.spec(scenario, binary, run_name, false);
    let mut result = ColdStarts::default();
    for _ in 0..count {
        let mut function = RunningFunction::start(&spec, INIT_TIMEOUT)
            .map_err(|error| format!("{run_name}: {error}; see {}", spec.log.display()))?;
        let completion = invoke_checked(&mut function, scenario)?;
        result.init.push(function.init_time());
        result.first_invocation.push(completion.latency());
        result.peak_rss_kib.push(function.peak_rss_kib()?);
    }
    Ok(result)
}

/// Figures from one process serving many events.
#[derive(Debug)]
pub struct WarmRun {
    pub init: Duration,
    pub first_invocation: Duration,
    /// Latencies of the invocations after the first.
    pub latencies: Vec<Duration>,
    /// CPU time of the function's process over those invocations.
    pub cpu: CpuUsage,
    /// Peak RSS at the end of the run, in KiB.
    pub peak_rss_kib: u64,
}

impl WarmRun {
    /// CPU time per warm invocation.
    pub fn cpu_per_invocation(&self) -> Duration {
        self.cpu.time / self.latencies.len().max(1) as u32
    }
}

/// Starts `binary` once and sends it one event of `scenario`, then `count` more.
pub fn warm_run(
    environment: &Environment,
    scenario: &Scenario,
    binary: &Path,
    run_name: &str,
    count: usize,
) -> Result<WarmRun, BoxError> {
    let spec = environment.spec(scenario, binary, run_name, false);
    let mut function = RunningFunction::start(&spec, INIT_TIMEOUT)
        .map_err(|error| format!("{run_name}: {error}; see {}", spec.log.display()))?;
    let init = function.init_time();
    let first_invocation = invoke_checked(&mut function, scenario)?.latency();

    let mut latencies = Vec::with_capacity(count);
    let before = function.cpu_snapshot()?;
    for _ in 0..count {
        latencies.push(invoke_checked(&mut function, scenario)?.latency());
    }
    let after = function.cpu_snapshot()?;
    Ok(WarmRun {
        init,
        first_invocation,
        latencies,
        cpu: after.since(&before, clock_ticks_per_second()),
        peak_rss_kib: function.peak_rss_kib()?,
    })
}

/// Figures from a process whose downstream calls pass through the recording proxies.
#[derive(Debug, Default)]
pub struct ProxiedRun {
    pub latencies: Vec<Duration>,
    /// Time during each invocation with at least one downstream request in flight.
    pub downstream: Vec<Duration>,
    /// Latency minus downstream time, per invocation: what the function itself spent.
    pub own: Vec<Duration>,
    /// Downstream requests per invocation.
    pub requests: Vec<usize>,
    /// Each distinct round-trip structure (see [`round_trip_levels`]) with how many
    /// invocations had it.
    pub paths: HashMap<Vec<Vec<String>>, usize>,
}

impl ProxiedRun {
    /// Returns the round-trip structure most invocations had, with its share of them.
    pub fn usual_path(&self) -> Option<(&Vec<Vec<String>>, f64)> {
        let total: usize = self.paths.values().sum();
        self.paths
            .iter()
            .max_by_key(|(_, count)| **count)
            .map(|(path, count)| (path, *count as f64 / total.max(1) as f64))
    }
}

/// Starts `binary` behind the recording proxies, sends one unrecorded event of
/// `scenario` to warm it, then `count` recorded ones.
pub fn proxied_run(
    environment: &Environment,
    scenario: &Scenario,
    binary: &Path,
    run_name: &str,
    count: usize,
    log: &ExchangeLog,
) -> Result<ProxiedRun, BoxError> {
    let spec = environment.spec(scenario, binary, run_name, true);
    let mut function = RunningFunction::start(&spec, INIT_TIMEOUT)
        .map_err(|error| format!("{run_name}: {error}; see {}", spec.log.display()))?;
    invoke_checked(&mut function, scenario)?;

    let mut result = ProxiedRun::default();
    for _ in 0..count {
        log.drain();
        let completion = invoke_checked(&mut function, scenario)?;
        let exchanges: Vec<Exchange> = log
            .drain()
            .into_iter()
            .filter(|exchange| {
                exchange.started_at >= completion.delivered_at
                    && exchange.finished_at <= completion.completed_at
            })
            .collect();
        let downstream = busy_time(&exchanges);
        result.latencies.push(completion.latency());
        result.downstream.push(downstream);
        result
            .own
            .push(completion.latency().saturating_sub(downstream));
        result.requests.push(exchanges.len());
        *result
            .paths
            .entry(round_trip_levels(&exchanges))
            .or_default() += 1;
    }
    Ok(result)
}

/// Runs the start-up probe `count` times with a function's environment and returns each
/// step's durations, in the order the probe reports them.
pub fn init_steps(
    environment: &Environment,
    probe: &Path,
    count: usize,
) -> Result<Vec<(String, Vec<Duration>)>, BoxError> {
    let mut steps: Vec<(String, Vec<Duration>)> = Vec::new();
    for _ in 0..count {
        let output = std::process::Command::new(probe)
            .env_clear()
            .envs(environment.function_env(&environment.table, false))
            .output()
            .map_err(|error| format!("running {} failed: {error}", probe.display()))?;
        if !output.status.success() {
            return Err(format!(
                "{} failed ({}): {}",
                probe.display(),
                output.status,
                String::from_utf8_lossy(&output.stderr)
            )
            .into());
        }
        let reported: Vec<(String, u64)> = serde_json::from_slice(&output.stdout)
            .map_err(|error| format!("{} printed unexpected output: {error}", probe.display()))?;
        for (name, micros) in reported {
            let duration = Duration::from_micros(micros);
            match steps.iter_mut().find(|(step, _)| *step == name) {
                Some((_, durations)) => durations.push(duration),
                None => steps.push((name, vec![duration])),
            }
        }
    }
    Ok(steps)
}

/// Clock ticks per second, the unit of `/proc/PID/stat` CPU times.
fn clock_ticks_per_second() -> u64 {
    // SAFETY: sysconf only reads a configuration value.
    let ticks = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    u64::try_from(ticks).unwrap_or(100)
}

/// Converts a duration to a JSON number of milliseconds.
pub fn millis(duration: Duration) -> Value {
    json!((duration.as_secs_f64() * 1e6).round() / 1e3)
}
