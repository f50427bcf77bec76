#!/usr/bin/env bash
# Cluster benchmark (issue 11 "Performance"): `satchel bench` against a standalone server and against clusters of
# 1, 2 and 3 members (separate JVMs on loopback, owners 2), the load spread over all members, for setget and
# newend. Steady state: before each measured run, an unmeasured warm-up run of WARMUP_RUN seconds (default 90:
# with the members sharing one core, C2 keeps compiling Infinispan/JGroups code for minutes, and runs shorter
# than that measure the JIT, not the server). Prints one row per run: requests/s and p50/p99 latency (from the
# bench's measured window) and server CPU per request: the summed utime+stime of all member JVMs from
# /proc/PID/stat over a window inside the measured run (it starts 1 s after the bench's own warm-up and ends
# 1 s before the run does), divided by the responses the members counted in that window (satchel_commands on
# /metrics). With THREADS=1, also that CPU by thread group (from /proc/PID/task/*/stat, thread names with their
# numbers stripped; threads that ended inside the window are not counted, so the groups may sum to less than
# the total), and its sum without the JIT compiler threads (still busy if the warm-up was too short for the
# machine's load). Then, unless HEAP=0, the heap each member holds with 3 members, owners 2, after loading the
# same data set into the cluster and into a standalone server (after a full GC).
#
#   scripts/cluster-bench.sh                                  (everything; ~5 minutes)
#   CONFIGS="standalone 3" WORKLOADS=setget scripts/cluster-bench.sh
#   SECONDS_PER_RUN=20 WARMUP=5 CONNECTIONS=48 PIPELINE=4 scripts/cluster-bench.sh
#   SHAPES="24x16 16x16 48x4"         several measured runs on the same warmed-up servers, one per shape
#                                     (CONNECTIONSxPIPELINE; the warm-up run uses the first): compares load
#                                     shapes in one run, with the JIT in the same state (default: one run,
#                                     CONNECTIONS x PIPELINE)
#   CONFIGS=3 WORKLOADS=setget WARMUP_RUN=300 SERVER_CPUS=0,1 BENCH_CPUS=0,1 SHAPES="16x16 16x16 16x16" \
#     SECONDS_PER_RUN=20 HEAP=0 BENCH_MODE=multi-url SERVER_JAVA_OPTS="-XX:+UseG1GC -Xms2g -Xmx2g -Xmn1500m" \
#     scripts/cluster-bench.sh                                (issue 11's throughput goal, docs/performance.md)
#   WARMUP_RUN=90                     seconds of unmeasured load before each measured run (0: none)
#   THREADS=1                         CPU per request by thread group, below each row
#   SERVER_CPUS=0 BENCH_CPUS=1 ...    taskset CPU lists (default: servers on core 0, the bench on core 1, as in
#                                     docs/performance.md; SERVER_CPUS=0,1 lets the members use both cores)
#   BENCH_MODE=multi-url              one bench process with --url a,b,c (when satchel bench accepts several
#                                     URLs); default per-member: one bench process per member, results summed
#   HEAP=0                            skip the heap measurement; HEAP_SESSIONS / HEAP_KEYS / HEAP_VALUE_BYTES size it
#   THROUGHPUT=0                      skip the throughput runs (heap only)
#   SAVE_PEAK=1                       after the heap rows, SH_SAVE through member 0 and what it allocated there
#   HISTO=N                           also print the N largest classes (jmap -histo:live) of member 0 / standalone
#   KEEP_LOGS=DIR                     keep every server's log in DIR (<config>-<workload>-member<i>.log)
#
# Ports: BASE_PORT (default 27480) .. +2 WebSocket, +10.. admin, +20.. cluster, +120.. cluster failure detection.
# Needs java, curl, jq, python3, taskset; builds target/satchel.jar when it is missing.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
jar="${JAR:-$root/target/satchel.jar}"
secs="${SECONDS_PER_RUN:-10}"
warmup="${WARMUP:-3}"
warmup_run="${WARMUP_RUN:-90}"
threads="${THREADS:-0}"
conns="${CONNECTIONS:-48}"
pipeline="${PIPELINE:-4}"
read -r -a shapes <<<"${SHAPES:-${conns}x${pipeline}}"
for shape in "${shapes[@]}"; do
  if ! [[ "$shape" =~ ^[1-9][0-9]*x[1-9][0-9]*$ ]]; then
    echo "cluster-bench: SHAPES: '$shape' is not CONNECTIONSxPIPELINE" >&2
    exit 2
  fi
done
# use_shape CONNECTIONSxPIPELINE: the load shape of the next bench run
use_shape() {
  conns="${1%x*}"
  pipeline="${1#*x}"
}
read -r -a configs <<<"${CONFIGS:-standalone 1 2 3}"
read -r -a workloads <<<"${WORKLOADS:-setget newend}"
server_cpus="${SERVER_CPUS:-0}"
bench_cpus="${BENCH_CPUS:-1}"
base="${BASE_PORT:-27480}"
mode="${BENCH_MODE:-per-member}"
heap="${HEAP:-1}"
throughput="${THROUGHPUT:-1}"
heap_sessions="${HEAP_SESSIONS:-20000}"
heap_keys="${HEAP_KEYS:-5}"
heap_value="${HEAP_VALUE_BYTES:-100}"
server_opts="${SERVER_JAVA_OPTS:--XX:+UseG1GC -Xms512m -Xmx2g}"
secret="cluster-bench secret $$ $(date +%s)"
name="satchel-bench-$$"
tck="$(getconf CLK_TCK)"

[ -f "$jar" ] || (cd "$root" && mvn -q -B -DskipTests package)
work="$(mktemp -d)"
pids=()
cleanup() {
  for p in ${pids[@]+"${pids[@]}"}; do kill -9 "$p" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

ws_port() { echo $((base + $1)); }
admin_port() { echo $((base + 10 + $1)); }
cluster_port() { echo $((base + 20 + $1)); }

# start_servers standalone|N: starts the server(s); sets pids
start_servers() {
  local cfg="$1" n members="" i
  pids=()
  if [ "$cfg" = standalone ]; then
    # shellcheck disable=SC2086
    taskset -c "$server_cpus" java $server_opts -jar "$jar" server --bind 127.0.0.1 --port "$(ws_port 0)" \
      --admin-bind 127.0.0.1 --admin-port "$(admin_port 0)" ${SAVE_PEAK:+--persist-path "$work/data0"} \
      >"$work/member0.log" 2>&1 &
    pids+=($!)
  else
    n="$cfg"
    for ((i = 0; i < n; i++)); do members+="${members:+,}127.0.0.1:$(cluster_port "$i")"; done
    for ((i = 0; i < n; i++)); do
      # shellcheck disable=SC2086
      SATCHEL_CLUSTER_SECRET="$secret" taskset -c "$server_cpus" java $server_opts -jar "$jar" server \
        --bind 127.0.0.1 --port "$(ws_port "$i")" --admin-bind 127.0.0.1 --admin-port "$(admin_port "$i")" \
        --cluster --cluster-name "$name" --cluster-bind 127.0.0.1 --cluster-port "$(cluster_port "$i")" \
        --cluster-members "$members" --cluster-owners 2 ${SAVE_PEAK:+--persist-path "$work/data$i"} \
        >"$work/member$i.log" 2>&1 &
      pids+=($!)
    done
  fi
  local t0=$SECONDS
  for ((i = 0; i < ${#pids[@]}; i++)); do
    until [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$(admin_port "$i")/health/ready")" = 200 ]; do
      if ! kill -0 "${pids[$i]}" 2>/dev/null || [ $((SECONDS - t0)) -gt 300 ]; then
        echo "cluster-bench: member $i of '$cfg' did not become ready; its log:" >&2
        tail -n 40 "$work/member$i.log" >&2
        exit 1
      fi
      sleep 0.2
    done
  done
  echo "# $cfg: ready after $((SECONDS - t0)) s" >&2
}

stop_servers() { # stop_servers [log-name-prefix]
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do
    for _ in $(seq 600); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$p" 2>/dev/null || true
  done
  if [ -n "${KEEP_LOGS:-}" ] && [ -n "${1:-}" ]; then
    mkdir -p "$KEEP_LOGS"
    for ((i = 0; i < ${#pids[@]}; i++)); do cp "$work/member$i.log" "$KEEP_LOGS/$1-member$i.log"; done
  fi
  pids=()
}

server_ticks() {
  local sum=0 p t
  for p in "${pids[@]}"; do
    t="$(awk '{print $14 + $15}' "/proc/$p/stat")"
    sum=$((sum + t))
  done
  echo "$sum"
}

# served_total: responses counted by all members (satchel_commands on /metrics)
served_total() {
  local sum=0 i v
  for ((i = 0; i < ${#pids[@]}; i++)); do
    v="$(curl -s "http://127.0.0.1:$(admin_port "$i")/metrics" | awk '/^satchel_commands_total/ {s += $NF}
      END {printf "%d", s}')"
    sum=$((sum + v))
  done
  echo "$sum"
}

# thread_ticks FILE: "pid/tid group ticks" of every thread of every member
thread_ticks() {
  local p
  for p in "${pids[@]}"; do
    # comm is field 2 in parentheses and may hold spaces and ')': the fields after it start at the last ") X "
    awk -v p="$p" '{ o = index($0, "("); c = 0; for (i = length($0); i > o; i--) if (substr($0, i, 1) == ")") { c = i; break }
        g = substr($0, o + 1, c - o - 1); n = split(substr($0, c + 2), a, " ")
        sub(/[-#_,][0-9].*$/, "", g); sub(/[-#_ .0-9,]+$/, "", g)
        if (g == "") g = substr($0, o + 1, c - o - 1)
        printf "%s/%s\t%s\t%d\n", p, substr($0, 1, o - 2), g, a[12] + a[13] }' /proc/"$p"/task/*/stat 2>/dev/null
  done >"$1"
}

# window N SECONDS_FROM_START LENGTH: snapshots server CPU and responses at the window's edges (in the background)
window() {
  sleep "$2"
  server_ticks >"$work/ticks0"; served_total >"$work/served0"; [ "$threads" = 1 ] && thread_ticks "$work/threads0"
  sleep "$3"
  server_ticks >"$work/ticks1"; served_total >"$work/served1"; [ "$threads" = 1 ] && thread_ticks "$work/threads1"
  true
}

# run_bench N workload [seconds]: prints "rps p50 p99 requests errors failure" for the run; with no seconds
# given, the measured run (secs) with the CPU window snapshots
run_bench() {
  local n="$1" w="$2" secs="${3:-$secs}" i urls="" per window_pid=""
  if [ -z "${3:-}" ]; then
    rm -f "$work"/ticks? "$work"/served? "$work"/threads?
    # JVM start (~1-2 s) + the bench's warm-up + 1 s, for the measured time less 3 s
    window "$n" "$((warmup + 3))" "$((secs - 3))" &
    window_pid=$!
  fi
  rm -f "$work"/bench*.json
  if [ "$mode" = multi-url ] || [ "$n" = 1 ]; then
    for ((i = 0; i < n; i++)); do urls+="${urls:+,}ws://127.0.0.1:$(ws_port "$i")"; done
    taskset -c "$bench_cpus" java -jar "$jar" bench --url "$urls" -w "$w" -c "$conns" -P "$pipeline" -t "$secs" \
      --warmup "$warmup" -q --json >"$work/bench0.json"
  else
    per=$((conns / n))
    local bench_pids=()
    for ((i = 0; i < n; i++)); do
      taskset -c "$bench_cpus" java -jar "$jar" bench --url "ws://127.0.0.1:$(ws_port "$i")" -w "$w" -c "$per" \
        -P "$pipeline" -t "$secs" --warmup "$warmup" -q --json >"$work/bench$i.json" &
      bench_pids+=($!)
    done
    for p in "${bench_pids[@]}"; do wait "$p" || true; done
  fi
  [ -z "$window_pid" ] || wait "$window_pid"
  # sum of requests/s and requests; p50 = requests-weighted mean of the processes' p50, p99 = the worst p99
  jq -s -r '[ (map(.rps) | add), ((map(.latencyMs.p50 * .requests) | add) / (map(.requests) | add)),
              (map(.latencyMs.p99) | max), (map(.requests) | add), (map(.errors + .setupErrors) | add),
              (map(.failure // "") | join(" ")) ] | @tsv' "$work"/bench*.json
}

[ "$throughput" = 1 ] || configs=()
echo "# cluster-bench $(date -u +%FT%TZ): ${secs}s measured after ${warmup}s warm-up, shapes ${shapes[*]}" \
  "(connections x requests in flight per connection, in total), servers on CPUs $server_cpus, bench on CPUs" \
  "$bench_cpus, mode $mode; load average" \
  "$(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-10s %-8s %-7s %12s %9s %9s %14s %8s\n' config workload shape "req/s" "p50 ms" "p99 ms" "CPU us/req" errors
for cfg in ${configs[@]+"${configs[@]}"}; do
  for w in "${workloads[@]}"; do
    start_servers "$cfg"
    n=$([ "$cfg" = standalone ] && echo 1 || echo "$cfg")
    if [ "$warmup_run" -gt 0 ]; then
      use_shape "${shapes[0]}"
      IFS=$'\t' read -r wrps _ < <(run_bench "$n" "$w" "$warmup_run")
      echo "# $cfg $w: warm-up run of $warmup_run s: $(printf '%.0f' "$wrps") req/s" >&2
    fi
    for shape in "${shapes[@]}"; do
      use_shape "$shape"
      IFS=$'\t' read -r rps p50 p99 requests errors failure < <(run_bench "$n" "$w")
      served=$(($(cat "$work/served1") - $(cat "$work/served0")))
      cpu_us="$(awk -v t="$(($(cat "$work/ticks1") - $(cat "$work/ticks0")))" -v hz="$tck" -v r="$served" \
        'BEGIN { if (r > 0) printf "%.1f", t / hz * 1e6 / r; else print "-" }')"
      printf '%-10s %-8s %-7s %12.0f %9.2f %9.2f %14s %8s %s\n' "$cfg" "$w" "$shape" "$rps" "$p50" "$p99" "$cpu_us" \
        "$errors" "$failure"
      if [ "$threads" = 1 ] && [ "$served" -gt 0 ]; then
        # by thread group, largest first: us/req and share of the total
        awk -F'\t' -v hz="$tck" -v r="$served" 'NR == FNR { before[$1] = $3; next }
          { g[$2] += $3 - (($1 in before) ? before[$1] : 0) }
          END { for (k in g) if (g[k] > 0) printf "%s\t%.2f\n", k, g[k] / hz * 1e6 / r }' \
          "$work/threads0" "$work/threads1" | sort -t$'\t' -k2,2 -g -r |
          awk -F'\t' '{ printf "    %-28s %8s us/req\n", $1, $2; if ($1 !~ /Compiler/) rest += $2 }
            END { printf "    %-28s %8.2f us/req\n", "(all but the JIT compilers)", rest }'
      fi
    done
    stop_servers "$cfg-$w"
  done
done

if [ "$heap" = 1 ]; then
  # heap_used_kib PID: used heap after a full GC
  heap_used_kib() {
    jcmd "$1" GC.run >/dev/null
    sleep 1
    jcmd "$1" GC.heap_info | grep -o 'used [0-9]*K' | head -1 | tr -dc 0-9
  }
  populate() { # populate N_MEMBERS: HEAP_SESSIONS sessions x HEAP_KEYS keys through the members in turn
    python3 - "$1" "$base" "$heap_sessions" "$heap_keys" "$heap_value" <<'PY'
import base64, os, socket, struct, sys, json
members, base, sessions, keys, size = (int(a) for a in sys.argv[1:])

class Ws:
    def __init__(self, port):
        self.s = socket.create_connection(("127.0.0.1", port))
        key = base64.b64encode(os.urandom(16)).decode()
        self.s.sendall(("GET / HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                        "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n\r\n" % (port, key)).encode())
        self.buf = b""
        while b"\r\n\r\n" not in self.buf:
            self.buf += self.s.recv(65536)
        head, self.buf = self.buf.split(b"\r\n\r\n", 1)
        assert b" 101 " in head.split(b"\r\n")[0], head
    def send(self, texts):
        out = []
        for t in texts:
            p = t.encode()
            n = len(p)
            h = bytes([0x81]) + (bytes([0x80 | n]) if n < 126 else bytes([0xFE]) + struct.pack("!H", n)
                                 if n < 65536 else bytes([0xFF]) + struct.pack("!Q", n))
            out.append(h + b"\0\0\0\0" + p)  # a zero masking key: the payload goes as it is
        self.s.sendall(b"".join(out))
    def recv(self, count):
        res = []
        while len(res) < count:
            while True:
                if len(self.buf) >= 2:
                    n = self.buf[1] & 0x7F
                    off = 2
                    if n == 126 and len(self.buf) >= 4:
                        n = struct.unpack("!H", self.buf[2:4])[0]; off = 4
                    elif n == 127 and len(self.buf) >= 10:
                        n = struct.unpack("!Q", self.buf[2:10])[0]; off = 10
                    elif n >= 126:
                        n = None
                    if n is not None and len(self.buf) >= off + n:
                        res.append(self.buf[off:off + n].decode())
                        self.buf = self.buf[off + n:]
                        break
                self.buf += self.s.recv(1 << 20)
        return res

conns = [Ws(base + i) for i in range(members)]
value = json.dumps("v" * size)
batch = 500
made = 0
while made < sessions:
    c = conns[(made // batch) % members]
    todo = min(batch, sessions - made)
    c.send(['{"SH_NEW":{}}'] * todo)
    tokens = [json.loads(r)["SH_NEW_RSP"]["tkn"] for r in c.recv(todo)]
    sets = ['{"SH_SET":{"tkn":%s,"keys":{%s}}}' % (json.dumps(t), ",".join('"key%d":%s' % (k, value) for k in range(keys)))
            for t in tokens]
    c = conns[(made // batch + 1) % members]  # written through another member than the one that created it
    c.send(sets)
    for r in c.recv(todo):
        assert r == '{"SH_SET_RSP":{"st":1}}', r
    made += todo
conns[0].send(['{"SH_INFO_ALL":{}}'])
print(conns[0].recv(1)[0])
PY
  }
  echo
  echo "# heap after a full GC: $heap_sessions sessions x $heap_keys keys x $heap_value-byte values"
  printf '%-10s %-8s %14s %14s %14s %16s\n' config member "before KiB" "after KiB" "data KiB" "entries held"
  for cfg in standalone 3; do
    start_servers "$cfg"
    declare -a before=()
    for ((i = 0; i < ${#pids[@]}; i++)); do before[i]="$(heap_used_kib "${pids[$i]}")"; done
    n=$([ "$cfg" = standalone ] && echo 1 || echo "$cfg")
    echo "# $cfg: $(populate "$n")" >&2
    sleep 5 # let a rebalance settle
    total=0
    for ((i = 0; i < ${#pids[@]}; i++)); do
      after="$(heap_used_kib "${pids[$i]}")"
      # copies of sessions this member holds (primary + backup), from its metrics (cluster mode only)
      held="$(curl -s "http://127.0.0.1:$(admin_port "$i")/metrics" | awk '/^satchel_cluster_local_entries/ {printf "%d", $NF}')"
      printf '%-10s %-8s %14s %14s %14s %16s\n' "$cfg" "$i" "${before[i]}" "$after" "$((after - before[i]))" \
        "${held:--}"
      total=$((total + after - before[i]))
      if [ -n "${HISTO:-}" ] && [ "$i" = 0 ]; then # where the heap goes: the largest classes of member 0
        echo "# jmap -histo:live, $cfg member 0 (top $HISTO classes)" >&2
        jmap -histo:live "${pids[$i]}" | head -n $((HISTO + 3)) >&2
      fi
    done
    printf '%-10s %-8s %14s %14s %14s\n' "$cfg" all "" "" "$total"
    if [ "${SAVE_PEAK:-0}" = 1 ]; then
      # what SH_SAVE through member 0 allocates there: heap used just before and just after (no GC in between:
      # run with a young generation larger than the save needs, e.g. SERVER_JAVA_OPTS="-Xms3g -Xmx3g -Xmn2g")
      gcs() { jstat -gc "$1" | awk 'NR == 1 {for (i = 1; i <= NF; i++) if ($i == "YGC" || $i == "FGC") c[i] = 1}
        NR == 2 {n = 0; for (i in c) n += $i; print n}'; }
      used_kib() { jcmd "$1" GC.heap_info | grep -o 'used [0-9]*K' | head -1 | tr -dc 0-9; }
      g0="$(gcs "${pids[0]}")"; u0="$(used_kib "${pids[0]}")"
      java -jar "$jar" cli --url "ws://127.0.0.1:$(ws_port 0)" '{"SH_SAVE":{"name":"peak"}}' >&2
      u1="$(used_kib "${pids[0]}")"; g1="$(gcs "${pids[0]}")"
      echo "# SH_SAVE through member 0 ($cfg): heap used $u0 KiB -> $u1 KiB (allocated $((u1 - u0)) KiB; GCs during it: $((g1 - g0)))"
    fi
    stop_servers "$cfg-heap"
  done
fi
