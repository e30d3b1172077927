#!/usr/bin/env bash
# Benchmarks Sitelink's three functions against a hello-world lambda_http baseline under a
# local Lambda Runtime API, with moto and the Webflow fake as downstream services, all on
# 127.0.0.1. Prints a Markdown report and leaves it, with raw figures and logs, in
# target/bench/.
#
#   bash bench/run.sh              full run: 20 cold starts per function, 1000 warm and
#                                  200 proxied invocations per scenario (about 15 minutes
#                                  once built, mostly moto serving list queries)
#   bash bench/run.sh --quick      5 cold starts, 100 warm and 50 proxied invocations
#   bash bench/run.sh --profiles   also builds link with each release-profile variant
#                                  below, for arm64 and the host, and measures them. Each
#                                  variant is a cold build of several minutes.
#   bash bench/run.sh --no-arm64   skips the arm64 `cargo lambda` builds and artifact sizes
#
# Builds: host release binaries in target/release (the workspace's [profile.release]),
# arm64 zips with `cargo lambda build --release --arm64` in target/bench/lambda, and profile
# variants in target/bench-profiles so that they never invalidate the release build.
# Every server this script starts is stopped however it ends.
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo_root"

quick=false
profiles=false
arm64=true
for arg in "$@"; do
    case "$arg" in
        --quick) quick=true ;;
        --profiles) profiles=true ;;
        --no-arm64) arm64=false ;;
        -h | --help)
            sed -n '2,19p' "$0" | sed 's/^# \{0,1\}//'
            exit 0
            ;;
        *)
            echo "bench/run.sh: unknown argument \`$arg\`; run bench/run.sh --help for usage" >&2
            exit 2
            ;;
    esac
done

source infra/tools.sh
source infra/local/lib.sh

trap sitelink_stop_all EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

out_dir="$repo_root/target/bench"
mkdir -p "$out_dir/logs"
artifacts="$out_dir/artifacts.tsv"
: >"$artifacts"

functions=(link test-connection list-accounts bench-hello)

# Release-profile variants of link, as `--config` overrides of a custom profile that
# inherits the workspace's [profile.release]. Cargo.toml stays as it is.
profile_variants=(
    'bench-opt-s|opt-level="s"'
    'bench-opt-z-fat-lto|opt-level="z" lto="fat"'
    'bench-cargo-defaults|lto=false codegen-units=16 panic="unwind"'
    'bench-panic-abort|panic="abort"'
)

# Prints a tab-separated artifacts line: NAME, the size of ZIP, and the size of the
# bootstrap inside it. A bare binary is zipped (deflate, as cargo lambda does) first.
artifact_line() {
    local name="$1" file="$2"
    python3 - "$name" "$file" <<'PY'
import io, os, sys, zipfile
name, path = sys.argv[1], sys.argv[2]
if zipfile.is_zipfile(path):
    with zipfile.ZipFile(path) as archive:
        bootstrap = archive.getinfo("bootstrap").file_size
    zipped = os.path.getsize(path)
else:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.write(path, "bootstrap")
    zipped = len(buffer.getvalue())
    bootstrap = os.path.getsize(path)
print(f"{name}\t{zipped}\t{bootstrap}")
PY
}

echo "bench/run.sh: building host release binaries" >&2
package_args=()
for function in "${functions[@]}"; do
    package_args+=(-p "$function")
done
cargo build --release "${package_args[@]}" -p webflow-fake -p runtime-emulator

if $arm64; then
    echo "bench/run.sh: building arm64 zips with cargo lambda" >&2
    # A lambda dir of its own, so that a concurrent `sam build` cannot replace the zips.
    lambda_dir="$out_dir/lambda"
    cargo lambda build --release --arm64 --output-format zip --lambda-dir "$lambda_dir" \
        "${package_args[@]}"
    for function in "${functions[@]}"; do
        artifact_line "$function" "$lambda_dir/$function/bootstrap.zip" >>"$artifacts"
    done
    artifact_line "link@release" "$lambda_dir/link/bootstrap.zip" >>"$artifacts"
fi
artifact_line "link@release@x86_64" "target/release/link" >>"$artifacts"

variant_args=()
if $profiles; then
    variant_args+=(--variant "release=target/release/link")
    for entry in "${profile_variants[@]}"; do
        profile="${entry%%|*}"
        config=(--config "profile.$profile.inherits=\"release\"")
        for setting in ${entry#*|}; do
            config+=(--config "profile.$profile.$setting")
        done
        echo "bench/run.sh: building link with profile $profile (${entry#*|})" >&2
        cargo build --profile "$profile" --target-dir target/bench-profiles -p link "${config[@]}"
        artifact_line "link@$profile@x86_64" "target/bench-profiles/$profile/link" >>"$artifacts"
        variant_args+=(--variant "$profile=target/bench-profiles/$profile/link")
        if $arm64; then
            # cargo-lambda 1.9.2 passes --target-dir on to `cargo metadata`, which rejects
            # it, so the target directory goes through the environment.
            CARGO_TARGET_DIR=target/bench-profiles cargo lambda build --profile "$profile" \
                --arm64 --output-format zip \
                --lambda-dir "target/bench-profiles/lambda/$profile" -p link "${config[@]}"
            artifact_line "link@$profile" \
                "target/bench-profiles/lambda/$profile/link/bootstrap.zip" >>"$artifacts"
        fi
    done
fi

# cargo-lambda 1.9.2 adds `-C target-cpu=neoverse-n1` for --release only, not for a custom
# profile, so the variants' zips are compared with this copy of the release profile.
if $profiles && $arm64; then
    echo "bench/run.sh: building link for arm64 with a copy of the release profile" >&2
    CARGO_TARGET_DIR=target/bench-profiles cargo lambda build --profile bench-release-copy \
        --arm64 --output-format zip --lambda-dir target/bench-profiles/lambda/bench-release-copy \
        -p link --config 'profile.bench-release-copy.inherits="release"'
    artifact_line "link@bench-release-copy" \
        "target/bench-profiles/lambda/bench-release-copy/link/bootstrap.zip" >>"$artifacts"
fi

moto_port="$(sitelink_free_port)"
sitelink_start_moto "$moto_port" "$out_dir/logs/moto.log"
echo "bench/run.sh: moto_server is listening on $SITELINK_MOTO_URL" >&2

fake_log="$out_dir/logs/webflow-fake.log"
# The fake logs one line per request at info level; warn keeps that work out of the
# downstream timings.
sitelink_spawn "webflow-fake" "$fake_log" env RUST_LOG=warn target/release/webflow-fake --listen 127.0.0.1:0
fake_pid="$SITELINK_LAST_PID"
deadline=$((SECONDS + 30))
until ready_line="$(grep -m 1 '^webflow-fake listening on ' "$fake_log")"; do
    if ! kill -0 "$fake_pid" 2>/dev/null || ((SECONDS >= deadline)); then
        echo "error: webflow-fake did not report that it is listening" >&2
        sitelink_show_log "$fake_log"
        exit 1
    fi
    sleep 0.1
done
webflow_url="${ready_line#webflow-fake listening on }"
echo "bench/run.sh: webflow-fake is listening on $webflow_url" >&2

if $quick; then
    counts=(--cold-starts 5 --warm 100 --proxied 50 --variant-warm 50)
else
    counts=(--cold-starts 20 --warm 1000 --proxied 200 --variant-warm 200)
fi

target/release/sitelink-bench \
    --moto-url "$SITELINK_MOTO_URL" \
    --webflow-url "$webflow_url" \
    --bin-dir target/release \
    --out "$out_dir" \
    --artifacts "$artifacts" \
    "${counts[@]}" \
    "${variant_args[@]}"

echo "bench/run.sh: report in $out_dir/report.md, raw figures in $out_dir/results.json" >&2
