# Makefile - the one entry point: deps, all, test, bench, run, install.
#
#   make deps         install the Debian packages Baton needs (as root or via sudo);
#                     `make run` and `make test` do this first by themselves
#   make              build batond, batonctl and libbaton into build/
#   make run          run batond on tcp://127.0.0.1:7400 (private PostgreSQL under var/
#                     unless BATON_DATABASE_URL is set); Ctrl-C stops both
#   make demo         the Friday-night story end to end through batonctl (docs/demo.md)
#   make test         unit + integration tests (real PostgreSQL, real batond)
#   make test SAN=1   the same under AddressSanitizer + UndefinedBehaviorSanitizer
#   make bench        secure Ping and plain RPC versus a raw nng echo, same run; handshakes/s;
#                     ticket take/pass throughput, list and take latency at 10k and 1M tickets;
#                     take/pass with audit sealing on versus off; a month's report at 10k and 1M events
#   make image-test   build deploy/Dockerfile with buildah and run the image (root, Debian mirror)
#   make fuzz         every libFuzzer harness for FUZZ_SECONDS (installs clang first)
#   make install      install binaries, library and headers under PREFIX

PREFIX  ?= /usr/local
SAN     ?= 0
CC      ?= cc

ifeq ($(SAN),1)
BUILD   ?= build-san
OPT     ?= -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=undefined
LDSAN   := -fsanitize=address,undefined
else
BUILD   ?= build
OPT     ?= -O2 -g
LDSAN   :=
endif

GEN      := $(BUILD)/gen
WARN     := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wformat=2
CPPFLAGS += -D_GNU_SOURCE -Iinclude -Isrc -I$(GEN) -I/usr/include/postgresql
CFLAGS   += -std=c11 $(OPT) $(WARN) -pthread -MMD -MP
LDFLAGS  += $(LDSAN) -pthread
LIBS_CLIENT := -lnng -lprotobuf-c -lsodium
LIBS_SERVER := -lnng -lprotobuf-c -lsodium -lpq

# Debian packages: to build (also deploy/Dockerfile's build stage, `make deps-build`);
# to run the binaries (the Dockerfile's runtime stage installs exactly these);
# and what `make run` and `make test` need besides (docker-compose only validates
# deploy/docker-compose.yml; no container engine is needed).
DEPS_BUILD_PKGS := make build-essential pkg-config libnng-dev libprotobuf-c-dev protobuf-c-compiler \
                   libsodium-dev libpq-dev
RUNTIME_PKGS    := libnng1 libprotobuf-c1 libsodium23 libpq5 tzdata
DEPS_PKGS := $(DEPS_BUILD_PKGS) postgresql postgresql-client libcmocka-dev util-linux procps tzdata \
             docker-compose

PROTOS   := $(wildcard proto/baton/v1/*.proto)
PB_C     := $(patsubst proto/%.proto,$(GEN)/%.pb-c.c,$(PROTOS))
PB_H     := $(PB_C:.c=.h)
PB_O     := $(patsubst $(GEN)/%.c,$(BUILD)/obj/gen/%.o,$(PB_C))
MIGRATIONS := $(sort $(wildcard src/server/sql/[0-9]*.sql))

COMMON_SRC := $(wildcard src/common/*.c)
SERVER_SRC := $(filter-out src/server/main.c,$(wildcard src/server/*.c))
CLIENT_SRC := src/client/client.c src/client/typed.c
CTL_SRC    := src/client/batonctl.c $(wildcard src/client/ctl_*.c)

COMMON_O := $(patsubst src/%.c,$(BUILD)/obj/%.o,$(COMMON_SRC))
SERVER_O := $(patsubst src/%.c,$(BUILD)/obj/%.o,$(SERVER_SRC)) $(BUILD)/obj/gen/migrations.o
CLIENT_O := $(patsubst src/%.c,$(BUILD)/obj/%.o,$(CLIENT_SRC))
CTL_O    := $(patsubst src/%.c,$(BUILD)/obj/%.o,$(CTL_SRC))

UNIT_SRC := $(wildcard tests/unit/test_*.c)
UNIT_BIN := $(patsubst tests/unit/%.c,$(BUILD)/tests/unit/%,$(UNIT_SRC))
INTEG_SRC := $(wildcard tests/integration/test_*.c)
INTEG_BIN := $(patsubst tests/integration/%.c,$(BUILD)/tests/integration/%,$(INTEG_SRC))
# Shared by every integration test: harness.c, fixture.c, ... (not test_*.c).
INTEG_HARNESS_O := $(patsubst tests/%.c,$(BUILD)/obj/tests/%.o,$(filter-out tests/integration/test_%.c,$(wildcard tests/integration/*.c)))

BENCH_BIN := $(BUILD)/bench/baton_bench
BENCH_O   := $(patsubst bench/%.c,$(BUILD)/obj/bench/%.o,$(wildcard bench/*.c))

# Fuzz harnesses (tests/fuzz/fuzz_*.c): `make test` replays their corpus with
# a plain driver; `make fuzz` runs them under libFuzzer (clang).
FUZZ_SRC    := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_REPLAY := $(patsubst tests/fuzz/%.c,$(BUILD)/tests/fuzz/%,$(FUZZ_SRC))

.PHONY: all deps deps-build runtime-pkgs image-test run run-built test test-suite unit integration bench install clean distclean fuzz
.DEFAULT_GOAL := all
.SECONDARY:

all: $(BUILD)/batond $(BUILD)/batonctl $(BUILD)/libbaton.a

deps:
	@sh deploy/deps.sh $(DEPS_PKGS)

deps-build:
	@sh deploy/deps.sh $(DEPS_BUILD_PKGS)

# The runtime packages, one per line (read by deploy/Dockerfile and tests/deploy/).
runtime-pkgs:
	@printf '%s\n' $(RUNTIME_PKGS)

# --- generated code -------------------------------------------------------

$(GEN)/%.pb-c.c $(GEN)/%.pb-c.h: proto/%.proto
	@mkdir -p $(GEN)
	protoc-c --proto_path=proto --c_out=$(GEN) $<

$(GEN)/migrations.c: $(MIGRATIONS) src/server/sql/embed.sh
	@mkdir -p $(GEN)
	sh src/server/sql/embed.sh $(MIGRATIONS) > $@.tmp && mv $@.tmp $@

# Every object may include generated headers.
$(BUILD)/obj/%.o: src/%.c | $(PB_H)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -c -o $@ $<

$(BUILD)/obj/gen/%.o: $(GEN)/%.c | $(PB_H)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -c -o $@ $<

$(BUILD)/obj/tests/%.o: tests/%.c | $(PB_H)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -c -o $@ $<

$(BUILD)/obj/bench/%.o: bench/%.c | $(PB_H)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -c -o $@ $<

# --- libraries and programs -----------------------------------------------

$(BUILD)/libbaton.a: $(CLIENT_O) $(COMMON_O) $(PB_O)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/libbatond.a: $(SERVER_O) $(COMMON_O) $(PB_O)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/batond: $(BUILD)/obj/server/main.o $(BUILD)/libbatond.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS_SERVER)

$(BUILD)/batonctl: $(CTL_O) $(BUILD)/libbaton.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS_CLIENT)

# --- tests ------------------------------------------------------------------

$(BUILD)/tests/unit/%: $(BUILD)/obj/tests/unit/%.o $(BUILD)/libbatond.a $(BUILD)/libbaton.a
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS_SERVER) -lcmocka

# test_ctl_when and fuzz_ctl_when also link batonctl's time helpers, which are in no library.
$(BUILD)/tests/unit/test_ctl_when: $(BUILD)/obj/client/ctl_when.o
$(BUILD)/tests/fuzz/fuzz_ctl_when: $(BUILD)/obj/client/ctl_when.o

# Integration tests may also use server modules directly (test_db.c).
$(BUILD)/tests/integration/%: $(BUILD)/obj/tests/integration/%.o $(INTEG_HARNESS_O) $(BUILD)/libbatond.a $(BUILD)/libbaton.a
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS_SERVER) -lcmocka

$(BUILD)/tests/fuzz/%: $(BUILD)/obj/tests/fuzz/%.o $(BUILD)/obj/tests/fuzz/replay.o $(BUILD)/libbatond.a $(BUILD)/libbaton.a
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS_SERVER)

# `make fuzz` installs what it needs first, as `make test` does: the build's
# packages, clang, and libFuzzer, which ships with clang's runtime (Debian:
# libclang-rt-<N>-dev for clang N, so named once clang is there).
FUZZ_PKGS    := clang
FUZZ_SECONDS ?= 60

fuzz: deps
	@sh deploy/deps.sh $(FUZZ_PKGS)
	@sh deploy/deps.sh libclang-rt-$$(clang -dumpversion | cut -d. -f1)-dev
	@$(MAKE) --no-print-directory fuzz-run

.PHONY: fuzz-run
fuzz-run: $(PB_C) $(GEN)/migrations.c
	@BUILD=$(BUILD) FUZZ_SECONDS=$(FUZZ_SECONDS) sh tests/fuzz/run.sh

unit: $(UNIT_BIN)
	@BUILD=$(BUILD) sh tests/run.sh $(UNIT_BIN)

integration: all $(INTEG_BIN)
	@BUILD=$(BUILD) sh tests/run.sh $(INTEG_BIN)

# `make test` installs missing packages first (quick when all are there), then
# builds and runs everything; one summary line for the whole suite
# ("N passed, N failed").
test: deps
	@$(MAKE) --no-print-directory test-suite

# deploy/ checked without a container engine (compose file, Dockerfile, init script).
DEPLOY_TESTS := tests/deploy/check_deploy.sh

test-suite: all $(UNIT_BIN) $(FUZZ_REPLAY) $(INTEG_BIN)
	@BUILD=$(BUILD) sh tests/run.sh $(UNIT_BIN) $(FUZZ_REPLAY) $(INTEG_BIN) $(DEPLOY_TESTS) tests/integration/demo_test.sh

# Builds deploy/Dockerfile for real with buildah (no daemon) on a Debian bookworm base
# made by debootstrap, then runs the image against a private PostgreSQL. Needs root and
# Debian's mirror; not part of `make test` (minutes, and a network).
image-test: all
	@sh deploy/deps.sh buildah debootstrap
	@BUILD=$(BUILD) sh tests/deploy/image_test.sh

# --- benchmark, run, install --------------------------------------------------

$(BENCH_BIN): $(BENCH_O) $(BUILD)/libbaton.a
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS_CLIENT)

bench: all $(BENCH_BIN)
	@BUILD=$(BUILD) sh bench/run.sh

run: deps
	@$(MAKE) --no-print-directory run-built

run-built: all
	@BUILD=$(BUILD) sh deploy/run-dev.sh

# Its own batond and database baton_demo in var/pg's cluster; runs while `make run` does.
.PHONY: demo demo-built
demo: deps
	@$(MAKE) --no-print-directory demo-built

demo-built: all
	@BUILD=$(BUILD) sh deploy/demo.sh

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/lib $(DESTDIR)$(PREFIX)/include/baton
	install -m 0755 $(BUILD)/batond $(BUILD)/batonctl $(DESTDIR)$(PREFIX)/bin/
	install -m 0644 $(BUILD)/libbaton.a $(DESTDIR)$(PREFIX)/lib/
	install -m 0644 include/baton/*.h $(DESTDIR)$(PREFIX)/include/baton/

clean:
	rm -rf build build-san

# Also removes the private development database under var/.
distclean: clean
	@if [ -d var/pg ]; then sh deploy/devdb.sh stop var/pg || true; fi
	rm -rf var

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)
