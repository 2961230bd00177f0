#!/usr/bin/env bash
# Throw-away PostgreSQL server for the tests. Source this file, then:
#   trap pg_stop EXIT; trap 'exit 130' INT; trap 'exit 143' TERM
#   pg_start            # exports AO_TEST_POSTGRES
# A developer who already set AO_TEST_POSTGRES keeps their own server: nothing is started or stopped.
# AO_PG_PORT picks the port (default: a free one).

AO_PG_DIR=""

_pg_fail() { echo "postgres: ERROR: $*" >&2; return 1; }

_pg_bin_dir() {
  local dir
  # 15 (Debian 12's) first, then the newest other version, e.g. on a CI image.
  for dir in /usr/lib/postgresql/15/bin $(printf '%s\n' /usr/lib/postgresql/*/bin | sort -V -r); do
    [[ -x "$dir/initdb" && -x "$dir/pg_ctl" ]] && { echo "$dir"; return 0; }
  done
  return 1
}

# PostgreSQL refuses to run as root, so root runs it as the postgres user; anyone else runs it as themselves.
_pg_run() {
  if [[ $EUID -eq 0 ]]; then
    (cd "$AO_PG_DIR" && "$(command -v runuser || echo /usr/sbin/runuser)" -u postgres -- "$@")
  else
    (cd "$AO_PG_DIR" && "$@")
  fi
}

# A connect succeeds only if something listens there (on 127.0.0.1 or on every address).
_pg_port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

_pg_install() {
  echo "postgres: no PostgreSQL server binaries under /usr/lib/postgresql; installing the Debian package 'postgresql'"
  local sudo=""
  if [[ $EUID -ne 0 ]]; then
    command -v sudo >/dev/null || _pg_fail "PostgreSQL is not installed and this user cannot install it: run 'apt-get install -y postgresql' as root" || return 1
    sudo="sudo"
  fi
  $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq postgresql >/dev/null \
    || _pg_fail "'apt-get install -y postgresql' failed" || return 1
}

pg_start() {
  if [[ -n "${AO_TEST_POSTGRES:-}" ]]; then
    echo "postgres: using the server in AO_TEST_POSTGRES (not starting one)"
    return 0
  fi

  local bin port
  bin=$(_pg_bin_dir) || { _pg_install || return 1; bin=$(_pg_bin_dir) || _pg_fail "PostgreSQL installed but no initdb/pg_ctl under /usr/lib/postgresql/*/bin" || return 1; }
  if [[ $EUID -eq 0 ]] && ! id postgres >/dev/null 2>&1; then
    _pg_fail "running as root but there is no 'postgres' user to run the server as" || return 1
  fi

  if [[ -n "${AO_PG_PORT:-}" ]]; then
    [[ "$AO_PG_PORT" =~ ^[0-9]+$ ]] || _pg_fail "AO_PG_PORT='$AO_PG_PORT' is not a port number" || return 1
    ! _pg_port_in_use "$AO_PG_PORT" \
      || _pg_fail "AO_PG_PORT=$AO_PG_PORT is already in use on 127.0.0.1; free it, choose another port, or unset AO_PG_PORT to use a free one" || return 1
    port=$AO_PG_PORT
  else
    local _
    for _ in $(seq 50); do
      # Below Linux's ephemeral range (32768+), where outgoing connections could take the port.
      port=$((20000 + RANDOM % 12000))
      _pg_port_in_use "$port" || break
      port=""
    done
    [[ -n "$port" ]] || _pg_fail "found no free TCP port on 127.0.0.1" || return 1
  fi

  # Under /tmp rather than $TMPDIR: the postgres user must be able to reach it.
  AO_PG_DIR=$(mktemp -d /tmp/ao-pg.XXXXXX)
  chmod 755 "$AO_PG_DIR"
  [[ $EUID -ne 0 ]] || chown postgres: "$AO_PG_DIR"

  _pg_run "$bin/initdb" -D "$AO_PG_DIR/data" -A trust -U postgres -E UTF8 --locale=C --no-sync >"$AO_PG_DIR/initdb.log" 2>&1 \
    || { cat "$AO_PG_DIR/initdb.log" >&2; _pg_fail "initdb failed (PostgreSQL not startable)"; return 1; }

  # Durability is worthless for a throw-away test database; speed and many parallel connections are not.
  cat >>"$AO_PG_DIR/data/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$AO_PG_DIR'
max_connections = 300
fsync = off
synchronous_commit = off
full_page_writes = off
CONF

  echo "postgres: starting PostgreSQL $("$bin/postgres" --version | awk '{print $3}') on 127.0.0.1:$port (data in $AO_PG_DIR)"
  _pg_run "$bin/pg_ctl" -D "$AO_PG_DIR/data" -l "$AO_PG_DIR/server.log" -W start >/dev/null \
    || { cat "$AO_PG_DIR/server.log" >&2 2>/dev/null; _pg_fail "pg_ctl start failed (PostgreSQL not startable)"; return 1; }

  local waited=0
  until "$bin/pg_isready" -q -h 127.0.0.1 -p "$port" -U postgres; do
    # pg_ctl status fails once the server has exited (bad setting, port taken meanwhile): no point waiting then.
    if (( waited >= 30 )) || { (( waited >= 2 )) && ! _pg_run "$bin/pg_ctl" -D "$AO_PG_DIR/data" status >/dev/null 2>&1; }; then
      echo "---- server log ($AO_PG_DIR/server.log) ----" >&2
      cat "$AO_PG_DIR/server.log" >&2 2>/dev/null
      _pg_fail "PostgreSQL did not accept connections on 127.0.0.1:$port after ${waited}s (PostgreSQL not startable)"
      return 1
    fi
    sleep 1; waited=$((waited + 1))
  done

  export AO_PG_BIN=$bin
  export AO_TEST_POSTGRES="Host=127.0.0.1;Port=$port;Username=postgres;Database=postgres;Include Error Detail=true"
  echo "postgres: ready, AO_TEST_POSTGRES=$AO_TEST_POSTGRES"
}

# Safe to call more than once, and when pg_start started nothing.
pg_stop() {
  [[ -n "$AO_PG_DIR" && -d "$AO_PG_DIR" ]] || return 0
  local dir=$AO_PG_DIR bin pid
  bin=$(_pg_bin_dir) || true
  if [[ -f "$dir/data/postmaster.pid" ]]; then
    pid=$(head -n1 "$dir/data/postmaster.pid" 2>/dev/null || true)
    if [[ -n "$bin" ]]; then _pg_run "$bin/pg_ctl" -D "$dir/data" -m fast -w -t 20 stop >/dev/null 2>&1 || true; fi
    # The server removes its pid file as it exits; if it is still there, the server is still up.
    if [[ -f "$dir/data/postmaster.pid" && -n "$pid" ]] && grep -q postgres "/proc/$pid/cmdline" 2>/dev/null; then
      echo "postgres: fast shutdown did not finish; killing server $pid" >&2
      kill -9 "$pid" 2>/dev/null || true
    fi
    # The exited server is reaped by init, not by us; give that a moment so no entry lingers.
    local n=0
    while [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null && (( n++ < 50 )); do sleep 0.1; done
  fi
  rm -rf "$dir"
  AO_PG_DIR=""
  echo "postgres: stopped"
}
