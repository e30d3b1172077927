#!/usr/bin/env bash
# Installs the PyPI-packaged tools that the local stack, the tests and CI use into the
# project-local venv .tools/venv: moto (DynamoDB and Secrets Manager emulator),
# cargo-lambda (with the zig linker it ships), the SAM CLI (with cfn-lint) and AWS CLI v1.
#
#   bash infra/tools.sh        install what is missing
#   source infra/tools.sh      the same, then put the venv's bin/ first on PATH
#
# A stamp file in the venv records the pin list it was installed from, so a second run
# with unchanged pins only compares one file. Set SITELINK_PYTHON to choose the
# interpreter that creates the venv (Python 3.10 or later; default python3).

sitelink_tools_main() {
    local repo_root venv stamp python lock_fd wanted
    repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
    venv="$repo_root/.tools/venv"
    stamp="$venv/.sitelink-pins"

    # Edit the pins here only: the stamp compares against this list.
    local -a pins=(
        'moto[server,dynamodb,secretsmanager]==5.2.5'
        'cargo-lambda==1.9.2'
        'aws-sam-cli==1.170.0'
        'awscli==1.46.3'
    )
    wanted="$(printf '%s\n' "${pins[@]}")"

    export SITELINK_TOOLS_BIN="$venv/bin"
    export SAM_CLI_TELEMETRY=0

    if [[ -x "$venv/bin/python" && -f "$stamp" && "$(<"$stamp")" == "$wanted" ]]; then
        return 0
    fi

    mkdir -p "$repo_root/.tools"
    # Serializes installs when dev.sh and test.sh start at the same time.
    exec {lock_fd}>"$repo_root/.tools/install.lock"
    flock "$lock_fd"

    if [[ -x "$venv/bin/python" && -f "$stamp" && "$(<"$stamp")" == "$wanted" ]]; then
        exec {lock_fd}>&-
        return 0
    fi

    python="${SITELINK_PYTHON:-python3}"
    if ! "$python" -c 'import sys; sys.exit(sys.version_info < (3, 10))' 2>/dev/null; then
        echo "infra/tools.sh: $python is missing or older than Python 3.10, which aws-sam-cli 1.170.0 requires. Set SITELINK_PYTHON to a newer interpreter." >&2
        exec {lock_fd}>&-
        return 1
    fi

    echo "infra/tools.sh: installing ${pins[*]} into $venv" >&2
    if [[ ! -x "$venv/bin/python" ]]; then
        "$python" -m venv "$venv" || { exec {lock_fd}>&-; return 1; }
    fi
    rm -f "$stamp"
    if ! "$venv/bin/python" -m pip install --disable-pip-version-check --quiet "${pins[@]}"; then
        echo "infra/tools.sh: pip install failed. The next run retries it, because $venv has no stamp yet." >&2
        exec {lock_fd}>&-
        return 1
    fi
    printf '%s\n' "$wanted" >"$stamp"
    exec {lock_fd}>&-
}

if (return 0 2>/dev/null); then
    # Sourced: leave the caller's shell options alone and report failure by status.
    sitelink_tools_main || return 1
    case ":$PATH:" in
        *":$SITELINK_TOOLS_BIN:"*) ;;
        *) export PATH="$SITELINK_TOOLS_BIN:$PATH" ;;
    esac
else
    set -euo pipefail
    sitelink_tools_main
fi
