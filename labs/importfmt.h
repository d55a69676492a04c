/*
 * importfmt - the import parsers, one per format (labs/import_<format>.c).
 * Each reads its file into the model (labs/importir.h): nodes with the
 * file's kinds and names, links and LAN segments with the file's interface
 * names and port numbers, and a drop for everything it cannot carry. It
 * maps nothing to templates (labs/import.c does). buf/len is the file
 * (UTF-8, checked); doc is it parsed as YAML or JSON (NULL for unl).
 * 0, or -1 with e (ERR_INVALID) naming the line or field that is wrong.
 */
#ifndef LW_IMPORTFMT_H
#define LW_IMPORTFMT_H

#include <jansson.h>
#include <stddef.h>

#include "core/base/err.h"
#include "labs/importir.h"

int imp_clab(struct imp *im, const char *buf, size_t len, json_t *doc, struct lw_err *e);
int imp_netlab(struct imp *im, const char *buf, size_t len, json_t *doc, struct lw_err *e);
int imp_cml(struct imp *im, const char *buf, size_t len, json_t *doc, struct lw_err *e);
int imp_gns3(struct imp *im, const char *buf, size_t len, json_t *doc, struct lw_err *e);
int imp_unl(struct imp *im, const char *buf, size_t len, json_t *doc, struct lw_err *e);

#endif
