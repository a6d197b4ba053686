/** The result of splitting a command line: the argv, or why it does not split. */
export type SplitResult = { ok: true; argv: string[] } | { ok: false; error: string };

/**
 * Splits a command line into argv the way a POSIX shell splits words: blanks separate words,
 * '…' keeps everything literally, "…" keeps everything but \" \\ \$ \`, and \ escapes the next
 * character. Nothing is expanded: no variables, globs or pipes (Kawa never runs a shell for
 * you; write `sh -c '…'` for that). The form shows the resulting argv before submitting.
 */
export function splitCommand(line: string): SplitResult {
  const argv: string[] = [];
  let word = '';
  let inWord = false;
  let quote: "'" | '"' | null = null;
  for (let index = 0; index < line.length; index += 1) {
    const char = line[index] as string;
    if (quote === "'") {
      if (char === "'") quote = null;
      else word += char;
      continue;
    }
    if (quote === '"') {
      if (char === '"') quote = null;
      else if (char === '\\' && index + 1 < line.length && '"\\$`'.includes(line[index + 1] as string)) {
        index += 1;
        word += line[index];
      } else word += char;
      continue;
    }
    if (char === "'" || char === '"') {
      quote = char;
      inWord = true;
    } else if (char === '\\') {
      if (index + 1 >= line.length) return { ok: false, error: 'the line ends with a lone backslash' };
      index += 1;
      word += line[index];
      inWord = true;
    } else if (/\s/.test(char)) {
      if (inWord) argv.push(word);
      word = '';
      inWord = false;
    } else {
      word += char;
      inWord = true;
    }
  }
  if (quote !== null) return { ok: false, error: `a ${quote} quote is not closed` };
  if (inWord) argv.push(word);
  return { ok: true, argv };
}

/** Parses `NAME=value` lines; blank lines and lines starting with # are skipped. */
export function parseEnvLines(text: string): { ok: true; env: Record<string, string> } | { ok: false; error: string } {
  const env: Record<string, string> = {};
  const lines = text.split('\n');
  for (const [index, raw] of lines.entries()) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const equals = line.indexOf('=');
    if (equals <= 0) return { ok: false, error: `line ${index + 1}: write NAME=value` };
    env[line.slice(0, equals)] = line.slice(equals + 1);
  }
  return { ok: true, env };
}
