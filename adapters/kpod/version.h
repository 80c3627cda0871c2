/* kpod's own version facts. CRIO_VERSION and CRIO_GIT_COMMIT come from CMake;
 * the fallbacks keep a standalone gcc build working. */
#ifndef KPOD_VERSION_H
#define KPOD_VERSION_H

#ifndef CRIO_VERSION
#define CRIO_VERSION "0.1.0"
#endif
#ifndef CRIO_GIT_COMMIT
#define CRIO_GIT_COMMIT "unknown"
#endif

#define KPOD_VERSION CRIO_VERSION
#define KPOD_GIT_COMMIT CRIO_GIT_COMMIT
/* The REST API version kpod speaks: every path it requests starts with /v1. */
#define KPOD_API_VERSION "v1"
#define KPOD_OS "linux"

/* The architecture in Go's (and so podman's and the OCI spec's) spelling. */
#if defined(__x86_64__)
#define KPOD_ARCH "amd64"
#elif defined(__aarch64__)
#define KPOD_ARCH "arm64"
#elif defined(__i386__)
#define KPOD_ARCH "386"
#elif defined(__arm__)
#define KPOD_ARCH "arm"
#elif defined(__powerpc64__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define KPOD_ARCH "ppc64le"
#elif defined(__s390x__)
#define KPOD_ARCH "s390x"
#elif defined(__riscv) && __riscv_xlen == 64
#define KPOD_ARCH "riscv64"
#else
#define KPOD_ARCH "unknown"
#endif

#endif
