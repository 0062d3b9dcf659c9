#!/usr/bin/env bash
# The SQL plugin next to the KV plugin: single-row inserts through a 3-node `bin/raftkv serve --state-machine sql`
# cluster (kvbench --driver sql: one INSERT per request, POST /db/execute) and puts through a 3-node KV cluster, same
# machine, same load generator, same matrix: writes (100 B values, 100k keys) at 1, 16 and 64 closed-loop clients,
# then 90% linearizable reads (an indexed SELECT for SQL) at 64. One cluster at a time, loopback, fsync on, default
# settings; clients spread over all three nodes (followers hand writes to the leader). Prints one Markdown table:
# ops/s, p50/p99, server CPU µs per operation (three nodes summed), generator CPU µs per operation, sql/kv ratios.
#
#   benchmarks/compare-sql.sh [--duration 20s] [--warmup 5s] [--prime 40s] [--tmpfs] [--only sql|raftkv] [--keep DIR]
#
# Environment: RAFTKV_JAVA_OPTS, KVBENCH_JAVA_OPTS (extra JVM flags), COMPARE_BASE_PORT (default 17500).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
duration=20s; warmup=5s; prime=40s; only=""; keep=""; tmpfs=""
while [[ $# -gt 0 ]]; do
  case "$1" in
    --duration) duration="$2"; shift 2 ;;
    --warmup) warmup="$2"; shift 2 ;;
    --prime) prime="$2"; shift 2 ;;
    --tmpfs) tmpfs=1; shift ;;
    --only) only="$2"; shift 2 ;;
    --keep) keep="$2"; shift 2 ;;
    -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
    *) echo "compare-sql: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done
base="${COMPARE_BASE_PORT:-17500}"
work="$(mktemp -d ${tmpfs:+-p /dev/shm} -t compare-sql.XXXXXX)"
results="${keep:-$work/results}"
mkdir -p "$results"
pids=()
log() { echo "compare-sql: $*" >&2; }
# shellcheck source=compare-lib.sh
source "$root/benchmarks/compare-lib.sh"
cleanup() {
  stop_all
  rm -rf "$work/sql" "$work/raftkv"
  [[ -n "$keep" ]] || rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

kvbench_jar="$root/benchmarks-etcd/target/kvbench.jar"
if [[ ! -f "$root/kv-server/target/raftkv.jar" || ! -f "$kvbench_jar" ]]; then
  log "building raftkv.jar and kvbench.jar (first run)..."
  (cd "$root" && mvn -B -q -DskipTests package -pl kv-server,benchmarks-etcd -am) >&2
fi

workloads=("w1:--clients 1 --read-ratio 0.0"
           "w16:--clients 16 --read-ratio 0.0"
           "w64:--clients 64 --read-ratio 0.0"
           "r64:--clients 64 --read-ratio 0.9 --read-level linearizable")

run_plugin() { # system (kvbench driver) state-machine
  local system="$1" plugin="$2"
  log "starting 3-node --state-machine $plugin in $work/$system"
  if ! start_raftkv_cluster "$system" "$base" "$work/$system" --state-machine "$plugin"; then
    log "$system did not start; see $results/$system-n1.log"
    stop_all
    return 1
  fi
  run_matrix "$system" "$raftkv_endpoints" "$raftkv_cpu"
  stop_all
}

load_start="$(cut -d' ' -f1-3 /proc/loadavg)"
[[ "$only" == "raftkv" ]] || run_plugin sql sql
[[ "$only" == "sql" ]] || run_plugin raftkv kv

echo
echo "SQL plugin (single-row INSERT per request) vs KV plugin (PUT): 3 nodes each on loopback, fsync on, 100 B values,"
echo "100k keys, closed loop, measured $duration after $warmup warm-up (each cluster primed $prime); $(nproc) cores, $(uname -sr)"
echo "data: $([[ -n "$tmpfs" ]] && echo "tmpfs (/dev/shm)" || echo "$(df -P "$work" | awk 'NR==2 {print $1}') (the real disk)")"
echo
java -cp "$kvbench_jar" io.raftkv.bench.load.CompareTable "$results" --systems=sql,raftkv \
  "w1=write, 1 client" "w16=write, 16 clients" "w64=write, 64 clients" "r64=90% linearizable read, 64 clients"
echo "load average at the start $load_start, at the end $(cut -d' ' -f1-3 /proc/loadavg)"
[[ -n "$keep" ]] && echo "results kept in $results"
exit 0
