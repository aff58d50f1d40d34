/* pg_harness.h - a real, throw-away PostgreSQL server for the tests.
 *
 * The runner (runner.c) names a directory for its own server at start
 * (t_pg_setup) and stops and removes it at exit (t_pg_cleanup). The first
 * test that calls t_pg_start() in that run creates the cluster (initdb,
 * Unix socket only, in that directory, fsync off) and starts it; later
 * tests find it running. As root, initdb and pg_ctl run as the
 * unprivileged `postgres` account (PostgreSQL refuses root).
 *
 * Roles: the superuser is "postgres" and connects without a password;
 * every other role must give its password (scram-sha-256), so a device
 * role's password file is really tested. */
#ifndef OP_PG_HARNESS_H
#define OP_PG_HARNESS_H

#include "check.h"

#define T_PG_ADMIN "postgres"

/* Runner only: choose this run's server directory (sets
 * OUTPOST_TEST_PG_DIR for the tests it forks). */
void t_pg_setup(void);
/* Runner only: stop the server if a test started it, remove its files. */
void t_pg_cleanup(void);

/* Make sure the server runs. 0 on success; on failure the test is
 * failed with PostgreSQL's own words (log tail) and -1 returned. */
int t_pg_start(struct t *t);
/* Stop / restart the running server (fault tests). 0 on success. */
int t_pg_stop(void);
int t_pg_restart(void);

/* A libpq connection string for dbname as user (no password in it);
 * returns out. */
const char *t_pg_conninfo(char out[512], const char *dbname,
			  const char *user);
/* The server's socket directory (its "host"). */
const char *t_pg_host(void);
/* CREATE DATABASE name (as the superuser). 0 on success. */
int t_pg_createdb(const char *name);
/* A fresh database named after the test (t->name), created; its name
 * goes to out (64 bytes). 0 on success, else the test is failed. */
int t_pg_testdb(struct t *t, char out[64]);

/* Run sql with psql against dbname as user. password (may be NULL) is
 * given to psql in its own environment as PGPASSWORD, never on its
 * command line. *out (if not NULL) gets stdout+stderr, malloc'd; output
 * is unaligned, tuples only, '|' between fields. Returns psql's exit
 * status (0 ok, 1/3 an SQL error, 2 no connection), or -1. */
int t_pg_psql(char **out, const char *dbname, const char *user,
	      const char *password, const char *sql);

#endif
