#include "server/engine/engine_internal.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysinfo.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "server/cgroups/cgroup_detect.h"
#include "util/xalloc.h"

#ifndef CRIO_VERSION
#define CRIO_VERSION "0.0.0"
#endif
#ifndef CRIO_GIT_COMMIT
#define CRIO_GIT_COMMIT "unknown"
#endif

/* The architecture in the OCI image spec's (GOARCH) spelling. */
static const char *host_arch(void)
{
#if defined(__x86_64__)
  return "amd64";
#elif defined(__aarch64__)
  return "arm64";
#elif defined(__i386__)
  return "386";
#elif defined(__arm__)
  return "arm";
#elif defined(__powerpc64__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
  return "ppc64le";
#elif defined(__s390x__)
  return "s390x";
#elif defined(__riscv) && __riscv_xlen == 64
  return "riscv64";
#else
  return "unknown";
#endif
}

void engine_version_get(engine_version *out)
{
  out->name = "crio-c";
  out->version = CRIO_VERSION;
  out->api_version = "v1";
  out->git_commit = CRIO_GIT_COMMIT;
  out->os = "linux";
  out->arch = host_arch();
}

static char **strv_dup(char *const *v, size_t n)
{
  char **r = xzalloc((n + 1) * sizeof *r);
  for (size_t i = 0; i < n; i++)
    r[i] = xstrdup(v[i]);
  return r;
}

static void info_fill_host(engine_info *out)
{
  struct utsname u;
  if (uname(&u) == 0) {
    out->hostname = xstrdup(u.nodename);
    out->kernel = xstrdup(u.release);
  } else {
    out->hostname = xstrdup("");
    out->kernel = xstrdup("");
  }
  out->cpus = sysconf(_SC_NPROCESSORS_ONLN);
  struct sysinfo si;
  out->memory_total = sysinfo(&si) == 0 ? (uint64_t) si.totalram * si.mem_unit : 0;
  cgroup_layout layout = cgroup_detect("/sys/fs/cgroup");
  out->cgroup_version = layout.version;
  out->cgroup_hybrid = layout.hybrid;
  out->cgroup_manager = "cgroupfs";
}

static void info_fill_config(engine *e, engine_info *out)
{
  const crio_config *cfg = e->cfg;
  out->runtime_name = xstrdup(cfg->default_runtime);
  out->runtime_path = xstrdup(e->runtime_path);
  out->runtime_version = xstrdup(e->runtime_version);
  out->conmon_path = xstrdup(e->conmon_path);
  out->conmon_version = xstrdup(e->conmon_version);
  out->storage_driver = xstrdup(cfg->storage_driver);
  out->root = xstrdup(cfg->root);
  out->runroot = xstrdup(cfg->runroot);
  out->database = xstrdup(e->db_path);
  out->registries_conf = xstrdup(cfg->registries_conf);
  out->insecure_registries = strv_dup(cfg->insecure_registries, cfg->n_insecure_registries);
  out->n_insecure_registries = cfg->n_insecure_registries;
  out->network_dir = xstrdup(cfg->network_dir);
  out->plugin_dirs = strv_dup(cfg->plugin_dirs, cfg->n_plugin_dirs);
  out->n_plugin_dirs = cfg->n_plugin_dirs;
}

int engine_info_get(engine *e, engine_info *out, crio_err **err)
{
  memset(out, 0, sizeof *out);
  store_counts counts;
  if (store_counts_get(e->store, &counts, err) < 0)
    return crio_err_wrap(err, "count pods, containers and images");
  engine_version_get(&out->version);
  info_fill_host(out);
  pthread_rwlock_rdlock(&e->lock);
  info_fill_config(e, out);
  pthread_rwlock_unlock(&e->lock);
  out->pods = counts.pods;
  out->containers = counts.containers;
  out->running = counts.containers_running;
  out->images = counts.images;
  return 0;
}

void engine_info_clear(engine_info *info)
{
  char **strings[] = { &info->hostname, &info->kernel, &info->runtime_name,
                       &info->runtime_path, &info->runtime_version, &info->conmon_path,
                       &info->conmon_version, &info->storage_driver, &info->root,
                       &info->runroot, &info->database, &info->registries_conf,
                       &info->network_dir };
  for (size_t i = 0; i < sizeof strings / sizeof strings[0]; i++) {
    free(*strings[i]);
    *strings[i] = NULL;
  }
  for (size_t i = 0; i < info->n_insecure_registries; i++)
    free(info->insecure_registries[i]);
  free(info->insecure_registries);
  for (size_t i = 0; i < info->n_plugin_dirs; i++)
    free(info->plugin_dirs[i]);
  free(info->plugin_dirs);
  info->insecure_registries = info->plugin_dirs = NULL;
}

/* "ADDRESS/PREFIX" with an IPv4 or IPv6 address and a prefix in range. */
static bool cidr_valid(const char *cidr)
{
  const char *slash = strchr(cidr, '/');
  if (!slash || slash == cidr || slash - cidr >= INET6_ADDRSTRLEN)
    return false;
  char addr[INET6_ADDRSTRLEN];
  memcpy(addr, cidr, (size_t) (slash - cidr));
  addr[slash - cidr] = '\0';
  unsigned char buf[sizeof(struct in6_addr)];
  int max = inet_pton(AF_INET, addr, buf) == 1 ? 32 : inet_pton(AF_INET6, addr, buf) == 1 ? 128 : -1;
  char *end = NULL;
  long prefix = strtol(slash + 1, &end, 10);
  return max > 0 && slash[1] && !*end && prefix >= 0 && prefix <= max;
}

int engine_pod_cidr_set(engine *e, const char *cidr, crio_err **err)
{
  if (cidr && *cidr && !cidr_valid(cidr))
    return crio_err_set(err, CRIO_E_INVALID, "pod CIDR \"%s\" is not ADDRESS/PREFIX", cidr);
  pthread_rwlock_wrlock(&e->lock);
  free(e->pod_cidr);
  e->pod_cidr = cidr && *cidr ? xstrdup(cidr) : NULL;
  pthread_rwlock_unlock(&e->lock);
  return 0;
}

char *engine_pod_cidr_get(engine *e)
{
  pthread_rwlock_rdlock(&e->lock);
  char *out = xstrdup(e->pod_cidr ? e->pod_cidr : "");
  pthread_rwlock_unlock(&e->lock);
  return out;
}
