/*
 * lab_console - what the console endpoints need from the lab model: a
 * node's template and state with what its template says about the console
 * (the command that prints the running config, the prompt that ends it),
 * and where a node's console log lives, built from ids only. It reads the
 * store and the template table; it does no console I/O (core/console) and
 * knows no HTTP (web/).
 */
#ifndef LW_LAB_CONSOLE_H
#define LW_LAB_CONSOLE_H

#include <stddef.h>
#include <stdint.h>

#include "core/base/err.h"

struct lab_console_node {
	char template[64];       /* the node's template name */
	char state[16];          /* "stopped", "starting", "running", ... */
	char config_export[128]; /* the template's command printing the running config, or "" */
	char prompt[128];        /* ERE: the template's CLI prompt, or "" */
};

/*
 * lab_console_node - node's template and state into *n, with its
 * template's export command and prompt ("" when the template is unknown or
 * has none); 0, or -1 with e (ERR_NOT_FOUND). Callers hold lw_lock().
 */
int lab_console_node(int64_t node, struct lab_console_node *n, struct lw_err *e);

/*
 * lab_console_log_path - the path of node's console log (in lab) into buf
 * of len bytes; its rotated part is the same path with ".1" appended.
 * 0, or -1 with e (ERR_INTERNAL) when it does not fit.
 */
int lab_console_log_path(int64_t lab, int64_t node, char *buf, size_t len, struct lw_err *e);

#endif
