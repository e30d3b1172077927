//! A local Lambda Runtime API for benchmarking function binaries on one machine.
//!
//! [`function::RunningFunction`] starts a release binary with `AWS_LAMBDA_RUNTIME_API`
//! pointing at a [`runtime_api::RuntimeApi`] on 127.0.0.1, and records the time from
//! spawn to the first `/invocation/next` request (init), each invocation's latency at the
//! Runtime API, CPU time and peak RSS from `/proc`.

pub mod function;
pub mod http1;
pub mod proc_stats;
pub mod runtime_api;
pub mod stats;
