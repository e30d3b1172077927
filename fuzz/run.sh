#!/usr/bin/env bash
# Runs the event-to-response fuzz target for a bounded time and prints libFuzzer's
# closing statistics (the number of inputs run is on the `Done N runs` line).
#
#   bash fuzz/run.sh [SECONDS]      default 60
#
# cargo-fuzz needs a nightly toolchain; it is installed with rustup if missing, and
# cargo-fuzz itself goes to .tools/cargo. New inputs go to .local/fuzz-corpus, so the
# seeds in fuzz/corpus stay as committed.
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo_root"
seconds="${1:-60}"

if ! rustup run nightly rustc --version >/dev/null 2>&1; then
    rustup toolchain install nightly --profile minimal
fi
if [[ ! -x .tools/cargo/bin/cargo-fuzz ]]; then
    cargo install --locked --root .tools/cargo cargo-fuzz@0.13.2
fi
export PATH="$repo_root/.tools/cargo/bin:$PATH"

corpus=".local/fuzz-corpus"
mkdir -p "$corpus"
cp -n fuzz/corpus/event_to_response/* "$corpus/"

cd fuzz
cargo +nightly fuzz run event_to_response "../$corpus" -- -max_total_time="$seconds" -print_final_stats=1
