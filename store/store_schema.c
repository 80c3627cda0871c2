/* The schema, as an ordered list of migration steps. Step i takes a database
 * from PRAGMA user_version i to i + 1; store.c applies each in its own
 * transaction together with the version bump. Never edit a released step:
 * append a new one. */
#include "store/store_int.h"

#include "util/cleanup.h"

/* A 64-character lowercase hex id. */
#define HEX64(col) "length(" col ") = 64 AND " col " NOT GLOB '*[^0-9a-f]*'"
/* JSON of a given type; CASE guards json_type() against malformed text. */
#define JSON_IS(col, type) \
  "CASE WHEN json_valid(" col ") THEN json_type(" col ") = '" type "' ELSE 0 END"

static const char migration_1[] =
  "CREATE TABLE pods ("
  "  id TEXT PRIMARY KEY NOT NULL CONSTRAINT \"pod id must be 64 hex\" CHECK (" HEX64("id") "),"
  "  name TEXT NOT NULL UNIQUE CONSTRAINT \"pod name must not be empty\" CHECK (name <> ''),"
  "  namespace TEXT,"
  "  uid TEXT,"
  "  attempt INTEGER NOT NULL DEFAULT 0 CHECK (attempt >= 0),"
  "  state TEXT NOT NULL CHECK (state IN ('READY', 'NOTREADY')),"
  "  created_ns INTEGER NOT NULL,"
  "  hostname TEXT,"
  "  labels TEXT NOT NULL DEFAULT '{}'"
  "    CONSTRAINT \"pod labels must be a JSON object\" CHECK (" JSON_IS("labels", "object") "),"
  "  annotations TEXT NOT NULL DEFAULT '{}'"
  "    CONSTRAINT \"pod annotations must be a JSON object\""
  "    CHECK (" JSON_IS("annotations", "object") "),"
  "  spec TEXT NOT NULL DEFAULT '{}'"
  "    CONSTRAINT \"pod spec must be JSON\" CHECK (json_valid(spec)),"
  "  netns_path TEXT,"
  "  ips TEXT NOT NULL DEFAULT '[]'"
  "    CONSTRAINT \"pod ips must be a JSON array\" CHECK (" JSON_IS("ips", "array") ")"
  ") STRICT;"
  "CREATE INDEX pods_created ON pods (created_ns, id);"

  "CREATE TABLE images ("
  "  id TEXT PRIMARY KEY NOT NULL CONSTRAINT \"image id must be 64 hex\" CHECK (" HEX64("id") "),"
  "  manifest_digest TEXT,"
  "  size INTEGER NOT NULL DEFAULT 0 CHECK (size >= 0),"
  "  created_ns INTEGER NOT NULL DEFAULT 0,"
  "  pinned INTEGER NOT NULL DEFAULT 0 CHECK (pinned IN (0, 1)),"
  "  config TEXT NOT NULL DEFAULT '{}'"
  "    CONSTRAINT \"image config must be JSON\" CHECK (json_valid(config)),"
  "  manifest TEXT NOT NULL DEFAULT '{}'"
  "    CONSTRAINT \"image manifest must be JSON\" CHECK (json_valid(manifest))"
  ") STRICT;"

  /* Tags and repo digests: the primary key makes a name point at one image. */
  "CREATE TABLE image_names ("
  "  name TEXT PRIMARY KEY NOT NULL CONSTRAINT \"image name must not be empty\""
  "    CHECK (name <> ''),"
  "  image_id TEXT NOT NULL REFERENCES images (id) ON DELETE CASCADE,"
  "  kind TEXT NOT NULL CHECK (kind IN ('tag', 'digest'))"
  ") STRICT;"
  "CREATE INDEX image_names_image ON image_names (image_id);"

  /* parent is deferred so layers of a chain may be inserted or deleted in any
   * order within a transaction. */
  "CREATE TABLE layers ("
  "  id TEXT PRIMARY KEY NOT NULL CONSTRAINT \"layer id must be 64 hex\" CHECK (" HEX64("id") "),"
  "  parent TEXT REFERENCES layers (id) DEFERRABLE INITIALLY DEFERRED,"
  "  diff_id TEXT NOT NULL CONSTRAINT \"layer diff id must not be empty\" CHECK (diff_id <> ''),"
  "  compressed_digest TEXT,"
  "  size INTEGER NOT NULL DEFAULT 0 CHECK (size >= 0),"
  "  compressed_size INTEGER NOT NULL DEFAULT 0 CHECK (compressed_size >= 0),"
  "  created_ns INTEGER NOT NULL"
  ") STRICT;"
  "CREATE INDEX layers_parent ON layers (parent);"

  /* The refcount of a layer is the number of rows naming it here. */
  "CREATE TABLE image_layers ("
  "  image_id TEXT NOT NULL REFERENCES images (id) ON DELETE CASCADE,"
  "  position INTEGER NOT NULL CHECK (position >= 0),"
  "  layer_id TEXT NOT NULL REFERENCES layers (id),"
  "  PRIMARY KEY (image_id, position)"
  ") STRICT, WITHOUT ROWID;"
  "CREATE INDEX image_layers_layer ON image_layers (layer_id);"

  /* Containers keep their pod and image from being deleted (RESTRICT). */
  "CREATE TABLE containers ("
  "  id TEXT PRIMARY KEY NOT NULL"
  "    CONSTRAINT \"container id must be 64 hex\" CHECK (" HEX64("id") "),"
  "  pod_id TEXT NOT NULL REFERENCES pods (id) ON DELETE RESTRICT,"
  "  name TEXT NOT NULL UNIQUE"
  "    CONSTRAINT \"container name must not be empty\" CHECK (name <> ''),"
  "  attempt INTEGER NOT NULL DEFAULT 0 CHECK (attempt >= 0),"
  "  image_id TEXT REFERENCES images (id) ON DELETE RESTRICT,"
  "  image_ref TEXT,"
  "  state TEXT NOT NULL"
  "    CHECK (state IN ('CREATED', 'RUNNING', 'PAUSED', 'EXITED', 'UNKNOWN')),"
  "  pid INTEGER NOT NULL DEFAULT 0,"
  "  exit_code INTEGER NOT NULL DEFAULT 0,"
  "  oom_killed INTEGER NOT NULL DEFAULT 0 CHECK (oom_killed IN (0, 1)),"
  "  reason TEXT,"
  "  message TEXT,"
  "  created_ns INTEGER NOT NULL,"
  "  started_ns INTEGER NOT NULL DEFAULT 0,"
  "  finished_ns INTEGER NOT NULL DEFAULT 0,"
  "  labels TEXT NOT NULL DEFAULT '{}'"
  "    CONSTRAINT \"container labels must be a JSON object\""
  "    CHECK (" JSON_IS("labels", "object") "),"
  "  annotations TEXT NOT NULL DEFAULT '{}'"
  "    CONSTRAINT \"container annotations must be a JSON object\""
  "    CHECK (" JSON_IS("annotations", "object") "),"
  "  log_path TEXT,"
  "  spec TEXT NOT NULL DEFAULT '{}'"
  "    CONSTRAINT \"container spec must be JSON\" CHECK (json_valid(spec))"
  ") STRICT;"
  "CREATE INDEX containers_pod ON containers (pod_id);"
  "CREATE INDEX containers_image ON containers (image_id);"
  "CREATE INDEX containers_created ON containers (created_ns, id);"

  /* The event log: append-only, enforced here rather than trusted to code. */
  "CREATE TABLE events ("
  "  seq INTEGER PRIMARY KEY AUTOINCREMENT,"
  "  time_ns INTEGER NOT NULL,"
  "  type TEXT NOT NULL CHECK (type IN ('pod', 'container', 'image')),"
  "  action TEXT NOT NULL CONSTRAINT \"event action must not be empty\" CHECK (action <> ''),"
  "  object_id TEXT NOT NULL,"
  "  name TEXT,"
  "  attributes TEXT NOT NULL DEFAULT '{}'"
  "    CONSTRAINT \"event attributes must be a JSON object\""
  "    CHECK (" JSON_IS("attributes", "object") ")"
  ") STRICT;"
  "CREATE TRIGGER events_no_update BEFORE UPDATE ON events"
  "  BEGIN SELECT RAISE(ABORT, 'the event log is append-only: UPDATE refused'); END;"
  "CREATE TRIGGER events_no_delete BEFORE DELETE ON events"
  "  BEGIN SELECT RAISE(ABORT, 'the event log is append-only: DELETE refused'); END;";

static const char *const migrations[] = {
  migration_1,
};

const char *const *store_migrations(int *n)
{
  *n = (int) ARRAY_SIZE(migrations);
  return migrations;
}
