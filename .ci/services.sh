#!/usr/bin/env bash
# PostgreSQL, Redis and OpenStack Swift (with its S3 API) on loopback, for the scale-out tests.
#
#   eval "$(bash .ci/services.sh start)"   # prints `export` lines: DATABASE_URL, REDIS_URL, S3_*
#   bash .ci/services.sh stop              # stops only what `start` started
#
# This kind of machine (CI's and the developers') already runs PostgreSQL on 127.0.0.1:5432 (trust auth) and Redis
# on 127.0.0.1:6379: those are used when they answer, and a throwaway instance is started only when they don't.
# Swift is installed from Debian's packages when missing (as root) and always started here, with tempauth's
# test:tester / testing as the S3 key pair. Start takes ~7 s; Swift's four servers use ~250 MB.
set -euo pipefail
RUN=${SVC_DIR:-/tmp/facefinder-services}
# The machine's own PostgreSQL and Redis (used when they answer), and the ports for ones started here otherwise.
SHARED_PG_PORT=${SHARED_PG_PORT:-5432}; SHARED_REDIS_PORT=${SHARED_REDIS_PORT:-6379}
PGPORT_OWN=55432; REDISPORT_OWN=6390; S3PORT=16080

log() { echo "[services] $*" >&2; }

answers() { timeout 1 bash -c "</dev/tcp/127.0.0.1/$1" 2>/dev/null; }

install_missing() {
  local wanted=()
  command -v swift-proxy-server >/dev/null || wanted+=(swift swift-proxy swift-object swift-container swift-account)
  answers "$SHARED_PG_PORT" || command -v pg_ctlcluster >/dev/null || wanted+=(postgresql)
  answers "$SHARED_REDIS_PORT" || command -v redis-server >/dev/null || wanted+=(redis-server)
  [ ${#wanted[@]} -eq 0 ] && return
  log "installing ${wanted[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq --no-install-recommends "${wanted[@]}" >&2
}

start_postgres() {
  if answers "$SHARED_PG_PORT"; then echo "postgres://postgres@127.0.0.1:$SHARED_PG_PORT/postgres"; return; fi
  if ! answers $PGPORT_OWN; then
    local bin; bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
    mkdir -p "$RUN/pg"; chown postgres: "$RUN/pg"
    [ -f "$RUN/pg/PG_VERSION" ] || runuser -u postgres -- "$bin/initdb" -D "$RUN/pg" -A trust -U postgres --no-sync >/dev/null
    runuser -u postgres -- "$bin/pg_ctl" -D "$RUN/pg" -l "$RUN/pg/server.log" -w \
      -o "-c listen_addresses=127.0.0.1 -p $PGPORT_OWN -k /tmp -c fsync=off" start >/dev/null
    log "PostgreSQL started on $PGPORT_OWN"
  fi
  echo "postgres://postgres@127.0.0.1:$PGPORT_OWN/postgres"
}

start_redis() {
  if answers "$SHARED_REDIS_PORT"; then echo "redis://127.0.0.1:$SHARED_REDIS_PORT"; return; fi
  if ! answers $REDISPORT_OWN; then
    # Tests only: no persistence. Production wants appendonly yes and maxmemory-policy noeviction (docs/SCALING.md).
    redis-server --daemonize yes --bind 127.0.0.1 --port $REDISPORT_OWN --save "" --appendonly no \
      --maxmemory-policy noeviction --pidfile "$RUN/redis.pid" --logfile "$RUN/redis.log"
    log "Redis started on $REDISPORT_OWN"
  fi
  echo "redis://127.0.0.1:$REDISPORT_OWN"
}

start_swift() {
  answers $S3PORT && return
  local S=$RUN/swift
  rm -rf "$S"; mkdir -p "$S/etc" "$S/srv/d1"; : > "$S/pids"
  printf '[swift-hash]\nswift_hash_path_suffix = ci\nswift_hash_path_prefix = ci\n[storage-policy:0]\nname = Policy-0\ndefault = yes\n' > "$S/etc/swift.conf"
  for sp in object:16010 container:16011 account:16012; do
    local n=${sp%%:*} p=${sp##*:}
    printf '[DEFAULT]\ndevices = %s\nmount_check = false\nbind_ip = 127.0.0.1\nbind_port = %s\nworkers = 1\nuser = root\nswift_dir = %s\n[pipeline:main]\npipeline = %s-server\n[app:%s-server]\nuse = egg:swift#%s\n[%s-replicator]\n[%s-auditor]\n' \
      "$S/srv" "$p" "$S/etc" "$n" "$n" "$n" "$n" "$n" > "$S/etc/$n-server.conf"
    ( cd "$S/etc" && swift-ring-builder "$n.builder" create 10 1 1 >/dev/null &&
      swift-ring-builder "$n.builder" add "r1z1-127.0.0.1:$p/d1" 100 >/dev/null &&
      { swift-ring-builder "$n.builder" rebalance >/dev/null || true; } )
  done
  { printf '[DEFAULT]\nbind_ip = 127.0.0.1\nbind_port = %s\nworkers = 1\nuser = root\nswift_dir = %s\n' $S3PORT "$S/etc"
    printf '[pipeline:main]\npipeline = catch_errors gatekeeper healthcheck proxy-logging cache listing_formats s3api tempauth copy slo dlo proxy-logging proxy-server\n'
    printf '[app:proxy-server]\nuse = egg:swift#proxy\naccount_autocreate = true\n[filter:tempauth]\nuse = egg:swift#tempauth\nuser_test_tester = testing .admin\n'
    for f in s3api catch_errors gatekeeper healthcheck proxy-logging:proxy_logging cache:memcache listing_formats copy slo dlo; do
      printf '[filter:%s]\nuse = egg:swift#%s\n' "${f%%:*}" "${f##*:}"; done; } > "$S/etc/proxy-server.conf"
  for n in object container account proxy; do
    # setsid: the servers must outlive this script's shell (and a CI step's process group).
    setsid nohup "swift-$n-server" "$S/etc/$n-server.conf" > "$S/$n.log" 2>&1 < /dev/null & echo $! >> "$S/pids"
  done
  for _ in $(seq 1 60); do curl -sf -m 1 "http://127.0.0.1:$S3PORT/healthcheck" >/dev/null && break; sleep 0.5; done
  curl -sf -m 1 "http://127.0.0.1:$S3PORT/healthcheck" >/dev/null || { log "Swift did not start: see $S/*.log"; exit 1; }
  log "Swift (S3 API) started on $S3PORT"
}

start() {
  mkdir -p "$RUN"
  install_missing
  local db redis
  db=$(start_postgres); redis=$(start_redis); start_swift
  cat <<EOF
export DATABASE_URL=$db
export REDIS_URL=$redis
export S3_ENDPOINT=http://127.0.0.1:$S3PORT
export S3_BUCKET=facefinder-test
export S3_REGION=us-east-1
export S3_ACCESS_KEY_ID=test:tester
export S3_SECRET_ACCESS_KEY=testing
EOF
}

stop() {
  local S=$RUN/swift
  [ -f "$S/pids" ] && for p in $(cat "$S/pids"); do kill -TERM "$p" 2>/dev/null || true; done
  [ -f "$RUN/redis.pid" ] && { kill -TERM "$(cat "$RUN/redis.pid")" 2>/dev/null || true; }
  if [ -f "$RUN/pg/PG_VERSION" ]; then
    local bin; bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
    runuser -u postgres -- "$bin/pg_ctl" -D "$RUN/pg" -m fast -w stop >/dev/null || true
  fi
  sleep 1; rm -rf "$RUN"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
