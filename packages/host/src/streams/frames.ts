import type { z } from 'zod';
import {
  KawaError,
  TerminalClientFrameSchema,
  TerminalServerFrameSchema,
  fromZodError,
  type StreamKind,
  type TerminalServerFrame,
} from '@kawa/protocol';

/** One WebSocket message as it arrived: relayed unchanged, binary as binary, text as text. */
export interface StreamFrame {
  data: Buffer;
  isBinary: boolean;
}

/** RawData from ws: a Buffer (the default binaryType), an ArrayBuffer, or fragments. */
export function asBuffer(data: Buffer | ArrayBuffer | Buffer[]): Buffer {
  if (Array.isArray(data)) return Buffer.concat(data);
  return data instanceof ArrayBuffer ? Buffer.from(data) : data;
}

function textProblem(schema: z.ZodType, data: Buffer, what: string): KawaError | null {
  let json: unknown;
  try {
    json = JSON.parse(data.toString('utf8'));
  } catch {
    return new KawaError('KAWA_ERR_BAD_REQUEST', `a text frame must be JSON (a ${what}); send bytes as binary frames`);
  }
  const parsed = schema.safeParse(json);
  return parsed.success ? null : fromZodError(parsed.error, `invalid ${what}`);
}

/**
 * Why a client's frame may not go to the runner, or null. SSH streams carry bytes only;
 * terminals also take the JSON control frames of envs.ts (resize).
 */
export function clientFrameProblem(kind: StreamKind, frame: StreamFrame): KawaError | null {
  if (frame.isBinary) return null;
  if (kind === 'ssh') return new KawaError('KAWA_ERR_BAD_REQUEST', 'an SSH stream carries binary frames only');
  return textProblem(TerminalClientFrameSchema, frame.data, 'terminal frame');
}

/** Why a runner's frame may not go to the client, or null: text frames are `exit` or `error`. */
export function runnerFrameProblem(frame: StreamFrame): KawaError | null {
  return frame.isBinary ? null : textProblem(TerminalServerFrameSchema, frame.data, 'stream frame from the runner');
}

/** The `error` frame a stream sends its client before it closes with a 44xx/45xx code. */
export function errorFrame(error: KawaError): string {
  return JSON.stringify({ type: 'error', code: error.code, message: error.message } satisfies TerminalServerFrame);
}
