/*
 * import_cml - (being written: issue 19) the cml reader for labs/importfmt.h.
 */
#include "labs/importfmt.h"

int
imp_cml(struct imp *im, const char *buf, size_t len, json_t *doc, struct lw_err *e)
{
	(void)im, (void)buf, (void)len, (void)doc;
	return (err_set(e, ERR_INVALID, "cml files cannot be imported yet"));
}
