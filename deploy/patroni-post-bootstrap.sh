#!/bin/sh
# Patroni's post_bootstrap (deploy/patroni.yml): run once on the first primary, with a connection
# URL as $1. Makes the app's role and database, as the postgres image does for the single `db`.
set -eu
psql "$1" -v ON_ERROR_STOP=1 -v password="$ECASE_DB_PASSWORD" <<'SQL'
CREATE ROLE ecase LOGIN PASSWORD :'password';
CREATE DATABASE ecase OWNER ecase ENCODING 'UTF8';
SQL
