/* The default seccomp profile of containers/common (podman's and CRI-O's),
 * kept as a table and turned into the docker/containers profile format
 * (archMap, syscalls with includes/excludes), which seccomp.c converts like
 * any profile file. */
#include "server/security/seccomp.h"

#include <errno.h>
#include <stdint.h>

#include "util/cleanup.h"

typedef struct sc_arg {
  unsigned index;
  uint64_t value;
  uint64_t value_two;
  const char *op;              /* NULL: the rule has no argument condition */
} sc_arg;

typedef struct sc_rule {
  const char *const *names;    /* NULL-terminated */
  const char *action;          /* NULL: SCMP_ACT_ALLOW */
  int errno_ret;               /* with SCMP_ACT_ERRNO */
  sc_arg arg;
  const char *cap;             /* includes.caps: only with this capability */
  const char *not_cap;         /* excludes.caps: not with this capability */
  const char *const *arches;   /* includes.arches (GOARCH spelling) */
  const char *const *not_arches;
} sc_rule;

#define NAMES(...) ((const char *const[]) { __VA_ARGS__, NULL })
#define EQ(v) { .index = 0, .value = (v), .op = "SCMP_CMP_EQ" }
/* CLONE_NEWNS|NEWUTS|NEWIPC|NEWUSER|NEWPID|NEWNET|NEWCGROUP: new namespaces
 * need CAP_SYS_ADMIN */
#define CLONE_NS_MASK 2114060288u

/* What every container may call. */
static const char *const allowed[] = {
  "accept", "accept4", "access", "adjtimex", "alarm", "bind", "brk", "cachestat", "capget",
  "capset", "chdir", "chmod", "chown", "chown32", "clock_adjtime", "clock_adjtime64",
  "clock_getres", "clock_getres_time64", "clock_gettime", "clock_gettime64", "clock_nanosleep",
  "clock_nanosleep_time64", "close", "close_range", "connect", "copy_file_range", "creat", "dup",
  "dup2", "dup3", "epoll_create", "epoll_create1", "epoll_ctl", "epoll_ctl_old", "epoll_pwait",
  "epoll_pwait2", "epoll_wait", "epoll_wait_old", "eventfd", "eventfd2", "execve", "execveat",
  "exit", "exit_group", "faccessat", "faccessat2", "fadvise64", "fadvise64_64", "fallocate",
  "fanotify_mark", "fchdir", "fchmod", "fchmodat", "fchmodat2", "fchown", "fchown32",
  "fchownat", "fcntl", "fcntl64", "fdatasync", "fgetxattr", "flistxattr", "flock", "fork",
  "fremovexattr", "fsetxattr", "fstat", "fstat64", "fstatat64", "fstatfs", "fstatfs64", "fsync",
  "ftruncate", "ftruncate64", "futex", "futex_requeue", "futex_time64", "futex_wait",
  "futex_waitv", "futex_wake", "futimesat", "get_robust_list", "get_thread_area", "getcpu",
  "getcwd", "getdents", "getdents64", "getegid", "getegid32", "geteuid", "geteuid32", "getgid",
  "getgid32", "getgroups", "getgroups32", "getitimer", "getpeername", "getpgid", "getpgrp",
  "getpid", "getppid", "getpriority", "getrandom", "getresgid", "getresgid32", "getresuid",
  "getresuid32", "getrlimit", "getrusage", "getsid", "getsockname", "getsockopt", "gettid",
  "gettimeofday", "getuid", "getuid32", "getxattr", "inotify_add_watch", "inotify_init",
  "inotify_init1", "inotify_rm_watch", "io_cancel", "io_destroy", "io_getevents",
  "io_pgetevents", "io_pgetevents_time64", "io_setup", "io_submit", "ioctl", "ioprio_get",
  "ioprio_set", "ipc", "kill", "landlock_add_rule", "landlock_create_ruleset",
  "landlock_restrict_self", "lchown", "lchown32", "lgetxattr", "link", "linkat", "listen",
  "listxattr", "llistxattr", "_llseek", "lremovexattr", "lseek", "lsetxattr", "lstat", "lstat64",
  "madvise", "map_shadow_stack", "membarrier", "memfd_create", "memfd_secret", "mincore",
  "mkdir", "mkdirat", "mknod", "mknodat", "mlock", "mlock2", "mlockall", "mmap", "mmap2",
  "mprotect", "mq_getsetattr", "mq_notify", "mq_open", "mq_timedreceive",
  "mq_timedreceive_time64", "mq_timedsend", "mq_timedsend_time64", "mq_unlink", "mremap",
  "msgctl", "msgget", "msgrcv", "msgsnd", "msync", "munlock", "munlockall", "munmap",
  "nanosleep", "newfstatat", "_newselect", "open", "openat", "openat2", "pause", "pidfd_open",
  "pidfd_send_signal", "pipe", "pipe2", "pkey_alloc", "pkey_free", "pkey_mprotect", "poll",
  "ppoll", "ppoll_time64", "prctl", "pread64", "preadv", "preadv2", "prlimit64",
  "process_mrelease", "pselect6", "pselect6_time64", "pwrite64", "pwritev", "pwritev2", "read",
  "readahead", "readlink", "readlinkat", "readv", "recv", "recvfrom", "recvmmsg",
  "recvmmsg_time64", "recvmsg", "remap_file_pages", "removexattr", "rename", "renameat",
  "renameat2", "restart_syscall", "rmdir", "rseq", "rt_sigaction", "rt_sigpending",
  "rt_sigprocmask", "rt_sigqueueinfo", "rt_sigreturn", "rt_sigsuspend", "rt_sigtimedwait",
  "rt_sigtimedwait_time64", "rt_tgsigqueueinfo", "sched_get_priority_max",
  "sched_get_priority_min", "sched_getaffinity", "sched_getattr", "sched_getparam",
  "sched_getscheduler", "sched_rr_get_interval", "sched_rr_get_interval_time64",
  "sched_setaffinity", "sched_setattr", "sched_setparam", "sched_setscheduler", "sched_yield",
  "seccomp", "select", "semctl", "semget", "semop", "semtimedop", "semtimedop_time64", "send",
  "sendfile", "sendfile64", "sendmmsg", "sendmsg", "sendto", "set_robust_list",
  "set_thread_area", "set_tid_address", "setfsgid", "setfsgid32", "setfsuid", "setfsuid32",
  "setgid", "setgid32", "setgroups", "setgroups32", "setitimer", "setpgid", "setpriority",
  "setregid", "setregid32", "setresgid", "setresgid32", "setresuid", "setresuid32", "setreuid",
  "setreuid32", "setrlimit", "setsid", "setsockopt", "setuid", "setuid32", "setxattr", "shmat",
  "shmctl", "shmdt", "shmget", "shutdown", "sigaltstack", "signalfd", "signalfd4",
  "sigprocmask", "sigreturn", "socket", "socketcall", "socketpair", "splice", "stat", "stat64",
  "statfs", "statfs64", "statx", "symlink", "symlinkat", "sync", "sync_file_range", "syncfs",
  "sysinfo", "tee", "tgkill", "time", "timer_create", "timer_delete", "timer_getoverrun",
  "timer_gettime", "timer_gettime64", "timer_settime", "timer_settime64", "timerfd_create",
  "timerfd_gettime", "timerfd_gettime64", "timerfd_settime", "timerfd_settime64", "times",
  "tkill", "truncate", "truncate64", "ugetrlimit", "umask", "uname", "unlink", "unlinkat",
  "utime", "utimensat", "utimensat_time64", "utimes", "vfork", "vmsplice", "wait4", "waitid",
  "waitpid", "write", "writev", NULL,
};

/* The rules beyond the plain allowlist: argument conditions, architectures
 * and the system calls a capability opens. */
static const sc_rule rules[] = {
  { .names = allowed },
  /* personality: only PER_LINUX, UNAME26, PER_LINUX32, their mix, and the query */
  { .names = NAMES("personality"), .arg = EQ(0x0) },
  { .names = NAMES("personality"), .arg = EQ(0x0008) },
  { .names = NAMES("personality"), .arg = EQ(0x20000) },
  { .names = NAMES("personality"), .arg = EQ(0x20008) },
  { .names = NAMES("personality"), .arg = EQ(0xffffffff) },
  { .names = NAMES("arch_prctl", "modify_ldt"), .arches = NAMES("amd64", "x32", "x86") },
  { .names = NAMES("arm_fadvise64_64", "arm_sync_file_range", "sync_file_range2", "breakpoint",
                   "cacheflush", "set_tls"),
    .arches = NAMES("arm", "arm64") },
  /* clone without new namespaces; s390 has the flags in its second argument */
  { .names = NAMES("clone"), .not_cap = "CAP_SYS_ADMIN", .not_arches = NAMES("s390", "s390x"),
    .arg = { .index = 0, .value = CLONE_NS_MASK, .op = "SCMP_CMP_MASKED_EQ" } },
  { .names = NAMES("clone"), .not_cap = "CAP_SYS_ADMIN", .arches = NAMES("s390", "s390x"),
    .arg = { .index = 1, .value = CLONE_NS_MASK, .op = "SCMP_CMP_MASKED_EQ" } },
  /* clone3's flags are behind a pointer: ENOSYS makes libc fall back to clone */
  { .names = NAMES("clone3"), .action = "SCMP_ACT_ERRNO", .errno_ret = ENOSYS,
    .not_cap = "CAP_SYS_ADMIN" },
  { .names = NAMES("bpf", "clone", "clone3", "fanotify_init", "fsconfig", "fsmount", "fsopen",
                   "fspick", "lookup_dcookie", "mount", "mount_setattr", "move_mount",
                   "name_to_handle_at", "open_tree", "perf_event_open", "quotactl", "quotactl_fd",
                   "setdomainname", "sethostname", "setns", "syslog", "umount", "umount2",
                   "unshare"),
    .cap = "CAP_SYS_ADMIN" },
  { .names = NAMES("open_by_handle_at"), .cap = "CAP_DAC_READ_SEARCH" },
  { .names = NAMES("reboot"), .cap = "CAP_SYS_BOOT" },
  { .names = NAMES("chroot"), .cap = "CAP_SYS_CHROOT" },
  { .names = NAMES("delete_module", "init_module", "finit_module"), .cap = "CAP_SYS_MODULE" },
  { .names = NAMES("acct"), .cap = "CAP_SYS_PACCT" },
  { .names = NAMES("kcmp", "pidfd_getfd", "process_madvise", "process_vm_readv",
                   "process_vm_writev", "ptrace"),
    .cap = "CAP_SYS_PTRACE" },
  { .names = NAMES("iopl", "ioperm"), .cap = "CAP_SYS_RAWIO" },
  { .names = NAMES("settimeofday", "stime", "clock_settime", "clock_settime64"),
    .cap = "CAP_SYS_TIME" },
  { .names = NAMES("vhangup"), .cap = "CAP_SYS_TTY_CONFIG" },
  { .names = NAMES("get_mempolicy", "mbind", "set_mempolicy", "set_mempolicy_home_node"),
    .cap = "CAP_SYS_NICE" },
  { .names = NAMES("syslog"), .cap = "CAP_SYSLOG" },
  { .names = NAMES("bpf"), .cap = "CAP_BPF" },
  { .names = NAMES("perf_event_open"), .cap = "CAP_PERFMON" },
};

static json_t *names_json(const char *const *names)
{
  json_t *a = json_array();
  for (size_t i = 0; names && names[i]; i++)
    json_array_append_new(a, json_string(names[i]));
  return a;
}

/* {"caps": [cap], "arches": [...]} or NULL when the rule sets neither */
static json_t *filter_json(const char *cap, const char *const *arches)
{
  if (!cap && !arches)
    return NULL;
  json_t *o = json_object();
  if (cap)
    json_object_set_new(o, "caps", json_pack("[s]", cap));
  if (arches)
    json_object_set_new(o, "arches", names_json(arches));
  return o;
}

static json_t *rule_json(const sc_rule *r)
{
  json_t *o = json_pack("{s:o, s:s}", "names", names_json(r->names), "action",
                        r->action ? r->action : "SCMP_ACT_ALLOW");
  if (r->errno_ret)
    json_object_set_new(o, "errnoRet", json_integer(r->errno_ret));
  json_t *args = json_array();
  if (r->arg.op)
    json_array_append_new(args, json_pack("{s:I, s:I, s:I, s:s}", "index", (json_int_t) r->arg.index,
                                          "value", (json_int_t) r->arg.value, "valueTwo",
                                          (json_int_t) r->arg.value_two, "op", r->arg.op));
  json_object_set_new(o, "args", args);
  json_t *inc = filter_json(r->cap, r->arches), *exc = filter_json(r->not_cap, r->not_arches);
  if (inc)
    json_object_set_new(o, "includes", inc);
  if (exc)
    json_object_set_new(o, "excludes", exc);
  return o;
}

json_t *seccomp_default_profile(void)
{
  json_t *syscalls = json_array();
  for (size_t i = 0; i < ARRAY_SIZE(rules); i++)
    json_array_append_new(syscalls, rule_json(&rules[i]));
  json_t *arch_map = json_pack(
      "[{s:s, s:[s,s]}, {s:s, s:[s]}]", "architecture", "SCMP_ARCH_X86_64", "subArchitectures",
      "SCMP_ARCH_X86", "SCMP_ARCH_X32", "architecture", "SCMP_ARCH_AARCH64", "subArchitectures",
      "SCMP_ARCH_ARM");
  return json_pack("{s:s, s:i, s:o, s:o}", "defaultAction", "SCMP_ACT_ERRNO", "defaultErrnoRet",
                   EPERM, "archMap", arch_map, "syscalls", syscalls);
}
