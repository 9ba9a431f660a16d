# lua-humanitec: build, test, lint, demo.
#   make                 build the C core for $(LUA) (lua5.4 by default; also LUA=luajit, lua5.1, lua5.3)
#   make test            install what is missing, build for lua5.4, luajit, lua5.1 and lua5.3, run the whole
#                        suite under each
#   make nvim            build the core for Neovim's LuaJIT into lua/humanitec/core.so: a plugin manager's build
#                        step; installs nothing, says which package to install when headers are missing
#   make demo            install what is missing, build, run examples/deploy.lua against the local simulator
#   make lint            luacheck, cppcheck, and a -Werror build
#   make generate        rebuild lua/humanitec/operations.lua, types.lua, docs/operations.md and the simulator's
#                        schema facts (lua/humanitec/sim/schemas.lua) from api/openapi.json
#   make score-schema    rebuild lua/humanitec/score/schema.lua from api/score-v1b1.json
#   make docs            the API reference of the public modules, by LDoc, into build/docs/index.html
#   make facts           refresh api/openapi.json, the facts-only copy of the upstream OpenAPI spec (SPEC=...)
#   make score-facts     refresh api/score-v1b1.json, the facts-only copy of the Score schema (SCORE=...)
#   make facts-check     check api/ against upstream (SPEC=... SCORE=...): same facts, no upstream prose
#   make asan            the whole suite under lua5.4 against the core built with ASan, UBSan and leak detection
#                        (child interpreters that load the core too; see the sanitizer section below)
#   make valgrind        every spec file under lua5.4 in memcheck, in parallel: no memory errors, no definite or
#                        indirect leaks (tools/valgrind-specs says what it covers)
#   make soak            100 000 requests on one client; resident memory must grow by less than 2 MB
#   make bench           this SDK against libcurl and its peers, side by side (bench/run; results in bench/results)
#   make oom             the out-of-memory harness over every allocation of its scenarios (short form in test)
#   make fuzz            each libFuzzer harness for FUZZ_SECONDS (60); the corpora live in csrc/fuzz/corpus
LUA ?= lua5.4

# pkg-config names the LuaJIT headers "luajit"; the others by the interpreter's name. Recursive (=) so the
# shell calls run when a recipe needs them, after tools/deps has installed pkg-config and the headers.
LUA_PC = $(if $(filter luajit,$(LUA)),luajit,$(LUA))
LUA_CFLAGS = $(shell pkg-config --cflags $(LUA_PC) 2>/dev/null || echo -I/usr/include/$(LUA))
CURL_CFLAGS = $(shell pkg-config --cflags libcurl 2>/dev/null)
CURL_LIBS = $(shell pkg-config --libs libcurl 2>/dev/null || echo -lcurl)

CC ?= cc
CFLAGS ?= -O2 -g
WARNINGS = -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wno-missing-field-initializers
# Never link liblua: the interpreter that loads the module provides its symbols, so one source serves all.
MODULE_FLAGS = -std=c99 -fPIC -shared -fvisibility=hidden

# Two modules: humanitec.core (libcurl, and the JSON decoder) and humanitec.jsonc (the JSON decoder alone, so
# that code which only reads JSON does not load libcurl).
JSONC_SOURCES = csrc/jdecode.c csrc/jsonc.c
SOURCES = $(filter-out csrc/jsonc.c,$(wildcard csrc/*.c))
HEADERS = $(wildcard csrc/*.h)
BUILD = build/$(LUA)
MODULE = $(BUILD)/humanitec/core.so
JSONC = $(BUILD)/humanitec/jsonc.so

.PHONY: oom oom-short all build nvim deps docs rock test test-one demo lint generate score-schema facts score-facts facts-check clean asan asan-short \
  valgrind soak fuzz fuzz-replay bench

all: build

build:
	@tools/deps build $(LUA)
	@$(MAKE) --no-print-directory $(MODULE) $(JSONC)

$(MODULE): $(SOURCES) $(HEADERS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(WARNINGS) $(EXTRA_CFLAGS) $(MODULE_FLAGS) $(LUA_CFLAGS) $(CURL_CFLAGS) -o $@ $(SOURCES) $(CURL_LIBS)

$(JSONC): $(JSONC_SOURCES) csrc/jdecode.h csrc/compat.h
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(WARNINGS) $(EXTRA_CFLAGS) $(MODULE_FLAGS) $(LUA_CFLAGS) -o $@ $(JSONC_SOURCES)

# Neovim: no tools/deps here (a plugin manager runs this as the user, without sudo).
nvim:
	@tools/nvim-build

deps:
	@tools/deps test

# `luarocks make rockspecs/humanitec-*.rockspec` builds both modules here, with the variables LuaRocks passes
# for the interpreter it installs for, into build/rock/ (never beside the sources, where a core.so or object
# files would shadow the next interpreter's build). Phony: each run compiles afresh, whatever was there before.
ROCK_CC = $(CC) $(CFLAGS) -std=c99 -fvisibility=hidden $(LIBFLAG) -I$(LUA_INCDIR)
rock:
	@mkdir -p build/rock/humanitec
	$(ROCK_CC) $(if $(CURL_INCDIR),-I$(CURL_INCDIR)) -o build/rock/humanitec/core.so $(SOURCES) \
	  $(if $(CURL_LIBDIR),-L$(CURL_LIBDIR)) -lcurl
	$(ROCK_CC) -o build/rock/humanitec/jsonc.so $(JSONC_SOURCES)

test: deps
	@$(MAKE) --no-print-directory LUA=lua5.4 build/lua5.4/humanitec/core.so build/lua5.4/humanitec/jsonc.so
	@$(MAKE) --no-print-directory LUA=luajit build/luajit/humanitec/core.so build/luajit/humanitec/jsonc.so
	@$(MAKE) --no-print-directory LUA=lua5.1 build/lua5.1/humanitec/core.so build/lua5.1/humanitec/jsonc.so
	@$(MAKE) --no-print-directory LUA=lua5.3 build/lua5.3/humanitec/core.so build/lua5.3/humanitec/jsonc.so
	tools/run-specs lua5.4 luajit lua5.1 lua5.3
	@$(MAKE) --no-print-directory asan-short fuzz-replay oom-short

# One interpreter only: make test-one LUA=luajit
test-one: build
	tools/run-specs $(LUA)

demo:
	@tools/deps demo
	@$(MAKE) --no-print-directory LUA=lua5.4 build/lua5.4/humanitec/core.so build/lua5.4/humanitec/jsonc.so
	@tools/demo

lint: deps
	luacheck --quiet lua plugin spec tools bin examples bench bin/humanitec bin/humanitec-sim tools/soak
	cppcheck --quiet --error-exitcode=1 --enable=warning,performance,portability --inline-suppr \
	  --suppress=missingIncludeSystem --suppress=toomanyconfigs $(CURL_CFLAGS) csrc
	$(MAKE) --no-print-directory -B LUA=lua5.4 EXTRA_CFLAGS=-Werror build/lua5.4/humanitec/core.so \
	  build/lua5.4/humanitec/jsonc.so

# The sanitizer build: gcc's ASan and UBSan runtimes are preloaded into lua5.4, which is not built with them.
# make asan runs every spec file (the same suite as make test, lua5.4 only) in one busted process that loads
# build/asan; any ASan or UBSan report aborts it, and a leak at its exit fails it. The child interpreters the
# specs start to load the core (helpers.run_lua, the teardown hosts, the sleep and token children) run build/asan
# with the same runtimes, so their exits are checked too. Not under the sanitizers, because they are not ours or
# load no core of the run: the loopback servers, the simulator and the CLI run as separate lua5.4 processes on
# build/lua5.4; Neovim, node (Prism), curl and the shells. spec/support/sanitizer.lua keeps the runtimes out of
# those. No suppressions: the whole suite had no report in third-party code (Lua, libcurl, cjson, luv).
SAN_FLAGS = -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=undefined
SAN_PRELOAD = $(shell gcc -print-file-name=libasan.so):$(shell gcc -print-file-name=libubsan.so)
SAN_ENV = SPEC_PRELOAD="$(SAN_PRELOAD)" ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1
# What touches the core most, for the short run inside make test; with the tear-down hosts (luv, every order) and
# the raise injection, which start child interpreters under the sanitizers (about 7 s more).
SAN_SHORT = spec/00_json_spec.lua spec/00_jdecode_spec.lua spec/01_core_spec.lua spec/01_core_json_spec.lua \
  spec/02_client_spec.lua spec/11_retry_spec.lua spec/12_async_spec.lua spec/15_token_spec.lua \
  spec/16_teardown_spec.lua spec/19_raise_injection_spec.lua

build/asan/humanitec/core.so: $(SOURCES) $(HEADERS)
	@mkdir -p $(dir $@)
	gcc $(SAN_FLAGS) $(WARNINGS) $(MODULE_FLAGS) $(shell pkg-config --cflags lua5.4) $(CURL_CFLAGS) -o $@ $(SOURCES) \
	  $(CURL_LIBS)

build/asan/humanitec/jsonc.so: $(JSONC_SOURCES) csrc/jdecode.h csrc/compat.h
	@mkdir -p $(dir $@)
	gcc $(SAN_FLAGS) $(WARNINGS) $(MODULE_FLAGS) $(shell pkg-config --cflags lua5.4) -o $@ $(JSONC_SOURCES)

asan: deps build/asan/humanitec/core.so build/asan/humanitec/jsonc.so
	@$(MAKE) --no-print-directory LUA=lua5.4 build/lua5.4/humanitec/core.so build/lua5.4/humanitec/jsonc.so
	$(SAN_ENV) SPEC_BUILD=./build/asan tools/run-specs lua5.4

asan-short: build/asan/humanitec/core.so build/asan/humanitec/jsonc.so
	$(SAN_ENV) SPEC_BUILD=./build/asan SPEC_FILES="$(SAN_SHORT)" tools/run-specs lua5.4

# tools/valgrind-specs: every spec file in its own memcheck'd lua5.4 busted process, VALGRIND_JOBS (the number of
# cores) at a time; tools/valgrind.supp is for third-party suppressions with their reasons (none needed so far).
valgrind: deps
	@tools/deps long
	@$(MAKE) --no-print-directory LUA=lua5.4 build/lua5.4/humanitec/core.so build/lua5.4/humanitec/jsonc.so
	tools/valgrind-specs

soak: deps
	@$(MAKE) --no-print-directory LUA=lua5.4 build/lua5.4/humanitec/core.so build/lua5.4/humanitec/jsonc.so
	tools/soak

# The out-of-memory harness: a Lua 5.4 host with the core built in, under ASan, whose allocator fails each
# allocation of a scenario in turn (csrc/oom/oom_host.c, spec/oom/, tools/oom). Every one for make oom, every
# third for the short form in make test.
build/oom/oom_host: csrc/oom/oom_host.c $(SOURCES) $(HEADERS)
	@mkdir -p $(dir $@)
	gcc $(SAN_FLAGS) -std=c99 $(shell pkg-config --cflags lua5.4) $(CURL_CFLAGS) -Icsrc -o $@ csrc/oom/oom_host.c \
	  $(SOURCES) -Wl,-E $(shell pkg-config --libs lua5.4) $(CURL_LIBS) -lm -ldl

oom: deps build/oom/oom_host
	tools/oom 1

oom-short: build/oom/oom_host
	tools/oom 3

FUZZERS = headers trace buffer jdecode result
FUZZ_SECONDS ?= 60
build/fuzz/fuzz_%: csrc/fuzz/fuzz_%.c csrc/buffer.c csrc/headers.c csrc/buffer.h csrc/headers.h
	@mkdir -p $(dir $@)
	clang -g -O1 -fsanitize=fuzzer,address,undefined -o $@ $< csrc/buffer.c csrc/headers.c

# The decoder's harness embeds Lua 5.4 (linked here, unlike the module) to compare with lua-cjson.
build/fuzz/fuzz_jdecode: csrc/fuzz/fuzz_jdecode.c $(JSONC_SOURCES) csrc/jdecode.h csrc/compat.h \
  spec/support/json_reference.lua
	@mkdir -p $(dir $@)
	clang -g -O1 -fsanitize=fuzzer,address,undefined $(shell pkg-config --cflags lua5.4) -o $@ $< \
	  $(JSONC_SOURCES) $(shell pkg-config --libs lua5.4)

# The result harness builds the headers table and the head userdata in an embedded Lua 5.4, with no libcurl.
build/fuzz/fuzz_result: csrc/fuzz/fuzz_result.c csrc/result.c csrc/headers.c csrc/buffer.c csrc/result.h \
  csrc/headers.h csrc/buffer.h csrc/compat.h
	@mkdir -p $(dir $@)
	clang -g -O1 -fsanitize=fuzzer,address,undefined $(shell pkg-config --cflags lua5.4) -o $@ $< \
	  csrc/result.c csrc/headers.c csrc/buffer.c $(shell pkg-config --libs lua5.4)

# Each harness over its corpus only: the regression inputs (earlier findings among them) must stay clean.
fuzz-replay: $(addprefix build/fuzz/fuzz_,$(FUZZERS))
	@for f in $(FUZZERS); do build/fuzz/fuzz_$$f -runs=0 csrc/fuzz/corpus/$$f 2>&1 | tail -n 1 || exit 1; done

fuzz: deps $(addprefix build/fuzz/fuzz_,$(FUZZERS))
	@for f in $(FUZZERS); do \
	  mkdir -p build/fuzz/work/$$f; \
	  build/fuzz/fuzz_$$f -max_total_time=$(FUZZ_SECONDS) -artifact_prefix=build/fuzz/ build/fuzz/work/$$f \
	    csrc/fuzz/corpus/$$f || exit 1; \
	done

bench:
	@tools/deps bench
	bench/run

# The reference: tools/ldoc-prep.lua turns the LuaLS annotations of the public modules into LDoc's tags under
# build/ldoc-src, then LDoc (config.ld) writes the HTML. spec/docs_spec.lua fails on an undocumented function.
DOC_MODULES = humanitec=lua/humanitec/init.lua humanitec.client=lua/humanitec/client.lua \
  humanitec.paginate=lua/humanitec/paginate.lua \
  humanitec.pipeline=lua/humanitec/pipeline.lua \
  humanitec.errors=lua/humanitec/errors.lua humanitec.async=lua/humanitec/async.lua \
  humanitec.loop=lua/humanitec/loop/init.lua humanitec.sim=lua/humanitec/sim/init.lua \
  humanitec.workflows=lua/humanitec/workflows/init.lua \
  humanitec.workflows.deploy=lua/humanitec/workflows/deploy.lua \
  humanitec.workflows.values=lua/humanitec/workflows/values.lua \
  humanitec.workflows.pipelines=lua/humanitec/workflows/pipelines.lua \
  humanitec.workflows.resources=lua/humanitec/workflows/resources.lua \
  humanitec.workflows.apps=lua/humanitec/workflows/apps.lua \
  humanitec.workflows.tokens=lua/humanitec/workflows/tokens.lua humanitec.score=lua/humanitec/score/init.lua
docs:
	@tools/deps docs
	rm -rf build/ldoc-src build/docs
	lua5.4 tools/ldoc-prep.lua build/ldoc-src $(DOC_MODULES)
	ldoc .

# The project reads the API and the Score schema only from its facts-only copies under api/. Only refreshing
# those copies needs upstream, which these two targets take from beside the checkout unless told otherwise.
generate:
	lua5.4 tools/gen-operations.lua api/openapi.json
	lua5.4 tools/gen-sim-schemas.lua api/openapi.json

facts: SPEC ?= ../shared/humanitec/openapi.json
facts:
	lua5.4 tools/facts.lua openapi $(SPEC) api/openapi.json

score-facts: SCORE ?= ../shared/score/score-v1b1.json
score-facts:
	lua5.4 tools/facts.lua jsonschema $(SCORE) api/score-v1b1.json

# Maintenance check against upstream (not part of `make test`): the copies are exactly what tools/facts.lua
# makes from SPEC and SCORE, and no upstream prose is in the copies or the files generated from them.
facts-check: SPEC ?= ../shared/humanitec/openapi.json
facts-check: SCORE ?= ../shared/score/score-v1b1.json
facts-check:
	lua5.4 tools/facts-check.lua $(SPEC) $(SCORE)

score-schema:
	lua5.4 tools/gen-score-schema.lua api/score-v1b1.json

clean:
	rm -rf build lua/humanitec/core.so
