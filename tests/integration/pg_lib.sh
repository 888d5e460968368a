# tests/integration/pg_lib.sh: a throwaway PostgreSQL cluster for a test (sourced after lib.sh)

# pg_start: skips the test (a failure under CI=true) without the PostgreSQL
# backend, psql or a cluster; else starts one (tests/pg-cluster.sh), sets
# PGD and the environment of `pg-cluster.sh env` (PGHOST, GOVPKI_PG_URI...).
# The caller's EXIT trap calls pg_stop.
pg_start() {
	grep -q '^#define GP_HAVE_PG 1' "$top_builddir/config.h" ||
		skip_all "this build has no PostgreSQL backend (configure found no libpq: apt-get install libpq-dev)"
	command -v psql >/dev/null || skip_all "psql is not installed (Debian postgresql-client)"
	PGD=$(bash "$top_srcdir/tests/pg-cluster.sh" start 2>"$T/cluster.err") ||
		skip_all "no PostgreSQL cluster could start (Debian postgresql): $(head -c 300 "$T/cluster.err")"
	eval "$(bash "$top_srcdir/tests/pg-cluster.sh" env "$PGD")"
}
pg_stop() { [ -z "${PGD:-}" ] || bash "$top_srcdir/tests/pg-cluster.sh" stop "$PGD"; }
