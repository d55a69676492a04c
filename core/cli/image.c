/*
 * image - the "image" commands: list the image store, add a disk image
 * (streamed by upload.c), remove one. Whether an image is in use, or a
 * name taken, is the daemon's to say; its refusal is shown in its words.
 */
#include <stdio.h>

#include "core/cli/cli.h"
#include "core/cli/cli_int.h"

int
cli_image_list(struct cli_args *a)
{
	struct cli_table t = {.ncol = 8};
	const json_t *img;
	json_t *ans;
	size_t i;
	long st;

	(void)a;
	if (cli_http("GET", CLI_API "/images", NULL, &st, &ans) == -1)
		return (CLI_FAIL);
	cli_table_row(&t,
	    (const char *[]){
	        "NAME", "FORMAT", "VIRTUAL", "SIZE", "TEMPLATE", "USED-BY", "SHA256", "STATE"});
	json_array_foreach(json_object_get(ans, "images"), i, img) {
		char b[8][64], sha[13];

		/* Twelve digits tell images apart; `image add` printed the whole sum. */
		snprintf(sha, sizeof(sha), "%s", cli_fmt_field(img, "sha256", b[6], sizeof(b[6])));
		cli_table_row(&t,
		    (const char *[]){cli_fmt_field(img, "name", b[0], sizeof(b[0])),
		        cli_fmt_field(img, "format", b[1], sizeof(b[1])),
		        cli_fmt_size_field(img, "virtual_size", b[2], sizeof(b[2])),
		        cli_fmt_size_field(img, "size", b[3], sizeof(b[3])),
		        cli_fmt_field(img, "template", b[4], sizeof(b[4])),
		        cli_fmt_field(img, "used_by", b[5], sizeof(b[5])), sha,
		        cli_fmt_field(img, "state", b[7], sizeof(b[7]))});
	}
	json_decref(ans);
	return (cli_table_done(&t) == 0 ? CLI_OK : CLI_FAIL);
}

/* cli_image_path - CLI_API "/images/NAME", NAME escaped; 0, or -1 having told the user. */
static int
cli_image_path(char *buf, size_t len, const char *name)
{
	char *en;
	int n = -1;

	if (*name == '\0') {
		fprintf(stderr, "labwire: empty image name\n");
		return (-1);
	}
	if ((en = curl_easy_escape(NULL, name, 0)) != NULL)
		n = snprintf(buf, len, CLI_API "/images/%s", en);
	curl_free(en);
	if (n < 0 || (size_t)n >= len) {
		fprintf(stderr, "labwire: image name too long\n");
		return (-1);
	}
	return (0);
}

int
cli_image_rm(struct cli_args *a)
{
	char path[CLI_PATH_MAX];
	long st;

	if (cli_image_path(path, sizeof(path), a->pos[0]) == -1)
		return (CLI_FAIL);
	/* A 409 (a node still uses it) is told by cli_http, in the daemon's words. */
	if (cli_http("DELETE", path, NULL, &st, NULL) == -1)
		return (CLI_FAIL);
	printf("deleted image %s\n", a->pos[0]);
	return (CLI_OK);
}

int
cli_image_add(struct cli_args *a)
{
	char vs[32], fmt[32], sha[80];
	json_t *img = NULL;
	int ret;

	ret = cli_upload(a->pos[0], a->name, a->tmpl, &img);
	if (ret == CLI_OK)
		printf("added image %s: %s, virtual size %s, sha256 %s\n",
		    cli_fmt_string(img, "name"), cli_fmt_field(img, "format", fmt, sizeof(fmt)),
		    cli_fmt_size_field(img, "virtual_size", vs, sizeof(vs)),
		    cli_fmt_field(img, "sha256", sha, sizeof(sha)));
	json_decref(img);
	return (ret);
}
