/*
 * err: return codes and the one error record that carries a message.
 *
 * Functions that can fail return 0 on success or a negative enum err_code and,
 * when given a non-NULL struct err, fill it once: the first error wins, later
 * err_set() calls on a filled record are ignored, so the root cause survives
 * the unwinding. Pure: no I/O, no allocation.
 */
#ifndef CORE_ERR_H
#define CORE_ERR_H

#include <stdarg.h>

enum err_code {
	ERR_OK = 0,
	ERR_NOMEM = -1,    /* allocation failed */
	ERR_INVALID = -2,  /* malformed input: bad YAML/JSON, wrong type, bad flag */
	ERR_LIMIT = -3,    /* a size, depth or count cap was exceeded */
	ERR_IO = -4,       /* a file or stream could not be read or written */
	ERR_NOTFOUND = -5, /* a named thing does not exist */
	ERR_INTERNAL = -6, /* a bug */
};

#define ERR_MSG_MAX 512

struct err {
	int code;                /* enum err_code, ERR_OK while unset */
	char msg[ERR_MSG_MAX];   /* human text, names the failure first */
};

void err_init(struct err *e);
/* Fill e (if non-NULL and still unset) and return code, so callers can write
 * `return err_set(err, ERR_INVALID, "...")`. */
int err_set(struct err *e, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
int err_setv(struct err *e, int code, const char *fmt, va_list ap) __attribute__((format(printf, 3, 0)));
const char *err_code_name(int code);

#endif
