/**
 * The fixed Python launcher of `MODULE:FUNCTION` targets, run as `python -c LAUNCHER MODULE
 * FUNCTION ARGS...`. The names reach it as argv, never pasted into the code, so no user text is
 * ever Python source. It imports MODULE from the working directory (python -c puts it first on
 * sys.path), sets sys.argv to [TARGET, ARGS...], calls FUNCTION with the arguments as strings
 * and exits with its return value as a console script does: None is 0, a number is the exit
 * status, anything else is printed and exits 1.
 */
export const FUNCTION_LAUNCHER = [
  'import importlib, sys',
  'module_name, function_name = sys.argv[1], sys.argv[2]',
  'sys.argv = [module_name + ":" + function_name] + sys.argv[3:]',
  'function = getattr(importlib.import_module(module_name), function_name)',
  'sys.exit(function(*sys.argv[1:]))',
].join('\n');

/**
 * Exits 0 when MODULE (argv[1]) can be imported from the working directory, 3 when it cannot.
 * It finds the module without running it (a dotted name imports its parent packages).
 */
export const MODULE_PROBE = [
  'import importlib.util, sys',
  'try:',
  '    found = importlib.util.find_spec(sys.argv[1]) is not None',
  'except (ImportError, ValueError):',
  '    found = False',
  'sys.exit(0 if found else 3)',
].join('\n');

/** What --dry-run shows instead of the launcher's code. */
export const LAUNCHER_PLACEHOLDER = '<launcher>';

/** The Python interpreters kawarun looks for on PATH, in order. */
export const PYTHON_NAMES = ['python', 'python3'] as const;
