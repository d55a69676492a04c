/*
 * assign - classroom assignments: an instructor (a leader of a group, or
 * an admin) hands a lab to a group; each member of the group makes their
 * own copy of it (nodes, links, guide, checks, stages), which they own like
 * any lab they create; the instructor sees one table of every member, their
 * copy's state and its last grade. A member sees only their own row, and an
 * assignment they may not see does not exist for them (ERR_NOT_FOUND). The
 * instructor reads (and watches the consoles of) the copies through the
 * group-leader rule of labs/access.h, not through anything here. It speaks
 * no HTTP and starts nothing. Callers hold lw_lock() (the reads may run in a
 * read section instead).
 */
#ifndef LW_ASSIGN_H
#define LW_ASSIGN_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/base/err.h"
#include "labs/auth.h"

/*
 * assign_create - {lab, group, name?}: w must lead the group (or be an
 * admin, ERR_FORBIDDEN otherwise) and read the lab (ERR_NOT_FOUND); name
 * defaults to the lab's. The assignment (new reference) or NULL with e.
 */
json_t *assign_create(const struct who *w, json_t *body, struct lw_err *e);
/*
 * assign_list_json - {"assignments":[...]}: those w made or leads (or all,
 * for an admin) and those of the groups w is a member of, each with "role"
 * ("instructor" or "member") and "instance" (w's own copy, or null).
 */
json_t *assign_list_json(const struct who *w, struct lw_err *e);
/*
 * assign_json - the assignment ref (an id) with "members": [{user,
 * instance:{lab,name,state}|null, last_grade:{score,max_score,passed,at}|null}]
 * — every member of the group for its instructors, w's own row for a member.
 */
json_t *assign_json(const struct who *w, const char *ref, struct lw_err *e);
/* assign_delete - remove it (its instructors only); the copies stay their members'. 0 or -1. */
int assign_delete(const struct who *w, const char *ref, struct lw_err *e);
/*
 * assign_instance - w's copy of the assignment's lab: the existing one
 * (*made false), else a new one, named "<assignment>-<user>", made in one
 * transaction, announced and its consoles served (*made true). Only the
 * group's members (not its leaders) have one. Its lab id, or -1 with e.
 */
int64_t assign_instance(const struct who *w, const char *ref, bool *made, struct lw_err *e);
/*
 * assign_hides_solutions - whether w sees lab's stage configs (the
 * solutions) only as node names: lab is a member's copy for an assignment
 * (labs.copy_hidden; it outlives the assignment) and w is none of an admin,
 * a leader of the group it was made for, the assignment's instructor (while
 * an instructor), or a reader of the source lab. The copy keeps them (a
 * restore uses them). Reads the store (a snapshot or lw_lock).
 */
bool assign_hides_solutions(const struct who *w, int64_t lab);

#endif
