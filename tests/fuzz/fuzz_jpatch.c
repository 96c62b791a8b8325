/*
 * fuzz_jpatch: a libFuzzer target for core/jpatch.c, the JSON Patch the webhook sends
 * in its answers. The input is two JSON texts, A and B, separated by a NUL byte. When
 * both read (jansson), it holds the patch to its promises:
 *   - jpatch_diff(A, B), written out as text and read back as the API server would
 *     receive it, applies to A (jpatch_apply) and gives B;
 *   - every path in it is a well-formed JSON Pointer (RFC 6901: "" or "/"-separated
 *     tokens, "~" only as "~0" or "~1");
 *   - diffing B against itself gives an empty patch;
 *   - B applied to A as a patch, whatever it holds, either fails or succeeds, and A is
 *     unchanged either way.
 * Depth past JPATCH_MAX_DEPTH may fail with ERR_LIMIT; any other failure, difference
 * or sanitizer report aborts.
 *
 * tests/fuzz/run.sh builds and runs it for the test suite.
 */
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "jpatch.h"

static void broken(const char *what, const struct err *e)
{
	fprintf(stderr, "fuzz_jpatch: %s%s%s\n", what, e != NULL && e->code != 0 ? ": " : "",
		e != NULL && e->code != 0 ? e->msg : "");
	abort();
}

static int pointer_ok(const char *p)
{
	if (*p == '\0')
		return 1;
	if (*p != '/')
		return 0;
	for (; *p != '\0'; p++)
		if (*p == '~' && p[1] != '0' && p[1] != '1')
			return 0;
	return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nul = memchr(data, 0, size);
	json_error_t je;
	json_t *a, *b, *a_copy = NULL, *patch = NULL, *wire = NULL, *got = NULL, *self = NULL, *any = NULL;
	struct err e;
	char *text = NULL;
	size_t i;
	json_t *op;
	int rc;

	if (nul == NULL)
		return 0;
	a = json_loadb((const char *)data, (size_t)(nul - data), JSON_DECODE_ANY, &je);
	b = json_loadb((const char *)nul + 1, size - (size_t)(nul - data) - 1, JSON_DECODE_ANY, &je);
	if (a == NULL || b == NULL)
		goto out;
	a_copy = json_deep_copy(a);
	if (a_copy == NULL)
		broken("out of memory", NULL);

	err_init(&e);
	rc = jpatch_diff(a, b, &patch, &e);
	if (rc == ERR_LIMIT)
		goto out;
	if (rc != 0)
		broken("jpatch_diff failed", &e);
	text = json_dumps(patch, JSON_COMPACT | JSON_ENCODE_ANY);
	if (text == NULL || (wire = json_loads(text, 0, &je)) == NULL)
		broken("the patch does not survive being written and read", NULL);
	json_array_foreach(wire, i, op) {
		const char *path = json_string_value(json_object_get(op, "path"));

		if (path == NULL || !pointer_ok(path))
			broken("an operation's path is not a JSON Pointer", NULL);
	}
	err_init(&e);
	if (jpatch_apply(a, wire, &got, &e) != 0)
		broken("the diff does not apply", &e);
	if (!json_equal(got, b))
		broken("the diff applied does not give B", NULL);

	err_init(&e);
	if (jpatch_diff(b, b, &self, &e) != 0 || json_array_size(self) != 0)
		broken("B diffed against itself is not an empty patch", &e);

	err_init(&e);
	rc = jpatch_apply(a, b, &any, &e);
	if (rc != 0 && rc != ERR_INVALID && rc != ERR_LIMIT)
		broken("applying B as a patch failed with an unexpected code", &e);
	if (!json_equal(a, a_copy))
		broken("applying a patch changed the document", NULL);
out:
	free(text);
	json_decref(a);
	json_decref(b);
	json_decref(a_copy);
	json_decref(patch);
	json_decref(wire);
	json_decref(got);
	json_decref(self);
	json_decref(any);
	return 0;
}
