/*
 * auth - who is asking: users' logins (the KDF, throttling), the sessions
 * and API tokens that stand for a login afterwards (stored as SHA-256
 * digests, with idle and absolute expiry), the first start's admin, and
 * the telnet consoles' credentials. Who may do what to which lab is
 * access.c's; the user records are users.c's. It speaks no HTTP. Unlike
 * most of labs/, these functions take lw_lock() themselves: a login's KDF
 * must run without it.
 */
#ifndef LW_AUTH_H
#define LW_AUTH_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/base/err.h"

enum auth_role { ROLE_USER = 0, ROLE_INSTRUCTOR = 1, ROLE_ADMIN = 2 };

/* Who a request (or a console client) is. id 0: nobody. */
struct who {
	int64_t id;
	char name[64];
	int role;      /* enum auth_role */
	int64_t token; /* the session or API token it came with (0: none, e.g. --auth off) */
	bool cookie;   /* the credential was the session cookie (writes need the Origin check) */
	char addr[64]; /* the peer's address, for throttling and the audit log */
};

/* auth_role_name - "admin", "instructor" or "user". */
const char *auth_role_name(int role);
/* auth_role_parse - the role named s, or -1. */
int auth_role_parse(const char *s);
/* auth_enabled - false under --auth off (loopback only): everyone is admin. */
bool auth_enabled(void);
/*
 * auth_init - at start-up: with no users, create "admin" with a random
 * password written once to DATA_DIR/initial-admin-password (0600, named in
 * the log); labs without an owner go to the first admin. 0 or -1 with e.
 */
int auth_init(struct lw_err *e);
/* auth_anonymous - under --auth off, who every request is: the first admin. */
void auth_anonymous(const char *addr, struct who *w);
/*
 * auth_login - check name and password (one message for an unknown user
 * and a wrong password: ERR_UNAUTHORIZED; ERR_TOO_MANY while the user or
 * the address is throttled) and open a session: its token into token
 * (SECRET_TOKEN_LEN + 1 bytes), its absolute expiry into *expires, the user
 * into *w. 0 or -1 with e. Audited.
 */
int auth_login(const char *name, const char *password, const char *addr, struct who *w, char *token,
    size_t len, int64_t *expires, struct lw_err *e);
/*
 * auth_resolve - the user behind token (a session's or an API token) into
 * *w; an expired or revoked token is ERR_UNAUTHORIZED. cookie and addr are
 * recorded in *w. 0 or -1 with e.
 */
int auth_resolve(const char *token, bool cookie, const char *addr, struct who *w, struct lw_err *e);
/* auth_logout - revoke the session or token w came with. */
int auth_logout(const struct who *w, struct lw_err *e);
/* auth_tokens_json - {"tokens":[{id,name,created_at,last_used,expires_at}]} of w's API tokens. */
json_t *auth_tokens_json(const struct who *w, struct lw_err *e);
/* auth_token_create - a named API token {name, expires_days?} for w: {id,name,token,...}, shown
 * once. */
json_t *auth_token_create(const struct who *w, json_t *body, struct lw_err *e);
/* auth_token_revoke - revoke w's API token ref (admins: anyone's); 0 or -1 (ERR_NOT_FOUND). */
int auth_token_revoke(const struct who *w, const char *ref, struct lw_err *e);
/* Who a console client is, for auth_console_recheck: a user (and the token it came with). */
struct auth_console_who {
	int64_t user;  /* 0: it logged in with the node's console token */
	int64_t token; /* the session or API token; with user 0, a tag of the console token */
};
/*
 * auth_console - the telnet consoles' check, run off the console thread:
 * user "token" with node's console token, or a user and password; the
 * client's identity into *w. Returns the access level it gets on the node
 * (labs/access.h: ACCESS_WRITE types, ACCESS_READ watches; the console
 * token is ACCESS_WRITE). Audited.
 */
int auth_console(int64_t node, const char *user, const char *secret, const char *peer,
    struct auth_console_who *w);
/*
 * auth_console_recheck - the level an attached console client w still has
 * on node: its token revoked or expired, its user gone, its access taken
 * away, or (a console-token client) the node's console token changed since:
 * ACCESS_NONE. Takes lw_lock() itself.
 */
int auth_console_recheck(int64_t node, const struct auth_console_who *w);
/*
 * auth_reload - w as it is now: false when its token was revoked or
 * expired, or its user is gone; else its name and role refreshed (a
 * demotion counts from now). Takes lw_lock() itself.
 */
bool auth_reload(struct who *w);

#endif
