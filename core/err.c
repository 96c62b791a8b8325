/* err: see err.h. */
#include "err.h"

#include <stdio.h>

void err_init(struct err *e)
{
	e->code = ERR_OK;
	e->msg[0] = '\0';
}

int err_setv(struct err *e, int code, const char *fmt, va_list ap)
{
	if (e == NULL || e->code != ERR_OK)
		return code;
	e->code = code;
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	return code;
}

int err_set(struct err *e, int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	err_setv(e, code, fmt, ap);
	va_end(ap);
	return code;
}

const char *err_code_name(int code)
{
	switch (code) {
	case ERR_OK: return "ok";
	case ERR_NOMEM: return "out of memory";
	case ERR_INVALID: return "invalid input";
	case ERR_LIMIT: return "limit exceeded";
	case ERR_IO: return "i/o error";
	case ERR_NOTFOUND: return "not found";
	default: return "internal error";
	}
}
