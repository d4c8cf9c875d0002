# A PostgreSQL node of the `ha` profile (docker-compose.yml): the postgres image with Debian's Patroni,
# the same Patroni 3.0 the failover drill runs (bin/failover_drill.py, docs/OPERATIONS.md).
FROM postgres:16
RUN apt-get update \
    && apt-get install -y --no-install-recommends patroni python3-etcd \
    && rm -rf /var/lib/apt/lists/*
COPY patroni.yml /etc/patroni/patroni.yml
COPY patroni-post-bootstrap.sh /etc/patroni/post_bootstrap.sh
RUN mkdir -p /var/lib/postgresql/data && chown -R postgres:postgres /var/lib/postgresql
USER postgres
# Not the postgres image's entrypoint: Patroni runs initdb (first primary) or pg_basebackup (standby).
ENTRYPOINT ["patroni", "/etc/patroni/patroni.yml"]
