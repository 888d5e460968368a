/* ra/ra-writer.c: the one writer thread: group commit of the workers' writes */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ra_server.h"

/*
 * Workers check and sign on their own threads, then hand the write to
 * this thread (ra_write) and wait.  The writer takes everything queued,
 * runs it in one transaction (each write in a savepoint of it, so that a
 * refused write undoes only itself), commits once, and only then wakes
 * the waiting workers to answer: one fsync for the whole group.  Writes
 * that commit on their own (approving a revocation request, a holder's
 * revocation) run alone between groups, in the order they came.
 */

static __thread char wmsg[1024];
static __thread int wmsg_set;

const char *
ra_error_last(void)
{
	return wmsg_set ? wmsg : gp_error_last();
}

void
ra_error_reset(void)
{
	wmsg_set = 0;
}

/* Runs one write on the writer's RA; its message when it fails (or, for
 * an approval that ended failed, the reason). */
static void
run(gp_ra *ra, wop *op)
{
	gp_error_clear();
	switch (op->kind) {
	case WOP_SUBMIT:
		op->rc = gp_ra_submit_store(ra, &op->req, op->sub);
		break;
	case WOP_APPROVE:
		op->rc = gp_ra_approve_store(ra, &op->fin, op->appr);
		break;
	default:
		op->rc = op->fn(ra, op->arg);
		break;
	}
	if (op->rc != 0 || (op->kind == WOP_APPROVE && op->fin == GP_RA_FAILED))
		snprintf(op->msg, sizeof(op->msg), "%s", gp_error_last());
}

/* Wakes the workers of ops [from, to), each on its own condition: a
 * broadcast would wake every waiting worker for every group.  An op is
 * gone once its worker runs again, which needs wq_mu: o->next is read
 * before the lock is released. */
static void
wake(server *s, wop *from, wop *to)
{
	pthread_mutex_lock(&s->wq_mu);
	for (wop *o = from; o != to; o = o->next) {
		o->done = 1;
		pthread_cond_signal(&o->cv);
	}
	pthread_mutex_unlock(&s->wq_mu);
}

/* Commits the open group [from, to): a failed commit fails each write
 * that had succeeded in it. */
static void
commit_group(server *s, wop *from, wop *to)
{
	gp_ra *ra = s->writer.ra;
	size_t n = 0;
	int r;

	if ((r = gp_ra_group_commit(ra)) != 0) {
		char m[1024];

		snprintf(m, sizeof(m), "%s", gp_error_last());
		for (wop *o = from; o != to; o = o->next) {
			if (o->rc == 0) {
				o->rc = r;
				snprintf(o->msg, sizeof(o->msg), "group commit: %.900s", m);
			}
		}
	}
	for (wop *o = from; o != to; o = o->next)
		n++;
	__atomic_fetch_add(&s->groups, 1, __ATOMIC_RELAXED);
	__atomic_fetch_add(&s->group_writes, n, __ATOMIC_RELAXED);
}

/* Runs a batch of queued writes, in order. */
static void
run_batch(server *s, wop *batch)
{
	gp_ra *ra = s->writer.ra;
	wop *from = NULL, *o, *next;
	int r;

	for (o = batch; o != NULL; o = next) {
		next = o->next;
		if (!o->grouped) {
			if (from != NULL) {
				commit_group(s, from, o);
				wake(s, from, o);
				from = NULL;
			}
			run(ra, o);
			wake(s, o, next);
			continue;
		}
		if (from == NULL) {
			if ((r = gp_ra_group_begin(ra)) != 0) {
				o->rc = r;
				snprintf(o->msg, sizeof(o->msg), "%s", gp_error_last());
				wake(s, o, next);
				continue;
			}
			from = o;
		}
		run(ra, o);
	}
	if (from != NULL) {
		commit_group(s, from, NULL);
		wake(s, from, NULL);
	}
}

static void *
writer_main(void *arg)
{
	server *s = arg;

	for (;;) {
		wop *batch;

		pthread_mutex_lock(&s->wq_mu);
		while (s->wq_head == NULL && !s->wq_stop)
			pthread_cond_wait(&s->wq_cv, &s->wq_mu);
		if (s->wq_head == NULL) {
			pthread_mutex_unlock(&s->wq_mu);
			return NULL;
		}
		/* everything queued so far is one group */
		batch = s->wq_head;
		s->wq_head = s->wq_tail = NULL;
		pthread_mutex_unlock(&s->wq_mu);
		run_batch(s, batch);
	}
}

int
ra_write(wop *op)
{
	server *s = ra_srv;

	op->rc = 0;
	op->msg[0] = '\0';
	op->done = 0;
	op->next = NULL;
	pthread_cond_init(&op->cv, NULL);
	pthread_mutex_lock(&s->wq_mu);
	if (!s->writer_running || s->wq_stop) {
		pthread_mutex_unlock(&s->wq_mu);
		op->rc = GP_E_STATE;
		snprintf(op->msg, sizeof(op->msg), "the RA is stopping");
	} else {
		if (s->wq_tail != NULL)
			s->wq_tail->next = op;
		else
			s->wq_head = op;
		s->wq_tail = op;
		pthread_cond_signal(&s->wq_cv);
		while (!op->done)
			pthread_cond_wait(&op->cv, &s->wq_mu);
		pthread_mutex_unlock(&s->wq_mu);
	}
	pthread_cond_destroy(&op->cv);
	wmsg_set = op->rc != 0;
	if (wmsg_set)
		snprintf(wmsg, sizeof(wmsg), "%s", op->msg);
	return op->rc;
}

int
ra_write_call(int (*fn)(gp_ra *ra, void *arg), void *arg, int grouped)
{
	wop op;

	memset(&op, 0, sizeof(op));
	op.kind = WOP_CALL;
	op.grouped = grouped;
	op.fn = fn;
	op.arg = arg;
	return ra_write(&op);
}

/* ra_issue_auto's write: the request stored and committed, then the
 * signer asked (gp_ra_submit_auto), alone between groups. */
struct auto_write {
	const gp_ra_submission *sub;
	int channel;
	int64_t order;
	X509 *cert;
	int64_t id;
};

static int
do_auto_write(gp_ra *ra, void *arg)
{
	struct auto_write *x = arg;

	return gp_ra_submit_auto(&x->cert, &x->id, ra, x->sub, x->channel, x->order);
}

int
ra_issue_auto(X509 **out, int64_t *id, const gp_ra_submission *sub, int channel, int64_t order)
{
	struct auto_write x;
	int r;

	memset(&x, 0, sizeof(x));
	x.sub = sub;
	x.channel = channel;
	x.order = order;
	r = ra_write_call(do_auto_write, &x, 0);
	*out = x.cert;
	*id = x.id;
	if (r != 0) {
		X509_free(x.cert);
		*out = NULL;
	}
	return r;
}

int
ra_writer_start(server *s)
{
	pthread_mutex_init(&s->wq_mu, NULL);
	pthread_cond_init(&s->wq_cv, NULL);
	if (pthread_create(&s->writer_tid, NULL, writer_main, s) != 0)
		return -1;
	s->writer_running = 1;
	return 0;
}

/* Runs what is queued, then ends the thread. */
void
ra_writer_stop(server *s)
{
	if (!s->writer_running)
		return;
	pthread_mutex_lock(&s->wq_mu);
	s->wq_stop = 1;
	pthread_cond_signal(&s->wq_cv);
	pthread_mutex_unlock(&s->wq_mu);
	pthread_join(s->writer_tid, NULL);
	s->writer_running = 0;
}
