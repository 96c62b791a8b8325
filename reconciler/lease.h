/*
 * lease: leader election on a coordination.k8s.io/v1 Lease, as client-go's
 * leaderelection does it:
 *   - a missing Lease is created with us as holder;
 *   - our own Lease is renewed (PUT with its resourceVersion, so a concurrent writer
 *     makes one of the two fail with 409);
 *   - another holder's Lease is taken over only after it has not changed for
 *     leaseDurationSeconds as observed on our own monotonic clock (no trust in the
 *     other replica's wall clock).
 * Leadership is local and time-bound: lease_held answers true only while the last
 * successful acquire/renew is younger than the lease duration minus a margin, so a
 * replica that stalls (or loses the API server) stops writing before anyone else
 * can take over. A failed renew (409, another holder) drops leadership at once.
 */
#ifndef RECONCILER_LEASE_H
#define RECONCILER_LEASE_H

#include <stdbool.h>

#include "err.h"
#include "kube.h"

struct lease;

struct lease_options {
	const char *ns;          /* default "default" */
	const char *name;        /* default "gatewarden-reconciler" */
	const char *identity;    /* required: unique per replica (e.g. pod name) */
	int duration_s;          /* leaseDurationSeconds, default 15 */
};

struct lease *lease_new(struct kube *kube, const struct lease_options *o, struct err *err);
void lease_free(struct lease *l);
/* One election round (acquire or renew). Returns 0 (see lease_held) or an error
 * (transport; leadership is then kept only until it times out). */
int lease_tick(struct lease *l, struct err *err);
/* True while we hold the Lease (checked before every write). Thread-safe. */
bool lease_held(struct lease *l);
/* Give the Lease up (holderIdentity cleared) if we hold it: for a clean shutdown. */
void lease_release(struct lease *l);
/* Leadership changes seen (for metrics). */
unsigned long lease_transitions(struct lease *l);

#endif
