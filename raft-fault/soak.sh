#!/usr/bin/env bash
# Long fault-injection run: back-to-back 60 s nemesis runs (3 and 5 nodes, every fault kind) for the given time;
# every third run is the SQL bank (serve --state-machine sql, transfers and strong reads of the total).
# Usage: raft-fault/soak.sh [10m|30s|1h]   -- results in raft-fault/target/fault-runs/soak-summary.txt
set -euo pipefail
cd "$(dirname "$0")/.."
exec mvn -B -q -pl raft-fault -am verify -Dsoak="${1:-10m}" -Dit.test=FaultSoakIT -Dtest=NONE \
    -Dsurefire.failIfNoSpecifiedTests=false -Dfailsafe.failIfNoSpecifiedTests=false
