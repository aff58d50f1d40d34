/* t_sync_central_converge.c - convergence through central (issue 4):
 * three device stores and one central PostgreSQL (the run's own server)
 * with the LexiCraft schema, LearningPoint and RELATED_TO made lww as in
 * t_sync_converge.c. The three devices share the same parent and child
 * scopes; a fourth family, written centrally, is in none of them and
 * must reach no device. Each round every device makes a few random
 * inserts, updates (random columns, so devices change different columns
 * of one row), deletes and re-inserts on the LexiCraft tables, the
 * points ledger and the graph; now and then the administrator writes on
 * central with psql (captured there); then a random subset of devices
 * syncs in random order: outpost_sync (sometimes in batches of a few
 * changes), or only its push (as when the pull failed) or only its pull
 * (as when the app wrote between push and pull) through the engine
 * (sync/sync.c) with the other half held back. At the end every device
 * syncs until nothing moves; then all devices hold the same rows,
 * clocks, parked values and edges, central the same rows (in the wire
 * encoding, outpost.enc_expr) and edges, and the points ledger holds
 * every transaction once, logged once.
 *
 * Left out on purpose, as PROTOCOL.md "Not covered" says they cannot
 * converge: two devices inserting one unique value under different ids
 * (progress and discoveries are made by the owner of their point only,
 * a points account has a fixed id per child), and a parent made again
 * after its delete (parents and children are made once each).
 *
 * It found five divergences in central's merge (orphans refused by
 * central's foreign keys, edges to deleted nodes kept, a first insert
 * without a clock losing to an older one, direct edge property updates
 * stamped whole, scope lost on deletes cascaded away centrally) and a
 * sixth (an insert over a live row taking columns updated after it);
 * t_sync_central_merge.c has one test for each of the first five.
 *
 * The simulator (writes, central's, syncs) is sync_sim.h's, shared with
 * t_neo4j_converge.c; the rounds and the comparisons are here.
 *
 * The seed is printed on failure and OUTPOST_TEST_SEED=n replays its
 * choices (timing, and so clocks, differ from run to run). On a
 * difference the message gives central's log of the row concerned. */
#include <stdlib.h>
#include <cjson/cJSON.h>

#include "sync_batch.h"
#include "sync_sim.h"

#define ROUNDS 60

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int add_line(void *ctx, int n, const char *const *names,
		    const outpost_value *v)
{
	(void)names;
	sim_addf(ctx, "%s\n",
		 n > 0 && v[0].type == OUTPOST_TEXT ? v[0].s : "~");
	return 0;
}

/* Every row of every table and node label in the wire encoding, one
 * line per row, columns by name: as the capture triggers encode
 * (schema_trigger.c), json minified. catalog: "name|pk|cols" lines. */
static char *device_rows(outpost *db, const char *catalog)
{
	struct sim_text out = {0}, q = {0};
	char line[4096], *bar, *pk, *names[64];
	const char *p, *enc;
	cJSON *cols, *c;
	size_t len;
	int n, k;

	sim_addf(&out, "%s", "");
	for (p = catalog; sscanf(p, "%4095[^\n]", line) == 1; p += len + 1) {
		len = strlen(line);
		if (!(bar = strchr(line, '|')) || !(pk = bar + 1) ||
		    !(bar = strchr(pk, '|')))
			break;
		*strchr(line, '|') = *bar = '\0';
		cols = cJSON_Parse(bar + 1);
		n = 0;
		cJSON_ArrayForEach(c, cols) if (n < 64) names[n++] = c->string;
		qsort(names, (size_t)n, sizeof(*names), cmp_str);
		q.n = 0;
		sim_addf(&q, "SELECT ''");
		for (k = 0; k < n; k++) {
			const char *t = cJSON_GetObjectItem(cols, names[k])
						->valuestring;

			enc = !strcmp(t, "integer") || !strcmp(t, "boolean")
				      ? "CAST(\"%s\" AS TEXT)"
			      : !strcmp(t, "json") ? "json(\"%s\")"
			      : !strcmp(t, "real") ? "printf('%%!.16e', \"%s\")"
						   : "\"%s\"";
			sim_addf(&q, " || ' %s=' || coalesce(", names[k]);
			sim_addf(&q, enc, names[k]);
			sim_addf(&q, ", '~')");
		}
		sim_addf(&q, " FROM \"%s\" ORDER BY \"%s\"", line, pk);
		sim_addf(&out, "== %s\n", line);
		if (outpost_sql(db, q.p, NULL, 0, add_line, &out) != OUTPOST_OK)
			sim_addf(&out, "(error: %s)\n", outpost_errmsg(db));
		cJSON_Delete(cols);
	}
	free(q.p);
	return out.p;
}

/* The same of central, by outpost.enc_expr, without the rows of the
 * fourth family (any row naming its parent or child). */
static char *central_rows(struct sim *s)
{
	char sql[2048], *out = NULL;

	snprintf(sql, sizeof(sql),
		 "CREATE FUNCTION pg_temp.rows() RETURNS SETOF text "
		 "LANGUAGE plpgsql AS $f$ DECLARE t record; e text; BEGIN "
		 "FOR t IN SELECT name, pk, cols FROM outpost.catalog WHERE "
		 "kind <> 'type' ORDER BY name COLLATE \"C\" LOOP "
		 "RETURN NEXT '== ' || t.name; "
		 "SELECT string_agg(format('%%L || coalesce(%%s, ''~'')', "
		 "' ' || k || '=', CASE WHEN v = 'json' THEN format("
		 "'replace((x.%%I)::text, '' '', '''')', k) ELSE "
		 "outpost.enc_expr(v, format('x.%%I', k)) END), ' || ' "
		 "ORDER BY k COLLATE \"C\") INTO e FROM "
		 "jsonb_each_text(t.cols) AS c(k, v); "
		 "RETURN QUERY EXECUTE format('SELECT %%s FROM public.%%I x "
		 "WHERE strpos(to_jsonb(x)::text, %%L) = 0 AND "
		 "strpos(to_jsonb(x)::text, %%L) = 0 ORDER BY x.%%I', e, "
		 "t.name, '%s', '%s', t.pk); END LOOP; END $f$; "
		 "SELECT * FROM pg_temp.rows()", s->out_user, s->out_kid);
	if (t_pg_psql(&out, s->c.db, T_PG_ADMIN, NULL, sql) != 0)
		t_fail(s->t, __FILE__, __LINE__, "central rows: %s", out);
	return out;
}

static int device_edge(void *ctx, const outpost_edge_info *e)
{
	char head[512];

	snprintf(head, sizeof(head), "%s %s %s %s %s %s", e->uuid, e->type,
		 e->from, e->to, e->valid_from ? e->valid_from : "-",
		 e->valid_to ? e->valid_to : "-");
	sim_edge_line(ctx, head, e->properties);
	return 0;
}

static char *device_edges(outpost *db)
{
	struct sim_text b = {0};
	char *s;

	sim_addf(&b, "%s", "");
	outpost_graph_edges_each(db, NULL, device_edge, &b);
	s = sim_sorted(b.p);
	free(b.p);
	return s;
}

/* Every transaction of the ledger once: logged centrally once, as an
 * insert; and on every replica exactly when its child is there (a
 * child's delete takes its transactions along, everywhere). */
static void check_ledger(struct sim *s)
{
	char sql[512], *out = NULL, want[32];
	size_t k;
	int bad;

	t_pg_psql(&out, s->c.db, T_PG_ADMIN, NULL, "SELECT row_id || ' ' || "
		  "string_agg(op || ' ' || sseq || ' ' || coalesce(device, "
		  "'central'), ', ' ORDER BY sseq) FROM outpost.changes WHERE "
		  "tbl = 'points_transactions' GROUP BY row_id HAVING count(*) "
		  "<> 1 OR bool_or(op <> 'I')");
	sim_same(s, "ledger entries logged centrally other than once", out, "");
	free(out);
	t_pg_psql(&out, s->c.db, T_PG_ADMIN, NULL, "SELECT count(DISTINCT "
		  "row_id) FROM outpost.changes WHERE tbl = "
		  "'points_transactions'");
	snprintf(want, sizeof(want), "%zu\n", s->nids[SIM_LEDGER] + 2);
	sim_same(s, "ledger transactions central logged, and made", out, want);
	free(out);
	for (k = 0, bad = 0; k < s->nids[SIM_LEDGER] && !bad; k++) {
		const char *id = s->ids[SIM_LEDGER][k];

		snprintf(sql, sizeof(sql), "SELECT (SELECT count(*) FROM "
			 "points_transactions WHERE id = '%.36s') - (SELECT "
			 "count(*) FROM children WHERE id = '%.36s')", id,
			 id + 37);
		if ((bad = t_int(s->db[0], sql) != 0))
			t_fail(s->t, __FILE__, __LINE__, "seed %llu: ledger "
			       "row %s: present %lld times", s->seed, id,
			       t_int(s->db[0], sql));
	}
}

/* The id in the line at p (after key, or at its start), or NULL. */
static const char *line_id(const char *p, const char *key)
{
	const char *nl = strchr(p, '\n'), *x = key ? strstr(p, key) : p;

	if (!x || (nl && x > nl) || strlen(x += key ? strlen(key) : 0) < 36 ||
	    x[8] != '-' || x[23] != '-')
		return NULL;
	return x;
}

/* For the failure message: central's log of the row or edge named by
 * the first line where a and b differ. */
static void explain(struct sim *s, const char *a, const char *b,
		    const char *key)
{
	char sql[512], *out = NULL;
	const char *id, *ia, *ib;
	size_t q = 0;

	while (a[q] && a[q] == b[q])
		q++;
	while (q && a[q - 1] != '\n')
		q--;
	/* Lines go by id: the smaller one is the row only one side has. */
	ia = line_id(a + q, key);
	ib = line_id(b + q, key);
	if (!(id = !ia || (ib && strncmp(ib, ia, 36) < 0) ? ib : ia))
		return;
	snprintf(sql, sizeof(sql), "SELECT sseq || ' ' || hlc || ' ' || "
		 "coalesce(device, 'central') || ' ' || op || ' ' || "
		 "coalesce(scope_value, '-') || ' ' || coalesce(vals::text, "
		 "'') FROM outpost.changes WHERE row_id = '%.36s' ORDER BY "
		 "sseq", id);
	t_pg_psql(&out, s->c.db, T_PG_ADMIN, NULL, sql);
	t_fail(s->t, __FILE__, __LINE__, "seed %llu: central's log of %.36s "
	       "(sseq hlc device op scope vals):\n%s", s->seed, id, out);
	free(out);
}

static void compare(struct sim *s)
{
	char *d[SIM_ND] = {NULL}, *cat = NULL, *a, *b;
	char what[64];
	int i;

	for (i = 0; i < SIM_ND; i++) {
		d[i] = ts_dump_all(s->db[i]);
		snprintf(what, sizeof(what), "devices 0 and %d", i);
		if (i && !sim_same(s, what, d[0], d[i]))
			explain(s, d[0], d[i], "id=T:");
		if (strstr(d[i], s->out_kid) || strstr(d[i], s->out_user))
			t_fail(s->t, __FILE__, __LINE__, "seed %llu: device %d "
			       "holds the fourth family's rows", s->seed, i);
	}
	for (i = 0; i < SIM_ND; i++)
		free(d[i]);
	t_pg_psql(&cat, s->c.db, T_PG_ADMIN, NULL, "SELECT name || '|' || pk "
		  "|| '|' || cols::text FROM outpost.catalog WHERE kind <> "
		  "'type' ORDER BY name COLLATE \"C\"");
	a = device_rows(s->db[0], cat ? cat : "");
	b = central_rows(s);
	if (!sim_same(s, "device 0 and central rows", a, b))
		explain(s, a, b, " id=");
	free(a);
	free(b);
	free(cat);
	a = device_edges(s->db[0]);
	b = sim_central_edges(s);
	if (!sim_same(s, "device 0 and central edges", a, b))
		explain(s, a, b, NULL);
	free(a);
	free(b);
	check_ledger(s);
	t_pg_psql(&a, s->c.db, T_PG_ADMIN, NULL, "SELECT count(*) FROM "
		  "points_transactions x JOIN children c ON c.id = x.child_id "
		  "WHERE c.name = 'outside'");
	sim_same(s, "the fourth family's ledger at central", a, "2\n");
	free(a);
}

/* Rounds of writes and syncs by a random subset in random order; then
 * full syncs until a round moves nothing. */
static int run(struct sim *s)
{
	int round, i, k, order[SIM_ND], pass;
	long long moved, m;

	for (round = 0; round < ROUNDS; round++) {
		for (i = 0; i < SIM_ND; i++)
			for (k = 2 + (int)sim_below(s, 7); k > 0; k--)
				sim_write(s, i);
		if (sim_below(s, 3) == 0 && sim_central_write(s) != 0)
			return -1;
		sim_shuffle(s, order);
		for (i = 0; i < SIM_ND; i++) {
			unsigned r = sim_below(s, 100);
			long long batch = sim_below(s, 4) ? 0
							  : 1 + sim_below(s, 5);

			if (sim_below(s, 3) &&
			    sim_sync(s, order[i], r < 70   ? SIM_FULL
						  : r < 85 ? SIM_PUSH_ONLY
							   : SIM_PULL_ONLY,
				     batch, NULL) != 0)
				return -1;
		}
	}
	for (pass = 0; pass < 5; pass++) {
		for (moved = 0, i = 0; i < SIM_ND; i++) {
			if (sim_sync(s, i, SIM_FULL, 0, &m) != 0)
				return -1;
			moved += m;
		}
		if (!moved)
			return 0;
	}
	t_fail(s->t, __FILE__, __LINE__, "seed %llu: still moving after %d "
	       "full rounds", s->seed, pass);
	return -1;
}

/* Declared here while it is not in tests/list.h (see the top). */
void test_sync_central_converge(struct t *t);

void test_sync_central_converge(struct t *t)
{
	struct sim *s = calloc(1, sizeof(*s));
	int i;

	CHECK(s);
	sim_seed(s, t);
	if (sim_setup(t, s) == 0 && run(s) == 0)
		compare(s);
	if (getenv("OUTPOST_SYNC_STATS"))
		fprintf(stderr, "seed %llu: %zu points, %zu edges, %zu ledger "
			"rows, %u writes numbered\n", s->seed,
			s->nids[SIM_POINT], s->nids[SIM_EDGE],
			s->nids[SIM_LEDGER], s->serial);
	if (t->failed)
		fprintf(stderr, "seed %llu: OUTPOST_TEST_SEED=%llu replays "
			"it\n", s->seed, s->seed);
	for (i = 0; i < SIM_ND; i++)
		outpost_close(s->db[i]);
	free(s);
}
