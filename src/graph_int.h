/* graph_int.h - shared inside the graph module: growable nid lists. */
#ifndef OP_GRAPH_INT_H
#define OP_GRAPH_INT_H

#include "graph.h"

int op_graph_list_push(struct op_graph_list *l, uint32_t nid);
void op_graph_list_free(struct op_graph_list *l);
/* Sort by nid, so a level is read in key order, when sc reads the
 * b-tree. */
void op_graph_list_sort(struct op_graph_list *l,
			const struct op_adj_scan *sc);

#endif
