# algaudit: audit logger for algorithmic decisions.
#
# make            build everything into $(BUILD)/
# make check      unit tests (Check), the same under ASan+UBSan, then
#                 integration tests against the real daemon
# make run        the demo: daemon on ./var/ plus a demo producer
# make bench      benchmarks; prints figures, asserts nothing
# make asan       unit + integration tests under ASan+UBSan
# make valgrind   unit tests under valgrind (CK_FORK=no)
# make fuzz       libFuzzer harnesses (clang), FUZZ_SECONDS=60 each
# make style      KNF check of the lines changed against HEAD
# make install    DESTDIR= prefix=/usr/local
#
# Every external dependency comes from Debian 12; scripts/install-deps
# installs them. See README.md, "Dependencies".

CC	?= cc
OPT	?= -O2 -g
WERROR	?= -Werror
WARN	 = -Wall -Wextra $(WERROR) -Wformat=2 -Wshadow -Wpointer-arith \
	   -Wcast-qual -Wstrict-prototypes -Wmissing-prototypes \
	   -Wmissing-declarations -Wwrite-strings -Wundef \
	   -Wdeclaration-after-statement
SANITIZE ?=
BUILD	?= build
prefix	?= /usr/local
DESTDIR	?=

PKGS	 = libevent libevent_pthreads libevent_openssl libprotobuf-c lmdb jansson \
	   libssl libcrypto inih
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) check 2>/dev/null)
SAN	 = $(if $(SANITIZE),-fsanitize=$(SANITIZE) -fno-omit-frame-pointer \
	   -fno-sanitize-recover=all,)
DEFS	 = -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE
INCS	 = -I$(BUILD)/gen -Iproto -Istore -Iclient/include -Iclient \
	   -Idaemon -Itools
CFLAGS	 = -std=c11 $(OPT) $(WARN) $(SAN) -fPIC -fvisibility=hidden \
	   -MMD -MP $(DEFS) $(INCS) $(PKG_CFLAGS) $(XCFLAGS)
LDFLAGS	+= $(SAN) -pthread

LIBS_PROTO  = -lprotobuf-c
LIBS_STORE  = -llmdb -lcrypto
LIBS_CLIENT = -lssl -lcrypto
LIBS_DAEMON = -levent_openssl -levent_pthreads -levent -linih -lssl
LIBS_TOOLS  = -ljansson -larchive
LIBS_CHECK := $(shell pkg-config --libs check 2>/dev/null || echo -lcheck)

SOMAJOR	 = 0
SOVER	 = 0.1.0

GEN_C	 = $(BUILD)/gen/algaudit.pb-c.c
GEN_H	 = $(BUILD)/gen/algaudit.pb-c.h

PROTO_SRC  = $(wildcard proto/*.c)
STORE_SRC  = $(wildcard store/*.c)
CLIENT_SRC = $(wildcard client/*.c)
DAEMON_SRC = $(filter-out daemon/main.c,$(wildcard daemon/*.c))
TOOLS_SRC  = $(filter-out tools/main.c,$(wildcard tools/*.c))
UNIT_SRC   = $(wildcard tests/unit/check_*.c)
ITEST_SRC  = $(wildcard tests/integration/*.c)
BENCH_SRC  = $(wildcard bench/*.c)
EXAMPLE_SRC = $(wildcard examples/*.c)

obj = $(patsubst %.c,$(BUILD)/obj/%.o,$(1))

PROTO_OBJ  = $(call obj,$(PROTO_SRC)) $(BUILD)/obj/gen/algaudit.pb-c.o
STORE_OBJ  = $(call obj,$(STORE_SRC))
CLIENT_OBJ = $(call obj,$(CLIENT_SRC))
DAEMON_OBJ = $(call obj,$(DAEMON_SRC))
TOOLS_OBJ  = $(call obj,$(TOOLS_SRC))

LIB_PROTO  = $(BUILD)/lib/libproto.a
LIB_STORE  = $(BUILD)/lib/libstore.a
LIB_CLIENT = $(BUILD)/lib/libclient.a
LIB_DAEMON = $(BUILD)/lib/libdaemon.a
LIB_TOOLS  = $(BUILD)/lib/libtools.a

UNIT_BIN   = $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(UNIT_SRC))
ITEST_BIN  = $(patsubst tests/integration/%.c,$(BUILD)/tests/%,$(ITEST_SRC))
BENCH_BIN  = $(patsubst bench/%.c,$(BUILD)/bench/%,$(BENCH_SRC))
EXAMPLE_BIN = $(patsubst examples/%.c,$(BUILD)/examples/%,$(EXAMPLE_SRC))

ALL_LIBS = $(LIB_TOOLS) $(LIB_DAEMON) $(LIB_CLIENT) $(LIB_STORE) $(LIB_PROTO)
ALL_LDLIBS = $(LIBS_TOOLS) $(LIBS_DAEMON) $(LIBS_CLIENT) $(LIBS_STORE) \
	     $(LIBS_PROTO) -lm

.PHONY: all check check-unit check-integration check-asan asan ubsan \
	check-tsan tsan asan-integration \
	valgrind bench run demo clean install style deps fuzz check-fuzz \
	fuzz-build fuzz-corpus
.SUFFIXES:
.SECONDARY:

all: $(BUILD)/algauditd $(BUILD)/algaudit $(BUILD)/libalgaudit.a \
	$(BUILD)/libalgaudit.so $(BUILD)/algaudit.pc $(EXAMPLE_BIN)

# Generated protobuf code: never committed, never edited.
$(GEN_C) $(GEN_H) &: proto/algaudit.proto
	@mkdir -p $(BUILD)/gen
	protoc-c --proto_path=proto --c_out=$(BUILD)/gen proto/algaudit.proto

# protoc-c output does not meet our warning set; compile it without
# -Werror and the extra warnings, but with the same sanitizers.
$(BUILD)/obj/gen/algaudit.pb-c.o: $(GEN_C)
	@mkdir -p $(@D)
	$(CC) -std=c11 $(OPT) $(SAN) -fPIC -fvisibility=hidden $(DEFS) \
	    $(INCS) $(PKG_CFLAGS) -c -o $@ $<

$(BUILD)/obj/%.o: %.c $(GEN_H)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -c -o $@ $<

# The client library marks its API with ALGAUDIT_API.
$(BUILD)/obj/client/%.o: client/%.c $(GEN_H)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -DALGAUDIT_BUILDING -c -o $@ $<

$(LIB_PROTO): $(PROTO_OBJ)
$(LIB_STORE): $(STORE_OBJ)
$(LIB_CLIENT): $(CLIENT_OBJ)
$(LIB_DAEMON): $(DAEMON_OBJ)
$(LIB_TOOLS): $(TOOLS_OBJ)
$(BUILD)/lib/%.a:
	@mkdir -p $(@D)
	rm -f $@
	ar rcs $@ $^

$(BUILD)/algauditd: $(BUILD)/obj/daemon/main.o $(LIB_DAEMON) $(LIB_STORE) \
	$(LIB_PROTO)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS_DAEMON) $(LIBS_STORE) $(LIBS_PROTO)

$(BUILD)/algaudit: $(BUILD)/obj/tools/main.o $(LIB_TOOLS) $(LIB_CLIENT) \
	$(LIB_STORE) $(LIB_PROTO)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS_TOOLS) $(LIBS_CLIENT) $(LIBS_STORE) \
	    $(LIBS_PROTO) -lm

$(BUILD)/libalgaudit.a: $(CLIENT_OBJ) $(PROTO_OBJ)
	rm -f $@
	ar rcs $@ $^

$(BUILD)/libalgaudit.so: $(CLIENT_OBJ) $(PROTO_OBJ)
	$(CC) $(LDFLAGS) -shared -Wl,-soname,libalgaudit.so.$(SOMAJOR) \
	    -Wl,--no-undefined -o $@ $^ $(LIBS_CLIENT) $(LIBS_PROTO) -lm
	ln -sf libalgaudit.so $(BUILD)/libalgaudit.so.$(SOMAJOR)

$(BUILD)/algaudit.pc: client/algaudit.pc.in
	@mkdir -p $(@D)
	sed -e 's|@prefix@|$(prefix)|' -e 's|@version@|$(SOVER)|' $< > $@

$(BUILD)/tests/%: $(BUILD)/obj/tests/unit/%.o $(ALL_LIBS)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ $(ALL_LDLIBS) $(LIBS_CHECK)

$(BUILD)/tests/%: $(BUILD)/obj/tests/integration/%.o $(ALL_LIBS)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ $(ALL_LDLIBS)

$(BUILD)/bench/%: $(BUILD)/obj/bench/%.o $(ALL_LIBS)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ $(ALL_LDLIBS)

$(BUILD)/examples/%: $(BUILD)/obj/examples/%.o $(BUILD)/libalgaudit.a
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS_CLIENT) $(LIBS_PROTO) -lm

# Tests. `make check` installs what is missing, then runs the unit
# tests, the unit tests again under ASan+UBSan, the client's tests under
# TSan, and the integration tests against the real daemon, plain and
# with daemon, client and tools built with ASan+UBSan.
deps:
	@scripts/install-deps

check: deps
	$(MAKE) all
	$(MAKE) check-unit
	$(MAKE) check-asan
	$(MAKE) check-tsan
	$(MAKE) check-fuzz
	$(MAKE) check-integration
	$(MAKE) asan-integration

check-unit: $(UNIT_BIN) $(BUILD)/libalgaudit.so
	@scripts/run-unit $(UNIT_BIN)
	@tests/unit/abi.sh $(BUILD)/libalgaudit.so

check-integration: all $(ITEST_BIN)
	@BUILD=$(BUILD) scripts/run-integration

check-asan asan:
	$(MAKE) BUILD=build/asan SANITIZE=address,undefined OPT="-O1 -g" \
	    check-unit

ubsan:
	$(MAKE) BUILD=build/ubsan SANITIZE=undefined check-unit

# The client library is the multi-threaded part an application links:
# its tests also run under ThreadSanitizer.
TSAN_TESTS = check_client check_client_tls check_queue check_hasher
check-tsan tsan:
	$(MAKE) BUILD=build/tsan SANITIZE=thread OPT="-O1 -g" \
	    $(addprefix build/tsan/tests/,$(TSAN_TESTS))
	@TSAN_OPTIONS=halt_on_error=1 scripts/run-unit \
	    $(addprefix build/tsan/tests/,$(TSAN_TESTS))

asan-integration:
	$(MAKE) BUILD=build/asan SANITIZE=address,undefined OPT="-O1 -g" \
	    check-integration

valgrind: $(UNIT_BIN)
	@VALGRIND=1 scripts/run-unit $(UNIT_BIN)

# Fuzzing: tests/fuzz/fuzz_NAME.c are libFuzzer harnesses. They and
# everything they link are built with clang, ASan and UBSan into
# $(BUILD)/fuzz; each then runs from its committed seeds
# (tests/fuzz/corpus/NAME) with its dictionary (tests/fuzz/NAME.dict).
# New inputs go to $(BUILD)/fuzz/corpus/NAME, crashes to
# $(BUILD)/fuzz/crashes/NAME/ (tests/fuzz/run.sh). check-fuzz runs each
# for a few seconds so that `make check` catches regressions.
FUZZ_CC		?= clang
FUZZ_SECONDS	?= 60
FUZZ_CHECK_SECONDS ?= 5
FUZZ_SRC	 = $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_NAMES	 = $(patsubst tests/fuzz/%.c,%,$(FUZZ_SRC))
FUZZ_MAKE	 = $(MAKE) BUILD=$(BUILD)/fuzz CC=$(FUZZ_CC) OPT="-O1 -g" \
		   SANITIZE=fuzzer-no-link,address,undefined

fuzz-build:
	+$(FUZZ_MAKE) $(addprefix $(BUILD)/fuzz/,$(FUZZ_NAMES))

fuzz: fuzz-build
	@tests/fuzz/run.sh $(BUILD) $(FUZZ_SECONDS) $(FUZZ_NAMES)

check-fuzz: fuzz-build
	@tests/fuzz/run.sh $(BUILD) $(FUZZ_CHECK_SECONDS) $(FUZZ_NAMES)

# Rewrites the generated seeds (frames) in tests/fuzz/corpus/.
fuzz-corpus:
	+$(FUZZ_MAKE) $(BUILD)/fuzz/gen_corpus
	$(BUILD)/fuzz/gen_corpus tests/fuzz/corpus

# Inside the fuzz build ($(BUILD) is then .../fuzz).
$(BUILD)/fuzz_%: $(BUILD)/obj/tests/fuzz/fuzz_%.o $(ALL_LIBS)
	$(CC) $(LDFLAGS) -fsanitize=fuzzer -o $@ $^ $(ALL_LDLIBS)

$(BUILD)/gen_corpus: $(BUILD)/obj/tests/fuzz/gen_corpus.o $(ALL_LIBS)
	$(CC) $(LDFLAGS) -o $@ $^ $(ALL_LDLIBS)

bench: all $(BENCH_BIN) $(ITEST_BIN)
	@BUILD=$(BUILD) scripts/run-bench

run demo: deps
	$(MAKE) all
	@BUILD=$(BUILD) scripts/demo

style:
	@scripts/check-style

install: all
	install -d $(DESTDIR)$(prefix)/bin $(DESTDIR)$(prefix)/lib \
	    $(DESTDIR)$(prefix)/include $(DESTDIR)$(prefix)/lib/pkgconfig
	install -m 755 $(BUILD)/algauditd $(BUILD)/algaudit \
	    $(DESTDIR)$(prefix)/bin/
	install -m 644 client/include/algaudit.h $(DESTDIR)$(prefix)/include/
	install -m 644 $(BUILD)/libalgaudit.a $(DESTDIR)$(prefix)/lib/
	install -m 755 $(BUILD)/libalgaudit.so \
	    $(DESTDIR)$(prefix)/lib/libalgaudit.so.$(SOVER)
	ln -sf libalgaudit.so.$(SOVER) \
	    $(DESTDIR)$(prefix)/lib/libalgaudit.so.$(SOMAJOR)
	ln -sf libalgaudit.so.$(SOMAJOR) $(DESTDIR)$(prefix)/lib/libalgaudit.so
	sed -e 's|@prefix@|$(prefix)|' -e 's|@version@|$(SOVER)|' \
	    client/algaudit.pc.in > $(DESTDIR)$(prefix)/lib/pkgconfig/algaudit.pc

clean:
	rm -rf build

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)
