/* SPDX-License-Identifier: MIT */
/*
 * One place that includes the Xen public headers in the order they need.
 * Everything in xen-snd uses the wire structs and ring macros from
 * libxen-dev's <xen/io/sndif.h>; nothing here redefines them.
 */
#ifndef XSND_SNDIF_H
#define XSND_SNDIF_H

#include <stdint.h>

/* <xen/io/ring.h> expects the includer to provide the barriers (xenctrl.h
 * does for Xen's own tools). Shared-memory ordering between domains:
 * mb = full fence, rmb orders loads, wmb orders stores. */
#ifndef mb
#define mb()	__atomic_thread_fence(__ATOMIC_SEQ_CST)
#endif
#ifndef rmb
#define rmb()	__atomic_thread_fence(__ATOMIC_ACQUIRE)
#endif
#ifndef wmb
#define wmb()	__atomic_thread_fence(__ATOMIC_RELEASE)
#endif

#include <xen/xen.h>
#include <xen/grant_table.h>
#include <xen/io/ring.h>
#include <xen/io/sndif.h>
#include <xen/io/xenbus.h>

#define XSND_PAGE_SIZE		4096u
/* Linux xen_snd_front: VSND_MAX_STREAM streams per PCM device. */
#define XSND_MAX_STREAMS_PER_PCM	8u
/* Linux probes PCM device nodes with a 3-char buffer: 2 digits at most,
 * and SNDRV_PCM_DEVICES (8) limits what ALSA registers. */
#define XSND_MAX_PCMS		8u
#define XSND_MAX_STREAMS	(XSND_MAX_PCMS * XSND_MAX_STREAMS_PER_PCM)
/* Grant refs per page-directory page. */
#define XSND_GREFS_PER_DIR_PAGE	((XSND_PAGE_SIZE - sizeof(grant_ref_t)) / sizeof(grant_ref_t))

#endif
