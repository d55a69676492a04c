/*
 * access - who may see and touch which lab: its owner and admins write,
 * users it is shared with read or write, and the instructors of a group
 * (class) read (and watch the consoles of) the labs of its members. A lab
 * the user may not see does not exist for them (ERR_NOT_FOUND). It also
 * keeps a lab's shares and owner, and takes what a reader may not see (a
 * node's console token) out of the JSON. Callers hold lw_lock().
 */
#ifndef LW_ACCESS_H
#define LW_ACCESS_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/base/err.h"
#include "labs/auth.h"

/* Levels, each including the ones below. */
enum access_level {
	ACCESS_NONE = 0,
	ACCESS_READ = 1,  /* see it, watch its consoles */
	ACCESS_WRITE = 2, /* change it, start it, type on its consoles */
	ACCESS_OWN = 3,   /* its owner (or an admin): delete it, share it */
};

/* access_level_name - "none", "read", "write" or "own", as a lab object's "access" says it. */
const char *access_level_name(int level);
/* access_lab - w's level on lab (ACCESS_NONE for a lab that does not exist). */
int access_lab(const struct who *w, int64_t lab);
/* access_node - w's level on node's lab. */
int access_node(const struct who *w, int64_t node);
/*
 * access_lab_resolve - lab ref (id or name) as w may use it with need:
 * its id; -1 with ERR_NOT_FOUND when it does not exist or w may not see
 * it, ERR_FORBIDDEN when w sees it but may not do this. *level gets w's level.
 */
int64_t access_lab_resolve(
    const struct who *w, const char *ref, int need, int *level, struct lw_err *e);
/*
 * ACCESS_VISIBLE_SQL - the condition (on labs aliased l) that a user may
 * see l: owned, shared with them, or owned by a member of a group they
 * lead; or they are an admin. Binds "iiiI": user, user, user, is_admin.
 * A literal, so the statement it is part of is prepared once.
 */
#define ACCESS_VISIBLE_SQL                                                                         \
	"(l.owner_id = ? OR l.id IN (SELECT lab_id FROM lab_shares WHERE user_id = ?)"             \
	" OR l.owner_id IN (SELECT m.user_id FROM group_members m JOIN group_members lead"         \
	"   ON lead.group_id = m.group_id WHERE lead.user_id = ? AND lead.leader = 1)"             \
	" OR ?)"
/* access_shares_json - lab's [{user, access}] (new reference). */
json_t *access_shares_json(int64_t lab);
/*
 * access_apply - a lab PATCH's "owner" (admins) and "shared_with" (the
 * owner or an admin): replaces the shares; 0 or -1 with e. Inside the
 * caller's transaction.
 */
int access_apply(const struct who *w, int64_t lab, json_t *body, struct lw_err *e);
/*
 * access_redact - remove from out (a lab, node or list) what a reader at
 * level may not see; a lab object (is_lab) gains "access", level's name.
 */
void access_redact(json_t *out, int level, bool is_lab);
/*
 * access_rotate_user - new console tokens for every lab user may type on
 * (every lab for an admin): before their role, password or account changes,
 * the tokens they have seen stop working. 0 or -1 with e.
 */
int access_rotate_user(int64_t user, struct lw_err *e);
/* access_generation - bumped whenever a share, owner, group or user changes. */
unsigned access_generation(void);
void access_changed(void);

#endif
