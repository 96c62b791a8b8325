/* test_findings: the findings list, its cap and the --rule overrides. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdbool.h>
#include <string.h>

#include "err.h"
#include "findings.h"
#include "rules.h"

static void test_findings_add__uses_registry_severity(void **state)
{
	struct findings fs;

	(void)state;
	findings_init(&fs, NULL);
	findings_add(&fs, "GW-LST-PORT", "spec.listeners[0].port", "bad %d", 0);
	findings_add(&fs, "WX-PORT-PROTO-MIX", "spec.listeners", "mixed");
	assert_int_equal(fs.n, 2);
	assert_int_equal(fs.v[0].sev, SEV_ERROR);
	assert_string_equal(fs.v[0].message, "bad 0");
	assert_int_equal(fs.v[1].sev, SEV_WARNING);
	assert_int_equal(fs.nerrors, 1);
	assert_int_equal(fs.nwarnings, 1);
	assert_true(findings_has_rule(&fs, "WX-PORT-PROTO-MIX"));
	assert_false(findings_has_rule(&fs, "GW-REQ"));
	findings_release(&fs);
}

static void test_findings_add__overrides(void **state)
{
	struct rules_config cfg;
	struct findings fs;
	struct err e;

	(void)state;
	rules_config_init(&cfg);
	err_init(&e);
	assert_int_equal(rules_config_set(&cfg, "GW-LST-PORT=off", &e), 0);
	assert_int_equal(rules_config_set(&cfg, "WX-PORT-PROTO-MIX=error", &e), 0);
	assert_int_equal(rules_config_set(&cfg, "GW-REQ=warn", &e), 0);
	findings_init(&fs, &cfg);
	findings_add(&fs, "GW-LST-PORT", "", "gone");
	findings_add(&fs, "WX-PORT-PROTO-MIX", "", "now an error");
	findings_add(&fs, "GW-REQ", "", "now a warning");
	assert_int_equal(fs.n, 2);
	assert_int_equal(fs.v[0].sev, SEV_ERROR);
	assert_int_equal(fs.v[1].sev, SEV_WARNING);
	findings_release(&fs);
}

static void test_rules_config_set__rejects(void **state)
{
	struct rules_config cfg;
	struct err e;

	(void)state;
	rules_config_init(&cfg);
	err_init(&e);
	assert_int_equal(rules_config_set(&cfg, "NOPE=off", &e), ERR_INVALID);
	assert_non_null(strstr(e.msg, "unknown rule id"));
	err_init(&e);
	assert_int_equal(rules_config_set(&cfg, "GW-REQ=maybe", &e), ERR_INVALID);
	err_init(&e);
	assert_int_equal(rules_config_set(&cfg, "GW-REQ", &e), ERR_INVALID);
}

static void test_findings_add__cap_counts_dropped(void **state)
{
	struct findings fs;

	(void)state;
	findings_init(&fs, NULL);
	for (int i = 0; i < FINDINGS_MAX + 10; i++)
		findings_add(&fs, "GW-REQ", "spec", "n%d", i);
	assert_int_equal(fs.n, FINDINGS_MAX);
	assert_int_equal(fs.dropped, 10);
	assert_int_equal(fs.nerrors, FINDINGS_MAX + 10);
	findings_release(&fs);
}

static void test_rules_all__ids_unique(void **state)
{
	size_t n;
	const struct rules_info *all = rules_all(&n);

	(void)state;
	assert_true(n > 0);
	for (size_t i = 0; i < n; i++) {
		static const char *const prefixes[] = { "GW-", "HR-", "GR-", "L4-", "OW-", "WX-", "XO-", "POL-", "META-", "SCHEMA-" };
		bool known = false;

		for (size_t p = 0; p < sizeof(prefixes) / sizeof(prefixes[0]); p++)
			known = known || strncmp(all[i].id, prefixes[p], strlen(prefixes[p])) == 0;
		assert_true(known);
		assert_non_null(all[i].summary);
		assert_ptr_equal(rules_find(all[i].id), &all[i]);
		for (size_t j = i + 1; j < n; j++)
			assert_true(strcmp(all[i].id, all[j].id) != 0);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_findings_add__uses_registry_severity),
		cmocka_unit_test(test_findings_add__overrides),
		cmocka_unit_test(test_rules_config_set__rejects),
		cmocka_unit_test(test_findings_add__cap_counts_dropped),
		cmocka_unit_test(test_rules_all__ids_unique),
	};

	return cmocka_run_group_tests_name("findings", tests, NULL, NULL);
}
