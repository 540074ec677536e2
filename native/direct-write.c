/*
 * The sync journal's durable write (src/log/journal/direct-write.ts): one group commit's
 * bytes, written with O_DIRECT | O_DSYNC in a single pwrite on libuv's thread pool.
 *
 * A buffered write + fdatasync copies the group into page-cache folios on the event loop,
 * and the fdatasync then finds, tags and writes those folios back before the flush. A
 * direct write hands the disk the group itself and the flush follows at once (O_DSYNC; the
 * journal overwrites pre-zeroed blocks, so no metadata needs to go with it).
 *
 *   writeDirect(fd, buffers, offset, length) -> Promise<void>
 *     Copies the buffers, in order, into one block-aligned buffer of `length` bytes (zeros
 *     after them) and pwrites it at `offset`, both on the thread pool. `fd` must be open with
 *     O_DIRECT | O_DSYNC; offset and length must be multiples of the file's direct-I/O
 *     alignment (the caller uses 4096). Rejects with an Error whose code is the errno name
 *     and whose syscall names the call that failed.
 *
 * The buffers are read on the thread pool: the caller must not change them until the promise
 * settles (the array is referenced until then, so they stay alive). The fd is dup()ed when the
 * call is made, as in chunked-sync.c, so a handle closed meanwhile cannot redirect the write.
 *
 * Linux only (O_DIRECT); elsewhere native/build.mjs skips it and the journal writes buffered.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <node_api.h>
#include "napi-errors.h"

#ifndef __linux__
#error "O_DIRECT journal writes are Linux-only"
#endif

#define ALIGNMENT 4096
/* More than one journal file's worth is a caller bug; this bounds the allocation. */
#define MAX_LENGTH (1024LL * 1024 * 1024)

typedef struct {
  const uint8_t *data;
  size_t length;
} Piece;

/*
 * Aligned blocks are kept for reuse: a fresh one per write is a new mapping whose pages the
 * kernel faults in and zeroes every time, which costs about what the page-cache copy did.
 * Sizes are rounded up so that groups of similar size reuse one block.
 */
#define BLOCK_ROUNDING (256 * 1024)
#define CACHED_BLOCKS 2
#define CACHED_BLOCK_MAX (16 * 1024 * 1024)

typedef struct {
  uint8_t *data;
  size_t size;
} Block;

static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;
static Block cache[CACHED_BLOCKS];

static Block take_block(size_t length) {
  Block found = {NULL, 0};
  pthread_mutex_lock(&cache_lock);
  for (int i = 0; i < CACHED_BLOCKS; i++) {
    if (cache[i].data && cache[i].size >= length) {
      found = cache[i];
      cache[i].data = NULL;
      cache[i].size = 0;
      break;
    }
  }
  pthread_mutex_unlock(&cache_lock);
  if (found.data) return found;
  size_t size = (length + BLOCK_ROUNDING - 1) / BLOCK_ROUNDING * BLOCK_ROUNDING;
  if (posix_memalign((void **)&found.data, ALIGNMENT, size) != 0) return (Block){NULL, 0};
  found.size = size;
  return found;
}

/* Keeps the block for reuse, in place of a smaller cached one if need be; else frees it. */
static void give_block(Block block) {
  if (block.size <= CACHED_BLOCK_MAX) {
    pthread_mutex_lock(&cache_lock);
    int slot = -1;
    for (int i = 0; i < CACHED_BLOCKS; i++) {
      if (slot < 0 || cache[i].size < cache[slot].size) slot = i;
    }
    if (cache[slot].size < block.size) {
      Block evicted = cache[slot];
      cache[slot] = block;
      block = evicted;
    }
    pthread_mutex_unlock(&cache_lock);
  }
  free(block.data);
}

typedef struct {
  napi_async_work work;
  napi_deferred deferred;
  napi_ref buffers;
  int fd;
  int64_t offset, length;
  Piece *pieces;
  uint32_t count;
  int err;
  const char *syscall;
} WriteJob;

static void run_write(napi_env env, void *data) {
  (void)env;
  WriteJob *job = data;
  Block taken = take_block((size_t)job->length);
  uint8_t *block = taken.data;
  if (!block) {
    job->err = ENOMEM;
    job->syscall = "posix_memalign";
    close(job->fd);
    return;
  }
  size_t at = 0;
  for (uint32_t i = 0; i < job->count; i++) {
    memcpy(block + at, job->pieces[i].data, job->pieces[i].length);
    at += job->pieces[i].length;
  }
  memset(block + at, 0, (size_t)job->length - at);
  for (int64_t done = 0; done < job->length;) {
    ssize_t n = pwrite(job->fd, block + done, (size_t)(job->length - done), job->offset + done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0 || n % ALIGNMENT != 0) {
      // A short direct write that is not block-aligned cannot be resumed; report it.
      job->err = n < 0 ? errno : EIO;
      job->syscall = "pwrite";
      break;
    }
    done += n;
  }
  give_block(taken);
  close(job->fd);
}

static void free_job(napi_env env, WriteJob *job) {
  if (job->buffers) napi_delete_reference(env, job->buffers);
  free(job->pieces);
  free(job);
}

static void finish_write(napi_env env, napi_status status, void *data) {
  WriteJob *job = data;
  if (status == napi_ok && job->err == 0) {
    napi_value undefined;
    napi_get_undefined(env, &undefined);
    napi_resolve_deferred(env, job->deferred, undefined);
  } else {
    napi_reject_deferred(env, job->deferred, errno_error(env, job->err ? job->err : EIO, job->syscall ? job->syscall : "writeDirect"));
  }
  napi_delete_async_work(env, job->work);
  free_job(env, job);
}

/* Reads the array's buffers into job->pieces; returns their total length, or -1. */
static int64_t collect_pieces(napi_env env, napi_value array, WriteJob *job) {
  bool isArray = false;
  if (napi_is_array(env, array, &isArray) != napi_ok || !isArray) return -1;
  if (napi_get_array_length(env, array, &job->count) != napi_ok) return -1;
  job->pieces = calloc(job->count ? job->count : 1, sizeof(Piece));
  if (!job->pieces) return -1;
  int64_t total = 0;
  for (uint32_t i = 0; i < job->count; i++) {
    napi_value item;
    bool isBuffer = false;
    void *data;
    size_t length;
    if (napi_get_element(env, array, i, &item) != napi_ok || napi_is_buffer(env, item, &isBuffer) != napi_ok || !isBuffer ||
        napi_get_buffer_info(env, item, &data, &length) != napi_ok)
      return -1;
    job->pieces[i].data = data;
    job->pieces[i].length = length;
    total += (int64_t)length;
  }
  return total;
}

static napi_value write_direct(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  int32_t fd;
  int64_t offset, length;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 4 ||
      napi_get_value_int32(env, argv[0], &fd) != napi_ok || !get_safe_int64(env, argv[2], &offset) ||
      !get_safe_int64(env, argv[3], &length) || length <= 0 || length > MAX_LENGTH || offset % ALIGNMENT != 0 ||
      length % ALIGNMENT != 0) {
    napi_throw_type_error(env, NULL, "writeDirect(fd, buffers, offset, length) needs a 4096-aligned offset and a positive 4096-aligned length");
    return NULL;
  }
  WriteJob *job = calloc(1, sizeof *job);
  if (!job) {
    napi_throw_error(env, "ENOMEM", "writeDirect");
    return NULL;
  }
  int64_t total = collect_pieces(env, argv[1], job);
  if (total < 0 || total > length) {
    free_job(env, job);
    napi_throw_type_error(env, NULL, "writeDirect: buffers must be an array of Buffers holding at most `length` bytes");
    return NULL;
  }
  napi_value promise;
  if (napi_create_promise(env, &job->deferred, &promise) != napi_ok) {
    free_job(env, job);
    return NULL;
  }
  int dup = fd < 0 ? -1 : fcntl(fd, F_DUPFD_CLOEXEC, 0);
  if (dup < 0) {
    napi_reject_deferred(env, job->deferred, errno_error(env, fd < 0 ? EBADF : errno, "dup"));
    free_job(env, job);
    return promise;
  }
  job->fd = dup;
  job->offset = offset;
  job->length = length;
  napi_value name;
  napi_create_string_utf8(env, "lakegate.writeDirect", NAPI_AUTO_LENGTH, &name);
  if (napi_create_reference(env, argv[1], 1, &job->buffers) != napi_ok ||
      napi_create_async_work(env, NULL, name, run_write, finish_write, job, &job->work) != napi_ok ||
      napi_queue_async_work(env, job->work) != napi_ok) {
    if (job->work) napi_delete_async_work(env, job->work);
    close(dup);
    napi_reject_deferred(env, job->deferred, errno_error(env, EIO, "napi_queue_async_work"));
    free_job(env, job);
  }
  return promise;
}

NAPI_MODULE_INIT() {
  napi_value fn;
  if (napi_create_function(env, "writeDirect", NAPI_AUTO_LENGTH, write_direct, NULL, &fn) != napi_ok) return NULL;
  if (napi_set_named_property(env, exports, "writeDirect", fn) != napi_ok) return NULL;
  return exports;
}
