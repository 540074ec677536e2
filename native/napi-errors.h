/*
 * What the project's addons share: errno names for Error codes (as Node's own fs errors have),
 * the Error they reject or throw with, and reading a safe non-negative integer argument.
 * Each addon is its own translation unit (native/build.mjs), so these are static.
 */
#ifndef LAKEGATE_NAPI_ERRORS_H
#define LAKEGATE_NAPI_ERRORS_H

#include <errno.h>
#include <stdint.h>
#include <node_api.h>

static inline const char *errno_name(int e) {
  switch (e) {
    case EBADF: return "EBADF";
    case EINTR: return "EINTR";
    case EIO: return "EIO";
    case ENOSPC: return "ENOSPC";
#if defined(EDQUOT)
    case EDQUOT: return "EDQUOT";
#endif
    case EINVAL: return "EINVAL";
    case EROFS: return "EROFS";
    case ESPIPE: return "ESPIPE";
    case ENOMEM: return "ENOMEM";
    case EMFILE: return "EMFILE";
    case EFBIG: return "EFBIG";
    case ENOLCK: return "ENOLCK";
#if defined(EOPNOTSUPP)
    case EOPNOTSUPP: return "EOPNOTSUPP";
#endif
#if defined(ENOTSUP) && (!defined(EOPNOTSUPP) || ENOTSUP != EOPNOTSUPP)
    case ENOTSUP: return "ENOTSUP";
#endif
    default: return "EUNKNOWN";
  }
}

/* An Error with code = errno name, message = syscall, and syscall and errno (negative) set. */
static inline napi_value errno_error(napi_env env, int err, const char *syscall) {
  napi_value code, message, error, name, errnoValue;
  napi_create_string_utf8(env, errno_name(err), NAPI_AUTO_LENGTH, &code);
  napi_create_string_utf8(env, syscall, NAPI_AUTO_LENGTH, &message);
  napi_create_error(env, code, message, &error);
  napi_create_string_utf8(env, syscall, NAPI_AUTO_LENGTH, &name);
  napi_set_named_property(env, error, "syscall", name);
  napi_create_int32(env, -err, &errnoValue);
  napi_set_named_property(env, error, "errno", errnoValue);
  return error;
}

/* Reads a non-negative safe integer; returns 0 for anything else. */
static inline int get_safe_int64(napi_env env, napi_value v, int64_t *out) {
  double d;
  if (napi_get_value_double(env, v, &d) != napi_ok || d != d || d < 0 || d > 9007199254740991.0) return 0;
  *out = (int64_t)d;
  return (double)*out == d;
}

#endif
