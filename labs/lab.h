/*
 * lab - the lab model's records: labs, nodes, interfaces and links,
 * validated and written to the store in one transaction per operation,
 * rendered as the API's JSON objects, and the events that announce them
 * (their files' paths come from core/base/paths). It sets nothing running
 * and asks nothing of the runtime (lifecycle.c does), and speaks no HTTP.
 * Callers hold lw_lock().
 */
#ifndef LW_LAB_H
#define LW_LAB_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "core/base/err.h"
#include "labs/auth.h"

/* lab_publish - an event {"type":kind, "action":action, kind:{"id":id, "lab":lab}}. */
void lab_publish(const char *kind, const char *action, int64_t id, int64_t lab);
/* lab_store_version - the schema version of the store the labs live in. */
int lab_store_version(void);

/* lab_resolve - a lab by numeric id or name; its id, or -1 with ERR_NOT_FOUND. */
int64_t lab_resolve(const char *ref, struct lw_err *e);
/* lab_node_resolve - a node of lab by id or name; its id or -1. */
int64_t lab_node_resolve(int64_t lab, const char *ref, struct lw_err *e);
/* lab_link_resolve - a link of lab by id; its id or -1. */
int64_t lab_link_resolve(int64_t lab, const char *ref, struct lw_err *e);

/* lab_list_json - {"labs":[...]} (new reference) or NULL with e. */
json_t *lab_list_json(const struct who *w, struct lw_err *e);
/* lab_json - the lab with its nodes and links (new reference) or NULL with e. */
json_t *lab_json(int64_t lab, struct lw_err *e);
enum lab_nodes_sel { LAB_NODES_STOPPED, LAB_NODES_ACTIVE };
/*
 * lab_node_ids - ids of lab's nodes that are stopped (or in error) or active
 * (starting or running), in id order: a malloc'd array (caller frees) of *n;
 * NULL with e on error (an empty lab gives a non-NULL array with *n = 0).
 */
int64_t *lab_node_ids(int64_t lab, enum lab_nodes_sel sel, size_t *n, struct lw_err *e);
/* lab_create - a lab, with optional nodes and links, all or nothing; its id or -1. */
int64_t lab_create(json_t *body, int64_t owner, struct lw_err *e);
/*
 * lab_insert - what lab_create does, inside the caller's transaction (the
 * caller commits or rolls back); its id or -1 with e.
 */
int64_t lab_insert(json_t *body, int64_t owner, struct lw_err *e);
/* lab_state - "stopped", "starting", "running", "stopping", "partial" or "error". */
const char *lab_state(int64_t lab);
/* lab_patch - rename, describe, and (access_apply) share or give the lab; 0 or -1 with e. */
int lab_patch(const struct who *w, int64_t lab, json_t *body, struct lw_err *e);
/* lab_delete_rows - remove the lab from the store (its nodes must be stopped). */
int lab_delete_rows(int64_t lab, struct lw_err *e);

json_t *lab_nodes_json(int64_t lab, struct lw_err *e);
/*
 * lab_nodes_page, lab_links_page - {"nodes"|"links": [...]} with ids past
 * after, at most limit (0: all); "next" (the last id given) when more follow.
 */
json_t *lab_nodes_page(int64_t lab, int64_t after, int limit, struct lw_err *e);
json_t *lab_links_page(int64_t lab, int64_t after, int limit, struct lw_err *e);
json_t *lab_node_json(int64_t node, struct lw_err *e);
/*
 * lab_node_origin - a node row's "origin" (the stored JSON text) made the
 * object the API shows and POST /labs takes; removed when empty (a node
 * made here, not imported).
 */
void lab_node_origin(json_t *row);
int64_t lab_node_create(int64_t lab, json_t *body, struct lw_err *e);
/* lab_node_patch - hardware fields only while stopped (409 otherwise). */
int lab_node_patch(int64_t node, json_t *body, struct lw_err *e);
/* lab_node_delete_rows - remove a stopped node and every link that touches it. */
int lab_node_delete_rows(int64_t node, struct lw_err *e);

json_t *lab_links_json(int64_t lab, struct lw_err *e);
json_t *lab_link_json(int64_t link, struct lw_err *e);
int64_t lab_link_create(int64_t lab, json_t *body, struct lw_err *e);
int lab_link_patch(int64_t link, json_t *body, struct lw_err *e);
/* lab_link_saved - the link's stored state and impairment as they are, for lab_link_restore. */
json_t *lab_link_saved(int64_t link, struct lw_err *e);
/*
 * lab_link_restore - put back what lab_link_saved read (saved), unless the
 * stored link is no longer what this change wrote (wrote, also read by
 * lab_link_saved): a later PATCH's values are never undone. 0 or -1 with e.
 */
int lab_link_restore(int64_t link, json_t *saved, json_t *wrote, struct lw_err *e);
int lab_link_delete_rows(int64_t link, struct lw_err *e);

#endif
