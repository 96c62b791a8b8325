/* test_labels: label selector matching (every operator) and its rendering. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include <jansson.h>

#include "err.h"
#include "labels.h"

/* A selector with one expression; steals values. */
static json_t *expr(const char *key, const char *op, json_t *values)
{
	return json_pack("{s:[{s:s,s:s,s:o}]}", "matchExpressions", "key", key, "operator", op, "values", values);
}

static json_t *labels_ab(void)
{
	return json_pack("{s:s,s:s}", "team", "web", "env", "prod");
}

static void test_labels_selector_matches__in(void **state)
{
	json_t *lab = labels_ab();
	json_t *sel = expr("env", "In", json_pack("[s,s]", "staging", "prod"));
	json_t *miss = expr("env", "In", json_pack("[s]", "dev"));
	json_t *absent = expr("region", "In", json_pack("[s]", "eu"));

	(void)state;
	assert_true(labels_selector_matches(sel, lab));
	assert_false(labels_selector_matches(miss, lab));
	assert_false(labels_selector_matches(absent, lab));
	assert_false(labels_selector_matches(sel, NULL));
	json_decref(lab);
	json_decref(sel);
	json_decref(miss);
	json_decref(absent);
}

static void test_labels_selector_matches__notin(void **state)
{
	json_t *lab = labels_ab();
	json_t *hit = expr("env", "NotIn", json_pack("[s,s]", "prod", "staging"));
	json_t *other = expr("env", "NotIn", json_pack("[s]", "dev"));

	(void)state;
	assert_false(labels_selector_matches(hit, lab));
	assert_true(labels_selector_matches(other, lab));
	json_decref(hit);
	json_decref(other);
	json_decref(lab);
}

static void test_labels_selector_matches__notin_key_absent(void **state)
{
	json_t *lab = labels_ab();
	json_t *sel = expr("region", "NotIn", json_pack("[s]", "eu"));

	(void)state;
	/* NotIn holds when the key is not there at all, as in Kubernetes */
	assert_true(labels_selector_matches(sel, lab));
	assert_true(labels_selector_matches(sel, NULL));
	json_decref(sel);
	json_decref(lab);
}

static void test_labels_selector_matches__exists(void **state)
{
	json_t *lab = labels_ab();
	json_t *yes = json_pack("{s:[{s:s,s:s}]}", "matchExpressions", "key", "team", "operator", "Exists");
	json_t *no = json_pack("{s:[{s:s,s:s}]}", "matchExpressions", "key", "region", "operator", "Exists");

	(void)state;
	assert_true(labels_selector_matches(yes, lab));
	assert_false(labels_selector_matches(no, lab));
	assert_false(labels_selector_matches(yes, NULL));
	json_decref(yes);
	json_decref(no);
	json_decref(lab);
}

static void test_labels_selector_matches__doesnotexist(void **state)
{
	json_t *lab = labels_ab();
	json_t *present = json_pack("{s:[{s:s,s:s}]}", "matchExpressions", "key", "team", "operator",
				    "DoesNotExist");
	json_t *absent = json_pack("{s:[{s:s,s:s}]}", "matchExpressions", "key", "region", "operator",
				   "DoesNotExist");

	(void)state;
	assert_false(labels_selector_matches(present, lab));
	assert_true(labels_selector_matches(absent, lab));
	assert_true(labels_selector_matches(absent, NULL));
	json_decref(present);
	json_decref(absent);
	json_decref(lab);
}

static void test_labels_selector_matches__unknown_operator(void **state)
{
	json_t *lab = labels_ab();
	json_t *sel = expr("env", "Equals", json_pack("[s]", "prod"));
	json_t *nokey = json_pack("{s:[{s:s}]}", "matchExpressions", "operator", "Exists");

	(void)state;
	assert_false(labels_selector_matches(sel, lab));
	assert_false(labels_selector_matches(nokey, lab));
	json_decref(sel);
	json_decref(nokey);
	json_decref(lab);
}

static void test_labels_selector_matches__match_labels(void **state)
{
	json_t *lab = labels_ab();
	json_t *yes = json_pack("{s:{s:s,s:s}}", "matchLabels", "team", "web", "env", "prod");
	json_t *wrong = json_pack("{s:{s:s}}", "matchLabels", "team", "api");
	json_t *absent = json_pack("{s:{s:s}}", "matchLabels", "region", "eu");

	(void)state;
	assert_true(labels_selector_matches(yes, lab));
	assert_false(labels_selector_matches(wrong, lab));
	assert_false(labels_selector_matches(absent, lab));
	assert_false(labels_selector_matches(yes, NULL));
	json_decref(yes);
	json_decref(wrong);
	json_decref(absent);
	json_decref(lab);
}

static void test_labels_selector_matches__empty_vs_null(void **state)
{
	json_t *lab = labels_ab();
	json_t *empty = json_object();
	json_t *empty_members = json_pack("{s:{},s:[]}", "matchLabels", "matchExpressions");

	(void)state;
	assert_true(labels_selector_matches(empty, lab));
	assert_true(labels_selector_matches(empty, NULL));
	assert_true(labels_selector_matches(empty_members, lab));
	assert_false(labels_selector_matches(NULL, lab));
	assert_false(labels_selector_matches(NULL, NULL));
	json_decref(empty);
	json_decref(empty_members);
	json_decref(lab);
}

static void test_labels_selector_matches__labels_and_expressions_combined(void **state)
{
	json_t *sel = json_pack("{s:{s:s},s:[{s:s,s:s,s:[s,s]},{s:s,s:s}]}",
				"matchLabels", "team", "web",
				"matchExpressions",
				"key", "kubernetes.io/metadata.name", "operator", "In", "values", "flux-system",
				"observability",
				"key", "legacy", "operator", "DoesNotExist");
	json_t *ok = json_pack("{s:s,s:s}", "team", "web", "kubernetes.io/metadata.name", "observability");
	json_t *bad_name = json_pack("{s:s,s:s}", "team", "web", "kubernetes.io/metadata.name", "default");
	json_t *bad_team = json_pack("{s:s,s:s}", "team", "api", "kubernetes.io/metadata.name", "flux-system");
	json_t *legacy = json_pack("{s:s,s:s,s:s}", "team", "web", "kubernetes.io/metadata.name", "flux-system",
				   "legacy", "true");

	(void)state;
	assert_true(labels_selector_matches(sel, ok));
	assert_false(labels_selector_matches(sel, bad_name));
	assert_false(labels_selector_matches(sel, bad_team));
	assert_false(labels_selector_matches(sel, legacy));
	json_decref(sel);
	json_decref(ok);
	json_decref(bad_name);
	json_decref(bad_team);
	json_decref(legacy);
}

static void test_labels_selector_matches__malformed_never_matches(void **state)
{
	json_t *lab = labels_ab();
	json_t *ml_array = json_pack("{s:[]}", "matchLabels");
	json_t *me_object = json_pack("{s:{}}", "matchExpressions");
	json_t *values_string = json_pack("{s:[{s:s,s:s,s:s}]}", "matchExpressions", "key", "env", "operator",
					  "NotIn", "values", "dev");
	json_t *not_object = json_string("team=web");

	(void)state;
	assert_false(labels_selector_matches(ml_array, lab));
	assert_false(labels_selector_matches(me_object, lab));
	assert_false(labels_selector_matches(values_string, lab));
	assert_false(labels_selector_matches(not_object, lab));
	json_decref(ml_array);
	json_decref(me_object);
	json_decref(values_string);
	json_decref(not_object);
	json_decref(lab);
}

static void test_labels_selector_describe__renders_sorted(void **state)
{
	json_t *sel = json_pack("{s:{s:s},s:[{s:s,s:s,s:[s,s]}]}",
				"matchLabels", "team", "web",
				"matchExpressions",
				"key", "kubernetes.io/metadata.name", "operator", "In",
				"values", "observability", "flux-system");
	char buf[256];
	int n;

	(void)state;
	n = labels_selector_describe(sel, buf, sizeof(buf));
	assert_string_equal(buf, "kubernetes.io/metadata.name in (flux-system, observability), team=web");
	assert_int_equal(n, (int)strlen(buf));
	json_decref(sel);
}

static void test_labels_selector_describe__every_operator(void **state)
{
	json_t *sel = json_pack("{s:[{s:s,s:s},{s:s,s:s},{s:s,s:s,s:[s,s]},{s:s,s:s,s:[s]}]}",
				"matchExpressions",
				"key", "tier", "operator", "Exists",
				"key", "legacy", "operator", "DoesNotExist",
				"key", "env", "operator", "NotIn", "values", "test", "dev",
				"key", "zone", "operator", "Near", "values", "eu");
	char buf[256];

	(void)state;
	labels_selector_describe(sel, buf, sizeof(buf));
	assert_string_equal(buf, "env notin (dev, test), !legacy, tier, zone Near (eu)");
	json_decref(sel);
}

static void test_labels_selector_describe__empty_null_truncated(void **state)
{
	json_t *empty = json_object();
	json_t *sel = json_pack("{s:{s:s}}", "matchLabels", "team", "web");
	char buf[64];
	char small[5];
	int n;

	(void)state;
	labels_selector_describe(empty, buf, sizeof(buf));
	assert_string_equal(buf, "<everything>");
	labels_selector_describe(NULL, buf, sizeof(buf));
	assert_string_equal(buf, "<nothing>");
	n = labels_selector_describe(sel, small, sizeof(small));
	assert_int_equal(n, 8);
	assert_string_equal(small, "team");
	assert_int_equal(labels_selector_describe(sel, NULL, 0), 8);
	json_decref(empty);
	json_decref(sel);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_labels_selector_matches__in),
		cmocka_unit_test(test_labels_selector_matches__notin),
		cmocka_unit_test(test_labels_selector_matches__notin_key_absent),
		cmocka_unit_test(test_labels_selector_matches__exists),
		cmocka_unit_test(test_labels_selector_matches__doesnotexist),
		cmocka_unit_test(test_labels_selector_matches__unknown_operator),
		cmocka_unit_test(test_labels_selector_matches__match_labels),
		cmocka_unit_test(test_labels_selector_matches__empty_vs_null),
		cmocka_unit_test(test_labels_selector_matches__labels_and_expressions_combined),
		cmocka_unit_test(test_labels_selector_matches__malformed_never_matches),
		cmocka_unit_test(test_labels_selector_describe__renders_sorted),
		cmocka_unit_test(test_labels_selector_describe__every_operator),
		cmocka_unit_test(test_labels_selector_describe__empty_null_truncated),
	};

	return cmocka_run_group_tests_name("labels", tests, NULL, NULL);
}
