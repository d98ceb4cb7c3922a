#!/usr/bin/env bash
# npm run bench:instructions — instructions per request under callgrind, for the service and the bare
# baseline answering the same GET (default: max-pods). Unlike time on a shared VM, instruction counts
# repeat to within ~1 % from run to run, so they show what a change to the hot path did.
#
# Each server runs under valgrind with instrumentation off until it is warm (JIT done), then counts
# WARM more requests, zeroes the counters and counts N requests on one keep-alive connection. V8's
# compiler and GC helpers run on other threads: both the main thread's count and all threads' are shown.
# Needs valgrind (on these machines) and a built tree (npm run build); takes a minute or two.
set -euo pipefail
cd "$(dirname "$0")/.."

URL_PATH="${BENCH_PATH:-/v1/instance-types/m5.large/max-pods}"
N="${BENCH_N:-4000}"
WARM="${BENCH_WARM:-20000}"
command -v valgrind > /dev/null || { echo "valgrind is not installed"; exit 1; }
work="$(mktemp -d)"
trap 'kill $(jobs -p) 2> /dev/null || true; rm -rf "$work"' EXIT
autocannon=node_modules/.bin/autocannon

# count NAME PORT COMMAND...: prints "main all" instructions per request
count() {
  local name=$1 port=$2
  shift 2
  valgrind --tool=callgrind --separate-threads=yes --instr-atstart=no --callgrind-out-file="$work/$name.out" "$@" > "$work/$name.log" 2>&1 &
  local pid=$!
  for _ in $(seq 1 600); do curl -sf -o /dev/null "http://127.0.0.1:$port$URL_PATH" && break; sleep 0.5; done
  "$autocannon" -c 1 -a "$WARM" "http://127.0.0.1:$port$URL_PATH" > /dev/null 2>&1
  callgrind_control -i on "$pid" > /dev/null 2>&1
  "$autocannon" -c 1 -a 2000 "http://127.0.0.1:$port$URL_PATH" > /dev/null 2>&1
  callgrind_control -z "$pid" > /dev/null 2>&1
  "$autocannon" -c 1 -a "$N" "http://127.0.0.1:$port$URL_PATH" > /dev/null 2>&1
  callgrind_control -d "$pid" > /dev/null 2>&1
  kill -INT "$pid" 2> /dev/null || true
  wait "$pid" 2> /dev/null || true
  # The dump after zeroing is part 1: one file per thread, thread 1 is the main (JavaScript) thread.
  local main=0 all=0 ir
  for f in "$work/$name.out.1-"*; do
    ir=$(grep -m1 -E '^(summary|totals):' "$f" | awk '{print $2}')
    all=$((all + ir))
    [[ "$f" == *-01 ]] && main=$ir
  done
  echo "$((main / N)) $((all / N))"
}

db="$work/pgdata"
echo "service (embedded default, rate limit on, LOG_LEVEL=warn)…" >&2
# A first start creates the data directory; the measured one starts on it as a restart does.
PORT=3931 HOST=127.0.0.1 DATA_DIR="$db" LOG_LEVEL=warn node dist/src/server.js > /dev/null 2>&1 &
first=$!
for _ in $(seq 1 600); do curl -sf -o /dev/null "http://127.0.0.1:3931/readyz" && break; sleep 0.2; done
curl -sf "http://127.0.0.1:3931$URL_PATH" -o "$work/body"
ctype=$(curl -sf -o /dev/null -w '%{content_type}' "http://127.0.0.1:3931$URL_PATH")
kill -TERM "$first"; wait "$first" 2> /dev/null || true
read -r svc_main svc_all < <(PORT=3931 HOST=127.0.0.1 DATA_DIR="$db" LOG_LEVEL=warn RATE_LIMIT_MAX=10000000 count service 3931 node dist/src/server.js)

echo "baseline (bare fastify, the same bytes)…" >&2
node -e '
const [body, file, type, path] = process.argv.slice(1)
const bytes = require("fs").readFileSync(body)
require("fs").writeFileSync(file, JSON.stringify([{ method: "GET", path, contentType: type, gzip: false, body: bytes.toString("base64") }]))
' "$work/body" "$work/canned.json" "$ctype" "${URL_PATH%%\?*}"
read -r base_main base_all < <(count baseline 3932 node dist/bench/baseline-server.js "$work/canned.json" 3932)

ratio() { awk -v b="$1" -v s="$2" 'BEGIN { printf "%.2f", b / s }'; }
echo "GET $URL_PATH, instructions per request ($N requests after $WARM warm-up, one connection):"
echo "  main thread: service $svc_main, baseline $base_main, baseline ÷ service $(ratio "$base_main" "$svc_main")"
echo "  all threads: service $svc_all, baseline $base_all, baseline ÷ service $(ratio "$base_all" "$svc_all")"
