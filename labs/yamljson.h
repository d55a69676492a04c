/*
 * yamljson - YAML in and out through libyaml, bounded for files from
 * outside: a YAML document becomes a jansson tree (and a tree becomes
 * YAML), so the import parsers and the exporters work on one shape. It
 * knows nothing of labs.
 */
#ifndef LW_YAMLJSON_H
#define LW_YAMLJSON_H

#include <jansson.h>
#include <stddef.h>

#include "core/base/err.h"

/*
 * yaml_to_json - the first document of buf (len bytes, UTF-8) as a tree
 * (new reference): mappings become objects (keys must be scalars; a key
 * given twice: the last wins), sequences arrays; plain scalars are typed as
 * YAML 1.2's core schema does (null ~ "", true/false, integers, floats),
 * quoted and block scalars stay strings. Anchors and aliases are followed
 * and "<<" merge keys applied. Bounded: nesting at most max_depth, at most
 * max_values values in the tree counting every alias expansion (an alias
 * bomb fails fast), no NUL. NULL with e (ERR_INVALID) "line L, column C:
 * what is wrong" on a syntax error or a bound.
 */
json_t *yaml_to_json(const char *buf, size_t len, int max_depth, long max_values, struct lw_err *e);
/*
 * json_to_yaml - v as a YAML document (malloc'd, NUL-terminated; *len
 * without the NUL): object keys in the tree's order, strings with newlines
 * as literal blocks, strings that would read back as another type quoted.
 * yaml_to_json(json_to_yaml(v)) equals v. NULL with e.
 */
char *json_to_yaml(json_t *v, size_t *len, struct lw_err *e);

#endif
