/* crio.conf as a file: the table of known keys, the strict loader and the
 * TOML writer of `crio config`. */
#include "server/config.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "server/toml.h"
#include "util/cleanup.h"
#include "util/xalloc.h"

typedef enum { KEY_STRING, KEY_INT, KEY_BOOL, KEY_STRINGS } key_kind;

typedef struct config_key {
  const char *table;   /* "crio.api" */
  const char *name;    /* "listen" */
  key_kind kind;
  size_t offset;       /* of the field in crio_config */
  size_t count_offset; /* KEY_STRINGS: of its size_t count */
  const char *doc;     /* the comment `crio config` prints above it */
} config_key;

#define STR(t, f, d) { t, #f, KEY_STRING, offsetof(crio_config, f), 0, d }
#define INT(t, f, d) { t, #f, KEY_INT, offsetof(crio_config, f), 0, d }
#define BOOL(t, f, d) { t, #f, KEY_BOOL, offsetof(crio_config, f), 0, d }
#define STRS(t, f, d) { t, #f, KEY_STRINGS, offsetof(crio_config, f), offsetof(crio_config, n_##f), d }

static const config_key config_keys[] = {
  STR("crio", root, "Where state lives: crio.db, image layers, container directories."),
  STR("crio", runroot, "Where runtime files live: sockets, exit files, pinned namespaces."),
  STR("crio", storage_driver, "The storage driver; only \"overlay\"."),
  STR("crio.api", cri_socket, "Unix socket of the CRI gRPC server (the kubelet's endpoint)."),
  STR("crio.api", api_socket, "Unix socket of the REST API (mode 0660)."),
  STR("crio.api", listen, "Also serve the REST API on this TCP HOST:PORT; empty: off."),
  STR("crio.api", token_file,
      "File holding the bearer token the TCP listener requires; empty: a new token is\n"
      "# written to RUNROOT/api-token at each start."),
  INT("crio.api", max_body_size, "Largest REST request body in bytes; larger ones get 413."),
  STR("crio.runtime", log_level, "error, warn, info, debug or trace."),
  STR("crio.runtime", default_runtime, "The runtime handler used when none is asked for."),
  STR("crio.runtime", conmon, "Path of conmon; empty: looked up in PATH."),
  STR("crio.runtime", seccomp_profile,
      "The default seccomp profile (JSON, the docker/containers format) of containers that\n"
      "# ask for runtime/default; empty: the built-in profile of containers/common."),
  STR("crio.image", registries_conf, "registries.conf(5) for short names, mirrors, insecure registries."),
  STR("crio.image", global_auth_file,
      "auth.json (containers-auth.json(5)) with registry credentials; empty: $REGISTRY_AUTH_FILE,\n"
      "# else $XDG_RUNTIME_DIR/containers/auth.json, else /run/containers/0/auth.json."),
  STR("crio.image", certs_dir,
      "Per-registry TLS files: HOST[:PORT]/*.crt (CAs), client.cert and client.key."),
  STRS("crio.image", insecure_registries,
       "Registries (HOST[:PORT]) reached over plain HTTP or without TLS verification."),
  STR("crio.network", network_dir, "Directory of CNI network configurations."),
  STR("crio.network", cni_default_network,
      "The CNI network pods join; empty: the first configuration in network_dir by file name."),
  STRS("crio.network", plugin_dirs, "Directories searched for CNI plugins."),
  BOOL("crio.metrics", enable_metrics, "Serve Prometheus metrics at /metrics of the REST API."),
};

static const char *const known_tables[] = { "crio", "crio.api", "crio.runtime", "crio.image",
                                            "crio.network", "crio.metrics" };

typedef struct load_ctx {
  const char *file;
  crio_config *cfg;
} load_ctx;

static int type_error(load_ctx *c, const char *table, const char *key, const toml_value *v,
                      const char *want, crio_err **err)
{
  return crio_err_set(err, CRIO_E_INVALID, "%s:%d:%d: %s%s%s: expected %s, got %s", c->file,
                      v->line, v->col, table, table[0] ? "." : "", key, want,
                      toml_type_name(v->type));
}

static int load_strings(load_ctx *c, const config_key *k, const toml_value *v, crio_err **err)
{
  if (v->type != TOML_ARRAY)
    return type_error(c, k->table, k->name, v, "an array of strings", err);
  for (size_t i = 0; i < v->n_items; i++)
    if (v->items[i]->type != TOML_STRING)
      return type_error(c, k->table, k->name, v->items[i], "a string", err);
  char ***field = (char ***) ((char *) c->cfg + k->offset);
  size_t *count = (size_t *) ((char *) c->cfg + k->count_offset);
  for (size_t i = 0; i < *count; i++)
    free((*field)[i]);
  free(*field);
  *field = xzalloc((v->n_items + 1) * sizeof **field);
  for (size_t i = 0; i < v->n_items; i++)
    (*field)[i] = xstrdup(v->items[i]->s);
  *count = v->n_items;
  return 0;
}

static int load_key(load_ctx *c, const config_key *k, const toml_value *v, crio_err **err)
{
  void *field = (char *) c->cfg + k->offset;
  switch (k->kind) {
  case KEY_STRING:
    if (v->type != TOML_STRING)
      return type_error(c, k->table, k->name, v, "a string", err);
    free(*(char **) field);
    *(char **) field = xstrdup(v->s);
    return 0;
  case KEY_INT:
    if (v->type != TOML_INTEGER)
      return type_error(c, k->table, k->name, v, "an integer", err);
    *(int64_t *) field = v->i;
    return 0;
  case KEY_BOOL:
    if (v->type != TOML_BOOLEAN)
      return type_error(c, k->table, k->name, v, "a boolean", err);
    *(bool *) field = v->b;
    return 0;
  case KEY_STRINGS:
    return load_strings(c, k, v, err);
  }
  return 0;
}

static bool is_known_table(const char *name)
{
  for (size_t i = 0; i < ARRAY_SIZE(known_tables); i++)
    if (strcmp(known_tables[i], name) == 0)
      return true;
  return false;
}

static const config_key *find_key(const char *table, const char *name)
{
  for (size_t i = 0; i < ARRAY_SIZE(config_keys); i++)
    if (strcmp(config_keys[i].table, table) == 0 && strcmp(config_keys[i].name, name) == 0)
      return &config_keys[i];
  return NULL;
}

static int unknown_key(load_ctx *c, const char *full, const toml_key *k, crio_err **err)
{
  return crio_err_set(err, CRIO_E_INVALID, "%s:%d:%d: unknown key \"%s\"", c->file, k->line,
                      k->col, full);
}

/* [crio.runtime.runtimes.NAME] tables: runtime_path, runtime_type, runtime_root. */
static int load_runtimes(load_ctx *c, const toml_value *tbl, crio_err **err)
{
  static const char *const fields[] = { "runtime_path", "runtime_type", "runtime_root" };
  for (size_t i = 0; i < tbl->n_keys; i++) {
    const toml_key *rk = &tbl->keys[i];
    _cleanup_free_ char *prefix = xasprintf("crio.runtime.runtimes.%s", rk->name);
    if (rk->value->type != TOML_TABLE)
      return type_error(c, "crio.runtime.runtimes", rk->name, rk->value, "a table", err);
    const char *values[3] = { NULL, NULL, NULL };
    for (size_t j = 0; j < rk->value->n_keys; j++) {
      const toml_key *f = &rk->value->keys[j];
      size_t idx = 0;
      while (idx < ARRAY_SIZE(fields) && strcmp(fields[idx], f->name) != 0)
        idx++;
      _cleanup_free_ char *full = xasprintf("%s.%s", prefix, f->name);
      if (idx == ARRAY_SIZE(fields))
        return unknown_key(c, full, f, err);
      if (f->value->type != TOML_STRING)
        return type_error(c, prefix, f->name, f->value, "a string", err);
      values[idx] = f->value->s;
    }
    config_runtime_set(c->cfg, rk->name, values[0], values[1], values[2]);
  }
  return 0;
}

static int load_table(load_ctx *c, const char *table, const toml_value *tbl, crio_err **err)
{
  for (size_t i = 0; i < tbl->n_keys; i++) {
    const toml_key *k = &tbl->keys[i];
    _cleanup_free_ char *full = table[0] ? xasprintf("%s.%s", table, k->name) : xstrdup(k->name);
    const config_key *ck = find_key(table, k->name);
    int r = 0;
    if (ck)
      r = load_key(c, ck, k->value, err);
    else if (strcmp(full, "crio.runtime.runtimes") == 0 && k->value->type == TOML_TABLE)
      r = load_runtimes(c, k->value, err);
    else if (is_known_table(full) && k->value->type == TOML_TABLE)
      r = load_table(c, full, k->value, err);
    else if (is_known_table(full) || strcmp(full, "crio.runtime.runtimes") == 0)
      r = type_error(c, table, k->name, k->value, "a table", err);
    else
      r = unknown_key(c, full, k, err);
    if (r < 0)
      return r;
  }
  return 0;
}

int config_load_file(crio_config *cfg, const char *path, bool required, crio_err **err)
{
  _cleanup_toml_ toml_value *doc = NULL;
  _cleanup_err_ crio_err *parse_err = NULL;
  if (toml_parse_file(path, &doc, &parse_err) < 0) {
    if (parse_err->code == CRIO_E_NOT_FOUND && !required)
      return 0;
    *err = steal_pointer(&parse_err);
    return -(int) (*err)->code;
  }
  load_ctx c = { .file = path, .cfg = cfg };
  return load_table(&c, "", doc, err);
}

static void write_value(strbuf *out, const crio_config *cfg, const config_key *k)
{
  const void *field = (const char *) cfg + k->offset;
  switch (k->kind) {
  case KEY_STRING:
    toml_write_string(out, *(char *const *) field);
    break;
  case KEY_INT:
    strbuf_printf(out, "%lld", (long long) *(const int64_t *) field);
    break;
  case KEY_BOOL:
    strbuf_puts(out, *(const bool *) field ? "true" : "false");
    break;
  case KEY_STRINGS: {
    char *const *v = *(char **const *) field;
    size_t n = *(const size_t *) ((const char *) cfg + k->count_offset);
    strbuf_putc(out, '[');
    for (size_t i = 0; i < n; i++) {
      strbuf_puts(out, i ? ", " : "");
      toml_write_string(out, v[i]);
    }
    strbuf_putc(out, ']');
    break;
  }
  }
}

static void write_runtimes(const crio_config *cfg, strbuf *out)
{
  for (size_t i = 0; i < cfg->n_runtimes; i++) {
    const crio_runtime_handler *h = &cfg->runtimes[i];
    strbuf_puts(out, "\n# An OCI runtime handler: its binary (empty: NAME in PATH), type and state root.\n");
    strbuf_puts(out, "[crio.runtime.runtimes.");
    toml_write_key(out, h->name);
    strbuf_puts(out, "]\nruntime_path = ");
    toml_write_string(out, h->runtime_path);
    strbuf_puts(out, "\nruntime_type = ");
    toml_write_string(out, h->runtime_type);
    strbuf_puts(out, "\nruntime_root = ");
    toml_write_string(out, h->runtime_root);
    strbuf_putc(out, '\n');
  }
}

void config_write_toml(const crio_config *cfg, strbuf *out)
{
  strbuf_puts(out, "# crio-c configuration: the effective values (crio config).\n");
  for (size_t t = 0; t < ARRAY_SIZE(known_tables); t++) {
    strbuf_printf(out, "\n[%s]\n", known_tables[t]);
    for (size_t i = 0; i < ARRAY_SIZE(config_keys); i++) {
      const config_key *k = &config_keys[i];
      if (strcmp(k->table, known_tables[t]) != 0)
        continue;
      strbuf_printf(out, "\n# %s\n%s = ", k->doc, k->name);
      write_value(out, cfg, k);
      strbuf_putc(out, '\n');
    }
    if (strcmp(known_tables[t], "crio.runtime") == 0)
      write_runtimes(cfg, out);
  }
}
