/*
 * api_import - a lab file in: POST /api/v1/labs/import takes the file as
 * the body (bytes, up to IMPORT_FILE_MAX, not --max-body) and answers the
 * lab it made and the import's report.
 */
#include <stdio.h>

#include "labs/import.h"
#include "labs/lab.h"
#include "web/api.h"

/* A query argument, NULL when absent or empty. */
static const char *
api_import_arg(struct api_req *r, const char *key)
{
	const char *v = MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, key);

	return (v != NULL && *v != '\0' ? v : NULL);
}

int
api_labs_import(struct api_req *r, struct lw_err *e)
{
	json_t *report = NULL, *lab_obj;
	int64_t lab;

	lab = import_lab(&r->who, api_import_arg(r, "format"), api_import_arg(r, "name"),
	    r->raw_body != NULL ? r->raw_body : "", r->raw_len, &report, e);
	if (lab == -1)
		return (-1);
	if ((lab_obj = lab_json(lab, e)) == NULL) {
		json_decref(report);
		return (-1);
	}
	snprintf(r->location, sizeof(r->location), "/api/v1/labs/%lld", (long long)lab);
	return (api_reply(r, 201, json_pack("{s:o, s:o}", "lab", lab_obj, "report", report), e));
}
