// The series of an indicator against its expected line, drawn with ECharts when
// the page has it and as a plain note otherwise (the table below it always has the figures).
import { h } from './dom.js';
import { num } from './status.js';

const charts = new Set();

// hasCharts reports whether the chart library loaded.
export function hasCharts() {
  return typeof window.echarts !== 'undefined' && !window.dubanNoCharts;
}

// disposeCharts frees the charts of a view that is going away.
export function disposeCharts() {
  for (const c of charts) c.dispose();
  charts.clear();
}

window.addEventListener('resize', () => { for (const c of charts) c.resize(); });

// seriesChart draws series [{period, actual, expected}] of an indicator; target is the city target.
export function seriesChart(series, { kind, measure, target, name }) {
  if (!hasCharts()) {
    return h('div', { class: 'nochart', 'data-nochart': '1' }, '图表组件未随本版本打包(构建时运行 make web 可加入),以下为逐期数据。');
  }
  const el = h('div', { class: 'chart', role: 'img', 'aria-label': `${name}实际值与进度线` });
  // ECharts needs the element's size: draw once it is in the document.
  requestAnimationFrame(() => {
    if (!el.isConnected) return;
    const c = window.echarts.init(el, null, { renderer: 'canvas' });
    charts.add(c);
    const fmt = (v) => num(v, kind);
    const periods = series.map((p) => p.period);
    c.setOption({
      animation: false,
      grid: { left: 64, right: 20, top: 36, bottom: 28 },
      legend: { top: 0, data: ['实际', '按进度应达'] },
      tooltip: { trigger: 'axis', valueFormatter: fmt },
      xAxis: { type: 'category', data: periods, axisLabel: { formatter: (p) => `${Number(p.slice(5))}月` } },
      yAxis: { type: 'value', name: measure || '', axisLabel: { formatter: fmt }, max: (v) => Math.max(v.max, target || 0) },
      series: [
        {
          name: '实际', type: 'line', data: series.map((p) => p.actual), connectNulls: false, symbolSize: 7,
          lineStyle: { width: 3, color: '#b71c1c' }, itemStyle: { color: '#b71c1c' },
          markLine: target === null || target === undefined ? undefined : {
            symbol: 'none', silent: true, lineStyle: { color: '#2e7d32', type: 'solid' },
            label: { formatter: `目标 ${fmt(target)}`, position: 'insideEndTop' }, data: [{ yAxis: target }],
          },
        },
        {
          name: '按进度应达', type: 'line', data: series.map((p) => p.expected), symbol: 'none',
          lineStyle: { type: 'dashed', width: 2, color: '#5f6b7a' }, itemStyle: { color: '#5f6b7a' },
        },
      ],
    });
  });
  return el;
}
