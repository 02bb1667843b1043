/* SPDX-License-Identifier: Apache-2.0 */
/* Capability names ↔ numbers (CAP_CHOWN = 0 … CAP_CHECKPOINT_RESTORE = 40). */
#include <ctype.h>
#include <errno.h>
#include <string.h>
#include <strings.h>

#include "plastron/catalog.h"
#include "shared/macro.h"

static const char *const cap_names[PL_CAP_LAST + 1] = {
	"CAP_CHOWN",
	"CAP_DAC_OVERRIDE",
	"CAP_DAC_READ_SEARCH",
	"CAP_FOWNER",
	"CAP_FSETID",
	"CAP_KILL",
	"CAP_SETGID",
	"CAP_SETUID",
	"CAP_SETPCAP",
	"CAP_LINUX_IMMUTABLE",
	"CAP_NET_BIND_SERVICE",
	"CAP_NET_BROADCAST",
	"CAP_NET_ADMIN",
	"CAP_NET_RAW",
	"CAP_IPC_LOCK",
	"CAP_IPC_OWNER",
	"CAP_SYS_MODULE",
	"CAP_SYS_RAWIO",
	"CAP_SYS_CHROOT",
	"CAP_SYS_PTRACE",
	"CAP_SYS_PACCT",
	"CAP_SYS_ADMIN",
	"CAP_SYS_BOOT",
	"CAP_SYS_NICE",
	"CAP_SYS_RESOURCE",
	"CAP_SYS_TIME",
	"CAP_SYS_TTY_CONFIG",
	"CAP_MKNOD",
	"CAP_LEASE",
	"CAP_AUDIT_WRITE",
	"CAP_AUDIT_CONTROL",
	"CAP_SETFCAP",
	"CAP_MAC_OVERRIDE",
	"CAP_MAC_ADMIN",
	"CAP_SYSLOG",
	"CAP_WAKE_ALARM",
	"CAP_BLOCK_SUSPEND",
	"CAP_AUDIT_READ",
	"CAP_PERFMON",
	"CAP_BPF",
	"CAP_CHECKPOINT_RESTORE",
};

PL_EXPORT const char *pl_cap_name(int cap)
{
	if (cap < 0 || cap > PL_CAP_LAST)
		return NULL;
	return cap_names[cap];
}

PL_EXPORT int pl_cap_from_name(const char *name)
{
	char buf[64];
	size_t i;

	if (!name)
		return -EINVAL;
	if (!strncasecmp(name, "CAP_", 4))
		name += 4;
	for (i = 0; name[i]; i++) {
		if (i + 1 >= sizeof(buf))
			return -ENOENT;
		buf[i] = name[i] == '-' ? '_' : (char)toupper((unsigned char)name[i]);
	}
	buf[i] = '\0';
	if (!i)
		return -ENOENT;
	for (int c = 0; c <= PL_CAP_LAST; c++)
		if (!strcmp(cap_names[c] + 4, buf))
			return c;
	return -ENOENT;
}
