#!/bin/bash
# tests/check_tree.sh against tiny fake trees: a clean one passes, and each
# kind of violation (floor, cycle, sql, built, format) is reported and fails
# the check. Prints "ok - ..." / "not ok - ..." lines.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
CHECK=$HERE/check_tree.sh
REAL=$(cd "$HERE/.." && pwd)
TMP=$(mktemp -d /tmp/labwire-treetest.XXXXXX)
trap 'rm -rf "$TMP"' EXIT
n=0

ok() { echo "ok - $1"; }
not_ok() {
	echo "not ok - $1"
	[ -f "$TMP/out" ] && sed 's/^/# /' "$TMP/out" | tail -n 20
}

# The clean tree: every floor, a downward include, SQL where it belongs, and
# strings that look like SQL to a careless eye (HTTP methods, English).
clean_tree() {
	local d=$1
	mkdir -p "$d"/{core/base,core/run,core/net,core/console,db,hv,web,labs}
	cp "$REAL/.clang-format" "$d/"
	cat >"$d/core/base/err.h" <<'EOF'
/* err - errors a request can answer with. */
struct lw_err {
	int code;
	char msg[256];
};
int err_set(struct lw_err *e, int code, const char *msg);
EOF
	cat >"$d/core/base/err.c" <<'EOF'
#include <string.h>

#include "core/base/err.h"

int
err_set(struct lw_err *e, int code, const char *msg)
{
	e->code = code;
	strncpy(e->msg, msg, sizeof(e->msg) - 1);
	return (-1);
}
EOF
	cat >"$d/hv/qemu.h" <<'EOF'
/* qemu - the QEMU driver. */
#include "core/base/err.h"
int qemu_start(struct lw_err *e);
EOF
	cat >"$d/hv/qemu.c" <<'EOF'
#include "qemu.h"

/* "DELETE FROM nodes" in a comment is not SQL in a string. */
int
qemu_start(struct lw_err *e)
{
	return (err_set(e, 1, "DELETE /api/v1/labs/1 answered 404"));
}
EOF
	cat >"$d/db/db.c" <<'EOF'
#include "core/base/err.h"

const char *db_sql[] = {"BEGIN IMMEDIATE;", "COMMIT;", "PRAGMA user_version = 3;",
    "CREATE TABLE labs (id INTEGER PRIMARY KEY)", "DELETE FROM labs WHERE id = ?"};
EOF
	cat >"$d/core/run/state.c" <<'EOF'
#include "db/db.h"

const char *state_sql = "UPDATE nodes SET state = ? WHERE id = ?";
EOF
	echo '/* db - the store. */' >"$d/db/db.h"
	cat >"$d/labs/lab.c" <<'EOF'
#include "hv/qemu.h"

const char *lab_sql = "SELECT id FROM labs";
const char *lab_msg = "names start with a letter or digit";
EOF
	cat >"$d/web/api.c" <<'EOF'
#include "labs/lab.h"

struct route {
	const char *method, *path;
};
static const struct route routes[] = {
    {"DELETE", "/api/v1/labs/{}"},
    {"GET", "/api/v1/labs"},
};
static const char *help = "delete an image no node uses";
int cli_http(const char *method, const char *path);
int
api_delete(const char *path)
{
	(void)routes;
	(void)help;
	return (cli_http("DELETE", path));
}
EOF
	echo '/* lab - the lab model. */' >"$d/labs/lab.h"
	echo 'int net_x;' >"$d/core/net/fabric.h"
	echo 'int console_x;' >"$d/core/console/console.h"
	cat >"$d/core/main.c" <<'EOF'
#include "web/api.h"
#include "core/net/fabric.h"
#include "core/console/console.h"

int
main(void)
{
	return (0);
}
EOF
	echo '/* api - the REST routes. */' >"$d/web/api.h"
	echo 'build/' >"$d/.gitignore"
	mkdir -p "$d/build" && cp /bin/true "$d/build/labwire"
}

git_tree() {
	(cd "$1" && git -c init.defaultBranch=main init -q && git add -A)
}

# run DIR: the checker's output in $TMP/out, its status in $rc.
run() {
	"$CHECK" "$1" >"$TMP/out" 2>&1
	rc=$?
}

# expect NAME SETUP PATTERN...: a fresh clean tree, SETUP run in it, then each
# PATTERN (an extended regex) must match a line of the output, the summary
# must count a failure and the exit status must be non-zero.
expect() {
	local name=$1 setup=$2 p miss=""
	shift 2
	n=$((n + 1))
	local d=$TMP/t$n
	clean_tree "$d"
	(cd "$d" && eval "$setup")
	git_tree "$d"
	run "$d"
	for p in "$@"; do
		grep -qE "$p" "$TMP/out" || miss="$miss [$p]"
	done
	if [ "$rc" -ne 0 ] && [ -z "$miss" ] && grep -qE '^[0-9]+ passed, [1-9][0-9]* failed$' "$TMP/out"; then
		ok "$name"
	else
		not_ok "$name (exit $rc, missing:${miss:- none})"
	fi
}

# The clean tree passes: status 0, no violation line, a summary with passes.
d=$TMP/clean
clean_tree "$d"
git_tree "$d"
run "$d"
if [ "$rc" -eq 0 ] && grep -qE '^[1-9][0-9]* passed, 0 failed$' "$TMP/out" &&
	! grep -qE '^(floor|cycle|sql|built|format):' "$TMP/out"; then
	ok "a clean tree passes"
else
	not_ok "a clean tree passes (exit $rc)"
fi

expect "an include from a floor above is reported" \
	'printf "#include \"web/api.h\"\n" >>hv/qemu.h' \
	'^floor: hv/qemu.h:4 includes web/api.h \(floor web \[8\] above floor hv \[2\]\)$'
expect "a file outside every floor is reported" \
	'mkdir -p tools && echo "int x;" >tools/x.c' \
	'^floor: tools/x.c is in no floor'
expect "a cycle between two folders on one floor is reported" \
	'printf "#include \"core/console/console.h\"\n" >>core/net/fabric.h;
	 printf "#include \"core/net/fabric.h\"\n" >>core/console/console.h' \
	'^cycle: core/console -> core/net -> core/console \(core/console->core/net core/console/console.h:2; core/net->core/console core/net/fabric.h:2\)$'
if grep -q '^floor:' "$TMP/out"; then
	not_ok "a same-floor include is no floor violation"
else
	ok "a same-floor include is no floor violation"
fi
expect "SQL in web/ is reported" \
	'printf "const char *q = \"SELECT id FROM labs\";\n" >>web/api.c' \
	'^sql: web/api.c:19 "SELECT id FROM labs"'
expect "a bare transaction statement outside db/ is reported" \
	'printf "const char *q = \"COMMIT;\";\n" >>web/api.c' \
	'^sql: web/api.c:19 "COMMIT;"'
expect "SQL split over adjacent literals in hv/ is reported" \
	'printf "const char *q = \"UPDATE nodes \"\n    \"SET state = 1\";\n" >>hv/qemu.c' \
	'^sql: hv/qemu.c:9 "UPDATE nodes SET state = 1"'
expect "SQL in core/run outside state.c is reported" \
	'printf "const char *q = \"DELETE FROM nodes WHERE id = ?\";\n" >core/run/runtime.c' \
	'^sql: core/run/runtime.c:1 "DELETE FROM nodes'
expect "a tracked ELF binary is reported" \
	'cp /bin/true labwire' \
	'^built: labwire \(an ELF binary\)$'
expect "tracked object files are reported" \
	'echo x >hv/qemu.o; echo x >hv/qemu.d; echo x >libx.a; echo x >libx.so.1' \
	'^built: hv/qemu.o ' '^built: hv/qemu.d ' '^built: libx.a ' '^built: libx.so.1 '
expect "a file under a build folder is reported" \
	'mkdir -p build-asan && echo x >build-asan/notes.txt' \
	'^built: build-asan/notes.txt \(under a build folder\)$'
expect "a badly formatted file is reported" \
	'printf "int  f( void ){return 0;}\n" >hv/bad.c' \
	'^format: hv/bad.c '

# Outside a git checkout the checker looks at what find lists.
d=$TMP/nogit
clean_tree "$d"
run "$d"
if [ "$rc" -eq 0 ] && grep -qE '^[1-9][0-9]* passed, 0 failed$' "$TMP/out"; then
	ok "a clean tree outside git passes (build/ is not looked at)"
else
	not_ok "a clean tree outside git passes (exit $rc)"
fi
cp /bin/true "$d/core/labwire"
run "$d"
if [ "$rc" -ne 0 ] && grep -q '^built: core/labwire (an ELF binary)$' "$TMP/out"; then
	ok "an ELF outside git is reported"
else
	not_ok "an ELF outside git is reported (exit $rc)"
fi
