#!/usr/bin/env bash
# Start or stop an INDI server with the telescope and CCD simulator drivers, for the node
# agent's INDI tests (test/agent/indi-live.test.ts).
#
#   bash scripts/ci/indi.sh start [DIR]   # prints INDI_PORT=<port> and INDI_PID=<pid>
#   bash scripts/ci/indi.sh stop  [DIR]
#
# DIR (default ${TMPDIR:-/tmp}/openastro-indi) holds the pid file, the log and the HOME the
# drivers write their configuration to (so a run never reads or changes ~/.indi). The
# server runs in its own process group on a free TCP port; `stop` ends that group.
# CI: eval "$(bash scripts/ci/indi.sh start)"; export INDI_PORT; npm test; bash scripts/ci/indi.sh stop
set -euo pipefail

cmd=${1:-}
dir=${2:-${TMPDIR:-/tmp}/openastro-indi}
pidfile="$dir/indiserver.pid"
log() { echo "indi.sh: $*" >&2; }

stop_server() {
  if [ -f "$pidfile" ]; then
    pid=$(cat "$pidfile")
    if kill -0 "$pid" 2>/dev/null; then
      kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
      for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      kill -KILL -- "-$pid" 2>/dev/null || true
    fi
    rm -f "$pidfile"
  fi
}

free_port() {
  node -e "const s=require('net').createServer();s.listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})"
}

case "$cmd" in
  start)
    command -v indiserver >/dev/null 2>&1 || { log "indiserver not installed (Debian package indi-bin; scripts/ci/install-tools.sh)"; exit 1; }
    mkdir -p "$dir/home"
    stop_server
    for attempt in 1 2 3; do
      port=$(free_port)
      # setsid: the server and its drivers get their own process group, ended as one.
      HOME="$dir/home" setsid indiserver -p "$port" -u "$dir/indiserver.sock" indi_simulator_telescope indi_simulator_ccd \
        >"$dir/indiserver.log" 2>&1 < /dev/null &
      echo $! >"$pidfile"
      for _ in $(seq 1 100); do
        if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
          echo "INDI_PORT=$port"
          echo "INDI_PID=$(cat "$pidfile")"
          exit 0
        fi
        kill -0 "$(cat "$pidfile")" 2>/dev/null || break
        sleep 0.1
      done
      log "attempt $attempt: server did not accept on port $port (log: $dir/indiserver.log)"
      stop_server
    done
    exit 1
    ;;
  stop)
    stop_server
    ;;
  *)
    echo "usage: $0 start|stop [DIR]" >&2
    exit 2
    ;;
esac
