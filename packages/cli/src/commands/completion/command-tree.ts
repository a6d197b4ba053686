import type { Command } from 'commander';

export interface CompletionOption {
  /** `--cores`, or null for a short-only flag. */
  long: string | null;
  /** `-c`, or null. */
  short: string | null;
  description: string;
  /** Whether the option is followed by a value (`--cores <n>`). */
  takesValue: boolean;
}

/** One command of the tree with what may follow it. */
export interface CompletionNode {
  /** Command names from the root, root excluded: [] for `kawa`, ['task', 'submit'] for `kawa task submit`. */
  path: string[];
  children: { name: string; summary: string }[];
  options: CompletionOption[];
}

const firstLine = (text: string): string => text.split('\n')[0] ?? '';

/**
 * Every command of `program`, depth first, read from commander's own tree, so completion never
 * drifts from the real commands and flags. Each command also gets --help, which commander adds
 * to every command without listing it among the options.
 */
export function commandTree(program: Command): CompletionNode[] {
  const nodes: CompletionNode[] = [];
  const visit = (command: Command, path: string[]): void => {
    const children = command.commands
      .filter((child) => !(child as unknown as { _hidden?: boolean })._hidden)
      .map((child) => ({ name: child.name(), summary: firstLine(child.summary() || child.description()) }));
    const options: CompletionOption[] = command.options
      .filter((option) => !option.hidden)
      .map((option) => ({
        long: option.long ?? null,
        short: option.short ?? null,
        description: firstLine(option.description),
        takesValue: option.required || option.optional,
      }));
    if (!options.some((option) => option.long === '--help'))
      options.push({ long: '--help', short: '-h', description: 'display help for command', takesValue: false });
    nodes.push({ path, children, options });
    for (const child of command.commands) visit(child, [...path, child.name()]);
  };
  visit(program, []);
  return nodes;
}
