import { z } from 'zod';

/**
 * One line of the JSON stream `docker load` and `docker pull` answer with. The engine reports
 * most failures here, after an HTTP 200 (a corrupt tarball fails mid-stream), so the stream
 * must be read to the end and every line checked.
 */
export const EngineMessageSchema = z.looseObject({
  stream: z.string().optional(),
  status: z.string().optional(),
  id: z.string().optional(),
  progressDetail: z.looseObject({ current: z.number().optional(), total: z.number().optional() }).optional(),
  error: z.string().optional(),
  errorDetail: z.looseObject({ message: z.string().optional() }).optional(),
});
export type EngineMessage = z.infer<typeof EngineMessageSchema>;

/** The error a message carries, or null. */
export function messageError(message: EngineMessage): string | null {
  const text = message.errorDetail?.message ?? message.error;
  return text === undefined ? null : text.trim();
}

/**
 * Reads a JSON-lines answer to its end, handing each parsed line to `onMessage`. Lines that are
 * not JSON objects are skipped (the engine only writes JSON here; a proxy might not).
 */
export async function readEngineMessages(
  stream: NodeJS.ReadableStream,
  onMessage: (message: EngineMessage) => void,
): Promise<void> {
  let rest = '';
  const handle = (line: string): void => {
    if (line.trim() === '') return;
    let json: unknown;
    try {
      json = JSON.parse(line);
    } catch {
      return;
    }
    const parsed = EngineMessageSchema.safeParse(json);
    if (parsed.success) onMessage(parsed.data);
  };
  for await (const chunk of stream) {
    rest += typeof chunk === 'string' ? chunk : chunk.toString('utf8');
    const lines = rest.split('\n');
    rest = lines.pop() ?? '';
    for (const line of lines) handle(line);
  }
  handle(rest);
}

/** "Loaded image: kawa/x:base" and "Loaded image ID: sha256:…": what a load put in the store. */
export function loadedImages(messages: readonly EngineMessage[]): string[] {
  return messages.flatMap((message) => {
    const match = /^Loaded image(?: ID)?: (\S+)/.exec(message.stream ?? '');
    return match?.[1] === undefined ? [] : [match[1]];
  });
}
