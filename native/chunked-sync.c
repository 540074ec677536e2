/*
 * Paced write-back of a segment for the sync journal's checkpoint (src/log/segment-sync.ts).
 * fdatasync of a segment with 32 MiB dirty hands the whole range to the disk at once; the
 * journal's own small write and flush, which acknowledgements wait for, then queue behind it.
 * Writing the range back one chunk at a time, each waited for, keeps at most one chunk ahead
 * of them. The fdatasync at the end still runs, so durability never depends on the range
 * given: it only paces the writes.
 *
 *   syncInChunks(fd, from, to, chunkBytes) -> Promise<void>
 *     sync_file_range(WAIT_BEFORE | WRITE | WAIT_AFTER) over [from, to) in chunkBytes steps
 *     on libuv's thread pool, then fdatasync(fd). Rejects with an Error whose code is the
 *     errno name (EIO, ENOSPC, EBADF, ...) and whose syscall names the call that failed.
 *
 * The fd is dup()ed when the call is made, so a FileHandle closed meanwhile cannot turn the
 * number into another file's; the dup shares the open file description, and with it the
 * write-back error state that fdatasync reports.
 *
 * Linux only (sync_file_range); elsewhere native/build.mjs skips it and the caller uses
 * fdatasync alone.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>
#include <node_api.h>
#include "napi-errors.h"

#ifndef __linux__
#error "sync_file_range is Linux-only"
#endif

typedef struct {
  napi_async_work work;
  napi_deferred deferred;
  int fd;
  int64_t from, to, chunk;
  int err;
  const char *syscall;
} SyncJob;

static void run_sync(napi_env env, void *data) {
  (void)env;
  SyncJob *job = data;
  const unsigned flags = SYNC_FILE_RANGE_WAIT_BEFORE | SYNC_FILE_RANGE_WRITE | SYNC_FILE_RANGE_WAIT_AFTER;
  for (int64_t off = job->from; off < job->to;) {
    int64_t len = job->to - off < job->chunk ? job->to - off : job->chunk;
    if (sync_file_range(job->fd, off, len, flags) != 0) {
      if (errno == EINTR) continue;
      // A write-back error is reported here once (the file's error state advances), so it
      // must fail the sync: the fdatasync below would no longer see it.
      job->err = errno;
      job->syscall = "sync_file_range";
      break;
    }
    off += len;
  }
  if (job->err == 0) {
    int rc;
    do rc = fdatasync(job->fd);
    while (rc != 0 && errno == EINTR);
    if (rc != 0) {
      job->err = errno;
      job->syscall = "fdatasync";
    }
  }
  close(job->fd);
}

static void finish_sync(napi_env env, napi_status status, void *data) {
  SyncJob *job = data;
  if (status == napi_ok && job->err == 0) {
    napi_value undefined;
    napi_get_undefined(env, &undefined);
    napi_resolve_deferred(env, job->deferred, undefined);
  } else {
    napi_reject_deferred(env, job->deferred, errno_error(env, job->err ? job->err : EIO, job->syscall ? job->syscall : "syncInChunks"));
  }
  napi_delete_async_work(env, job->work);
  free(job);
}

static napi_value sync_in_chunks(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  int32_t fd;
  int64_t from, to, chunk;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 4 ||
      napi_get_value_int32(env, argv[0], &fd) != napi_ok || !get_safe_int64(env, argv[1], &from) ||
      !get_safe_int64(env, argv[2], &to) || !get_safe_int64(env, argv[3], &chunk) || chunk <= 0) {
    napi_throw_type_error(env, NULL, "syncInChunks(fd, from, to, chunkBytes) needs non-negative integers and a positive chunk");
    return NULL;
  }
  napi_value promise;
  napi_deferred deferred;
  if (napi_create_promise(env, &deferred, &promise) != napi_ok) return NULL;
  int dup = fd < 0 ? -1 : fcntl(fd, F_DUPFD_CLOEXEC, 0);
  if (dup < 0) {
    napi_reject_deferred(env, deferred, errno_error(env, fd < 0 ? EBADF : errno, "dup"));
    return promise;
  }
  SyncJob *job = calloc(1, sizeof *job);
  if (!job) {
    close(dup);
    napi_reject_deferred(env, deferred, errno_error(env, ENOMEM, "syncInChunks"));
    return promise;
  }
  job->deferred = deferred;
  job->fd = dup;
  job->from = from;
  job->to = to;
  job->chunk = chunk;
  napi_value name;
  napi_create_string_utf8(env, "lakegate.syncInChunks", NAPI_AUTO_LENGTH, &name);
  if (napi_create_async_work(env, NULL, name, run_sync, finish_sync, job, &job->work) != napi_ok ||
      napi_queue_async_work(env, job->work) != napi_ok) {
    close(dup);
    free(job);
    napi_reject_deferred(env, deferred, errno_error(env, EIO, "napi_queue_async_work"));
  }
  return promise;
}

NAPI_MODULE_INIT() {
  napi_value fn;
  if (napi_create_function(env, "syncInChunks", NAPI_AUTO_LENGTH, sync_in_chunks, NULL, &fn) != napi_ok) return NULL;
  if (napi_set_named_property(env, exports, "syncInChunks", fn) != napi_ok) return NULL;
  return exports;
}
