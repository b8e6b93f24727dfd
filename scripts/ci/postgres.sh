#!/usr/bin/env bash
# Install (if missing) and start Debian's PostgreSQL on 127.0.0.1:5432 without systemd,
# create the role/database `openastro`, and print DATABASE_URL=... on stdout.
# Idempotent: re-running on a machine where the cluster is already up just prints the URL.
# Must run as root (CI containers) or as a user allowed to `su postgres`.
set -euo pipefail

PGUSER_NAME=openastro
PGPASS=${OPENASTRO_PG_PASSWORD:-openastro}
PGDB=openastro
PORT=${OPENASTRO_PG_PORT:-5432}

log() { echo "postgres.sh: $*" >&2; }

if ! command -v pg_ctlcluster >/dev/null 2>&1 || [ -z "$(ls /usr/lib/postgresql 2>/dev/null)" ]; then
  log "installing postgresql (apt-get install -y postgresql)"
  DEBIAN_FRONTEND=noninteractive apt-get install -y postgresql >&2
fi

VERSION=$(ls /usr/lib/postgresql | sort -V | tail -1)
CLUSTER=main

if ! pg_lsclusters -h | awk -v v="$VERSION" -v c="$CLUSTER" '$1==v && $2==c {found=1} END {exit !found}'; then
  log "creating cluster $VERSION/$CLUSTER on port $PORT"
  pg_createcluster --port "$PORT" "$VERSION" "$CLUSTER" >&2
fi

STATUS=$(pg_lsclusters -h | awk -v v="$VERSION" -v c="$CLUSTER" '$1==v && $2==c {print $4}')
if [ "$STATUS" != "online" ]; then
  log "starting cluster $VERSION/$CLUSTER (listen 127.0.0.1:$PORT)"
  # pg_ctlcluster forks the server into the background; no systemd involved.
  pg_ctlcluster "$VERSION" "$CLUSTER" start -o "-c listen_addresses=127.0.0.1 -c port=$PORT" >&2 \
    || pg_ctlcluster --skip-systemctl-redirect "$VERSION" "$CLUSTER" start -o "-c listen_addresses=127.0.0.1 -c port=$PORT" >&2
fi

# Wait until the server accepts connections (up to ~30 s).
for _ in $(seq 1 60); do
  if su postgres -c "pg_isready -q -h 127.0.0.1 -p $PORT"; then break; fi
  sleep 0.5
done
su postgres -c "pg_isready -q -h 127.0.0.1 -p $PORT" || { log "server did not become ready"; exit 1; }

psql_admin() { su postgres -c "psql -v ON_ERROR_STOP=1 -q -X -p $PORT -d postgres -tAc \"$1\""; }

if [ "$(psql_admin "SELECT 1 FROM pg_roles WHERE rolname = '$PGUSER_NAME'")" != "1" ]; then
  log "creating role $PGUSER_NAME"
  psql_admin "CREATE ROLE $PGUSER_NAME LOGIN PASSWORD '$PGPASS'"
else
  psql_admin "ALTER ROLE $PGUSER_NAME LOGIN PASSWORD '$PGPASS'"
fi
if [ "$(psql_admin "SELECT 1 FROM pg_database WHERE datname = '$PGDB'")" != "1" ]; then
  log "creating database $PGDB"
  psql_admin "CREATE DATABASE $PGDB OWNER $PGUSER_NAME"
fi

echo "DATABASE_URL=postgres://$PGUSER_NAME:$PGPASS@127.0.0.1:$PORT/$PGDB"
