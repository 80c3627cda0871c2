#include "net_stats.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/nsfs.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/fs.h"
#include "util/strbuf.h"
#include "util/xalloc.h"

/* ----------------------------------------------------------------- parse */

/* One interface line, "name: 16 counters"; 1 when parsed, 0 when the line
 * is no interface line (headers, blank), -1 when it is one but malformed. */
static int parse_line(char *line, net_iface_stats *ifs)
{
  char *colon = strchr(line, ':');
  if (!colon)
    return 0;
  char *name = line + strspn(line, " \t");
  size_t len = (size_t)(colon - name);
  while (len > 0 && (name[len - 1] == ' ' || name[len - 1] == '\t'))
    len--;
  if (len == 0 || len >= sizeof ifs->name || memchr(name, ' ', len) || memchr(name, '|', len))
    return -1;
  unsigned long long v[16];
  char *p = colon + 1;
  for (int i = 0; i < 16; i++) {
    char *end = NULL;
    errno = 0;
    v[i] = strtoull(p, &end, 10);
    if (end == p || errno)
      return -1;
    p = end;
  }
  memset(ifs, 0, sizeof *ifs);
  memcpy(ifs->name, name, len);
  /* receive: bytes packets errs drop fifo frame compressed multicast;
   * transmit: bytes packets errs drop fifo colls carrier compressed */
  ifs->s = (net_stats){.rx_bytes = v[0], .rx_packets = v[1], .rx_errors = v[2],
                       .rx_dropped = v[3], .tx_bytes = v[8], .tx_packets = v[9],
                       .tx_errors = v[10], .tx_dropped = v[11]};
  return 1;
}

int net_stats_parse(const char *text, const char *what, net_iface_stats **out, size_t *n,
                    crio_err **err)
{
  _cleanup_free_ char *copy = xstrdup(text ? text : "");
  _cleanup_free_ net_iface_stats *list = NULL;
  size_t count = 0, lineno = 0;
  for (char *save = NULL, *line = strtok_r(copy, "\n", &save); line;
       line = strtok_r(NULL, "\n", &save)) {
    lineno++;
    net_iface_stats ifs;
    int r = parse_line(line, &ifs);
    if (r < 0)
      return crio_err_set(err, CRIO_E_IO, "parse %s: line %zu is not an interface line: \"%.80s\"",
                          what, lineno, line);
    if (r == 0 || strcmp(ifs.name, "lo") == 0)
      continue;
    list = xrealloc(list, (count + 1) * sizeof *list);
    list[count++] = ifs;
  }
  *out = steal_pointer(&list);
  *n = count;
  return 0;
}

net_stats net_stats_total(const net_iface_stats *ifs, size_t n)
{
  net_stats t = {0};
  for (size_t i = 0; i < n; i++) {
    t.rx_bytes += ifs[i].s.rx_bytes;
    t.rx_packets += ifs[i].s.rx_packets;
    t.rx_errors += ifs[i].s.rx_errors;
    t.rx_dropped += ifs[i].s.rx_dropped;
    t.tx_bytes += ifs[i].s.tx_bytes;
    t.tx_packets += ifs[i].s.tx_packets;
    t.tx_errors += ifs[i].s.tx_errors;
    t.tx_dropped += ifs[i].s.tx_dropped;
  }
  return t;
}

/* ------------------------------------------------------------------ read */

int net_stats_read_pid(pid_t pid, net_iface_stats **out, size_t *n, crio_err **err)
{
  if (pid <= 0)
    return crio_err_set(err, CRIO_E_INVALID, "network stats: invalid pid %d", (int)pid);
  _cleanup_free_ char *path = xasprintf("/proc/%d/net/dev", (int)pid);
  _cleanup_free_ char *text = NULL;
  crio_err *local = NULL;
  if (read_file(path, &text, NULL, &local) < 0) {
    int r = crio_err_set(err, local->code, "network stats of pid %d: %s", (int)pid,
                         local->message);
    crio_err_free(local);
    return r;
  }
  return net_stats_parse(text, path, out, n, err);
}

/* What the child reports when a step fails: which, and errno. */
typedef struct child_failure {
  int step;
  int errnum;
} child_failure;

enum { STEP_SETNS = 1, STEP_OPEN, STEP_READ, STEP_WRITE };
static const char *const step_names[] = {"", "enter the namespace", "open /proc/self/net/dev",
                                         "read /proc/self/net/dev", "write to the pipe"};

static void child_fail(int errfd, int step)
{
  child_failure f = {step, errno};
  ssize_t w = write(errfd, &f, sizeof f);
  (void)w;
  _exit(1);
}

static ssize_t write_all(int fd, const char *buf, size_t len)
{
  size_t done = 0;
  while (done < len) {
    ssize_t w = write(fd, buf + done, len - done);
    if (w < 0 && errno == EINTR)
      continue;
    if (w <= 0)
      return -1;
    done += (size_t)w;
  }
  return (ssize_t)done;
}

/* In the forked child: async-signal-safe calls only, no allocation. */
static void child_run(int nsfd, int datafd, int errfd)
{
  if (setns(nsfd, CLONE_NEWNET) < 0)
    child_fail(errfd, STEP_SETNS);
  int fd = open("/proc/self/net/dev", O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    child_fail(errfd, STEP_OPEN);
  char buf[4096];
  for (;;) {
    ssize_t r = read(fd, buf, sizeof buf);
    if (r < 0 && errno == EINTR)
      continue;
    if (r < 0)
      child_fail(errfd, STEP_READ);
    if (r == 0)
      break;
    if (write_all(datafd, buf, (size_t)r) < 0)
      child_fail(errfd, STEP_WRITE);
  }
  _exit(0);
}

/* Opens netns_path and checks that it is a network namespace. */
static int open_netns(const char *netns_path, int *fd_out, crio_err **err)
{
  _cleanup_close_ int fd = open(netns_path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return crio_err_errno(err, errno == ENOENT ? CRIO_E_NOT_FOUND : CRIO_E_IO, errno,
                          "network stats: open network namespace %s", netns_path);
  int type = ioctl(fd, NS_GET_NSTYPE);
  if (type < 0 && errno == ENOTTY)
    return crio_err_set(err, CRIO_E_INVALID, "network stats: %s is not a namespace file",
                        netns_path);
  if (type < 0)
    return crio_err_errno(err, CRIO_E_IO, errno, "network stats: namespace type of %s",
                          netns_path);
  if (type != CLONE_NEWNET)
    return crio_err_set(err, CRIO_E_INVALID, "network stats: %s is not a network namespace",
                        netns_path);
  *fd_out = steal_fd(&fd);
  return 0;
}

/* Everything from fd up to end of file. */
static int drain(int fd, strbuf *b, const char *netns_path, crio_err **err)
{
  char buf[4096];
  for (;;) {
    ssize_t r = read(fd, buf, sizeof buf);
    if (r < 0 && errno == EINTR)
      continue;
    if (r < 0)
      return crio_err_errno(err, CRIO_E_IO, errno,
                            "network stats of %s: read from the child's pipe", netns_path);
    if (r == 0)
      return 0;
    strbuf_append(b, buf, (size_t)r);
  }
}

/* Reaps pid and turns its failure report into an error. */
static int child_result(pid_t pid, int errfd, const char *netns_path, crio_err **err)
{
  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR)
      return crio_err_errno(err, CRIO_E_INTERNAL, errno, "network stats of %s: wait for child %d",
                            netns_path, (int)pid);
  }
  child_failure f = {0, 0};
  ssize_t got = read(errfd, &f, sizeof f);
  if (got == (ssize_t)sizeof f && f.step >= STEP_SETNS && f.step <= STEP_WRITE)
    return crio_err_errno(err, CRIO_E_IO, f.errnum, "network stats of %s: %s", netns_path,
                          step_names[f.step]);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    return crio_err_set(err, CRIO_E_INTERNAL, "network stats of %s: child %d failed (status 0x%x)",
                        netns_path, (int)pid, status);
  return 0;
}

int net_stats_read_netns(const char *netns_path, net_iface_stats **out, size_t *n,
                         crio_err **err)
{
  _cleanup_close_ int nsfd = -1;
  int r = open_netns(netns_path, &nsfd, err);
  if (r < 0)
    return r;
  /* O_CLOEXEC: children other threads fork and exec must not hold the
   * write ends, or the read below would wait for them. */
  int data[2] = {-1, -1}, errp[2] = {-1, -1};
  if (pipe2(data, O_CLOEXEC) < 0)
    return crio_err_errno(err, CRIO_E_IO, errno, "network stats of %s: pipe", netns_path);
  _cleanup_close_ int data_rd = data[0], data_wr = data[1];
  if (pipe2(errp, O_CLOEXEC) < 0)
    return crio_err_errno(err, CRIO_E_IO, errno, "network stats of %s: pipe", netns_path);
  _cleanup_close_ int err_rd = errp[0], err_wr = errp[1];

  pid_t pid = fork();
  if (pid < 0)
    return crio_err_errno(err, CRIO_E_IO, errno, "network stats of %s: fork", netns_path);
  if (pid == 0)
    child_run(nsfd, data_wr, err_wr);
  close(steal_fd(&data_wr));
  close(steal_fd(&err_wr));

  _cleanup_strbuf_ strbuf text = STRBUF_INIT;
  int dr = drain(data_rd, &text, netns_path, err);
  close(steal_fd(&data_rd)); /* a child still writing gets EPIPE, not a hang */
  r = child_result(pid, err_rd, netns_path, err);
  if (dr < 0)
    return dr;
  if (r < 0)
    return r;
  _cleanup_free_ char *what = xasprintf("net/dev of %s", netns_path);
  return net_stats_parse(text.data ? text.data : "", what, out, n, err);
}
