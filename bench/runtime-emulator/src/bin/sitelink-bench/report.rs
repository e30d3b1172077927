//! The figures of one harness run, as Markdown tables with ratios to the baseline and as
//! JSON.

use std::fmt::Write as _;
use std::time::Duration;

use runtime_emulator::stats::{median, percentile};
use serde_json::{Value, json};

use crate::suite::{ColdStarts, ProxiedRun, Scenario, WarmRun, millis};

/// Cold starts of one function.
pub struct FunctionResult {
    pub function: String,
    pub cold: ColdStarts,
}

/// The runs of one scenario.
pub struct ScenarioResult {
    pub scenario: Scenario,
    pub warm: WarmRun,
    /// `None` for the baseline, which calls nothing downstream.
    pub proxied: Option<ProxiedRun>,
}

/// A build of the link function with other release-profile settings.
pub struct VariantResult {
    pub label: String,
    pub cold: ColdStarts,
    pub warm: WarmRun,
}

/// A zipped function as `cargo lambda build --output-format zip` leaves it.
pub struct Artifact {
    pub name: String,
    pub zip_bytes: u64,
    pub bootstrap_bytes: u64,
}

pub struct Settings {
    pub cold_starts: usize,
    pub warm_invocations: usize,
    pub proxied_invocations: usize,
    pub variant_invocations: usize,
}

pub struct Results {
    pub settings: Settings,
    /// Durations of each start-up step, from the start-up probe.
    pub init_steps: Vec<(String, Vec<Duration>)>,
    pub baseline: String,
    pub functions: Vec<FunctionResult>,
    pub scenarios: Vec<ScenarioResult>,
    pub variants: Vec<VariantResult>,
    /// Variants whose measurement failed, with the error.
    pub failures: Vec<String>,
    pub artifacts: Vec<Artifact>,
}

/// The targets the service is held to.
const MAX_INIT_RATIO: f64 = 1.5;
const MAX_OWN_CPU: Duration = Duration::from_millis(1);
const MAX_ZIP_BYTES: u64 = 6 * 1_000_000;
const MAX_PEAK_RSS_KIB: u64 = 30 * 1024;

fn ms(duration: Duration) -> String {
    let value = duration.as_secs_f64() * 1e3;
    if value < 10.0 {
        format!("{value:.3}")
    } else {
        format!("{value:.1}")
    }
}

fn ratio(value: Duration, baseline: Duration) -> String {
    if baseline.is_zero() {
        return "–".to_owned();
    }
    format!("{:.2}×", value.as_secs_f64() / baseline.as_secs_f64())
}

fn mib(kib: u64) -> String {
    format!("{:.1}", kib as f64 / 1024.0)
}

fn kib_ratio(value: u64, baseline: u64) -> String {
    if baseline == 0 {
        return "–".to_owned();
    }
    format!("{:.2}×", value as f64 / baseline as f64)
}

fn megabytes(bytes: u64) -> String {
    format!("{:.2}", bytes as f64 / 1e6)
}

fn median_or_zero(values: &[Duration]) -> Duration {
    median(values).unwrap_or_default()
}

fn median_kib(values: &[u64]) -> u64 {
    let mut sorted = values.to_vec();
    sorted.sort_unstable();
    sorted
        .get(sorted.len().saturating_sub(1) / 2)
        .copied()
        .unwrap_or(0)
}

fn median_count(values: &[usize]) -> usize {
    let mut sorted = values.to_vec();
    sorted.sort_unstable();
    sorted
        .get(sorted.len().saturating_sub(1) / 2)
        .copied()
        .unwrap_or(0)
}

/// Writes a critical path as `A ∥ B → C`: `∥` joins calls in flight together, `→`
/// separates sequential round trips.
fn path_text(levels: &[Vec<String>]) -> String {
    levels
        .iter()
        .map(|level| level.join(" ∥ "))
        .collect::<Vec<_>>()
        .join(" → ")
}

/// Returns the most sequential round trips allowed on a function's critical path.
fn max_round_trips(function: &str) -> Option<usize> {
    match function {
        "link" | "test-connection" => Some(3),
        "list-accounts" => Some(1),
        _ => None,
    }
}

impl Results {
    fn baseline_cold(&self) -> Option<&FunctionResult> {
        self.functions
            .iter()
            .find(|result| result.function == self.baseline)
    }

    fn baseline_warm(&self) -> Option<&ScenarioResult> {
        self.scenarios
            .iter()
            .find(|result| result.scenario.function == self.baseline)
    }

    /// Renders every table as Markdown.
    pub fn to_markdown(&self) -> String {
        let mut out = String::new();
        self.write_cold(&mut out);
        self.write_init_steps(&mut out);
        self.write_warm(&mut out);
        self.write_paths(&mut out);
        self.write_artifacts(&mut out);
        self.write_variants(&mut out);
        self.write_targets(&mut out);
        out
    }

    fn write_cold(&self, out: &mut String) {
        let Some(baseline) = self.baseline_cold() else {
            return;
        };
        let base_init = median_or_zero(&baseline.cold.init);
        let base_first = median_or_zero(&baseline.cold.first_invocation);
        let base_rss = median_kib(&baseline.cold.peak_rss_kib);
        let _ = writeln!(
            out,
            "### Cold start: medians of {} starts per function\n",
            self.settings.cold_starts
        );
        let _ = writeln!(
            out,
            "| function | init (ms) | × baseline | first invocation (ms) | × baseline | peak RSS after it (MiB) | × baseline |"
        );
        let _ = writeln!(out, "|---|---:|---:|---:|---:|---:|---:|");
        for result in &self.functions {
            let init = median_or_zero(&result.cold.init);
            let first = median_or_zero(&result.cold.first_invocation);
            let rss = median_kib(&result.cold.peak_rss_kib);
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} | {} | {} |",
                result.function,
                ms(init),
                ratio(init, base_init),
                ms(first),
                ratio(first, base_first),
                mib(rss),
                kib_ratio(rss, base_rss)
            );
        }
        out.push('\n');
    }

    fn write_init_steps(&self, out: &mut String) {
        if self.init_steps.is_empty() {
            return;
        }
        let _ = writeln!(
            out,
            "### Start-up steps of a Sitelink function: medians of {} probe processes\n",
            self.settings.cold_starts
        );
        let _ = writeln!(out, "| step | median (ms) | max (ms) |");
        let _ = writeln!(out, "|---|---:|---:|");
        for (step, durations) in &self.init_steps {
            let max = durations.iter().max().copied().unwrap_or_default();
            let _ = writeln!(
                out,
                "| {step} | {} | {} |",
                ms(median_or_zero(durations)),
                ms(max)
            );
        }
        out.push('\n');
    }

    fn write_warm(&self, out: &mut String) {
        let Some(baseline) = self.baseline_warm() else {
            return;
        };
        let base_median = median_or_zero(&baseline.warm.latencies);
        let base_p99 = percentile(&baseline.warm.latencies, 99.0).unwrap_or_default();
        let base_cpu = baseline.warm.cpu_per_invocation();
        let base_rss = baseline.warm.peak_rss_kib;
        let _ = writeln!(
            out,
            "### Warm invocations: one process, {} invocations after the first\n",
            self.settings.warm_invocations
        );
        let _ = writeln!(
            out,
            "| scenario | median (ms) | × baseline | p99 (ms) | × baseline | CPU per invocation (ms) | CPU minus baseline's (ms) | peak RSS (MiB) | × baseline |"
        );
        let _ = writeln!(out, "|---|---:|---:|---:|---:|---:|---:|---:|---:|");
        for result in &self.scenarios {
            let warm = &result.warm;
            let median_latency = median_or_zero(&warm.latencies);
            let p99 = percentile(&warm.latencies, 99.0).unwrap_or_default();
            let cpu = warm.cpu_per_invocation();
            let exact = if warm.cpu.exact { "" } else { " (ticks)" };
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} | {}{exact} | {} | {} | {} |",
                result.scenario.name,
                ms(median_latency),
                ratio(median_latency, base_median),
                ms(p99),
                ratio(p99, base_p99),
                ms(cpu),
                ms(cpu.saturating_sub(base_cpu)),
                mib(warm.peak_rss_kib),
                kib_ratio(warm.peak_rss_kib, base_rss)
            );
        }
        out.push('\n');
    }

    fn write_paths(&self, out: &mut String) {
        let _ = writeln!(
            out,
            "### Downstream calls: {} invocations behind the recording proxies, medians\n",
            self.settings.proxied_invocations
        );
        let _ = writeln!(
            out,
            "| scenario | latency (ms) | waiting on downstream (ms) | own time (ms) | requests | sequential round trips | critical path |"
        );
        let _ = writeln!(out, "|---|---:|---:|---:|---:|---:|---|");
        for result in &self.scenarios {
            let Some(proxied) = &result.proxied else {
                continue;
            };
            let (path, share) = proxied
                .usual_path()
                .map(|(levels, share)| (levels.clone(), share))
                .unwrap_or_default();
            let share_note = if share < 1.0 {
                format!(" ({:.0} % of invocations)", share * 100.0)
            } else {
                String::new()
            };
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} | {} | {}{share_note} |",
                result.scenario.name,
                ms(median_or_zero(&proxied.latencies)),
                ms(median_or_zero(&proxied.downstream)),
                ms(median_or_zero(&proxied.own)),
                median_count(&proxied.requests),
                path.len(),
                path_text(&path)
            );
        }
        out.push('\n');
    }

    fn write_artifacts(&self, out: &mut String) {
        // Names with `@` belong to the profile variants' table.
        let functions: Vec<&Artifact> = self
            .artifacts
            .iter()
            .filter(|artifact| !artifact.name.contains('@'))
            .collect();
        if functions.is_empty() {
            return;
        }
        let _ = writeln!(
            out,
            "### Artifacts: `cargo lambda build --release --arm64 --output-format zip`\n"
        );
        let _ = writeln!(out, "| function | bootstrap.zip (MB) | bootstrap (MB) |");
        let _ = writeln!(out, "|---|---:|---:|");
        for artifact in functions {
            let _ = writeln!(
                out,
                "| {} | {} | {} |",
                artifact.name,
                megabytes(artifact.zip_bytes),
                megabytes(artifact.bootstrap_bytes)
            );
        }
        out.push('\n');
    }

    fn write_variants(&self, out: &mut String) {
        for failure in &self.failures {
            let _ = writeln!(out, "Not measured: {failure}\n");
        }
        if self.variants.is_empty() {
            return;
        }
        let base_init = self
            .baseline_cold()
            .map(|result| median_or_zero(&result.cold.init))
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "### Release-profile variants of link: {} cold starts and {} warm invocations each\n",
            self.settings.cold_starts, self.settings.variant_invocations
        );
        let _ = writeln!(
            out,
            "| variant | arm64 bootstrap.zip (MB) | x86-64 bootstrap (MB) | init (ms) | × baseline | first invocation (ms) | warm median (ms) | CPU per invocation (ms) | peak RSS (MiB) |"
        );
        let _ = writeln!(out, "|---|---:|---:|---:|---:|---:|---:|---:|---:|");
        for variant in &self.variants {
            let size = |name: String| {
                self.artifacts
                    .iter()
                    .find(|artifact| artifact.name == name)
                    .map_or("–".to_owned(), |artifact| megabytes(artifact.zip_bytes))
            };
            let host_size = self
                .artifacts
                .iter()
                .find(|artifact| artifact.name == format!("link@{}@x86_64", variant.label))
                .map_or("–".to_owned(), |artifact| {
                    megabytes(artifact.bootstrap_bytes)
                });
            let init = median_or_zero(&variant.cold.init);
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} | {} | {} | {} | {} |",
                variant.label,
                size(format!("link@{}", variant.label)),
                host_size,
                ms(init),
                ratio(init, base_init),
                ms(median_or_zero(&variant.cold.first_invocation)),
                ms(median_or_zero(&variant.warm.latencies)),
                ms(variant.warm.cpu_per_invocation()),
                mib(variant.warm.peak_rss_kib)
            );
        }
        if let Some(copy) = self
            .artifacts
            .iter()
            .find(|artifact| artifact.name == "link@bench-release-copy")
        {
            let _ = writeln!(
                out,
                "\nThe release row's zip comes from `--release`, for which cargo-lambda adds `-C target-cpu=neoverse-n1`; the variants' zips do not get that flag. A copy of the release profile built like the variants gives a {} MB zip.",
                megabytes(copy.zip_bytes)
            );
        }
        out.push('\n');
    }

    fn write_targets(&self, out: &mut String) {
        let _ = writeln!(out, "### Targets\n");
        let _ = writeln!(out, "| target | measured | met |");
        let _ = writeln!(out, "|---|---|---|");
        let yes_no = |met: bool| if met { "yes" } else { "**no**" };

        let base_init = self
            .baseline_cold()
            .map(|result| median_or_zero(&result.cold.init));
        let base_cpu = self
            .baseline_warm()
            .map(|result| result.warm.cpu_per_invocation());
        for result in &self.functions {
            if result.function == self.baseline {
                continue;
            }
            if let Some(base_init) = base_init.filter(|base| !base.is_zero()) {
                let init = median_or_zero(&result.cold.init);
                let value = init.as_secs_f64() / base_init.as_secs_f64();
                let _ = writeln!(
                    out,
                    "| {} init ≤ {MAX_INIT_RATIO}× baseline | {value:.2}× ({} ms vs {} ms) | {} |",
                    result.function,
                    ms(init),
                    ms(base_init),
                    yes_no(value <= MAX_INIT_RATIO)
                );
            }
        }
        for result in &self.scenarios {
            if result.scenario.function == self.baseline {
                continue;
            }
            let name = &result.scenario.name;
            if let Some(base_cpu) = base_cpu {
                let own_cpu = result.warm.cpu_per_invocation().saturating_sub(base_cpu);
                let _ = writeln!(
                    out,
                    "| {name}: CPU per request in our code < {} ms | {} ms | {} |",
                    MAX_OWN_CPU.as_millis(),
                    ms(own_cpu),
                    yes_no(own_cpu < MAX_OWN_CPU)
                );
            }
            if let (Some(proxied), Some(limit)) =
                (&result.proxied, max_round_trips(&result.scenario.function))
            {
                let depth = proxied.usual_path().map_or(0, |(levels, _)| levels.len());
                let _ = writeln!(
                    out,
                    "| {name}: sequential round trips ≤ {limit} | {depth} | {} |",
                    yes_no(depth <= limit)
                );
            }
            let rss = result.warm.peak_rss_kib;
            let _ = writeln!(
                out,
                "| {name}: peak RSS ≤ {} MiB | {} MiB | {} |",
                MAX_PEAK_RSS_KIB / 1024,
                mib(rss),
                yes_no(rss <= MAX_PEAK_RSS_KIB)
            );
        }
        for artifact in self.artifacts.iter().filter(|a| !a.name.contains('@')) {
            let _ = writeln!(
                out,
                "| {}: bootstrap.zip ≤ {} MB | {} MB | {} |",
                artifact.name,
                MAX_ZIP_BYTES / 1_000_000,
                megabytes(artifact.zip_bytes),
                yes_no(artifact.zip_bytes <= MAX_ZIP_BYTES)
            );
        }
        out.push('\n');
    }

    /// Returns every figure, raw latencies included, as JSON.
    pub fn to_json(&self) -> Value {
        let durations = |values: &[Duration]| -> Value {
            Value::Array(values.iter().map(|value| millis(*value)).collect())
        };
        let cold = |cold: &ColdStarts| {
            json!({
                "init_ms": durations(&cold.init),
                "first_invocation_ms": durations(&cold.first_invocation),
                "peak_rss_kib": cold.peak_rss_kib,
            })
        };
        let warm = |warm: &WarmRun| {
            json!({
                "init_ms": millis(warm.init),
                "first_invocation_ms": millis(warm.first_invocation),
                "latencies_ms": durations(&warm.latencies),
                "cpu_ms": millis(warm.cpu.time),
                "cpu_exact": warm.cpu.exact,
                "peak_rss_kib": warm.peak_rss_kib,
            })
        };
        json!({
            "settings": {
                "cold_starts": self.settings.cold_starts,
                "warm_invocations": self.settings.warm_invocations,
                "proxied_invocations": self.settings.proxied_invocations,
                "variant_invocations": self.settings.variant_invocations,
            },
            "baseline": self.baseline,
            "failures": self.failures,
            "init_steps": self.init_steps.iter().map(|(step, values)| json!({
                "step": step,
                "durations_ms": durations(values),
            })).collect::<Vec<_>>(),
            "functions": self.functions.iter().map(|result| json!({
                "function": result.function,
                "cold": cold(&result.cold),
            })).collect::<Vec<_>>(),
            "scenarios": self.scenarios.iter().map(|result| json!({
                "scenario": result.scenario.name,
                "function": result.scenario.function,
                "warm": warm(&result.warm),
                "proxied": result.proxied.as_ref().map(|proxied| json!({
                    "latencies_ms": durations(&proxied.latencies),
                    "downstream_ms": durations(&proxied.downstream),
                    "own_ms": durations(&proxied.own),
                    "requests": proxied.requests,
                    "paths": proxied.paths.iter().map(|(levels, count)| json!({
                        "levels": levels,
                        "invocations": count,
                    })).collect::<Vec<_>>(),
                })),
            })).collect::<Vec<_>>(),
            "variants": self.variants.iter().map(|variant| json!({
                "label": variant.label,
                "cold": cold(&variant.cold),
                "warm": warm(&variant.warm),
            })).collect::<Vec<_>>(),
            "artifacts": self.artifacts.iter().map(|artifact| json!({
                "name": artifact.name,
                "zip_bytes": artifact.zip_bytes,
                "bootstrap_bytes": artifact.bootstrap_bytes,
            })).collect::<Vec<_>>(),
        })
    }
}
