/* What the image files of the engine share. */
#ifndef CRIO_ENGINE_IMAGE_INTERNAL_H
#define CRIO_ENGINE_IMAGE_INTERNAL_H

#include "server/engine/engine_internal.h"

/* Finds an image by ID, ID prefix, full name, normalized reference, or a
 * short name that matches exactly one local image's repository suffix. */
int image_lookup(engine *e, const char *name, store_image **out, crio_err **err);
/* The normalized reference ("docker.io/library/busybox:latest") of a user's
 * name, or NULL when name is not a reference. */
char *image_normalize_name(const char *name);
void engine_image_from_store(const store_image *s, engine_image *out);
void strv_push(engine_strv *v, const char *s);

#endif
