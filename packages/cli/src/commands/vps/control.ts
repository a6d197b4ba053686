import type { Command } from 'commander';
import type { CliContext } from '../../context.js';
import { parseTaskIds } from '../../parse.js';
import { controlTasks, type ControlRoute } from '../task/control.js';

/** VPS actions: stop and restart are the VPS routes; pause, resume and kill are any task's. */
export const vpsActions = {
  stop: { route: 'stopVps', summary: 'stop VPSes: the container goes and its resources free; restart brings it back' },
  restart: { route: 'restartVps', summary: 'recreate VPSes from the same env and key (running or stopped)' },
  pause: { route: 'pauseTask', summary: 'freeze VPSes: they keep their resources, ssh stalls until resume' },
  resume: { route: 'resumeTask', summary: 'thaw paused VPSes' },
  kill: { route: 'killTask', summary: 'end VPSes for good: the container goes and they cannot be restarted' },
} as const satisfies Record<string, { route: ControlRoute; summary: string }>;

export function registerVpsControl(vps: Command, context: CliContext, action: keyof typeof vpsActions): void {
  vps
    .command(action)
    .summary(vpsActions[action].summary)
    .argument('<ids...>', 'VPS ids')
    .option('--json', 'print the VPSes in their new state as JSON')
    .action(
      context.run((idTexts: string[], options: { json?: boolean }) =>
        controlTasks(context, vpsActions[action].route, parseTaskIds(idTexts), context.wantsJson(options.json), 'VPS'),
      ),
    );
}
