/* jlog: JSON-lines logger (see jlog.h). */
#include "jlog.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "jarena.h"

static atomic_int min_level = 1;

static int level_rank(const char *level)
{
	static const char *const names[] = { "debug", "info", "warning", "error" };

	for (int i = 0; i < 4; i++)
		if (strcmp(level, names[i]) == 0)
			return i;
	return 1;
}

void jlog_set_level(const char *level)
{
	atomic_store(&min_level, level_rank(level));
}

void jlog(const char *level, const char *msg, const json_t *extra)
{
	struct timeval tv;
	struct tm tm;
	char ts[64];
	json_t *o;
	char *line;

	if (level_rank(level) < atomic_load(&min_level))
		return;
	gettimeofday(&tv, NULL);
	gmtime_r(&tv.tv_sec, &tm);
	snprintf(ts, sizeof(ts), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
		 tm.tm_hour, tm.tm_min, tm.tm_sec, (int)(tv.tv_usec / 1000));
	o = json_pack("{ssssss}", "ts", ts, "level", level, "msg", msg ? msg : "");
	if (o == NULL)
		return;
	if (extra != NULL && json_is_object(extra)) {
		const char *k;
		json_t *v;

		json_object_foreach((json_t *)extra, k, v)
			if (json_object_get(o, k) == NULL)
				json_object_set(o, k, v);
	}
	line = json_dumps(o, JSON_COMPACT | JSON_REAL_PRECISION(6));
	json_decref(o);
	if (line == NULL)
		return;
	{
		size_t n = strlen(line);

		line[n] = '\n'; /* json_dumps's NUL becomes the newline: one write */
		if (write(STDERR_FILENO, line, n + 1) < 0) {
			/* nothing sensible to do when stderr is gone */
		}
		line[n] = '\0';
	}
	jarena_free(line); /* json_dumps text is jansson's memory */
}
