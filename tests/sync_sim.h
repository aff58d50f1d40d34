/* sync_sim.h - the random-edit simulator of the convergence tests through
 * central (t_sync_central_converge.c, t_neo4j_converge.c): one central
 * PostgreSQL (the run's own server) with the LexiCraft schema,
 * LearningPoint and RELATED_TO made lww (ts_lexicraft_lww), and SIM_ND
 * device stores sharing the same parent and child scopes, plus a fourth
 * family written centrally that is in none of them.
 *
 * sync_sim.c: the devices' random writes (inserts, updates of random
 * columns, deletes and re-inserts on the LexiCraft tables, the points
 * ledger and the graph; clock skew). sync_sim_central.c: setting it all
 * up, and the administrator's writes on central with psql.
 * sync_sim_sync.c: a device's sync, whole or half. sync_sim_text.c:
 * text dumps compared line by line, and central's edges as one.
 *
 * Every choice is drawn from s->rng (splitmix64 from s->seed), so a seed
 * replays the choices; timing, and so clocks, differ from run to run. */
#ifndef OP_TEST_SYNC_SIM_H
#define OP_TEST_SYNC_SIM_H

#include <stdint.h>

#include "t_sync_pg.h"

#define SIM_ND 3	   /* devices */
#define SIM_NU 9	   /* parents: each made once, by device (index % ND) */
#define SIM_NK 24	   /* children: the same */
#define SIM_POOL 512	   /* ids remembered per kind */
#define SIM_ID_MAX 112	   /* "id child point" */

/* What is remembered: ids to pick for later writes. */
enum sim_kind {
	SIM_PROGRESS,
	SIM_GONE,
	SIM_VERIF,
	SIM_POINT,
	SIM_EDGE,
	SIM_LEDGER,
	SIM_KINDS
};

/* How a device syncs with central (sim_sync): outpost_sync (which also
 * pushes to a Neo4j mirror when one is set); only the push or only the
 * pull through the engine (sync/sync.c), the other half held back; or
 * both halves through the engine, so no mirror is pushed. */
enum sim_mode { SIM_FULL, SIM_PUSH_ONLY, SIM_PULL_ONLY, SIM_PG_ONLY };

struct sim {
	struct t *t;
	struct central c;
	struct device dev[SIM_ND];
	outpost *db[SIM_ND];
	char user[SIM_NU][37], kid[SIM_NK][37], acct[SIM_NK][37];
	int user_made[SIM_NU], kid_made[SIM_NK];
	char out_user[37], out_kid[37]; /* the fourth family */
	char ids[SIM_KINDS][SIM_POOL][SIM_ID_MAX];
	size_t nids[SIM_KINDS];
	uint64_t rng;
	unsigned long long seed;
	unsigned serial;
};

/* A random number below n, from s->rng. */
unsigned sim_below(struct sim *s, unsigned n);
/* Remember id as one of kind k (up to SIM_POOL of each). */
void sim_remember(struct sim *s, enum sim_kind k, const char *id);
/* A remembered id of kind k, or NULL; half the time a recent one, so
 * that devices often change the same rows at once. */
const char *sim_pick(struct sim *s, enum sim_kind k);
/* A made child (it may be gone by now), or NULL. */
const char *sim_any_kid(struct sim *s);
/* outpost_sql of a formatted script, quietly (random writes often fail:
 * a row this store lacks). */
int sim_qsql(outpost *db, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* s->t = t, and the seed: OUTPOST_TEST_SEED, else the clock. */
void sim_seed(struct sim *s, struct t *t);
/* Central with the schema and the fourth family, and the devices, their
 * stores open in s->db. s->rng must be seeded. 0 ok, else the test is
 * failed. */
int sim_setup(struct t *t, struct sim *s);
/* One random write by device i. */
void sim_write(struct sim *s, int i);
/* One random write by device i on the graph only: a learning point made,
 * updated or deleted, a RELATED_TO relationship made, its properties
 * updated, or deleted. */
void sim_write_graph(struct sim *s, int i);
/* One random write of the administrator on central (captured there,
 * with central's clock and site zeros). 0 ok, else the test is failed. */
int sim_central_write(struct sim *s);
/* order[0..SIM_ND) a random permutation of the devices. */
void sim_shuffle(struct sim *s, int order[SIM_ND]);
/* Device i syncs with central in mode (enum sim_mode), in batches of
 * `batch` changes (0: the default); *moved (may be NULL) gets what went
 * either way. 0 ok, else the test is failed. */
int sim_sync(struct sim *s, int i, int mode, long long batch,
	     long long *moved);

/* ---- text dumps (sync_sim_text.c) ---- */

/* A growing string; start from {0}, free p. */
struct sim_text {
	char *p;
	size_t n, cap;
};

void sim_addf(struct sim_text *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* text's lines sorted, as a new string (text is cut into lines). */
char *sim_sorted(char *text);
/* "head {props}" with props (JSON) as sorted name=value, nulls left out:
 * numbers as %.17g, anything else as its JSON. */
void sim_edge_line(struct sim_text *b, const char *head, const char *props);
/* Central's edges, sorted, a line each: "uuid type from to valid_from
 * valid_to {props}" (validity "-" when null). */
char *sim_central_edges(struct sim *s);
/* Same text (1), or the test failed naming the first line that differs
 * (0). */
int sim_same(struct sim *s, const char *what, const char *a,
	     const char *b);
/* The lines only in a ("- ") and only in b ("+ ") of two sorted dumps,
 * at most max of them, as a new string ("" when they are the same). */
char *sim_diff(const char *a, const char *b, int max);

#endif
