/*
 * audit - the audit log: logins (ok and failed), lab create/start/stop/
 * delete, console attaches, user and group changes, token creation; kept
 * in the store, newest last, at most AUDIT_MAX rows. Callers hold lw_lock().
 */
#ifndef LW_AUDIT_H
#define LW_AUDIT_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/base/err.h"
#include "labs/auth.h"

#define AUDIT_MAX 100000

/* audit_add - record action on target by w (NULL: the daemon) with ok and detail. */
void audit_add(
    const struct who *w, const char *action, const char *target, bool ok, const char *detail);
/* audit_lab - audit_add with the lab's name as target. */
void audit_lab(const struct who *w, const char *action, int64_t lab, bool ok);
/*
 * audit_json - {"entries":[{id,at,user,addr,action,target,ok,detail}]}: at
 * most limit entries older than before (0: the newest), newest first.
 */
json_t *audit_json(int64_t before, int limit, struct lw_err *e);

#endif
