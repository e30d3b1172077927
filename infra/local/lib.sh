# shellcheck shell=bash
# Shell functions for the local stack, sourced by infra/local/dev.sh and infra/test.sh
# after infra/tools.sh has put the tools venv on PATH.
#
# Every server is started on 127.0.0.1 in its own session (setsid), so that
# sitelink_stop_all can stop it with the children in its process group.
# Callers install the traps:
#
#   trap sitelink_stop_all EXIT
#   trap 'exit 130' INT
#   trap 'exit 143' TERM

SITELINK_SERVER_PIDS=()
SITELINK_SERVER_NAMES=()

# Prints a TCP port that is free on 127.0.0.1 right now. Another process can still take
# it before the caller binds it, and then the caller's server fails to start.
sitelink_free_port() {
    python3 -c '
import socket
with socket.socket() as listener:
    listener.bind(("127.0.0.1", 0))
    print(listener.getsockname()[1])
'
}

# Succeeds when something accepts TCP connections on 127.0.0.1:PORT.
sitelink_port_in_use() {
    local port="$1"
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null
}

# Starts `COMMAND...` in the background in a new session, with stdout and stderr going
# to LOG (or to the terminal when LOG is "-"), and records it for sitelink_stop_all.
# Sets SITELINK_LAST_PID. With job control off, as in any script, the background job is
# not a process group leader, so setsid runs COMMAND in place and $! is the id of the
# new session and of its process group.
sitelink_spawn() {
    local name="$1" log="$2"
    shift 2
    if [[ "$log" == "-" ]]; then
        setsid "$@" </dev/null &
    else
        # Emptied here, before the child starts, so that a caller waiting for a line in
        # the log never reads one left by an earlier run.
        : >"$log"
        setsid "$@" </dev/null >>"$log" 2>&1 &
    fi
    SITELINK_LAST_PID=$!
    SITELINK_SERVER_PIDS+=("$SITELINK_LAST_PID")
    SITELINK_SERVER_NAMES+=("$name")
}

# Prints the ids of PID's descendants, one a line.
sitelink_descendants() {
    local child
    for child in $(pgrep -P "$1"); do
        echo "$child"
        sitelink_descendants "$child"
    done
}

# Succeeds while any of the processes PID... is alive and not a zombie.
sitelink_any_alive() {
    local ids
    ids="$(IFS=,; echo "$*")"
    ps -o stat= -p "$ids" 2>/dev/null | grep -qv '^Z'
}

# Stops every server started with sitelink_spawn, newest first: SIGTERM to its process
# group, then SIGKILL to the group and to the server's descendants if any of them is
# still alive after 5 s. The descendants are collected first because cargo lambda watch
# runs each function in a session of its own. Safe to call more than once.
sitelink_stop_all() {
    local i pid name deadline
    local -a members
    for ((i = ${#SITELINK_SERVER_PIDS[@]} - 1; i >= 0; i--)); do
        pid="${SITELINK_SERVER_PIDS[i]}"
        name="${SITELINK_SERVER_NAMES[i]}"
        mapfile -t members < <(echo "$pid"; sitelink_descendants "$pid")
        if sitelink_any_alive "${members[@]}"; then
            echo "stopping $name (process group $pid)" >&2
            kill -TERM -- "-$pid" 2>/dev/null || true
            deadline=$((SECONDS + 5))
            while sitelink_any_alive "${members[@]}" && ((SECONDS < deadline)); do
                sleep 0.1
            done
            if sitelink_any_alive "${members[@]}"; then
                echo "$name did not stop within 5 s; sending SIGKILL" >&2
                kill -KILL -- "-$pid" 2>/dev/null || true
                kill -KILL "${members[@]}" 2>/dev/null || true
            fi
        fi
        wait "$pid" 2>/dev/null || true
    done
    SITELINK_SERVER_PIDS=()
    SITELINK_SERVER_NAMES=()
}

# Prints the last lines of LOG to stderr, to explain why a server did not start.
sitelink_show_log() {
    local log="$1"
    if [[ -s "$log" ]]; then
        echo "--- last lines of $log ---" >&2
        tail -n 40 "$log" >&2
        echo "---" >&2
    fi
}

# Waits until a GET of URL returns HTTP 200, for at most TIMEOUT seconds, while the
# server process PID is alive.
sitelink_wait_http() {
    local name="$1" url="$2" pid="$3" timeout="$4" log="$5"
    local deadline=$((SECONDS + timeout))
    until curl --silent --fail --output /dev/null --max-time 2 "$url"; do
        if ! kill -0 "$pid" 2>/dev/null; then
            echo "error: $name exited before $url returned HTTP 200" >&2
            sitelink_show_log "$log"
            return 1
        fi
        if ((SECONDS >= deadline)); then
            echo "error: $name timed out: $url did not return HTTP 200 within $timeout s" >&2
            sitelink_show_log "$log"
            return 1
        fi
        sleep 0.2
    done
}

# Starts moto's server mode on 127.0.0.1:PORT with output in LOG and waits until its
# /moto-api/ page returns HTTP 200. Sets SITELINK_MOTO_URL.
sitelink_start_moto() {
    local port="$1" log="$2"
    sitelink_spawn "moto_server" "$log" moto_server -H 127.0.0.1 -p "$port"
    sitelink_wait_http "moto_server" "http://127.0.0.1:$port/moto-api/" "$SITELINK_LAST_PID" 30 "$log" || return 1
    SITELINK_MOTO_URL="http://127.0.0.1:$port"
}

# Creates the accounts table NAME (pk and sk strings, on-demand billing, as in
# template.yaml) in the emulator at ENDPOINT_URL and waits until it is active. Needs
# AWS_REGION and dummy credentials in the environment.
sitelink_create_table() {
    local endpoint_url="$1" table="$2"
    aws dynamodb create-table \
        --endpoint-url "$endpoint_url" \
        --table-name "$table" \
        --attribute-definitions AttributeName=pk,AttributeType=S AttributeName=sk,AttributeType=S \
        --key-schema AttributeName=pk,KeyType=HASH AttributeName=sk,KeyType=RANGE \
        --billing-mode PAY_PER_REQUEST >/dev/null || return 1
    aws dynamodb wait table-exists --endpoint-url "$endpoint_url" --table-name "$table"
}

# Points the AWS SDK and CLI at the emulator at ENDPOINT_URL with dummy credentials, and
# removes settings that would send them elsewhere (a profile, per-service endpoints).
sitelink_use_emulator() {
    local endpoint_url="$1"
    unset AWS_PROFILE AWS_DEFAULT_PROFILE AWS_SESSION_TOKEN AWS_IGNORE_CONFIGURED_ENDPOINT_URLS
    unset AWS_ENDPOINT_URL_DYNAMODB AWS_ENDPOINT_URL_SECRETS_MANAGER
    export AWS_ENDPOINT_URL="$endpoint_url"
    export AWS_REGION=us-east-1
    export AWS_DEFAULT_REGION=us-east-1
    export AWS_ACCESS_KEY_ID=testing
    export AWS_SECRET_ACCESS_KEY=testing
    export AWS_EC2_METADATA_DISABLED=true
}
