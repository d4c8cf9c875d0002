"""Say in one line how to start PostgreSQL or Redis when the test suite cannot reach them."""

import os
import sys
from urllib.parse import urlparse

import psycopg2
import redis

HINT = (
    "start them with `docker compose up -d db redis`, or on Debian: "
    "`pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start` and "
    "`redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save '' --appendonly no`"
)


def main() -> int:
    db = urlparse(os.environ["DATABASE_URL"])
    problems = []
    try:
        psycopg2.connect(
            host=db.hostname,
            port=db.port or 5432,
            user=db.username,
            password=db.password,
            dbname="postgres",
            connect_timeout=3,
        ).close()
    except psycopg2.OperationalError as error:
        problems.append(f"PostgreSQL at {db.hostname}:{db.port or 5432} ({str(error).strip().splitlines()[0]})")
    try:
        redis.Redis.from_url(os.environ["REDIS_URL"], socket_connect_timeout=3).ping()
    except redis.RedisError as error:
        problems.append(f"Redis at {os.environ['REDIS_URL']} ({error})")
    if problems:
        print(f"ecase tests need {' and '.join(problems)}: {HINT}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
