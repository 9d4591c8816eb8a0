/**
 * The socket our Postgres connections use (pg's documented `stream` option). node-postgres writes each
 * protocol message of a query separately (Bind, Describe, Execute, Sync): on an uncorked socket that is one
 * system call each, and on small virtual machines a socket write costs more than the query it carries. This
 * socket corks on the first write of a tick and uncorks on the next, so everything a tick writes leaves in
 * one `writev` — same bytes, same order, a quarter of the system calls.
 */
import { Socket } from 'node:net';

type WriteCallback = (error?: Error | null) => void;

export class CoalescingSocket extends Socket {
  private corkedThisTick = false;

  /**
   * Node's `connect()` puts `Socket.prototype.write` back as the instance's own `write` (undoing a closed
   * socket's write-after-end guard), which would hide the method below: put ours back after it.
   */
  override connect(...args: unknown[]): this {
    (Socket.prototype.connect as (...a: unknown[]) => this).apply(this, args);
    this.write = CoalescingSocket.prototype.write;
    return this;
  }

  override write(chunk: string | Uint8Array, encoding?: BufferEncoding | WriteCallback, callback?: WriteCallback): boolean {
    if (!this.corkedThisTick) {
      this.corkedThisTick = true;
      this.cork();
      process.nextTick(() => {
        this.corkedThisTick = false;
        this.uncork();
      });
    }
    return typeof encoding === 'function' ? super.write(chunk, encoding) : super.write(chunk, encoding, callback);
  }
}

/** For pg's `stream` option: a fresh coalescing socket per connection. */
export const coalescingStream = () => new CoalescingSocket();
