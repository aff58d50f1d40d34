/* list.h - every test, once: TEST(module, behaviour) names the function
 * test_<module>_<behaviour> in tests/t_<module>.c. Keep each module's
 * lines together. */

/* util: ids, clocks, hex, passwords */
TEST(util, uuid_v7_layout_and_order)
TEST(util, hlc_monotonic_and_drift_bound)
TEST(util, password_hash_and_verify)

/* store: init, open, layout, keys */
TEST(store, init_layout_and_key_modes)
TEST(store, open_missing_and_reinit)

/* capture: change log from every write path */
TEST(capture, insert_update_delete_logged)
TEST(capture, lww_column_clocks)
TEST(capture, append_only_refuses_update_delete)
TEST(capture, central_wins_refuses_local_writes)
TEST(capture, local_only_not_captured)
TEST(capture, password_column_refuses_plain_text)
TEST(capture, sql_error_leaves_store_unchanged)
TEST(capture, primary_key_change_refused)
TEST(capture, sqlite3_shell_writes_captured)
TEST(capture, values_exact_for_every_type)
TEST(capture, wide_table_keeps_nulls)

/* schema: validation (table-driven) and the shipped schemas */
TEST(schema, shipped_schemas_load)
TEST(schema, malformed_cases)

/* migrate: additive, destructive, explicit steps, drift check */
TEST(migrate, additive_applies)
TEST(migrate, destructive_refused_without_step)
TEST(migrate, explicit_steps_apply)
TEST(migrate, lossy_change_refused)
TEST(migrate, same_version_different_content_refused)
TEST(migrate, older_version_refused)
TEST(migrate, check_reports_drift_by_name)
TEST(migrate, foreign_keys_survive_rebuild)

/* crash and concurrency */
TEST(crash, sigkill_during_writes)
TEST(concurrency, two_writers_take_turns)
TEST(concurrency, reader_beside_writer)
TEST(concurrency, sqlite3_shell_beside_outpost)

/* csv: neo4j-admin CSV reader */
TEST(csv, valid_files)
TEST(csv, malformed_cases)
TEST(csv, typed_values)
TEST(csv, arrays)
TEST(csv, array_errors)
TEST(csv, streams_large_file)
TEST(csv, long_records)
TEST(csv, header_column_limit)

/* graph: traversals against networkx */
TEST(graph, dag_matches_networkx)
TEST(graph, cycles_matches_networkx)
TEST(graph, multigraph_matches_networkx)
TEST(graph, selfloops_matches_networkx)
TEST(graph, disconnected_matches_networkx)
TEST(graph, hubs_matches_networkx)
TEST(graph, single_edge_key_after_repeated_ones)

/* import: neo4j-admin CSV into the store */
TEST(import, refusals_leave_store_unchanged)
TEST(import, edges_to_nodes_in_store)
TEST(import, typed_properties)
TEST(import, uuid_ids_kept)
TEST(import, deterministic_uuids)
TEST(import, id_spaces)
TEST(import, full_map_grows)
TEST(import, acyclic_cycle_refused)
TEST(import, acyclic_cycle_named_by_ids)
TEST(import, again_is_idempotent)
TEST(import, edge_properties)
TEST(import, progress_on_stderr)
TEST(import, triggers_restored)

/* cli: end to end through the binary */
TEST(cli, help_and_usage_exit_codes)
TEST(cli, init_sql_formats)
TEST(cli, log_status_and_env)
TEST(cli, schema_check_and_bad_schema)
TEST(cli, central_loads_curriculum)

/* edges: single graph writes through the change log */
TEST(edges, add_traverse_and_log)
TEST(edges, numbers_exact)
TEST(edges, update_and_delete)
TEST(edges, node_delete_removes_edges)
TEST(edges, acyclic_refusal_names_cycle)
TEST(edges, as_of_traversal)
TEST(edges, refusals)
TEST(edges, replay_after_crash_between_commits)
TEST(edges, applier_skips_plain_tables)

/* topo: ancestors in topological order, against networkx */
TEST(topo, dag_matches_networkx)
TEST(topo, shapes_match_networkx)
TEST(topo, cycles_refused_like_networkx)
TEST(topo, edges_added_one_by_one)
TEST(topo, unknown_node_and_type)
TEST(topo, cycle_refusal_names_it)
TEST(topo, long_cycle_shortened)

/* verify: outpost_graph_verify, clean stores and each kind of damage */
TEST(verify, clean_after_every_write)
TEST(verify, node_row_deleted_behind_capture)
TEST(verify, node_row_inserted_behind_capture)
TEST(verify, graph_behind_the_log)
TEST(verify, adjacency_entry_lost)
TEST(verify, edge_uuid_index_entry_lost)
TEST(verify, node_index_entry_lost)
TEST(verify, csr_disagrees_with_adjacency)
TEST(verify, report_capped)

/* cli_graph: `outpost graph` and `outpost import` through the binary */
TEST(cli_graph, import_and_neighbours)
TEST(cli_graph, reach_and_path)
TEST(cli_graph, from_file)
TEST(cli_graph, edges_write)
TEST(cli_graph, topo_and_verify)
TEST(cli_graph, usage_errors)

/* graph_crash: graph writes and imports killed, and ended between the
 * two engines' commits */
TEST(graph_crash, edge_writes_killed)
TEST(graph_crash, fault_between_commits)
TEST(graph_crash, import_killed)

/* import_schema: outpost import --add-to-schema */
TEST(import_schema, new_label_and_type)
TEST(import_schema, new_columns)
TEST(import_schema, type_mapping)
TEST(import_schema, names_without_case)
TEST(import_schema, version_once)
TEST(import_schema, shown_reapplies)
TEST(import_schema, refusals_leave_schema)
TEST(import_schema, cli)
TEST(import_schema, opts_version_1)

/* sync_engine: the sync engine against a fake sink and store */
TEST(sync_engine, push_in_batches)
TEST(sync_engine, failed_batch_sent_again)
TEST(sync_engine, lost_answer_fast_forwards)
TEST(sync_engine, schema_mismatch)
TEST(sync_engine, pull_with_cursor)
TEST(sync_engine, two_step_push)
TEST(sync_engine, two_step_failures)

/* central: central PostgreSQL set-up on the run's own server (pg_harness) */
TEST(central, init_creates_tables)
TEST(central, init_twice_is_noop)
TEST(central, init_newer_or_other)
TEST(central, capture_wire_form)
TEST(central, capture_edges)
TEST(central, commit_order)
TEST(central, migrate)
TEST(central, schema_check)
TEST(central, server_errors)

/* central_device: add-device, and a device role's rights at central */
TEST(central_device, add)
TEST(central_device, refusals)
TEST(central_device, scopes)
TEST(central_device, outpost_tables)
TEST(central_device, admin_password_file)
TEST(central_device, cannot_skip_capture)

/* sync_apply: changes pulled from elsewhere applied to a store
 * (op_api_sync_apply), batches read from other stores' logs */
TEST(sync_apply, insert_update_delete)
TEST(sync_apply, column_lww)
TEST(sync_apply, delete_beats_update)
TEST(sync_apply, reinsert_revives)
TEST(sync_apply, cascade_parks)
TEST(sync_apply, append_only)
TEST(sync_apply, idempotent)
TEST(sync_apply, orphan_cascades)
TEST(sync_apply, orphan_set_null)

/* sync_refuse: every type decoded from the wire; malformed, refused and
 * drifting batches refused whole, naming the change */
TEST(sync_refuse, types_round_trip)
TEST(sync_refuse, malformed)
TEST(sync_refuse, malformed_mid_batch)
TEST(sync_refuse, drift)
TEST(sync_refuse, unique_clash)

/* sync_graph: pulled node rows and edges, edge last-writer-wins and
 * tombstones */
TEST(sync_graph, nodes_and_edges)
TEST(sync_graph, edge_lww)
TEST(sync_graph, edge_tombstone)
TEST(sync_graph, malformed_edges)
TEST(sync_graph, central_curriculum)
TEST(sync_graph, crash_between_commits)

/* sync_converge: random concurrent writes on three stores, exchanged in
 * random causal orders and batches, end identical */
TEST(sync_converge, random)

/* sync_pg: devices syncing through the run's own PostgreSQL, via the CLI */
TEST(sync_pg, round_trip)
TEST(sync_pg, scope_refused)
TEST(sync_pg, central_writes_reach_devices)
TEST(sync_pg, schema_versions)
TEST(sync_pg, retry_applies_once)
TEST(sync_pg, large_pull_keeps_triggers)
TEST(sync_pg, scope_by_key)
TEST(sync_pg, edge_properties_merge)
TEST(sync_pg, parked_value_survives_reinsert)

/* sync_pg_lanes: push over two connections, and over one */
TEST(sync_pg_lanes, two_sessions_then_one)
TEST(sync_pg_lanes, serializable_default)

/* sync_pg_errors: what a device is told when a person must act */
TEST(sync_pg_errors, wrong_password)
TEST(sync_pg_errors, central_away)
TEST(sync_pg_errors, one_sync_at_a_time)

/* sync_pg_cursor: the pull cursor passes what is not for the device */
TEST(sync_pg_cursor, passes_what_is_not_for_it)

/* sync_fault: cut connections and a restarted server, nothing lost */
TEST(sync_fault, connection_cut)
TEST(sync_fault, connection_cut_one_lane)
TEST(sync_fault, server_restart)
TEST(central_device, staging_is_owners)
TEST(central_device, push_unknown_column)
TEST(central_device, push_first_inserts)
TEST(central_device, push_rewritten_scope)
TEST(central_device, push_overlap_skipped)
TEST(sync_fault, batch_bytes)

/* neo4j_http: the Neo4j HTTP client against a scripted fake server:
 * discovery, both interfaces, the Query API's bookmarks, failure classes
 * and retries, exact big integers, credentials, TLS (a real TLS front on
 * loopback); its answer parser table-driven and fuzzed */
TEST(neo4j_http, discover_query_v2)
TEST(neo4j_http, discover_tx)
TEST(neo4j_http, discover_legacy)
TEST(neo4j_http, discover_not_neo4j)
TEST(neo4j_http, v2_statements)
TEST(neo4j_http, tx_statements)
TEST(neo4j_http, v2_202_errors)
TEST(neo4j_http, client_errors)
TEST(neo4j_http, retry_then_ok)
TEST(neo4j_http, retries_bounded)
TEST(neo4j_http, too_big)
TEST(neo4j_http, cut_connections)
TEST(neo4j_http, timeout)
TEST(neo4j_http, big_integers)
TEST(neo4j_http, basic_auth)
TEST(neo4j_http, bearer_auth)
TEST(neo4j_http, options_refused)
TEST(neo4j_http, parse_table)
TEST(neo4j_http, parse_fuzz)
TEST(neo4j_http, bookmarks_carried)
TEST(neo4j_http, bookmarks_not_on_tx)
TEST(neo4j_http, bookmarks_hostile)
TEST(neo4j_http, tls_ca_file)
TEST(neo4j_http, tls_untrusted)
TEST(neo4j_http, tls_wrong_host)

/* neo4j_env: the test Neo4j 3.1.1, the Query API v2 stand-in in front of
 * it and the Cypher linter (tests/neo4j/) */
TEST(neo4j_env, start)
TEST(neo4j_env, transactional)
TEST(neo4j_env, restart)
TEST(neo4j_env, standin_query)
TEST(neo4j_env, standin_typed)
TEST(neo4j_env, standin_errors)
TEST(neo4j_env, standin_faults)
TEST(neo4j_env, lint)

/* sync_import: a bulk import's log entry expanded into the node and edge
 * changes a push sends, against a store that wrote them one by one */
TEST(sync_import, chunks)
TEST(sync_import, oracle)
TEST(sync_import, deleted)
TEST(sync_import, tail)
TEST(sync_import, reimport)
TEST(sync_import, errors)

/* sync_central: convergence of three devices through central
 * (t_sync_central_converge.c) */
TEST(sync_central, converge)

/* sync_central_merge: central's merge where devices did what the other
 * did not see (t_sync_central_merge.c) */
TEST(sync_central_merge, orphans)
TEST(sync_central_merge, edge_end_gone)
TEST(sync_central_merge, same_id)
TEST(sync_central_merge, cascaded_scope)
TEST(sync_central_merge, import)
TEST(sync_central_merge, removed_scope)

/* neo4j_sink: the Neo4j sink on the real Neo4j 3.1.1 and through the
 * Query API v2 stand-in: push, re-push, LWW, tombstones, relationships,
 * adaptive request size, failures, and the linter over every statement */
TEST(neo4j_sink, push)
TEST(neo4j_sink, push_v2)
TEST(neo4j_sink, repush)
TEST(neo4j_sink, repush_v2)
TEST(neo4j_sink, lww)
TEST(neo4j_sink, lww_v2)
TEST(neo4j_sink, tombstones)
TEST(neo4j_sink, tombstones_v2)
TEST(neo4j_sink, relationships)
TEST(neo4j_sink, relationships_v2)
TEST(neo4j_sink, halving)
TEST(neo4j_sink, failures)
TEST(neo4j_sink, lint)
TEST(neo4j_sink, names)

/* neo4j_sink_store: the Neo4j mirror from a store: remote set, sync,
 * cursor, status, credentials, bulk imports, drift, the CLI */
TEST(neo4j_sink_store, sync)
TEST(neo4j_sink_store, credentials)
TEST(neo4j_sink_store, cursor)
TEST(neo4j_sink_store, import)
TEST(neo4j_sink_store, cli)
TEST(neo4j_sink_store, with_pg)
TEST(neo4j_sink_store, schema_versions)

/* sync_apply_fast: the short ways of a pull's merge give what the long
 * ways gave (t_sync_apply_fast.c) */
TEST(sync_apply_fast, json_text)
TEST(sync_apply_fast, values)
TEST(sync_apply_fast, insert_there)

/* neo4j_pull: `outpost pull --neo4j`, a snapshot of the mirror into the
 * store through its change log (t_neo4j_pull.c) */
TEST(neo4j_pull, cli)
TEST(neo4j_pull, refuse)
TEST(neo4j_pull, v2)

/* neo4j_sink_faults: issue 5's error matrix through a store's sync and
 * the Neo4j sink, the real Neo4j 3.1.1 behind the v2 stand-in's fault
 * switches: outcome, cursor, status, what Neo4j holds, retries
 * (t_neo4j_sink_faults.c) */
TEST(neo4j_sink_faults, transient)
TEST(neo4j_sink_faults, exhausted_503)
TEST(neo4j_sink_faults, exhausted_reset)
TEST(neo4j_sink_faults, refused)
TEST(neo4j_sink_faults, auth_database)

/* neo4j_sink_real: the error matrix where the real Neo4j 3.1.1 makes
 * the error itself, and integers beyond 2^53 to Neo4j and back
 * (t_neo4j_sink_real.c) */
TEST(neo4j_sink_real, refused)
TEST(neo4j_sink_real, down)
TEST(neo4j_sink_real, big_ints)

/* neo4j_pull_pending: a pull from Neo4j keeps local changes not yet
 * pushed there where the next push would take them (t_neo4j_pull_pending.c) */
TEST(neo4j_pull_pending, nodes)
TEST(neo4j_pull_pending, edges)
TEST(neo4j_pull_pending, clocks)
TEST(neo4j_pull_pending, first)
TEST(neo4j_pull_pending, import)

/* neo4j_converge: the Neo4j mirror of three devices converges with
 * central after random edits and syncs (t_neo4j_converge.c) */
TEST(neo4j_converge, with_central)
