/* SPDX-License-Identifier: MIT */
/*
 * One PipeWire client per guest domain. Its properties carry the VM's name,
 * so pavucontrol and pactl show "<vm>: <pcm>" for each guest stream and the
 * session manager stores per-VM volumes. Only streams of that VM live on it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <spa/utils/result.h>

#include "xen-snd.h"
#include "../xen/xs-util.h"

/* The name comes from xenstore; keep it printable, short and free of the
 * characters that would change the meaning of a node name or a rule. */
static void sanitize_name(char *dst, size_t size, const char *src, uint32_t domid)
{
	size_t i, j = 0;

	for (i = 0; src[i] != '\0' && j + 1 < size; i++) {
		unsigned char c = (unsigned char)src[i];
		dst[j++] = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			(c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.' ? (char)c : '_';
	}
	dst[j] = '\0';
	if (j == 0)
		snprintf(dst, size, "domain-%u", domid);
}

struct xsnd_vm *xsnd_vm_get(struct impl *impl, uint32_t domid)
{
	struct xsnd_vm *vm;
	char path[64], name[64];

	spa_list_for_each(vm, &impl->vms, link) {
		if (vm->domid == domid) {
			vm->refcount++;
			return vm;
		}
	}
	vm = calloc(1, sizeof(*vm));
	if (vm == NULL)
		return NULL;
	vm->impl = impl;
	vm->domid = domid;
	vm->refcount = 1;
	vm->links = xsnd_link_hub_new(impl->main_loop);
	if (vm->links == NULL) {
		free(vm);
		return NULL;
	}
	snprintf(path, sizeof(path), "/local/domain/%u/name", domid);
	if (xsnd_xs_read(impl->xen->xs, path, name, sizeof(name)) < 0)
		name[0] = '\0';
	sanitize_name(vm->name, sizeof(vm->name), name, domid);
	spa_list_append(&impl->vms, &vm->link);
	return vm;
}

static void core_disconnect(struct xsnd_vm *vm)
{
	if (vm->core == NULL)
		return;
	spa_hook_remove(&vm->core_listener);
	spa_hook_remove(&vm->core_proxy_listener);
	pw_core_disconnect(vm->core);
	vm->core = NULL;
}

void xsnd_vm_unref(struct xsnd_vm *vm)
{
	if (--vm->refcount > 0)
		return;
	xsnd_link_hub_destroy(vm->links);
	core_disconnect(vm);
	spa_list_remove(&vm->link);
	free(vm);
}

static void on_core_error(void *data, uint32_t id, int seq, int res, const char *message)
{
	struct xsnd_vm *vm = data;

	pw_log_warn("VM %s: core error id:%u seq:%d res:%d (%s): %s", vm->name,
			id, seq, res, spa_strerror(res), message);
	/* The connection is gone; the next OPEN of this VM reconnects. */
	if (id == PW_ID_CORE && res == -EPIPE)
		vm->core_broken = true;
}

static const struct pw_core_events core_events = {
	PW_VERSION_CORE_EVENTS,
	.error = on_core_error,
};

static void on_core_proxy_destroy(void *data)
{
	struct xsnd_vm *vm = data;
	spa_hook_remove(&vm->core_listener);
	spa_hook_remove(&vm->core_proxy_listener);
	vm->core = NULL;
}

static const struct pw_proxy_events core_proxy_events = {
	PW_VERSION_PROXY_EVENTS,
	.destroy = on_core_proxy_destroy,
};

struct pw_core *xsnd_vm_core(struct xsnd_vm *vm)
{
	struct impl *impl = vm->impl;
	struct pw_properties *props;
	char id[96];

	if (vm->core != NULL && vm->core_broken)
		core_disconnect(vm);
	if (vm->core != NULL)
		return vm->core;

	vm->core_broken = false;
	snprintf(id, sizeof(id), "xen-snd.%s", vm->name);
	props = pw_properties_new(
			PW_KEY_APP_NAME, vm->name,
			PW_KEY_APP_ID, id,
			PW_KEY_APP_ICON_NAME, impl->icon_name,
			"xen.domain.name", vm->name,
			NULL);
	if (props == NULL)
		return NULL;
	pw_properties_setf(props, "xen.domain.id", "%u", vm->domid);
	if (impl->remote_name)
		pw_properties_set(props, PW_KEY_REMOTE_NAME, impl->remote_name);

	vm->core = pw_context_connect(impl->context, props, 0);
	if (vm->core == NULL) {
		pw_log_error("VM %s: cannot connect to PipeWire: %m", vm->name);
		return NULL;
	}
	pw_core_add_listener(vm->core, &vm->core_listener, &core_events, vm);
	pw_proxy_add_listener((struct pw_proxy *)vm->core, &vm->core_proxy_listener,
			&core_proxy_events, vm);
	pw_log_info("VM %s (domain %u): connected to PipeWire", vm->name, vm->domid);
	return vm->core;
}
