import fc from 'fast-check';

/** Strings chosen to break parsers: traversal, NUL, huge and odd numbers, unicode, injection. */
export const nastyStrings = [
  '',
  ' ',
  '..',
  '../..',
  '../../etc/passwd',
  '/etc/passwd',
  '/',
  'a\u0000b',
  '\u0000',
  '%00',
  '%zz',
  '%',
  '1e999',
  '-1',
  '-0',
  '0',
  '0x10',
  '1.5',
  '9007199254740993',
  '99999999999999999999999999999999',
  'NaN',
  'Infinity',
  'null',
  'undefined',
  'true',
  '[]',
  '{}',
  '__proto__',
  'constructor',
  'toString',
  '😀'.repeat(40),
  '\u202e\u0301\ufeff',
  '\ud800',
  'x'.repeat(5000),
  'a,b,,c',
  '$(reboot)',
  '`id`',
  ';rm -rf /',
  '\r\nX-Injected: 1',
  '<script>alert(1)</script>',
  "' OR 1=1 --",
  'node1:0::0,0,0',
  'NULL',
];

export const nastyString: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...nastyStrings) },
  { weight: 2, arbitrary: fc.string({ maxLength: 40 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 20 }) },
  { weight: 1, arbitrary: fc.integer().map(String) },
  { weight: 1, arbitrary: fc.double().map(String) },
  { weight: 1, arbitrary: fc.bigInt().map(String) },
);

/** JSON values of every type, nasty strings and numbers included. */
export const nastyValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 3, arbitrary: nastyString },
  { weight: 1, arbitrary: fc.constantFrom(null, true, false, 0, -1, 1e308, -1e308, 2 ** 53 + 1, 0.5, [], {}) },
  { weight: 1, arbitrary: fc.integer() },
  { weight: 1, arbitrary: fc.double({ noNaN: true, noDefaultInfinity: true }) },
  { weight: 1, arbitrary: fc.array(nastyString, { maxLength: 4 }) },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
);

/** An object with some of `keys` (and maybe others) holding nasty values. */
export function nastyObject(keys: readonly string[]): fc.Arbitrary<Record<string, unknown>> {
  return fc.dictionary(fc.oneof(fc.constantFrom(...keys), fc.string({ maxLength: 10 })), nastyValue, {
    maxKeys: 6,
  });
}
