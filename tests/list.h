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

/* schema: validation (table-driven) and the shipped schemas */
TEST(schema, shipped_schemas_load)
TEST(schema, malformed_cases)

/* migrate: additive, destructive, explicit steps, drift check */

/* crash and concurrency */

/* cli: end to end through the binary */
