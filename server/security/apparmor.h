/* AppArmor for containers, as CRI-O chooses a container's profile.
 *
 * Profiles are named as in the CRI:
 * - "" or "runtime/default": CRI-O's default profile, "crio-default", when
 *   AppArmor is enabled on the host and that profile is loaded; nothing
 *   when AppArmor is disabled (or a privileged container);
 * - "unconfined": nothing;
 * - "localhost/NAME": the loaded profile NAME; refused when AppArmor is
 *   disabled on the host or NAME is not loaded. */
#ifndef CRIO_SECURITY_APPARMOR_H
#define CRIO_SECURITY_APPARMOR_H

#include <stdbool.h>

#include "util/err.h"

#define APPARMOR_DEFAULT_PROFILE "crio-default"

/* Whether the host enforces AppArmor: /sys/module/apparmor/parameters/enabled
 * says "Y". sys_root prefixes the /sys paths (tests); NULL: "". */
bool apparmor_enabled(const char *sys_root);

/* *name_out: the profile for process.apparmorProfile, NULL for none;
 * *effective_out: "runtime/default", "unconfined" or "localhost/NAME" (free
 * both). A name that is none of the above, or a localhost profile the host
 * cannot apply, gives CRIO_E_INVALID naming the profile and the reason. */
int apparmor_resolve(const char *profile, bool privileged, const char *sys_root, char **name_out,
                     char **effective_out, crio_err **err);

#endif
