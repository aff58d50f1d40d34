/* neo4j_faults_fix.h - what the Neo4j error-matrix tests share
 * (neo4j_faults_fix.c, t_neo4j_sink_faults*.c): a seed store with the
 * mirror schema (t_n4_schema) whose log holds every kind of statement
 * the sink sends and integers beyond 2^53, copies of it (same log, same
 * clocks, so a clean push of one is what any push of another must
 * leave), syncs and status, and the stand-in's counters. */
#ifndef OP_NEO4J_FAULTS_FIX_H
#define OP_NEO4J_FAULTS_FIX_H

#include <stdint.h>

#include "neo4j_sink_fix.h"

#define NF_W(x) "0190c000-0000-7000-8000-0000000000" x
/* Pushed changes of the seed: 3 topics, 3 words, 2 ABOUT and 1 NEXT
 * edges (entries 7 to 9), an update of a word, a delete of a topic. */
#define NF_CHANGES 11

/* The seed store "tpl" in t's directory, its mirror at url with the
 * run's password (database "neo4j"). 0, or -1 after failing the test. */
int nf_template(struct t *t, const char *url);
/* Changes after the seed: a word's rank, a word deleted (with its
 * ABOUT edge), a new topic, a new word "moss" and an ABOUT between. */
int nf_extras(struct t *t, outpost *db);
/* The seed "tpl"; "tpl2", a copy of it synced once to the wiped Neo4j
 * (*v1: what Neo4j then holds), then given nf_extras (its cursor after
 * the seed); *v2: what Neo4j holds after a copy of tpl2 is synced too.
 * malloc'd. 0, or -1 after failing the test. */
int nf_stage(struct t *t, const char *url, char **v1, char **v2);
/* Neo4j wiped and given the seed again (what *v1 says). */
int nf_restore(struct t *t);
/* Open store name of t's directory; NULL after failing the test. */
outpost *nf_open(struct t *t, const char *name);
/* A fresh copy of closed store from as to, opened. */
outpost *nf_copy(struct t *t, const char *from, const char *to);
/* What a clean sync of a copy of from leaves in Neo4j (t_n4_dump),
 * Neo4j wiped before and after; *queries (if not NULL) the Query API
 * requests it took through si. malloc'd; NULL after failing the test. */
char *nf_expected(struct t *t, const char *from, struct t_standin *si,
		  long long *queries);

int nf_sync(outpost *db, long long batch, outpost_sync_result *r);
int nf_status(outpost *db, outpost_sink_status *s);
/* The seq of the n-th (from 1) log entry that goes to Neo4j. */
long long nf_nth_seq(outpost *db, int n);

/* A counter of the stand-in's state ("queries", "requests",
 * "executed"), or "left": the counts its rules have left, summed. -1
 * if it cannot be read. */
long long nf_stat(struct t_standin *si, const char *key);

/* `outpost -d <t's dir>/name ARGS` with the CLI; its exit status, and
 * its output in *out (malloc'd). */
int nf_cli(struct t *t, char **out, const char *name, const char *args);

#endif
