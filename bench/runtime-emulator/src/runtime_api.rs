//! A local Lambda Runtime API: the HTTP server that a function's runtime client polls for
//! events and posts results to, on 127.0.0.1.
//!
//! One [`RuntimeApi`] serves one function process. The caller queues invocations and
//! waits for their completions. Each connection is served on its own thread with
//! `TCP_NODELAY` set, and every response is written in one piece, so the emulator adds no
//! Nagle delay to the figures it records.

use std::collections::{HashMap, VecDeque};
use std::io::{self, Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use crate::http1::{
    BodyFraming, RequestHead, Route, decode_chunked, encode_response, parse_head, route,
};

/// One event for the function.
#[derive(Debug, Clone)]
pub struct Invocation {
    pub request_id: String,
    pub event: Vec<u8>,
}

/// The result a function posted for an invocation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Response(Vec<u8>),
    Error {
        /// The `Lambda-Runtime-Function-Error-Type` header, if sent.
        error_type: Option<String>,
        body: Vec<u8>,
    },
}

/// A finished invocation with its timestamps.
#[derive(Debug, Clone)]
pub struct Completion {
    pub request_id: String,
    pub outcome: Outcome,
    /// Just before the event was written to the runtime client's socket.
    pub delivered_at: Instant,
    /// Just after the response or error body was read in full.
    pub completed_at: Instant,
}

impl Completion {
    /// Returns the invocation's duration at the Runtime API.
    pub fn latency(&self) -> Duration {
        self.completed_at
            .saturating_duration_since(self.delivered_at)
    }
}

/// An error that ended a wait for the function.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WaitError {
    TimedOut,
    /// The function's process is gone.
    Exited,
    /// The function posted to `/runtime/init/error`; the body is its error report.
    InitFailed(String),
    /// The runtime client sent a request the emulator does not serve.
    Protocol(String),
}

impl std::fmt::Display for WaitError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::TimedOut => f.write_str("timed out waiting for the function"),
            Self::Exited => f.write_str("the function's process exited"),
            Self::InitFailed(report) => write!(f, "the function failed to initialize: {report}"),
            Self::Protocol(message) => write!(f, "Runtime API protocol error: {message}"),
        }
    }
}

impl std::error::Error for WaitError {}

/// Values that the Runtime API sends with every event.
#[derive(Debug, Clone)]
pub struct FunctionIdentity {
    /// Sent as `Lambda-Runtime-Invoked-Function-Arn`.
    pub function_arn: String,
    /// Added to the current time for `Lambda-Runtime-Deadline-Ms`.
    pub timeout: Duration,
}

#[derive(Default)]
struct State {
    queue: VecDeque<Invocation>,
    first_next_at: Option<Instant>,
    delivered: HashMap<String, Instant>,
    completions: HashMap<String, Completion>,
    init_error: Option<String>,
    protocol_error: Option<String>,
    trace_counter: u64,
    closed: bool,
}

struct Shared {
    state: Mutex<State>,
    changed: Condvar,
    identity: FunctionIdentity,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        // A panicking connection thread leaves consistent state behind: every update
        // is a single insert or assignment.
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn update(&self, change: impl FnOnce(&mut State)) {
        change(&mut self.lock());
        self.changed.notify_all();
    }
}

/// A Runtime API server for one function process.
pub struct RuntimeApi {
    address: SocketAddr,
    shared: Arc<Shared>,
}

impl RuntimeApi {
    /// Binds a free port on 127.0.0.1 and starts accepting connections.
    pub fn start(identity: FunctionIdentity) -> io::Result<Self> {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?;
        let address = listener.local_addr()?;
        let shared = Arc::new(Shared {
            state: Mutex::new(State::default()),
            changed: Condvar::new(),
            identity,
        });
        let accept_shared = Arc::clone(&shared);
        thread::Builder::new()
            .name("runtime-api-accept".to_owned())
            .spawn(move || accept_loop(listener, accept_shared))?;
        Ok(Self { address, shared })
    }

    /// Returns the value for `AWS_LAMBDA_RUNTIME_API`: `127.0.0.1:PORT`, without a scheme.
    pub fn host_port(&self) -> String {
        self.address.to_string()
    }

    /// Queues an event; the next `/invocation/next` request receives it.
    pub fn enqueue(&self, invocation: Invocation) {
        self.shared
            .update(|state| state.queue.push_back(invocation));
    }

    /// Waits for the function's first `/invocation/next` request and returns when it
    /// arrived. `is_alive` is asked every 50 ms whether the function's process still runs.
    pub fn wait_first_next(
        &self,
        timeout: Duration,
        is_alive: impl FnMut() -> bool,
    ) -> Result<Instant, WaitError> {
        self.wait_for(timeout, is_alive, |state| state.first_next_at)
    }

    /// Waits for the completion of the invocation `request_id` and removes it.
    pub fn wait_completion(
        &self,
        request_id: &str,
        timeout: Duration,
        is_alive: impl FnMut() -> bool,
    ) -> Result<Completion, WaitError> {
        self.wait_for(timeout, is_alive, |state| {
            state.completions.remove(request_id)
        })
    }

    /// Queues `invocation` and waits for its completion.
    pub fn invoke(
        &self,
        invocation: Invocation,
        timeout: Duration,
        is_alive: impl FnMut() -> bool,
    ) -> Result<Completion, WaitError> {
        let request_id = invocation.request_id.clone();
        self.enqueue(invocation);
        self.wait_completion(&request_id, timeout, is_alive)
    }

    fn wait_for<T>(
        &self,
        timeout: Duration,
        mut is_alive: impl FnMut() -> bool,
        mut take: impl FnMut(&mut State) -> Option<T>,
    ) -> Result<T, WaitError> {
        const POLL: Duration = Duration::from_millis(50);
        let deadline = Instant::now() + timeout;
        let mut state = self.shared.lock();
        loop {
            if let Some(value) = take(&mut state) {
                return Ok(value);
            }
            if let Some(report) = &state.init_error {
                return Err(WaitError::InitFailed(report.clone()));
            }
            if let Some(message) = &state.protocol_error {
                return Err(WaitError::Protocol(message.clone()));
            }
            let now = Instant::now();
            if now >= deadline {
                return Err(WaitError::TimedOut);
            }
            let wait = POLL.min(deadline - now);
            let (guard, result) = self
                .shared
                .changed
                .wait_timeout(state, wait)
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            state = guard;
            if result.timed_out() {
                drop(state);
                if !is_alive() {
                    return Err(WaitError::Exited);
                }
                state = self.shared.lock();
            }
        }
    }
}

impl Drop for RuntimeApi {
    /// Releases connection threads that wait for an event and stops the accept loop.
    fn drop(&mut self) {
        self.shared.update(|state| state.closed = true);
        // Wakes the accept loop, which then finds `closed` set and returns.
        let _ = TcpStream::connect(self.address);
    }
}

fn accept_loop(listener: TcpListener, shared: Arc<Shared>) {
    for stream in listener.incoming() {
        if shared.lock().closed {
            return;
        }
        let stream = match stream {
            Ok(stream) => stream,
            Err(error) => {
                eprintln!("runtime-emulator: accepting a connection failed: {error}");
                continue;
            }
        };
        let connection_shared = Arc::clone(&shared);
        let spawned = thread::Builder::new()
            .name("runtime-api-connection".to_owned())
            .spawn(move || {
                if let Err(error) = serve_connection(stream, &connection_shared) {
                    // A killed function resets its connection; anything else is worth
                    // seeing.
                    if !matches!(
                        error.kind(),
                        io::ErrorKind::ConnectionReset | io::ErrorKind::BrokenPipe
                    ) {
                        eprintln!("runtime-emulator: connection failed: {error}");
                    }
                }
            });
        if let Err(error) = spawned {
            eprintln!("runtime-emulator: starting a connection thread failed: {error}");
        }
    }
}

fn serve_connection(mut stream: TcpStream, shared: &Shared) -> io::Result<()> {
    stream.set_nodelay(true)?;
    let mut buffer = Vec::new();
    while let Some((head, body)) = read_request(&mut stream, &mut buffer)? {
        let received_at = Instant::now();
        match route(&head.method, &head.target) {
            Route::Next => {
                shared.update(|state| {
                    state.first_next_at.get_or_insert(received_at);
                });
                let Some((invocation, headers)) = next_invocation(shared) else {
                    // The emulator is shutting down: closing the connection ends the
                    // runtime client's long poll.
                    return Ok(());
                };
                let header_refs: Vec<(&str, &str)> = headers
                    .iter()
                    .map(|(name, value)| (*name, value.as_str()))
                    .collect();
                let response = encode_response(200, "OK", &header_refs, &invocation.event);
                stream.write_all(&response)?;
            }
            Route::Response(request_id) => {
                complete(shared, request_id, Outcome::Response(body), received_at);
                write_accepted(&mut stream)?;
            }
            Route::InvocationError(request_id) => {
                let error_type = head
                    .header("lambda-runtime-function-error-type")
                    .map(str::to_owned);
                complete(
                    shared,
                    request_id,
                    Outcome::Error { error_type, body },
                    received_at,
                );
                write_accepted(&mut stream)?;
            }
            Route::InitError => {
                let report = String::from_utf8_lossy(&body).into_owned();
                shared.update(|state| state.init_error = Some(report));
                write_accepted(&mut stream)?;
            }
            Route::Unknown => {
                let message = format!("unexpected request {} {}", head.method, head.target);
                let body = format!(r#"{{"errorType":"NotFound","errorMessage":"{message}"}}"#);
                shared.update(|state| state.protocol_error = Some(message));
                stream.write_all(&encode_response(
                    404,
                    "Not Found",
                    &[("Content-Type", "application/json")],
                    body.as_bytes(),
                ))?;
            }
        }
    }
    Ok(())
}

/// Waits for a queued invocation, records its delivery time and returns it with the
/// headers to send. Returns `None` once the emulator is closed.
fn next_invocation(shared: &Shared) -> Option<(Invocation, Vec<(&'static str, String)>)> {
    let mut state = shared.lock();
    loop {
        if state.closed {
            return None;
        }
        if let Some(invocation) = state.queue.pop_front() {
            state.trace_counter += 1;
            let trace_id = format!(
                "Root=1-00000000-{:024x};Parent={:016x};Sampled=0",
                state.trace_counter, state.trace_counter
            );
            let deadline_ms = (SystemTime::now() + shared.identity.timeout)
                .duration_since(UNIX_EPOCH)
                .unwrap_or_default()
                .as_millis();
            let headers = vec![
                ("Content-Type", "application/json".to_owned()),
                (
                    "Lambda-Runtime-Aws-Request-Id",
                    invocation.request_id.clone(),
                ),
                ("Lambda-Runtime-Deadline-Ms", deadline_ms.to_string()),
                (
                    "Lambda-Runtime-Invoked-Function-Arn",
                    shared.identity.function_arn.clone(),
                ),
                ("Lambda-Runtime-Trace-Id", trace_id),
            ];
            // Recorded before the write, so that a response on another connection can
            // never arrive before its delivery is known.
            state
                .delivered
                .insert(invocation.request_id.clone(), Instant::now());
            return Some((invocation, headers));
        }
        state = shared
            .changed
            .wait(state)
            .unwrap_or_else(|poisoned| poisoned.into_inner());
    }
}

fn complete(shared: &Shared, request_id: String, outcome: Outcome, completed_at: Instant) {
    shared.update(|state| match state.delivered.remove(&request_id) {
        Some(delivered_at) => {
            let completion = Completion {
                request_id: request_id.clone(),
                outcome,
                delivered_at,
                completed_at,
            };
            state.completions.insert(request_id, completion);
        }
        None => {
            state.protocol_error = Some(format!(
                "a result was posted for the unknown request id `{request_id}`"
            ));
        }
    });
}

fn write_accepted(stream: &mut TcpStream) -> io::Result<()> {
    stream.write_all(&encode_response(
        202,
        "Accepted",
        &[("Content-Type", "application/json")],
        br#"{"status":"OK"}"#,
    ))
}

/// Reads one request from `stream`, keeping bytes of a following request in `buffer`.
/// Returns `None` when the client closes the connection between requests.
fn read_request(
    stream: &mut TcpStream,
    buffer: &mut Vec<u8>,
) -> io::Result<Option<(RequestHead, Vec<u8>)>> {
    let (head, head_length) = loop {
        if let Some(parsed) = parse_head(buffer).map_err(invalid_data)? {
            break parsed;
        }
        if !fill(stream, buffer)? {
            if buffer.is_empty() {
                return Ok(None);
            }
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "the connection closed inside a request head",
            ));
        }
    };
    buffer.drain(..head_length);

    if head
        .header("expect")
        .is_some_and(|value| value.eq_ignore_ascii_case("100-continue"))
    {
        stream.write_all(b"HTTP/1.1 100 Continue\r\n\r\n")?;
    }

    let body = match head.body_framing().map_err(invalid_data)? {
        BodyFraming::Length(length) => {
            while buffer.len() < length {
                if !fill(stream, buffer)? {
                    return Err(io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        "the connection closed inside a request body",
                    ));
                }
            }
            buffer.drain(..length).collect()
        }
        BodyFraming::Chunked => loop {
            if let Some((body, used)) = decode_chunked(buffer).map_err(invalid_data)? {
                buffer.drain(..used);
                break body;
            }
            if !fill(stream, buffer)? {
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "the connection closed inside a chunked body",
                ));
            }
        },
    };
    Ok(Some((head, body)))
}

/// Appends what the socket has to `buffer`; returns `false` at end of stream.
fn fill(stream: &mut TcpStream, buffer: &mut Vec<u8>) -> io::Result<bool> {
    let mut chunk = [0_u8; 16 * 1024];
    let read = stream.read(&mut chunk)?;
    buffer.extend_from_slice(&chunk[..read]);
    Ok(read > 0)
}

fn invalid_data(error: crate::http1::ParseError) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, error)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn identity() -> FunctionIdentity {
        FunctionIdentity {
            function_arn: "arn:aws:lambda:us-east-1:123456789012:function:test".to_owned(),
            timeout: Duration::from_secs(15),
        }
    }

    fn read_response(stream: &mut TcpStream) -> (String, Vec<u8>) {
        let mut buffer = Vec::new();
        let head_end = loop {
            if let Some(end) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
                break end;
            }
            assert!(fill(stream, &mut buffer).unwrap(), "connection closed");
        };
        let head = String::from_utf8(buffer[..head_end].to_vec()).unwrap();
        let length: usize = head
            .lines()
            .find_map(|line| line.strip_prefix("Content-Length: "))
            .unwrap()
            .parse()
            .unwrap();
        while buffer.len() < head_end + 4 + length {
            assert!(fill(stream, &mut buffer).unwrap(), "connection closed");
        }
        (head, buffer[head_end + 4..head_end + 4 + length].to_vec())
    }

    #[test]
    fn invocation_round_trip_over_one_connection() {
        let api = RuntimeApi::start(identity()).unwrap();
        api.enqueue(Invocation {
            request_id: "req-1".to_owned(),
            event: b"{\"x\":1}".to_vec(),
        });
        let mut client = TcpStream::connect(api.address).unwrap();
        client
            .write_all(b"GET /2018-06-01/runtime/invocation/next HTTP/1.1\r\nHost: x\r\n\r\n")
            .unwrap();
        let (head, body) = read_response(&mut client);
        assert!(head.starts_with("HTTP/1.1 200 OK"), "{head}");
        assert!(
            head.contains("Lambda-Runtime-Aws-Request-Id: req-1"),
            "{head}"
        );
        assert!(head.contains("Lambda-Runtime-Deadline-Ms: "), "{head}");
        assert_eq!(body, b"{\"x\":1}");
        assert!(api.wait_first_next(Duration::from_secs(1), || true).is_ok());

        // A chunked response body, as a streaming client would send it.
        client
            .write_all(b"POST /2018-06-01/runtime/invocation/req-1/response HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n")
            .unwrap();
        let (head, _) = read_response(&mut client);
        assert!(head.starts_with("HTTP/1.1 202 Accepted"), "{head}");
        let completion = api
            .wait_completion("req-1", Duration::from_secs(1), || true)
            .unwrap();
        assert_eq!(completion.outcome, Outcome::Response(b"ok".to_vec()));
        assert!(completion.completed_at >= completion.delivered_at);
    }

    #[test]
    fn invocation_error_is_recorded() {
        let api = RuntimeApi::start(identity()).unwrap();
        api.enqueue(Invocation {
            request_id: "req-2".to_owned(),
            event: b"{}".to_vec(),
        });
        let mut client = TcpStream::connect(api.address).unwrap();
        client
            .write_all(b"GET /2018-06-01/runtime/invocation/next HTTP/1.1\r\n\r\n")
            .unwrap();
        read_response(&mut client);
        client
            .write_all(b"POST /2018-06-01/runtime/invocation/req-2/error HTTP/1.1\r\nLambda-Runtime-Function-Error-Type: Runtime.Boom\r\nContent-Length: 4\r\n\r\nboom")
            .unwrap();
        read_response(&mut client);
        let completion = api
            .wait_completion("req-2", Duration::from_secs(1), || true)
            .unwrap();
        assert_eq!(
            completion.outcome,
            Outcome::Error {
                error_type: Some("Runtime.Boom".to_owned()),
                body: b"boom".to_vec()
            }
        );
    }

    #[test]
    fn init_error_ends_the_wait() {
        let api = RuntimeApi::start(identity()).unwrap();
        let mut client = TcpStream::connect(api.address).unwrap();
        client
            .write_all(
                b"POST /2018-06-01/runtime/init/error HTTP/1.1\r\nContent-Length: 3\r\n\r\nbad",
            )
            .unwrap();
        read_response(&mut client);
        assert_eq!(
            api.wait_first_next(Duration::from_secs(1), || true),
            Err(WaitError::InitFailed("bad".to_owned()))
        );
    }

    #[test]
    fn wait_reports_an_exited_process() {
        let api = RuntimeApi::start(identity()).unwrap();
        assert_eq!(
            api.wait_first_next(Duration::from_secs(5), || false),
            Err(WaitError::Exited)
        );
    }
}
