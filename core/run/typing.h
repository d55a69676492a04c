/*
 * typing - a startup config typed on a node's console: the template's pre
 * lines, the config's lines, then the post lines, each sent once the
 * template's prompt is back. It owns only those lines and that console
 * conversation; it must not touch the database or the runtime's state
 * (the runtime decides when to type and what follows), and it never runs
 * on the event loop: typing_run blocks.
 */
#ifndef LW_TYPING_H
#define LW_TYPING_H

#include <stddef.h>
#include <stdint.h>

struct template;
struct typing;

/* typing_new - copy what node's typing needs from t and config; NULL when out of memory. Caller
 * holds lw_lock(). */
struct typing *typing_new(int64_t node, const struct template *t, const char *config);
/* typing_run - type every line (blocks, takes no lock) and free ty; 0, or -1 with msg. */
int typing_run(struct typing *ty, char *msg, size_t msglen);
/* typing_free - for a typing that will not run. */
void typing_free(struct typing *ty);

#endif
