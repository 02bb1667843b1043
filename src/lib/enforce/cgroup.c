/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "plastron/enforce.h"
#include "shared/macro.h"

PL_EXPORT int pl_cgroup2_mount(char *buf, size_t len)
{
	FILE *f = fopen("/proc/self/mountinfo", "re");
	char line[4096];
	int r = -ENOENT;

	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		/* id parent maj:min root mountpoint opts ... - fstype source superopts */
		char *sep = strstr(line, " - ");
		char *save = NULL, *tok;

		if (!sep || strncmp(sep + 3, "cgroup2 ", 8))
			continue;
		tok = strtok_r(line, " ", &save);
		for (int i = 0; tok && i < 4; i++)
			tok = strtok_r(NULL, " ", &save);
		if (!tok)
			continue;
		r = (size_t)snprintf(buf, len, "%s", tok) >= len ? -ENAMETOOLONG : 0;
		break;
	}
	fclose(f);
	return r;
}
