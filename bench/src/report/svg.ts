// latest.svg: a horizontal bar chart of median req/s, drawn by hand (no plotting dependency).
// One bar per (target, connections) cell and per scale point; the ceiling bar sets the scale.
import type { BenchResults } from '../results.js';
import { fmt } from '../stats.js';

interface Bar {
  label: string;
  value: number;
  color: string;
  note: string;
}

const COLORS: Record<string, string> = {
  ceiling: '#9aa0a6',
  ours: '#1a73e8',
  'oidc-provider': '#e8710a',
  'oauth2-server': '#12b5cb',
};

function escapeXml(s: string): string {
  return s.replace(/[<>&"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
}

export function renderSvg(results: BenchResults): string {
  const bars: Bar[] = [];
  for (const t of results.targets) {
    for (const r of t.rows) {
      bars.push({
        label: `${t.target} c=${r.connections}`,
        value: r.requestsPerSec,
        color: COLORS[t.target] ?? '#5f6368',
        note: `p99 ${fmt(r.latencyP99, 1)} ms`,
      });
    }
  }
  for (const s of results.scale) {
    if (!s.row) continue;
    bars.push({
      label: `ours ${fmt(s.apps)} apps`,
      value: s.row.requestsPerSec,
      color: '#174ea6',
      note: `startup ${fmt(s.startupMs)} ms`,
    });
  }
  const width = 860;
  const labelW = 190;
  const barH = 22;
  const gap = 8;
  const top = 56;
  const chartW = width - labelW - 190;
  const height = top + bars.length * (barH + gap) + 30;
  const maxValue = Math.max(1, ...bars.map((b) => b.value));
  const m = results.machine;
  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="system-ui, sans-serif" font-size="13">`,
    `<rect width="100%" height="100%" fill="#ffffff"/>`,
    `<text x="16" y="24" font-size="16" font-weight="600">POST /oauth/token — median req/s (higher is better)</text>`,
    `<text x="16" y="44" fill="#5f6368">${escapeXml(`${m.cpuModel}, ${m.cores} cores, node ${m.node}, taskset ${m.taskset ? 'yes' : 'no'}, ${results.config.runs} × ${results.config.duration} s`)}</text>`,
  );
  bars.forEach((b, i) => {
    const y = top + i * (barH + gap);
    const w = Math.max(1, (b.value / maxValue) * chartW);
    out.push(
      `<text x="${labelW - 8}" y="${y + barH * 0.7}" text-anchor="end">${escapeXml(b.label)}</text>`,
      `<rect x="${labelW}" y="${y}" width="${w.toFixed(1)}" height="${barH}" fill="${b.color}" rx="2"/>`,
      `<text x="${(labelW + w + 6).toFixed(1)}" y="${y + barH * 0.7}">${escapeXml(`${fmt(b.value)} req/s · ${b.note}`)}</text>`,
    );
  });
  if (bars.length === 0) out.push(`<text x="16" y="${top + 16}">no load results</text>`);
  out.push('</svg>', '');
  return out.join('\n');
}
