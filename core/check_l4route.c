/*
 * check_l4route: the TCPRoute and UDPRoute (v1alpha2) rules the schema table cannot
 * express. Both kinds share one shape: parentRefs (route-common, reported under the
 * HR-PREF-* and WX-PREF-NS-NORMALIZE ids like every route), and rules of backendRefs
 * only: a Service backendRef needs a port (HR-BREF-PORT), a rule whose backendRefs are
 * all weighted 0 forwards nothing (WX-WEIGHT-ALLZERO), and rule names are unique
 * (L4-RULE-NAME-UNIQUE, the CEL rule of the rules list). No hostnames, matches or
 * filters: the schema reports those as unknown fields.
 */
#include "checks.h"

#include <string.h>

#include "findings.h"
#include "jv.h"
#include "path.h"
#include "route_int.h"
#include "schema.h"

static void check_rule_names(const json_t *rules, struct path *p, struct findings *fs)
{
	for (size_t i = 0; i < jv_size(rules); i++) {
		const char *name = jv_str(json_array_get(rules, i), "name");

		if (name == NULL)
			continue;
		for (size_t j = 0; j < i; j++) {
			if (!jv_streq(json_array_get(rules, j), "name", name))
				continue;
			{
				size_t m = path_idx(p, i), mn = path_key(p, "name");
				char q[128];

				schema_quote(name, strlen(name), q, sizeof(q));
				findings_add(fs, "L4-RULE-NAME-UNIQUE", path_str(p),
					     "Duplicate value: %s: Rule name must be unique within the route (rules[%zu] has it too); rename one of the rules",
					     q, j);
				path_pop(p, mn);
				path_pop(p, m);
			}
			break;
		}
	}
}

void check_l4route(const json_t *obj, struct findings *fs)
{
	const json_t *spec = jv_obj(obj, "spec");
	const json_t *rules = jv_arr(spec, "rules");
	struct path p;

	if (spec == NULL)
		return;
	route_check_parent_refs(obj, fs);
	path_init(&p);
	path_key(&p, "spec");
	path_key(&p, "rules");
	for (size_t i = 0; i < jv_size(rules); i++) {
		const json_t *rule = json_array_get(rules, i);
		size_t m = path_idx(&p, i);

		if (json_is_object(rule))
			route_check_backend_refs(rule, &p, fs);
		path_pop(&p, m);
	}
	check_rule_names(rules, &p, fs);
}
