#!/usr/bin/env bash
# Build aml-emulator, start it with --https on a free port of 127.0.0.1, drive it with the
# official Azure Python management SDKs (python_sdk.py), and stop it.
#
#   crates/aml-emulator/interop/run.sh
#
# Environment (all optional):
#   AML_INTEROP_VENV          a virtualenv to use (created and filled from requirements.txt if
#                             it has no python yet; default: a new one in a temporary folder)
#   AML_INTEROP_REQUIREMENTS  pip requirements to install (default: requirements.txt beside this
#                             script; give a file without pins to try the latest releases)
#   AML_INTEROP_API_VERSIONS  machine-learning api-versions to run the script with, space
#                             separated; "default" is the SDK's own (default: "default 2024-04-01")
#   AML_INTEROP_VERBOSE=1     log every request the SDKs make, and run the emulator with
#                             --verbose (its output is shown when the run fails)
# Needs cargo and python3 (3.9+), and PyPI when it installs packages. CI does not run this.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
work="$(mktemp -d "${TMPDIR:-/tmp}/aml-interop.XXXXXX")"
emulator_pid=""

cleanup() {
    local status=$?
    if [[ -n "$emulator_pid" ]] && kill -0 "$emulator_pid" 2>/dev/null; then
        # SIGTERM is a clean shutdown; a watchdog kills it if it is still there after 5 s.
        kill -TERM "$emulator_pid" 2>/dev/null || true
        (
            trap 'kill "$sleeper" 2>/dev/null; exit 0' TERM
            sleep 5 &
            sleeper=$!
            wait "$sleeper"
            kill -KILL "$emulator_pid" 2>/dev/null && echo "warning: the emulator ignored SIGTERM; killed" >&2
        ) &
        local watchdog=$!
        wait "$emulator_pid" 2>/dev/null || true
        kill "$watchdog" 2>/dev/null || true
        wait "$watchdog" 2>/dev/null || true
    fi
    if [[ $status -ne 0 && -f "$work/emulator.log" ]]; then
        echo "--- emulator output (last 40 lines) ---" >&2
        tail -n 40 "$work/emulator.log" >&2 || true
    fi
    rm -rf "$work"
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# 1. The SDKs.
venv="${AML_INTEROP_VENV:-$work/venv}"
if [[ ! -x "$venv/bin/python" ]]; then
    echo "creating $venv"
    python3 -m venv "$venv"
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check \
        -r "${AML_INTEROP_REQUIREMENTS:-$here/requirements.txt}"
fi
"$venv/bin/python" -c 'import azure.mgmt.machinelearningservices, azure.mgmt.containerservice' || {
    echo "error: $venv lacks azure-mgmt-machinelearningservices or azure-mgmt-containerservice" >&2
    exit 1
}

# 2. The emulator: HTTPS, a free port, fast operations, one compute per list page (so the
#    SDK's pager has to follow nextLink).
(cd "$root" && cargo build --quiet -p aml-emulator)
binary="${CARGO_TARGET_DIR:-$root/target}/debug/aml-emulator"
page_size=1
verbose=()
[[ -n "${AML_INTEROP_VERBOSE:-}" ]] && verbose=(--verbose)
"$binary" --port 0 --https --cert-dir "$work/certs" --operation-ms 200 --retry-after-ms 50 \
    --page-size "$page_size" "${verbose[@]}" >"$work/emulator.log" 2>&1 &
emulator_pid=$!

url=""
for _ in $(seq 100); do
    url="$(sed -n 's/^.*listening on \(https:\/\/127\.0\.0\.1:[0-9][0-9]*\).*$/\1/p' "$work/emulator.log" | head -n 1)"
    [[ -n "$url" ]] && break
    kill -0 "$emulator_pid" 2>/dev/null || { echo "error: the emulator exited" >&2; exit 1; }
    sleep 0.1
done
[[ -n "$url" ]] || { echo "error: the emulator printed no https URL within 10 s" >&2; exit 1; }
ca="$work/certs/ca.pem"
[[ -f "$ca" ]] || { echo "error: no CA certificate at $ca" >&2; exit 1; }
echo "emulator: $url (pid $emulator_pid), CA $ca"

# 3. The official SDKs against it, once per api-version (each run leaves no compute behind).
for api_version in ${AML_INTEROP_API_VERSIONS:-default 2024-04-01}; do
    echo "=== machine-learning api-version: $api_version"
    if [[ "$api_version" == default ]]; then
        env -u AML_INTEROP_API_VERSION AML_EMULATOR_PAGE_SIZE="$page_size" \
            "$venv/bin/python" "$here/python_sdk.py" "$url" "$ca"
    else
        AML_INTEROP_API_VERSION="$api_version" AML_EMULATOR_PAGE_SIZE="$page_size" \
            "$venv/bin/python" "$here/python_sdk.py" "$url" "$ca"
    fi
done
echo "interop: all passed"
