/* SPDX-License-Identifier: MIT */
/*
 * The xl `vsnd = [...]` device syntax (xl_parse.c) and what libxl writes for
 * it (libxl_vsnd.c): a list of xenstore keys relative to the frontend
 * directory, only the keys that were set, lists comma separated.
 */
#ifndef VG_XL_SPEC_H
#define VG_XL_SPEC_H

#include <stddef.h>
#include <stdint.h>

#define VG_SPEC_MAX_KEYS	256
#define VG_SPEC_KEY_MAX		64
#define VG_SPEC_VALUE_MAX	256

struct vg_spec_key {
	char key[VG_SPEC_KEY_MAX];	/* relative to the frontend dir, e.g. "0/1/type" */
	char value[VG_SPEC_VALUE_MAX];
};

struct vg_vsnd_spec {
	uint32_t backend_domid;		/* CARD backend=, default 0 */
	uint32_t n_keys;
	struct vg_spec_key keys[VG_SPEC_MAX_KEYS];
};

/*
 * Parses one card: items like "CARD, sample-rates=44100;48000",
 * "PCM, name=Main", "STREAM, unique-id=pb0, type=p". Returns 0, or -EINVAL
 * with an xl-like message in err.
 */
int vg_vsnd_spec_parse(struct vg_vsnd_spec *spec, const char *const *items, size_t n_items,
		char *err, size_t err_size);

/*
 * Splits one command line argument into items: the quoted strings of an xl
 * list ("['CARD, ...', 'PCM, ...']"), or the whole argument if it has no
 * quotes. Items are copied into buf; returns the count or -EINVAL.
 */
int vg_vsnd_spec_split(const char *arg, char *buf, size_t buf_size,
		const char **items, size_t max_items);

/* Appends or replaces one key (for --xs-write). */
int vg_vsnd_spec_set(struct vg_vsnd_spec *spec, const char *key, const char *value);

#endif
