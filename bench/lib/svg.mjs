// Small hand-written SVG charts for BENCHMARKS.md: a latency CDF on a log axis and a bar chart.
const COLORS = ['#1f77b4', '#d62728', '#ff7f0e', '#2ca02c', '#9467bd', '#8c564b'];
const esc = (text) => String(text).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const num = (value) => (Math.round(value * 10) / 10).toString();

function frame(width, height, title, body) {
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="${width}" height="${height}" fill="#fff"/>`,
    `<text x="${width / 2}" y="20" text-anchor="middle" font-size="14" font-weight="bold">${esc(title)}</text>`,
    ...body,
    '</svg>',
    '',
  ].join('\n');
}

/** Empirical CDFs of several latency samples (ms), x on a log10 axis. */
export function cdfChart({ title, series, xLabel = 'latency (ms, log scale)' }) {
  const width = 720;
  const height = 420;
  const left = 60;
  const right = 200;
  const top = 36;
  const bottom = 50;
  const plotW = width - left - right;
  const plotH = height - top - bottom;
  const all = series.flatMap((s) => s.values).filter((v) => v > 0);
  const lo = Math.floor(Math.log10(Math.min(...all)));
  const hi = Math.ceil(Math.log10(Math.max(...all)));
  const span = Math.max(1, hi - lo);
  const x = (ms) => left + ((Math.log10(Math.max(ms, 10 ** lo)) - lo) / span) * plotW;
  const y = (fraction) => top + (1 - fraction) * plotH;
  const body = [];
  for (let decade = lo; decade <= hi; decade += 1) {
    const px = x(10 ** decade);
    body.push(
      `<line x1="${num(px)}" y1="${top}" x2="${num(px)}" y2="${top + plotH}" stroke="#ddd"/>`,
      `<text x="${num(px)}" y="${top + plotH + 16}" text-anchor="middle">${10 ** decade >= 1 ? 10 ** decade : (10 ** decade).toFixed(-decade)}</text>`,
    );
  }
  for (const fraction of [0, 0.25, 0.5, 0.75, 1]) {
    body.push(
      `<line x1="${left}" y1="${num(y(fraction))}" x2="${left + plotW}" y2="${num(y(fraction))}" stroke="#eee"/>`,
      `<text x="${left - 6}" y="${num(y(fraction) + 4)}" text-anchor="end">${fraction}</text>`,
    );
  }
  body.push(
    `<rect x="${left}" y="${top}" width="${plotW}" height="${plotH}" fill="none" stroke="#333"/>`,
    `<text x="${left + plotW / 2}" y="${height - 12}" text-anchor="middle">${esc(xLabel)}</text>`,
    `<text x="16" y="${top + plotH / 2}" text-anchor="middle" transform="rotate(-90 16 ${top + plotH / 2})">fraction of tasks started</text>`,
  );
  series.forEach((s, index) => {
    const color = COLORS[index % COLORS.length];
    const sorted = [...s.values].sort((a, b) => a - b);
    const points = sorted.map((value, i) => `${num(x(value))},${num(y((i + 1) / sorted.length))}`);
    if (sorted.length > 0) points.unshift(`${num(x(sorted[0]))},${num(y(0))}`);
    body.push(
      `<polyline fill="none" stroke="${color}" stroke-width="2" points="${points.join(' ')}"/>`,
      `<rect x="${left + plotW + 14}" y="${top + 8 + index * 20}" width="14" height="4" fill="${color}"/>`,
      `<text x="${left + plotW + 34}" y="${top + 14 + index * 20}">${esc(s.name)}</text>`,
    );
  });
  return frame(width, height, title, body);
}

/** Horizontal bars with their values written at the end. */
export function barChart({ title, bars, unit }) {
  const width = 720;
  const left = 190;
  const right = 110;
  const top = 36;
  const barH = 26;
  const gap = 10;
  const height = top + bars.length * (barH + gap) + 30;
  const plotW = width - left - right;
  const max = Math.max(...bars.map((bar) => bar.value), 1e-9);
  const body = [];
  bars.forEach((bar, index) => {
    const yTop = top + index * (barH + gap);
    const w = Math.max(1, (bar.value / max) * plotW);
    body.push(
      `<text x="${left - 8}" y="${yTop + barH / 2 + 4}" text-anchor="end">${esc(bar.name)}</text>`,
      `<rect x="${left}" y="${yTop}" width="${num(w)}" height="${barH}" fill="${COLORS[index % COLORS.length]}"/>`,
      `<text x="${num(left + w + 6)}" y="${yTop + barH / 2 + 4}">${esc(bar.label ?? `${num(bar.value)} ${unit}`)}</text>`,
    );
  });
  body.push(`<line x1="${left}" y1="${top - 4}" x2="${left}" y2="${height - 26}" stroke="#333"/>`);
  return frame(width, height, title, body);
}
