#include "pod_files.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/fs.h"
#include "util/log.h"
#include "util/strbuf.h"
#include "util/xalloc.h"

#define HOST_RESOLV_CONF "/etc/resolv.conf"
#define DOMAIN_MAX 253
#define LABEL_MAX 63

/* ------------------------------------------------------------ validation */

static bool label_char(char c, bool underscore)
{
  return isalnum((unsigned char)c) || c == '-' || (underscore && c == '_');
}

/* Checks one dot-separated name. `what` names it in messages ("hostname",
 * "search domain"); search domains may hold '_' and end with a dot. */
static int validate_domain(const char *what, const char *h, bool search, crio_err **err)
{
  if (!h || !*h)
    return crio_err_set(err, CRIO_E_INVALID, "%s is empty", what);
  size_t total = strlen(h);
  if (search && h[total - 1] == '.' && total > 1)
    total--;
  if (total > DOMAIN_MAX)
    return crio_err_set(err, CRIO_E_INVALID, "%s %.40s...: longer than %d characters", what, h,
                        DOMAIN_MAX);
  const char *end = h + total, *label = h;
  for (;;) {
    const char *dot = memchr(label, '.', (size_t)(end - label));
    size_t len = (size_t)((dot ? dot : end) - label);
    if (len == 0)
      return crio_err_set(err, CRIO_E_INVALID, "%s %s: empty label", what, h);
    if (len > LABEL_MAX)
      return crio_err_set(err, CRIO_E_INVALID, "%s %s: label %.*s is longer than %d characters",
                          what, h, (int)len, label, LABEL_MAX);
    for (size_t i = 0; i < len; i++)
      if (!label_char(label[i], search))
        return crio_err_set(err, CRIO_E_INVALID, "%s %s: character '%c' is not allowed", what, h,
                            isprint((unsigned char)label[i]) ? label[i] : '?');
    if (label[0] == '-' || label[len - 1] == '-')
      return crio_err_set(err, CRIO_E_INVALID,
                          "%s %s: label %.*s must start and end with a letter or digit", what, h,
                          (int)len, label);
    if (!dot)
      break;
    label = dot + 1;
  }
  return 0;
}

int pod_validate_hostname(const char *h, crio_err **err)
{
  return validate_domain("hostname", h, false, err);
}

static bool is_ip(const char *s, bool allow_zone)
{
  unsigned char buf[sizeof(struct in6_addr)];
  if (inet_pton(AF_INET, s, buf) == 1 || inet_pton(AF_INET6, s, buf) == 1)
    return true;
  const char *pct = allow_zone ? strchr(s, '%') : NULL;
  if (!pct || !pct[1] || strlen(pct + 1) >= 16)
    return false;
  for (const char *z = pct + 1; *z; z++)
    if (!isalnum((unsigned char)*z) && !strchr("._-", *z))
      return false;
  _cleanup_free_ char *addr = xstrndup(s, (size_t)(pct - s));
  return inet_pton(AF_INET6, addr, buf) == 1;
}

static int validate_option(const char *o, crio_err **err)
{
  if (!o || !*o)
    return crio_err_set(err, CRIO_E_INVALID, "DNS option is empty");
  for (const char *c = o; *c; c++)
    if (!isalnum((unsigned char)*c) && !strchr(":._-", *c))
      return crio_err_set(err, CRIO_E_INVALID, "DNS option %s: character '%c' is not allowed", o,
                          isprint((unsigned char)*c) ? *c : '?');
  return 0;
}

static int validate_dns(const char *const *servers, size_t n, const char *const *searches,
                        size_t ns, const char *const *options, size_t no, crio_err **err)
{
  for (size_t i = 0; i < n; i++)
    if (!servers[i] || !is_ip(servers[i], true))
      return crio_err_set(err, CRIO_E_INVALID, "DNS server %s is not an IP address",
                          servers[i] ? servers[i] : "(null)");
  if (ns > POD_RESOLV_MAX_SEARCHES)
    return crio_err_set(err, CRIO_E_INVALID, "%zu DNS search domains given, at most %d allowed", ns,
                        POD_RESOLV_MAX_SEARCHES);
  for (size_t i = 0; i < ns; i++) {
    int r = validate_domain("DNS search domain", searches[i], true, err);
    if (r < 0)
      return r;
  }
  for (size_t i = 0; i < no; i++) {
    int r = validate_option(options[i], err);
    if (r < 0)
      return r;
  }
  return 0;
}

/* --------------------------------------------------------------- writing */

static int write_pod_file(const char *dir, const char *name, const char *data, size_t len,
                          char **path_out, crio_err **err)
{
  if (!dir || !*dir)
    return crio_err_set(err, CRIO_E_INVALID, "write pod %s: no pod directory given", name);
  _cleanup_free_ char *path = path_join(dir, name);
  int r = write_file_atomic(path, data, len, 0644, err);
  if (r < 0)
    return crio_err_wrap(err, "write pod %s", name);
  if (path_out)
    *path_out = steal_pointer(&path);
  return 0;
}

static int copy_host_resolv_conf(const char *dir, char **path_out, crio_err **err)
{
  _cleanup_free_ char *data = NULL;
  size_t len = 0;
  if (access(HOST_RESOLV_CONF, F_OK) < 0 && errno == ENOENT) {
    /* A host without a resolv.conf resolves with the libc defaults; the
     * pod gets the same. */
    log_warn("%s is missing: pods get an empty resolv.conf", HOST_RESOLV_CONF);
  } else if (read_file(HOST_RESOLV_CONF, &data, &len, err) < 0) {
    return crio_err_wrap(err, "copy the host's resolv.conf");
  }
  return write_pod_file(dir, "resolv.conf", data ? data : "", len, path_out, err);
}

static void put_words(strbuf *b, const char *key, const char *const *w, size_t n)
{
  if (n == 0)
    return;
  strbuf_puts(b, key);
  for (size_t i = 0; i < n; i++) {
    strbuf_putc(b, ' ');
    strbuf_puts(b, w[i]);
  }
  strbuf_putc(b, '\n');
}

int pod_write_resolv_conf(const char *dir, const char *const *servers, size_t n,
                          const char *const *searches, size_t ns, const char *const *options,
                          size_t no, char **path_out, crio_err **err)
{
  if (n == 0 && ns == 0 && no == 0)
    return copy_host_resolv_conf(dir, path_out, err);
  int r = validate_dns(servers, n, searches, ns, options, no, err);
  if (r < 0)
    return r;
  _cleanup_strbuf_ strbuf b = STRBUF_INIT;
  put_words(&b, "search", searches, ns);
  for (size_t i = 0; i < n; i++)
    strbuf_printf(&b, "nameserver %s\n", servers[i]);
  put_words(&b, "options", options, no);
  return write_pod_file(dir, "resolv.conf", b.data, b.len, path_out, err);
}

int pod_write_hosts(const char *dir, const char *hostname, const char *const *ips, size_t n_ips,
                    char **path_out, crio_err **err)
{
  int r = pod_validate_hostname(hostname, err);
  if (r < 0)
    return crio_err_wrap(err, "write pod hosts");
  for (size_t i = 0; i < n_ips; i++)
    if (!ips[i] || !is_ip(ips[i], false))
      return crio_err_set(err, CRIO_E_INVALID, "write pod hosts: %s is not an IP address",
                          ips[i] ? ips[i] : "(null)");
  _cleanup_strbuf_ strbuf b = STRBUF_INIT;
  strbuf_puts(&b, "127.0.0.1\tlocalhost\n");
  strbuf_puts(&b, "::1\tlocalhost ip6-localhost ip6-loopback\n");
  for (size_t i = 0; i < n_ips; i++)
    strbuf_printf(&b, "%s\t%s\n", ips[i], hostname);
  return write_pod_file(dir, "hosts", b.data, b.len, path_out, err);
}

int pod_write_hostname(const char *dir, const char *hostname, char **path_out, crio_err **err)
{
  int r = pod_validate_hostname(hostname, err);
  if (r < 0)
    return crio_err_wrap(err, "write pod hostname");
  _cleanup_free_ char *data = xasprintf("%s\n", hostname);
  return write_pod_file(dir, "hostname", data, strlen(data), path_out, err);
}
