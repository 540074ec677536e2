/*
 * flock(2) for the data-directory lock (src/data-dir-lock.ts). Node has no binding for it.
 * The lock belongs to the open file description, so the kernel drops it when the process ends
 * however it ends, and it is seen by every process on the machine that opens the same inode:
 * also from other network namespaces (containers sharing a volume), which the abstract-socket
 * lock cannot see.
 *
 *   tryLockExclusive(fd) -> true when taken, false when another open description holds it;
 *   throws an Error whose code is the errno name (ENOLCK, EOPNOTSUPP, ...) otherwise.
 */
#include <errno.h>
#include <stdint.h>
#include <sys/file.h>
#include <node_api.h>
#include "napi-errors.h"

static napi_value try_lock_exclusive(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 1) {
    napi_throw_type_error(env, NULL, "tryLockExclusive(fd) needs a file descriptor");
    return NULL;
  }
  int32_t fd;
  if (napi_get_value_int32(env, argv[0], &fd) != napi_ok || fd < 0) {
    napi_throw_type_error(env, NULL, "tryLockExclusive(fd): fd must be a non-negative integer");
    return NULL;
  }
  int rc;
  do rc = flock(fd, LOCK_EX | LOCK_NB);
  while (rc != 0 && errno == EINTR);
  napi_value result;
  if (rc == 0) {
    napi_get_boolean(env, 1, &result);
    return result;
  }
  if (errno == EWOULDBLOCK) {
    napi_get_boolean(env, 0, &result);
    return result;
  }
  napi_throw_error(env, errno_name(errno), "flock(LOCK_EX | LOCK_NB) failed");
  return NULL;
}

NAPI_MODULE_INIT() {
  napi_value fn;
  if (napi_create_function(env, "tryLockExclusive", NAPI_AUTO_LENGTH, try_lock_exclusive, NULL, &fn) != napi_ok) return NULL;
  if (napi_set_named_property(env, exports, "tryLockExclusive", fn) != napi_ok) return NULL;
  return exports;
}
