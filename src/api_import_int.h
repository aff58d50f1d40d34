/* api_import_int.h - state shared by the two halves of an import
 * (api_import.c: nodes and the commit; api_import_edges.c: edges). */
#ifndef OP_API_IMPORT_INT_H
#define OP_API_IMPORT_INT_H

#include "api_int.h"
#include "api_triggers.h"
#include "graph_csv.h"

/* An import id ("space\x1fid") -> index of the node in this import. */
struct imp_idmap {
	char **keys;
	uint32_t *vals;
	size_t cap; /* power of two */
	size_t n;
};

/* uuid -> index of the node in this import; after the bulk load of the
 * nodes, its nid and label too, so a relationship row's end costs one
 * cache line. */
struct imp_uslot {
	uint8_t uuid[16];
	uint32_t val;
	uint32_t nid;
	uint16_t label;
	uint16_t used;
};

/* A node as a relationship row names it. */
struct imp_end {
	uint32_t nid;
	uint16_t label;
	uint8_t uuid[16];
};

/* The last end resolved in a column: rows are often grouped by their
 * start node, so the same id comes again and again. */
#define IMP_END_ID 64
struct imp_end_cache {
	char id[IMP_END_ID]; /* "" until something is cached */
	const char *want_label;
	struct imp_end end;
};
struct imp_umap {
	struct imp_uslot *slot;
	size_t cap;
	size_t n;
};

/* Relationship rows waiting for their end node (api_import_ends.c). */
#define IMP_AHEAD 16
struct imp_pending {
	size_t edge; /* index in imp.edges */
	size_t home; /* the slot the uuid's search starts at */
	const struct op_reltype *rt;
	size_t line;
	uint8_t uuid[16];
	char id[IMP_END_ID];
};
struct imp_ahead {
	struct imp_pending row[IMP_AHEAD];
	size_t head;
	size_t n;
	/* Of the file being read; the same for every waiting row. */
	const char *path;
	const char *header;
	const char *space;
};

struct imp {
	outpost *db;
	struct op_schema *s;
	struct op_adj_txn *txn;
	struct imp_idmap ids;	   /* (space, id) -> node, non-uuid ids */
	struct imp_umap uuids_map; /* uuid -> node, every node */
	uint8_t (*uuids)[16]; /* nodes of this import, in file order */
	uint16_t *labels;     /* index into s->tables */
	uint32_t *nids;	      /* after the bulk load */
	size_t nnodes;
	size_t capnodes;
	struct op_adj_edge *edges;
	char **eprops; /* per edge: properties (JSON) or NULL; NULL if none */
	size_t nedges;
	size_t capedges;
	/* adj name ids, looked up once: per table (labels) and per
	 * relationship type of the schema; -1 until known. */
	int32_t *label_ids;
	int32_t *type_ids;
	struct imp_end_cache last_end[2]; /* :START_ID, :END_ID */
	struct imp_ahead ahead;
	/* Where the load starts (api_import_log.c). */
	uint32_t nid_from;
	uint32_t eid_from;
	int64_t prev_applied;
	int progress; /* report on stderr */
	/* Triggers set aside during the node load (api_triggers.c). */
	struct op_api_triggers triggers;
	/* --add-to-schema: 0 off, 1 on, 2 on and the schema's version
	 * already raised by this import (it goes up once). */
	int add_to_schema;
};

/* Progress on stderr, if asked for: now and then, or (done) the total. */
void op_api_import_progress(struct imp *m, int done);

/* The two-engine commit of a bulk import (api_import_log.c): note the
 * counters before the load; log the import and mark it in LMDB; after
 * both commits, settle the marker. settle also repairs an import a crash
 * interrupted (under the write lock, in LMDB write txn t). */
int op_api_import_begin(struct imp *m);
int op_api_import_log(struct imp *m);
int op_api_import_finish(outpost *db);
int op_api_import_settle(outpost *db, struct op_adj_txn *t);
/* 1 in *yes if an import's marker is waiting to be settled. */
int op_api_import_pending(outpost *db, int *yes);

/* 1 if id names a node of a node label other than label. */
int op_api_import_other_label(struct imp *m, const char *label,
			      const char *id);
/* The adj id of a label or type name, cached per import. */
int op_api_import_name(struct imp *m, int is_type, size_t index,
		       uint16_t *out);

int op_api_import_edges(struct imp *m, const char *path);
/* Record the node about to be pushed (index m->nnodes) under its uuid
 * and, unless id is the uuid, under (space, id). 1 if already there. */
int op_api_import_map_add(struct imp *m, const char *space, const char *id,
			  const uint8_t uuid[16], int id_is_uuid);
void op_api_import_map_free(struct imp *m);
/* The ends of a relationship row (api_import_ends.c): the start node
 * now (e->from, and its uuid in e->uuid); the end node of m->edges[edge]
 * now or a few rows later (its e->to and the edge's uuid). flush
 * finishes every waiting row: call it before reporting a row's error and
 * before the file is closed. */
int op_api_import_end_from(struct imp *m, struct op_graph_csv *r, size_t col,
			   const struct op_reltype *rt, struct op_adj_edge *e);
int op_api_import_end_to(struct imp *m, struct op_graph_csv *r, size_t col,
			 const struct op_reltype *rt, size_t edge);
int op_api_import_ends_flush(struct imp *m);
/* After the bulk load of the nodes: the map learns their nids. */
void op_api_import_map_loaded(struct imp *m);
/* The node this import gave `id` in `space`: 1 and *out, or 0. */
int op_api_import_lookup(const struct imp *m, const char *space,
			 const char *id, struct imp_end *out);
/* The same for a parsed uuid in two steps, so the memory can be fetched
 * while other rows are read: probe gives the slot where the search
 * starts (and prefetches it); find searches from there. */
size_t op_api_import_probe(const struct imp *m, const uint8_t uuid[16]);
int op_api_import_find(const struct imp *m, const uint8_t uuid[16],
		       size_t home, struct imp_end *out);
/* The property columns of the current row of a relationship file: the
 * edge's properties (*props: JSON or NULL, op_free) and validity. */
int op_api_import_edge_props(struct imp *m, struct op_graph_csv *r,
			     const struct op_reltype *rt,
			     struct op_adj_edge *e, char **props);
/* A node's name for a message: its import id, or its uuid. */
#define OP_IMPORT_NAME 96
void op_api_import_node_name(const struct imp *m, uint32_t nid,
			     char out[OP_IMPORT_NAME]);
/* Refuse the import if it closed a cycle in an acyclic type. */
int op_api_import_check_acyclic(struct imp *m);
/* A node outside this import, by uuid or by (label, id): its nid. */
int op_api_import_existing(struct imp *m, const char *label, const char *id,
			   uint32_t *nid);

/* --add-to-schema (api_import_schema.c). Before the node load: the node
 * files' new labels and the columns labels lack; after it (and after
 * op_api_import_map_loaded), before the edges: the relationship files'
 * new types and the properties types lack. Each adds them to the schema,
 * migrating the store inside the import's transaction, and replaces m->s
 * (the name-id caches made to fit). */
int op_api_import_schema_labels(struct imp *m, const char *const *files,
				size_t n);
int op_api_import_schema_types(struct imp *m, const char *const *files,
			       size_t n);
/* A label or type the files name, and what it gets: columns of a label,
 * properties of a type, typed from the headers. */
struct imp_xcol {
	char *name;
	enum op_type type;
};
struct imp_xent {
	char *name; /* as the schema spells it; a new one as first written */
	int is_new;
	struct imp_xcol *cols; /* to add, in the order first met */
	size_t ncols;
	size_t file;	     /* 1 + the file whose header was last taken */
	unsigned char *seen; /* types: the file's columns already taken */
	/* New types: the labels (indexes into s->tables) of the first
	 * edge's ends, and "file:line" of that edge. */
	size_t from, to;
	char *first;
};
/* Declare the additions (labels, or types when is_type) on top of m->s,
 * migrate the store to that schema and make it m->s
 * (api_import_schema_apply.c). Nothing to add: nothing changes. */
int op_api_import_schema_apply(struct imp *m, int is_type,
			       const struct imp_xent *e, size_t n);

#endif
