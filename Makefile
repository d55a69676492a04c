# labwire - the whole build. `make run` and `make test` are the two commands a
# newcomer needs; both install their own packages first (as root, idempotent).

PREFIX ?= /usr/local
DESTDIR ?=
BUILD ?= build
CC ?= cc

# Debian packages for building, running and testing.
DEPS = build-essential pkg-config libmicrohttpd-dev libjansson-dev libsqlite3-dev zlib1g-dev libpcre2-dev libyaml-dev libxml2-dev \
	sqlite3 libmnl-dev libcurl4-openssl-dev libtelnet-dev libssl-dev libpcap-dev \
	qemu-system-x86 qemu-system-arm qemu-utils busybox-static cpio genisoimage \
	iproute2 iputils-ping kmod procps curl jq telnet socat bc tcpdump wrk python3 python3-websockets clang-format clang libclang-rt-dev ca-certificates \
	chromium fonts-dejavu-core dosfstools mtools ovmf qemu-efi-aarch64 \
	libyang2 libjson-c5 libc-ares2 libcap2 libpam0g libpam-modules libreadline8

PKGS = libmicrohttpd jansson sqlite3 libmnl libcurl libcrypto zlib libpcre2-8 yaml-0.1 libxml-2.0
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS = $(shell pkg-config --libs $(PKGS) 2>/dev/null) -ltelnet -lpcap -lpthread -lm

WARN = -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wformat=2 \
	-Wno-format-nonliteral -Wno-format-truncation -Werror
CFLAGS ?= -O2 -g
ALL_CFLAGS = -std=gnu11 $(WARN) $(CFLAGS) -D_GNU_SOURCE -I. $(PKG_CFLAGS) \
	-DLW_PREFIX='"$(PREFIX)"'
LDFLAGS ?=

# One object list per floor, bottom to top (design.md, "Floors only look down";
# tests/check_tree.sh enforces the order).
BASE = core/base/clock.o core/base/config.o core/base/err.o core/base/events.o \
	core/base/fields.o core/base/hostmem.o core/base/hostnames.o core/base/log.o \
	core/base/names.o core/base/ids.o core/base/paths.o core/base/priv.o core/base/rx.o core/base/secret.o \
	core/base/spawn.o core/base/strv.o
DB = db/db.o db/boot_times.o db/images.o db/templates.o
HV = hv/cgroup.o hv/jail.o hv/kvm.o hv/nshost.o hv/qemu.o hv/qmp.o
TCG = tcg/tcg.o tcg/boot.o
IMAGES = images/configdrive.o images/store.o images/template.o
NET = core/net/capture.o core/net/fabric.o core/net/fabric_priv.o core/net/livecap.o core/net/impair.o core/net/wiring.o
CONSOLE = core/console/console.o core/console/expect.o core/console/login.o \
	core/console/loginline.o core/console/telnetd.o
RUN = core/run/adopt.o core/run/ifown.o core/run/links.o core/run/node.o core/run/ready.o core/run/runtime.o \
	core/run/start.o core/run/state.o core/run/typing.o
LABS = labs/access.o labs/assign.o labs/audit.o labs/auth.o labs/capture.o labs/console.o labs/export.o labs/lab.o \
	labs/grade.o labs/gradeparse.o labs/import_clab.o labs/import_cml.o labs/import_gns3.o \
	labs/import_netlab.o labs/import.o labs/import_unl.o labs/importir.o labs/importmap.o labs/lifecycle.o labs/practice.o labs/users.o labs/validate.o labs/yamljson.o
WEB = web/api.o web/api_assign.o web/api_auth.o web/api_captures.o web/api_console.o web/api_export.o web/api_images.o web/api_import.o \
	web/api_labs.o web/api_links.o web/api_nodes.o web/api_grade.o web/api_practice.o web/api_system.o web/httpval.o web/labcache.o web/park.o web/server.o web/tls.o \
	web/ui.o web/ws.o web/openapi.o
CLI = core/cli/assign.o core/cli/auth.o core/cli/buf.o core/cli/capture.o core/cli/cli.o core/cli/console.o \
	core/cli/fmt.o core/cli/grade.o core/cli/http.o core/cli/image.o core/cli/import.o core/cli/lab.o core/cli/link.o \
	core/cli/node.o core/cli/pcap.o core/cli/practice.o core/cli/script.o core/cli/session.o core/cli/signal.o \
	core/cli/stream.o core/cli/table.o core/cli/telnet_client.o core/cli/upload.o \
	core/cli/user.o core/cli/useradm.o core/cli/wait.o
# Everything but the CLI client and main: what the unit tests link against.
LIB_OBJS = $(BASE) $(DB) $(HV) $(TCG) $(IMAGES) $(NET) $(CONSOLE) $(RUN) $(LABS) $(WEB)
OBJS = $(addprefix $(BUILD)/obj/,$(LIB_OBJS))
CLI_OBJS = $(addprefix $(BUILD)/obj/,$(CLI))
MAIN_OBJ = $(BUILD)/obj/core/main.o

UNIT_TESTS = test_names test_argv test_kvm test_validate test_strv test_qmp test_db test_fabric test_cli \
	test_ws test_console test_impair test_templates test_tls test_secret test_hostmem test_fini \
	test_httpval test_configdrive test_logtrim test_rx test_practice test_grade test_import test_yamljson \
	test_import_clab test_import_netlab test_import_unl
UNIT_BINS = $(addprefix $(BUILD)/tests/,$(UNIT_TESTS))
ASAN_BINS = $(addprefix $(BUILD)/asan/tests/,$(UNIT_TESTS))
ASAN_OBJS = $(addprefix $(BUILD)/asan/obj/,$(LIB_OBJS))
ASAN_CLI_OBJS = $(addprefix $(BUILD)/asan/obj/,$(CLI))
ASAN_FLAGS = -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
# The GNS3 and CML readers: their LAN segments (switch nodes whose links make one segment)
# and unit tests (appended here, apart from the lists above, so branches merge cleanly).
LABS += labs/importlan.o labs/importvpcs.o
UNIT_TESTS += test_import_gns3 test_import_cml

GUEST = $(BUILD)/images/tiny-linux/vmlinuz $(BUILD)/images/tiny-linux/initrd.img
GUEST_ARM64 = $(BUILD)/images/tiny-linux-arm64/vmlinuz $(BUILD)/images/tiny-linux-arm64/initrd.img
FRR_GUEST = $(BUILD)/images/frr-router/vmlinuz $(BUILD)/images/frr-router/initrd.img
# Test tools for the guest: static, since the initrd has no libc (busybox is static too).
GUEST_TOOLS = $(BUILD)/tools/lwframe.static

.PHONY: all deps run test unit integration bench install clean guest frr-guest format asan fuzz ui

all: $(BUILD)/labwire

deps:
	@missing=""; for p in $(DEPS); do \
		dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q '^install ok installed' \
			|| missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
		echo "installing:$$missing"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
			apt-get install -y --no-install-recommends $$missing; \
	else echo "deps: all installed"; fi
	@# Node.js and npm build the UI; the machine's own are used when present.
	@command -v npm >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
		apt-get install -y --no-install-recommends nodejs npm; }

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -MMD -MP -c -o $@ $<

# The OpenAPI description is compiled into the binary.
$(BUILD)/obj/web/openapi.o: web/openapi.json web/openapi_blob.S
	@mkdir -p $(dir $@)
	$(CC) -c -o $@ -DOPENAPI_PATH='"web/openapi.json"' web/openapi_blob.S

$(BUILD)/asan/obj/web/openapi.o: $(BUILD)/obj/web/openapi.o
	@mkdir -p $(dir $@)
	cp $< $@

$(BUILD)/labwire: $(OBJS) $(CLI_OBJS) $(MAIN_OBJ)
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $^ $(PKG_LIBS)

$(BUILD)/tests/%: tests/unit/%.c $(OBJS)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $^ $(PKG_LIBS)

# The CLI's tests link the CLI client; the other unit tests do not.
$(BUILD)/tests/test_cli: tests/unit/test_cli.c $(OBJS) $(CLI_OBJS)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $^ $(PKG_LIBS)

$(BUILD)/asan/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(ASAN_FLAGS) -MMD -MP -c -o $@ $<

# The daemon built with ASan/UBSan too: the integration tests run against both.
$(BUILD)/asan/labwire: $(ASAN_OBJS) $(ASAN_CLI_OBJS) $(BUILD)/asan/obj/core/main.o
	$(CC) $(ALL_CFLAGS) $(ASAN_FLAGS) $(LDFLAGS) -o $@ $^ $(PKG_LIBS)

# The crash-window test's daemon (tests/integration/test_crash_windows.sh):
# the few files holding fault points (core/base/fault.h) compiled again with
# -DLW_FAULTS into faults/obj, linked with every other object of the same
# build, so it costs three compiles and a link. Test builds only: `make
# install` installs $(BUILD)/labwire, which has no fault point. The ASan run
# of the integration tests uses $(BUILD)/asan/faults/labwire.
FAULT_FILES = core/run/start.o core/run/node.o
FAULT_EXTRA = core/base/fault.o
$(BUILD)/faults/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -DLW_FAULTS -MMD -MP -c -o $@ $<

$(BUILD)/faults/labwire: $(filter-out $(addprefix $(BUILD)/obj/,$(FAULT_FILES)),$(OBJS)) \
		$(addprefix $(BUILD)/faults/obj/,$(FAULT_FILES) $(FAULT_EXTRA)) $(CLI_OBJS) $(MAIN_OBJ)
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $^ $(PKG_LIBS)

$(BUILD)/asan/faults/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(ASAN_FLAGS) -DLW_FAULTS -MMD -MP -c -o $@ $<

$(BUILD)/asan/faults/labwire: \
		$(filter-out $(addprefix $(BUILD)/asan/obj/,$(FAULT_FILES)),$(ASAN_OBJS)) \
		$(addprefix $(BUILD)/asan/faults/obj/,$(FAULT_FILES) $(FAULT_EXTRA)) $(ASAN_CLI_OBJS) \
		$(BUILD)/asan/obj/core/main.o
	$(CC) $(ALL_CFLAGS) $(ASAN_FLAGS) $(LDFLAGS) -o $@ $^ $(PKG_LIBS)

$(BUILD)/asan/tests/%: tests/unit/%.c $(ASAN_OBJS)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(ASAN_FLAGS) $(LDFLAGS) -o $@ $^ $(PKG_LIBS)

$(BUILD)/asan/tests/test_cli: tests/unit/test_cli.c $(ASAN_OBJS) $(ASAN_CLI_OBJS)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(ASAN_FLAGS) $(LDFLAGS) -o $@ $^ $(PKG_LIBS)

# lwframe injects and captures raw Ethernet frames at either end of a lab link.
$(BUILD)/tools/lwframe: tests/tools/lwframe.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $<

# The bench's api section: a bare libmicrohttpd server (the reference) and a
# holder of idle event streams.
BENCH_BINS = $(BUILD)/bench/hello $(BUILD)/bench/holdconns
$(BUILD)/bench/hello: tests/bench/hello.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $< $(shell pkg-config --libs libmicrohttpd) -lpthread

$(BUILD)/bench/holdconns: tests/bench/holdconns.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $<

# lwstall stands in for a helper tool that hangs (--tool-timeout).
$(BUILD)/tools/lwstall: tests/tools/lwstall.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $<

# lwpriv forges requests to the privileged parent, as a compromised daemon would.
$(BUILD)/tools/lwpriv: tests/tools/lwpriv.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $<

$(BUILD)/tools/lwframe.static: tests/tools/lwframe.c
	@mkdir -p $(dir $@)
	gcc -std=gnu11 $(WARN) -static -O2 -o $@ $<

GUESTS = tiny-linux tiny-linux-arm64 frr-router
guest: $(GUEST) $(GUEST_ARM64) $(FRR_GUEST)
frr-guest: $(FRR_GUEST)

# The browser UI: web/ui plus the front-end libraries from npm (xterm.js;
# marked and DOMPurify render a lab's guide, sanitized),
# installed into build/ at build time and never committed.
UI_SRC = $(wildcard web/ui/*.html web/ui/*.js web/ui/*.css web/ui/*.svg)
UI_STAMP = $(BUILD)/ui/.built
ui: $(UI_STAMP)

$(UI_STAMP): $(UI_SRC) web/ui/package.json web/ui/package-lock.json
	rm -rf $(BUILD)/ui
	@mkdir -p $(BUILD)/ui/vendor $(BUILD)/npm-ui
	cp web/ui/package.json web/ui/package-lock.json $(BUILD)/npm-ui/
	cd $(BUILD)/npm-ui && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
	cp $(BUILD)/npm-ui/node_modules/@xterm/xterm/lib/xterm.mjs \
		$(BUILD)/npm-ui/node_modules/@xterm/xterm/css/xterm.css \
		$(BUILD)/npm-ui/node_modules/marked/lib/marked.esm.js \
		$(BUILD)/npm-ui/node_modules/dompurify/dist/purify.es.mjs $(BUILD)/ui/vendor/
	cp $(UI_SRC) $(BUILD)/ui/
	touch $@

# Browser tests: playwright-core from npm, driving Debian's chromium.
UITEST_STAMP = $(BUILD)/npm-uitest/.built
$(UITEST_STAMP): tests/ui/package.json tests/ui/package-lock.json
	@mkdir -p $(BUILD)/npm-uitest
	cp tests/ui/package.json tests/ui/package-lock.json $(BUILD)/npm-uitest/
	cd $(BUILD)/npm-uitest && npm ci --no-audit --no-fund --loglevel=error
	touch $@

$(GUEST) &: images/tiny-linux/build.sh images/tiny-linux/init images/lib/kmod.sh $(GUEST_TOOLS)
	LW_GUEST_TOOLS="$(GUEST_TOOLS)" images/tiny-linux/build.sh $(BUILD)/images/tiny-linux

# FRR router guest (Debian's frr in a busybox initramfs, the tiny-linux kernel).
# Order-only after tiny-linux: both use the same cached kernel .deb.
$(FRR_GUEST) &: images/frr-router/build.sh images/frr-router/init images/lib/kmod.sh | $(GUEST)
	images/frr-router/build.sh $(BUILD)/images/frr-router

# No LW_GUEST_TOOLS: lwframe.static is x86_64 only.
$(GUEST_ARM64) &: images/tiny-linux/build.sh images/tiny-linux/init images/lib/kmod.sh
	images/tiny-linux/build.sh $(BUILD)/images/tiny-linux-arm64 arm64

# deps first, then the rest: with make -j nothing builds before its packages are in.
run: deps
	@$(MAKE) --no-print-directory all guest ui
	@mkdir -p var
	@images/lib/passable.sh $(BUILD)/images var
	labs/sample-run.sh $(BUILD)/labwire

unit: $(UNIT_BINS) $(ASAN_BINS) $(FUZZ_BINS)
	FUZZ_SECONDS=$(FUZZ_TEST_SECONDS) tests/run.sh $(BUILD) unit

# The compiles (normal, ASan, fuzz and fault-hook builds) run on every core;
# the guests and the UI, which fetch packages, one at a time after them.
JOBS ?= $(shell nproc 2>/dev/null || echo 1)
test: deps
	@$(MAKE) --no-print-directory -j$(JOBS) all $(UNIT_BINS) $(ASAN_BINS) \
		$(BUILD)/asan/labwire $(BUILD)/tools/lwframe $(BUILD)/tools/lwpriv $(BUILD)/tools/lwstall \
		$(FUZZ_BINS) $(BUILD)/faults/labwire $(BUILD)/asan/faults/labwire
	@$(MAKE) --no-print-directory guest ui $(UITEST_STAMP)
	@images/lib/passable.sh $(BUILD)/images
	FUZZ_SECONDS=$(FUZZ_TEST_SECONDS) tests/run.sh $(BUILD)

integration: all guest ui $(UITEST_STAMP) $(BUILD)/asan/labwire $(BUILD)/tools/lwframe \
		$(BUILD)/tools/lwpriv $(BUILD)/tools/lwstall $(BUILD)/faults/labwire \
		$(BUILD)/asan/faults/labwire
	@images/lib/passable.sh $(BUILD)/images
	tests/run.sh $(BUILD) integration

bench: deps
	@$(MAKE) --no-print-directory all guest $(BUILD)/tools/lwframe $(BENCH_BINS)
	@images/lib/passable.sh $(BUILD)/images
	tests/bench/run.sh $(BUILD)

asan: $(ASAN_BINS)

# libFuzzer targets, one for each parser at a trust boundary (tests/unit/fuzz_*.c,
# seeds in tests/fuzz/NAME/). Every target links the whole library built with
# clang and coverage; tests/run.sh runs each for FUZZ_SECONDS (make test: a
# short run; make fuzz: a longer one). The corpora they grow stay in build/fuzz/.
FUZZ_TARGETS = bpf configdrive grade host httpval loginline pcap priv qmp route rx sniff telnet \
	template validate ws checks import yaml unl
FUZZ_BINS = $(addprefix $(BUILD)/fuzz/fuzz_,$(FUZZ_TARGETS))
FUZZ_CC = clang
# clang knows no -Wformat-truncation (WARN is gcc's), and calls the kernel's
# struct tc_u32_sel inside another struct (core/net/fabric.c) an extension.
FUZZ_FLAGS = -Wno-unknown-warning-option -Wno-gnu-variable-sized-type-not-at-end \
	-O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=undefined
FUZZ_OBJS = $(addprefix $(BUILD)/fuzz/obj/,$(LIB_OBJS) $(CLI))
FUZZ_SECONDS ?= 60
FUZZ_TEST_SECONDS ?= 4

$(BUILD)/fuzz/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(ALL_CFLAGS) $(FUZZ_FLAGS) -fsanitize=fuzzer-no-link -MMD -MP -c -o $@ $<

$(BUILD)/fuzz/obj/web/openapi.o: $(BUILD)/obj/web/openapi.o
	@mkdir -p $(dir $@)
	cp $< $@

# The filter: the target's .d file adds headers to $^.
$(BUILD)/fuzz/fuzz_%: tests/unit/fuzz_%.c $(FUZZ_OBJS)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(ALL_CFLAGS) $(FUZZ_FLAGS) -fsanitize=fuzzer -MMD -MP $(LDFLAGS) -o $@ $(filter %.c %.o,$^) \
		$(PKG_LIBS)

fuzz: deps
	@$(MAKE) --no-print-directory $(FUZZ_BINS)
	FUZZ_SECONDS=$(FUZZ_SECONDS) tests/run.sh $(BUILD) fuzz

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

install: all ui
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/labwire/templates \
		$(DESTDIR)$(PREFIX)/share/labwire/labs $(DESTDIR)$(PREFIX)/share/labwire/labs/practice \
		$(DESTDIR)$(PREFIX)/share/labwire/ui/vendor
	install -m 0644 $(BUILD)/ui/*.* $(DESTDIR)$(PREFIX)/share/labwire/ui/
	install -m 0644 $(BUILD)/ui/vendor/* $(DESTDIR)$(PREFIX)/share/labwire/ui/vendor/
	install -m 0755 $(BUILD)/labwire $(DESTDIR)$(PREFIX)/bin/labwire
	@[ -n "$(DESTDIR)" ] || id labwire >/dev/null 2>&1 || useradd --system --user-group \
		--no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin \
		--comment "labwire daemon" labwire
	install -m 0644 images/templates/*.json $(DESTDIR)$(PREFIX)/share/labwire/templates/
	install -m 0644 labs/samples/*.json $(DESTDIR)$(PREFIX)/share/labwire/labs/
	install -m 0644 labs/practice/*.json $(DESTDIR)$(PREFIX)/share/labwire/labs/practice/
	for g in $(GUESTS); do \
		[ -f $(BUILD)/images/$$g/vmlinuz ] || continue; \
		install -d $(DESTDIR)$(PREFIX)/share/labwire/images/$$g; \
		install -m 0644 $(BUILD)/images/$$g/vmlinuz $(BUILD)/images/$$g/initrd.img \
			$(DESTDIR)$(PREFIX)/share/labwire/images/$$g/; \
	done

clean:
	rm -rf $(BUILD)

.SECONDARY:

-include $(shell find $(BUILD)/obj $(BUILD)/faults $(BUILD)/asan $(BUILD)/tests $(BUILD)/tools $(BUILD)/fuzz -name '*.d' -type f 2>/dev/null)
