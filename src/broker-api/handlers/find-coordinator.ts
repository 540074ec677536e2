import { ErrorCode } from '../../protocol/errors.js';
import { FindCoordinator, type FindCoordinatorRequest } from '../../protocol/messages/index.js';
import type { ApiHandler } from '../handler.js';

const MESSAGE = 'lakegate has no group or transaction coordinator yet';

/** Answers, as the notes require of an advertised API, but always with an error for now. */
export const findCoordinatorHandler: ApiHandler<FindCoordinatorRequest, object> = {
  api: FindCoordinator,
  handle(ctx, req) {
    if (ctx.header.apiVersion < 4) {
      return { throttleTimeMs: 0, errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, errorMessage: MESSAGE, nodeId: -1, host: '', port: -1 };
    }
    return {
      throttleTimeMs: 0,
      coordinators: req.coordinatorKeys.map((key) => ({ key, nodeId: -1, host: '', port: -1, errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, errorMessage: MESSAGE })),
    };
  },
};
