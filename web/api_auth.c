/*
 * api_auth - the Identity section (login, logout, me, API tokens, users,
 * groups, the audit log) and who a request is: its Bearer token or session
 * cookie resolved through labs/auth, and the Origin check a cookie-borne
 * write must pass.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <pthread.h>
#include <time.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "core/base/clock.h"
#include "core/base/config.h"
#include "db/db.h"
#include "core/base/secret.h"
#include "labs/access.h"
#include "labs/audit.h"
#include "labs/auth.h"
#include "labs/users.h"
#include "labs/validate.h"
#include "web/api.h"
#include "web/httpval.h"

#define COOKIE "labwire_session"
#define RECHECK_EVERY_S 30 /* sessions expire by the clock too */

static struct {
	void (*fn)(void);
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool running, stop;
} chg = {.mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER};

void
api_on_access_change(void (*fn)(void))
{
	chg.fn = fn;
}

void
api_access_maybe_changed(unsigned before)
{
	if (chg.fn != NULL && access_generation() != before)
		chg.fn();
}

/* Every RECHECK_EVERY_S: what expired meanwhile (a session's idle or absolute end) ends. */
static void *
recheck_thread(void *arg)
{
	struct timespec until;

	(void)arg;
	pthread_mutex_lock(&chg.mu);
	while (!chg.stop) {
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += RECHECK_EVERY_S;
		if (pthread_cond_timedwait(&chg.cv, &chg.mu, &until) == ETIMEDOUT && !chg.stop &&
		    chg.fn != NULL) {
			pthread_mutex_unlock(&chg.mu);
			chg.fn();
			pthread_mutex_lock(&chg.mu);
		}
	}
	pthread_mutex_unlock(&chg.mu);
	return (NULL);
}

void
api_auth_start(void)
{
	chg.stop = false;
	chg.running =
	    chg.fn != NULL && pthread_create(&chg.thread, NULL, recheck_thread, NULL) == 0;
}

void
api_auth_stop(void)
{
	if (!chg.running)
		return;
	pthread_mutex_lock(&chg.mu);
	chg.stop = true;
	pthread_cond_broadcast(&chg.cv);
	pthread_mutex_unlock(&chg.mu);
	pthread_join(chg.thread, NULL);
	chg.running = false;
}

static const char *
header(struct api_req *r, const char *name)
{
	return (MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, name));
}

void
api_peer(struct MHD_Connection *c, char *buf, size_t len)
{
	const union MHD_ConnectionInfo *ci =
	    MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	const struct sockaddr *sa = ci != NULL ? ci->client_addr : NULL;

	snprintf(buf, len, "?");
	if (sa != NULL && sa->sa_family == AF_INET)
		inet_ntop(
		    AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, buf, (socklen_t)len);
	else if (sa != NULL && sa->sa_family == AF_INET6)
		inet_ntop(
		    AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, buf, (socklen_t)len);
}

bool
api_origin_is_host(struct MHD_Connection *c)
{
	return (httpval_origin_is_host(MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Origin"),
	    MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Host")));
}

/* A write carried by the browser's cookie must come from this daemon's own page. */
static int
cookie_origin_ok(struct api_req *r, struct lw_err *e)
{
	const char *origin = header(r, "Origin");

	if (strcmp(r->method, "GET") == 0 || strcmp(r->method, "HEAD") == 0 ||
	    api_origin_is_host(r->conn))
		return (0);
	return (err_set(e, ERR_FORBIDDEN,
	    "a %s with the session cookie needs an Origin of this daemon (got '%.100s')", r->method,
	    origin ? origin : "none"));
}

int
api_identify(struct api_req *r, struct lw_err *e)
{
	const char *authz = header(r, "Authorization");
	const char *cookie = MHD_lookup_connection_value(r->conn, MHD_COOKIE_KIND, COOKIE);
	char addr[64];

	api_peer(r->conn, addr, sizeof(addr));
	if (!auth_enabled()) {
		auth_anonymous(addr, &r->who);
		return (0);
	}
	if (authz != NULL) {
		if (strncasecmp(authz, "Bearer ", 7) != 0 || strlen(authz + 7) > 128)
			return (err_set(e, ERR_UNAUTHORIZED,
			    "Authorization: only 'Bearer TOKEN' is understood"));
		return (auth_resolve(authz + 7, false, addr, &r->who, e));
	}
	if (cookie != NULL && strlen(cookie) <= 128) {
		if (auth_resolve(cookie, true, addr, &r->who, e) == -1)
			return (-1);
		return (cookie_origin_ok(r, e));
	}
	return (err_set(e, ERR_UNAUTHORIZED,
	    "log in first: POST /api/v1/auth/login, then send 'Authorization: Bearer TOKEN' "
	    "(or use `labwire login`)"));
}

/* ---- long-lived answers ---- */

#define GUARD_EVERY_MS 5000

void
api_guard_init(struct api_guard *g, const struct api_req *r, int64_t lab)
{
	g->who = r->who;
	g->lab = lab;
	g->gen = access_generation();
	g->checked_ms = clock_mono_ms();
}

bool
api_guard_due(const struct api_guard *g)
{
	return (g->gen != access_generation() || clock_mono_ms() - g->checked_ms >= GUARD_EVERY_MS);
}

bool
api_guard_ok(struct api_guard *g)
{
	int64_t now = clock_mono_ms();
	bool ok;

	if (g->gen == access_generation() && now - g->checked_ms < GUARD_EVERY_MS)
		return (true);
	g->gen = access_generation();
	g->checked_ms = now;
	if (!auth_reload(&g->who))
		return (false); /* logged out, revoked, expired, deleted */
	if (g->lab == 0)
		return (true);
	if (db_read_begin(lw.db, NULL) == -1)
		return (false);
	ok = access_lab(&g->who, g->lab) >= ACCESS_READ;
	db_read_end();
	return (ok);
}

/* ---- login, logout, me ---- */

static void
session_cookie(struct api_req *r, const char *token, long max_age)
{
	snprintf(r->cookie, sizeof(r->cookie),
	    "%s=%s; Path=/; HttpOnly; SameSite=Strict; Max-Age=%ld%s", COOKIE, token, max_age,
	    config_tls_on(&lw.cfg) ? "; Secure" : "");
}

int
api_login(struct api_req *r, struct lw_err *e)
{
	char token[SECRET_TOKEN_LEN + 1], addr[64];
	int64_t expires;
	struct who w = {0};

	if (fields_check(r->body, validate_login, "login", e) == -1)
		return (-1);
	api_peer(r->conn, addr, sizeof(addr));
	if (auth_login(json_string_value(json_object_get(r->body, "username")),
	        json_string_value(json_object_get(r->body, "password")), addr, &w, token,
	        sizeof(token), &expires, e) == -1)
		return (-1);
	session_cookie(r, token, lw.cfg.session_max);
	return (api_reply(r, 200,
	    json_pack("{s:{s:s,s:s},s:s,s:I}", "user", "name", w.name, "role",
	        auth_role_name(w.role), "token", token, "expires_at", (json_int_t)expires),
	    e));
}

int
api_logout(struct api_req *r, struct lw_err *e)
{
	if (auth_logout(&r->who, e) == -1)
		return (-1);
	if (r->who.cookie)
		session_cookie(r, "", 0);
	r->status = 204;
	return (0);
}

int
api_me(struct api_req *r, struct lw_err *e)
{
	return (api_reply(r, 200,
	    json_pack("{s:s,s:s,s:b}", "name", r->who.name, "role", auth_role_name(r->who.role),
	        "auth", auth_enabled()),
	    e));
}

/* ---- API tokens ---- */

int
api_tokens_list(struct api_req *r, struct lw_err *e)
{
	struct api_page pg;

	if (api_page_args(r, &pg, e) == -1)
		return (-1);
	return (api_reply(r, 200, api_page(auth_tokens_json(&r->who, e), "tokens", &pg), e));
}

int
api_tokens_create(struct api_req *r, struct lw_err *e)
{
	json_t *t = auth_token_create(&r->who, r->body, e);

	if (t != NULL)
		snprintf(r->location, sizeof(r->location), "/api/v1/auth/tokens/%lld",
		    (long long)json_integer_value(json_object_get(t, "id")));
	return (api_reply(r, 201, t, e));
}

int
api_token_delete(struct api_req *r, struct lw_err *e)
{
	if (auth_token_revoke(&r->who, r->params[0], e) == -1)
		return (-1);
	r->status = 204;
	return (0);
}

/* ---- users ---- */

int
api_users_list(struct api_req *r, struct lw_err *e)
{
	struct api_page pg;
	json_t *out;

	if (api_page_args(r, &pg, e) == -1)
		return (-1);
	lw_lock();
	out = users_list_json(e);
	lw_unlock();
	return (api_reply(r, 200, api_page(out, "users", &pg), e));
}

int
api_users_create(struct api_req *r, struct lw_err *e)
{
	int64_t id = users_create(&r->who, r->body, e);
	json_t *out = NULL;

	if (id == -1)
		return (-1);
	snprintf(r->location, sizeof(r->location), "/api/v1/users/%lld", (long long)id);
	lw_lock();
	out = users_json(id, e);
	lw_unlock();
	return (api_reply(r, 201, out, e));
}

/* {user} as r->who may use it: an admin any, a user only themself (others: 404). */
static int64_t
user_ref(struct api_req *r, struct lw_err *e)
{
	int64_t id;

	lw_lock();
	id = users_resolve(r->params[0], e);
	lw_unlock();
	if (id != -1 && r->who.role != ROLE_ADMIN && id != r->who.id)
		return (err_set(e, ERR_NOT_FOUND, "user '%.64s' not found", r->params[0]));
	return (id);
}

int
api_user_get(struct api_req *r, struct lw_err *e)
{
	int64_t id = user_ref(r, e);
	json_t *out;

	if (id == -1)
		return (-1);
	lw_lock();
	out = users_json(id, e);
	lw_unlock();
	return (api_reply(r, 200, out, e));
}

int
api_user_patch(struct api_req *r, struct lw_err *e)
{
	int64_t id = user_ref(r, e);

	if (id == -1 || users_patch(&r->who, id, r->body, e) == -1)
		return (-1);
	return (api_user_get(r, e));
}

int
api_user_delete(struct api_req *r, struct lw_err *e)
{
	int64_t id = user_ref(r, e);
	int rc;

	if (id == -1)
		return (-1);
	if (r->who.role != ROLE_ADMIN)
		return (err_set(e, ERR_FORBIDDEN, "only an admin may delete a user"));
	lw_lock();
	rc = users_delete(&r->who, id, e);
	lw_unlock();
	if (rc == -1)
		return (-1);
	r->status = 204;
	return (0);
}

/* ---- groups (classes) ---- */

int
api_groups_list(struct api_req *r, struct lw_err *e)
{
	struct api_page pg;

	if (api_page_args(r, &pg, e) == -1)
		return (-1);
	return (api_reply(r, 200, api_page(groups_list_json(&r->who, e), "groups", &pg), e));
}

int
api_groups_create(struct api_req *r, struct lw_err *e)
{
	int64_t id = groups_create(r->body, e);

	if (id == -1)
		return (-1);
	audit_add(
	    &r->who, "group.create", json_string_value(json_object_get(r->body, "name")), true, "");
	snprintf(r->location, sizeof(r->location), "/api/v1/groups/%lld", (long long)id);
	return (api_reply(r, 201, groups_json(id, e), e));
}

int
api_group_get(struct api_req *r, struct lw_err *e)
{
	int64_t id = groups_resolve(r->params[0], e);

	return (id == -1 ? -1 : api_reply(r, 200, groups_json(id, e), e));
}

int
api_group_patch(struct api_req *r, struct lw_err *e)
{
	int64_t id = groups_resolve(r->params[0], e);

	if (id == -1 || groups_patch(id, r->body, e) == -1)
		return (-1);
	audit_add(&r->who, "group.update", r->params[0], true, "");
	return (api_reply(r, 200, groups_json(id, e), e));
}

int
api_group_delete(struct api_req *r, struct lw_err *e)
{
	int64_t id = groups_resolve(r->params[0], e);

	if (id == -1 || groups_delete(id, e) == -1)
		return (-1);
	audit_add(&r->who, "group.delete", r->params[0], true, "");
	r->status = 204;
	return (0);
}

/* ---- audit ---- */

int
api_audit(struct api_req *r, struct lw_err *e)
{
	const char *lim = MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, "limit");
	const char *bef = MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, "before");
	long limit = lim ? strtol(lim, NULL, 10) : 100;
	long long before = bef ? strtoll(bef, NULL, 10) : 0;

	if (limit < 1 || limit > 1000 || before < 0)
		return (err_set(e, ERR_INVALID, "limit: 1..1000; before: an entry id"));
	return (api_reply(r, 200, audit_json(before, (int)limit, e), e));
}
