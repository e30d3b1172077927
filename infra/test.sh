#!/usr/bin/env bash
# Runs the workspace's tests against a fresh moto server on a free 127.0.0.1 port.
#
#   bash infra/test.sh                   cargo test --workspace
#   bash infra/test.sh -p sitelink-core  extra arguments go to cargo test
#
# The tests create their own tables and secrets in the emulator. The AWS SDK finds it
# through AWS_ENDPOINT_URL, with dummy credentials, so no test can reach real AWS.
# moto is stopped however the script ends; its log is in .local/test/moto.log.
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo_root"

source infra/tools.sh
source infra/local/lib.sh

trap sitelink_stop_all EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

log_dir="$repo_root/.local/test"
mkdir -p "$log_dir"

moto_port="$(sitelink_free_port)"
sitelink_start_moto "$moto_port" "$log_dir/moto.log"
sitelink_use_emulator "$SITELINK_MOTO_URL"
echo "moto_server is listening on $SITELINK_MOTO_URL" >&2

python infra/check-iam.py template.yaml
cargo test --workspace "$@"
