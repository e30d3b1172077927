//! Runs the `webflow-fake` binary as people and scripts do.

use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

const TOKEN: &str = "5d41402abc4b2a76b9719d911017c5925d41402abc4b2a76b9719d911017c592";
const BINARY: &str = env!("CARGO_BIN_EXE_webflow-fake");

fn wait_with_timeout(child: &mut Child, timeout: Duration) -> Option<ExitStatus> {
    let deadline = Instant::now() + timeout;
    while Instant::now() < deadline {
        if let Some(status) = child.try_wait().unwrap() {
            return Some(status);
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    None
}

#[test]
fn help_lists_prefix_convention() {
    let output = Command::new(BINARY).arg("--help").output().unwrap();

    assert!(output.status.success());
    let help = String::from_utf8(output.stdout).unwrap();
    for expected in [
        "--listen",
        "00000401",
        "00000403",
        "00000429",
        "00000500",
        "00000502",
        "/__fake/tokens/",
    ] {
        assert!(help.contains(expected), "help lacks {expected}");
    }
}

#[test]
fn unknown_argument_exits_with_usage_error() {
    let output = Command::new(BINARY).arg("--port").output().unwrap();

    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(stderr.contains("unknown argument `--port`"), "{stderr}");
}

#[cfg(unix)]
#[tokio::test]
async fn binary_serves_logs_and_stops_on_sigterm() {
    let mut child = Command::new(BINARY)
        .args(["--listen", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();

    let mut first_line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first_line)
        .unwrap();
    let base_url = first_line
        .trim_end()
        .strip_prefix("webflow-fake listening on ")
        .unwrap_or_else(|| panic!("unexpected first line {first_line:?}"))
        .to_owned();
    assert!(base_url.starts_with("http://127.0.0.1:"), "{base_url}");
    assert!(base_url.ends_with("/v2"), "{base_url}");

    let response = reqwest::Client::new()
        .get(format!("{base_url}/sites"))
        .bearer_auth(TOKEN)
        .timeout(Duration::from_secs(10))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), reqwest::StatusCode::OK);

    let terminated = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(terminated.success());
    let status = wait_with_timeout(&mut child, Duration::from_secs(10));
    if status.is_none() {
        child.kill().unwrap();
    }
    assert!(status.expect("the fake must exit after SIGTERM").success());

    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    assert!(stderr.contains("/v2/sites"), "{stderr}");
    assert!(stderr.contains("c592"), "{stderr}");
    assert!(
        !stderr.contains(TOKEN),
        "the log contains the whole token: {stderr}"
    );
    assert!(stderr.contains("stopping"), "{stderr}");
}
