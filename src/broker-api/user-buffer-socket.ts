/**
 * Reading accepted connections into memory we own. Node reads a socket into a caller's buffer
 * (the `onread` option) only for sockets it creates itself, not for sockets a server accepts,
 * and otherwise allocates a fresh 64 KiB buffer per read. So the server accepts paused
 * (pauseOnConnect) and re-wraps the accepted socket's handle in a Socket created with
 * `onread`, before a single byte is read.
 *
 * All connections share one read buffer: a read's callback runs to completion on the event
 * loop and FrameReader copies the bytes out before any other socket reads.
 */
import { Socket } from 'node:net';

const SHARED_READ_BUFFER = Buffer.allocUnsafeSlow(256 * 1024);

interface HandleOwner {
  _handle?: { useUserBuffer?: unknown } | null;
}

/**
 * Returns the socket to use from now on. `onBytes` sees each read's bytes, valid only during
 * the call. Falls back to ordinary 'data' events if this Node has no handle to take over.
 */
export function readIntoSharedBuffer(accepted: Socket, onBytes: (bytes: Buffer) => void): Socket {
  const owner = accepted as unknown as HandleOwner;
  const handle = owner._handle;
  if (!handle || typeof handle.useUserBuffer !== 'function') {
    accepted.on('data', onBytes);
    accepted.resume();
    return accepted;
  }
  owner._handle = null;
  // Destroying the handle-less shell closes nothing, and lets the server stop counting it.
  accepted.destroy();
  return new Socket({
    handle: handle as never,
    readable: true,
    writable: true,
    onread: {
      buffer: SHARED_READ_BUFFER,
      callback: (n: number, buf: Uint8Array) => {
        onBytes(Buffer.from(buf.buffer, buf.byteOffset, n));
      },
    },
  } as ConstructorParameters<typeof Socket>[0]);
}
