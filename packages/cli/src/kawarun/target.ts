import { delimiter, join, resolve } from 'node:path';
import { UsageError } from '../errors.js';
import { FUNCTION_LAUNCHER, PYTHON_NAMES } from './python.js';

/** What kawarun runs: an executable, or a Python module or function through the `python` on PATH. */
export type Target =
  | { kind: 'executable'; command: string }
  | { kind: 'module'; python: string; module: string }
  | { kind: 'function'; python: string; module: string; function: string };

/** The parts of the machine target resolution looks at; tests pass their own. */
export interface TargetSystem {
  cwd: string;
  /** The PATH to search, as in the environment. */
  path: string;
  isFile(path: string): boolean;
  isExecutableFile(path: string): boolean;
  /** Whether `python`, run in cwd, can import `module` (found without running it). */
  canImport(python: string, module: string): Promise<boolean>;
}

const MODULE = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$/;
const FUNCTION = /^([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*):([A-Za-z_][A-Za-z0-9_]*)$/;

/** The first executable called `name` on PATH, or null. */
export function findOnPath(name: string, system: TargetSystem): string | null {
  for (const directory of system.path.split(delimiter)) {
    if (directory === '') continue;
    const candidate = join(directory, name);
    if (system.isExecutableFile(candidate)) return candidate;
  }
  return null;
}

function findPython(target: string, system: TargetSystem): string {
  const python = PYTHON_NAMES.find((name) => findOnPath(name, system) !== null);
  if (python === undefined)
    throw new UsageError(
      'KAWA_ERR_USAGE',
      `${target} is a Python target, but neither python nor python3 is on PATH: install Python ` +
        '(Debian: apt-get install python-is-python3) or give an executable',
    );
  return python;
}

/** A module the working directory holds itself: NAME.py, or a package NAME/ with __init__ or __main__. */
function moduleInWorkdir(module: string, system: TargetSystem): boolean {
  const top = module.split('.')[0] ?? module;
  return ['.py', '/__init__.py', '/__main__.py'].some((end) => system.isFile(join(system.cwd, `${top}${end}`)));
}

function notFound(target: string, system: TargetSystem): UsageError {
  const script = target.endsWith('.py') && system.isFile(join(system.cwd, target));
  const hint = script
    ? `; to run a script, give its interpreter: kawarun python ${target} ...`
    : '; give a path (./tool) for a file here, or MODULE:FUNCTION for a Python function';
  return new UsageError(
    'KAWA_ERR_USAGE',
    `${target} is neither an executable on PATH nor a Python module python can import from ${system.cwd}${hint}`,
  );
}

/**
 * Decides what TARGET is, in this order (kawarun --help says the same):
 * 1. it holds a "/": an executable file, relative to the working directory;
 * 2. MODULE:FUNCTION: a Python function;
 * 3. a module the working directory holds (NAME.py, NAME/__init__.py): a Python module, as the
 *    original tool imported from the working directory before anything else;
 * 4. an executable on PATH;
 * 5. any other module python can import (installed packages): a Python module.
 * Python targets run through `python` on PATH (else `python3`).
 */
export async function resolveTarget(target: string, system: TargetSystem): Promise<Target> {
  if (target.includes('/')) {
    const file = resolve(system.cwd, target);
    if (!system.isFile(file)) throw new UsageError('KAWA_ERR_USAGE', `${target}: no such file`);
    if (!system.isExecutableFile(file))
      throw new UsageError(
        'KAWA_ERR_USAGE',
        `${target} is not executable: chmod +x ${target}, or run it through its interpreter (kawarun python ${target})`,
      );
    return { kind: 'executable', command: target };
  }
  const fn = FUNCTION.exec(target);
  if (fn) {
    const [, module = '', name = ''] = fn;
    const python = findPython(target, system);
    if (!(await system.canImport(python, module)))
      throw new UsageError('KAWA_ERR_USAGE', `${python} cannot import module ${module} from ${system.cwd}`);
    return { kind: 'function', python, module, function: name };
  }
  const moduleName = MODULE.test(target) && !target.endsWith('.py');
  if (moduleName && moduleInWorkdir(target, system))
    return { kind: 'module', python: findPython(target, system), module: target };
  if (findOnPath(target, system) !== null) return { kind: 'executable', command: target };
  if (moduleName) {
    const python = PYTHON_NAMES.find((name) => findOnPath(name, system) !== null);
    if (python !== undefined && (await system.canImport(python, target)))
      return { kind: 'module', python, module: target };
  }
  throw notFound(target, system);
}

/** The argv of one run of `target` with `args`. */
export function commandFor(target: Target, args: readonly string[]): string[] {
  switch (target.kind) {
    case 'executable':
      return [target.command, ...args];
    case 'module':
      return [target.python, '-m', target.module, ...args];
    case 'function':
      return [target.python, '-c', FUNCTION_LAUNCHER, target.module, target.function, ...args];
  }
}
