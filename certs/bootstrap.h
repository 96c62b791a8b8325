/*
 * bootstrap: the webhook's certificates kept in the cluster (`gatewarden certs
 * bootstrap`): a CA and a serving certificate in one Secret, the CA bundle in caBundle
 * of both webhook configurations. Each run moves the state one step towards "valid for
 * a while", so running it once at install and then daily (the self-signed overlay's Job
 * and CronJob) is all it takes:
 *
 *   no Secret                 new CA and serving certificate; create the Secret
 *   serving certificate       expires within renew_before, does not match its key,
 *                             lacks the Service's names or does not chain to the
 *                             signing CA: a new one from the signing CA
 *   signing CA expiring       (within ca_renew_before) a next CA is made and ADDED to
 *                             the bundle (ca.crt) but not used yet
 *   next CA trusted           once both webhook configurations' caBundle carry it and
 *                             propagation seconds have passed since it was added, it
 *                             becomes the signing CA and signs a new serving certificate;
 *                             the old CA stays in the bundle
 *   expired CA in the bundle  dropped (no serving certificate outlives its issuer)
 *   caBundle                  set to the Secret's bundle in every webhook of both
 *                             configurations
 * So the API server trusts a CA before any certificate it signed is served, and keeps
 * trusting the old one while its certificates may still be served: no admission call
 * fails during a rotation (tests/certs/bootstrap_test.py).
 *
 * The Secret (type kubernetes.io/tls): tls.crt, tls.key (served; the webhook mounts
 * only these two), ca.crt (the bundle, signing CA first), ca.key (the signing CA's
 * key), and while a rollover is pending ca-next.crt, ca-next.key and the annotation
 * gatewarden.io/ca-next-since (Unix seconds).
 *
 * Concurrency: every write carries the resourceVersion it was computed from (PUT with
 * metadata.resourceVersion, JSON Patch starting with a test of it); on a conflict the
 * run starts over from a fresh read (at most 5 times). Creating the Secret twice
 * loses one create (409), and the loser adopts the winner's Secret. Idempotent: a run
 * with nothing to do writes nothing.
 *
 * Clocks: decisions use o->now (tests move it forward); certificates are always made
 * valid from the real time, so a test's servers accept them.
 */
#ifndef CERTS_BOOTSTRAP_H
#define CERTS_BOOTSTRAP_H

#include <stdbool.h>

#include "certgen.h"

struct kube;
struct err;

struct bootstrap_opts {
	struct certgen_opts gen;      /* service, namespace, extra names, key type, lifetimes */
	const char *secret;           /* the Secret's name (in gen.namespace) */
	const char *webhook_config;   /* name of both webhook configurations */
	long long renew_before;       /* seconds; serving certificate renewal */
	long long ca_renew_before;    /* seconds; start of a CA rollover */
	long long propagation;        /* seconds a next CA is trusted before it signs */
	long long now;                /* decision clock, Unix seconds */
};

/* What one run wrote, over all its attempts: an attempt that conflicts part way starts
 * over, and what it had written before the conflict stays written and counted. */
struct bootstrap_result {
	bool created;            /* the Secret was created by this run */
	bool secret_written;     /* the Secret was created or updated */
	bool leaf_issued, ca_created, ca_next_added, ca_promoted;
	int ca_dropped;          /* expired CAs removed from the bundle */
	int configs_patched;     /* webhook configurations whose caBundle changed */
	int conflicts;           /* optimistic-concurrency retries */
	int bundle_size;         /* CAs in the bundle after the run */
};

void bootstrap_opts_init(struct bootstrap_opts *o, long long now);

/* One run (see above). 0, or ERR_INVALID (bad options), ERR_NOTFOUND (a webhook
 * configuration does not exist), ERR_IO (the API server refused or was unreachable;
 * err says what it answered), ERR_LIMIT (still conflicting after 5 attempts),
 * ERR_NOMEM. */
int bootstrap_run(struct kube *k, const struct bootstrap_opts *o, struct bootstrap_result *r, struct err *err);

#endif
