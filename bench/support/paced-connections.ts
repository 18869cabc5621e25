import { Agent, get as httpGet } from "node:http";

/** One answered request: its status, the HTTP process that answered (`x-kindred-worker`), when it was sent. */
export interface Answer {
  status: number;
  worker: string;
  sentMs: number;
  doneMs: number;
}

/**
 * A fixed set of keep-alive connections for a paced load, spread evenly over the server's HTTP
 * processes: node:cluster hands a process connections, not requests, and gives a burst of new
 * connections to whichever process acknowledges the last one first, so ten connections opened
 * at once were split 7 to 3 or worse (the busier process acknowledging later), and "half the
 * rate" was nearly all of one process's rate. Connections are opened one at a time and a
 * process's surplus ones closed again until each process holds its share (as independent clients
 * arriving one by one would be spread), or after `attempts` tries as they come. A request due
 * goes to the connection idle longest, or waits for the first to free up.
 */
export class PacedConnections {
  readonly #hostname: string;
  readonly #port: string;
  readonly #idle: Agent[] = [];
  readonly #waiting: (() => void)[] = [];
  readonly #all: Agent[] = [];
  /** Connections per HTTP process, as the answers named them. */
  readonly perWorker = new Map<string, number>();

  private constructor(baseUrl: string) {
    const { hostname, port } = new URL(baseUrl);
    this.#hostname = hostname;
    this.#port = port;
  }

  static async open(baseUrl: string, connections: number, workers: number, warmPath: () => string, attempts = 4 * connections): Promise<PacedConnections> {
    const pool = new PacedConnections(baseUrl);
    const share = Math.ceil(connections / Math.max(1, workers));
    for (let tries = 0; pool.#all.length < connections && tries < attempts; tries++) {
      const agent = new Agent({ keepAlive: true, maxSockets: 1 });
      const answer = await pool.#send(agent, warmPath());
      const held = pool.perWorker.get(answer.worker) ?? 0;
      if (held >= share && tries < attempts - (connections - pool.#all.length)) {
        agent.destroy(); // this process has its share: a new connection may go to another
        continue;
      }
      pool.perWorker.set(answer.worker, held + 1);
      pool.#all.push(agent);
      pool.#idle.push(agent);
    }
    return pool;
  }

  get size(): number {
    return this.#all.length;
  }

  /** Sends `path` over the connection idle longest (waiting for one if all are busy). */
  async request(path: string): Promise<Answer> {
    let agent = this.#idle.shift();
    while (agent === undefined) {
      await new Promise<void>((resolve) => this.#waiting.push(resolve));
      agent = this.#idle.shift();
    }
    try {
      return await this.#send(agent, path);
    } finally {
      this.#idle.push(agent);
      this.#waiting.shift()?.();
    }
  }

  close(): void {
    for (const agent of this.#all) agent.destroy();
  }

  #send(agent: Agent, path: string): Promise<Answer> {
    return new Promise((resolve, reject) => {
      const sentMs = performance.now();
      const request = httpGet({ agent, hostname: this.#hostname, port: this.#port, path }, (response) => {
        response.resume();
        response.once("end", () =>
          resolve({
            status: response.statusCode ?? 0,
            worker: String(response.headers["x-kindred-worker"] ?? "one process"),
            sentMs,
            doneMs: performance.now(),
          }),
        );
      });
      request.once("error", reject);
    });
  }
}
