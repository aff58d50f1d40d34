/* api_import_schema_apply.c - the schema an --add-to-schema import needs
 * (api_import_schema.c found what to add): written as JSON on top of the
 * declaration the store records, parsed as a user's file would be, and
 * migrated to inside the import's write transaction; the import then
 * goes on with it (m->s, and its name-id caches made to fit). */
#include <assert.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "api_import_int.h"

#define EXTENDED "(the schema with the import's additions)"

/* name: {"type": t} (and "primary_key": true) into cols; -1 if out of
 * memory. */
static int add_col(cJSON *cols, const char *name, enum op_type t, int pk)
{
	cJSON *c = cols ? cJSON_AddObjectToObject(cols, name) : NULL;

	if (!c || !cJSON_AddStringToObject(c, "type", op_schema_type_name(t)))
		return -1;
	return pk && !cJSON_AddTrueToObject(c, "primary_key") ? -1 : 0;
}

/* The object e's columns (a label) or properties (a type) go in, in `all`
 * ("nodes" or "relationships"); a new one is made as its declaration:
 * a label with the uuid primary key every node table has, a type from
 * and to its first edge's labels. The rest is the schema's defaults:
 * sync lww, not acyclic, no validity. NULL if out of memory. */
static cJSON *columns_of(cJSON *all, const struct op_schema *s, int is_type,
			 const struct imp_xent *e)
{
	const char *key = is_type ? "properties" : "columns";
	cJSON *o, *cols;

	if (!e->is_new) {
		o = cJSON_GetObjectItemCaseSensitive(all, e->name);
		cols = cJSON_GetObjectItemCaseSensitive(o, key);
		return cols || !o ? cols : cJSON_AddObjectToObject(o, key);
	}
	if (!(o = cJSON_AddObjectToObject(all, e->name)))
		return NULL;
	if (!is_type) {
		cols = cJSON_AddObjectToObject(o, key);
		return add_col(cols, "uuid", OP_T_UUID, 1) == 0 ? cols : NULL;
	}
	if (!cJSON_AddStringToObject(o, "from", s->tables[e->from].name) ||
	    !cJSON_AddStringToObject(o, "to", s->tables[e->to].name))
		return NULL;
	/* A type without properties is declared without the key. */
	return e->ncols ? cJSON_AddObjectToObject(o, key) : o;
}

static int extend(cJSON *root, const struct op_schema *s, int is_type,
		  const struct imp_xent *e, size_t n, int64_t version)
{
	const char *key = is_type ? "relationships" : "nodes";
	cJSON *all = cJSON_GetObjectItemCaseSensitive(root, key);
	cJSON *v = cJSON_GetObjectItemCaseSensitive(root, "version");
	size_t i, j;

	if (!all)
		all = cJSON_AddObjectToObject(root, key);
	if (!all || !v)
		return -1;
	cJSON_SetNumberValue(v, (double)version);
	for (i = 0; i < n; i++) {
		cJSON *cols;

		if (!e[i].is_new && !e[i].ncols)
			continue;
		if (!(cols = columns_of(all, s, is_type, &e[i])))
			return -1;
		for (j = 0; j < e[i].ncols; j++)
			if (add_col(cols, e[i].cols[j].name, e[i].cols[j].type,
				    0) != 0)
				return -1;
	}
	return 0;
}

/* The import's name-id caches are per index of m->s: carry each id over
 * to the index its name has in ns (new names start unknown, -1). */
static int remap_ids(struct imp *m, const struct op_schema *ns)
{
	int32_t *l = NULL, *t = NULL;
	size_t i;

	if ((m->label_ids && !(l = op_malloc((ns->ntables + 1) * 4))) ||
	    (m->type_ids && !(t = op_malloc((ns->nrels + 1) * 4)))) {
		op_free(l);
		return op_err_set(&m->db->err, OUTPOST_ENOMEM, "out of memory");
	}
	for (i = 0; l && i < ns->ntables; i++) {
		const struct op_table *o;

		o = op_schema_table(m->s, ns->tables[i].name);

		l[i] = o ? m->label_ids[o - m->s->tables] : -1;
	}
	for (i = 0; t && i < ns->nrels; i++) {
		const struct op_reltype *o;

		o = op_schema_reltype(m->s, ns->rels[i].name);

		t[i] = o ? m->type_ids[o - m->s->rels] : -1;
	}
	if (l) {
		op_free(m->label_ids);
		m->label_ids = l;
	}
	if (t) {
		op_free(m->type_ids);
		m->type_ids = t;
	}
	return OUTPOST_OK;
}

int op_api_import_schema_apply(struct imp *m, int is_type,
			       const struct imp_xent *e, size_t n)
{
	struct op_schema *ns = NULL;
	cJSON *root = NULL;
	char *text = NULL;
	size_t i;
	int rc = OUTPOST_OK;
	/* One version for the import, whichever pass raises it. */
	int64_t version = m->s->version + (m->add_to_schema == 2 ? 0 : 1);

	for (i = 0; i < n && !e[i].is_new && !e[i].ncols; i++)
		;
	if (i == n)
		return OUTPOST_OK; /* nothing to add: the schema stays */
	root = cJSON_Parse(m->s->json);
	if (!root || extend(root, m->s, is_type, e, n, version) != 0 ||
	    !(text = cJSON_PrintUnformatted(root)))
		rc = op_err_set(&m->db->err, OUTPOST_ENOMEM, "out of memory");
	else
		rc = op_schema_parse(&ns, EXTENDED, text, strlen(text),
				     &m->db->err);
	assert(rc != OUTPOST_OK || ns);
	if (rc == OUTPOST_OK)
		rc = op_api_schema_migrate(m->db, m->s, ns);
	if (rc == OUTPOST_OK)
		rc = remap_ids(m, ns);
	if (rc == OUTPOST_OK) {
		op_schema_free(m->s);
		m->s = ns;
		ns = NULL;
		m->add_to_schema = 2;
	}
	op_schema_free(ns);
	cJSON_free(text);
	cJSON_Delete(root);
	return rc;
}
