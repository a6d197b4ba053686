import { formatMemory } from '@kawa/protocol';

/** `1.5`, `2`, `0.125`: cores without float noise. */
export function formatCores(cores: number): string {
  return String(Math.round(cores * 1000) / 1000);
}

export function coresPhrase(cores: number): string {
  return `${formatCores(cores)} ${cores === 1 ? 'core' : 'cores'}`;
}

export function memoryPhrase(bytes: number): string {
  return formatMemory(bytes);
}

export function listPhrase(values: readonly number[]): string {
  return values.length === 0 ? 'none' : values.join(', ');
}
