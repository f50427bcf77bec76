#!/usr/bin/env bash
# The journal's figures of issue 13 (docs/performance.md, "Journal"), in one run:
#   1. kvset and setget with the neutral load generator, journal off and everysec, alternating
#      (scripts/loadgen-bench.sh with SERVER_ARGS; server on core 0, generator on core 1);
#   2. always: writes/s and p99 with 50 connections x 16 in flight (satchel bench -w kvset, and setget);
#   3. start time and replay speed for 5 M keys (1 M sessions x 5 keys): JournalStartBenchmark.
#
#   scripts/journal-bench.sh                    (all three; ROUNDS, SECONDS_PER_RUN, WARMUP as loadgen-bench.sh)
#   PARTS="1 2" scripts/journal-bench.sh        (only some of them)
#   PORT=19871 SESSIONS=200000 scripts/journal-bench.sh
# Needs what loadgen-bench.sh needs (node, npm, the loadgen directory) for part 1. Never use port 19870 here
# while someone else measures on it.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
port="${PORT:-19871}"
parts="${PARTS:-1 2 3}"
rounds="${ROUNDS:-1}"
secs="${SECONDS_PER_RUN:-8}"
warmup="${WARMUP:-4}"
jar="${JAR:-$root/target/satchel.jar}"
[ -f "$jar" ] || mvn -q -B -DskipTests package

if [[ " $parts " == *" 1 "* ]]; then
  echo "== 1. loadgen: journal off vs everysec (kvset, setget)"
  for round in $(seq "$rounds"); do
    for args in "" "--journal everysec"; do
      ROUNDS=1 SECONDS_PER_RUN="$secs" WARMUP="$warmup" PORT="$port" JAR="$jar" SERVER_ARGS="$args" \
        scripts/loadgen-bench.sh kvset setget | sed "s/^round=1/round=$round/"
    done
  done
fi

if [[ " $parts " == *" 2 "* ]]; then
  echo "== 2. always: satchel bench -c 50 -P 16"
  work="$(mktemp -d)"
  trap 'kill "${server_pid:-0}" 2>/dev/null || true; rm -rf "$work"' EXIT
  for w in kvset setget; do
    rm -rf "$work/data"
    taskset -c 0 java -XX:+UseG1GC -Xms1g -XX:+AlwaysPreTouch -jar "$jar" server --port "$port" --admin-port 0 \
      --persist-path "$work/data" --journal always >"$work/server.log" 2>&1 &
    server_pid=$!
    for _ in $(seq 300); do
      grep -q "listening" "$work/server.log" 2>/dev/null && break
      sleep 0.2
    done
    taskset -c 1 java -jar "$jar" bench --url "ws://127.0.0.1:$port" -w "$w" -c 50 -P 16 -t "$secs" \
      --warmup "$warmup" 2>&1 | tail -n 3
    kill "$server_pid"
    wait "$server_pid" 2>/dev/null || true
  done
fi

if [[ " $parts " == *" 3 "* ]]; then
  echo "== 3. start time and replay speed, ${SESSIONS:-1000000} sessions x 5 keys"
  mvn -q -B -DskipTests test-compile dependency:build-classpath -Dmdep.outputFile=target/cp.txt >&2
  log="$(mktemp)"
  if ! java -Xms6g -Xmx6g -XX:+UseG1GC -Dlogback.configurationFile=logback.xml \
    -cp "target/classes:target/test-classes:$(cat target/cp.txt)" dev.satchel.persist.JournalStartBenchmark \
    "${SESSIONS:-1000000}" 5 2>"$log"; then
    tail -n 30 "$log" >&2
    exit 1
  fi
  rm -f "$log"
fi
