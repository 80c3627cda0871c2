#include "fs.h"

#include <errno.h>
#include <fcntl.h>
#include <dirent.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cleanup.h"
#include "strbuf.h"
#include "xalloc.h"

extern char **environ;

char *path_join(const char *a, const char *b)
{
  size_t la = strlen(a);
  while (la > 1 && a[la - 1] == '/')
    la--;
  while (*b == '/')
    b++;
  if (la == 1 && a[0] == '/')
    return xasprintf("/%s", b);
  return xasprintf("%.*s/%s", (int) la, a, b);
}

int mkdir_p(const char *path, mode_t mode, crio_err **err)
{
  _cleanup_free_ char *copy = xstrdup(path);
  for (char *p = copy + 1; ; p++) {
    if (*p != '/' && *p != '\0')
      continue;
    char saved = *p;
    *p = '\0';
    if (mkdir(copy, mode) < 0 && errno != EEXIST)
      return crio_err_errno(err, CRIO_E_IO, errno, "mkdir %s", copy);
    *p = saved;
    if (saved == '\0')
      break;
  }
  struct stat st;
  if (stat(path, &st) < 0)
    return crio_err_errno(err, CRIO_E_IO, errno, "stat %s", path);
  if (!S_ISDIR(st.st_mode))
    return crio_err_set(err, CRIO_E_IO, "%s exists and is not a directory", path);
  return 0;
}

int read_file(const char *path, char **out, size_t *len_out, crio_err **err)
{
  _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return crio_err_errno(err, errno == ENOENT ? CRIO_E_NOT_FOUND : CRIO_E_IO, errno, "open %s",
                          path);
  _cleanup_strbuf_ strbuf b = STRBUF_INIT;
  char chunk[8192];
  for (;;) {
    ssize_t n = read(fd, chunk, sizeof chunk);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      return crio_err_errno(err, CRIO_E_IO, errno, "read %s", path);
    if (n == 0)
      break;
    strbuf_append(&b, chunk, (size_t) n);
  }
  if (len_out)
    *len_out = b.len;
  *out = strbuf_steal(&b);
  return 0;
}

int write_file_atomic(const char *path, const void *data, size_t len, mode_t mode, crio_err **err)
{
  _cleanup_free_ char *tmp = xasprintf("%s.tmp.%d", path, (int) getpid());
  _cleanup_close_ int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  if (fd < 0)
    return crio_err_errno(err, CRIO_E_IO, errno, "create %s", tmp);
  const char *p = data;
  while (len > 0) {
    ssize_t n = write(fd, p, len);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0) {
      int e = errno;
      unlink(tmp);
      return crio_err_errno(err, CRIO_E_IO, e, "write %s", tmp);
    }
    p += n;
    len -= (size_t) n;
  }
  if (fsync(fd) < 0 || rename(tmp, path) < 0) {
    int e = errno;
    unlink(tmp);
    return crio_err_errno(err, CRIO_E_IO, e, "replace %s", path);
  }
  return 0;
}

int run_capture(char *const argv[], char **out, crio_err **err)
{
  int pipefd[2];
  if (pipe2(pipefd, O_CLOEXEC) < 0)
    return crio_err_errno(err, CRIO_E_IO, errno, "pipe for %s", argv[0]);
  _cleanup_close_ int rfd = pipefd[0];
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, pipefd[1], STDOUT_FILENO);
  posix_spawn_file_actions_addopen(&fa, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
  pid_t pid;
  int rc = posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ);
  posix_spawn_file_actions_destroy(&fa);
  close(pipefd[1]);
  if (rc != 0)
    return crio_err_errno(err, rc == ENOENT ? CRIO_E_NOT_FOUND : CRIO_E_IO, rc, "run %s", argv[0]);
  _cleanup_strbuf_ strbuf b = STRBUF_INIT;
  char chunk[4096];
  ssize_t n;
  while ((n = read(rfd, chunk, sizeof chunk)) != 0) {
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      break;
    strbuf_append(&b, chunk, (size_t) n);
  }
  int status;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
    ;
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    return crio_err_set(err, CRIO_E_IO, "%s failed (status %d)", argv[0], status);
  while (b.len > 0 && (b.data[b.len - 1] == '\n' || b.data[b.len - 1] == '\r'))
    b.data[--b.len] = '\0';
  *out = strbuf_steal(&b);
  return 0;
}

static int64_t dir_size_at(int dfd)
{
  DIR *d = fdopendir(dfd);
  if (!d) {
    close(dfd);
    return 0;
  }
  int64_t total = 0;
  struct dirent *de;
  while ((de = readdir(d))) {
    if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
      continue;
    struct stat st;
    if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
      continue;
    if (S_ISREG(st.st_mode))
      total += st.st_size;
    else if (S_ISDIR(st.st_mode)) {
      int sub = openat(dirfd(d), de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      if (sub >= 0)
        total += dir_size_at(sub);
    }
  }
  closedir(d);
  return total;
}

int64_t dir_size_bytes(const char *path)
{
  int fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  return fd < 0 ? 0 : dir_size_at(fd);
}
