#!/usr/bin/env bash
# A streaming read replica of a local PostgreSQL cluster, as a second cluster on this machine
# (docs/deployment.md, "A read replica").
#
#   scripts/replica.sh [options] start|stop|status|destroy
#
#   start    create the replica if it does not exist (pg_createcluster, then pg_basebackup
#            from the primary), and start it; does nothing to one already running
#   stop     stop the replica (its data stay; `start` resumes streaming where it stopped)
#   status   the replica's cluster, what the primary sends it and how far behind it is
#   destroy  stop and delete the replica cluster, and take back the line `start` added to
#            the primary's pg_hba.conf
#
# Options (defaults in brackets):
#   --version V          PostgreSQL major version [the newest under /etc/postgresql]
#   --primary NAME       the primary's cluster [main]; its port is read from its settings
#   --cluster NAME       the replica's cluster [replica]
#   --port PORT          the replica's port [5433]
#
# The primary is never restarted: `start` only adds, when missing, a line letting the postgres
# user connect for replication from 127.0.0.1 to its pg_hba.conf, and reloads it. Run as root
# (or as the postgres user).
set -euo pipefail

version=""
primary="main"
cluster="replica"
port="5433"
command=""
while [ $# -gt 0 ]; do
  case "$1" in
    --version) version="$2"; shift 2 ;;
    --primary) primary="$2"; shift 2 ;;
    --cluster) cluster="$2"; shift 2 ;;
    --port) port="$2"; shift 2 ;;
    start|stop|status|destroy) command="$1"; shift ;;
    -h|--help) sed -n '2,23p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "replica.sh: unknown argument $1 (try --help)" >&2; exit 2 ;;
  esac
done
if [ -z "$command" ]; then
  echo "replica.sh: say start, stop, status or destroy (try --help)" >&2
  exit 2
fi
if [ -z "$version" ]; then
  version="$(ls /etc/postgresql | sort -V | tail -n 1)"
fi

# The marker of the pg_hba.conf line this script adds, so that `destroy` removes only it.
MARK="# added by cadrebook scripts/replica.sh"

# Run a command as the postgres user (the owner of the clusters' files).
as_postgres() {
  if [ "$(id -un)" = postgres ]; then
    "$@"
  else
    runuser -u postgres -- "$@"
  fi
}

cluster_field() {  # cluster_field NAME COLUMN: a column of pg_lsclusters (3 port, 4 status)
  pg_lsclusters -h | awk -v v="$version" -v c="$1" -v f="$2" '$1 == v && $2 == c { print $f }'
}

# Under systemd the cluster is its unit (postgresql@V-NAME); elsewhere (containers, CI)
# pg_ctlcluster runs it directly.
ctl() {
  if [ -d /run/systemd/system ]; then
    pg_ctlcluster "$@"
  else
    pg_ctlcluster --skip-systemctl-redirect "$@"
  fi
}

exists() { [ -n "$(cluster_field "$cluster" 2)" ]; }

online() {  # a standby is "online,recovery"
  case "$(cluster_field "$cluster" 4)" in online*) return 0 ;; *) return 1 ;; esac
}

primary_port="$(cluster_field "$primary" 3)"
if [ -z "$primary_port" ]; then
  echo "replica.sh: no PostgreSQL $version cluster named $primary (pg_lsclusters)" >&2
  exit 1
fi
if [ "$cluster" = "$primary" ] || [ "$port" = "$primary_port" ]; then
  echo "replica.sh: the replica must be another cluster on another port than the primary" >&2
  exit 2
fi
datadir="/var/lib/postgresql/$version/$cluster"
hba="$(pg_conftool -s "$version" "$primary" show hba_file)"

psql_at() {  # psql_at PORT SQL: one query as postgres, unaligned
  as_postgres psql -h 127.0.0.1 -p "$1" -U postgres -d postgres -XAtq -c "$2"
}

wait_ready() {  # wait_ready PORT: until the server accepts connections (60 s at most)
  for _ in $(seq 60); do
    if pg_isready -h 127.0.0.1 -p "$1" -q; then return 0; fi
    sleep 1
  done
  echo "replica.sh: nothing answers on port $1 after 60 s" >&2
  return 1
}

allow_replication() {
  if grep -Eq '^[[:space:]]*host[[:space:]]+replication[[:space:]]+(postgres|all)[[:space:]]+127\.0\.0\.1/32' "$hba"; then
    return 0
  fi
  echo "Allowing replication connections from 127.0.0.1 in $hba (and reloading $primary)"
  if [ -n "$(tail -c 1 "$hba")" ]; then echo >>"$hba"; fi
  printf '%s\nhost replication postgres 127.0.0.1/32 trust\n' "$MARK" >>"$hba"
  psql_at "$primary_port" "SELECT pg_reload_conf()" >/dev/null
}

create() {
  if ss -ltn | awk '{ print $4 }' | grep -Eq "[:.]$port\$"; then
    echo "replica.sh: port $port is already in use (ss -ltn); choose another with --port" >&2
    exit 1
  fi
  local level senders
  level="$(psql_at "$primary_port" "SHOW wal_level")"
  senders="$(psql_at "$primary_port" "SHOW max_wal_senders")"
  if [ "$level" = minimal ] || [ "$senders" = 0 ]; then
    echo "replica.sh: the primary has wal_level=$level, max_wal_senders=$senders;" \
      "streaming needs wal_level=replica and max_wal_senders > 0 (a restart of the primary)" >&2
    exit 1
  fi
  # A base backup copies every database of the primary: say how much, refuse what won't fit.
  local size free
  size="$(psql_at "$primary_port" "SELECT sum(pg_database_size(datname))::bigint FROM pg_database")"
  free="$(df -B1 --output=avail /var/lib/postgresql | tail -n 1 | tr -d ' ')"
  echo "Copying the primary ($version/$primary, $((size / 1048576)) MB) to $datadir"
  if [ "$size" -gt $((free * 9 / 10)) ]; then
    echo "replica.sh: not enough disk: $((free / 1048576)) MB free" >&2
    exit 1
  fi
  allow_replication
  pg_createcluster "$version" "$cluster" --port "$port" >/dev/null
  # The standby's own settings: answer queries while replaying, and tell the primary which
  # rows its queries still read, so that the primary's vacuum does not cancel a long export.
  # It lets in whom the primary lets in (pg_createcluster's default asks for passwords).
  install -o postgres -g postgres -m 640 "$hba" "$(pg_conftool -s "$version" "$cluster" show hba_file)"
  pg_conftool "$version" "$cluster" set hot_standby on
  pg_conftool "$version" "$cluster" set hot_standby_feedback on
  # initdb's empty cluster is replaced by a copy of the primary; -R makes it a standby that
  # streams from the primary (standby.signal, primary_conninfo).
  find "$datadir" -mindepth 1 -delete
  as_postgres pg_basebackup -h 127.0.0.1 -p "$primary_port" -U postgres -D "$datadir" \
    -R -X stream -c fast
}

start() {
  if ! pg_isready -h 127.0.0.1 -p "$primary_port" -q; then
    echo "replica.sh: the primary $version/$primary does not answer on port $primary_port" >&2
    exit 1
  fi
  if ! exists; then
    create
  elif [ "$(cluster_field "$cluster" 3)" != "$port" ]; then
    echo "replica.sh: $version/$cluster exists on port $(cluster_field "$cluster" 3)," \
      "not $port" >&2
    exit 1
  else
    allow_replication
  fi
  if ! online; then
    ctl "$version" "$cluster" start
  fi
  wait_ready "$port"
  if [ "$(psql_at "$port" "SELECT pg_is_in_recovery()")" != t ]; then
    echo "replica.sh: $version/$cluster on port $port is not a standby" >&2
    exit 1
  fi
  echo "Replica $version/$cluster streams from $version/$primary:" \
    "CADREBOOK_REPLICA_URL=postgres://postgres@127.0.0.1:$port/<database>"
}

stop() {
  if exists && online; then
    ctl "$version" "$cluster" stop
  fi
}

status() {
  pg_lsclusters | awk -v v="$version" -v p="$primary" -v c="$cluster" \
    'NR == 1 || ($1 == v && ($2 == p || $2 == c))'
  echo
  echo "On the primary (pg_stat_replication):"
  as_postgres psql -h 127.0.0.1 -p "$primary_port" -U postgres -d postgres -X -c "
    SELECT application_name, state, sent_lsn, replay_lsn,
           pg_size_pretty(pg_wal_lsn_diff(pg_current_wal_lsn(), replay_lsn)) AS behind,
           replay_lag
      FROM pg_stat_replication"
  if exists && online; then
    echo "On the replica:"
    as_postgres psql -h 127.0.0.1 -p "$port" -U postgres -d postgres -X -c "
      SELECT pg_is_in_recovery() AS standby, pg_last_wal_replay_lsn() AS replayed,
             now() - pg_last_xact_replay_timestamp() AS since_last_replayed_commit"
  fi
}

destroy() {
  if exists; then
    pg_dropcluster "$version" "$cluster" --stop
  fi
  if grep -qF "$MARK" "$hba"; then
    # The marker and the line after it.
    sed -i "/^$(printf '%s' "$MARK" | sed 's/[/.]/\\&/g')\$/,+1d" "$hba"
    if pg_isready -h 127.0.0.1 -p "$primary_port" -q; then
      psql_at "$primary_port" "SELECT pg_reload_conf()" >/dev/null
    fi
  fi
}

"$command"
