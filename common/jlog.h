/*
 * jlog: JSON-lines logs on stderr, one object per line: {"ts", "level", "msg", ...}.
 * Field values are data: jansson escapes them, so a hostile name cannot break a line
 * or forge a field. Thread-safe (one write per line).
 */
#ifndef COMMON_JLOG_H
#define COMMON_JLOG_H

#include <jansson.h>

/* Log msg with the fields of extra (may be NULL; borrowed). level: "debug", "info",
 * "warning", "error". */
void jlog(const char *level, const char *msg, const json_t *extra);
/* Only levels at or above this are written ("debug" < "info" < ...); default info. */
void jlog_set_level(const char *level);

#endif
