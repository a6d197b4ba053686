import type { Node, UsageSample } from '@kawa/protocol';
import type { ChartSeries } from '../components/SparkChart.vue';
import { share } from './format';

const GPU_COLORS = ['#b35c00', '#7a3ea1', '#00806b', '#a3364e'];
const GPU_DASHES = ['4 2', '1 2', '6 2 1 2', '2 4'];

/** The CPU and memory series of a node's history, in percent. */
export function hostSeries(samples: UsageSample[]): ChartSeries[] {
  return [
    { label: 'CPU', color: '#1d5f8a', points: samples.map((sample) => [sample.at, sample.cpuPercent]) },
    {
      label: 'Memory',
      color: '#4f7d2c',
      dash: '5 3',
      points: samples.map((sample) => [sample.at, share(sample.memoryUsedBytes, sample.memoryTotalBytes)]),
    },
  ];
}

/** One utilisation series per GPU of the node. */
export function gpuSeries(node: Node, samples: UsageSample[]): ChartSeries[] {
  return node.gpus.map((gpu, index) => ({
    label: `GPU ${gpu.index}`,
    color: GPU_COLORS[index % GPU_COLORS.length] ?? '#b35c00',
    dash: GPU_DASHES[index % GPU_DASHES.length],
    points: samples.map((sample): [number, number | null] => [
      sample.at,
      sample.gpus.find((usage) => usage.index === gpu.index)?.utilizationPercent ?? null,
    ]),
  }));
}
