/*
 * import - foreign lab files in, labwire and containerlab files out.
 * import_body reads a file of a known format (containerlab, EVE-NG .unl,
 * GNS3 .gns3, Cisco Modeling Labs 2, netlab, or labwire's own export),
 * maps its node kinds to templates (labs/importmap.c's table, with a
 * substitute where the template cannot run here) and its interface names
 * to the templates' names, and gives the POST /labs body it amounts to and
 * a report of every mapping, rename and drop. import_lab also creates the
 * lab (through lifecycle_lab_create: the same rules, quota and
 * all-or-nothing as POST /labs). Callers hold lw_lock().
 */
#ifndef LW_IMPORT_H
#define LW_IMPORT_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "core/base/err.h"
#include "labs/auth.h"

/*
 * import_body - buf (len bytes) read as format ("clab", "unl", "gns3",
 * "cml", "netlab", "labwire"; NULL: detected) → a POST /labs body (new
 * reference); *report (new reference) is
 *   {format, nodes, links, lans, mapped:[{node, from, to, substitute}],
 *    interfaces:[{node, from, to}], renamed:[{from, to}],
 *    dropped:[{what, reason}], kept:[{node, what, reason}]}.
 * name (NULL: the file's, else the lab's own default) names the lab.
 * NULL with e: ERR_TOO_LARGE past IMPORT_FILE_MAX, ERR_INVALID (422) with
 * the line or field that is wrong. Reads templates and the image store,
 * writes nothing.
 */
json_t *import_body(const char *format, const char *name, const char *buf, size_t len,
    json_t **report, struct lw_err *e);
/*
 * import_detect - the format of a file parsed as YAML or JSON (not unl:
 * import_body tells that by its '<'), by its top-level keys; NULL when
 * it matches none.
 */
const char *import_detect(json_t *doc);
/*
 * import_map - a filled model (a parser's result) as a POST /labs body
 * (new reference) and *report, as import_body maps it: templates from
 * labs/importmap.c, node names made valid, interfaces by the template's
 * names. name: as import_body's. NULL with e.
 */
struct imp;
json_t *import_map(struct imp *im, const char *name, json_t **report, struct lw_err *e);
/* import_lab - import_body, then create the lab as w; its id or -1 with e (nothing created). */
int64_t import_lab(const struct who *w, const char *format, const char *name, const char *buf,
    size_t len, json_t **report, struct lw_err *e);

/*
 * export_lab - lab as a file: format "labwire" (as "json" or "yaml") or
 * "clab" (YAML). The labwire export is the POST /labs body of the lab
 * (plus "format":"labwire","version":1), keys sorted, nodes and links in
 * id order, nothing the store invents (ids, ports, MACs, owner): importing
 * it and exporting again gives the same bytes. Stage configs w may not
 * see (assign_hides_solutions) are left out (w NULL: all shown). format
 * and as NULL: their defaults (labwire, json). malloc'd text; f gets its
 * length, Content-Type and file name ("<lab>.labwire.json",
 * ".labwire.yaml", ".clab.yml"). NULL with e (ERR_INVALID for an unknown
 * format or as). Caller holds lw_lock() or a read snapshot.
 */
struct export_file {
	size_t len;
	const char *ctype;
	char name[160];
};
char *export_lab(const struct who *w, int64_t lab, const char *format, const char *as,
    struct export_file *f, struct lw_err *e);

#endif
