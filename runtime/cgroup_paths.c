/* cgroup_paths.c - cgroup paths as strings. See cgroup_paths.h. */
#include "cgroup_paths.h"

#include <stdio.h>
#include <string.h>

/* Is CG (a cgroup path inside a hierarchy) PATH or below it? */
static bool cgroup_under(const char *cg, size_t cglen, const char *path)
{
	size_t n = strlen(path);
	while (n > 1 && path[n - 1] == '/')
		n--;
	if (n == 1 && path[0] == '/')
		return true;
	return cglen >= n && strncmp(cg, path, n) == 0 && (cglen == n || cg[n] == '/');
}

/* cgroup "/sys/fs/cgroup/memory/batch" means /batch in the hierarchy that
 * has the memory controller; "/sys/fs/cgroup/unified/x" and, on a pure
 * cgroup2 host, "/sys/fs/cgroup/x" mean /x in cgroup2; "/x" means /x in any
 * hierarchy. /proc/PID/cgroup lines read ID:CONTROLLERS:PATH. */
bool cgroup_matches(const char *want, const char *cgroups, bool v2_root)
{
	static const char mount[] = CG_MOUNT "/";
	char ctrl[64] = "";
	const char *rel = want;
	bool in_v2 = false;   /* a mounted path of a pure cgroup2 host: cgroup2's lines only */
	if (strncmp(want, mount, sizeof(mount) - 1) == 0) {
		const char *rest = want + sizeof(mount) - 1;
		size_t clen = strcspn(rest, "/");
		if (v2_root) {
			in_v2 = true;
			rel = rest - 1;
		} else if (clen < sizeof(ctrl)) {
			snprintf(ctrl, sizeof(ctrl), "%.*s", (int)clen, rest);
			rel = rest + clen;
			if (!*rel)
				rel = "/";
		}
	}
	for (const char *line = cgroups; *line;) {
		const char *end = strchr(line, '\n');
		size_t len = end ? (size_t)(end - line) : strlen(line);
		const char *c1 = memchr(line, ':', len);
		const char *c2 = c1 ? memchr(c1 + 1, ':', len - (c1 + 1 - line)) : NULL;
		if (c2) {
			const char *ctrls = c1 + 1;
			size_t ctrls_len = (size_t)(c2 - ctrls);
			const char *path = c2 + 1;
			size_t plen = len - (size_t)(path - line);
			bool hierarchy_ok;
			if (in_v2 || strcmp(ctrl, "unified") == 0)
				hierarchy_ok = ctrls_len == 0;
			else if (ctrl[0]) {
				/* "cpu,cpuacct" is mounted as that name; match any of its controllers too */
				hierarchy_ok = false;
				for (const char *c = ctrls; c < ctrls + ctrls_len;) {
					size_t n = strcspn(c, ",:");
					if (n > (size_t)(ctrls + ctrls_len - c))
						n = (size_t)(ctrls + ctrls_len - c);
					if ((strlen(ctrl) == n && strncmp(c, ctrl, n) == 0) ||
					    (ctrls_len == strlen(ctrl) && strncmp(ctrls, ctrl, ctrls_len) == 0) ||
					    (strncmp(ctrl, "name=", 5) == 0 && strncmp(c, ctrl, n) == 0))
						hierarchy_ok = true;
					c += n + 1;
				}
				if (strcmp(ctrl, "systemd") == 0 && ctrls_len == 12 && strncmp(ctrls, "name=systemd", 12) == 0)
					hierarchy_ok = true;
			} else {
				hierarchy_ok = true;
			}
			if (hierarchy_ok && cgroup_under(path, plen, rel))
				return true;
		}
		if (!end)
			break;
		line = end + 1;
	}
	return false;
}

const char *cgroup_line_path(char *line, bool want_v2)
{
	line[strcspn(line, "\n")] = '\0';
	char *c1 = strchr(line, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
	if (!c2)
		return NULL;
	*c1 = *c2 = '\0';
	const char *ctrls = c1 + 1;
	bool match = want_v2 ? strcmp(line, "0") == 0 && !*ctrls : false;
	if (!want_v2) {
		for (const char *p = ctrls; p && *p;) {
			size_t n = strcspn(p, ",");
			if (n == 6 && strncmp(p, "memory", 6) == 0)
				match = true;
			p = p[n] ? p + n + 1 : NULL;
		}
	}
	return match ? c2 + 1 : NULL;
}

bool cgroup_dir_under(const char *dir, const char *ancestor)
{
	size_t n = strlen(ancestor);
	return strncmp(dir, ancestor, n) == 0 && (dir[n] == '\0' || dir[n] == '/');
}

bool cgroup_dir_is_root(const char *dir)
{
	return strcmp(dir, V1_MEMORY) == 0 || strcmp(dir, HYBRID_V2) == 0 || strcmp(dir, CG_MOUNT) == 0 ||
	       strncmp(dir, CG_MOUNT, sizeof(CG_MOUNT) - 1) != 0;
}
