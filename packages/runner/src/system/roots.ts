/** Where the kernel's files live; tests point these at fixture dirs. */
export interface SystemRoots {
  /** Usually `/proc`. */
  procRoot: string;
  /** Usually `/sys`. */
  sysRoot: string;
}

export const defaultSystemRoots: SystemRoots = { procRoot: '/proc', sysRoot: '/sys' };
