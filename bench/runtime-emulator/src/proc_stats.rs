//! Figures about a running process, read from Linux's `/proc` (see proc(5)).

use std::collections::HashMap;
use std::fs;
use std::io;
use std::time::Duration;

/// Reads the peak resident set size (`VmHWM`) of process `pid`, in KiB.
pub fn peak_rss_kib(pid: u32) -> io::Result<u64> {
    let status = fs::read_to_string(format!("/proc/{pid}/status"))?;
    parse_status_kib(&status, "VmHWM").ok_or_else(|| {
        io::Error::new(
            io::ErrorKind::InvalidData,
            format!("/proc/{pid}/status has no VmHWM line"),
        )
    })
}

/// Returns the value in KiB of the `field:  N kB` line of a `/proc/PID/status` text.
pub fn parse_status_kib(status: &str, field: &str) -> Option<u64> {
    status.lines().find_map(|line| {
        let value = line.strip_prefix(field)?.strip_prefix(':')?;
        value.trim().strip_suffix("kB")?.trim().parse().ok()
    })
}

/// CPU time that each thread of a process has run, from `/proc/PID/task/TID/schedstat`
/// (nanoseconds, the first field), with the process-wide user plus system time from
/// `/proc/PID/stat` (clock ticks) as a coarser cross-check.
#[derive(Debug, Clone, Default)]
pub struct CpuSnapshot {
    threads_ns: HashMap<u32, u64>,
    process_ticks: u64,
}

impl CpuSnapshot {
    /// Reads the snapshot of process `pid`. A thread that exits while it is read is
    /// skipped.
    pub fn read(pid: u32) -> io::Result<Self> {
        let mut threads_ns = HashMap::new();
        for entry in fs::read_dir(format!("/proc/{pid}/task"))? {
            let entry = entry?;
            let Some(tid) = entry
                .file_name()
                .to_str()
                .and_then(|name| name.parse().ok())
            else {
                continue;
            };
            let Ok(text) = fs::read_to_string(entry.path().join("schedstat")) else {
                continue;
            };
            if let Some(ns) = text
                .split_whitespace()
                .next()
                .and_then(|field| field.parse().ok())
            {
                threads_ns.insert(tid, ns);
            }
        }
        let stat = fs::read_to_string(format!("/proc/{pid}/stat"))?;
        let process_ticks = parse_stat_ticks(&stat).ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::InvalidData,
                format!("/proc/{pid}/stat has no utime and stime fields"),
            )
        })?;
        Ok(Self {
            threads_ns,
            process_ticks,
        })
    }

    /// Returns the CPU time spent between `earlier` and `self`.
    ///
    /// The per-thread figure is exact to the nanosecond but loses the time of a thread
    /// that exited in between. In that case the process-wide tick count is used instead,
    /// at `ticks_per_second` resolution.
    pub fn since(&self, earlier: &CpuSnapshot, ticks_per_second: u64) -> CpuUsage {
        let thread_vanished = earlier
            .threads_ns
            .keys()
            .any(|tid| !self.threads_ns.contains_key(tid));
        if thread_vanished {
            let ticks = self.process_ticks.saturating_sub(earlier.process_ticks);
            return CpuUsage {
                time: Duration::from_nanos(ticks * 1_000_000_000 / ticks_per_second.max(1)),
                exact: false,
            };
        }
        let nanos = self
            .threads_ns
            .iter()
            .map(|(tid, now)| now.saturating_sub(earlier.threads_ns.get(tid).copied().unwrap_or(0)))
            .sum();
        CpuUsage {
            time: Duration::from_nanos(nanos),
            exact: true,
        }
    }
}

/// CPU time over an interval.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CpuUsage {
    pub time: Duration,
    /// `false` when the figure comes from clock ticks because a thread exited.
    pub exact: bool,
}

/// Returns utime + stime (fields 14 and 15) of a `/proc/PID/stat` line, in clock ticks.
/// The command name (field 2) may contain spaces and parentheses, so fields are counted
/// from the last `)`.
pub fn parse_stat_ticks(stat: &str) -> Option<u64> {
    let after_name = &stat[stat.rfind(')')? + 1..];
    let mut fields = after_name.split_whitespace();
    // After the name, field 3 (state) comes first, so utime (14) is the 12th.
    let utime: u64 = fields.nth(11)?.parse().ok()?;
    let stime: u64 = fields.next()?.parse().ok()?;
    Some(utime + stime)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_field_in_kib() {
        let status = "Name:\tlink\nVmPeak:\t  20000 kB\nVmHWM:\t    9876 kB\nVmRSS:\t 9000 kB\n";
        assert_eq!(parse_status_kib(status, "VmHWM"), Some(9876));
        assert_eq!(parse_status_kib(status, "VmSwap"), None);
    }

    #[test]
    fn stat_ticks_skip_odd_names() {
        let stat = "1234 (a) b (c)) S 1 1234 1234 0 -1 4194304 100 0 0 0 17 5 0 0 20 0 3 0 100 0 0";
        assert_eq!(parse_stat_ticks(stat), Some(22));
        assert_eq!(parse_stat_ticks("garbage"), None);
    }

    #[test]
    fn usage_falls_back_to_ticks() {
        let earlier = CpuSnapshot {
            threads_ns: HashMap::from([(1, 1_000), (2, 5_000)]),
            process_ticks: 10,
        };
        let later = CpuSnapshot {
            threads_ns: HashMap::from([(1, 4_000), (3, 2_000)]),
            process_ticks: 12,
        };
        assert_eq!(
            later.since(&earlier, 100),
            CpuUsage {
                time: Duration::from_millis(20),
                exact: false
            }
        );
        let same_threads = CpuSnapshot {
            threads_ns: HashMap::from([(1, 4_000), (2, 6_000), (3, 2_000)]),
            process_ticks: 12,
        };
        assert_eq!(
            same_threads.since(&earlier, 100),
            CpuUsage {
                time: Duration::from_nanos(3_000 + 1_000 + 2_000),
                exact: true
            }
        );
    }

    #[test]
    fn own_process_is_readable() {
        let pid = std::process::id();
        assert!(peak_rss_kib(pid).unwrap() > 0);
        assert!(!CpuSnapshot::read(pid).unwrap().threads_ns.is_empty());
    }
}
