import { describe, expect, it } from 'vitest';
import { FUNCTION_LAUNCHER } from './python.js';
import { commandFor, resolveTarget, type TargetSystem } from './target.js';

/** A machine with these executables and files (absolute paths) and these importable modules. */
function machine(
  options: { executables?: string[]; files?: string[]; importable?: string[]; path?: string } = {},
): TargetSystem & { probes: string[] } {
  const executables = new Set(options.executables ?? ['/usr/bin/python', '/usr/bin/python3', '/usr/bin/echo']);
  const files = new Set([...(options.files ?? []), ...executables]);
  const probes: string[] = [];
  return {
    cwd: '/work/project',
    path: options.path ?? '/usr/local/bin:/usr/bin',
    isFile: (path) => files.has(path),
    isExecutableFile: (path) => executables.has(path),
    canImport: (python, module) => {
      probes.push(`${python} ${module}`);
      return Promise.resolve((options.importable ?? []).includes(module));
    },
    probes,
  };
}

describe('kawarun TARGET', () => {
  it('runs a path as an executable file, relative to the working directory', async () => {
    const system = machine({ executables: ['/work/project/train.sh'] });
    expect(await resolveTarget('./train.sh', system)).toEqual({ kind: 'executable', command: './train.sh' });
  });

  it('explains a missing or non-executable path', async () => {
    await expect(resolveTarget('./nope.sh', machine())).rejects.toThrow('./nope.sh: no such file');
    const system = machine({ files: ['/work/project/run.sh'] });
    await expect(resolveTarget('./run.sh', system)).rejects.toThrow(
      './run.sh is not executable: chmod +x ./run.sh, or run it through its interpreter (kawarun python ./run.sh)',
    );
  });

  it('runs MODULE:FUNCTION through the launcher, passing the names as arguments', async () => {
    const system = machine({ importable: ['pkg.train'] });
    const target = await resolveTarget('pkg.train:main', system);
    expect(target).toEqual({ kind: 'function', python: 'python', module: 'pkg.train', function: 'main' });
    expect(commandFor(target, ['1', "x'); import os"])).toEqual([
      'python',
      '-c',
      FUNCTION_LAUNCHER,
      'pkg.train',
      'main',
      '1',
      "x'); import os",
    ]);
    expect(system.probes).toEqual(['python pkg.train']);
  });

  it('says when the module of MODULE:FUNCTION cannot be imported', async () => {
    await expect(resolveTarget('nomod:main', machine())).rejects.toThrow(
      'python cannot import module nomod from /work/project',
    );
  });

  it('prefers a module in the working directory to a command of the same name on PATH', async () => {
    const system = machine({ executables: ['/usr/bin/python', '/usr/bin/demo'], files: ['/work/project/demo.py'] });
    const target = await resolveTarget('demo', system);
    expect(target).toEqual({ kind: 'module', python: 'python', module: 'demo' });
    expect(commandFor(target, ['1'])).toEqual(['python', '-m', 'demo', '1']);
    const package_ = machine({ files: ['/work/project/tools/__main__.py'] });
    expect(await resolveTarget('tools.sweep', package_)).toMatchObject({ kind: 'module', module: 'tools.sweep' });
  });

  it('takes a command on PATH before asking python, and asks python for any other module name', async () => {
    const system = machine({ importable: ['http.server'] });
    expect(await resolveTarget('echo', system)).toEqual({ kind: 'executable', command: 'echo' });
    expect(system.probes).toEqual([]);
    expect(await resolveTarget('http.server', system)).toEqual({
      kind: 'module',
      python: 'python',
      module: 'http.server',
    });
  });

  it('falls back to python3 when there is no python', async () => {
    const system = machine({ executables: ['/usr/bin/python3'], files: ['/work/project/demo.py'] });
    expect(await resolveTarget('demo', system)).toMatchObject({ kind: 'module', python: 'python3' });
  });

  it('says what to do when nothing matches', async () => {
    await expect(resolveTarget('nosuchtool', machine())).rejects.toThrow(
      'nosuchtool is neither an executable on PATH nor a Python module python can import from /work/project',
    );
    const script = machine({ files: ['/work/project/demo.py'] });
    await expect(resolveTarget('demo.py', script)).rejects.toThrow(
      'to run a script, give its interpreter: kawarun python demo.py ...',
    );
    const noPython = machine({ executables: [], files: ['/work/project/demo.py'] });
    await expect(resolveTarget('demo', noPython)).rejects.toThrow('neither python nor python3 is on PATH');
  });
});
