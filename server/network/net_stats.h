/* Network interface counters of a pod's network namespace, from the
 * namespace's /proc/net/dev, for the CRI's PodSandboxStats and the REST API.
 *
 * /proc/net/dev has two header lines, then one line an interface:
 *   "  eth0: rx_bytes rx_packets rx_errs rx_drop fifo frame compressed
 *    multicast tx_bytes tx_packets tx_errs tx_drop fifo colls carrier
 *    compressed"
 * The loopback interface ("lo") is left out: its traffic never leaves the
 * pod. */
#ifndef CRIO_NETWORK_NET_STATS_H
#define CRIO_NETWORK_NET_STATS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "util/err.h"

typedef struct net_stats {
  uint64_t rx_bytes, rx_packets, rx_errors, rx_dropped;
  uint64_t tx_bytes, tx_packets, tx_errors, tx_dropped;
} net_stats;

typedef struct net_iface_stats {
  char name[32];
  net_stats s;
} net_iface_stats;

/* The interfaces of pid's network namespace (/proc/PID/net/dev). *out is a
 * malloc'd array of *n entries (NULL when 0), in the file's order. A process
 * that does not exist → CRIO_E_NOT_FOUND naming the pid. */
int net_stats_read_pid(pid_t pid, net_iface_stats **out, size_t *n, crio_err **err);

/* The interfaces of the network namespace pinned at netns_path (a bind
 * mount of /proc/X/ns/net, see ns_pin.h), for pods whose containers are
 * gone. A short-lived child enters the namespace and sends the file's bytes
 * back through a pipe: the daemon's own threads never change namespace, and
 * the child, forked from a multi-threaded process, does only async-signal-
 * safe work (setns, open, read, write, _exit). netns_path missing →
 * CRIO_E_NOT_FOUND; not a network namespace → CRIO_E_INVALID. */
int net_stats_read_netns(const char *netns_path, net_iface_stats **out, size_t *n,
                         crio_err **err);

/* Parses the text of a /proc/net/dev file (what both readers do); `what`
 * names its source in error messages. */
int net_stats_parse(const char *text, const char *what, net_iface_stats **out, size_t *n,
                    crio_err **err);

/* The sum over the interfaces. */
net_stats net_stats_total(const net_iface_stats *ifs, size_t n);

#endif
