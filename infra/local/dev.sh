#!/usr/bin/env bash
# Runs Sitelink locally: moto for DynamoDB and Secrets Manager, the Webflow fake, and the
# three functions under `cargo lambda watch`, all on 127.0.0.1. The functions are served
# at the API's own paths (see CargoLambda.toml) and reload when the code changes.
# Ctrl-C stops everything this script started.
#
#   bash infra/local/dev.sh
#
# Environment (all optional):
#   SITELINK_DEV_PORT       port of the HTTP API (default 9000)
#   WEBFLOW_API_BASE_URL    Webflow API to call instead of starting the fake, for example
#                           https://api.webflow.com/v2 to link real sites
#   SITELINK_LOCAL_TENANT   tenant of every request, as there is no authorizer locally
#                           (default local-tenant)
#   SITELINK_TABLE_NAME     table created in moto (default sitelink-accounts)
#   SITELINK_CURSOR_KEYS    list cursor HMAC keys (default: a random key per run)
#   RUST_LOG                log filter of the functions (default info)
# moto keeps its state in memory, so every run starts with no accounts.
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$repo_root"

source infra/tools.sh
source infra/local/lib.sh

trap sitelink_stop_all EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

api_port="${SITELINK_DEV_PORT:-9000}"
if sitelink_port_in_use "$api_port"; then
    echo "error: port $api_port on 127.0.0.1 is already in use; stop what listens there or set SITELINK_DEV_PORT to another port" >&2
    exit 1
fi

# One folder per API port, so two runs on different ports keep their logs apart.
log_dir="$repo_root/.local/dev/$api_port"
mkdir -p "$log_dir"

# AWS emulator and table.
moto_port="$(sitelink_free_port)"
sitelink_start_moto "$moto_port" "$log_dir/moto.log"
sitelink_use_emulator "$SITELINK_MOTO_URL"
export SITELINK_TABLE_NAME="${SITELINK_TABLE_NAME:-sitelink-accounts}"
sitelink_create_table "$SITELINK_MOTO_URL" "$SITELINK_TABLE_NAME"
echo "moto_server is listening on $SITELINK_MOTO_URL with table $SITELINK_TABLE_NAME" >&2

# Webflow: start the fake unless WEBFLOW_API_BASE_URL names a Webflow API.
if [[ -z "${WEBFLOW_API_BASE_URL:-}" ]]; then
    cargo build --package webflow-fake
    fake_log="$log_dir/webflow-fake.log"
    # Port 0 lets the fake pick a free port. The fake prints
    # `webflow-fake listening on <base URL>` once it accepts connections.
    sitelink_spawn "webflow-fake" "$fake_log" \
        cargo run --quiet --package webflow-fake -- --listen 127.0.0.1:0
    fake_pid="$SITELINK_LAST_PID"
    deadline=$((SECONDS + 30))
    until ready_line="$(grep -m 1 '^webflow-fake listening on ' "$fake_log")"; do
        if ! kill -0 "$fake_pid" 2>/dev/null || ((SECONDS >= deadline)); then
            echo "error: webflow-fake exited or did not report listening within 30 s" >&2
            sitelink_show_log "$fake_log"
            exit 1
        fi
        sleep 0.2
    done
    export WEBFLOW_API_BASE_URL="${ready_line#webflow-fake listening on }"
    echo "webflow-fake is listening on $WEBFLOW_API_BASE_URL (log: $fake_log)" >&2
fi

# Function settings. cargo lambda watch passes its environment on to the functions.
export SITELINK_LOCAL_TENANT="${SITELINK_LOCAL_TENANT:-local-tenant}"
if [[ -z "${SITELINK_CURSOR_KEYS:-}" ]]; then
    SITELINK_CURSOR_KEYS="$(python3 -c 'import secrets; print(secrets.token_hex(32))')"
    export SITELINK_CURSOR_KEYS
fi
export RUST_LOG="${RUST_LOG:-info}"

# Building first shows compile errors before the server starts. cargo lambda watch runs
# these same debug binaries, so the first request does not wait for a build.
cargo build --package link --package test-connection --package list-accounts

sitelink_spawn "cargo lambda watch" - \
    cargo lambda watch --invoke-address 127.0.0.1 --invoke-port "$api_port"
watch_pid="$SITELINK_LAST_PID"

deadline=$((SECONDS + 60))
until sitelink_port_in_use "$api_port"; do
    if ! kill -0 "$watch_pid" 2>/dev/null || ((SECONDS >= deadline)); then
        echo "error: cargo lambda watch exited or did not listen on 127.0.0.1:$api_port within 60 s; its output is above" >&2
        exit 1
    fi
    sleep 0.2
done

base_url="http://127.0.0.1:$api_port"
if [[ -n "${fake_pid:-}" ]]; then
    site_token="$(python3 -c 'import secrets; print(secrets.token_hex(32))')"
    token_note="The fake accepts any 64-hex token except those starting with 00000401 (revoked),
00000403 (missing scope), 00000429 (rate limited), 00000500 or 00000502; see
\`cargo run -p webflow-fake -- --help\`."
else
    site_token="YOUR_SITE_TOKEN"
    token_note="Replace YOUR_SITE_TOKEN with a token from the site's Site settings → Apps & Integrations."
fi

cat <<EOF

Sitelink is running at $base_url as tenant "$SITELINK_LOCAL_TENANT".
Webflow API: $WEBFLOW_API_BASE_URL
Logs of moto and the fake: $log_dir

Link a site:
  curl -sS -i -X POST $base_url/accounts \\
    -H 'content-type: application/json' \\
    -d '{"site_token": "$site_token", "origin_owner_id": "customer-1", "origin_owner_name": "Customer One", "label": "Main site"}'
$token_note

Test the connection (ACCOUNT_ID is the "id" in the link response):
  curl -sS -i -X POST $base_url/accounts/ACCOUNT_ID/test

List the accounts:
  curl -sS -i '$base_url/accounts?limit=25'

Press Ctrl-C to stop.

EOF

wait "$watch_pid"
