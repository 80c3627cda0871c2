/* File-system helpers of the image store that must never follow symlinks. */
#ifndef CRIO_IMAGE_FSUTIL_H
#define CRIO_IMAGE_FSUTIL_H

#include "util/err.h"

/* rm -rf path: removes the tree without following any symlink inside it
 * (the last component of path is not followed either; a symlink there is
 * removed itself), makes read-only directories writable as it goes, and
 * refuses to descend into another file system (a mount point inside the
 * tree) instead of emptying it. A missing path is success. Open file
 * descriptors stay bounded whatever the depth of the tree. */
int rm_rf_at(const char *path, crio_err **err);

/* The same for the entry name of the directory dirfd; what (may be NULL)
 * names the tree in error messages. */
int rm_rf_child(int dirfd, const char *name, const char *what, crio_err **err);

#endif
