# Shared by the compare-*.sh scripts (sourced): stopping what they started and waiting for a condition.
# The caller keeps the pids of its processes in the array "pids" and defines log().

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
