/*
 * httpd: the HTTPS server of `serve` (and of the reconciler's metrics), the only user
 * of libmicrohttpd and of GnuTLS, its TLS layer.
 *
 * - TLS 1.2 and 1.3 only, ECDHE key exchange with AEAD ciphers (AES-GCM,
 *   ChaCha20-Poly1305), server preference: an explicit GnuTLS priority string, since
 *   Debian's "NORMAL" still allows TLS 1.0 and CBC.
 * - The certificate and key files are polled; when either changes (kubelet swaps a
 *   `..data` symlink) the new pair is loaded, checked (the key must match the
 *   certificate) and used for new handshakes. A pair that does not load keeps the old
 *   one in force, and the reason is logged. Pairs replaced stay allocated until
 *   httpd_stop, so a handshake in progress never sees freed memory.
 * - Optional client certificates: with client_ca_file every request must present a
 *   certificate that chains to it (and, with client_cn, has that common name), or it
 *   gets 401/403 before its body is read.
 * - Limits: the body cap (413, decided from Content-Length before reading when
 *   declared, and as soon as it is crossed otherwise), an idle timeout per connection,
 *   an absolute deadline per request, a connection limit, a pool of threads each with
 *   its own epoll.
 *
 * One server per process (GnuTLS's certificate callback has no user pointer).
 */
#ifndef WEBHOOK_HTTPD_H
#define WEBHOOK_HTTPD_H

#include <stdbool.h>
#include <stddef.h>

#include "err.h"

struct httpd_request {
	const char *method;
	const char *path;          /* without the query string */
	const char *content_type;  /* NULL when absent */
	const char *timeout;       /* the ?timeout= query value, NULL when absent */
	unsigned long long content_length; /* declared; HTTPD_LENGTH_UNKNOWN when not */
	const char *body;          /* NUL-terminated copy, body_len bytes before the NUL */
	size_t body_len;
};

#define HTTPD_LENGTH_UNKNOWN (~0ULL)

struct httpd_response {
	int status;                /* HTTP status; 0 = "read the body" from precheck */
	const char *content_type;  /* static string */
	char *body;                /* malloc'd, taken by httpd; may be NULL */
	size_t len;
};

/* Decide on the request line and headers alone (body NULL): leave resp->status 0 to
 * have the body read and handle() called, or set a status (and body) to answer now. */
typedef void (*httpd_precheck_fn)(void *ud, const struct httpd_request *req, struct httpd_response *resp);
/* Answer a request whose body was read. Runs in a pool thread; must be thread-safe. */
typedef void (*httpd_handle_fn)(void *ud, const struct httpd_request *req, struct httpd_response *resp);
/* Called after each answer with the time it took (ns), for logs and metrics. */
typedef void (*httpd_log_fn)(void *ud, const char *level, const char *msg);

struct httpd_config {
	const char *listen;          /* "127.0.0.1:8443", "[::1]:8443", ":8443" (all) */
	const char *cert_file;
	const char *key_file;
	const char *client_ca_file;  /* NULL: no client certificates asked */
	const char *client_cn;       /* NULL: any CN under client_ca_file */
	size_t body_max;             /* bytes */
	unsigned threads;            /* pool size; 0 = number of CPUs */
	unsigned conn_limit;         /* simultaneous connections */
	unsigned idle_timeout_s;     /* a connection silent this long is closed */
	unsigned request_timeout_s;  /* a request still incomplete after this is dropped */
	unsigned reload_ms;          /* certificate poll interval */
	httpd_precheck_fn precheck;
	httpd_handle_fn handle;
	httpd_log_fn log;            /* may be NULL */
	void *ud;
};

struct httpd;

/* Load the pair, bind and start serving. Returns 0, ERR_IO (bind, certificate files)
 * or ERR_INVALID (bad address, pair that does not match) with err filled. */
int httpd_start(const struct httpd_config *c, struct httpd **ret, struct err *err);
/* The port actually bound (useful with port 0). */
unsigned httpd_port(const struct httpd *h);
/* The worker threads serving (--threads, or the CPUs the process may run on). */
unsigned httpd_threads(const struct httpd *h);
/* Stop accepting connections; connections already open are still served. */
void httpd_quiesce(struct httpd *h);
/* Requests being read or answered right now. */
unsigned httpd_in_flight(const struct httpd *h);
unsigned httpd_connections(const struct httpd *h);
/* notAfter (Unix seconds) of the serving certificate in force; 0 when unknown. */
long long httpd_cert_not_after(struct httpd *h);
/* Certificate reloads done and refused since start. */
void httpd_cert_reloads(struct httpd *h, unsigned long *ret_ok, unsigned long *ret_failed);
/* Close every connection, stop the threads and free everything. NULL-safe. */
void httpd_stop(struct httpd *h);

#endif
