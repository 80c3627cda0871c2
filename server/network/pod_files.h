/* A pod's /etc files (resolv.conf, hosts, hostname), written under the pod's
 * directory (e.g. RUNROOT/pods/POD_ID/) and bind-mounted into each of its
 * containers by the OCI spec. Each write is atomic (temporary file + rename),
 * so a container never sees half a file; every input is validated before the
 * file is written, and a refused input leaves any earlier file untouched.
 * path_out (optional) gets the written file's path. */
#ifndef CRIO_NETWORK_POD_FILES_H
#define CRIO_NETWORK_POD_FILES_H

#include <stddef.h>

#include "util/err.h"

/* At most this many search domains, as resolv.conf(5) long allowed. */
#define POD_RESOLV_MAX_SEARCHES 6

/* dir/resolv.conf. With no servers, searches and options at all (the CRI's
 * DNSConfig left empty), the host's /etc/resolv.conf is copied as it is, as
 * CRI-O does (an empty file when the host has none). Otherwise the file holds
 * exactly what was given: "search a b", one "nameserver IP" line per server,
 * "options x y". Servers must be IPv4 or IPv6 addresses (an IPv6 zone,
 * "fe80::1%eth0", is allowed); searches domain names (at most 6, at most 253
 * characters each, labels of letters, digits, '-' and '_', an optional final
 * dot); options words of letters, digits and ":._-". */
int pod_write_resolv_conf(const char *dir, const char *const *servers, size_t n,
                          const char *const *searches, size_t ns, const char *const *options,
                          size_t no, char **path_out, crio_err **err);

/* dir/hosts:
 *   127.0.0.1\tlocalhost
 *   ::1\tlocalhost ip6-localhost ip6-loopback
 *   IP\thostname          (one line per pod IP, in the order given) */
int pod_write_hosts(const char *dir, const char *hostname, const char *const *ips, size_t n_ips,
                    char **path_out, crio_err **err);

/* dir/hostname: "hostname\n". */
int pod_write_hostname(const char *dir, const char *hostname, char **path_out, crio_err **err);

/* RFC 1123 host name: dot-separated labels of letters, digits and '-', each
 * 1..63 characters, starting and ending with a letter or digit; at most 253
 * characters in all. CRIO_E_INVALID naming the hostname and the rule broken. */
int pod_validate_hostname(const char *h, crio_err **err);

#endif
