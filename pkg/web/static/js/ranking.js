// Unit ranking (单位排名) and a unit's scorecard.
import { h, mount } from './dom.js';
import { get } from './api.js';
import { STATUSES, badge, pct, dateTime } from './status.js';

// renderRanking draws the ranking answer into el; openUnit(id, name) opens a scorecard.
export function renderRanking(el, page, openUnit) {
  const items = page.items || [];
  if (!items.length) {
    mount(el, h('p', { class: 'empty' }, '暂无可排名的单位。'));
    return;
  }
  mount(el,
    h('p', { class: 'muted' }, '按已完成和正常推进的事项占比排名,占比相同时未报送少者在前。点击单位查看其成绩单。'),
    h('table', { class: 'grid', id: 'ranking-table' },
      h('thead', {}, h('tr', {}, ['名次', '单位', '达标占比', '状态分布', '达标 / 事项', '应报', '按时', '逾期报送', '未报送'].map((c) => h('th', {}, c)))),
      h('tbody', {}, items.map((r) => {
        const rep = r.reports || {};
        return h('tr', { class: 'clickable', 'data-unit': r.unit && r.unit.id, onclick: () => openUnit(r.unit.id, r.unit.name) },
          h('td', { class: 'num' }, r.rank),
          h('td', {}, r.unit ? r.unit.name : ''),
          h('td', { class: 'num' }, pct(r.share)),
          h('td', {}, distribution(r.counts || {}, r.evaluations)),
          h('td', { class: 'num' }, `${r.good ?? '—'} / ${r.evaluations ?? '—'}`),
          h('td', { class: 'num' }, rep.due ?? '—'),
          h('td', { class: 'num' }, rep.on_time ?? '—'),
          h('td', { class: 'num' }, rep.late ?? '—'),
          h('td', { class: 'num' }, rep.missing ?? '—'));
      }))));
}

function distribution(counts, total) {
  const n = total || Object.values(counts).reduce((a, b) => a + b, 0) || 1;
  const text = STATUSES.filter(([s]) => counts[s]).map(([s, l]) => `${l} ${counts[s]}`).join(',');
  return h('div', { title: text },
    h('div', { class: 'bar', role: 'img', 'aria-label': text }, STATUSES.filter(([s]) => counts[s]).map(([s]) => h('span', { class: `s-${s}`, style: `width:${(counts[s] / n) * 100}%` }))),
    h('div', { class: 'muted', style: 'font-size:11px;margin-top:2px' }, text));
}

// renderScorecard draws a unit's scorecard into el.
export async function renderScorecard(el, id, ctx) {
  let d;
  try {
    d = await get(`/units/${encodeURIComponent(id)}/scorecard`);
  } catch (e) {
    mount(el, h('p', { class: 'error' }, `读取失败:${e.message}`));
    return;
  }
  const rank = d.rank || {};
  mount(el, h('div', { class: 'detail', id: 'scorecard' },
    h('h2', {}, d.unit ? d.unit.name : id),
    h('div', { class: 'meta' }, rank.rank ? h('span', {}, `排名 第 ${rank.rank} / ${d.of || '—'} 名`) : null, rank.share !== undefined ? h('span', {}, `达标占比 ${pct(rank.share)}`) : null),
    h('h3', {}, '牵头任务'),
    (d.tasks || []).length ? h('ul', { class: 'items' }, d.tasks.map((t) => h('li', { class: 'link', onclick: () => ctx.openTaskById(t.id, true) },
      h('div', { class: 'head' }, badge(t.status, t.status_label), h('span', { class: 'name' }, `${t.id} ${t.title}`)),
      h('div', { class: 'sub' }, t.reason || '')))) : h('p', { class: 'muted' }, '该单位不牵头任务。'),
    h('h3', {}, '本单位事项'),
    (d.evaluations || []).length ? h('ul', { class: 'items' }, d.evaluations.map((e) => h('li', {
      class: 'link', onclick: () => (e.milestone ? ctx.openMilestone(e.milestone, true) : ctx.openIndicator(e.indicator, true)),
    }, h('div', { class: 'head' }, badge(e.status, e.status_label), h('span', { class: 'name' }, e.name)), h('div', { class: 'sub' }, e.reason || '')))) : h('p', { class: 'muted' }, '—'),
    h('h3', {}, '报送情况'),
    (d.reports || []).length ? h('table', { class: 'grid' },
      h('thead', {}, h('tr', {}, ['期', '应报日期', '收到时间', '情况'].map((c) => h('th', {}, c)))),
      h('tbody', {}, d.reports.map((r) => h('tr', {},
        h('td', {}, r.period), h('td', {}, r.due || '—'), h('td', {}, r.received_at ? dateTime(r.received_at) : '—'),
        h('td', {}, r.state_label || { on_time: '按时', late: '逾期报送', missing: '未报送' }[r.state] || r.state))))) : h('p', { class: 'muted' }, '—')));
}
