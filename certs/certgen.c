/*
 * certgen: see certgen.h.
 */
#include "certgen.h"

#include <stdio.h>
#include <string.h>

#include "err.h"

#define NAME_MAX_LEN 253

void certgen_opts_init(struct certgen_opts *o, long long now)
{
	memset(o, 0, sizeof(*o));
	o->service = "gatewarden";
	o->namespace = "gatewarden";
	o->keytype = X509_KEY_EC_P256;
	o->days = 365;
	o->ca_days = 1825;
	o->now = now;
}

bool certgen_label_ok(const char *s)
{
	size_t n = s != NULL ? strlen(s) : 0;

	if (n == 0 || n > 63 || s[0] == '-' || s[n - 1] == '-')
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '-'))
			return false;
	return true;
}

static int check_opts(const struct certgen_opts *o, struct err *err)
{
	if (!certgen_label_ok(o->service))
		return err_set(err, ERR_INVALID, "service name '%s' is not a DNS label (a-z, 0-9, '-', at most 63)",
			       o->service ? o->service : "");
	if (!certgen_label_ok(o->namespace))
		return err_set(err, ERR_INVALID, "namespace '%s' is not a DNS label (a-z, 0-9, '-', at most 63)",
			       o->namespace ? o->namespace : "");
	if (o->days < 1 || o->days > 825)
		return err_set(err, ERR_INVALID, "serving certificate lifetime must be 1 to 825 days, got %u", o->days);
	if (o->ca_days < o->days || o->ca_days > 3650)
		return err_set(err, ERR_INVALID, "CA lifetime must be %u (the serving lifetime) to 3650 days, got %u",
			       o->days, o->ca_days);
	if (o->ndns > CERTGEN_MAX_EXTRA || o->nips > CERTGEN_MAX_EXTRA)
		return err_set(err, ERR_LIMIT, "at most %d extra DNS names and %d IP addresses", CERTGEN_MAX_EXTRA,
			       CERTGEN_MAX_EXTRA);
	if (o->now < CERTGEN_SKEW)
		return err_set(err, ERR_INVALID, "the clock is before 1970");
	return 0;
}

int certgen_make_ca(const struct certgen_opts *o, struct x509_pem *ca, struct err *err)
{
	struct x509_ca_opts co;
	char cn[64];
	int rc = check_opts(o, err);

	memset(ca, 0, sizeof(*ca));
	if (rc != 0)
		return rc;
	/* the CN carries the creation time so that two CAs in an overlapping bundle differ */
	snprintf(cn, sizeof(cn), "gatewarden-webhook-ca-%lld", o->now);
	co = (struct x509_ca_opts){ .cn = cn, .keytype = o->keytype, .not_before = o->now - CERTGEN_SKEW,
				    .not_after = o->now + (long long)o->ca_days * 86400 };
	return x509_make_ca(&co, ca, err);
}

int certgen_make_serving(const struct certgen_opts *o, const struct x509_pem *ca, struct x509_pem *leaf,
			 struct err *err)
{
	char names[4][NAME_MAX_LEN + 1];
	const char *dns[4 + CERTGEN_MAX_EXTRA];
	struct x509_cert *cac = NULL;
	struct x509_leaf_opts lo;
	long long ca_nb, ca_na, na;
	bool rest_bad;
	size_t n = 0;
	int rc = check_opts(o, err);

	memset(leaf, 0, sizeof(*leaf));
	if (rc != 0)
		return rc;
	snprintf(names[0], sizeof(names[0]), "%s.%s.svc", o->service, o->namespace);
	snprintf(names[1], sizeof(names[1]), "%s.%s.svc.cluster.local", o->service, o->namespace);
	snprintf(names[2], sizeof(names[2]), "%s.%s", o->service, o->namespace);
	snprintf(names[3], sizeof(names[3]), "%s", o->service);
	for (int i = 0; i < 4; i++)
		dns[n++] = names[i];
	for (size_t i = 0; i < o->ndns; i++) {
		bool dup = false;

		for (size_t j = 0; j < n; j++)
			dup = dup || strcmp(dns[j], o->dns[i]) == 0;
		if (!dup)
			dns[n++] = o->dns[i];
	}
	/* never outlive the issuer: a leaf valid past its CA fails verification anyway */
	na = o->now + (long long)o->days * 86400;
	rc = x509_chain_first(ca->cert, ca->cert != NULL ? strlen(ca->cert) : 0, &cac, &rest_bad);
	if (rc == 1)
		return err_set(err, ERR_INVALID, "the CA certificate does not parse");
	if (rc != 0)
		return err_set(err, rc, "out of memory");
	if (!x509_cert_validity(cac, &ca_nb, &ca_na)) {
		x509_cert_free(cac);
		return err_set(err, ERR_INVALID, "the CA certificate's validity cannot be read");
	}
	x509_cert_free(cac);
	if (na > ca_na)
		na = ca_na;
	if (na <= o->now)
		return err_set(err, ERR_INVALID, "the CA has expired");
	lo = (struct x509_leaf_opts){ .cn = names[0], .dns = dns, .ndns = n, .ips = o->ips, .nips = o->nips,
				      .keytype = o->keytype, .not_before = o->now - CERTGEN_SKEW, .not_after = na };
	if (strlen(names[0]) > 64)
		lo.cn = o->service; /* a CN is at most 64 characters; the SANs carry the full name */
	return x509_make_leaf(&lo, ca, leaf, err);
}
