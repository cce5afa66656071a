/** The Raft client: `RaftClient`, its errors and the wire protocol types. */
export { RaftClient, type RaftClientOptions, type MergeResult, type GetResult, type ReadOptions } from './client';
export { RaftClientError, RaftUnavailableError, RaftInvalidUpdateError, RaftRequestError, RaftProtocolError } from './errors';
export { NodeUnreachableError, createHttpExchange, type HttpExchange, type HttpRequest, type HttpResponse } from './http';
export type { Consistency, NodeStatus, PeerStatus, ListResponse, MergeResponse, ErrorBody, ErrorCode } from './protocol';
