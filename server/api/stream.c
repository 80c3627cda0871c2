#include "server/api/stream.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/xalloc.h"

struct ndjson_stream {
  int fd;
  void (*run)(ndjson_stream *s, void *data);
  void *data;
};

static void *stream_thread(void *arg)
{
  ndjson_stream *s = arg;
  s->run(s, s->data);
  close(s->fd);
  free(s);
  return NULL;
}

int ndjson_stream_fd(ndjson_stream *s)
{
  return s->fd;
}

int stream_start(api_reply *reply, const char *content_type,
                 void (*run)(ndjson_stream *s, void *data), void *data, crio_err **err)
{
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) < 0)
    return crio_err_errno(err, CRIO_E_IO, errno, "pipe for response stream");
  ndjson_stream *s = xzalloc(sizeof *s);
  s->fd = fds[1];
  s->run = run;
  s->data = data;
  pthread_t t;
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
  int rc = pthread_create(&t, &attr, stream_thread, s);
  pthread_attr_destroy(&attr);
  if (rc != 0) {
    close(fds[0]);
    close(fds[1]);
    free(s);
    return crio_err_errno(err, CRIO_E_INTERNAL, rc, "start stream thread");
  }
  api_reply_pipe(reply, fds[0], content_type ? content_type : "application/x-ndjson");
  return 0;
}

void ndjson_write(ndjson_stream *s, json_t *obj)
{
  ndjson_write_checked(s, obj);
}

bool ndjson_write_checked(ndjson_stream *s, json_t *obj)
{
  char *line = json_dumps(obj, JSON_COMPACT);
  json_decref(obj);
  if (!line)
    return false;
  size_t n = strlen(line);
  line = xrealloc(line, n + 2);
  line[n++] = '\n';
  const char *p = line;
  while (n > 0) {
    ssize_t w = write(s->fd, p, n);
    if (w < 0 && errno == EINTR)
      continue;
    if (w <= 0)
      break;  /* EPIPE: the client left */
    p += w;
    n -= (size_t) w;
  }
  free(line);
  return n == 0;
}

void ndjson_write_error(ndjson_stream *s, const crio_err *err)
{
  const crio_code_info *info = crio_code_info_get(err->code);
  ndjson_write(s, json_pack("{s:s,s:{s:s,s:s}}", "status", "error", "error", "code", info->name,
                            "message", err->message));
}
