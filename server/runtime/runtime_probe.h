/* Finding the external programs the daemon drives (conmon, runc, crun) and
 * asking them their version. */
#ifndef CRIO_RUNTIME_PROBE_H
#define CRIO_RUNTIME_PROBE_H

/* `configured` when it is set, else `name` looked up in PATH; NULL when not
 * found or not executable. */
char *runtime_find_binary(const char *configured, const char *name);
/* The version `path --version` reports on its first line ("runc version
 * 1.1.5" gives "1.1.5"); NULL when it cannot be run. */
char *runtime_binary_version(const char *path);

#endif
