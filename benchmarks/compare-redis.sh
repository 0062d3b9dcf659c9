#!/usr/bin/env bash
# raftkv next to Redis, same machine, same load generator (redis-benchmark), in one run:
#   redis-benchmark -t set and -t get, 50 connections, 100 B values, 100k random keys, at -P 1 and -P 16,
# against (1) a 3-node durable raftkv (bin/raftkv serve --resp x3, every write fsynced on a majority),
# (2) a single redis-server without persistence, (3) a single redis-server with appendonly yes + appendfsync always.
# One system at a time; stops everything it started; prints one Markdown table: ops/s, p50/p99 (ms), and server
# CPU microseconds per operation (user+system CPU of the server processes, read from /proc before and after each
# test, divided by its requests; for raftkv the three nodes summed).
#
#   benchmarks/compare-redis.sh [--tmpfs] [--requests-p1 200000] [--requests-p16 1000000] [--prime 300000]
#                               [--only raftkv|redis] [--keep DIR]
#
# raftkv runs on the JVM: before its first test each fresh cluster gets --prime unmeasured pipelined SETs so that
# the numbers are those of its steady state, not of its JIT compiler (the Redis servers get the same priming).
# redis-benchmark talks to raftkv's leader (found through /status), as a Redis client talks to a primary; a
# follower would forward the writes to it.
# --tmpfs puts every system's data under /dev/shm: no disk, so the CPU figures are not the disk's weather.
#
# Environment: RAFTKV_JAVA_OPTS  extra JVM flags for the raftkv nodes
#              RAFTKV_JAR        the jar bin/raftkv runs (default kv-server/target/raftkv.jar)
#              REDIS_SERVER, REDIS_BENCHMARK  the binaries (default: on PATH; Debian's redis-server/redis-tools)
#              COMPARE_BASE_PORT first of the ports used (default 17300; uses base..base+40)
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
requests_p1=200000
requests_p16=1000000
prime=300000
only=""
keep=""
tmpfs=""
while [[ $# -gt 0 ]]; do
  case "$1" in
    --requests-p1) requests_p1="$2"; shift 2 ;;
    --requests-p16) requests_p16="$2"; shift 2 ;;
    --prime) prime="$2"; shift 2 ;;
    --tmpfs) tmpfs=1; shift ;;
    --only) only="$2"; shift 2 ;;
    --keep) keep="$2"; shift 2 ;;
    -h|--help) sed -n '2,24p' "$0"; exit 0 ;;
    *) echo "compare-redis: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done

log() { echo "compare-redis: $*" >&2; }
base="${COMPARE_BASE_PORT:-17300}"
redis_server="${REDIS_SERVER:-redis-server}"
redis_benchmark="${REDIS_BENCHMARK:-redis-benchmark}"
command -v "$redis_benchmark" >/dev/null || { log "needs redis-benchmark (Debian: apt-get install redis-tools)"; exit 2; }
if [[ -n "$tmpfs" ]]; then
  [[ -d /dev/shm && -w /dev/shm ]] || { log "--tmpfs needs a writable /dev/shm"; exit 2; }
  work="$(mktemp -d /dev/shm/compare-redis.XXXXXX)"
else
  work="$(mktemp -d -t compare-redis.XXXXXX)"
fi
results="${keep:-$work/results}"
mkdir -p "$results"
pids=()
rows=()

# shellcheck source=compare-lib.sh
source "$root/benchmarks/compare-lib.sh"
cleanup() {
  stop_all
  rm -rf "$work/raftkv" "$work/redis-"*
  [[ -n "$keep" ]] || rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM


cpu_ticks() { # pids...: user+system clock ticks of the processes, summed
  local p t=0
  for p in "$@"; do
    t=$((t + $(awk '{ print $14 + $15 }' "/proc/$p/stat")))
  done
  echo "$t"
}
hz="$(getconf CLK_TCK)"

# measure SYSTEM PORT PIDS...: the four tests against host 127.0.0.1:PORT; one table row each
measure() {
  local system="$1" port="$2"; shift 2
  local pidlist=("$@") p test n before after csv
  log "$system: priming with $prime pipelined SETs (not measured)"
  "$redis_benchmark" -p "$port" -t set -c 50 -P 16 -d 100 -r 100000 -n "$prime" -q >/dev/null 2>&1 || true
  for p in 1 16; do
    for test in set get; do
      n=$([[ $p == 1 ]] && echo "$requests_p1" || echo "$requests_p16")
      log "$system: $test -P $p, $n requests, load average $(cut -d' ' -f1-3 /proc/loadavg)"
      before="$(cpu_ticks "${pidlist[@]}")"
      csv="$("$redis_benchmark" -p "$port" -t "$test" -c 50 -P "$p" -d 100 -r 100000 -n "$n" --csv 2>/dev/null \
             | tail -n 1)" || csv=""
      after="$(cpu_ticks "${pidlist[@]}")"
      echo "$csv" >"$results/$system-$test-P$p.csv"
      # "SET","rps","avg","min","p50","p95","p99","max"
      rows+=("$(echo "$csv" | awk -F'","' -v sys="$system" -v t="${test^^}" -v p="$p" -v n="$n" \
                -v cpu="$((after - before))" -v hz="$hz" '{
          gsub(/"/, "", $2); gsub(/"/, "", $5); gsub(/"/, "", $7)
          printf "%s|%s -P %s|%.0f|%.2f|%.2f|%.1f\n", sys, t, p, $2, $5, $7, cpu * 1e6 / hz / n }')")
    done
  done
}

run_redis() { # port name extra-args...
  local port="$1" name="$2"; shift 2
  mkdir -p "$work/redis-$name"
  "$redis_server" --port "$port" --bind 127.0.0.1 --dir "$work/redis-$name" --save '' --daemonize no "$@" \
    >"$results/redis-$name.log" 2>&1 &
  local pid=$!
  pids+=("$pid")
  if ! wait_until "redis-server ($name)" 20 "$redis_benchmark" -p "$port" -t ping -n 1 -q; then
    log "redis-server $name did not start: $(tail -n 2 "$results/redis-$name.log")"
    stop_all
    return
  fi
  measure "redis $name" "$port" "$pid"
  stop_all
}

run_raftkv() {
  local raftkv_jar="${RAFTKV_JAR:-$root/kv-server/target/raftkv.jar}"
  if [[ ! -f "$raftkv_jar" ]]; then
    log "building raftkv.jar (first run)..."
    (cd "$root" && mvn -B -q -DskipTests package -pl kv-server -am) >&2
  fi
  local peers="" i
  for i in 1 2 3; do peers+="${peers:+,}n$i=127.0.0.1:$((base + 20 + i))"; done
  log "starting 3-node raftkv in $work/raftkv"
  local cpu=()
  for i in 1 2 3; do
    # JAVA_OPTS reaches the JVM through bin/raftkv, which execs java (so $! is the JVM's pid).
    JAVA_OPTS="${RAFTKV_JAVA_OPTS:-}" RAFTKV_JAR="$raftkv_jar" "$root/bin/raftkv" serve --id "n$i" \
      --data "$work/raftkv/n$i" --raft "127.0.0.1:$((base + 20 + i))" --http "127.0.0.1:$((base + 30 + i))" \
      --resp "127.0.0.1:$((base + 10 + i))" --peers "$peers" >"$results/raftkv-n$i.log" 2>&1 &
    pids+=($!); cpu+=($!)
  done
  leader() {
    curl -s -m 1 "http://127.0.0.1:$((base + 31))/status" | grep -o '"leader":"n[0-9]"' | grep -o '[0-9]'
  }
  if ! wait_until "raftkv to elect a leader" 60 leader; then
    log "raftkv did not start; see $results/raftkv-n1.log"
    stop_all
    return 1
  fi
  local l
  l="$(leader)"
  log "raftkv leader is n$l: redis-benchmark talks to its RESP port"
  measure "raftkv 3 nodes" "$((base + 10 + l))" "${cpu[@]}"
  stop_all
}

load_start="$(cut -d' ' -f1-3 /proc/loadavg)"
[[ "$only" == "redis" ]] || run_raftkv
if [[ "$only" != "raftkv" ]]; then
  if command -v "$redis_server" >/dev/null; then
    run_redis $((base + 1)) "no persistence" --appendonly no
    run_redis $((base + 2)) "appendfsync always" --appendonly yes --appendfsync always
  else
    log "no redis-server on PATH (Debian: apt-get install redis-server): Redis rows left out"
  fi
fi

# --- report --------------------------------------------------------------------------------------------------
echo
echo "raftkv (3 nodes, RESP) vs Redis (1 node) under redis-benchmark: 50 connections, 100 B values, 100k random keys"
echo "data: $([[ -n "$tmpfs" ]] && echo "tmpfs (/dev/shm): no disk" || echo "$(df -P "$work" | awk 'NR==2 {print $1}') (the real disk)")"
echo "machine: $(nproc) cores, $(uname -sr); $("$redis_benchmark" --version 2>/dev/null | head -n 1)"
echo
echo "| system | test | ops/s | p50 ms | p99 ms | server CPU µs/op | vs Redis fsync always |"
echo "|---|---|---:|---:|---:|---:|---:|"
declare -A aof
for r in "${rows[@]}"; do
  IFS='|' read -r sys test ops p50 p99 cpu <<<"$r"
  [[ "$sys" == "redis appendfsync always" ]] && aof["$test"]="$ops"
done
for r in "${rows[@]}"; do
  IFS='|' read -r sys test ops p50 p99 cpu <<<"$r"
  ratio=""
  if [[ -n "${aof[$test]:-}" && "${aof[$test]}" != 0 ]]; then
    ratio="$(awk -v a="$ops" -v b="${aof[$test]}" 'BEGIN { printf "%.2fx", a / b }')"
  fi
  echo "| $sys | $test | $ops | $p50 | $p99 | $cpu | $ratio |"
done
echo
echo "load average at the start $load_start, at the end $(cut -d' ' -f1-3 /proc/loadavg)"
[[ -n "$keep" ]] && echo "results kept in $results"
exit 0
