/* sync_sim.c - the devices' random writes of the convergence simulator
 * (sync_sim.h): parents, children and points accounts, progress,
 * verification and the points ledger, learning points and their
 * RELATED_TO edges, and clocks running ahead.
 *
 * Left out on purpose, as PROTOCOL.md "Not covered" says they cannot
 * converge: two devices inserting one unique value under different ids
 * (progress and discoveries are made by the owner of their point only,
 * a points account has a fixed id per child), and a parent made again
 * after its delete (parents and children are made once each). */
#include <stdarg.h>
#include <stdlib.h>

#include "api_remote_int.h"
#include "sync_sim.h"

#define HASH "$argon2id$v=19$m=65536,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNo"

static int vqsql(outpost *db, const char *fmt, va_list ap)
{
	char sql[2048];

	vsnprintf(sql, sizeof(sql), fmt, ap);
	return outpost_sql(db, sql, NULL, 0, NULL, NULL);
}

/* Random writes often fail here (a row this store lacks): quietly. */
static int qsql(outpost *db, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static int qsql(outpost *db, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = vqsql(db, fmt, ap);
	va_end(ap);
	return rc;
}

int sim_qsql(outpost *db, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = vqsql(db, fmt, ap);
	va_end(ap);
	return rc;
}

static unsigned below(struct sim *s, unsigned n)
{
	return t_rng_below(&s->rng, n);
}

unsigned sim_below(struct sim *s, unsigned n)
{
	return below(s, n);
}

static void remember(struct sim *s, enum sim_kind k, const char *id)
{
	if (s->nids[k] < SIM_POOL)
		snprintf(s->ids[k][s->nids[k]++], SIM_ID_MAX, "%s", id);
}

void sim_remember(struct sim *s, enum sim_kind k, const char *id)
{
	remember(s, k, id);
}

/* A remembered id of kind k, or NULL; half the time a recent one, so
 * that devices often change the same rows at once. */
static const char *pick(struct sim *s, enum sim_kind k)
{
	size_t n = s->nids[k], recent = n < 4 ? n : 4;

	if (!n)
		return NULL;
	if (below(s, 2))
		return s->ids[k][n - 1 - below(s, (unsigned)recent)];
	return s->ids[k][below(s, (unsigned)n)];
}

const char *sim_pick(struct sim *s, enum sim_kind k)
{
	return pick(s, k);
}

/* A made parent or child (it may be gone by now), or NULL. */
static const char *made(struct sim *s, const int *flag, int n,
			char (*id)[37])
{
	int k, at = (int)below(s, (unsigned)n);

	for (k = 0; k < n; k++, at = (at + 1) % n)
		if (flag[at])
			return id[at];
	return NULL;
}

#define any_user(s) made(s, (s)->user_made, SIM_NU, (s)->user)
#define any_kid(s) made(s, (s)->kid_made, SIM_NK, (s)->kid)

const char *sim_any_kid(struct sim *s)
{
	return any_kid(s);
}

/* The device that may write rows unique per point (by its last digit). */
static int owner(const char *id)
{
	char d = id[35];

	return (d <= '9' ? d - '0' : d - 'a' + 10) % SIM_ND;
}

/* A remembered point that device i owns, or NULL. */
static const char *own_point(struct sim *s, int i)
{
	const char *lp;
	int k;

	for (k = 0; k < 8; k++)
		if ((lp = pick(s, SIM_POINT)) && owner(lp) == i)
			return lp;
	return NULL;
}

/* Parents and children are made once each, by one device, and never
 * made again: a row made concurrently with its parent's delete survives
 * a re-insert of the parent only in some orders (PROTOCOL.md "Not
 * covered"). Points accounts are leaves: any device makes one again. */
static void op_family(struct sim *s, outpost *db, int i, unsigned what)
{
	static const char *const acol[] = {"balance", "locked_points",
					   "unlocked_points"};
	unsigned u = (unsigned)i + SIM_ND * below(s, SIM_NU / SIM_ND);
	unsigned k = (unsigned)i + SIM_ND * below(s, SIM_NK / SIM_ND);
	unsigned r = below(s, SIM_NK);
	const char *a = any_user(s), *c = any_kid(s);

	switch (what) {
	case 0:
		if (!s->user_made[u] &&
		    qsql(db, "INSERT INTO users(id, email, password_hash) "
			 "VALUES ('%s', 'u%u@example.org', '" HASH "')",
			 s->user[u], ++s->serial) == OUTPOST_OK)
			s->user_made[u] = 1;
		break;
	case 1:
		if (a)
			qsql(db, "UPDATE users SET display_name = 'd%u' WHERE "
			     "id = '%s'", ++s->serial, a);
		break;
	case 2:
		if (a && !s->kid_made[k] &&
		    qsql(db, "INSERT INTO children(id, parent_id, name, "
			 "birth_year) VALUES ('%s', '%s', 'c%u', %u); INSERT "
			 "INTO points_accounts(id, child_id) VALUES ('%s', "
			 "'%s')", s->kid[k], a, ++s->serial,
			 2010 + below(s, 10), s->acct[k],
			 s->kid[k]) == OUTPOST_OK)
			s->kid_made[k] = 1;
		break;
	case 3:
		if (c)
			qsql(db, below(s, 2) ? "UPDATE children SET name = "
					       "'n%u' WHERE id = '%s'"
					     : "UPDATE children SET birth_year "
					       "= 2000 + %u %% 20 WHERE id = "
					       "'%s'",
			     ++s->serial, c);
		break;
	case 4: /* rarer: much goes along */
		if (c && below(s, 4) == 0)
			qsql(db, "DELETE FROM children WHERE id = '%s'", c);
		break;
	case 5:
		if (a && below(s, 8) == 0)
			qsql(db, "DELETE FROM users WHERE id = '%s'", a);
		break;
	case 6:
		qsql(db, "UPDATE points_accounts SET %s = %u WHERE id = '%s'",
		     acol[below(s, 3)], below(s, 500), s->acct[r]);
		break;
	case 7:
		qsql(db, "DELETE FROM points_accounts WHERE id = '%s'",
		     s->acct[r]);
		break;
	case 8:
		qsql(db, "INSERT INTO points_accounts(id, child_id, balance) "
		     "VALUES ('%s', '%s', %u)", s->acct[r], s->kid[r],
		     below(s, 100));
		break;
	}
}

/* "id child point" of row id of table tbl, before it goes. */
static int row_of(outpost *db, const char *tbl, const char *id, char *out)
{
	char sql[256], row[T_TEXT_MAX];

	snprintf(sql, sizeof(sql), "SELECT id || ' ' || child_id || ' ' || "
		 "learning_point_id FROM %s WHERE id = '%s'", tbl, id);
	t_text(db, sql, row);
	if (strlen(row) != 3 * 36 + 2)
		return -1;
	memcpy(out, row, 3 * 36 + 3);
	return 0;
}

static void op_progress(struct sim *s, outpost *db, int i, unsigned what)
{
	static const char *const pset[] = {
		"status = 'started'", "status = 'mastered'",
		"started_at = '2024-05-0%uT10:00:00.000Z'",
		"last_reviewed_at = '2024-06-0%uT08:30:00.250Z'"};
	static const char *const vset[] = {
		"completed = %u %% 2", "result = 'r%u'",
		"answers = '[\"a\",\"b%u\"]'",
		"completed_at = '2024-07-0%uT09:00:00.000Z'"};
	char id[37], child[37], point[37], row[SIM_ID_MAX], set[128];
	const char *c = any_kid(s), *lp = pick(s, SIM_POINT), *g;
	const char *p = pick(s, SIM_PROGRESS), *v = pick(s, SIM_VERIF);

	outpost_uuid_v7(id);
	switch (what) {
	case 0: /* (child, point) is unique: the point's owner makes it */
		if (c && (lp = own_point(s, i)) != NULL &&
		    qsql(db, "INSERT INTO learning_progress(id, child_id, "
			 "learning_point_id) VALUES ('%s', '%s', '%s')", id, c,
			 lp) == OUTPOST_OK)
			remember(s, SIM_PROGRESS, id);
		break;
	case 1:
		snprintf(set, sizeof(set), pset[below(s, 4)], 1 + below(s, 9));
		if (p)
			qsql(db, "UPDATE learning_progress SET %s WHERE id = "
			     "'%s'", set, p);
		break;
	case 2:
		if (p && row_of(db, "learning_progress", p, row) == 0 &&
		    qsql(db, "DELETE FROM learning_progress WHERE id = '%s'",
			 p) == OUTPOST_OK)
			remember(s, SIM_GONE, row);
		break;
	case 3: /* a deleted id made again, by the point's owner */
		if ((g = pick(s, SIM_GONE)) != NULL &&
		    sscanf(g, "%36s %36s %36s", id, child, point) == 3 &&
		    owner(point) == i)
			qsql(db, "INSERT INTO learning_progress(id, child_id, "
			     "learning_point_id, status) VALUES ('%s', '%s', "
			     "'%s', 'again%u')", id, child, point, ++s->serial);
		break;
	case 4:
	case 5: /* the ledger, append_only */
		snprintf(row, sizeof(row), "%s %s", id, c ? c : "");
		if (c && qsql(db, "INSERT INTO points_transactions(id, "
			      "child_id, amount, kind) VALUES ('%s', '%s', %u, "
			      "'earn')", id, c, 1 + below(s, 9)) == OUTPOST_OK)
			remember(s, SIM_LEDGER, row);
		break;
	case 6:
		snprintf(row, sizeof(row), "%s %s %s", id, c ? c : "",
			 lp ? lp : "");
		if (c && lp && qsql(db, "INSERT INTO verification_schedule(id, "
				    "child_id, learning_point_id, "
				    "scheduled_date, question) VALUES ('%s', "
				    "'%s', '%s', '2024-06-1%u', '{\"q\":"
				    "\"w%u\"}')", id, c, lp, below(s, 10),
				    ++s->serial) == OUTPOST_OK)
			remember(s, SIM_VERIF, row);
		break;
	case 7:
		snprintf(set, sizeof(set), vset[below(s, 4)], 1 + below(s, 9));
		if (v)
			qsql(db, "UPDATE verification_schedule SET %s WHERE id "
			     "= '%.36s'", set, v);
		break;
	case 8:
		if (v)
			qsql(db, "DELETE FROM verification_schedule WHERE id = "
			     "'%.36s'", v);
		break;
	case 9: /* a leaf: any device may make it again */
		if (v && sscanf(v, "%36s %36s %36s", id, child, point) == 3)
			qsql(db, "INSERT INTO verification_schedule(id, "
			     "child_id, learning_point_id, scheduled_date, "
			     "result) VALUES ('%s', '%s', '%s', '2024-08-01', "
			     "'again%u')", id, child, point, ++s->serial);
		break;
	case 10:
		if (c)
			qsql(db, "INSERT INTO withdrawal_requests(id, "
			     "child_id, parent_id, amount) SELECT '%s', id, "
			     "parent_id, %u FROM children WHERE id = '%s'; "
			     "UPDATE withdrawal_requests SET status = 's%u' "
			     "WHERE child_id = '%s' AND id <> '%s'", id,
			     1 + below(s, 50), c, ++s->serial, c, id);
		break;
	case 11:
		if (c && (lp = own_point(s, i)) != NULL)
			qsql(db, "INSERT INTO relationship_discoveries(id, "
			     "child_id, from_point_id, to_point_id, "
			     "relationship_type) VALUES ('%s', '%s', '%s', "
			     "'%s', 'RELATED_TO'); UPDATE "
			     "relationship_discoveries SET bonus_awarded = 1 "
			     "WHERE child_id = '%s' AND id <> '%s'", id, c, lp,
			     pick(s, SIM_POINT), c, id);
		break;
	}
}

static void op_graph(struct sim *s, outpost *db, unsigned what)
{
	static const char *const lset[] = {
		"difficulty = %u", "definition = 'd%u'",
		"example_sentence = 'e%u'", "frequency_rank = %u",
		"part_of_speech = 'p%u'"};
	outpost_edge e = OUTPOST_EDGE_INIT;
	char id[37], props[128], set[64];
	const char *lp = pick(s, SIM_POINT), *ed = pick(s, SIM_EDGE);

	switch (what) {
	case 0:
		outpost_uuid_v7(id);
		s->serial++;
		if (qsql(db, "INSERT INTO \"LearningPoint\"(id, "
			 "learning_point_id, word) VALUES ('%s', 'lp%u', "
			 "'w%u')", id, s->serial, s->serial) == OUTPOST_OK)
			remember(s, SIM_POINT, id);
		break;
	case 1:
		snprintf(set, sizeof(set), lset[below(s, 5)], ++s->serial);
		if (lp)
			qsql(db, "UPDATE \"LearningPoint\" SET %s WHERE id = "
			     "'%s'", set, lp);
		break;
	case 2:
		if (lp && below(s, 4) == 0) /* rarer: it takes much along */
			qsql(db, "DELETE FROM \"LearningPoint\" WHERE id = "
			     "'%s'", lp);
		break;
	case 3:
	case 4:
		e.type = "RELATED_TO";
		e.from = lp;
		e.to = pick(s, SIM_POINT);
		snprintf(props, sizeof(props), "{\"strength\": %u.5}",
			 below(s, 9));
		e.properties = props;
		if (e.from && e.to &&
		    outpost_graph_edge_add(db, &e, id) == OUTPOST_OK)
			remember(s, SIM_EDGE, id);
		break;
	case 5:
	case 6:
		snprintf(props, sizeof(props), below(s, 2)
			 ? "{\"strength\": %u.25}" : "{\"note\": \"n%u\"}",
			 ++s->serial);
		e.properties = props;
		if (ed)
			outpost_graph_edge_update(db, ed, &e);
		break;
	case 7:
		if (ed)
			outpost_graph_edge_delete(db, ed, 0);
		break;
	}
}

/* A clock running up to two seconds ahead: within the bound, but its
 * changes win over later ones from the others. */
static void skew(struct sim *s, outpost *db)
{
	qsql(db, "UPDATE _outpost_clock SET floor = max(floor, %llu)",
	     (unsigned long long)(op_hlc_wall_ms() + below(s, 2000)) << 16);
}

void sim_write_graph(struct sim *s, int i)
{
	op_graph(s, s->db[i], below(s, 8));
}

void sim_write(struct sim *s, int i)
{
	unsigned r = below(s, 100);

	if (r < 25)
		op_family(s, s->db[i], i, below(s, 9));
	else if (r < 60)
		op_progress(s, s->db[i], i, below(s, 12));
	else if (r < 97)
		op_graph(s, s->db[i], below(s, 8));
	else
		skew(s, s->db[i]);
}
