/** The Kafka protocol listener: accepts connections and shares one request memory budget. */
import net from 'node:net';
import { logger } from '../logger.js';
import type { Broker } from './broker.js';
import { Connection } from './connection.js';
import { RequestMemoryBudget } from './memory-budget.js';
import { SlabPool } from './slab-pool.js';

/** How long a shutdown waits for connections to answer what they have read. */
const SHUTDOWN_GRACE_MS = 10_000;

export class KafkaServer {
  private readonly server: net.Server;
  private readonly connections = new Set<Connection>();
  private readonly sockets = new Set<net.Socket>();
  readonly budget: RequestMemoryBudget;
  /** Request memory shared by all connections. */
  readonly slabs = new SlabPool();

  constructor(private readonly broker: Broker) {
    this.budget = new RequestMemoryBudget(broker.config.queuedMaxRequestBytes);
    this.budget.onChange(() => {
      for (const c of this.connections) c.updateFlow();
    });
    // Paused, so that the connection can take the socket over before anything is read.
    this.server = net.createServer({ pauseOnConnect: true }, (socket) => this.accept(socket));
  }

  private accept(accepted: net.Socket): void {
    const connection = new Connection(accepted, this.broker, this.budget, this.slabs);
    const socket = connection.transport;
    this.connections.add(connection);
    this.sockets.add(socket);
    socket.on('close', () => {
      this.connections.delete(connection);
      this.sockets.delete(socket);
    });
  }

  listen(host: string, port: number): Promise<number> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen({ host, port }, () => {
        this.server.off('error', reject);
        const address = this.server.address() as net.AddressInfo;
        logger.debug({ host, port: address.port }, 'kafka listener bound');
        resolve(address.port);
      });
    });
  }

  /**
   * Accepts no more connections, lets every connection answer the requests it has read (see
   * Connection.drain), and cuts whatever is left after graceMs: a client that stopped
   * reading its answers must not hold the shutdown past a service manager's grace period.
   */
  async close(graceMs = SHUTDOWN_GRACE_MS): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<void>((resolve) => (timer = setTimeout(resolve, graceMs)));
    await Promise.race([Promise.all([...this.connections].map((c) => c.drain())), deadline]);
    clearTimeout(timer);
    for (const s of this.sockets) s.destroy();
    await closed;
  }
}
