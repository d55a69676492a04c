/*
 * api_images - the template catalog and the image store over REST. Image
 * uploads (POST /api/v1/images) stream through server.c into the store;
 * everything else is here.
 */
#include <stdio.h>

#include "images/store.h"
#include "images/template.h"
#include "labs/importmap.h"
#include "web/api.h"

int
api_templates(struct api_req *r, struct lw_err *e)
{
	return (api_reply(r, 200, importmap_template_list(), e));
}

int
api_template_get(struct api_req *r, struct lw_err *e)
{
	const struct template *t = template_find(r->params[0]);

	if (t == NULL)
		return (err_set(e, ERR_NOT_FOUND, "no template '%.64s'", r->params[0]));
	return (api_reply(r, 200, importmap_template_decorate(t->json), e));
}

int
api_templates_create(struct api_req *r, struct lw_err *e)
{
	const struct template *t;

	if (template_user_put(r->body, NULL, true, e) == -1)
		return (-1);
	t = template_find(json_string_value(json_object_get(r->body, "name")));
	snprintf(r->location, sizeof(r->location), "/api/v1/templates/%s", t->name);
	return (api_reply(r, 201, json_incref(t->json), e));
}

int
api_template_put(struct api_req *r, struct lw_err *e)
{
	if (template_user_put(r->body, r->params[0], false, e) == -1)
		return (-1);
	return (api_reply(r, 200, json_incref(template_find(r->params[0])->json), e));
}

int
api_template_delete(struct api_req *r, struct lw_err *e)
{
	if (template_user_delete(r->params[0], e) == -1)
		return (-1);
	r->status = 204;
	return (0);
}

int
api_images(struct api_req *r, struct lw_err *e)
{
	return (api_reply(r, 200, store_list(e), e));
}

int
api_image_get(struct api_req *r, struct lw_err *e)
{
	return (api_reply(r, 200, store_get(r->params[0], e), e));
}

int
api_image_delete(struct api_req *r, struct lw_err *e)
{
	if (store_delete(r->params[0], e) == -1)
		return (-1);
	r->status = 204;
	return (0);
}
