#!/usr/bin/env bash
# Measures Satchel with the neutral load generator of shared/bench/loadgen, the way the reference figures
# in the issues were taken: server pinned to core 0, load generator pinned to core 1, 50 connections x 16
# requests in flight, 100-byte values, warm-up first. Prints one line per run; repeat with ROUNDS to get
# medians on a noisy machine.
#
#   scripts/loadgen-bench.sh [workload ...]          (default: setget newend kvset)
#   ROUNDS=3 SECONDS_PER_RUN=10 WARMUP=5 scripts/loadgen-bench.sh setget
#   JAR=/path/to/other/satchel.jar scripts/loadgen-bench.sh   (compare a baseline build in the same run)
#   SERVER_ARGS="--journal everysec" PORT=19871 scripts/loadgen-bench.sh kvset setget
#       (server flags; with --journal and no --persist-path each run gets a fresh data directory in the
#       work directory, so every run starts with an empty journal)
#
# Needs node and npm (Debian: apt-get install nodejs npm) and the loadgen directory next to the project
# (../shared/bench/loadgen) or LOADGEN_DIR.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
loadgen_src="${LOADGEN_DIR:-$root/../shared/bench/loadgen}"
jar="${JAR:-$root/target/satchel.jar}"
rounds="${ROUNDS:-1}"
secs="${SECONDS_PER_RUN:-10}"
warmup="${WARMUP:-5}"
port="${PORT:-19870}"
read -r -a server_args <<<"${SERVER_ARGS:-}"
workloads=("$@")
[ ${#workloads[@]} -gt 0 ] || workloads=(setget newend kvset)

[ -f "$jar" ] || (cd "$root" && mvn -q -B -DskipTests package)
work="$(mktemp -d)"
trap 'kill "${server_pid:-0}" 2>/dev/null || true; rm -rf "$work"' EXIT
cp -r "$loadgen_src" "$work/loadgen"
chmod -R u+w "$work/loadgen"
(cd "$work/loadgen" && npm ci --silent --no-audit --no-fund >/dev/null)

for round in $(seq "$rounds"); do
  for w in "${workloads[@]}"; do
    data_args=()
    if [[ " ${SERVER_ARGS:-} " == *" --journal "* && " ${SERVER_ARGS:-} " != *" --persist-path "* ]]; then
      rm -rf "$work/data"
      data_args=(--persist-path "$work/data")
    fi
    taskset -c 0 java -XX:+UseG1GC -Xms1g -XX:+AlwaysPreTouch -jar "$jar" server --port "$port" --admin-port 0 \
      ${server_args[@]+"${server_args[@]}"} ${data_args[@]+"${data_args[@]}"} >"$work/server.log" 2>&1 &
    server_pid=$!
    for _ in $(seq 300); do
      grep -q "listening" "$work/server.log" 2>/dev/null && break
      sleep 0.2
    done
    if ! grep -q "listening" "$work/server.log"; then
      echo "the server did not start within 60 s:" >&2
      tail -n 20 "$work/server.log" >&2
      exit 1
    fi
    out="$(taskset -c 1 node "$work/loadgen/loadgen.js" --url "ws://127.0.0.1:$port" -w "$w" -c 50 -p 16 \
      -t "$secs" --warmup "$warmup" --server-pid "$server_pid" 2>&1)"
    rps="$(grep -o 'throughput [0-9]*' <<<"$out" | awk '{print $2}')"
    cpu="$(grep -o '= [0-9.]* us/req' <<<"$out" | awk '{print $2}')"
    gen="$(grep -o 'loadgen CPU [0-9.]*%' <<<"$out" | awk '{print $3}')"
    echo "round=$round workload=$w server_args=\"${SERVER_ARGS:-}\" requests_per_s=$rps server_cpu_us_per_req=$cpu loadgen_cpu=$gen"
    kill "$server_pid"
    wait "$server_pid" 2>/dev/null || true
  done
done
