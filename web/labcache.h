/*
 * labcache - GET /api/v1/labs/{lab} answered from the lab's rendered JSON.
 * An entry per (lab, access level) holds the text and its ETag; it is
 * good while no commit reached the store since it was read
 * (db_generation), and, for a lab with running nodes or wired links whose
 * counters move, for at most a second. A request whose If-None-Match
 * names the current ETag gets 304 and no body.
 */
#ifndef LW_LABCACHE_H
#define LW_LABCACHE_H

#include <stdbool.h>
#include <stdint.h>

#include "web/api.h"

/*
 * labcache_answer - r's answer for lab (r->level is who's access): from the
 * cache, or built (reading without lw_lock) and kept; with only_cached
 * and no good entry it answers nothing and sets r->defer. 0 or -1 with e.
 */
int labcache_answer(struct api_req *r, int64_t lab, bool only_cached, struct lw_err *e);
/* labcache_fini - drop every entry (responses in flight keep their text). */
void labcache_fini(void);

#endif
