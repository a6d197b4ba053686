/** Environment variables every task gets (DESIGN.md, "In every task"). */
export const taskEnvNames = {
  taskId: 'KAWA_TASK_ID',
  batchId: 'KAWA_BATCH_ID',
  sharedDir: 'KAWA_SHARED_DIR',
  localTempDir: 'KAWA_LOCAL_TEMP_DIR',
  numaNode: 'KAWA_NUMA_NODE',
  cudaVisibleDevices: 'CUDA_VISIBLE_DEVICES',
} as const;

/** Layout of the shared dir, the same path on every node. */
export const sharedLayout = {
  logs: 'logs',
  containers: 'containers',
  data: 'data',
} as const;
