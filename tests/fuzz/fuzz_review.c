/*
 * fuzz_review: a libFuzzer target for the webhook's review, the part of gatewarden the
 * API server hands user-written objects to. The cluster view and policies are the
 * demo's (examples/cluster-state, examples/guide, policies/presets), loaded once. The
 * input's first byte picks the endpoint (odd: /mutate, even: /validate); the rest is
 * the request body. On every input:
 *   - the answer is 200 with an AdmissionReview, or 400/413 with a Status: never a
 *     crash, a sanitizer report or a 500 (which the webhook gives only when out of
 *     memory, or when an evaluation failed);
 *   - a 200 echoes the request's uid, says allowed true or false, and carries a
 *     message when it denies, never the webhook's out-of-memory denial (these inputs
 *     are small: such a denial is another failure read as one);
 *   - a patch is a JSON array, with patchType JSONPatch, that applies to the object
 *     sent (core/jpatch.c's applier), and is idempotent: the review of the patched
 *     object, on the same endpoint, carries no patch.
 *
 * Half of the mutations edit the body as a JSON tree (the mutator of fuzzlib.c, linked
 * in). tests/fuzz/run.sh builds it against the project's libraries compiled with
 * clang's coverage and runs it with GW_SRC naming the source tree.
 */
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "b64.h"
#include "err.h"
#include "filesrc.h"
#include "jpatch.h"
#include "polsrc.h"
#include "stateload.h"
#include "store.h"
#include "subst.h"
#include "webhook.h"

static struct webhook *hook;

static __attribute__((noreturn)) void broken(const char *what, const char *detail, const uint8_t *data, size_t size)
{
	fprintf(stderr, "fuzz_review: %s%s%s\n  body (%zu bytes): %.*s\n", what, detail ? ": " : "", detail ? detail : "",
		size, (int)(size < 600 ? size : 600), (const char *)data);
	abort();
}

int LLVMFuzzerInitialize(int *argc, char ***argv);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	static char state1[4096], state2[4096], presets[4096], var[] = "domain_name=cloud.ogenki.io";
	static struct subst_vars vars;
	static struct viewsrc src;
	const char *srcdir = getenv("GW_SRC");
	const char *paths[2] = { state1, state2 }, *pol_paths[1] = { presets };
	struct store *s = store_new();
	struct polsrc *pol = NULL;
	struct filesrc *f;
	struct err err;
	size_t n = 0;

	(void)argc;
	(void)argv;
	if (srcdir == NULL) {
		fprintf(stderr, "fuzz_review: set GW_SRC to the source tree\n");
		exit(2);
	}
	snprintf(state1, sizeof(state1), "%s/examples/cluster-state", srcdir);
	snprintf(state2, sizeof(state2), "%s/examples/guide", srcdir);
	snprintf(presets, sizeof(presets), "%s/policies/presets", srcdir);
	err_init(&err);
	subst_init(&vars);
	if (s == NULL || store_set_compact_routes(s) != 0 || subst_add(&vars, var, &err) != 0 ||
	    stateload_paths_slim(s, paths, 2, &vars, "default", &n, &err) != 0 ||
	    polsrc_start(pol_paths, 1, &vars, 0, &pol, &err) != 0) {
		fprintf(stderr, "fuzz_review: setting up: %s\n", err.msg);
		exit(2);
	}
	f = filesrc_new(s, n);
	if (f == NULL)
		exit(2);
	filesrc_viewsrc(f, &src);
	{
		struct webhook_config wc = { .src = &src, .body_max = 1 << 20, .json_depth_max = 100, .quiet = true,
					     .policies = pol };

		hook = webhook_new(&wc);
	}
	if (hook == NULL)
		exit(2);
	return 0;
}

/* The review's answer, read; NULL (and a report) when it is not a valid one. */
static json_t *answer_of(bool mutate, const char *body, size_t len, int *status, const uint8_t *data, size_t size)
{
	struct httpd_response r = { 0 };
	json_error_t je;
	json_t *a;

	webhook_review(hook, mutate, body, len, &r);
	*status = r.status;
	if (r.body == NULL)
		broken("no body in the answer", NULL, data, size);
	a = json_loadb(r.body, r.len, 0, &je);
	if (a == NULL)
		broken("the answer is not JSON", r.body, data, size);
	if (r.status != 200 && r.status != 400 && r.status != 413)
		broken("an answer other than 200, 400 or 413", r.body, data, size);
	free(r.body);
	return a;
}

/* ---- the target ---- */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	bool mutate;
	int status;
	json_t *a, *resp, *req = NULL, *patch = NULL, *patched = NULL;
	const char *uid, *p64;
	json_error_t je;

	if (size < 1)
		return 0;
	mutate = data[0] & 1;
	a = answer_of(mutate, (const char *)data + 1, size - 1, &status, data, size);
	if (status != 200)
		goto out;
	resp = json_object_get(a, "response");
	req = json_loadb((const char *)data + 1, size - 1, 0, &je);
	uid = json_string_value(json_object_get(json_object_get(req, "request"), "uid"));
	if (req == NULL || uid == NULL || !json_equal(json_object_get(resp, "uid"), json_object_get(json_object_get(req, "request"), "uid")))
		broken("a 200 that does not echo the request's uid", NULL, data, size);
	if (!json_is_boolean(json_object_get(resp, "allowed")))
		broken("a 200 without allowed", NULL, data, size);
	if (json_is_false(json_object_get(resp, "allowed"))) {
		const char *msg = json_string_value(json_object_get(json_object_get(resp, "status"), "message"));

		if (msg == NULL)
			broken("a denial without a message", NULL, data, size);
		/* these inputs are small: the webhook's out-of-memory denial here is another
		 * failure read as one (a NULL from jansson for text that is not UTF-8, say) */
		if (strncmp(msg, "gatewarden ran out of memory", strlen("gatewarden ran out of memory")) == 0)
			broken("a denial for want of memory", msg, data, size);
	}
	p64 = json_string_value(json_object_get(resp, "patch"));
	if (p64 != NULL) {
		unsigned char *raw = NULL;
		size_t rawlen = 0;
		struct err e;
		json_t *obj = json_object_get(json_object_get(req, "request"), "object");
		json_t *again;
		char *body;

		if (!json_is_object(obj))
			broken("a patch for a review without an object", NULL, data, size);
		if (!json_is_string(json_object_get(resp, "patchType")) ||
		    strcmp(json_string_value(json_object_get(resp, "patchType")), "JSONPatch") != 0)
			broken("a patch without patchType JSONPatch", NULL, data, size);
		if (b64_decode(p64, strlen(p64), false, &raw, &rawlen) != 0 ||
		    (patch = json_loadb((const char *)raw, rawlen, 0, &je)) == NULL || !json_is_array(patch) ||
		    json_array_size(patch) == 0)
			broken("the patch is not a non-empty JSON array", p64, data, size);
		free(raw);
		err_init(&e);
		if (jpatch_apply(obj, patch, &patched, &e) != 0)
			broken("the patch does not apply to the object sent", e.msg, data, size);
		/* the same review with the patched object: no patch this time */
		if (json_object_set(json_object_get(req, "request"), "object", patched) != 0 ||
		    (body = json_dumps(req, JSON_COMPACT)) == NULL)
			broken("out of memory", NULL, data, size);
		again = answer_of(mutate, body, strlen(body), &status, data, size);
		if (status != 200 || json_object_get(json_object_get(again, "response"), "patch") != NULL) {
			char *text = json_dumps(again, JSON_COMPACT);

			broken("the patch is not idempotent: the patched object's review gives", text, data, size);
		}
		json_decref(again);
		free(body);
	}
out:
	json_decref(a);
	json_decref(req);
	json_decref(patch);
	json_decref(patched);
	return 0;
}
