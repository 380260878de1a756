/* SPDX-License-Identifier: MIT */
/*
 * Grant tables: a guest (domain 1) grants pages, the backend (domain 0)
 * maps them. Refused maps (EINVAL, reason in the log), read-only
 * enforcement, shared data both ways, exact unmap, grant end refused while
 * mapped, a crashed mapper, domain destroy with the mapping still held.
 */
#include <signal.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sim-harness.h"
#include "xensim.h"

#define PAGE 4096

/* True if writing to p kills a child process with SIGSEGV or SIGBUS. */
static bool write_faults(volatile char *p)
{
	int status;
	pid_t pid = fork();
	if (pid == 0) {
		/* Die from the signal itself, even under a sanitizer's handler. */
		signal(SIGSEGV, SIG_DFL);
		signal(SIGBUS, SIG_DFL);
		p[0] = 'X';
		_exit(0);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		return false;
	return WIFSIGNALED(status) &&
		(WTERMSIG(status) == SIGSEGV || WTERMSIG(status) == SIGBUS);
}

int main(int argc, char **argv)
{
	struct sim_harness h;
	struct xensim *dom0, *guest, *other;
	uint32_t refs[4], ro_ref, other_ref;
	char *gpages, *ro_page, *other_page, *map;

	REQUIRE(argc == 2);
	harness_start(&h, argv[1]);
	dom0 = xensim_connect(h.control, 0);
	REQUIRE(dom0 != NULL);
	REQUIRE(xensim_domain_create(dom0, 1, "guest") == 0);
	REQUIRE(xensim_domain_create(dom0, 2, "other") == 0);
	guest = xensim_connect(h.control, 1);
	other = xensim_connect(h.control, 2);
	REQUIRE(guest && other);
	errno = 0;
	CHECK(xensim_connect(h.control, 9) == NULL && errno == ESRCH);

	/* Only dom0 is the toolstack. */
	CHECK_EQ(xensim_domain_create(guest, 7, "x"), -EPERM);

	CHECK_EQ(xensim_grant_pages(guest, 0, 4, false, refs, (void **)&gpages), 0);
	for (int i = 0; i < 4; i++) {
		CHECK(refs[i] != 0);
		for (int j = 0; j < i; j++)
			CHECK(refs[i] != refs[j]);
		CHECK(gpages[i * PAGE] == 0);		/* fresh pages are zeroed */
	}
	CHECK_EQ(xensim_grant_pages(guest, 0, 1, true, &ro_ref, (void **)&ro_page), 0);
	CHECK_EQ(xensim_grant_pages(guest, 2, 1, false, &other_ref, (void **)&other_page), 0);

	/* Map in a different order than granted: the layout follows the refs. */
	uint32_t order[4] = { refs[2], refs[0], refs[3], refs[1] };
	memcpy(gpages + 2 * PAGE, "page2", 6);
	memcpy(gpages + 0 * PAGE, "page0", 6);
	map = xensim_map_grants(dom0, 1, 4, order, true);
	REQUIRE(map != NULL);
	CHECK(strcmp(map, "page2") == 0);
	CHECK(strcmp(map + PAGE, "page0") == 0);

	/* Shared memory both ways. */
	strcpy(map + 2 * PAGE + 100, "from backend");
	CHECK(strcmp(gpages + 3 * PAGE + 100, "from backend") == 0);
	strcpy(gpages + PAGE + 7, "from guest");
	CHECK(strcmp(map + 3 * PAGE + 7, "from guest") == 0);

	/* One map over pages of two allocations (two fds in one reply). */
	uint32_t brefs[2];
	char *bpages;
	CHECK_EQ(xensim_grant_pages(guest, 0, 2, false, brefs, (void **)&bpages), 0);
	strcpy(bpages, "b0");
	strcpy(bpages + PAGE, "b1");
	strcpy(gpages + 3 * PAGE, "a3");
	uint32_t mix[4] = { brefs[1], refs[3], brefs[0], refs[2] };
	char *mm = xensim_map_grants(dom0, 1, 4, mix, true);
	REQUIRE(mm != NULL);
	CHECK(strcmp(mm, "b1") == 0);
	CHECK(strcmp(mm + PAGE, "a3") == 0);
	CHECK(strcmp(mm + 2 * PAGE, "b0") == 0);
	CHECK(strcmp(mm + 3 * PAGE, "page2") == 0);
	CHECK_EQ(xensim_unmap_grants(dom0, mm, 4), 0);

	/* Refused: never granted, granted to another domain, wrong domain, RW on RO.
	 * Linux's gntdev fails the mmap with EINVAL whatever the reason; the
	 * simulator's log names it, one line per refusal. */
	uint32_t bogus = 4000, zero = 0;
	errno = 0;
	CHECK(xensim_map_grants(dom0, 1, 1, &bogus, false) == NULL && errno == EINVAL);
	CHECK(harness_log_has(&h, "dom0 map refused: dom1 ref 4000 never granted"));
	errno = 0;
	CHECK(xensim_map_grants(dom0, 1, 1, &zero, false) == NULL && errno == EINVAL);
	errno = 0;
	CHECK(xensim_map_grants(dom0, 1, 1, &other_ref, false) == NULL && errno == EINVAL);
	char why[96];
	snprintf(why, sizeof(why), "dom0 map refused: dom1 ref %u granted to dom2", other_ref);
	CHECK(harness_log_has(&h, why));
	errno = 0;
	CHECK(xensim_map_grants(dom0, 2, 1, &refs[0], false) == NULL && errno == EINVAL);
	errno = 0;
	CHECK(xensim_map_grants(dom0, 9, 1, &refs[0], false) == NULL && errno == EINVAL);
	CHECK(harness_log_has(&h, "dom0 map refused: dom9 does not exist"));
	errno = 0;
	CHECK(xensim_map_grants(dom0, 1, 1, &ro_ref, true) == NULL && errno == EINVAL);
	snprintf(why, sizeof(why), "dom0 map refused: dom1 ref %u read-only, writable map asked",
			ro_ref);
	CHECK(harness_log_has(&h, why));
	uint32_t mixed[2] = { refs[0], bogus };
	errno = 0;
	CHECK(xensim_map_grants(dom0, 1, 2, mixed, false) == NULL && errno == EINVAL);
	errno = 0;
	CHECK(xensim_map_grants(dom0, 1, 0, refs, false) == NULL && errno == EINVAL);

	/* The grantee is domain 2 for other_ref: it can map it. */
	char *om = xensim_map_grants(other, 1, 1, &other_ref, true);
	CHECK(om != NULL);
	if (om)
		CHECK_EQ(xensim_unmap_grants(other, om, 1), 0);

	/* Read-only grant: readable, and a write really faults. */
	strcpy(ro_page, "read me");
	char *ro = xensim_map_grants(dom0, 1, 1, &ro_ref, false);
	REQUIRE(ro != NULL);
	CHECK(strcmp(ro, "read me") == 0);
	CHECK(write_faults(ro));
	/* A read-only mapping of a writable grant is read-only too. */
	char *rm = xensim_map_grants(dom0, 1, 1, &refs[0], false);
	REQUIRE(rm != NULL);
	CHECK(write_faults(rm));
	CHECK(!write_faults(map));	/* the control: writable mapping does not fault */
	CHECK_EQ(xensim_unmap_grants(dom0, rm, 1), 0);

	/* Unmap must name exactly one mapping (libxengnttab: EINVAL), and then
	 * leaves it in place. */
	errno = 0;
	CHECK_EQ(xensim_unmap_grants(dom0, map + PAGE, 3), -EINVAL);
	CHECK_EQ(errno, EINVAL);
	CHECK_EQ(xensim_unmap_grants(dom0, map, 3), -EINVAL);
	CHECK_EQ(xensim_unmap_grants(dom0, map, 5), -EINVAL);
	CHECK_EQ(xensim_unmap_grants(dom0, rm, 1), -EINVAL);	/* unmapped already */
	CHECK(strcmp(map + PAGE, "page0") == 0);

	/* Ending a mapped grant fails and the grant stays valid (Xen's
	 * gnttab_end_foreign_access_ref); unmapping lets it end. */
	CHECK_EQ(xensim_grant_end(guest, refs[0]), -EBUSY);
	char *again = xensim_map_grants(dom0, 1, 1, &refs[0], true);
	CHECK(again != NULL);
	if (again) {
		CHECK(strcmp(again, "page0") == 0);
		CHECK_EQ(xensim_unmap_grants(dom0, again, 1), 0);
	}
	CHECK_EQ(xensim_grant_end(guest, refs[0]), -EBUSY);	/* `map` still holds it */
	uint32_t r0 = refs[0];
	char *solo = xensim_map_grants(dom0, 1, 1, &brefs[0], true);
	REQUIRE(solo != NULL);
	CHECK_EQ(xensim_grant_end(guest, brefs[0]), -EBUSY);
	CHECK_EQ(xensim_unmap_grants(dom0, solo, 1), 0);
	CHECK_EQ(xensim_grant_end(guest, brefs[0]), 0);
	CHECK_EQ(xensim_grant_end(guest, brefs[0]), -ENOENT);
	errno = 0;
	CHECK(xensim_map_grants(dom0, 1, 1, &brefs[0], true) == NULL && errno == EINVAL);
	/* Ending someone else's ref is not possible. */
	CHECK(xensim_grant_end(other, refs[1]) < 0);

	/* A mapper that goes away (a backend crash) no longer pins the grant,
	 * like gntdev's release on close. */
	struct xensim *crash = xensim_connect(h.control, 0);
	REQUIRE(crash != NULL);
	char *cm = xensim_map_grants(crash, 1, 1, &brefs[1], false);
	REQUIRE(cm != NULL);
	CHECK_EQ(xensim_grant_end(guest, brefs[1]), -EBUSY);
	xensim_disconnect(crash);
	munmap(cm, PAGE);
	CHECK_EQ(xensim_grant_end(guest, brefs[1]), 0);
	CHECK_EQ(xensim_free_pages(guest, bpages, 2), 0);

	/* Domain destroy: grants end even while mapped, mappings stay. */
	CHECK_EQ(xensim_domain_destroy(dom0, 1), 0);
	CHECK(xensim_map_grants(dom0, 1, 1, &r0, true) == NULL);
	CHECK(xensim_map_grants(dom0, 1, 1, &refs[1], true) == NULL);
	strcpy(map + 2 * PAGE, "after destroy");
	CHECK(strcmp(gpages + 3 * PAGE, "after destroy") == 0);
	CHECK(strcmp(ro, "read me") == 0);
	/* The destroyed domain's client is disconnected. */
	uint32_t r2;
	void *a2;
	CHECK(xensim_grant_pages(guest, 0, 1, false, &r2, &a2) < 0);

	CHECK_EQ(xensim_unmap_grants(dom0, map, 4), 0);
	CHECK_EQ(xensim_unmap_grants(dom0, ro, 1), 0);
	CHECK_EQ(xensim_free_pages(guest, gpages, 4), 0);
	xensim_disconnect(guest);
	xensim_disconnect(other);
	xensim_disconnect(dom0);
	harness_stop(&h);
	return harness_result("test-grants");
}
