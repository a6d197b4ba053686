/** One schema step. Versions are numbered from 1 and never change once released. */
export interface Migration {
  version: number;
  name: string;
  sql: string;
}
