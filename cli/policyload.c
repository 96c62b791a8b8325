/* policyload: see policyload.h. */
#include "policyload.h"

#include <stdio.h>
#include <string.h>

#include "err.h"
#include "findings.h"
#include "input.h"
#include "jpatch.h"
#include "jv.h"

struct ld {
	struct policy_set *set;
	struct err *err;
};

static int on_doc(void *ud, const char *source, struct yamldoc *doc)
{
	struct ld *l = ud;
	int rc = 0;

	/* empty documents (a trailing ---) and kustomizations are not policies */
	if (doc->root != NULL && !json_is_null(doc->root) && !jv_streq(doc->root, "kind", "Kustomization")) {
		char where[600];

		snprintf(where, sizeof(where), "%s:%d", source, doc->line);
		rc = policy_set_add(l->set, doc->root, where, l->err);
	}
	json_decref(doc->root);
	return rc;
}

static void on_error(void *ud, const char *source, const char *msg)
{
	struct ld *l = ud;

	err_set(l->err, ERR_INVALID, "%s: %s", source, msg);
}

struct policy_set *policyload_paths(const char *const *paths, size_t npaths, const struct subst_vars *vars,
				    struct err *err)
{
	struct policy_set *set = policy_set_new();
	struct ld l = { set, err };
	struct input_ctx in;

	if (set == NULL) {
		err_set(err, ERR_NOMEM, "policy: out of memory");
		return NULL;
	}
	memset(&in, 0, sizeof(in));
	in.vars = vars;
	in.on_doc = on_doc;
	in.on_error = on_error;
	in.ud = &l;
	for (size_t i = 0; i < npaths && err->code == ERR_OK; i++) {
		unsigned before = in.nfiles;

		input_read_path(&in, paths[i]);
		if (err->code == ERR_OK && in.nerrors == 0 && in.nfiles == before)
			err_set(err, ERR_IO, "%s: no policy file (*.yaml, *.yml, *.json) found", paths[i]);
	}
	if (err->code == ERR_OK && in.nerrors > 0)
		err_set(err, ERR_IO, "policy files could not be read");
	if (err->code != ERR_OK) {
		policy_set_free(set);
		return NULL;
	}
	return set;
}

static int gateway_pass(const struct policy_set *s, const struct view *v, struct report_obj *o)
{
	const json_t *gw = view_get(v, KIND_GATEWAY, o->ns, o->name);
	json_t *svc = NULL, *spatch = NULL, *gpatch = NULL;
	struct err err;
	char svcname[600];
	int rc;

	if (gw == NULL)
		gw = o->obj;
	if (gw == NULL)
		return 0;
	err_init(&err);
	rc = policy_gateway_service(v, gw, &svc, &err);
	if (rc == 0)
		rc = policy_service_patch(s, v, svc, NULL, &spatch, &o->fs, &err);
	if (rc == 0)
		rc = policy_gateway_patch(s, v, gw, &gpatch, &err);
	if (rc == 0)
		rc = policy_check_gateway(s, v, gw, &o->fs);
	if (rc == 0) {
		snprintf(svcname, sizeof(svcname), "%s/%s", jv_str(jv_obj(svc, "metadata"), "namespace"),
			 jv_str(jv_obj(svc, "metadata"), "name"));
		json_decref(o->policy);
		o->policy = json_pack("{s:s, s:O, s:O}", "service", svcname, "servicePatch", spatch,
				      "gatewayPatch", gpatch);
		if (o->policy == NULL)
			rc = ERR_NOMEM;
	}
	json_decref(svc);
	json_decref(spatch);
	json_decref(gpatch);
	/* a Gateway without a name cannot have a Service: the engine reports the name */
	return rc == ERR_INVALID ? 0 : rc;
}

int policyload_check(const struct policy_set *s, const struct view *v, struct report_obj *objs, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct report_obj *o = &objs[i];
		int rc = 0;

		if (o->kind == KIND_GATEWAY) {
			rc = gateway_pass(s, v, o);
		} else if (o->kind == KIND_HTTPROUTE || o->kind == KIND_GRPCROUTE) {
			const json_t *r = view_get(v, o->kind, o->ns, o->name);

			if (r != NULL)
				rc = policy_check_route(s, v, o->kind, r, &o->fs);
		}
		if (rc == ERR_NOMEM)
			return rc;
	}
	return 0;
}
