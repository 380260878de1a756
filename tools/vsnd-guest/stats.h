/* SPDX-License-Identifier: MIT */
/* Per-stream statistics of the guest simulator: request counts and answer
 * times per operation, position events, errors; printed as a table or JSON. */
#ifndef VG_STATS_H
#define VG_STATS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define VG_N_OPS	10	/* XENSND_OP_OPEN .. XENSND_OP_HW_PARAM_QUERY */
#define VG_MAX_SAMPLES	(1u << 20)	/* answer times kept per operation */

struct vg_op_stats {
	uint64_t count;
	uint64_t errors;	/* non-zero status */
	uint64_t timeouts;
	uint32_t n_samples;
	uint32_t cap;
	uint32_t *us;		/* answer times in microseconds */
};

struct vg_stream_stats {
	char name[64];		/* "vm<domid>/<devid>/<pcm>/<stream>" */
	bool playback;
	struct vg_op_stats ops[VG_N_OPS];
	uint64_t cur_pos_events;
	uint64_t id_errors;		/* events dropped because of a wrong id */
	uint64_t first_bad_id_expected;
	uint64_t first_bad_id_got;
	uint64_t last_position;		/* bytes, as reported by the backend */
	uint64_t period_elapsed;
	uint64_t xruns;
	uint64_t bytes;			/* played (written) or recorded */
	uint64_t frames;
	char result[128];		/* "ok" or the error of the application */
	bool ok;
};

void vg_stats_record(struct vg_stream_stats *s, uint32_t op, int status, uint64_t us);
void vg_stats_free(struct vg_stream_stats *s);
const char *vg_op_name(uint32_t op);

/* Percentile (0..100) of an operation's answer times, 0 if none. */
uint32_t vg_stats_percentile(const struct vg_op_stats *o, double pct);

void vg_stats_print_table(FILE *f, struct vg_stream_stats *const *s, uint32_t n);
int vg_stats_write_json(const char *path, struct vg_stream_stats *const *s, uint32_t n, bool ok);

#endif
