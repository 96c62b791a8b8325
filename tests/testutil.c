/* testutil: see testutil.h. */
#include "testutil.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

json_t *testutil_json(const char *text)
{
	char *buf = strdup(text);
	json_error_t je;
	json_t *o;

	assert_non_null(buf);
	for (char *p = buf; *p; p++)
		if (*p == '\'')
			*p = '"';
	o = json_loads(buf, 0, &je);
	if (o == NULL)
		fail_msg("fixture: %s: %s", je.text, text);
	free(buf);
	return o;
}

char *testutil_slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long n;

	if (f == NULL)
		fail_msg("cannot open %s (tests run from tests/)", path);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	assert_true(n >= 0);
	rewind(f);
	buf = calloc(1, (size_t)n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	return buf;
}
