#!/usr/bin/env bash
# The public API check: lists the public API of each library crate from its rustdoc JSON (with
# tools/public-api) and compares it with the committed api/<crate>.txt.
#
#   tools/public-api/check.sh                 check every library crate; a difference fails
#   tools/public-api/check.sh --bless         rewrite api/*.txt from the current tree
#   tools/public-api/check.sh aml-tls ...     only these crates (with or without --bless)
#
# Needs only cargo and the stable toolchain: rustdoc's JSON output is unstable, so it is enabled
# with RUSTC_BOOTSTRAP=1 for the rustdoc call alone.
set -euo pipefail
cd "$(dirname "$0")/../.."

all_crates=(aml-model aml-tls aml-arm aml-compute aml-emulator aml-cli)
bless=0
crates=()
for arg in "$@"; do
  case "$arg" in
    --bless) bless=1 ;;
    -h | --help) sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) echo "unknown option: $arg" >&2; exit 2 ;;
    *) crates+=("$arg") ;;
  esac
done
if [[ ${#crates[@]} -eq 0 ]]; then crates=("${all_crates[@]}"); fi

target_dir="$(cargo metadata --format-version 1 --no-deps \
  | sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')"
target_dir="${target_dir:-target}"
cargo build --quiet -p public-api
lister="$target_dir/debug/public-api"

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
mkdir -p api
# Every library crate's JSON is made (even when only some are checked), so that items of one
# crate in another's listing are written by their public paths (aml_tls::Code), not by the
# private modules they are defined in.
jsons=()
for crate in "${all_crates[@]}"; do
  RUSTC_BOOTSTRAP=1 cargo rustdoc --quiet -p "$crate" --lib -- -Z unstable-options --output-format json
  jsons+=("$target_dir/doc/${crate//-/_}.json")
done
status=0
for crate in "${crates[@]}"; do
  json="$target_dir/doc/${crate//-/_}.json"
  {
    echo "# The public API of ${crate}: tools/public-api/check.sh --bless ${crate} rewrites this file."
    "$lister" "$json" "${jsons[@]}"
  } >"$tmp/$crate.txt"
  committed="api/$crate.txt"
  if [[ $bless -eq 1 ]]; then
    if [[ -f "$committed" ]] && cmp -s "$tmp/$crate.txt" "$committed"; then
      echo "$crate: unchanged"
    else
      cp "$tmp/$crate.txt" "$committed"
      echo "$crate: wrote $committed ($(($(wc -l <"$committed") - 1)) items)"
    fi
  elif [[ ! -f "$committed" ]]; then
    echo "$crate: $committed is missing; run tools/public-api/check.sh --bless $crate" >&2
    status=1
  elif diff -u --label "$committed (committed)" --label "$committed (this tree)" \
    "$committed" "$tmp/$crate.txt"; then
    echo "$crate: public API unchanged"
  else
    echo "$crate: the public API differs from $committed (diff above: - committed, + this tree)" >&2
    status=1
  fi
done
if [[ $status -ne 0 ]]; then
  echo "If the change is intended, run tools/public-api/check.sh --bless and commit api/." >&2
fi
exit "$status"
