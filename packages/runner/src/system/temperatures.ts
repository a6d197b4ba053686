import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { readTextOrNull } from '../util/read-text.js';

export interface Temperature {
  sensor: string;
  celsius: number;
}

const MAX_SENSORS = 256;

async function listMatching(dir: string, pattern: RegExp): Promise<string[]> {
  try {
    return (await readdir(dir)).filter((entry) => pattern.test(entry)).sort(byNumber);
  } catch {
    return [];
  }
}

function byNumber(a: string, b: string): number {
  return Number(/\d+/.exec(a)?.[0] ?? 0) - Number(/\d+/.exec(b)?.[0] ?? 0) || a.localeCompare(b);
}

/** Sensor files hold milli-degrees Celsius. */
function milliCelsius(text: string | null): number | null {
  if (text === null) return null;
  const value = Number(text.trim());
  return text.trim() === '' || !Number.isFinite(value) ? null : value / 1000;
}

/**
 * Temperatures from hwmon (`hwmon*\/temp*_input`, named `<name>/<label>`) and thermal zones
 * (`thermal_zone*\/temp`, named `thermal/<type>`). Machines without sensors give an empty list.
 */
export async function readTemperatures(sysRoot: string): Promise<Temperature[]> {
  const [hwmon, thermal] = await Promise.all([readHwmon(sysRoot), readThermalZones(sysRoot)]);
  return [...hwmon, ...thermal].slice(0, MAX_SENSORS);
}

async function readHwmon(sysRoot: string): Promise<Temperature[]> {
  const root = join(sysRoot, 'class/hwmon');
  const chips = await listMatching(root, /^hwmon\d+$/);
  const perChip = await Promise.all(
    chips.map(async (chip) => {
      const dir = join(root, chip);
      const [name, inputs] = await Promise.all([
        readTextOrNull(join(dir, 'name')),
        listMatching(dir, /^temp\d+_input$/),
      ]);
      const chipName = name?.trim() || chip;
      const readings = await Promise.all(
        inputs.map(async (input) => {
          const base = input.slice(0, -'_input'.length);
          const [value, label] = await Promise.all([
            readTextOrNull(join(dir, input)),
            readTextOrNull(join(dir, `${base}_label`)),
          ]);
          const celsius = milliCelsius(value);
          return celsius === null ? null : { sensor: `${chipName}/${label?.trim() || base}`.slice(0, 200), celsius };
        }),
      );
      return readings.filter((reading): reading is Temperature => reading !== null);
    }),
  );
  return perChip.flat();
}

async function readThermalZones(sysRoot: string): Promise<Temperature[]> {
  const root = join(sysRoot, 'class/thermal');
  const zones = await listMatching(root, /^thermal_zone\d+$/);
  const readings = await Promise.all(
    zones.map(async (zone) => {
      const [value, type] = await Promise.all([
        readTextOrNull(join(root, zone, 'temp')),
        readTextOrNull(join(root, zone, 'type')),
      ]);
      const celsius = milliCelsius(value);
      return celsius === null ? null : { sensor: `thermal/${type?.trim() || zone}`.slice(0, 200), celsius };
    }),
  );
  return readings.filter((reading): reading is Temperature => reading !== null);
}
