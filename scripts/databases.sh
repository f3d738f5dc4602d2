#!/usr/bin/env bash
# Makes sure the database servers the tests use are answering, starting them
# when they are installed but down: PostgreSQL on 127.0.0.1:5432 (user
# postgres, trust) and MariaDB on 127.0.0.1:3306 (root, no password).
set -euo pipefail

if ! pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then
  echo "==> starting PostgreSQL"
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | sort -V | tail -1)" main start
fi
if ! mariadb-admin -h 127.0.0.1 -u root ping >/dev/null 2>&1; then
  echo "==> starting MariaDB"
  start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd -- --user=mysql
fi
for _ in $(seq 1 30); do
  if pg_isready -q -h 127.0.0.1 -p 5432 && mariadb-admin -h 127.0.0.1 -u root ping >/dev/null 2>&1; then
    exit 0
  fi
  sleep 1
done
pg_isready -h 127.0.0.1 -p 5432 >/dev/null || { echo "PostgreSQL does not answer on 127.0.0.1:5432" >&2; exit 1; }
mariadb-admin -h 127.0.0.1 -u root ping >/dev/null || { echo "MariaDB does not answer on 127.0.0.1:3306" >&2; exit 1; }
