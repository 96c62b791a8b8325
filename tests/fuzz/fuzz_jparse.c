/*
 * fuzz_jparse: a differential libFuzzer target for core/jparse.c. jparse promises to
 * read JSON as jansson's json_loadb does (JSON_DECODE_ANY, duplicate keys refused),
 * with a nesting cap of its own; this holds it to that on every input:
 *   - jparse accepts exactly what json_loadb accepts (inputs that exceed jparse's cap
 *     or hold a NUL byte aside), and both build equal trees;
 *   - jparse_defer, with request.oldObject deferred as the webhook defers it, accepts
 *     what jparse accepts and refuses what jparse refuses, with the same message,
 *     except where jparse stopped at a duplicate key (which may sit inside the deferred
 *     member, where jparse_defer does not look for one);
 *   - the deferred text, when there is one, reads back (jparse) to the member jparse
 *     built, unless it holds a duplicate key.
 * Any difference aborts with both answers on stderr.
 *
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -Icore tests/fuzz/fuzz_jparse.c \
 *       core/jparse.c core/err.c -ljansson -o fuzz_jparse
 *   ./fuzz_jparse -max_total_time=60 CORPUS_DIR
 *
 * tests/fuzz/run.sh builds and runs it for the test suite.
 */
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "jparse.h"

#define DEPTH 64

static void differ(const char *what, const uint8_t *data, size_t size, const char *a, const char *b)
{
	fprintf(stderr, "fuzz_jparse: %s\n  jparse: %s\n  other:  %s\n  input (%zu bytes): %.*s\n", what, a, b, size,
		(int)(size < 300 ? size : 300), (const char *)data);
	abort();
}

/* deepest nesting of brackets in data, outside strings (an over-estimate is fine:
 * it only decides which inputs are left out of the comparison) */
static size_t nesting(const uint8_t *data, size_t size)
{
	size_t d = 0, max = 0;
	int in_str = 0;

	for (size_t i = 0; i < size; i++) {
		uint8_t c = data[i];

		if (in_str) {
			if (c == '\\')
				i++;
			else if (c == '"')
				in_str = 0;
		} else if (c == '"') {
			in_str = 1;
		} else if (c == '{' || c == '[') {
			if (++d > max)
				max = d;
		} else if ((c == '}' || c == ']') && d > 0) {
			d--;
		}
	}
	return max;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const old_path[] = { "request", "oldObject" };
	struct jparse_deferred d = { .keys = old_path, .nkeys = 2 };
	struct err e, ed;
	json_error_t je;
	json_t *a, *b, *c;
	int dup;

	err_init(&e);
	err_init(&ed);
	a = jparse((const char *)data, size, DEPTH, &e);
	b = json_loadb((const char *)data, size, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, &je);
	if (a == NULL && e.code == ERR_NOMEM)
		differ("out of memory", data, size, e.msg, "");
	/* jansson's reader ends the text at a NUL byte (it accepts "0\0x"); RFC 8259 and
	 * jparse do not, so inputs with one are left out of the comparison */
	if (nesting(data, size) < DEPTH && memchr(data, 0, size) == NULL) {
		if (a == NULL && b != NULL)
			differ("jparse refuses what jansson accepts", data, size, e.msg, "accepted");
		if (a != NULL && b == NULL)
			differ("jparse accepts what jansson refuses", data, size, "accepted", je.text);
		if (a != NULL && b != NULL && !json_equal(a, b))
			differ("the trees differ", data, size, "", "");
	}

	c = jparse_defer((const char *)data, size, DEPTH, &d, &ed);
	if (a != NULL && c == NULL)
		differ("jparse_defer refuses what jparse accepts", data, size, ed.msg, "accepted");
	/* a duplicate key jparse stopped at may sit in the deferred member, where
	 * jparse_defer does not look for one and reads on */
	dup = a == NULL && strstr(e.msg, "duplicate object key") != NULL;
	if (a == NULL && c != NULL && !dup)
		differ("jparse_defer accepts what jparse refuses", data, size, "accepted", e.msg);
	if (a == NULL && c == NULL && !dup && (e.code != ed.code || strcmp(e.msg, ed.msg) != 0))
		differ("jparse_defer and jparse refuse differently", data, size, ed.msg, e.msg);
	if (c != NULL && d.at != NULL) {
		struct err eo;
		json_t *o, *want = json_object_get(json_object_get(a, "request"), "oldObject");

		err_init(&eo);
		o = jparse(d.at, d.len, DEPTH - 2, &eo);
		if (a != NULL && (o == NULL || !json_equal(o, want)))
			differ("the deferred text does not read back to the member", data, size,
			       o == NULL ? eo.msg : "a different value", "");
		if (a != NULL && json_object_get(json_object_get(c, "request"), "oldObject") != NULL)
			differ("the deferred member is in the tree", data, size, "", "");
		json_decref(o);
	}
	json_decref(a);
	json_decref(b);
	json_decref(c);
	return 0;
}
