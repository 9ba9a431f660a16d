# lua-humanitec: build, test, lint, demo.
#   make                 build the C core for $(LUA) (lua5.4 by default; also LUA=luajit, lua5.1, lua5.3)
#   make test            install what is missing, build for lua5.4, luajit, lua5.1 and lua5.3, run the whole
#                        suite under each
#   make demo            install what is missing, build, run examples/deploy.lua against the local simulator
#   make lint            luacheck, cppcheck, and a -Werror build
#   make generate        rebuild lua/humanitec/operations.lua and its docs from the OpenAPI spec
LUA ?= lua5.4
SPEC ?= ../shared/humanitec/openapi.json

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

SOURCES = $(wildcard csrc/*.c)
HEADERS = $(wildcard csrc/*.h)
BUILD = build/$(LUA)
MODULE = $(BUILD)/humanitec/core.so

.PHONY: all build deps test test-one demo lint generate clean

all: build

build:
	@tools/deps build $(LUA)
	@$(MAKE) --no-print-directory $(MODULE)

$(MODULE): $(SOURCES) $(HEADERS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(WARNINGS) $(EXTRA_CFLAGS) $(MODULE_FLAGS) $(LUA_CFLAGS) $(CURL_CFLAGS) -o $@ $(SOURCES) $(CURL_LIBS)

deps:
	@tools/deps test

test: deps
	@$(MAKE) --no-print-directory LUA=lua5.4 build/lua5.4/humanitec/core.so
	@$(MAKE) --no-print-directory LUA=luajit build/luajit/humanitec/core.so
	@$(MAKE) --no-print-directory LUA=lua5.1 build/lua5.1/humanitec/core.so
	@$(MAKE) --no-print-directory LUA=lua5.3 build/lua5.3/humanitec/core.so
	tools/run-specs lua5.4 luajit lua5.1 lua5.3

# One interpreter only: make test-one LUA=luajit
test-one: build
	tools/run-specs $(LUA)

demo:
	@tools/deps demo
	@$(MAKE) --no-print-directory LUA=lua5.4 build/lua5.4/humanitec/core.so
	@tools/demo

lint: deps
	luacheck --quiet lua spec tools bin examples
	cppcheck --quiet --error-exitcode=1 --enable=warning,performance,portability --inline-suppr \
	  --suppress=missingIncludeSystem --suppress=toomanyconfigs $(CURL_CFLAGS) csrc
	$(MAKE) --no-print-directory -B LUA=lua5.4 EXTRA_CFLAGS=-Werror build/lua5.4/humanitec/core.so

generate:
	lua5.4 tools/gen-operations.lua $(SPEC)

clean:
	rm -rf build
