/*
 * kubeopts: cluster connection options and the watch cache they start (see
 * kubeopts.h). Linked into the gatewarden executable only: gw_io stays free of
 * the kube client.
 */
#include "kubeopts.h"

#include <stdlib.h>
#include <string.h>

bool kubeopts_wanted(const struct kubeopts *o)
{
	return o->kubeconfig != NULL || o->in_cluster;
}

int kubeopts_check(const struct kubeopts *o, struct err *err)
{
	if (o->kubeconfig != NULL && o->in_cluster)
		return err_set(err, ERR_INVALID, "--kubeconfig and --in-cluster exclude each other");
	if (o->context != NULL && o->kubeconfig == NULL)
		return err_set(err, ERR_INVALID, "--context needs --kubeconfig");
	if ((o->insecure || o->allow_http) && !kubeopts_wanted(o))
		return err_set(err, ERR_INVALID,
			       "--insecure-skip-tls-verify and --allow-insecure-http need --kubeconfig or --in-cluster");
	return 0;
}

int kubeopts_cluster_start(struct kubeopts_cluster *kc, const struct kubeopts *o, const char *user_agent,
			   const struct kcache_options *co, struct err *err)
{
	struct kube_config cfg;
	int rc;

	memset(&cfg, 0, sizeof(cfg));
	if (o->kubeconfig != NULL)
		rc = kubeconfig_load(o->kubeconfig, o->context, &cfg, err);
	else
		rc = kubeconfig_in_cluster(NULL, &cfg, err);
	if (rc < 0)
		return rc;
	cfg.insecure_skip_verify = cfg.insecure_skip_verify || o->insecure;
	cfg.allow_http = o->allow_http;
	if (user_agent != NULL) {
		cfg.user_agent = strdup(user_agent);
		if (cfg.user_agent == NULL) {
			kube_config_free(&cfg);
			return err_set(err, ERR_NOMEM, "out of memory");
		}
	}
	kc->kube = kube_new(&cfg, err);
	kube_config_free(&cfg);
	if (kc->kube == NULL)
		return err->code != ERR_OK ? err->code : ERR_NOMEM;
	kc->cache = kcache_new(kc->kube, co, err);
	if (kc->cache == NULL || kcache_start(kc->cache, err) < 0)
		return err->code != ERR_OK ? err->code : ERR_NOMEM;
	return 0;
}

void kubeopts_cluster_stop(struct kubeopts_cluster *kc)
{
	if (kc->cache != NULL) {
		kcache_stop(kc->cache);
		kcache_free(kc->cache);
	}
	kube_free(kc->kube);
	kc->cache = NULL;
	kc->kube = NULL;
}
