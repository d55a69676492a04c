/*
 * api_export - GET /api/v1/labs/{lab}/export: the lab as a file to save
 * (labs/export.c): ?format=labwire|clab (default labwire), ?as=json|yaml
 * (labwire's; default json), sent as an attachment named after the lab.
 */
#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>

#include "labs/import.h"
#include "web/api.h"

static const char *
export_arg(struct api_req *r, const char *name)
{
	return (MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, name));
}

int
api_lab_export(struct api_req *r, struct lw_err *e)
{
	/* The access check put the lab's id in params[0]. */
	struct export_file f;
	char disp[200];
	char *text = export_lab(&r->who, strtoll(r->params[0], NULL, 10), export_arg(r, "format"),
	    export_arg(r, "as"), &f, e);

	if (text == NULL)
		return (-1);
	if ((r->raw = MHD_create_response_from_buffer(f.len, text, MHD_RESPMEM_MUST_FREE)) ==
	    NULL) {
		free(text);
		return (err_set(e, ERR_INTERNAL, "out of memory"));
	}
	snprintf(disp, sizeof(disp), "attachment; filename=\"%s\"", f.name);
	MHD_add_response_header(r->raw, "Content-Type", f.ctype);
	MHD_add_response_header(r->raw, "Content-Disposition", disp);
	MHD_add_response_header(r->raw, "Cache-Control", "no-store");
	r->status = 200;
	return (0);
}
