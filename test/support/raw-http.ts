import { connect } from "node:net";

/** What came back on one raw connection. */
export interface RawExchange {
  /** Everything the server sent, as latin1 text. */
  received: string;
  /** Status codes of the responses, in order (`HTTP/1.1 413 ...` lines). */
  statuses: number[];
  /** The `Connection` header of each response ("keep-alive", "close", or "" when absent). */
  connectionHeaders: string[];
  /** A socket error the client saw (EPIPE, ECONNRESET), if any. */
  clientError: string | null;
}

/**
 * Writes raw bytes to a server on one TCP connection (loopback), then reads until the server
 * closes or `idleMs` pass without data; `hangUp` destroys the socket right after writing,
 * as a client that gives up mid-request does. For what fetch cannot send: bodies shorter than
 * their Content-Length, pipelined requests, a whole body written before reading.
 */
export function sendRaw(
  baseUrl: string,
  parts: readonly (string | Buffer)[],
  options: { idleMs?: number; hangUp?: boolean; maxMs?: number } = {},
): Promise<RawExchange> {
  const url = new URL(baseUrl);
  return new Promise((resolve) => {
    const socket = connect(Number(url.port), url.hostname);
    const chunks: Buffer[] = [];
    let clientError: string | null = null;
    let idle: NodeJS.Timeout | undefined;
    const armIdle = () => {
      clearTimeout(idle);
      idle = setTimeout(() => socket.destroy(), options.idleMs ?? 1_500);
    };
    const overall = setTimeout(() => socket.destroy(), options.maxMs ?? 30_000);
    socket.on("data", (chunk: Buffer) => {
      chunks.push(chunk);
      armIdle();
    });
    socket.on("error", (error: NodeJS.ErrnoException) => (clientError ??= error.code ?? error.message));
    socket.on("close", () => {
      clearTimeout(idle);
      clearTimeout(overall);
      const received = Buffer.concat(chunks).toString("latin1");
      const heads = [...received.matchAll(/HTTP\/1\.1 (\d{3})[^\r\n]*\r\n((?:[^\r\n]+\r\n)*)\r\n/g)];
      resolve({
        received,
        statuses: heads.map((match) => Number(match[1])),
        connectionHeaders: heads.map((match) => /^connection:\s*([^\r\n]*)/im.exec(match[2]!)?.[1]?.toLowerCase() ?? ""),
        clientError,
      });
    });
    socket.once("connect", () => {
      armIdle();
      const writeAll = async () => {
        for (const part of parts) {
          if (socket.destroyed) return;
          if (!socket.write(part)) await new Promise((drained) => socket.once("drain", drained));
        }
        if (options.hangUp === true) socket.destroy();
      };
      void writeAll().catch(() => undefined);
    });
  });
}

/** The request line and headers of a raw HTTP/1.1 request, ending with the blank line. */
export function rawHead(method: string, path: string, headers: Record<string, string | number> = {}): string {
  const lines = Object.entries({ host: "127.0.0.1", ...headers }).map(([name, value]) => `${name}: ${value}`);
  return `${method} ${path} HTTP/1.1\r\n${lines.join("\r\n")}\r\n\r\n`;
}
