/*
 * lbplan: what the eBPF datapath should do, derived from the accepted cluster
 * state. Pure: lbplan_build reads a struct view and fills plain structs; the
 * datapath shell (reconciler/) turns them into map entries. This header is the
 * contract between the engine and the datapath.
 *
 * A frontend is one Gateway address (spec.addresses or status.addresses of type
 * IPAddress) with one listener's port and protocol. Its backends are the endpoints
 * of the Services the accepted routes on that listener name (EndpointSlices, or the
 * Service's own clusterIP when it has no slices), each backendRef's weight spread
 * evenly over that Service's endpoints.
 *
 * Weights are per connection (the datapath picks a backend at connect()/sendmsg()),
 * never per request.
 */
#ifndef CORE_LBPLAN_H
#define CORE_LBPLAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "view.h"

enum lbplan_proto {
	LBPLAN_TCP = 6,
	LBPLAN_UDP = 17,
};

struct lbplan_addr {
	uint8_t family;     /* 4 or 6 */
	uint8_t bytes[16];  /* network order; IPv4 in bytes[0..3], rest zero */
};

/* Weight unit: a backendRef of weight w spread over k endpoints gives each endpoint
 * w * LBPLAN_WEIGHT_SCALE / k (integer division), so ratios stay exact for up to 16
 * endpoints per Service and within 1e-6 beyond. */
#define LBPLAN_WEIGHT_SCALE 720720u

struct lbplan_backend {
	struct lbplan_addr addr;
	uint16_t port;      /* host order */
	uint64_t weight;    /* see LBPLAN_WEIGHT_SCALE; 0 = never picked */
};

struct lbplan_frontend {
	struct lbplan_addr addr;
	uint16_t port;      /* host order */
	uint8_t proto;      /* enum lbplan_proto */
	/* where it comes from, for `datapath list`:
	 * "gateway NS/NAME listener L; TCPRoute NS/NAME" */
	char *source;
	struct lbplan_backend *backends;
	size_t n_backends;
};

struct lbplan {
	struct lbplan_frontend *frontends;  /* sorted by (family, addr, port, proto) */
	size_t n_frontends;
};

struct lbplan_opts {
	/* Also program HTTPRoutes on HTTP listeners that need no L7 processing (one
	 * rule, no matches beyond the catch-all "/" prefix, no filters). A policy
	 * decides; default false. */
	bool allow_http;
};

/* Fill *ret (zeroed first) from v. Returns 0, or ERR_NOMEM (ret left empty). */
int lbplan_build(const struct view *v, const struct lbplan_opts *opts, struct lbplan *ret,
		 struct err *err);
/* NULL-safe; leaves *p zeroed. */
void lbplan_free(struct lbplan *p);

#endif
