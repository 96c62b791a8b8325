/*
 * test_rules: the data-driven rule tests. Every document under data/rules/ is a
 * fixture annotated with
 *   test.gatewarden.io/rule: RULE-ID
 *   test.gatewarden.io/expect: pass|fail
 *   test.gatewarden.io/message: substring     (optional, fail only)
 *   test.gatewarden.io/field: exact.field.path (optional, fail only)
 * A fail fixture must produce a finding of RULE-ID (matching message and field when
 * given). A pass fixture must produce no finding of RULE-ID and no error at all.
 * The coverage test requires a pass and a fail fixture for every single-object rule.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"
#include "findings.h"
#include "input.h"
#include "jv.h"
#include "rules.h"

#define ANN "test.gatewarden.io/"

struct tally {
	unsigned cases, failures;
	size_t nrules;
	const struct rules_info *rules;
	unsigned *pass, *fail;
};

static void dump_findings(const struct findings *fs)
{
	for (size_t i = 0; i < fs->n; i++)
		fprintf(stderr, "      %s %s: %s: %s\n", fs->v[i].sev == SEV_ERROR ? "error" : "warning", fs->v[i].rule,
			fs->v[i].field, fs->v[i].message);
}

static bool finding_matches(const struct finding *f, const char *rule, const char *msg, const char *field)
{
	if (strcmp(f->rule, rule) != 0)
		return false;
	if (msg && strstr(f->message, msg) == NULL)
		return false;
	return field == NULL || strcmp(f->field, field) == 0;
}

static int on_doc(void *ud, const char *source, struct yamldoc *doc)
{
	struct tally *t = ud;
	json_t *ann = jv_obj(jv_obj(doc->root, "metadata"), "annotations");
	const char *rule = jv_str(ann, ANN "rule"), *expect = jv_str(ann, ANN "expect");
	const char *msg = jv_str(ann, ANN "message"), *field = jv_str(ann, ANN "field");
	struct findings fs;
	enum kind k;
	bool ok = true, found = false;
	const struct rules_info *ri = rule ? rules_find(rule) : NULL;

	if (doc->root == NULL || json_is_null(doc->root)) {
		json_decref(doc->root);
		return 0;
	}
	t->cases++;
	findings_init(&fs, NULL);
	if (ri == NULL || expect == NULL || (strcmp(expect, "pass") != 0 && strcmp(expect, "fail") != 0)) {
		fprintf(stderr, "%s:%d: fixture needs " ANN "rule (a known id) and " ANN "expect: pass|fail\n",
			source, doc->line);
		t->failures++;
		json_decref(doc->root);
		return 0;
	}
	/* rule ids are the registry's pointers; strings from the fixture are compared */
	assert_int_equal(engine_check_object(doc->root, &fs, &k), 0);
	for (size_t i = 0; i < fs.n; i++)
		if (finding_matches(&fs.v[i], ri->id, strcmp(expect, "fail") == 0 ? msg : NULL,
				    strcmp(expect, "fail") == 0 ? field : NULL))
			found = true;
	if (strcmp(expect, "fail") == 0) {
		ok = found;
		if (ok)
			t->fail[ri - t->rules]++;
	} else {
		ok = !found && fs.nerrors == 0;
		if (ok)
			t->pass[ri - t->rules]++;
	}
	if (!ok) {
		t->failures++;
		fprintf(stderr, "%s:%d: %s fixture for %s%s%s%s%s did not hold; findings:\n", source, doc->line, expect,
			ri->id, msg ? " message~" : "", msg ? msg : "", field ? " field=" : "", field ? field : "");
		dump_findings(&fs);
	}
	findings_release(&fs);
	json_decref(doc->root);
	return 0;
}

static void on_error(void *ud, const char *source, const char *msg)
{
	struct tally *t = ud;

	fprintf(stderr, "%s: %s\n", source, msg);
	t->failures++;
}

static struct tally tally;

static int setup(void **state)
{
	struct input_ctx in = { .on_doc = on_doc, .on_error = on_error, .ud = &tally };

	(void)state;
	tally.rules = rules_all(&tally.nrules);
	tally.pass = calloc(tally.nrules, sizeof(unsigned));
	tally.fail = calloc(tally.nrules, sizeof(unsigned));
	if (tally.pass == NULL || tally.fail == NULL)
		return -1;
	input_read_path(&in, "data/rules");
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	free(tally.pass);
	free(tally.fail);
	return 0;
}

static void test_fixtures__all_hold(void **state)
{
	(void)state;
	fprintf(stderr, "rules: %u fixtures, %u failed\n", tally.cases, tally.failures);
	assert_true(tally.cases > 0);
	assert_int_equal(tally.failures, 0);
}

static void test_fixtures__every_single_object_rule_has_pass_and_fail(void **state)
{
	unsigned missing = 0;

	(void)state;
	for (size_t i = 0; i < tally.nrules; i++) {
		if (tally.rules[i].scope != RULE_SINGLE)
			continue;
		if (tally.pass[i] == 0 || tally.fail[i] == 0) {
			fprintf(stderr, "rule %s: %u passing and %u failing fixtures (need at least one of each)\n",
				tally.rules[i].id, tally.pass[i], tally.fail[i]);
			missing++;
		}
	}
	assert_int_equal(missing, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fixtures__all_hold),
		cmocka_unit_test(test_fixtures__every_single_object_rule_has_pass_and_fail),
	};

	return cmocka_run_group_tests_name("rules", tests, setup, teardown);
}
