/*
 * grade - grading a practice lab: runs its checks (labs/practice) on the
 * running lab by typing each check's command on the node's own console
 * (core/console's send/expect), one worker thread per node with its checks
 * in order, the nodes in parallel, each check bounded by its timeout_s and
 * the whole grade by GRADE_TIME_S; reads the output with labs/gradeparse,
 * stores the result in the grades table (the newest GRADE_KEEP per lab)
 * and publishes it on the event stream. It never holds lw_lock() while it
 * waits on a console, and knows no HTTP.
 */
#ifndef LW_GRADE_H
#define LW_GRADE_H

#include <jansson.h>
#include <stdint.h>

#include "core/base/err.h"
#include "labs/auth.h"

#define GRADE_TIME_S 90        /* a whole grade; checks not reached by then fail */
#define GRADE_PROMPT_S 5       /* a node's console must show its prompt within this */
#define GRADE_KEEP 100         /* grades kept per lab, newest first */
#define GRADE_LIST_MAX 50      /* grades a list gives */
#define GRADE_CONCURRENT_MAX 4 /* grades running at once in the daemon (each holds a worker) */

/*
 * grade_run - grade lab's stage (0: the lab's checks and every stage's; n:
 * stage n's) as w: the result {id, lab (its id), stage, score, max_score,
 * passed, at, by, checks:[{id, description, node, kind, passed, points,
 * max_points, detail, hint (failed only)}]} (new reference), stored and
 * published; NULL with e: ERR_NOT_FOUND (no such lab or stage),
 * ERR_INVALID (no checks), ERR_CONFLICT (no node runs, or a grade of lab
 * runs already), ERR_TOO_MANY (GRADE_CONCURRENT_MAX grades run). Called
 * without lw_lock(); takes it only to read and to store.
 */
json_t *grade_run(const struct who *w, int64_t lab, int stage, struct lw_err *e);

/*
 * grade_list - lab's grades, newest first, at most GRADE_LIST_MAX:
 * {grades:[{id, stage, score, max_score, passed, at, by}]} (new
 * reference), or NULL with e. Callers hold lw_lock() or a read section.
 */
json_t *grade_list(int64_t lab, struct lw_err *e);

/*
 * grade_get - lab's grade id as grade_run returned it (new reference), or
 * NULL with e (ERR_NOT_FOUND). Callers hold lw_lock() or a read section.
 */
json_t *grade_get(int64_t lab, int64_t id, struct lw_err *e);

/*
 * grade_last - lab's newest grade {id, stage, score, max_score, passed, at,
 * by} (new reference), or NULL when it has none. Callers hold lw_lock() or
 * a read section.
 */
json_t *grade_last(int64_t lab);

#endif
