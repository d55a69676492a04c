/*
 * import_netlab - (being written: issue 19) the netlab reader for labs/importfmt.h.
 */
#include "labs/importfmt.h"

int
imp_netlab(struct imp *im, const char *buf, size_t len, json_t *doc, struct lw_err *e)
{
	(void)im, (void)buf, (void)len, (void)doc;
	return (err_set(e, ERR_INVALID, "netlab files cannot be imported yet"));
}
