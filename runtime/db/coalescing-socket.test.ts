/** The coalescing socket: a tick's writes leave together, in order, and the socket never stays corked. */
import { createServer, type AddressInfo } from 'node:net';
import { expect, it } from 'vitest';
import { CoalescingSocket } from './coalescing-socket.ts';

it('corks on the first write of a tick, uncorks on the next, and delivers every byte in order', async () => {
  const received: Buffer[] = [];
  const server = createServer((socket) => socket.on('data', (chunk) => received.push(chunk)));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const socket = new CoalescingSocket();
  await new Promise<void>((resolve) => socket.connect((server.address() as AddressInfo).port, '127.0.0.1', resolve));
  socket.setNoDelay(true);

  // What node-postgres does for one query: several small writes in one tick.
  for (const part of ['Bind', 'Describe', 'Execute', 'Sync']) socket.write(part);
  expect(socket.writableCorked).toBe(1);
  await new Promise((resolve) => process.nextTick(resolve));
  expect(socket.writableCorked).toBe(0);

  socket.write('-next-tick', () => socket.end());
  await new Promise<void>((resolve) => socket.once('close', () => resolve()));
  server.close();
  expect(Buffer.concat(received).toString()).toBe('BindDescribeExecuteSync-next-tick');
});
