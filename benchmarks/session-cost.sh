#!/usr/bin/env bash
# What client sessions (thesis §6.3, exactly-once writes) cost: the same writes with and without kvbench --sessions
# on one 3-node raftkv cluster on loopback (fsync on, default settings), at 1, 16 and 64 closed-loop clients.
# Runs alternate (plain, sessions; then sessions, plain) so that drift of a shared machine falls on both alike;
# prints one Markdown table per round: ops/s, put p50/p99, server CPU µs per put (three nodes summed), generator
# CPU µs per put, and the sessions/plain ratios.
#
#   benchmarks/session-cost.sh [--duration 15s] [--warmup 5s] [--prime 30s] [--rounds 2] [--clients "1 16 64"]
#                              [--tmpfs] [--keep DIR]
#
# Environment: RAFTKV_JAVA_OPTS, KVBENCH_JAVA_OPTS (extra JVM flags), SESSION_COST_BASE_PORT (default 17300).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
duration=15s; warmup=5s; prime=30s; rounds=2; keep=""; tmpfs=""; client_counts="1 16 64"
while [[ $# -gt 0 ]]; do
  case "$1" in
    --duration) duration="$2"; shift 2 ;;
    --warmup) warmup="$2"; shift 2 ;;
    --prime) prime="$2"; shift 2 ;;
    --rounds) rounds="$2"; shift 2 ;;
    --clients) client_counts="$2"; shift 2 ;;
    --tmpfs) tmpfs=1; shift ;;
    --keep) keep="$2"; shift 2 ;;
    -h|--help) sed -n '2,11p' "$0"; exit 0 ;;
    *) echo "session-cost: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done
base="${SESSION_COST_BASE_PORT:-17300}"
work="$(mktemp -d ${tmpfs:+-p /dev/shm} -t session-cost.XXXXXX)"
results="${keep:-$work/results}"
mkdir -p "$results"
pids=()
cleanup() {
  local p
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  sleep 2
  for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done
  rm -rf "$work/raftkv"
  [[ -n "$keep" ]] || rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
log() { echo "session-cost: $*" >&2; }

raftkv_jar="$root/kv-server/target/raftkv.jar"
kvbench_jar="$root/benchmarks-etcd/target/kvbench.jar"
if [[ ! -f "$raftkv_jar" || ! -f "$kvbench_jar" ]]; then
  log "building raftkv.jar and kvbench.jar (first run)..."
  (cd "$root" && mvn -B -q -DskipTests package -pl kv-server,benchmarks-etcd -am) >&2
fi

# shellcheck source=compare-lib.sh
source "$root/benchmarks/compare-lib.sh"
start_raftkv_cluster raftkv "$base" "$work/raftkv" || { log "raftkv did not elect a leader; see $results/raftkv-n1.log"; exit 1; }
endpoints="$raftkv_endpoints"; cpu="$raftkv_cpu"

bench() { # out-file args...
  local out="$1"; shift
  # shellcheck disable=SC2068
  java ${KVBENCH_JAVA_OPTS:-} -jar "$kvbench_jar" --endpoints "$endpoints" --value-size 100 --keys 100000 --quiet \
    --cpu-pids "$cpu" --out "$out" $@ >"$out.log" 2>&1 || log "run failed: $(tail -n 3 "$out.log")"
}

log "priming with 64-client writes for $prime (not measured)"
bench "$results/prime.json" --clients 64 --duration 1s --warmup "$prime"
load_start="$(cut -d' ' -f1-3 /proc/loadavg)"
for r in $(seq "$rounds"); do
  order=(plain sessions); (( r % 2 == 0 )) && order=(sessions plain)
  for c in $client_counts; do
    for mode in "${order[@]}"; do
      log "round $r, $c client(s), $mode (load average $(cut -d' ' -f1-3 /proc/loadavg))"
      bench "$results/$mode-w${c}r$r.json" --clients "$c" --duration "$duration" --warmup "$warmup" \
        $([[ $mode == sessions ]] && echo --sessions)
    done
  done
done

echo
echo "client sessions vs plain puts: 3 raftkv nodes on loopback, fsync on, 100 B values, 100k keys, closed loop,"
echo "measured $duration after $warmup warm-up per run, cluster primed $prime; $(nproc) cores, $(uname -sr)"
echo "data: $([[ -n "$tmpfs" ]] && echo "tmpfs (/dev/shm)" || echo "$(df -P "$work" | awk 'NR==2 {print $1}')")"
args=()
for r in $(seq "$rounds"); do
  for c in $client_counts; do args+=("w${c}r$r=put, $c client(s), round $r"); done
done
java -cp "$kvbench_jar" io.raftkv.bench.load.CompareTable "$results" --systems=sessions,plain "${args[@]}"
echo "load average at the start $load_start, at the end $(cut -d' ' -f1-3 /proc/loadavg)"
[[ -n "$keep" ]] && echo "results kept in $results"
exit 0
