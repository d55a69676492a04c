/*
 * users - the user records (name, role, password hash, quotas), the groups
 * (classes) with their leaders and members, and the quota checks that a
 * start or a capture passes first. Creating a user or setting a password
 * runs the KDF without lw_lock() and takes the lock itself (users_create,
 * users_patch); everything else: callers hold lw_lock(). by is who asks
 * (NULL: root on the host, the `labwire user` recovery path).
 */
#ifndef LW_USERS_H
#define LW_USERS_H

#include <jansson.h>
#include <stdint.h>

#include "core/base/err.h"
#include "labs/auth.h"

/* users_resolve - a user by id or name; its id, or -1 with ERR_NOT_FOUND. */
int64_t users_resolve(const char *ref, struct lw_err *e);
/* users_list_json - {"users":[user...]} (new reference) or NULL with e. */
json_t *users_list_json(struct lw_err *e);
/* users_json - {id,name,role,quota,usage,groups,created_at} (new reference) or NULL with e. */
json_t *users_json(int64_t user, struct lw_err *e);
/* users_create - {name,password,role?,quota?}; its id, or -1 with e (ERR_CONFLICT: taken). */
int64_t users_create(const struct who *by, json_t *body, struct lw_err *e);
/*
 * users_patch - {password, current_password, role, quota}: an admin may
 * change anything of anyone; a user only their own password, giving the
 * current one. Setting a password ends the user's other sessions (the one
 * by came with stays). A refusal is audited. 0 or -1 with e.
 */
int users_patch(const struct who *by, int64_t user, json_t *body, struct lw_err *e);
/* users_delete - remove a user who owns no lab (ERR_CONFLICT), never the last admin. */
int users_delete(const struct who *by, int64_t user, struct lw_err *e);

/*
 * users_quota_start - whether the owner of lab may start nodes more nodes
 * using ram_mb more MiB: 0, or -1 with ERR_TOO_MANY and the numbers.
 */
int users_quota_start(int64_t lab, int nodes, int64_t ram_mb, struct lw_err *e);
/* users_quota_capture - whether the owner of lab is under their captures' disk quota. */
int users_quota_capture(int64_t lab, struct lw_err *e);

int64_t groups_resolve(const char *ref, struct lw_err *e);
/* groups_list_json - {"groups":[...]}: an admin's are all, an instructor's those they lead. */
json_t *groups_list_json(const struct who *by, struct lw_err *e);
json_t *groups_json(int64_t group, struct lw_err *e);
int64_t groups_create(json_t *body, struct lw_err *e);
/* groups_patch - replace leaders and/or members; 0 or -1 with e. */
int groups_patch(int64_t group, json_t *body, struct lw_err *e);
int groups_delete(int64_t group, struct lw_err *e);

#endif
