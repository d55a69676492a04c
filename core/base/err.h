/*
 * err - request-path errors: a code that maps to an HTTP status and a
 * message a user can act on. It only carries them: it logs nothing, writes
 * no response (web/ renders the error shape) and never exits, so a request
 * path that fails returns -1 with e filled and the caller decides.
 */
#ifndef LW_ERR_H
#define LW_ERR_H

enum lw_errcode {
	ERR_NONE = 0,
	ERR_BAD_REQUEST,  /* 400: malformed */
	ERR_NOT_FOUND,    /* 404 */
	ERR_CONFLICT,     /* 409: name taken, state does not allow it */
	ERR_TOO_LARGE,    /* 413 */
	ERR_INVALID,      /* 422: well-formed but invalid */
	ERR_UNAVAILABLE,  /* 503: a resource is missing */
	ERR_INTERNAL,     /* 500 */
	ERR_METHOD,       /* 405: the path exists, the method does not */
	ERR_TIMEOUT,      /* 408: waited for something that did not come */
	ERR_FORBIDDEN,    /* 403: e.g. a WebSocket from a foreign Origin */
	ERR_UNAUTHORIZED, /* 401: no valid credentials */
	ERR_TOO_MANY,     /* 429: too many attempts, or over a quota */
	ERR_NO_SPACE,     /* 507: the disk (or a reserve kept on it) is full */
};

#define ERR_MAX_NUMS 4

struct lw_err {
	int code;
	char msg[256];
	int retry_s; /* ERR_TOO_MANY: seconds until a retry may pass (Retry-After), or 0 */
	/* Numbers the message states, for a program to read beside it (err_num). */
	int nnums;
	struct {
		const char *name; /* a string literal: the error only points to it */
		long long value;
	} nums[ERR_MAX_NUMS];
};

/*
 * err_set - fill e (may be NULL) with code and a printf-style message, and
 * forget the numbers of any earlier message; returns -1.
 */
int err_set(struct lw_err *e, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/*
 * err_num - after err_set, a number the message states, carried in the
 * error's JSON as name (a string literal) beside code and message; beyond
 * ERR_MAX_NUMS it is dropped (the message still has it). Returns -1.
 */
int err_num(struct lw_err *e, const char *name, long long value);
/* err_http_status - the HTTP status for an error code. */
int err_http_status(int code);
/* err_code_name - the stable machine-readable name ("not_found", ...). */
const char *err_code_name(int code);

#endif
