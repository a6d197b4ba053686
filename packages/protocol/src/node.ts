import { z } from 'zod';

export const NumaZoneSchema = z.object({
  id: z.number().int().min(0),
  cpus: z.array(z.number().int().min(0)),
  memoryBytes: z.number().int().nullable(),
});
export type NumaZone = z.infer<typeof NumaZoneSchema>;

export const GpuSchema = z.object({
  index: z.number().int().min(0),
  name: z.string(),
  uuid: z.string(),
  memoryTotalBytes: z.number().int().nullable(),
});
export type Gpu = z.infer<typeof GpuSchema>;

export const GpuUsageSchema = z.object({
  index: z.number().int().min(0),
  utilizationPercent: z.number().nullable(),
  memoryUsedBytes: z.number().int().nullable(),
  temperatureCelsius: z.number().nullable(),
});
export type GpuUsage = z.infer<typeof GpuUsageSchema>;

export const TemperatureSchema = z.object({ sensor: z.string().max(200), celsius: z.number() });

export const NodeUsageSchema = z.object({
  /** Whole-node CPU use since the previous sample, 0–100. */
  cpuPercent: z.number().min(0).max(100),
  memoryUsedBytes: z.number().int().min(0),
  memoryTotalBytes: z.number().int().min(0),
  temperatures: z.array(TemperatureSchema).max(256),
  gpus: z.array(GpuUsageSchema).max(64),
});
export type NodeUsage = z.infer<typeof NodeUsageSchema>;

/** What a runner tells the host about its machine when it registers. */
export const NodeResourcesSchema = z.object({
  hostname: z.string().max(255),
  cores: z.number().int().min(1).max(65_536),
  memoryBytes: z.number().int().min(0),
  numa: z.array(NumaZoneSchema).max(1024),
  gpus: z.array(GpuSchema).max(64),
});
export type NodeResources = z.infer<typeof NodeResourcesSchema>;

export const NodeStatusSchema = z.enum(['online', 'offline']);
export type NodeStatus = z.infer<typeof NodeStatusSchema>;

export const NodeSchema = NodeResourcesSchema.extend({
  name: z.string(),
  status: NodeStatusSchema,
  version: z.string(),
  registeredAt: z.number().int(),
  lastHeartbeatAt: z.number().int().nullable(),
  usage: NodeUsageSchema.nullable(),
  /** A drained node takes no new tasks; the ones it runs finish. */
  drained: z.boolean(),
  /** What placed tasks hold on this node. */
  allocated: z.object({
    cores: z.number(),
    memoryBytes: z.number().int(),
    gpus: z.array(z.number().int()),
    tasks: z.number().int(),
  }),
});
export type Node = z.infer<typeof NodeSchema>;

export const NodeListResponseSchema = z.object({ nodes: z.array(NodeSchema) });
export const NodeNameParamsSchema = z.strictObject({ name: z.string().max(63) });
