/** kawarun --help; `cpus` is what --parallel alone means on this machine. Lines fit 100 columns. */
export function helpText(cpus: number): string {
  return `Usage: kawarun [--parallel [N]] [--dry-run] [--json] TARGET [ARGS...]

Runs TARGET once for each combination of the span: arguments in ARGS, on this machine. It does
not talk to a Kawa cluster: use it to try a sweep before kawa task submit runs it on the nodes.

Spans (the same syntax as kawa task submit):
  span:{a..b}    the integers a to b, inclusive (span:{1..3} is 1 2 3; span:{3..1} counts down)
  span:[x,y,z]   each item, split on commas and kept as written
  Several spans make the Cartesian product, the first span varying slowest. Quote spans where
  the shell would expand braces: "span:{1..3}".

TARGET is decided in this order:
  1. it holds a "/"          an executable file: ./train.sh, /usr/bin/env
  2. MODULE:FUNCTION         a Python function: imports MODULE from this directory and calls
                             FUNCTION(*ARGS), the arguments as strings; its return value is the
                             exit status as for a console script (None is 0)
  3. a module in this dir    NAME.py or NAME/__init__.py here: python -m NAME ARGS (the original
                             tool, too, imported from the working directory first)
  4. a command on PATH       an executable: python, bash, my_tool
  5. an importable module    an installed Python module: python -m NAME ARGS
  Python targets run with the python on PATH (python3 if there is no python). To run a script,
  give its interpreter: kawarun python demo.py ...

Options (they come before TARGET; everything after TARGET goes to it):
  -p, --parallel [N]   run N at a time; alone, one per CPU (${cpus} here). Default: one at a time
  -n, --dry-run        print each command and run nothing (<launcher> stands for the fixed Python
                       snippet that calls a MODULE:FUNCTION target)
  --json               print a JSON summary on stdout; the runs' output then goes to stderr
  -V, --version        print the version
  -h, --help           print this help

Output:
  Every line a run writes is prefixed with the run and its span values, on the stream it was
  written to: "[2/4 lr=0.1 seed=2] loss 0.31". Lines of parallel runs never mix mid-line. A run
  that fails says so on stderr when it ends, and the last line on stderr sums up:
  "4 runs: 3 ok, 1 failed (run 2: exit 3)".
  Each run has KAWARUN_RUN (1-based) and KAWARUN_RUNS in its environment, and PYTHONUNBUFFERED=1
  unless you set it. Runs get no stdin, and each runs in a process group of its own.

Exit status:
  0     every run succeeded
  1     a run failed: a non-zero exit, killed by a signal, or it could not start
  2     usage error: a bad option, span or TARGET; nothing ran
  130   interrupted (Ctrl-C): each run's process group gets SIGTERM (SIGKILL 5 s later) and no
        new run starts; 143 when kawarun gets SIGTERM, 129 on SIGHUP

Examples:
  kawarun --parallel python demo.py "span:{1..2}" fixed "span:[a,b]"     # 4 runs, one per CPU
  kawarun -p 4 ./train.sh --lr "span:[0.1,0.01]" --seed "span:{1..3}"   # 6 runs, 4 at a time
  kawarun mymod:main "span:[x,y]"                      # calls mymod.main('x'), then main('y')
  kawarun --dry-run mymod "span:{1..3}"                # prints python -m mymod 1, 2 and 3
`;
}
