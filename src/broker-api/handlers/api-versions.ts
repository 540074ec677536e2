import { ErrorCode } from '../../protocol/errors.js';
import { ApiVersions, type ApiVersionsRequest, type ApiVersionsResponse } from '../../protocol/messages/index.js';
import type { ApiHandler } from '../handler.js';

/** KIP-511: the software name and version a client reports must look like this. */
const SOFTWARE_FIELD = /^[a-zA-Z0-9](?:[a-zA-Z0-9\-.]*[a-zA-Z0-9])?$/;

export function apiVersionsHandler(advertised: () => ApiVersionsResponse['apiKeys']): ApiHandler<ApiVersionsRequest, ApiVersionsResponse> {
  return {
    api: ApiVersions,
    handle(ctx, req) {
      if (ctx.header.apiVersion >= 3 && !(SOFTWARE_FIELD.test(req.clientSoftwareName) && SOFTWARE_FIELD.test(req.clientSoftwareVersion))) {
        return { errorCode: ErrorCode.INVALID_REQUEST, apiKeys: [], throttleTimeMs: 0 };
      }
      return { errorCode: ErrorCode.NONE, apiKeys: advertised(), throttleTimeMs: 0 };
    },
  };
}
