/* NDJSON streams: a long operation runs in its own thread and writes one JSON
 * object a line into a pipe that the HTTP response reads, so progress reaches
 * the client as it happens. */
#ifndef CRIO_API_STREAM_H
#define CRIO_API_STREAM_H

#include <jansson.h>
#include <stdbool.h>

#include "server/api/reply.h"

typedef struct ndjson_stream ndjson_stream;

/* Starts run(stream, data) in a new thread and points reply at the stream
 * (content_type NULL: application/x-ndjson). run writes lines with
 * ndjson_write, or bytes to ndjson_stream_fd; the stream ends when run
 * returns. */
int stream_start(api_reply *reply, const char *content_type,
                 void (*run)(ndjson_stream *s, void *data), void *data, crio_err **err);
#define ndjson_stream_start(reply, run, data, err) stream_start(reply, NULL, run, data, err)
/* The pipe's write end, for streams of raw bytes. */
int ndjson_stream_fd(ndjson_stream *s);
/* Writes obj (reference taken) as one line; a client that went away is
 * ignored: the operation completes anyway. */
void ndjson_write(ndjson_stream *s, json_t *obj);
/* The same; false when the client has gone. */
bool ndjson_write_checked(ndjson_stream *s, json_t *obj);
/* The last line of a failed operation: {"status":"error","error":{...}}. */
void ndjson_write_error(ndjson_stream *s, const crio_err *err);

#endif
