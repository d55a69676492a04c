/*
 * ui - the browser UI's static files, served from memory at "/" and
 * "/ui/<file>". They are read once at start-up into a table; a request is a
 * lookup in it, never a path handed to the filesystem, so no URL reaches a
 * file outside it. It knows no API route, lab or store: the server asks it
 * only about paths outside /api/.
 */
#ifndef LW_UI_H
#define LW_UI_H

#include <microhttpd.h>
#include <stdbool.h>

/* ui_load - read the UI directory's files into memory; how many (0: no UI). */
int ui_load(const char *dir);
void ui_free(void);
/*
 * ui_response - for a UI path: 1 with *resp (caller queues and destroys
 * it) and *status 200, or -1 with *status 404/405 (resp NULL); 0 when url
 * is not a UI path (the API's).
 */
int ui_response(const char *method, const char *url, struct MHD_Response **resp, int *status);

#endif
