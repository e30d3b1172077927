//! A function binary running under the local Runtime API, with the environment that
//! Lambda's `provided.al2023` runtime gives a function.

use std::fs::File;
use std::io;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::proc_stats::{CpuSnapshot, peak_rss_kib};
use crate::runtime_api::{Completion, FunctionIdentity, Invocation, RuntimeApi, WaitError};

/// How to start a function.
#[derive(Debug, Clone)]
pub struct FunctionSpec {
    /// Sent as `AWS_LAMBDA_FUNCTION_NAME` and used in the function ARN.
    pub name: String,
    pub binary: PathBuf,
    /// The function's own configuration, added after the Lambda variables.
    pub env: Vec<(String, String)>,
    /// `AWS_LAMBDA_FUNCTION_MEMORY_SIZE`, in MB. Nothing enforces it here.
    pub memory_mb: u32,
    /// The function timeout, used for each event's deadline header.
    pub timeout: Duration,
    /// File that receives the function's stdout and stderr.
    pub log: PathBuf,
}

/// A running function process and its Runtime API.
pub struct RunningFunction {
    api: RuntimeApi,
    child: Child,
    spawned_at: Instant,
    first_next_at: Instant,
}

/// An error starting a function.
#[derive(Debug)]
pub enum StartError {
    Io(io::Error),
    /// The process started but never asked for an event.
    Init(WaitError),
}

impl std::fmt::Display for StartError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Io(error) => write!(f, "failed to start the function: {error}"),
            Self::Init(error) => write!(f, "the function did not become ready: {error}"),
        }
    }
}

impl std::error::Error for StartError {}

impl From<io::Error> for StartError {
    fn from(error: io::Error) -> Self {
        Self::Io(error)
    }
}

impl RunningFunction {
    /// Starts the binary and waits, at most `init_timeout`, for its first
    /// `/invocation/next` request.
    pub fn start(spec: &FunctionSpec, init_timeout: Duration) -> Result<Self, StartError> {
        let api = RuntimeApi::start(FunctionIdentity {
            function_arn: format!(
                "arn:aws:lambda:us-east-1:123456789012:function:{}",
                spec.name
            ),
            timeout: spec.timeout,
        })?;
        let log = File::create(&spec.log)?;
        // A relative program path would be resolved against the child's working
        // directory, which is set to the binary's own directory below.
        let binary = std::fs::canonicalize(&spec.binary).map_err(|error| {
            io::Error::new(
                error.kind(),
                format!("cannot find {}: {error}", spec.binary.display()),
            )
        })?;
        let mut command = Command::new(&binary);
        command
            .env_clear()
            .envs(lambda_environment(spec, &api.host_port()))
            .envs(spec.env.iter().map(|(name, value)| (name, value)))
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log);
        if let Some(directory) = binary.parent() {
            command.current_dir(directory);
        }

        let spawned_at = Instant::now();
        let mut child = command.spawn()?;
        let first_next = api.wait_first_next(init_timeout, || is_running(&mut child));
        let first_next_at = match first_next {
            Ok(at) => at,
            Err(error) => {
                stop(&mut child);
                return Err(StartError::Init(error));
            }
        };
        Ok(Self {
            api,
            child,
            spawned_at,
            first_next_at,
        })
    }

    /// Time from spawn to the first `/invocation/next` request.
    pub fn init_time(&self) -> Duration {
        self.first_next_at
            .saturating_duration_since(self.spawned_at)
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Sends one event and waits, at most `timeout`, for its result.
    pub fn invoke(
        &mut self,
        invocation: Invocation,
        timeout: Duration,
    ) -> Result<Completion, WaitError> {
        let child = &mut self.child;
        self.api.invoke(invocation, timeout, || is_running(child))
    }

    /// Reads the process's peak RSS (`VmHWM`), in KiB.
    pub fn peak_rss_kib(&self) -> io::Result<u64> {
        peak_rss_kib(self.pid())
    }

    /// Reads the CPU time of the process's threads so far.
    pub fn cpu_snapshot(&self) -> io::Result<CpuSnapshot> {
        CpuSnapshot::read(self.pid())
    }
}

impl Drop for RunningFunction {
    fn drop(&mut self) {
        stop(&mut self.child);
    }
}

/// The variables Lambda sets for a `provided.al2023` function, with the Runtime API at
/// `runtime_api`. The function's own configuration comes on top.
fn lambda_environment(spec: &FunctionSpec, runtime_api: &str) -> Vec<(String, String)> {
    let task_root = spec
        .binary
        .parent()
        .map(|directory| directory.display().to_string())
        .unwrap_or_default();
    [
        ("AWS_LAMBDA_RUNTIME_API", runtime_api.to_owned()),
        ("AWS_LAMBDA_FUNCTION_NAME", spec.name.clone()),
        (
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
            spec.memory_mb.to_string(),
        ),
        ("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST".to_owned()),
        ("AWS_LAMBDA_INITIALIZATION_TYPE", "on-demand".to_owned()),
        (
            "AWS_LAMBDA_LOG_GROUP_NAME",
            format!("/aws/lambda/{}", spec.name),
        ),
        (
            "AWS_LAMBDA_LOG_STREAM_NAME",
            "2026/01/01/[$LATEST]0123456789abcdef0123456789abcdef".to_owned(),
        ),
        ("LAMBDA_TASK_ROOT", task_root),
        ("_HANDLER", "bootstrap".to_owned()),
        ("TZ", ":UTC".to_owned()),
        ("LANG", "en_US.UTF-8".to_owned()),
        ("PATH", "/usr/local/bin:/usr/bin/:/bin".to_owned()),
    ]
    .into_iter()
    .map(|(name, value)| (name.to_owned(), value))
    .collect()
}

fn is_running(child: &mut Child) -> bool {
    matches!(child.try_wait(), Ok(None))
}

fn stop(child: &mut Child) {
    if is_running(child)
        && let Err(error) = child.kill()
    {
        eprintln!(
            "runtime-emulator: failed to kill function process {}: {error}",
            child.id()
        );
    }
    let _ = child.wait();
}
