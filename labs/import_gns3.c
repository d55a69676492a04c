/*
 * import_gns3 - (being written: issue 19) the gns3 reader for labs/importfmt.h.
 */
#include "labs/importfmt.h"

int
imp_gns3(struct imp *im, const char *buf, size_t len, json_t *doc, struct lw_err *e)
{
	(void)im, (void)buf, (void)len, (void)doc;
	return (err_set(e, ERR_INVALID, "gns3 files cannot be imported yet"));
}
