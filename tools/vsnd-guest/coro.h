/* SPDX-License-Identifier: MIT */
/*
 * Cooperative tasks on one thread. The guest's applications and the
 * toolstack are written as straight-line code with blocking waits (as the
 * ALSA application, the kernel's synchronous requests and xl are); a wait
 * yields to the event loop, which resumes every task after each round of
 * event-channel and xenstore activity so it can re-check its condition.
 */
#ifndef VG_CORO_H
#define VG_CORO_H

#include <stdbool.h>
#include <stdint.h>
#include <ucontext.h>

struct vg_co {
	ucontext_t ctx;
	ucontext_t *main;
	void (*fn)(struct vg_co *co, void *data);
	void *data;
	void *stack;
	bool done;
	int64_t deadline;	/* ns, INT64_MAX if the task waits for an event only */
};

int64_t vg_now_ns(void);

int vg_co_init(struct vg_co *co, ucontext_t *main, void (*fn)(struct vg_co *, void *), void *data);
void vg_co_free(struct vg_co *co);
/* Runs the task until it waits or ends (from the event loop only). */
void vg_co_resume(struct vg_co *co);

typedef bool (*vg_pred_t)(void *data);
/* Waits until pred(data) (checked first) or the deadline: 0 or -ETIMEDOUT. */
int vg_co_wait(struct vg_co *co, vg_pred_t pred, void *data, int64_t deadline);
void vg_co_sleep_until(struct vg_co *co, int64_t deadline);

#endif
