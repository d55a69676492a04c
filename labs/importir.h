/*
 * importir - the model every import parser fills: the nodes, links and LAN
 * segments a foreign lab file describes, in that file's own words (its node
 * names, its kinds, its interface names), and what could not be carried
 * over. The parsers (labs/import_*.c) only read their format and call these
 * builders; labs/import.c maps the result to templates and interface names
 * and makes it a POST /labs body. It touches no store and speaks no HTTP.
 *
 * A node (an object the parser builds and imp_node_add takes):
 *   "name"        string, required: the name in the file (any characters;
 *                 import.c makes a valid labwire name of it)
 *   "kind"        string, required: the key of the mapping table for this
 *                 format (labs/importmap.c): clab kind, "qemu:<template>"
 *                 for EVE, GNS3 node_type, CML node_definition, netlab device
 *   "image"       string: the image the file names (kept on the node)
 *   "template"    string: an exact labwire template (a labwire clab export's
 *                 "labwire.template" label); used when it exists
 *   "x", "y"      integers: the canvas position
 *   "cpus", "ram_mb"  integers, when the file gives them
 *   "config"      string: the startup config the file carries (decoded)
 *   "config_ref"  string: a file the startup config is read from that the
 *                 import does not have (reported, kept on the node)
 *   "exec"        array of strings: commands run at boot (clab exec);
 *                 a linux-host gets them as its startup script
 * A link (imp_link_add): {"endpoints": [ep, ep, ...]} with 2 endpoints a
 * point-to-point link, 3 or more a LAN segment, each ep
 *   {"node": file's node name, "interface": file's interface name or "",
 *    "index": 0-based data-port number in the file's own numbering (or
 *    absent when the file gives none)}
 * and optionally "what": how the report names it ("network 11 (Hub)"),
 * and "state": "down" for a point-to-point link the file has down (a
 * suspended GNS3 link).
 */
#ifndef LW_IMPORTIR_H
#define LW_IMPORTIR_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "core/base/err.h"

/* Limits of one import (README "Import and export"). */
#define IMPORT_FILE_MAX (8L << 20) /* bytes of file: 413 past it */
#define IMPORT_NODES_MAX 1000      /* nodes (= a lab's limit) */
#define IMPORT_LINKS_MAX 10000     /* links and LAN segments */
#define IMPORT_DEPTH_MAX 64        /* nesting of YAML/JSON/XML */
#define IMPORT_VALUES_MAX 1000000  /* YAML values after aliases are expanded */
#define IMPORT_DROPPED_MAX 1000    /* report lines; one more says how many were left out */

struct imp {
	const char *format;  /* "clab", "unl", "gns3", "cml", "netlab", "labwire" */
	char name[128];      /* the lab's name in the file ("" when none) */
	json_t *description; /* string or NULL */
	json_t *guide;       /* string or NULL: Markdown task text (EVE <body>, CML notes) */
	json_t *nodes;       /* [node] */
	json_t *byname;      /* node name -> node of nodes (imp_node_find's index) */
	json_t *links;       /* [link] */
	json_t *dropped;     /* [{"what","reason"}] */
	json_t *kept;        /* [{"node","what","reason"}]: carried on a node, not applied */
	size_t ndropped;     /* all drops, also those past IMPORT_DROPPED_MAX */
	size_t nkept;        /* all kept, also those past IMPORT_DROPPED_MAX */
};

/* imp_init - an empty model for format; 0, or -1 with e (out of memory). */
int imp_init(struct imp *im, const char *format, struct lw_err *e);
void imp_free(struct imp *im);

/*
 * imp_node_add - take node (the reference is stolen, also on failure);
 * 0, or -1 with e (ERR_INVALID): past IMPORT_NODES_MAX, no "name" or
 * "kind" string, a name given twice. path names it in the message
 * ("topology.nodes.r1").
 */
int imp_node_add(struct imp *im, json_t *node, const char *path, struct lw_err *e);
/* imp_node_find - the node named name (borrowed) or NULL. */
json_t *imp_node_find(struct imp *im, const char *name);
/*
 * imp_link_add - take link (stolen); 0, or -1 with e: past
 * IMPORT_LINKS_MAX, or an endpoint that is not an object with a "node"
 * string. Endpoints naming no known node are the caller's to drop first.
 */
int imp_link_add(struct imp *im, json_t *link, const char *path, struct lw_err *e);
/* imp_ep - an endpoint {"node", "interface", "index" (only when index >= 0)}; NULL: out of memory.
 */
json_t *imp_ep(const char *node, const char *iface, long index);
/* imp_drop - report something that was not imported, and why (printf-style). */
void imp_drop(struct imp *im, const char *what, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* imp_keep - report something carried on node but not applied (a config for another NOS). */
void imp_keep(struct imp *im, const char *node, const char *what, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/*
 * imp_vpcs_script - a VPCS startup script as the script of the linux-host
 * a VPCS becomes (labs/importvpcs.c): its "ip ADDRESS[/LEN] [GATEWAY]
 * [MASK]" lines as ip commands on eth0, every original line kept as a
 * "# VPCS:" comment. malloc'd, or NULL (out of memory).
 */
char *imp_vpcs_script(const char *script);

/*
 * The typed getters for a parser: o[key] when it has JSON type t, NULL
 * when absent (or null); when present with another type, or absent and
 * required, -1 with e (ERR_INVALID) "PATH.KEY: expected a string" and *out
 * is NULL. 0 otherwise. o that is not an object gives the same error for
 * PATH itself.
 */
int imp_get(json_t *o, const char *key, json_type t, bool required, const char *path, json_t **out,
    struct lw_err *e);
/* imp_get_int - like imp_get for an integer in [min, max] (also "42" as a string); 1 when set, 0
 * when absent. */
int imp_get_int(
    json_t *o, const char *key, long min, long max, const char *path, long *out, struct lw_err *e);
/* imp_get_num - like imp_get_int, and a real is taken too (rounded; out of range or not finite:
 * -1 with e "PATH.KEY: 2.5e9 is out of range MIN..MAX"); 1 when set, 0 when absent. */
int imp_get_num(
    json_t *o, const char *key, long min, long max, const char *path, long *out, struct lw_err *e);
/* imp_model_num - copy o[key] (imp_get_num in [0, max]) to model[as] when it is above 0 (0 means
 * "the default" in the formats); key or o NULL: nothing. 0, or -1 with e. */
int imp_model_num(json_t *o, const char *key, long max, json_t *model, const char *as,
    const char *path, struct lw_err *e);
/* imp_join - list's strings joined with ", " into buf (size bytes; cut short when they do not fit),
 * for a drop line naming what is left over. */
void imp_join(json_t *list, char *buf, size_t size);
/* imp_type_name - "a string", "an object", ... for messages. */
const char *imp_type_name(json_type t);

#endif
