/** A piece of an event message: plain text, or a mention of another task to link to. */
export type MessagePart = { text: string; taskId?: number };

const TASK_MENTION = /\btask (\d{1,15})\b/g;

/**
 * Splits a task event's message so mentions of other tasks become links: "retried as task 57
 * (attempt 2 of 3)" on the attempt that ended, "retrying task 41 (lost: …)" on its retry.
 */
export function linkTasks(message: string): MessagePart[] {
  const parts: MessagePart[] = [];
  let from = 0;
  for (const match of message.matchAll(TASK_MENTION)) {
    const at = match.index;
    if (at > from) parts.push({ text: message.slice(from, at) });
    parts.push({ text: match[0], taskId: Number(match[1]) });
    from = at + match[0].length;
  }
  if (from < message.length) parts.push({ text: message.slice(from) });
  return parts;
}
