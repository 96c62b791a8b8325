/*
 * kubeconfig: where the kube client's configuration comes from (see kube.h): a
 * kubeconfig file (YAML, read through cli/yamldoc.c) or the in-cluster service
 * account. Supported user credentials: token, tokenFile, client certificate and key
 * (files or inline data). exec plugins and auth-providers are refused with a clear
 * message rather than silently ignored.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "b64.h"
#include "jv.h"
#include "kube.h"
#include "yamldoc.h"

#define SA_DIR "/var/run/secrets/kubernetes.io/serviceaccount"
#define KUBECONFIG_MAX (4u << 20)

static int read_fd(void *data, unsigned char *buffer, size_t size, size_t *size_read)
{
	FILE *f = data;

	*size_read = fread(buffer, 1, size, f);
	return ferror(f) ? 0 : 1;
}

static int take_first(void *ud, struct yamldoc *doc)
{
	json_t **out = ud;

	if (*out == NULL) {
		*out = doc->root;
		return 0;
	}
	json_decref(doc->root);
	return 0;
}

/* Decoded base64 as a NUL-terminated string (PEM is text), or NULL. Line breaks and
 * spaces inside the value are allowed, as kubectl's YAML may carry them. */
static char *b64_text_decode(const char *s)
{
	unsigned char *out;
	size_t n;

	return b64_decode(s, strlen(s), true, &out, &n) == 0 ? (char *)out : NULL;
}

static const json_t *named(const json_t *list, const char *name, const char *field)
{
	size_t i;
	json_t *it;

	json_array_foreach(list, i, it) {
		if (jv_streq(it, "name", name))
			return jv_obj(it, field);
	}
	return NULL;
}

/* path relative to the kubeconfig's directory unless absolute. */
static char *resolve(const char *dir, const char *p)
{
	size_t n;
	char *out;

	if (p == NULL)
		return NULL;
	if (p[0] == '/' || dir == NULL)
		return strdup(p);
	n = strlen(dir) + strlen(p) + 2;
	out = malloc(n);
	if (out != NULL)
		snprintf(out, n, "%s/%s", dir, p);
	return out;
}

static int set_data(char **dst, const char *b64, const char *what, struct err *err)
{
	if (b64 == NULL)
		return 0;
	*dst = b64_text_decode(b64);
	if (*dst == NULL)
		return err_set(err, ERR_INVALID, "kubeconfig: %s is not valid base64", what);
	return 0;
}

int kubeconfig_load(const char *path, const char *context, struct kube_config *ret, struct err *err)
{
	json_t *root = NULL;
	char *dir = NULL, *slash;
	const json_t *ctx, *cluster, *user;
	const char *ctxname, *cname, *uname;
	FILE *f;
	int rc;

	memset(ret, 0, sizeof(*ret));
	f = fopen(path, "r");
	if (f == NULL)
		return err_set(err, ERR_IO, "kubeconfig %s: %s", path, strerror(errno));
	rc = yamldoc_parse_stream(read_fd, f, take_first, &root, err);
	fclose(f);
	if (rc < 0) {
		json_decref(root);
		return rc;
	}
	if (!json_is_object(root)) {
		json_decref(root);
		return err_set(err, ERR_INVALID, "kubeconfig %s: not a mapping", path);
	}
	ctxname = context ? context : jv_str(root, "current-context");
	if (ctxname == NULL || *ctxname == '\0') {
		rc = err_set(err, ERR_INVALID, "kubeconfig %s: no current-context (pass --context)", path);
		goto out;
	}
	ctx = named(jv_arr(root, "contexts"), ctxname, "context");
	if (ctx == NULL) {
		rc = err_set(err, ERR_INVALID, "kubeconfig %s: context \"%s\" not found", path, ctxname);
		goto out;
	}
	cname = jv_str(ctx, "cluster");
	uname = jv_str(ctx, "user");
	cluster = cname ? named(jv_arr(root, "clusters"), cname, "cluster") : NULL;
	if (cluster == NULL) {
		rc = err_set(err, ERR_INVALID, "kubeconfig %s: cluster \"%s\" of context \"%s\" not found", path,
			     cname ? cname : "", ctxname);
		goto out;
	}
	user = uname ? named(jv_arr(root, "users"), uname, "user") : NULL;
	if (uname != NULL && user == NULL) {
		rc = err_set(err, ERR_INVALID, "kubeconfig %s: user \"%s\" of context \"%s\" not found", path, uname,
			     ctxname);
		goto out;
	}
	if (jv_obj(user, "exec") != NULL || jv_obj(user, "auth-provider") != NULL) {
		rc = err_set(err, ERR_INVALID,
			     "kubeconfig %s: user \"%s\" uses an exec plugin or auth-provider, which gatewarden "
			     "does not run; use a token, tokenFile or client certificate", path, uname);
		goto out;
	}
	dir = strdup(path);
	if (dir == NULL)
		goto nomem;
	slash = strrchr(dir, '/');
	if (slash != NULL)
		*slash = '\0';
	else
		strcpy(dir, ".");
	ret->server = jv_str(cluster, "server") ? strdup(jv_str(cluster, "server")) : NULL;
	if (ret->server == NULL) {
		rc = err_set(err, ERR_INVALID, "kubeconfig %s: cluster \"%s\" has no server", path, cname);
		goto out;
	}
	ret->insecure_skip_verify = json_is_true(json_object_get(cluster, "insecure-skip-tls-verify"));
	ret->ca_file = resolve(dir, jv_str(cluster, "certificate-authority"));
	if ((rc = set_data(&ret->ca_data, jv_str(cluster, "certificate-authority-data"),
			   "certificate-authority-data", err)) < 0)
		goto out;
	if (jv_str(user, "token"))
		ret->token = strdup(jv_str(user, "token"));
	ret->token_file = resolve(dir, jv_str(user, "tokenFile"));
	ret->cert_file = resolve(dir, jv_str(user, "client-certificate"));
	ret->key_file = resolve(dir, jv_str(user, "client-key"));
	if ((rc = set_data(&ret->cert_data, jv_str(user, "client-certificate-data"), "client-certificate-data",
			   err)) < 0 ||
	    (rc = set_data(&ret->key_data, jv_str(user, "client-key-data"), "client-key-data", err)) < 0)
		goto out;
	if (jv_str(ctx, "namespace"))
		ret->namespace = strdup(jv_str(ctx, "namespace"));
	rc = 0;
out:
	if (rc < 0)
		kube_config_free(ret);
	free(dir);
	json_decref(root);
	return rc;
nomem:
	rc = err_set(err, ERR_NOMEM, "kubeconfig: out of memory");
	goto out;
}

static char *slurp(const char *path, size_t max)
{
	FILE *f = fopen(path, "r");
	char *buf;
	size_t n;

	if (f == NULL)
		return NULL;
	buf = malloc(max + 1);
	if (buf == NULL) {
		fclose(f);
		return NULL;
	}
	n = fread(buf, 1, max, f);
	fclose(f);
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
		n--;
	buf[n] = '\0';
	return buf;
}

int kubeconfig_in_cluster(const char *dir, struct kube_config *ret, struct err *err)
{
	const char *host = getenv("KUBERNETES_SERVICE_HOST");
	const char *port = getenv("KUBERNETES_SERVICE_PORT");
	char p[4096];
	size_t n;

	memset(ret, 0, sizeof(*ret));
	if (dir == NULL)
		dir = SA_DIR;
	if (host == NULL || *host == '\0' || port == NULL || *port == '\0')
		return err_set(err, ERR_INVALID,
			       "in-cluster: KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT are not set "
			       "(not running in a pod? pass --kubeconfig)");
	n = strlen(host) + strlen(port) + 16;
	ret->server = malloc(n);
	if (ret->server == NULL)
		return err_set(err, ERR_NOMEM, "in-cluster: out of memory");
	/* an IPv6 service address needs brackets in a URL */
	snprintf(ret->server, n, strchr(host, ':') ? "https://[%s]:%s" : "https://%s:%s", host, port);
	snprintf(p, sizeof(p), "%s/token", dir);
	FILE *f = fopen(p, "r");
	if (f == NULL) {
		kube_config_free(ret);
		return err_set(err, ERR_IO, "in-cluster: %s: %s", p, strerror(errno));
	}
	fclose(f);
	ret->token_file = strdup(p);
	snprintf(p, sizeof(p), "%s/ca.crt", dir);
	ret->ca_file = strdup(p);
	snprintf(p, sizeof(p), "%s/namespace", dir);
	ret->namespace = slurp(p, 253);
	if (ret->token_file == NULL || ret->ca_file == NULL) {
		kube_config_free(ret);
		return err_set(err, ERR_NOMEM, "in-cluster: out of memory");
	}
	return 0;
}
