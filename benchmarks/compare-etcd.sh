#!/usr/bin/env bash
# raftkv next to etcd, same machine, same load generator, same workload matrix:
#   writes (100 B values, 100k keys) at 1, 16 and 64 closed-loop clients, then 90% linearizable reads at 64.
# Starts a 3-node etcd (Debian's etcd-server, installed if missing) and a 3-node raftkv (bin/raftkv serve x3),
# both on loopback with fsync on and default settings, one system at a time; stops everything it started;
# prints one Markdown table with both systems: ops/s, p50/p99, server CPU microseconds per operation (the three
# nodes summed) and the load generator's CPU microseconds per operation, and the raftkv/etcd ratios.
#
#   benchmarks/compare-etcd.sh [--duration 20s] [--warmup 5s] [--prime 40s] [--tmpfs] [--only raftkv|etcd] [--keep DIR]
#
# Each run has its own unmeasured warm-up (--warmup); before the first run each fresh cluster also gets --prime
# of unmeasured 64-client writes, the same for both systems, so that the numbers of the JVM-based raftkv are those
# of its steady state, not of its JIT compiler (etcd is compiled ahead of time and needs no such thing; a fresh
# raftkv node settles after about 30 s of this load, see docs/benchmarks.md).
# --tmpfs puts both systems' data under /dev/shm: no disk, so the CPU figures are not the disk's weather.
#
# Environment: RAFTKV_JAVA_OPTS  extra JVM flags for the raftkv nodes (e.g. a JFR recording; see docs/benchmarks.md)
#              KVBENCH_JAVA_OPTS extra JVM flags for the load generator
#              ETCD, ETCDCTL     the etcd binaries (default: etcd and etcdctl on PATH)
#              RAFTKV_JAR        the raftkv jar bin/raftkv runs (default kv-server/target/raftkv.jar)
#              COMPARE_BASE_PORT first of the ports used (default 17100; uses base..base+40)
# If etcd cannot be installed or started, raftkv's numbers are still printed with the reason etcd is missing.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
duration=20s
warmup=5s
prime=40s
only=""
keep=""
tmpfs=""
while [[ $# -gt 0 ]]; do
  case "$1" in
    --duration) duration="$2"; shift 2 ;;
    --warmup) warmup="$2"; shift 2 ;;
    --prime) prime="$2"; shift 2 ;;
    --tmpfs) tmpfs=1; shift ;;
    --only) only="$2"; shift 2 ;;
    --keep) keep="$2"; shift 2 ;;
    -h|--help) sed -n '2,23p' "$0"; exit 0 ;;
    *) echo "compare-etcd: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done

base="${COMPARE_BASE_PORT:-17100}"
etcd="${ETCD:-etcd}"
etcdctl="${ETCDCTL:-etcdctl}"
if [[ -n "$tmpfs" ]]; then
  [[ -d /dev/shm && -w /dev/shm ]] || { echo "compare-etcd: --tmpfs needs a writable /dev/shm" >&2; exit 2; }
  work="$(mktemp -d /dev/shm/compare-etcd.XXXXXX)"
else
  work="$(mktemp -d -t compare-etcd.XXXXXX)"
fi
results="${keep:-$work/results}"
mkdir -p "$results"
pids=()

# shellcheck source=compare-lib.sh
source "$root/benchmarks/compare-lib.sh"
cleanup() {
  stop_all
  rm -rf "$work/etcd" "$work/raftkv"
  [[ -n "$keep" ]] || rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

log() { echo "compare-etcd: $*" >&2; }

# --- build what is missing -------------------------------------------------------------------------------
raftkv_jar="${RAFTKV_JAR:-$root/kv-server/target/raftkv.jar}"
kvbench_jar="$root/benchmarks-etcd/target/kvbench.jar"
if [[ ! -f "$raftkv_jar" || ! -f "$kvbench_jar" ]]; then
  log "building raftkv.jar and kvbench.jar (first run)..."
  (cd "$root" && mvn -B -q -DskipTests package -pl kv-server,benchmarks-etcd -am) >&2
fi

# --- etcd: find or install it ----------------------------------------------------------------------------
etcd_missing=""
if [[ "$only" != "raftkv" ]]; then
  if ! command -v "$etcd" >/dev/null 2>&1; then
    log "etcd not found; installing Debian's etcd-server..."
    if [[ $(id -u) == 0 ]]; then apt_get=(apt-get); elif command -v sudo >/dev/null; then apt_get=(sudo -n apt-get); else apt_get=(); fi
    if [[ ${#apt_get[@]} == 0 ]]; then
      etcd_missing="etcd is not installed and this user cannot run apt-get (not root, no sudo)"
    elif ! command -v apt-get >/dev/null; then
      etcd_missing="etcd is not installed and this system has no apt-get"
    elif ! { "${apt_get[@]}" update -qq && DEBIAN_FRONTEND=noninteractive "${apt_get[@]}" install -y -qq etcd-server; } >"$work/apt.log" 2>&1; then
      etcd_missing="apt-get install etcd-server failed: $(tail -n 1 "$work/apt.log")"
    fi
    # The package may start a system etcd on 2379; ours uses other ports, so it does not matter.
  fi
  if [[ -z "$etcd_missing" ]] && ! command -v "$etcd" >/dev/null 2>&1; then
    etcd_missing="${etcd_missing:-etcd-server installed but no etcd binary on PATH}"
  fi
fi
[[ "$only" == "raftkv" ]] && etcd_missing="skipped (--only raftkv)"

# --- the workload matrix (the same for both systems) -------------------------------------------------------
workloads=("w1:--clients 1 --read-ratio 0.0"
           "w16:--clients 16 --read-ratio 0.0"
           "w64:--clients 64 --read-ratio 0.0"
           "r64:--clients 64 --read-ratio 0.9 --read-level linearizable")

# --- etcd ----------------------------------------------------------------------------------------------------
run_etcd() {
  local cluster="" endpoints="" i
  for i in 1 2 3; do
    cluster+="${cluster:+,}e$i=http://127.0.0.1:$((base + 10 + i))"
    endpoints+="${endpoints:+,}127.0.0.1:$((base + i))"
  done
  log "starting 3-node $("$etcd" --version | head -n 1) in $work/etcd"
  local cpu=()
  for i in 1 2 3; do
    mkdir -p "$work/etcd/e$i"
    # Defaults otherwise: fsync of the WAL on every batch, snapshot-count 100000, heartbeat 100 ms.
    "$etcd" --name "e$i" --data-dir "$work/etcd/e$i" \
      --listen-client-urls "http://127.0.0.1:$((base + i))" --advertise-client-urls "http://127.0.0.1:$((base + i))" \
      --listen-peer-urls "http://127.0.0.1:$((base + 10 + i))" --initial-advertise-peer-urls "http://127.0.0.1:$((base + 10 + i))" \
      --initial-cluster "$cluster" --initial-cluster-state new --initial-cluster-token compare-etcd \
      >"$results/etcd-e$i.log" 2>&1 &
    pids+=($!); cpu+=($!)
  done
  if ! wait_until "etcd to elect a leader" 30 "$etcdctl" --endpoints "$endpoints" endpoint health; then
    etcd_missing="etcd did not become healthy (see $results/etcd-e1.log)"
    stop_all
    return
  fi
  run_matrix etcd "$endpoints" "$(IFS=,; echo "${cpu[*]}")"
  stop_all
}

# --- raftkv --------------------------------------------------------------------------------------------------
run_raftkv() {
  log "starting 3-node raftkv in $work/raftkv"
  if ! start_raftkv_cluster raftkv "$base" "$work/raftkv"; then
    log "raftkv did not start; see $results/raftkv-n1.log"
    stop_all
    return 1
  fi
  run_matrix raftkv "$raftkv_endpoints" "$raftkv_cpu"
  stop_all
}

load_start="$(cut -d' ' -f1-3 /proc/loadavg)"
[[ "$only" == "etcd" ]] || run_raftkv
[[ -n "$etcd_missing" ]] || run_etcd

# --- report --------------------------------------------------------------------------------------------------
echo
echo "raftkv vs etcd: 3 nodes each on loopback, fsync on, 100 B values, 100k keys, closed loop, measured $duration after $warmup warm-up (each cluster primed $prime)"
echo "data: $([[ -n "$tmpfs" ]] && echo "tmpfs (/dev/shm): no disk, CPU figures" || echo "$(df -P "$work" | awk 'NR==2 {print $1}') (the real disk)")"
echo "machine: $(nproc) cores, $(uname -sr)"
[[ -z "$etcd_missing" ]] && echo "etcd: $("$etcd" --version | head -n 1)"
echo
java -cp "$kvbench_jar" io.raftkv.bench.load.CompareTable "$results" \
  "w1=put, 1 client" "w16=put, 16 clients" "w64=put, 64 clients" "r64=90% linearizable get, 64 clients"
echo
echo "p50/p99: put latency for the write runs, get latency for the read mix. srv µs/op: CPU of the three servers in the measured interval per operation; gen µs/op: the load generator's."
echo "load average at the start $load_start, at the end $(cut -d' ' -f1-3 /proc/loadavg)"
for name in w64 r64; do
  if [[ -s "$results/raftkv-$name.metrics.before" && -s "$results/raftkv-$name.metrics.after" ]]; then
    secs="$(awk '{ printf "%.1f", $1 - t0 } END { }' t0="$(cat "$results/raftkv-$name.t0")" "$results/raftkv-$name.t1")"
    echo "raftkv fsyncs during $name (${secs}s incl. warm-up and JVM start; the leader takes the proposals):"
    paste "$results/raftkv-$name.metrics.before" "$results/raftkv-$name.metrics.after" | awk -v s="$secs" '
      { f = $7 - $2; fs = $8 - $3; c = $9 - $4; a = $10 - $5
        printf "  %s%s: %.0f fsyncs/s, %.1f ms per fsync, %.1f entries per fsync\n", $1, (a > 0 ? " (leader)" : ""),
               f / s, (f > 0 ? 1000 * fs / f : 0), (f > 0 ? c / f : 0) }'
  fi
done
if [[ -n "$etcd_missing" ]]; then
  echo "etcd missing: $etcd_missing"
fi
[[ -n "$keep" ]] && echo "results kept in $results"
exit 0
