/* stateload: --state files into a store (see stateload.h). */
#include "stateload.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "admit.h"
#include "defaults.h"
#include "engine.h"
#include "err.h"
#include "input.h"
#include "jv.h"
#include "jintern.h"
#include "kind.h"
#include "tlsinfo.h"

struct load {
	struct store *s;
	const char *default_ns;
	const struct input_ctx *in;
	struct err *err;
	int rc;
	bool slim;
	struct jintern jt;  /* slim: equal parts of the objects are stored once */
};

static int set_namespace(struct load *l, enum kind k, json_t *obj)
{
	json_t *meta = jv_obj(obj, "metadata");
	const char *forced = l->in->namespace;

	if (k == KIND_GATEWAYCLASS || k == KIND_NAMESPACE || meta == NULL)
		return 0;
	if (forced == NULL && jv_str(meta, "namespace") != NULL)
		return 0;
	return json_object_set_new(meta, "namespace", json_string(forced ? forced : l->default_ns)) == 0 ? 0 : ERR_NOMEM;
}

static int take(struct load *l, json_t *obj)
{
	enum kind k = engine_classify(obj);
	struct err e;
	int rc;

	if (k == KIND_OTHER)
		return 0;
	rc = set_namespace(l, k, obj);
	if (rc == 0 && k == KIND_SECRET)
		rc = tlsinfo_annotate_secret(obj, NULL);
	if (rc == 0 && kind_is_validated(k))
		rc = defaults_apply(k, obj);
	if (rc == 0 && l->slim)
		rc = admit_slim(k, obj);
	/* a route the store writes as text shares nothing: interning it would only keep
	 * its tree alive until the load ends */
	if (rc == 0 && l->slim && !store_keeps_text(l->s, k))
		rc = jintern_children(&l->jt, obj);
	if (rc != 0)
		return ERR_NOMEM;
	err_init(&e);
	rc = store_add(l->s, obj, &e);
	if (rc == ERR_NOMEM)
		return rc;
	return 0; /* an object without a name is not kept; the webhook never sees it */
}

static int on_doc(void *ud, const char *source, struct yamldoc *doc)
{
	struct load *l = ud;
	json_t *root = doc->root;
	int rc = 0;

	(void)source;
	if (jv_streq(root, "kind", "List") && jv_arr(root, "items")) {
		json_t *item;
		size_t i;

		json_array_foreach(jv_arr(root, "items"), i, item)
			if (json_is_object(item) && (rc = take(l, item)) != 0)
				break;
	} else if (json_is_object(root)) {
		rc = take(l, root);
	}
	json_decref(root);
	if (rc != 0)
		l->rc = err_set(l->err, rc, "out of memory reading the cluster state");
	return rc;
}

static void on_error(void *ud, const char *source, const char *msg)
{
	struct load *l = ud;

	l->rc = err_set(l->err, ERR_INVALID, "--state %s: %s", source, msg);
}

enum load_mode { LOAD_SLIM, LOAD_WHOLE };

static int load_paths(struct store *s, const char *const *paths, size_t npaths, const struct subst_vars *vars,
		      const char *default_ns, size_t *ret_count, struct err *err, enum load_mode mode)
{
	struct load l = { .s = s, .default_ns = default_ns ? default_ns : "default", .err = err,
			  .slim = mode == LOAD_SLIM };
	/* a short read-ahead: the state is read once at start, and the documents in flight
	 * would otherwise add to the peak memory of a long-running process (serve: VmHWM
	 * 48.4 to 53.4 MB with 256, 46.0 to 46.1 MB with 32, for the bench's 10,113 objects) */
	struct input_ctx in = { .vars = vars, .on_doc = on_doc, .on_error = on_error, .ud = &l, .queue_docs = 32 };

	l.in = &in;
	jintern_init(&l.jt);
	for (size_t i = 0; i < npaths && l.rc == 0; i++) {
		int rc = input_read_path(&in, paths[i]);

		if (rc < 0 && l.rc == 0)
			l.rc = err_set(err, rc, "--state %s: cannot be read", paths[i]);
	}
	/* the shared nodes live on in the stored objects */
	jintern_release(&l.jt);
	*ret_count = 0;
	for (int k = KIND_OTHER + 1; k < KIND_MAX; k++)
		*ret_count += store_count(s, (enum kind)k);
	return l.rc;
}

int stateload_paths_whole(struct store *s, const char *const *paths, size_t npaths, const struct subst_vars *vars,
			  const char *default_ns, size_t *ret_count, struct err *err)
{
	return load_paths(s, paths, npaths, vars, default_ns, ret_count, err, LOAD_WHOLE);
}

int stateload_paths_slim(struct store *s, const char *const *paths, size_t npaths, const struct subst_vars *vars,
			 const char *default_ns, size_t *ret_count, struct err *err)
{
	return load_paths(s, paths, npaths, vars, default_ns, ret_count, err, LOAD_SLIM);
}
