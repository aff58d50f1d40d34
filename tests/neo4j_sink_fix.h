/* neo4j_sink_fix.h - what the Neo4j sink tests share (neo4j_sink_fix.c):
 * a small schema with every kind of property, sinks opened on the run's
 * real Neo4j 3.1.1 or through the Query API v2 stand-in, hand-made
 * changes with chosen clocks, and a look at what Neo4j holds. */
#ifndef OP_NEO4J_SINK_FIX_H
#define OP_NEO4J_SINK_FIX_H

#include <stdint.h>

#include "neo4j_harness.h"
#include "sink.h"

/* Word (unique word; integer, real, boolean, text[], json, password
 * properties), Topic; ABOUT Word->Topic (weight, note), NEXT Word->Word
 * with validity; Secret is local_only; notes is a plain table. */
extern const char t_n4_schema[];

/* A sink on the real server (standin NULL) or through s, wiped first;
 * rows per request (0: the default). NULL after failing the test. */
struct op_sink *t_n4_open(struct t *t, struct t_standin *s, size_t rows);

/* c[i] for table, op, row id, clock (hlc; site 0xab...), values. */
void t_n4_change(struct op_change *c, int64_t seq, const char *table,
		 char op, const char *id, uint64_t hlc, const char *vals);

/* Push n changes; 0, or -1 after failing the test with the message. */
int t_n4_push(struct t *t, struct op_sink *k, const struct op_change *c,
	      size_t n);

/* The first row of statement's answer as compact JSON ("" when there is
 * none), malloc'd; NULL after failing the test. */
char *t_n4_row(struct t *t, const char *statement);

/* Everything in Neo4j but the bookkeeping node, one line per node and
 * relationship with its labels or type and every property, in uuid
 * order; malloc'd, NULL after failing the test. */
char *t_n4_dump(struct t *t);

#endif
