import { request, type IncomingMessage } from 'node:http';
import type { Readable } from 'node:stream';

/** An engine answer other than 200, shaped like docker-modem's errors so engineError maps it. */
class LoadAnswerError extends Error {
  override readonly name = 'LoadAnswerError';
  constructor(
    readonly statusCode: number,
    readonly json: unknown,
  ) {
    super(`the engine answered ${statusCode}`);
  }
}

/**
 * POST /images/load with the tarball as a body of known length, straight over the engine's
 * socket. dockerode's loadImage sends a chunked body through extra stream layers, which made a
 * 1 GB load about 15–25 % slower than `docker load`; this matches it (see BENCHMARKS.md).
 * Resolves with the engine's JSON-lines answer, which the caller must read to its end.
 */
export function postImageLoad(socketPath: string, body: Readable, size: number): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const outgoing = request(
      {
        socketPath,
        path: '/images/load?quiet=1',
        method: 'POST',
        headers: { 'content-type': 'application/x-tar', 'content-length': size },
      },
      (answer) => {
        if (answer.statusCode === 200) return resolve(answer);
        const chunks: Buffer[] = [];
        answer.on('data', (chunk: Buffer) => chunks.push(chunk));
        answer.on('error', reject);
        answer.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let json: unknown = { message: text };
          try {
            json = JSON.parse(text);
          } catch {
            // Not JSON: keep the text as the message.
          }
          reject(new LoadAnswerError(answer.statusCode ?? 0, json));
        });
      },
    );
    outgoing.on('error', reject);
    body.on('error', (error) => outgoing.destroy(error));
    body.pipe(outgoing);
  });
}
