/*
 * auth - logins, sessions, API tokens, the first admin and the telnet
 * consoles' credentials.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/base/config.h"
#include "core/base/log.h"
#include "core/base/secret.h"
#include "db/db.h"
#include "labs/access.h"
#include "labs/audit.h"
#include "labs/auth.h"
#include "labs/validate.h"

#define DB db_current(lw.db)
#define THROTTLE_SLOTS 1024
#define AUTH_TOKENS_MAX 100    /* API tokens per user */
#define THROTTLE_ADDR_FACTOR 4 /* an address may fail this many times a user's limit */

static const char *const role_names[] = {"user", "instructor", "admin"};

const char *
auth_role_name(int role)
{
	return (role >= ROLE_USER && role <= ROLE_ADMIN ? role_names[role] : "user");
}

int
auth_role_parse(const char *s)
{
	for (int i = ROLE_USER; i <= ROLE_ADMIN; i++)
		if (s != NULL && strcmp(s, role_names[i]) == 0)
			return (i);
	return (-1);
}

bool
auth_enabled(void)
{
	return (strcmp(lw.cfg.auth, "off") != 0);
}

/* ---- throttling: failed logins counted per user and per address ---- */

/*
 * An attempt counts as a failure from the moment it starts (throttle_take)
 * and is forgiven when it succeeds (throttle_settle): guesses sent all at
 * once are counted like guesses sent one by one. A slot still inside its
 * window is never reused; a full table refuses logins rather than forget.
 */
static struct {
	pthread_mutex_t mu;
	struct slot {
		char key[80]; /* "u:NAME" or "a:ADDR"; "" = free */
		int fails;
		time_t since;
	} s[THROTTLE_SLOTS];
} thr = {.mu = PTHREAD_MUTEX_INITIALIZER};

/* The slot of key, made (in a free or expired slot) when make; NULL when none. */
static struct slot *
throttle_slot(const char *key, time_t now, bool make)
{
	struct slot *free_s = NULL;

	for (int i = 0; i < THROTTLE_SLOTS; i++) {
		struct slot *t = &thr.s[i];

		if (t->key[0] != '\0' && strcmp(t->key, key) == 0)
			return (t);
		if (free_s == NULL && (t->key[0] == '\0' || now - t->since >= lw.cfg.login_window))
			free_s = t;
	}
	if (!make || free_s == NULL)
		return (NULL);
	snprintf(free_s->key, sizeof(free_s->key), "%s", key);
	free_s->fails = 0;
	free_s->since = now;
	return (free_s);
}

/* Seconds until key may try again (0: now), counting this attempt when it may. */
static long
throttle_count(const char *key, long max, time_t now)
{
	struct slot *t = throttle_slot(key, now, true);

	if (t == NULL)
		return (lw.cfg.login_window); /* every slot is busy: refuse, forget nothing */
	if (now - t->since >= lw.cfg.login_window) {
		t->fails = 0;
		t->since = now;
	}
	if (t->fails >= max)
		return (lw.cfg.login_window - (now - t->since));
	t->fails++;
	return (0);
}

static void
throttle_keys(const char *name, const char *addr, char *uk, char *ak, size_t len)
{
	snprintf(uk, len, "u:%.70s", name);
	snprintf(ak, len, "a:%.70s", addr);
}

/* Take back one counted attempt of key. Caller holds thr.mu. */
static void
throttle_uncount(const char *key, time_t now, bool clear)
{
	struct slot *t = throttle_slot(key, now, false);

	if (t != NULL && clear)
		t->key[0] = '\0';
	else if (t != NULL && t->fails > 0)
		t->fails--;
}

/*
 * throttle_take - count an attempt of name from addr: 0, or -1 with
 * ERR_TOO_MANY (and Retry-After) while either is over its limit.
 */
static int
throttle_take(const char *name, const char *addr, struct lw_err *e)
{
	char uk[80], ak[80];
	time_t now = time(NULL);
	long wait;

	throttle_keys(name, addr, uk, ak, sizeof(uk));
	pthread_mutex_lock(&thr.mu);
	wait = throttle_count(ak, lw.cfg.login_failures * THROTTLE_ADDR_FACTOR, now);
	if (wait == 0 && (wait = throttle_count(uk, lw.cfg.login_failures, now)) != 0)
		throttle_uncount(ak, now, false);
	pthread_mutex_unlock(&thr.mu);
	if (wait == 0)
		return (0);
	err_set(e, ERR_TOO_MANY, "too many failed logins; try again in %ld s", wait);
	if (e != NULL)
		e->retry_s = (int)wait;
	return (-1);
}

/* throttle_settle - a taken attempt succeeded: the user's count clears, the address's drops. */
static void
throttle_settle(const char *name, const char *addr, bool ok)
{
	char uk[80], ak[80];
	time_t now = time(NULL);

	if (!ok)
		return; /* counted when it began */
	throttle_keys(name, addr, uk, ak, sizeof(uk));
	pthread_mutex_lock(&thr.mu);
	throttle_uncount(uk, now, true);
	throttle_uncount(ak, now, false);
	pthread_mutex_unlock(&thr.mu);
}

/* ---- the KDF gate: a login's scrypt takes 32 MiB; only so many at once ---- */

#define KDF_RUNNING 2  /* at once */
#define KDF_WAITING 16 /* queued behind them; more are refused */

static struct {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int running, waiting;
} kdf = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, 0};

/* secret_verify behind the gate: 1 match, 0 no match, -1 refused (too many at once). */
static int
kdf_verify(const char *password, const char *stored)
{
	bool ok;

	pthread_mutex_lock(&kdf.mu);
	if (kdf.running >= KDF_RUNNING && kdf.waiting >= KDF_WAITING) {
		pthread_mutex_unlock(&kdf.mu);
		return (-1);
	}
	kdf.waiting++;
	while (kdf.running >= KDF_RUNNING)
		pthread_cond_wait(&kdf.cv, &kdf.mu);
	kdf.waiting--;
	kdf.running++;
	pthread_mutex_unlock(&kdf.mu);
	ok = secret_verify(password, stored);
	pthread_mutex_lock(&kdf.mu);
	kdf.running--;
	pthread_cond_signal(&kdf.cv);
	pthread_mutex_unlock(&kdf.mu);
	return (ok ? 1 : 0);
}

/* ---- the first admin ---- */

static int
initial_password_file(const char *password, char *path, size_t len, struct lw_err *e)
{
	int fd;
	ssize_t n;

	snprintf(path, len, "%s/initial-admin-password", lw.cfg.data_dir);
	unlink(path);
	if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600)) == -1)
		return (err_set(e, ERR_INTERNAL, "%s: %s", path, strerror(errno)));
	n = write(fd, password, strlen(password));
	n += write(fd, "\n", 1);
	close(fd);
	if (n != (ssize_t)strlen(password) + 1)
		return (err_set(e, ERR_INTERNAL, "%s: short write", path));
	return (0);
}

static int
initial_admin(struct lw_err *e)
{
	char pw[32], hash[SECRET_HASH_MAX], path[600];

	if (secret_password(pw, sizeof(pw)) == -1 || secret_hash(pw, hash, sizeof(hash)) == -1)
		return (err_set(e, ERR_INTERNAL, "cannot make the first admin's password"));
	if (db_insert(DB, e,
	        "INSERT INTO users (name, role, password, created_at) VALUES ('admin','admin',?,?)",
	        "si", hash, (int64_t)time(NULL)) == -1 ||
	    initial_password_file(pw, path, sizeof(path), e) == -1)
		return (-1);
	log_info("no users yet: created 'admin'; its password is in %s (read it, log in, "
	         "change it with `labwire user passwd admin`)",
	    path);
	audit_add(NULL, "user.create", "admin", true, "the first start's admin");
	return (0);
}

int
auth_init(struct lw_err *e)
{
	int ret = 0;

	lw_lock();
	if (db_int(DB, 0, "SELECT COUNT(*) FROM users", "") == 0)
		ret = initial_admin(e);
	if (ret == 0 &&
	    db_exec(DB, e,
	        "UPDATE labs SET owner_id = (SELECT MIN(id) FROM users WHERE role = 'admin')"
	        " WHERE owner_id IS NULL",
	        "") == -1)
		ret = -1;
	lw_unlock();
	if (!auth_enabled())
		log_warn("--auth off: no identity is asked on any channel; everyone is admin "
		         "(loopback only)");
	return (ret);
}

void
auth_anonymous(const char *addr, struct who *w)
{
	memset(w, 0, sizeof(*w));
	lw_lock();
	w->id = db_int(DB, 0, "SELECT MIN(id) FROM users WHERE role = 'admin'", "");
	lw_unlock();
	snprintf(w->name, sizeof(w->name), "admin");
	snprintf(w->addr, sizeof(w->addr), "%s", addr);
	w->role = ROLE_ADMIN;
}

/* ---- sessions and tokens ---- */

/* A new token of kind for user, stored as its digest; its id or -1. */
static int64_t
token_store(int64_t user, const char *kind, const char *name, int64_t expires, char *token,
    size_t len, struct lw_err *e)
{
	char digest[SECRET_DIGEST_LEN + 1];
	int64_t now = (int64_t)time(NULL);

	if (secret_token(token, len) == -1)
		return (err_set(e, ERR_INTERNAL, "no randomness for a token"));
	secret_digest(token, digest);
	if (expires == 0) /* an API token without expiry */
		return (db_insert(DB, e,
		    "INSERT INTO tokens (user_id, kind, name, digest, created_at, last_used, "
		    "expires_at)"
		    " VALUES (?,?,?,?,?,?,NULL)",
		    "isssii", user, kind, name, digest, now, now));
	return (db_insert(DB, e,
	    "INSERT INTO tokens (user_id, kind, name, digest, created_at, last_used, expires_at)"
	    " VALUES (?,?,?,?,?,?,?)",
	    "isssiii", user, kind, name, digest, now, now, expires));
}

static void
who_fill(struct who *w, json_t *row)
{
	w->id = json_integer_value(json_object_get(row, "id"));
	snprintf(w->name, sizeof(w->name), "%s", json_string_value(json_object_get(row, "name")));
	w->role = auth_role_parse(json_string_value(json_object_get(row, "role")));
	if (w->role == -1)
		w->role = ROLE_USER;
}

/* name's row {id, name, role, password} (new reference), or NULL. Caller holds lw_lock(). */
static json_t *
user_row(const char *name)
{
	return (db_row(
	    DB, NULL, "SELECT id, name, role, password FROM users WHERE name = ?", "s", name));
}

static int
login_session(struct who *w, char *token, size_t len, int64_t *expires, struct lw_err *e)
{
	int64_t now = (int64_t)time(NULL);

	/* Each login sweeps the sessions and tokens that can no longer be used. */
	db_exec(DB, NULL,
	    "DELETE FROM tokens WHERE expires_at <= ? OR (kind = 'session' AND last_used <= ?)",
	    "ii", now, now - lw.cfg.session_idle);
	*expires = now + lw.cfg.session_max;
	w->token = token_store(w->id, "session", "", *expires, token, len, e);
	return (w->token == -1 ? -1 : 0);
}

int
auth_login(const char *name, const char *password, const char *addr, struct who *w, char *token,
    size_t len, int64_t *expires, struct lw_err *e)
{
	char *hash = NULL;
	json_t *row;
	int ok, ret;

	if (throttle_take(name, addr, e) == -1)
		return (-1);
	lw_lock();
	if ((row = user_row(name)) != NULL)
		hash = strdup(json_string_value(json_object_get(row, "password")));
	lw_unlock();
	ok = kdf_verify(password, hash); /* the KDF, without the lock */
	free(hash);
	throttle_settle(name, addr, ok == 1 && row != NULL);
	snprintf(w->addr, sizeof(w->addr), "%s", addr);
	lw_lock();
	if (ok == -1) {
		ret = err_set(e, ERR_TOO_MANY, "too many logins at once; try again in a second");
		e->retry_s = 1;
	} else if (ok == 0 || row == NULL) {
		audit_add(w, "login", name, false, "wrong user or password");
		ret = err_set(e, ERR_UNAUTHORIZED, "wrong user name or password");
	} else {
		who_fill(w, row);
		ret = login_session(w, token, len, expires, e);
		audit_add(w, "login", name, ret == 0, ret == 0 ? "session opened" : e->msg);
	}
	lw_unlock();
	json_decref(row);
	return (ret);
}

/* A session's expiry: idle, and absolute (expires_at). Caller holds lw_lock(). */
static bool
token_live(json_t *row, int64_t now)
{
	json_t *exp = json_object_get(row, "expires_at");
	const char *kind = json_string_value(json_object_get(row, "kind"));
	int64_t last = json_integer_value(json_object_get(row, "last_used"));

	if (json_is_integer(exp) && json_integer_value(exp) <= now)
		return (false);
	return (strcmp(kind, "session") != 0 || now - last < lw.cfg.session_idle);
}

/*
 * A token's last use, written when the writer is free: a request never
 * waits for a lab start to note it (the next one writes it instead).
 */
static void
token_touch(int64_t token, int64_t now)
{
	if (!lw_lock_try())
		return;
	db_exec(DB, NULL, "UPDATE tokens SET last_used = ? WHERE id = ?", "ii", now, token);
	lw_unlock();
}

int
auth_resolve(const char *token, bool cookie, const char *addr, struct who *w, struct lw_err *e)
{
	char digest[SECRET_DIGEST_LEN + 1];
	int64_t now = (int64_t)time(NULL);
	json_t *row;
	int ret = -1;

	memset(w, 0, sizeof(*w));
	snprintf(w->addr, sizeof(w->addr), "%s", addr);
	w->cookie = cookie;
	secret_digest(token, digest);
	if (db_read_begin(lw.db, e) == -1)
		return (-1);
	row = db_row(DB, NULL,
	    "SELECT t.id AS token, t.kind, t.last_used, t.expires_at, u.id, u.name, u.role"
	    " FROM tokens t JOIN users u ON u.id = t.user_id WHERE t.digest = ?",
	    "s", digest);
	db_read_end();
	if (row != NULL && token_live(row, now)) {
		who_fill(w, row);
		w->token = json_integer_value(json_object_get(row, "token"));
		/* Written at most once a minute (or half the idle time): a GET stays a read. */
		if (now - json_integer_value(json_object_get(row, "last_used")) >=
		    (lw.cfg.session_idle < 120 ? lw.cfg.session_idle / 2 : 60))
			token_touch(w->token, now);
		ret = 0;
	}
	json_decref(row);
	if (ret == -1)
		err_set(
		    e, ERR_UNAUTHORIZED, "the session or token is not valid (expired or revoked)");
	return (ret);
}

int
auth_logout(const struct who *w, struct lw_err *e)
{
	int ret = 0;

	if (w->token == 0)
		return (0);
	lw_lock();
	if (db_exec(DB, e, "DELETE FROM tokens WHERE id = ?", "i", w->token) == -1)
		ret = -1;
	audit_add(w, "logout", w->name, ret == 0, "");
	access_changed(); /* its streams and consoles end */
	lw_unlock();
	return (ret);
}

json_t *
auth_tokens_json(const struct who *w, struct lw_err *e)
{
	json_t *rows;

	lw_lock();
	rows = db_rows(DB, e,
	    "SELECT id, name, created_at, last_used, expires_at FROM tokens"
	    " WHERE user_id = ? AND kind = 'api' ORDER BY id",
	    "i", w->id);
	lw_unlock();
	return (rows == NULL ? NULL : json_pack("{s:o}", "tokens", rows));
}

json_t *
auth_token_create(const struct who *w, json_t *body, struct lw_err *e)
{
	json_t *days = json_object_get(body, "expires_days");
	const char *name = json_string_value(json_object_get(body, "name"));
	char token[SECRET_TOKEN_LEN + 1];
	int64_t id, expires = 0;

	if (fields_check(body, validate_token_create, "token", e) == -1)
		return (NULL);
	if (json_is_integer(days))
		expires = (int64_t)time(NULL) + json_integer_value(days) * 86400;
	lw_lock();
	if (db_int(DB, 0, "SELECT COUNT(*) FROM tokens WHERE user_id = ? AND kind = 'api'", "i",
	        w->id) >= AUTH_TOKENS_MAX) {
		lw_unlock();
		err_set(e, ERR_TOO_MANY, "at most %d API tokens per user: revoke one first",
		    AUTH_TOKENS_MAX);
		return (NULL);
	}
	id = token_store(w->id, "api", name, expires, token, sizeof(token), e);
	audit_add(w, "token.create", name, id != -1, "");
	lw_unlock();
	if (id == -1)
		return (NULL);
	return (json_pack("{s:I,s:s,s:s,s:o}", "id", (json_int_t)id, "name", name, "token", token,
	    "expires_at", expires ? json_integer(expires) : json_null()));
}

int
auth_token_revoke(const struct who *w, const char *ref, struct lw_err *e)
{
	char *end;
	long long id = strtoll(ref, &end, 10);
	int n = 0;

	lw_lock();
	if (*end == '\0' && id > 0)
		n = db_exec(DB, e,
		    "DELETE FROM tokens WHERE id = ? AND kind = 'api' AND (user_id = ? OR ?)",
		    "iiI", (int64_t)id, w->id, w->role == ROLE_ADMIN);
	if (n > 0) {
		audit_add(w, "token.revoke", ref, true, "");
		access_changed();
	}
	lw_unlock();
	if (n == -1)
		return (-1);
	return (n == 0 ? err_set(e, ERR_NOT_FOUND, "token '%.40s' not found", ref) : 0);
}

/* ---- the telnet consoles ---- */

/* A console token's tag: 63 bits of its digest, never 0 (0 is "no token"). */
static int64_t
console_token_tag(const char *token)
{
	char digest[SECRET_DIGEST_LEN + 1];
	int64_t tag;

	secret_digest(token, digest);
	digest[15] = '\0';
	tag = strtoll(digest, NULL, 16);
	return (tag != 0 ? tag : 1);
}

/* node's console token (malloc'd), or NULL. Caller holds lw_lock(). */
static char *
console_token(int64_t node)
{
	json_t *row = db_row(DB, NULL, "SELECT console_token FROM nodes WHERE id = ?", "i", node);
	const char *t = row ? json_string_value(json_object_get(row, "console_token")) : NULL;
	char *copy = t ? strdup(t) : NULL;

	json_decref(row);
	return (copy);
}

static int
console_by_token(int64_t node, const char *secret, struct auth_console_who *w)
{
	char *tok;
	bool ok;

	lw_lock();
	tok = console_token(node);
	lw_unlock();
	ok = tok != NULL && secret_equal(secret, tok);
	if (ok)
		*w = (struct auth_console_who){0, console_token_tag(tok)};
	free(tok);
	return (ok ? ACCESS_WRITE : ACCESS_NONE);
}

/* A user's password on node's console; the level, and *w. */
static int
console_by_password(int64_t node, const char *user, const char *secret, const char *peer,
    struct who *who, struct auth_console_who *w)
{
	json_t *row;
	char *hash = NULL;
	bool ok;
	int level = ACCESS_NONE;

	lw_lock();
	if ((row = user_row(user)) != NULL)
		hash = strdup(json_string_value(json_object_get(row, "password")));
	lw_unlock();
	ok = kdf_verify(secret, hash) == 1 && row != NULL;
	/* A right password for a console the user may not see is not a guess. */
	throttle_settle(user, peer, ok);
	if (ok) {
		who_fill(who, row);
		lw_lock();
		level = access_node(who, node);
		lw_unlock();
		*w = (struct auth_console_who){who->id, 0};
	}
	free(hash);
	json_decref(row);
	return (level);
}

int
auth_console(int64_t node, const char *user, const char *secret, const char *peer,
    struct auth_console_who *w)
{
	struct who who = {0};
	char target[32], tokkey[96];
	int level = ACCESS_NONE;

	snprintf(who.addr, sizeof(who.addr), "%s", peer);
	snprintf(target, sizeof(target), "node %lld", (long long)node);
	/* Token guesses count per address (a shared "token" user would lock everyone out). */
	snprintf(tokkey, sizeof(tokkey), "token@%s", peer);
	if (strcmp(user, "token") == 0 && throttle_take(tokkey, peer, NULL) == 0) {
		level = console_by_token(node, secret, w);
		throttle_settle(tokkey, peer, level != ACCESS_NONE);
		snprintf(who.name, sizeof(who.name), "(console token)");
	} else if (strcmp(user, "token") != 0 && throttle_take(user, peer, NULL) == 0) {
		level = console_by_password(node, user, secret, peer, &who, w);
	}
	lw_lock();
	audit_add(&who, "console.telnet", target, level != ACCESS_NONE,
	    level == ACCESS_NONE        ? "refused"
	        : level >= ACCESS_WRITE ? "attached"
	                                : "watching");
	lw_unlock();
	return (level);
}

/* Caller holds lw_lock() or reads (db_read_begin). */
static bool
token_live_locked(int64_t token, int64_t user)
{
	json_t *row = db_row(DB, NULL,
	    "SELECT kind, last_used, expires_at, user_id FROM tokens WHERE id = ?", "i", token);
	bool live = row != NULL && token_live(row, (int64_t)time(NULL)) &&
	    (user == 0 || json_integer_value(json_object_get(row, "user_id")) == user);

	json_decref(row);
	return (live);
}

bool
auth_reload(struct who *w)
{
	json_t *row = NULL;
	bool ok;

	if (!auth_enabled())
		return (true);
	if (db_read_begin(lw.db, NULL) == -1)
		return (false);
	ok = w->token != 0 && token_live_locked(w->token, w->id) &&
	    (row = db_row(DB, NULL, "SELECT id, name, role FROM users WHERE id = ?", "i", w->id)) !=
	        NULL;
	if (ok)
		who_fill(w, row);
	db_read_end();
	json_decref(row);
	return (ok);
}

int
auth_console_recheck(int64_t node, const struct auth_console_who *w)
{
	struct who who = {0};
	json_t *row;
	char *tok;
	int level = ACCESS_NONE;

	lw_lock();
	if (w->user == 0) {
		tok = console_token(node);
		level =
		    tok != NULL && console_token_tag(tok) == w->token ? ACCESS_WRITE : ACCESS_NONE;
		free(tok);
	} else if ((w->token == 0 || token_live_locked(w->token, w->user)) &&
	    (row = db_row(DB, NULL, "SELECT id, name, role FROM users WHERE id = ?", "i",
	         w->user)) != NULL) {
		who_fill(&who, row);
		json_decref(row);
		level = access_node(&who, node);
	}
	lw_unlock();
	return (level);
}
