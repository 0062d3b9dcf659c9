# Shared by the compare-*.sh scripts (sourced): stopping what they started and waiting for a condition.
# The caller keeps the pids of its processes in the array "pids" and defines log(); run_matrix and
# start_raftkv_cluster also read root, results, kvbench_jar, prime, warmup, duration and the array "workloads".

stop_all() {
  # SIGTERM first (raftkv's shutdown hook closes the log cleanly), then SIGKILL whatever is left.
  local p
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for _ in $(seq 50); do
    local alive=0
    for p in "${pids[@]}"; do kill -0 "$p" 2>/dev/null && alive=1; done
    [[ $alive == 0 ]] && break
    sleep 0.2
  done
  for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done
  pids=()
}

wait_until() { # description seconds command...
  local what="$1" secs="$2"; shift 2
  for _ in $(seq $((secs * 5))); do
    if "$@" >/dev/null 2>&1; then return 0; fi
    sleep 0.2
  done
  log "timed out waiting for $what"
  return 1
}

raftkv_leader_known() { # endpoints: every node reports a leader
  local e
  for e in ${1//,/ }; do
    curl -s -m 1 "http://$e/status" | grep -q '"leader":"n[0-9]' || return 1
  done
}

start_raftkv_cluster() { # name base-port data-dir [serve args...]
  # Three bin/raftkv nodes on loopback (Raft on base+21..23, HTTP on base+31..33), logs in $results/<name>-nI.log;
  # sets raftkv_endpoints (HTTP host:port list) and raftkv_cpu (pid list) and waits until every node knows a leader.
  local name="$1" port="$2" data="$3" peers="" i
  shift 3
  raftkv_endpoints=""; raftkv_cpu=""
  for i in 1 2 3; do
    peers+="${peers:+,}n$i=127.0.0.1:$((port + 20 + i))"
    raftkv_endpoints+="${raftkv_endpoints:+,}127.0.0.1:$((port + 30 + i))"
  done
  for i in 1 2 3; do
    # JAVA_OPTS reaches the JVM through bin/raftkv, which execs java (so $! is the JVM's pid).
    JAVA_OPTS="${RAFTKV_JAVA_OPTS:-}" "$root/bin/raftkv" serve --id "n$i" --data "$data/n$i" \
      --raft "127.0.0.1:$((port + 20 + i))" --http "127.0.0.1:$((port + 30 + i))" --peers "$peers" "$@" \
      >"$results/$name-n$i.log" 2>&1 &
    pids+=($!); raftkv_cpu+="${raftkv_cpu:+,}$!"
  done
  wait_until "$name to elect a leader" 60 raftkv_leader_known "$raftkv_endpoints"
}

run_matrix() { # system endpoints server-pids
  local system="$1" endpoints="$2" cpu_pids="$3" w name args
  log "$system: priming with 64-client writes for $prime (not measured)"
  java ${KVBENCH_JAVA_OPTS:-} -jar "$kvbench_jar" --driver "$system" --endpoints "$endpoints" --clients 64 \
    --duration 1s --warmup "$prime" --quiet >"$results/$system-prime.log" 2>&1 || log "$system priming failed"
  for w in "${workloads[@]}"; do
    name="${w%%:*}"; args="${w#*:}"
    log "$system $name: $args (warmup $warmup, measured $duration), load average $(cut -d' ' -f1-3 /proc/loadavg)"
    [[ "$system" != etcd ]] && scrape_metrics "$endpoints" >"$results/$system-$name.metrics.before" || true
    date +%s.%N >"$results/$system-$name.t0"
    # shellcheck disable=SC2086
    if ! java ${KVBENCH_JAVA_OPTS:-} -jar "$kvbench_jar" --driver "$system" --endpoints "$endpoints" $args \
          --duration "$duration" --warmup "$warmup" --value-size 100 --keys 100000 --quiet \
          --cpu-pids "$cpu_pids" --out "$results/$system-$name.json" >"$results/$system-$name.log" 2>&1; then
      log "$system $name failed: $(tail -n 3 "$results/$system-$name.log")"
    fi
    date +%s.%N >"$results/$system-$name.t1"
    [[ "$system" != etcd ]] && scrape_metrics "$endpoints" >"$results/$system-$name.metrics.after" || true
    echo "$(cut -d' ' -f1-3 /proc/loadavg)" >"$results/$system-$name.loadavg"
  done
}

scrape_metrics() { # endpoints: per node "host:port fsyncs fsync-seconds commits accepted-proposals"
  local e
  for e in ${1//,/ }; do
    curl -s -m 2 "http://$e/metrics" | awk -v n="$e" '
      /^raft_fsync_latency_seconds_count/ && /store="log"/ { f = $NF }
      /^raft_fsync_latency_seconds_sum/ && /store="log"/ { fs = $NF }
      /^raft_commits_total/ { c = $NF }
      /^raft_proposals_total/ && /result="accepted"/ { a = $NF }
      END { print n, f + 0, fs + 0, c + 0, a + 0 }'
  done
}
