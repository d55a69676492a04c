/*
 * practice - a practice lab's guide (the task, Markdown), its checks (what
 * grading asks each node) and its stages (checks and reference configs per
 * step): validated against the lab's nodes before anything is stored, kept
 * in the lab's row (schema 10) and read back for grading (labs/grade.c)
 * and for restoring a stage (the nodes' startup configs, reloaded). It
 * speaks no HTTP. Callers hold lw_lock() for what writes.
 */
#ifndef LW_PRACTICE_H
#define LW_PRACTICE_H

#include <jansson.h>
#include <stdint.h>

#include "core/base/err.h"
#include "labs/auth.h"

/* The limits (README "Practice labs"). */
#define PRACTICE_GUIDE_MAX (64 * 1024)   /* bytes of guide: 413 past it */
#define PRACTICE_CHECKS_MAX 200          /* checks of a lab and all its stages */
#define PRACTICE_STAGES_MAX 16           /* stages, numbered 1.. */
#define PRACTICE_CONFIG_MAX (256 * 1024) /* a stage's config of a node (= startup_config) */
#define PRACTICE_COMMAND_MAX 256         /* an exec check's command */
#define PRACTICE_TEXT_MAX 1024           /* a check's description, a hint */
#define PRACTICE_STAGE_TEXT_MAX 4096     /* a stage's description */
#define PRACTICE_TIMEOUT_DEFAULT 10      /* a check's timeout_s (1..60) */

/* Template families: what a check types on the node's console. */
enum practice_family { PRACTICE_OTHER, PRACTICE_FRR, PRACTICE_LINUX };

/*
 * practice_family - the family of a template name: PRACTICE_FRR
 * (frr-router, console is vtysh), PRACTICE_LINUX (a fixed list of shells:
 * tiny-linux, tiny-linux-arm64, linux-host, linux-cloud, vlan-switch), else
 * PRACTICE_OTHER (only "exec" checks).
 */
int practice_family(const char *template);

/*
 * practice_validate - checks (NULL: none) and stages (NULL: none) against
 * nodes, an object {node name: template name}: every field bounded,
 * regexes compiled (core/base/rx, RX_LINES), ids unique over the checks and
 * every stage's, each check's node in nodes and its kind fit for that
 * node's family, at most PRACTICE_CHECKS_MAX checks in all and
 * PRACTICE_STAGES_MAX stages, stage configs keyed by nodes' names. 0, or
 * -1 with e (ERR_INVALID, the message naming the field: "checks[3].target:
 * not an IP address"). Reads no store.
 */
int practice_validate(json_t *checks, json_t *stages, json_t *nodes, struct lw_err *e);
/* practice_guide_check - guide is a string of at most PRACTICE_GUIDE_MAX bytes (413), no NUL. */
int practice_guide_check(json_t *guide, const char *what, struct lw_err *e);

/*
 * practice_lab_insert - the guide, checks and stages of a POST /labs body
 * into lab's row, whose nodes are already inserted in the same transaction
 * (the caller's); 0 or -1 with e.
 */
int practice_lab_insert(int64_t lab, json_t *body, struct lw_err *e);
/* practice_lab_fields - add "guide", "checks" and "stages" of lab to row; 0 or -1 with e. */
int practice_lab_fields(int64_t lab, json_t *row, struct lw_err *e);

/* practice_get - {"guide"|"checks"|"stages": ...} of lab (what names it); NULL with e. */
json_t *practice_get(int64_t lab, const char *what, struct lw_err *e);
/*
 * practice_put - replace lab's guide, checks or stages (what) with body's
 * field of that name, validated against the lab's nodes, in one
 * transaction, and announce it (event "lab" "updated"); a refusal changes
 * nothing. 0 or -1 with e.
 */
int practice_put(int64_t lab, const char *what, json_t *body, struct lw_err *e);

/*
 * practice_checks_for - the checks grading stage runs (0: the lab's and
 * every stage's; n: stage n's): a new array of validated check objects,
 * each with its defaults filled in (points 1, timeout_s 10, expect
 * "success", absent false) and "stage" (0 for the lab's own). NULL with e:
 * ERR_NOT_FOUND when there is no such stage.
 */
json_t *practice_checks_for(int64_t lab, int stage, struct lw_err *e);

/*
 * practice_node_unnamed - 0 when no check and no stage config of node's lab
 * names node (by its current name), else -1 with ERR_CONFLICT naming them
 * and what (e.g. "deleted") could not be done: a lab's checks always name
 * nodes it has (README "Practice labs").
 */
int practice_node_unnamed(int64_t node, const char *what, struct lw_err *e);
/*
 * practice_node_renamed - node is about to be named to: its lab's checks
 * (the lab's and the stages'), stage configs and kept start (stage_base)
 * that name it by its current name name it to. Runs inside the caller's
 * transaction (the rename's); 0 or -1 with e.
 */
int practice_node_renamed(int64_t node, const char *to, struct lw_err *e);

/*
 * practice_restore - put stage (0: the start) back on every node of lab:
 * the start's startup configs are kept once (stage_base, at the first
 * restore); each node's startup_config becomes stage's config for it (the
 * start's where stage names none); running nodes are reloaded so they boot
 * with it. Returns {lab, stage, nodes:[{name, action:"reloaded"|"updated"}]}
 * (new reference), or NULL with e (ERR_NOT_FOUND: no such stage).
 */
json_t *practice_restore(int64_t lab, int stage, struct lw_err *e);

/*
 * practice_hide_configs - out's (a lab's, or {"stages": ...}) stages with
 * each config's text replaced by null: the node names stay, and the stage
 * says "configs_hidden": true (a PUT of it as it is is refused: 422).
 */
void practice_hide_configs(json_t *out);
#endif
