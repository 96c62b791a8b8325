/* polsrc: reloadable policy set (see polsrc.h). */
#include "polsrc.h"

#include <ftw.h>
#include <jansson.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "jlog.h"
#include "policy.h"
#include "policyload.h"

struct held {
	struct policy_set *set;
	unsigned refs;      /* readers, plus one while in force */
};

struct polsrc {
	const char *const *paths;
	size_t npaths;
	const struct subst_vars *vars;
	unsigned reload_ms;
	pthread_mutex_t lock;
	struct held *cur;
	uint64_t sig;
	pthread_t thread;
	bool started, stopping;
	pthread_cond_t cond;
};

/* a signature of every file under the paths: changes when one is added, removed,
 * replaced or written */
static uint64_t g_sig;

static int sig_one(const char *path, const struct stat *st, int flag, struct FTW *f)
{
	(void)f;
	if (flag == FTW_F || flag == FTW_SL) {
		uint64_t h = (uint64_t)st->st_ino * 1000003u ^ (uint64_t)st->st_size * 7919u ^
			     (uint64_t)st->st_mtim.tv_sec * 31u ^ (uint64_t)st->st_mtim.tv_nsec;

		for (const char *c = path; *c; c++)
			h = h * 131 + (unsigned char)*c;
		g_sig += h * 2654435761u;
	}
	return 0;
}

static pthread_mutex_t sig_lock = PTHREAD_MUTEX_INITIALIZER;

static uint64_t signature(const struct polsrc *p)
{
	uint64_t s;

	pthread_mutex_lock(&sig_lock); /* nftw has no user pointer */
	g_sig = 0;
	for (size_t i = 0; i < p->npaths; i++)
		nftw(p->paths[i], sig_one, 16, FTW_PHYS);
	s = g_sig;
	pthread_mutex_unlock(&sig_lock);
	return s;
}

static void held_put(struct polsrc *p, struct held *h)
{
	bool last;

	pthread_mutex_lock(&p->lock);
	last = --h->refs == 0;
	pthread_mutex_unlock(&p->lock);
	if (last) {
		policy_set_free(h->set);
		free(h);
	}
}

static int load(struct polsrc *p, struct err *err)
{
	struct held *h = calloc(1, sizeof(*h)), *old;

	if (h == NULL)
		return err_set(err, ERR_NOMEM, "out of memory");
	h->set = p->npaths ? policyload_paths(p->paths, p->npaths, p->vars, err) : policy_set_new();
	if (h->set == NULL) {
		free(h);
		return err->code ? err->code : ERR_NOMEM;
	}
	h->refs = 1;
	pthread_mutex_lock(&p->lock);
	old = p->cur;
	p->cur = h;
	pthread_mutex_unlock(&p->lock);
	if (old != NULL)
		held_put(p, old);
	return 0;
}

int polsrc_reload(struct polsrc *p, struct err *err)
{
	int rc = load(p, err);
	json_t *f;

	if (rc == 0) {
		f = json_pack("{si}", "policies", (int)polsrc_count(p));
		jlog("info", "policies loaded", f);
	} else {
		f = json_pack("{ss}", "error", err->msg);
		jlog("error", "policy reload refused, keeping the policies in force", f);
	}
	json_decref(f);
	return rc;
}

static void *reloader(void *arg)
{
	struct polsrc *p = arg;

	pthread_mutex_lock(&p->lock);
	while (!p->stopping) {
		struct timespec until;

		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += p->reload_ms / 1000;
		until.tv_nsec += (long)(p->reload_ms % 1000) * 1000000L;
		if (until.tv_nsec >= 1000000000L) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&p->cond, &p->lock, &until);
		if (p->stopping)
			break;
		pthread_mutex_unlock(&p->lock);
		{
			uint64_t s = signature(p);

			if (s != p->sig) {
				struct err err;

				err_init(&err);
				p->sig = s;
				polsrc_reload(p, &err);
			}
		}
		pthread_mutex_lock(&p->lock);
	}
	pthread_mutex_unlock(&p->lock);
	return NULL;
}

int polsrc_start(const char *const *paths, size_t npaths, const struct subst_vars *vars, unsigned reload_ms,
		 struct polsrc **ret, struct err *err)
{
	struct polsrc *p = calloc(1, sizeof(*p));
	int rc;

	*ret = NULL;
	if (p == NULL)
		return err_set(err, ERR_NOMEM, "out of memory");
	p->paths = paths;
	p->npaths = npaths;
	p->vars = vars;
	p->reload_ms = reload_ms;
	pthread_mutex_init(&p->lock, NULL);
	pthread_cond_init(&p->cond, NULL);
	p->sig = signature(p);
	rc = load(p, err);
	if (rc != 0) {
		polsrc_stop(p);
		return rc;
	}
	if (npaths > 0 && reload_ms > 0) {
		if (pthread_create(&p->thread, NULL, reloader, p) != 0) {
			polsrc_stop(p);
			return err_set(err, ERR_INTERNAL, "cannot start the policy reloader thread");
		}
		p->started = true;
	}
	*ret = p;
	return 0;
}

const struct policy_set *polsrc_acquire(struct polsrc *p, void **ret_token)
{
	struct held *h;

	pthread_mutex_lock(&p->lock);
	h = p->cur;
	h->refs++;
	pthread_mutex_unlock(&p->lock);
	*ret_token = h;
	return h->set;
}

void polsrc_release(struct polsrc *p, void *token)
{
	if (token != NULL)
		held_put(p, token);
}

size_t polsrc_count(struct polsrc *p)
{
	size_t n;

	pthread_mutex_lock(&p->lock);
	n = p->cur ? policy_set_count(p->cur->set) : 0;
	pthread_mutex_unlock(&p->lock);
	return n;
}

void polsrc_stop(struct polsrc *p)
{
	if (p == NULL)
		return;
	if (p->started) {
		pthread_mutex_lock(&p->lock);
		p->stopping = true;
		pthread_cond_signal(&p->cond);
		pthread_mutex_unlock(&p->lock);
		pthread_join(p->thread, NULL);
	}
	if (p->cur != NULL)
		held_put(p, p->cur);
	pthread_mutex_destroy(&p->lock);
	pthread_cond_destroy(&p->cond);
	free(p);
}
