# outpost - one binary, one static library, one test runner.
# Targets: all test check check-asan bench demo install uninstall clean.

PREFIX  ?= /usr/local
DESTDIR ?=
BUILD   ?= build
SAN     ?=
CC      ?= cc

PKGS    := sqlite3 lmdb libcurl libcjson libsodium libpq
# What liboutpost.a itself links against (outpost.pc Requires).
LIB_PKGS := sqlite3 lmdb libcurl libcjson libsodium libpq
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)

WARN    := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
           -Werror
OPT     ?= -O2 -g
CFLAGS  += $(OPT) -std=c11 -D_GNU_SOURCE $(WARN) -fvisibility=hidden -MMD -MP \
           -Iinclude -Isrc -Isync $(PKG_CFLAGS)
LDLIBS  += $(PKG_LIBS) -lm
ifneq ($(SAN),)
CFLAGS  += -fsanitize=$(SAN) -fno-omit-frame-pointer -fno-sanitize-recover=all
LDFLAGS += -fsanitize=$(SAN)
endif

LIB_SRC   := $(wildcard src/*.c) $(wildcard sync/*.c)
CLI_SRC   := $(wildcard tools/*.c)
TEST_SRC  := $(wildcard tests/*.c)
BENCH_SRC := $(wildcard tools/bench/*.c)

# SQL installed on central PostgreSQL, kept as .sql files and built
# into the library as C strings (sync/NAME.sql -> op_NAME_sql[]).
SQL_SRC   := $(wildcard sync/*.sql)
LIB_OBJ   := $(LIB_SRC:%.c=$(BUILD)/%.o) $(SQL_SRC:%.sql=$(BUILD)/%_sql.o)
CLI_OBJ   := $(CLI_SRC:%.c=$(BUILD)/%.o)
TEST_OBJ  := $(TEST_SRC:%.c=$(BUILD)/%.o)
LIB       := $(BUILD)/liboutpost.a
BIN       := $(BUILD)/outpost
TESTBIN   := $(BUILD)/test-runner
BENCHBIN  := $(BUILD)/bench-capture
ENGINEBIN := tools/bench/outpost-engine
SYNC_BENCH_N    ?= 100000
SYNC_BENCH_RUNS ?= 3

.PHONY: all test check check-asan check-valgrind static install-check fuzz \
	bench bench-sync bench-neo4j demo install uninstall clean

all: outpost

outpost: $(BIN)
	cp $(BIN) $@

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c $< -o $@

$(BUILD)/sync/%_sql.c: sync/%.sql
	@mkdir -p $(dir $@)
	{ echo '/* generated from $< by the Makefile */'; \
	  echo 'extern const char op_$*_sql[];'; \
	  echo 'const char op_$*_sql[] ='; \
	  sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' -e 's/^/"/' -e 's/$$/\\n"/' $<; \
	  echo ';'; } > $@

$(BUILD)/sync/%_sql.o: $(BUILD)/sync/%_sql.c
	$(CC) $(CFLAGS) -c $< -o $@

$(LIB): $(LIB_OBJ)
	@mkdir -p $(dir $@)
	rm -f $@ # ar only adds: a removed source must leave the archive too
	$(AR) rcs $@ $^

$(BIN): $(CLI_OBJ) $(LIB)
	$(CC) $(LDFLAGS) -o $@ $(CLI_OBJ) $(LIB) $(LDLIBS)

$(TESTBIN): $(TEST_OBJ) $(LIB) $(BIN)
	$(CC) $(LDFLAGS) -o $@ $(TEST_OBJ) $(LIB) $(LDLIBS)

$(BENCHBIN): $(BUILD)/tools/bench/capture.o $(LIB)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# The graph engine adapter for ../shared/bench/run.sh.
$(ENGINEBIN): $(BUILD)/tools/bench/outpost-engine.o $(LIB)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# Peak heap of traversals against what they visit (after run.sh).
$(BUILD)/bench-trav-memory: $(BUILD)/tools/bench/trav-memory.o $(LIB)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# Test-only Neo4j tools (tests/neo4j/README.md): a real Neo4j 3.1.1 and
# Neo4j's Cypher linter, exactly as tests/neo4j/package-lock.json says, in
# build/neo4j for every BUILD. If npm fails the suite still runs and the
# Neo4j tests fail saying why; the next run tries again.
NEO4J_DIR := build/neo4j
$(NEO4J_DIR)/.installed: tests/neo4j/package.json tests/neo4j/package-lock.json
	@mkdir -p $(NEO4J_DIR)
	cp tests/neo4j/package.json tests/neo4j/package-lock.json $(NEO4J_DIR)/
	cd $(NEO4J_DIR) && npm ci --ignore-scripts --no-audit --no-fund \
		--loglevel=error && touch .installed || \
		echo 'warning: npm ci in $(NEO4J_DIR) failed: Neo4j tests will fail'

# T=module runs one module's tests.
test: $(TESTBIN) $(NEO4J_DIR)/.installed
	OUTPOST_BIN=$(abspath $(BIN)) OUTPOST_SCHEMAS=$(abspath schema) \
		OUTPOST_NEO4J_DIR=$(abspath $(NEO4J_DIR)) \
		OUTPOST_NEO4J_TOOLS=$(abspath tests/neo4j) $(TESTBIN) $(T)

static:
	tools/static-checks

# Schema parser fuzzing (clang, libFuzzer); FUZZ_SECONDS bounds the run.
FUZZ_SECONDS ?= 60
fuzz:
	$(MAKE) BUILD=build/fuzz CC=clang SAN=address,undefined,fuzzer-no-link \
		OPT="-O1 -g" build/fuzz/liboutpost.a
	clang -fsanitize=address,undefined,fuzzer -O1 -g -Iinclude -Isrc \
		tests/fuzz/fuzz_schema.c build/fuzz/liboutpost.a $(LDLIBS) \
		-o build/fuzz/fuzz-schema
	mkdir -p build/fuzz/corpus
	cp schema/*.json build/fuzz/corpus/
	build/fuzz/fuzz-schema -max_total_time=$(FUZZ_SECONDS) -max_len=65536 \
		build/fuzz/corpus

install-check: all
	tools/install-check

check: static install-check test

check-valgrind: all
	tools/valgrind-check

check-asan:
	$(MAKE) BUILD=build/asan SAN=address,undefined OPT="-O1 -g" test

# BENCH_DATASETS=curriculum20k for a quick run.
BENCH_DATASETS ?= curriculum20k curriculum200k
bench: $(BENCHBIN) $(ENGINEBIN) $(BUILD)/bench-trav-memory
	$(BENCHBIN) $(BUILD)/bench-store
	../shared/bench/run.sh --engine outpost=$(ENGINEBIN) \
		--datasets "$(BENCH_DATASETS)"
	for d in $(BENCH_DATASETS); do \
		$(BUILD)/bench-trav-memory \
			$(BUILD)/bench-data/work/$$d.outpost/store \
			$(BUILD)/bench-data/$$d/nodes.csv || exit 1; done
	$(MAKE) bench-sync
	$(MAKE) bench-neo4j

# Nodes and relationships per second pushed to a real Neo4j 3.1.1 (the
# tests' one, build/neo4j) for the 20,000-node curriculum graph, by
# batch size (tools/bench/neo4j-bench).
NEO4J_BENCH_BATCHES ?= 250 1000 4000
bench-neo4j: outpost $(NEO4J_DIR)/.installed
	tools/bench/neo4j-bench $(BUILD)/bench-data/curriculum20k \
		"$(NEO4J_BENCH_BATCHES)"

# Push and pull of 100,000 changes through a throw-away PostgreSQL,
# against COPY of the same rows (tools/bench/sync-bench).
bench-sync: outpost
	tools/bench/sync-bench $(SYNC_BENCH_N) $(SYNC_BENCH_RUNS)

demo: outpost
	tools/demo

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/lib \
		$(DESTDIR)$(PREFIX)/include $(DESTDIR)$(PREFIX)/lib/pkgconfig \
		$(DESTDIR)$(PREFIX)/share/outpost/schema
	install -m 755 outpost $(DESTDIR)$(PREFIX)/bin/outpost
	install -m 644 $(LIB) $(DESTDIR)$(PREFIX)/lib/liboutpost.a
	install -m 644 include/outpost.h $(DESTDIR)$(PREFIX)/include/outpost.h
	install -m 644 schema/*.json schema/FORMAT.md \
		$(DESTDIR)$(PREFIX)/share/outpost/schema/
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@REQUIRES@|$(LIB_PKGS)|' \
		tools/outpost.pc.in > $(DESTDIR)$(PREFIX)/lib/pkgconfig/outpost.pc

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/bin/outpost $(DESTDIR)$(PREFIX)/lib/liboutpost.a \
		$(DESTDIR)$(PREFIX)/include/outpost.h \
		$(DESTDIR)$(PREFIX)/lib/pkgconfig/outpost.pc
	rm -rf $(DESTDIR)$(PREFIX)/share/outpost

clean:
	rm -rf build outpost $(ENGINEBIN)

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
