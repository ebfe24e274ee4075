#!/bin/sh
# 10-baton.sh - run once by the postgres image on the first start of an empty data
# volume (docker-entrypoint-initdb.d): the role batond connects as and its database.
#
# The role is an ordinary one (NOSUPERUSER NOBYPASSRLS) that owns the database, so
# batond's migrations can create the schema while row-level security (partner
# isolation, FORCE'd on the owner too) still applies to every query it makes.
# batond refuses to run as a superuser.
set -eu
: "${BATON_DB_NAME:?}" "${BATON_DB_USER:?}" "${BATON_DB_PASSWORD:?}"
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres \
	-v role="$BATON_DB_USER" -v pw="$BATON_DB_PASSWORD" -v db="$BATON_DB_NAME" <<'SQL'
CREATE ROLE :"role" LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE PASSWORD :'pw';
CREATE DATABASE :"db" OWNER :"role" ENCODING 'UTF8' TEMPLATE template0;
REVOKE ALL ON DATABASE :"db" FROM PUBLIC;
\connect :"db"
ALTER SCHEMA public OWNER TO :"role";
SQL
