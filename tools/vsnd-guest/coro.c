/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdlib.h>
#include <time.h>

#include "coro.h"

#define VG_CO_STACK	(256 * 1024)

int64_t vg_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* makecontext passes ints only: the pointer travels in two halves. */
static void trampoline(unsigned int lo, unsigned int hi)
{
	struct vg_co *co = (struct vg_co *)(((uintptr_t)hi << 32) | (uintptr_t)lo);

	co->fn(co, co->data);
	co->done = true;
	swapcontext(&co->ctx, co->main);
}

int vg_co_init(struct vg_co *co, ucontext_t *main, void (*fn)(struct vg_co *, void *), void *data)
{
	uintptr_t p = (uintptr_t)co;

	co->main = main;
	co->fn = fn;
	co->data = data;
	co->done = false;
	co->deadline = 0;
	co->stack = malloc(VG_CO_STACK);
	if (co->stack == NULL)
		return -ENOMEM;
	if (getcontext(&co->ctx) < 0) {
		free(co->stack);
		return -errno;
	}
	co->ctx.uc_stack.ss_sp = co->stack;
	co->ctx.uc_stack.ss_size = VG_CO_STACK;
	co->ctx.uc_link = NULL;
	makecontext(&co->ctx, (void (*)(void))trampoline, 2,
			(unsigned int)(p & 0xffffffffu), (unsigned int)((uint64_t)p >> 32));
	return 0;
}

void vg_co_free(struct vg_co *co)
{
	free(co->stack);
	co->stack = NULL;
}

void vg_co_resume(struct vg_co *co)
{
	if (!co->done)
		swapcontext(co->main, &co->ctx);
}

static void yield(struct vg_co *co)
{
	swapcontext(&co->ctx, co->main);
}

int vg_co_wait(struct vg_co *co, vg_pred_t pred, void *data, int64_t deadline)
{
	for (;;) {
		if (pred != NULL && pred(data))
			return 0;
		if (vg_now_ns() >= deadline)
			return -ETIMEDOUT;
		co->deadline = deadline;
		yield(co);
		co->deadline = INT64_MAX;
	}
}

void vg_co_sleep_until(struct vg_co *co, int64_t deadline)
{
	vg_co_wait(co, NULL, NULL, deadline);
}
