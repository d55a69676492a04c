#!/bin/bash
# The tree's structure, checked before the tests (design.md "Layout" and
# "Floors only look down"; style.md "Where code goes"):
#   floor   a file includes project headers from its own floor or below
#   cycle   no include cycle between folders, same-floor pairs included
#   sql     SQL string literals only in db/, labs/ and core/run/state.c
#   built   no tracked ELF, .o, .a, .so, .d; nothing under build/, build-*/,
#           build_*/ or build.*/ at any depth
#   format  every tracked .c/.h is unchanged by clang-format (.clang-format)
# A cycle is printed once, as the shortest one each folder edge that does
# not go down closes (every cycle has such an edge), with one include per hop.
# SQL is a literal (adjacent literals joined) that opens with an upper-case
# statement keyword followed by the shape of a statement ("DELETE FROM",
# "UPDATE x SET", "SELECT ", "COMMIT;"), so "DELETE" and "DELETE /api/..."
# are not SQL. One line per violation, then "N passed, N failed": a pass per
# check (floor, cycle, sql, built, format) that found nothing, a failure per
# violation; exits 1 on any violation.
# The files are those git tracks, or what find lists outside a git checkout.
# tests/ is exempt from floor and sql.
# usage: tests/check_tree.sh [ROOT]   (default: the tree holding this script)
set -u
ROOT=${1:-$(cd "$(dirname "$0")/.." && pwd)}
cd "$ROOT" || exit 2

list=$(mktemp /tmp/labwire-tree.XXXXXX)
trap 'rm -f "$list"' EXIT
top=$(git rev-parse --show-toplevel 2>/dev/null)
if [ -n "$top" ] && [ "$(cd "$top" && pwd -P)" = "$(pwd -P)" ]; then
	git ls-files -z >"$list"
else
	echo "# not a git checkout: checking the files find lists"
	find . \( -path ./.git -o -path ./build -o -path './build-*' -o -path ./var \
		-o -name node_modules \) -prune -o \( -type f -o -type l \) -printf '%P\0' >"$list"
fi

if command -v clang-format >/dev/null; then
	export LW_CLANG_FORMAT=clang-format
else
	export LW_CLANG_FORMAT=
fi

python3 - "$list" <<'PY'
import os, re, subprocess, sys
from collections import deque

files = [f for f in open(sys.argv[1], 'rb').read().decode('utf-8', 'surrogateescape').split('\0') if f]
tracked = set(files)
failed = 0

# Violations by kind; the many (format, sql) print first so that the few
# that matter most (cycle, floor) are last, where a runner's tail shows them.
ORDER = ['format', 'built', 'sql', 'cycle', 'floor']
found = {k: [] for k in ORDER}

def fail(line):
    global failed
    found[line.split(':', 1)[0]].append(line)
    failed += 1

# Floors, bottom to top (design.md "Floors only look down").
FLOORS = [
    ('core/base/', 'core/base', 0), ('db/', 'db', 1), ('hv/', 'hv', 2), ('tcg/', 'tcg', 3),
    ('images/', 'images', 4), ('core/net/', 'core/net', 5), ('core/console/', 'core/console', 5),
    ('core/run/', 'core/run', 6), ('labs/', 'labs', 7), ('web/', 'web', 8),
    ('core/cli/', 'core/cli', 9), ('core/main.c', 'core', 9),
]
RANK = {name: rank for _, name, rank in FLOORS}

def floor(path):
    for prefix, name, rank in FLOORS:
        if path == prefix or (prefix.endswith('/') and path.startswith(prefix)):
            return name
    return None

def is_c(path):
    return path.endswith('.c') or path.endswith('.h')

def exempt(path):
    return path.startswith('tests/')

# A C tokenizer good enough to find #include "..." lines and string literals
# outside comments, with their line numbers.
TOKEN = re.compile(r'''
    (?P<bc>/\*.*?(?:\*/|\Z))
  | (?P<lc>//[^\n]*)
  | (?P<inc>^[ \t]*\#[ \t]*include[ \t]*"(?P<hdr>[^"\n]*)")
  | (?P<str>"(?:[^"\\\n]|\\.|\\\n)*")
  | (?P<chr>'(?:[^'\\\n]|\\.)*')
  | (?P<nl>\n)
  | (?P<ws>[ \t\r\f\v]+)
  | (?P<other>[A-Za-z0-9_]+|.)
''', re.M | re.S | re.X)

def scan(text):
    """Returns ([(line, header)], [(line, string)]); adjacent literals are joined."""
    includes, strings = [], []
    line = 1
    pending = None
    for m in TOKEN.finditer(text):
        kind = m.lastgroup if m.lastgroup != 'hdr' else 'inc'
        if kind == 'str':
            body = m.group('str')[1:-1]
            if pending is None:
                pending = [line, body]
            else:
                pending[1] += body
        elif kind in ('other', 'chr', 'inc'):
            if pending is not None:
                strings.append(tuple(pending))
                pending = None
            if m.group('inc') is not None:
                includes.append((line, m.group('hdr')))
        line += m.group(0).count('\n')
    if pending is not None:
        strings.append(tuple(pending))
    return includes, strings

# SQL: an upper-case statement keyword at the start of a literal and the shape
# of a statement after it. HTTP methods ("DELETE", "DELETE /api/...") and
# English ("delete an image", "with a letter") do not match.
SQL = re.compile(r'''^\s*(?:
    SELECT\s
  | (?:INSERT|REPLACE)\s+(?:OR\s+[A-Z]+\s+)?INTO\b
  | UPDATE\s+(?:OR\s+[A-Z]+\s+)?[\w."]+\s+SET\b
  | DELETE\s+FROM\b
  | CREATE\s+(?:(?:UNIQUE|TEMP|TEMPORARY|VIRTUAL)\s+)*(?:TABLE|INDEX|VIEW|TRIGGER)\b
  | ALTER\s+TABLE\b
  | DROP\s+(?:TABLE|INDEX|VIEW|TRIGGER)\b
  | PRAGMA\s+\w
  | WITH\s+(?:RECURSIVE\s+)?\w+\s*(?:\([^)]*\)\s*)?AS\s*\(
  | (?:BEGIN(?:\s+(?:DEFERRED|IMMEDIATE|EXCLUSIVE))?(?:\s+TRANSACTION)?
     | COMMIT(?:\s+TRANSACTION)? | END\s+TRANSACTION
     | ROLLBACK(?:\s+TRANSACTION)?(?:\s+TO\s+.*)?
     | SAVEPOINT\s+\w+ | RELEASE\s+\w+)\s*;?\s*$
)''', re.X | re.S)

def sql_allowed(path):
    return (path.startswith('db/') or path.startswith('labs/') or
            path == 'core/run/state.c' or exempt(path))

def resolve(path, hdr):
    """The tracked file a quoted include names (its own folder first, then -I.)."""
    local = os.path.normpath(os.path.join(os.path.dirname(path), hdr))
    if local in tracked:
        return local
    root = os.path.normpath(hdr)
    if root in tracked or floor(root) is not None:
        return root
    return None  # not a project header

edges = {}
for path in sorted(files):
    if not is_c(path) or exempt(path) or not os.path.isfile(path):
        continue
    with open(path, encoding='utf-8', errors='replace') as fh:
        includes, strings = scan(fh.read())
    mine = floor(path)
    if mine is None:
        fail(f'floor: {path} is in no floor (design.md "Layout")')
    for line, hdr in includes:
        target = resolve(path, hdr)
        if target is None or mine is None:
            continue
        theirs = floor(target)
        if theirs is None:
            fail(f'floor: {path}:{line} includes {hdr} (in no floor)')
        elif RANK[theirs] > RANK[mine]:
            fail(f'floor: {path}:{line} includes {hdr} '
                               f'(floor {theirs} [{RANK[theirs]}] above floor {mine} [{RANK[mine]}])')
        if theirs is not None and theirs != mine:
            edges.setdefault((mine, theirs), f'{path}:{line}')
    for line, s in strings:
        text = re.sub(r'\\[ntrvf]', ' ', s)
        if not SQL.match(text):
            continue
        if sql_allowed(path):
            continue
        short = ' '.join(text.split())
        short = short if len(short) <= 60 else short[:57] + '...'
        fail(f'sql: {path}:{line} "{short}" (SQL belongs in db/, labs/, core/run/state.c)')

# Folder cycles: every cycle has an edge that does not go strictly down; for
# each such edge, the shortest way back closes a cycle if there is one.
graph = {}
for (a, b) in edges:
    graph.setdefault(a, []).append(b)
for a in graph:
    graph[a].sort(key=lambda n: (RANK[n], n))

def path_back(start, goal):
    prev, todo = {start: None}, deque([start])
    while todo:
        n = todo.popleft()
        if n == goal:
            out = []
            while n is not None:
                out.append(n)
                n = prev[n]
            return out[::-1]
        for m in graph.get(n, []):
            if m not in prev:
                prev[m] = n
                todo.append(m)
    return None

seen = set()
for (a, b) in sorted(edges, key=lambda e: (RANK[e[0]], e[0], RANK[e[1]], e[1])):
    if RANK[b] < RANK[a]:
        continue
    back = path_back(b, a)
    if back is None:
        continue
    cyc = [a] + back  # a -> b -> ... -> a
    ring = cyc[:-1]
    i = min(range(len(ring)), key=lambda k: (RANK[ring[k]], ring[k]))
    ring = ring[i:] + ring[:i]
    if tuple(ring) in seen:
        continue
    seen.add(tuple(ring))
    hops = ring + [ring[0]]
    why = '; '.join(f'{hops[k]}->{hops[k + 1]} {edges[(hops[k], hops[k + 1])]}'
                    for k in range(len(ring)))
    fail(f'cycle: {" -> ".join(hops)} ({why})')


# Nothing built is tracked.
BUILT_EXT = re.compile(r'\.(o|a|d|so(\.[0-9]+)*)$')
BUILD_DIR = re.compile(r'^build([-_.].*)?$')
for path in sorted(files):
    why = None
    if any(BUILD_DIR.match(part) for part in path.split('/')[:-1]):
        why = 'under a build folder'
    elif BUILT_EXT.search(path):
        why = 'a build output'
    elif os.path.isfile(path) and not os.path.islink(path):
        try:
            with open(path, 'rb') as fh:
                if fh.read(4) == b'\x7fELF':
                    why = 'an ELF binary'
        except OSError:
            pass
    if why:
        fail(f'built: {path} ({why})')

# One format: clang-format with the tree's .clang-format changes nothing.
cfiles = sorted(f for f in files if is_c(f) and os.path.isfile(f))
cf = os.environ.get('LW_CLANG_FORMAT')
if not cf:
    fail('format: clang-format is not installed (make deps installs it)')
elif not os.path.isfile('.clang-format'):
    fail('format: no .clang-format at the top of the tree')
elif cfiles:
    r = subprocess.run([cf, '--style=file', '--dry-run', '--Werror'] + cfiles,
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       encoding='utf-8', errors='replace')
    bad = set(re.findall(r'^(.+?):\d+:\d+: (?:error|warning): code should be clang-formatted',
                         r.stdout, re.M))
    if r.returncode != 0 and not bad:
        first = r.stdout.strip().splitlines()[:1] or ['no output']
        fail(f'format: clang-format failed ({r.returncode}): {first[0]}')
    for f in cfiles:
        if f in bad:
            fail(f'format: {f} (clang-format would change it; make format)')

for kind in ORDER:
    for line in found[kind]:
        print(line)
passed = sum(1 for kind in ORDER if not found[kind])
print(f'{passed} passed, {failed} failed')
sys.exit(1 if failed else 0)
PY
