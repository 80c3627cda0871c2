#include "ns_pin.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/magic.h>
#include <net/if.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include "pod_files.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/log.h"
#include "util/xalloc.h"

#ifndef NSFS_MAGIC
#define NSFS_MAGIC 0x6e736673
#endif

typedef struct ns_kind_info {
  int kind;
  int clone_flag;
  const char *proc_name; /* /proc/PID/ns/<proc_name> */
  const char *subdir;    /* ns_dir/<subdir>/POD_ID */
} ns_kind_info;

static const ns_kind_info ns_kinds[] = {
    {NS_PIN_NET, CLONE_NEWNET, "net", "netns"},
    {NS_PIN_IPC, CLONE_NEWIPC, "ipc", "ipcns"},
    {NS_PIN_UTS, CLONE_NEWUTS, "uts", "utsns"},
};

/* What the child reports through its pipe: the step that failed (0: none)
 * and its errno. */
enum { CHILD_OK = 0, CHILD_UNSHARE, CHILD_HOSTNAME, CHILD_LOOPBACK };
typedef struct child_report {
  int step;
  int errnum;
} child_report;

/* Serializes the one-time self bind mount of ns_dir between threads, so two
 * pods started at once do not stack two mounts on it. */
static pthread_mutex_t ns_dir_lock = PTHREAD_MUTEX_INITIALIZER;

static char **pin_slot(ns_pins *p, int kind)
{
  return kind == NS_PIN_NET ? &p->net : kind == NS_PIN_IPC ? &p->ipc : &p->uts;
}

void ns_pins_clear(ns_pins *p)
{
  if (!p)
    return;
  for (size_t i = 0; i < ARRAY_SIZE(ns_kinds); i++) {
    char **slot = pin_slot(p, ns_kinds[i].kind);
    free(*slot);
    *slot = NULL;
  }
}

bool ns_pin_valid(const char *path)
{
  struct statfs st;
  return path && statfs(path, &st) == 0 && st.f_type == (typeof(st.f_type))NSFS_MAGIC;
}

/* ---------------------------------------------------------- validation */

static int validate_request(const char *ns_dir, const char *pod_id, int kinds, const char *hostname,
                            crio_err **err)
{
  if (!ns_dir || ns_dir[0] != '/')
    return crio_err_set(err, CRIO_E_INVALID, "pin namespaces: directory %s is not absolute",
                        ns_dir ? ns_dir : "(null)");
  if (!pod_id || !*pod_id || pod_id[0] == '.' || strlen(pod_id) > NAME_MAX)
    return crio_err_set(err, CRIO_E_INVALID, "pin namespaces: invalid pod id \"%s\"",
                        pod_id ? pod_id : "(null)");
  for (const char *c = pod_id; *c; c++)
    if (!(*c >= 'a' && *c <= 'z') && !(*c >= 'A' && *c <= 'Z') && !(*c >= '0' && *c <= '9') &&
        !strchr("_.-", *c))
      return crio_err_set(err, CRIO_E_INVALID,
                          "pin namespaces: invalid pod id \"%s\": only letters, digits and _.- "
                          "are allowed",
                          pod_id);
  if (kinds == 0 || (kinds & ~(NS_PIN_NET | NS_PIN_IPC | NS_PIN_UTS)))
    return crio_err_set(err, CRIO_E_INVALID, "pin namespaces for pod %s: invalid kinds 0x%x",
                        pod_id, (unsigned)kinds);
  if ((kinds & NS_PIN_UTS) && hostname) {
    if (strlen(hostname) > HOST_NAME_MAX)
      return crio_err_set(err, CRIO_E_INVALID,
                          "pin namespaces for pod %s: hostname %s is longer than %d characters",
                          pod_id, hostname, HOST_NAME_MAX);
    int r = pod_validate_hostname(hostname, err);
    if (r < 0)
      return crio_err_wrap(err, "pin namespaces for pod %s", pod_id);
  }
  return 0;
}

/* ------------------------------------------------------------- ns_dir */

static bool is_mount_root(const char *path)
{
  struct statx stx;
  if (statx(AT_FDCWD, path, AT_SYMLINK_NOFOLLOW, STATX_BASIC_STATS, &stx) < 0)
    return false;
  return (stx.stx_attributes_mask & STATX_ATTR_MOUNT_ROOT) &&
         (stx.stx_attributes & STATX_ATTR_MOUNT_ROOT);
}

static int ns_dir_prepare_locked(const char *ns_dir, crio_err **err)
{
  int r = mkdir_p(ns_dir, 0711, err);
  if (r < 0)
    return r;
  if (!is_mount_root(ns_dir) && mount(ns_dir, ns_dir, NULL, MS_BIND, NULL) < 0)
    return crio_err_errno(err, CRIO_E_IO, errno, "bind-mount %s onto itself", ns_dir);
  /* Unbindable is private plus "never copied by a (recursive) bind". */
  if (mount(NULL, ns_dir, NULL, MS_UNBINDABLE, NULL) < 0)
    return crio_err_errno(err, CRIO_E_IO, errno, "make %s an unbindable mount", ns_dir);
  for (size_t i = 0; i < ARRAY_SIZE(ns_kinds); i++) {
    _cleanup_free_ char *sub = path_join(ns_dir, ns_kinds[i].subdir);
    if (mkdir(sub, 0711) < 0 && errno != EEXIST)
      return crio_err_errno(err, CRIO_E_IO, errno, "create %s", sub);
  }
  return 0;
}

static int ns_dir_prepare(const char *ns_dir, crio_err **err)
{
  pthread_mutex_lock(&ns_dir_lock);
  int r = ns_dir_prepare_locked(ns_dir, err);
  pthread_mutex_unlock(&ns_dir_lock);
  return r;
}

/* ---------------------------------------------------------------- child */

/* Only system calls from here to _exit: the daemon is multi-threaded, and
 * after fork() only async-signal-safe work is allowed in the child. */
static int loopback_up(void)
{
  int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return errno;
  struct ifreq ifr = {0};
  ifr.ifr_name[0] = 'l';
  ifr.ifr_name[1] = 'o';
  int r = ioctl(fd, SIOCGIFFLAGS, &ifr);
  if (r == 0) {
    ifr.ifr_flags |= IFF_UP;
    r = ioctl(fd, SIOCSIFFLAGS, &ifr);
  }
  int e = r < 0 ? errno : 0;
  close(fd);
  return e;
}

static void __attribute__((noreturn)) pin_child(pid_t parent, int flags, const char *hostname,
                                                size_t hostname_len, int report_fd, int wait_fd)
{
  child_report rep = {CHILD_OK, 0};
  /* Never outlive the daemon: a crash mid-pin must not leave a stray. */
  if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != parent)
    _exit(2);
  /* Hold no descriptor but our two: another thread's pin pipes, inherited by
   * this fork, would otherwise stay open as long as this child lives. */
  int lo = report_fd < wait_fd ? report_fd : wait_fd;
  int hi = report_fd < wait_fd ? wait_fd : report_fd;
  if (lo > 3)
    close_range(3, (unsigned)lo - 1, 0);
  if (hi > lo + 1)
    close_range((unsigned)lo + 1, (unsigned)hi - 1, 0);
  close_range((unsigned)hi + 1, ~0U, 0);
  if (unshare(flags) < 0)
    rep = (child_report){CHILD_UNSHARE, errno};
  else if ((flags & CLONE_NEWUTS) && hostname && sethostname(hostname, hostname_len) < 0)
    rep = (child_report){CHILD_HOSTNAME, errno};
  else if ((flags & CLONE_NEWNET) && (rep.errnum = loopback_up()) != 0)
    rep.step = CHILD_LOOPBACK;
  ssize_t w = write(report_fd, &rep, sizeof rep);
  (void)w;
  /* Hold the namespaces until the parent has bind-mounted them: it writes a
   * byte when done (or is gone, and PDEATHSIG ends us). */
  char c;
  while (rep.step == CHILD_OK && read(wait_fd, &c, 1) < 0 && errno == EINTR)
    ;
  _exit(rep.step == CHILD_OK ? 0 : 1);
}

typedef struct pin_proc {
  pid_t pid;
  int report_fd;  /* parent's read end of the child's report */
  int release_fd; /* parent's write end; closing it lets the child exit */
} pin_proc;

static void pin_proc_finish(pin_proc *p, bool kill_it)
{
  if (p->pid > 0 && kill_it)
    kill(p->pid, SIGKILL);
  if (p->pid > 0 && !kill_it) {
    /* A byte, not just EOF: a concurrent fork elsewhere in the daemon may
     * hold a copy of the write end until it execs. */
    ssize_t w;
    while ((w = write(p->release_fd, "x", 1)) < 0 && errno == EINTR)
      ;
    if (w < 0)
      kill(p->pid, SIGKILL);
  }
  if (p->release_fd >= 0)
    close(p->release_fd);
  if (p->report_fd >= 0)
    close(p->report_fd);
  p->release_fd = p->report_fd = -1;
  /* ECHILD: the daemon may have SIGCHLD ignored, which reaps for us. */
  while (p->pid > 0 && waitpid(p->pid, NULL, 0) < 0 && errno == EINTR)
    ;
  p->pid = -1;
}

static const char *child_step_name(int step)
{
  switch (step) {
  case CHILD_UNSHARE:
    return "unshare";
  case CHILD_HOSTNAME:
    return "set the hostname";
  case CHILD_LOOPBACK:
    return "bring up the loopback interface";
  default:
    return "start";
  }
}

static int pin_proc_start(pin_proc *p, const char *pod_id, int flags, const char *hostname,
                          crio_err **err)
{
  int report[2], release[2];
  if (pipe2(report, O_CLOEXEC) < 0)
    return crio_err_errno(err, CRIO_E_IO, errno, "pin namespaces for pod %s: pipe", pod_id);
  if (pipe2(release, O_CLOEXEC) < 0) {
    close(report[0]);
    close(report[1]);
    return crio_err_errno(err, CRIO_E_IO, errno, "pin namespaces for pod %s: pipe", pod_id);
  }
  size_t hostname_len = hostname ? strlen(hostname) : 0;
  pid_t parent = getpid();
  pid_t pid = fork();
  if (pid == 0)
    pin_child(parent, flags, hostname, hostname_len, report[1], release[0]);
  int fork_errno = errno;
  close(report[1]);
  close(release[0]);
  *p = (pin_proc){pid, report[0], release[1]};
  if (pid < 0) {
    pin_proc_finish(p, false);
    return crio_err_errno(err, CRIO_E_IO, fork_errno, "pin namespaces for pod %s: fork", pod_id);
  }
  child_report rep = {-1, 0};
  ssize_t n;
  while ((n = read(p->report_fd, &rep, sizeof rep)) < 0 && errno == EINTR)
    ;
  if (n == (ssize_t)sizeof rep && rep.step == CHILD_OK)
    return 0;
  pin_proc_finish(p, true);
  if (n != (ssize_t)sizeof rep)
    return crio_err_set(err, CRIO_E_INTERNAL,
                        "pin namespaces for pod %s: the namespace process exited before "
                        "reporting",
                        pod_id);
  return crio_err_errno(err, CRIO_E_IO, rep.errnum, "pin namespaces for pod %s: %s", pod_id,
                        child_step_name(rep.step));
}

/* --------------------------------------------------------------- pinning */

static int unpin_one(const char *path, crio_err **err)
{
  /* More than one mount may be stacked there after a crash and a retry. */
  for (int i = 0; i < 16; i++) {
    if (umount2(path, MNT_DETACH | UMOUNT_NOFOLLOW) == 0)
      continue;
    if (errno == EINVAL || errno == ENOENT)
      break;
    return crio_err_errno(err, CRIO_E_IO, errno, "unmount namespace pin %s", path);
  }
  if (unlink(path) < 0 && errno != ENOENT)
    return crio_err_errno(err, CRIO_E_IO, errno, "remove namespace pin %s", path);
  return 0;
}

int ns_pin_remove(const ns_pins *p, crio_err **err)
{
  int ret = 0;
  if (!p)
    return 0;
  const char *paths[] = {p->net, p->ipc, p->uts};
  for (size_t i = 0; i < ARRAY_SIZE(paths); i++) {
    if (!paths[i])
      continue;
    int r = unpin_one(paths[i], err);
    if (r < 0 && ret == 0)
      ret = r;
  }
  return ret;
}

static int pin_one(const char *ns_dir, const ns_kind_info *k, const char *pod_id, pid_t pid,
                   char **path_out, crio_err **err)
{
  _cleanup_free_ char *sub = path_join(ns_dir, k->subdir);
  _cleanup_free_ char *path = path_join(sub, pod_id);
  int fd = open(path, O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0);
  if (fd < 0)
    return crio_err_errno(err, errno == EEXIST ? CRIO_E_EXISTS : CRIO_E_IO, errno,
                          "create namespace pin %s", path);
  close(fd);
  char src[64];
  snprintf(src, sizeof src, "/proc/%d/ns/%s", (int)pid, k->proc_name);
  if (mount(src, path, NULL, MS_BIND, NULL) < 0) {
    int e = errno;
    unlink(path);
    return crio_err_errno(err, CRIO_E_IO, e, "bind-mount %s onto %s", src, path);
  }
  *path_out = steal_pointer(&path);
  return 0;
}

int ns_pin_create(const char *ns_dir, const char *pod_id, int kinds, const char *hostname,
                  ns_pins *out, crio_err **err)
{
  *out = (ns_pins){0};
  int r = validate_request(ns_dir, pod_id, kinds, hostname, err);
  if (r < 0)
    return r;
  r = ns_dir_prepare(ns_dir, err);
  if (r < 0)
    return crio_err_wrap(err, "pin namespaces for pod %s", pod_id);
  int flags = 0;
  for (size_t i = 0; i < ARRAY_SIZE(ns_kinds); i++)
    if (kinds & ns_kinds[i].kind)
      flags |= ns_kinds[i].clone_flag;
  pin_proc proc = {-1, -1, -1};
  r = pin_proc_start(&proc, pod_id, flags, (kinds & NS_PIN_UTS) ? hostname : NULL, err);
  if (r < 0)
    return r;
  ns_pins made = {0};
  for (size_t i = 0; i < ARRAY_SIZE(ns_kinds) && r == 0; i++)
    if (kinds & ns_kinds[i].kind)
      r = pin_one(ns_dir, &ns_kinds[i], pod_id, proc.pid, pin_slot(&made, ns_kinds[i].kind), err);
  pin_proc_finish(&proc, r < 0);
  if (r < 0) {
    crio_err *undo_err = NULL;
    if (ns_pin_remove(&made, &undo_err) < 0) {
      log_error("pin namespaces for pod %s: undo: %s", pod_id, undo_err->message);
      crio_err_free(undo_err);
    }
    ns_pins_clear(&made);
    return r;
  }
  *out = made;
  return 0;
}
