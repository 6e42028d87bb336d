#!/usr/bin/env bash
# Runs every fuzz target (or the ones named) for a bounded time, one after another, and prints
# the executions, coverage and findings of each.
#
#   fuzz/run.sh                      # every target, 60 s each
#   fuzz/run.sh 300                  # every target, 300 s each
#   fuzz/run.sh 30 resource_id secret
#   FUZZ_SECONDS=10 fuzz/run.sh      # the same as `fuzz/run.sh 10`
#
# Environment:
#   FUZZ_SECONDS     seconds per target when no number is given (default 60)
#   FUZZ_SANITIZER   address (default, cargo-fuzz's), none (faster), or another cargo-fuzz choice
#   FUZZ_TOOLCHAIN   e.g. `nightly` to run `cargo +nightly fuzz`; by default the active toolchain
#                    is used, and on a stable one RUSTC_BOOTSTRAP=1 is set (see below)
#   FUZZ_ARGS        extra libFuzzer arguments, e.g. "-jobs=1 -max_len=8192"
#
# Toolchain: cargo-fuzz passes nightly-only flags to rustc (`-Zsanitizer=address`, coverage
# passes). On a stable toolchain (1.95 here) `RUSTC_BOOTSTRAP=1` lets rustc accept them; that
# is the only switch needed, and it applies to this script's cargo calls only. Install the
# runner once with `cargo install cargo-fuzz --locked`; a C++ compiler is needed (libFuzzer is
# built from source by libfuzzer-sys).
#
# Corpus: the seeds kept in the repo (`fuzz/corpus/<target>/`, small, reviewed) are read only;
# what a run discovers goes to `fuzz/target/corpus/<target>/` (ignored by git), so the repo's
# corpus stays small. When `openssl` is available, throwaway certificates and keys are generated
# into `fuzz/target/seeds/` for the TLS targets (never committed; the repo holds no private key).
#
# Findings: libFuzzer stops a target at its first crash and writes the input to
# `fuzz/artifacts/<target>/` (crash-*, timeout-*, oom-*, leak-*). Reproduce one with
#   RUSTC_BOOTSTRAP=1 cargo fuzz run <target> fuzz/artifacts/<target>/<file>
# and add it as a regression test (crates/<crate>/tests/fuzz_regressions.rs). The script exits
# 1 when any target has a finding, 2 on a setup or build error.
set -euo pipefail

FUZZ_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(dirname "$FUZZ_DIR")"
cd "$ROOT"

ALL_TARGETS=(
    resource_id
    spec_yaml
    spec_json
    pem_certificate
    pem_key
    check_pem
    secret
    wire_compute_resource
    wire_compute_list
    wire_error_response
    wire_operation_status
    emulator_requests
    arm_headers
)

seconds="${FUZZ_SECONDS:-60}"
if [[ $# -gt 0 && "$1" =~ ^[0-9]+$ ]]; then
    seconds="$1"
    shift
fi
if [[ $# -gt 0 ]]; then
    targets=("$@")
else
    targets=("${ALL_TARGETS[@]}")
fi
sanitizer="${FUZZ_SANITIZER:-address}"

cargo_cmd=(cargo)
if [[ -n "${FUZZ_TOOLCHAIN:-}" ]]; then
    cargo_cmd=(cargo "+${FUZZ_TOOLCHAIN}")
fi
if ! "${cargo_cmd[@]}" fuzz --version >/dev/null 2>&1; then
    echo "cargo-fuzz is not installed: cargo install cargo-fuzz --locked" >&2
    exit 2
fi
rustc_version="$(rustc ${FUZZ_TOOLCHAIN:+"+$FUZZ_TOOLCHAIN"} --version)"
if [[ "$rustc_version" != *nightly* ]]; then
    # Stable toolchain: let rustc accept cargo-fuzz's -Z flags.
    export RUSTC_BOOTSTRAP=1
fi

dict_for() {
    case "$1" in
        resource_id) echo resource_id ;;
        spec_*) echo spec ;;
        wire_*) echo wire ;;
        pem_* | check_pem | secret) echo pem ;;
        emulator_*) echo emulator ;;
        arm_headers) echo arm_headers ;;
    esac
}

timeout_for() {
    case "$1" in
        emulator_*) echo 90 ;;
        *) echo 30 ;;
    esac
}

# Throwaway TLS material for the TLS targets, regenerated each run under fuzz/target (ignored).
generate_tls_seeds() {
    command -v openssl >/dev/null 2>&1 || return 0
    local seeds="$FUZZ_DIR/target/seeds" tmp
    tmp="$(mktemp -d)"
    rm -rf "$seeds"
    mkdir -p "$seeds/pem_key" "$seeds/check_pem" "$seeds/secret"
    (
        cd "$tmp"
        openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ec.key \
            -out ec.crt -days 3650 -subj "/CN=www.contoso.com" \
            -addext "subjectAltName=DNS:www.contoso.com,DNS:*.api.contoso.com"
        openssl req -x509 -newkey rsa:2048 -nodes -keyout rsa.key -out rsa.crt -days 3650 \
            -subj "/CN=aml.contoso.com" -addext "subjectAltName=DNS:aml.contoso.com"
        openssl req -x509 -newkey ed25519 -nodes -keyout ed.key -out ed.crt -days 30 \
            -subj "/CN=short.contoso.com"
        openssl ec -in ec.key -out ec-sec1.key
        openssl rsa -in rsa.key -traditional -out rsa-pkcs1.key
    ) >/dev/null 2>&1 || { rm -rf "$tmp"; return 0; }
    local name key crt
    for name in ec rsa ed; do
        key="$tmp/$name.key"
        crt="$tmp/$name.crt"
        cp "$key" "$seeds/pem_key/$name.pem"
        { cat "$crt"; printf '\n%%%%\n'; cat "$key"; printf '\n%%%%\nwww.contoso.com'; } \
            >"$seeds/check_pem/$name.txt"
        {
            printf 'apiVersion: v1\nkind: Secret\nmetadata:\n  name: azuremlfessl\n'
            printf 'data:\n  cert.pem: %s\n  key.pem: %s\n' \
                "$(base64 -w0 "$crt")" "$(base64 -w0 "$key")"
        } >"$seeds/secret/$name.yaml"
    done
    cp "$tmp/ec-sec1.key" "$seeds/pem_key/ec-sec1.pem"
    cp "$tmp/rsa-pkcs1.key" "$seeds/pem_key/rsa-pkcs1.pem"
    rm -rf "$tmp"
}

echo "== building fuzz targets (sanitizer: $sanitizer; $rustc_version${RUSTC_BOOTSTRAP:+, RUSTC_BOOTSTRAP=1})"
if ! "${cargo_cmd[@]}" fuzz build --sanitizer "$sanitizer"; then
    echo "build failed" >&2
    exit 2
fi
generate_tls_seeds

logs="$FUZZ_DIR/target/logs"
mkdir -p "$logs"
summary=()
found=0
for target in "${targets[@]}"; do
    work="$FUZZ_DIR/target/corpus/$target"
    artifacts="$FUZZ_DIR/artifacts/$target"
    mkdir -p "$work" "$artifacts" "$FUZZ_DIR/corpus/$target"
    corpora=("$work" "$FUZZ_DIR/corpus/$target")
    [[ -d "$FUZZ_DIR/target/seeds/$target" ]] && corpora+=("$FUZZ_DIR/target/seeds/$target")
    libfuzzer_args=(
        "-max_total_time=$seconds"
        "-timeout=$(timeout_for "$target")"
        -print_final_stats=1
    )
    dict="$FUZZ_DIR/dicts/$(dict_for "$target").dict"
    [[ -f "$dict" ]] && libfuzzer_args+=("-dict=$dict")
    # shellcheck disable=SC2206
    [[ -n "${FUZZ_ARGS:-}" ]] && libfuzzer_args+=($FUZZ_ARGS)
    before="$(ls "$artifacts")"
    log="$logs/$target.log"
    echo "== $target: ${seconds}s (log: ${log#"$ROOT"/})"
    status=0
    "${cargo_cmd[@]}" fuzz run --sanitizer "$sanitizer" "$target" "${corpora[@]}" \
        -- "${libfuzzer_args[@]}" >"$log" 2>&1 || status=$?

    execs="$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)"
    rate="$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)"
    done_line="$(grep -E '^#[0-9]+[[:space:]]+DONE' "$log" | tail -1 || true)"
    if [[ -z "$execs" && -n "$done_line" ]]; then
        execs="$(sed -E 's/^#([0-9]+).*/\1/' <<<"$done_line")"
    fi
    if [[ -z "$rate" && -n "$done_line" ]]; then
        rate="$(sed -nE 's/.*exec\/s: ([0-9]+).*/\1/p' <<<"$done_line")"
    fi
    last_status="$(grep -E '^#[0-9]+' "$log" | tail -1 || true)"
    cov="$(sed -nE 's/.* cov: ([0-9]+).*/\1/p' <<<"$last_status")"
    corp="$(sed -nE 's/.* corp: ([0-9]+\/[0-9]+[a-zA-Z]*).*/\1/p' <<<"$last_status")"
    new_artifacts="$(comm -13 <(echo "$before") <(ls "$artifacts") | sed '/^$/d' | tr '\n' ' ')"
    if [[ -n "$new_artifacts" ]]; then
        findings="$new_artifacts"
        found=1
        echo "   FINDING: $(grep -m1 -E "panicked at|ERROR: (libFuzzer|AddressSanitizer|LeakSanitizer)" "$log" || echo "see log")"
        grep -m1 -A3 "panicked at" "$log" | sed 's/^/   /' || true
    elif [[ $status -ne 0 ]]; then
        findings="error (exit $status, no artifact; see log)"
        found=1
    else
        findings="none"
    fi
    line="$(printf '%-22s %12s execs %8s exec/s  cov %-6s corp %-12s findings: %s' \
        "$target" "${execs:-?}" "${rate:-?}" "${cov:-?}" "${corp:-?}" "$findings")"
    echo "   $line"
    summary+=("$line")
done

echo
echo "== summary (${seconds}s per target, sanitizer: $sanitizer)"
printf '%s\n' "${summary[@]}"
exit "$found"
