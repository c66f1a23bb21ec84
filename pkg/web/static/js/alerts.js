// The alerts panel (预警): what fired, at which level, and acknowledging it.
import { h, mount } from './dom.js';
import { get, post } from './api.js';
import { dateTime } from './status.js';

const KINDS = { report_overdue: '逾期未报', lagging: '进度滞后', critical: '严重滞后', missed: '逾期未完成', anomaly: '数据异常' };
// LEVELS are the escalation levels, lowest first; RANK colours them (older answers gave 1–3).
const LEVELS = { reminder: '提醒', follow_up: '督办', briefing: '通报' };
const RANK = { reminder: 1, follow_up: 2, briefing: 3, 1: 1, 2: 2, 3: 3 };
const filter = { state: 'firing', kind: '', level: '' };

// level is an alert level as a labelled tag.
export function level(a) {
  return h('span', { class: `level level-${RANK[a.level] || 1}`, 'data-level': a.level }, a.level_label || LEVELS[a.level] || a.level);
}

// alertList is a compact list of alerts for a detail panel.
export function alertList(alerts) {
  if (!alerts || !alerts.length) return h('p', { class: 'muted' }, '暂无预警。');
  return h('ul', { class: 'items alerts' }, alerts.map((a) => h('li', { 'data-alert': a.id },
    h('div', { class: 'head' }, level(a), h('span', { class: 'name' }, a.kind_label || KINDS[a.kind] || a.kind),
      h('span', { class: 'muted' }, a.unit_name || a.unit || ''), a.state === 'resolved' ? h('span', { class: 'muted' }, '已解除') : null),
    h('div', { class: 'sub' }, a.reason || ''),
    a.catch_up ? h('div', { class: 'sub' }, a.catch_up) : null,
    a.acknowledged_by ? h('div', { class: 'sub' }, `${a.acknowledged_by} 已确认${a.ack_comment ? `:${a.ack_comment}` : ''}`) : null)));
}

// renderAlerts draws the alerts panel into el.
export async function renderAlerts(el, ctx) {
  const list = h('div', {}, h('p', { class: 'loading' }, '正在读取预警…'));
  const sel = (key, opts, aria) => h('select', { 'aria-label': aria, onchange: (e) => { filter[key] = e.target.value; load(); } },
    opts.map(([v, l]) => h('option', { value: v, selected: filter[key] === v }, l)));
  mount(el, h('div', { class: 'filters' },
    sel('state', [['firing', '未解除'], ['resolved', '已解除'], ['', '全部']], '状态'),
    sel('kind', [['', '全部类型'], ...Object.entries(KINDS)], '类型'),
    sel('level', [['', '全部级别'], ...Object.entries(LEVELS)], '级别')), list);

  async function load() {
    let page;
    try {
      page = await get('/alerts', { state: filter.state, kind: filter.kind, level: filter.level, limit: 500 });
    } catch (e) {
      mount(list, h('p', { class: 'error' }, `读取预警失败:${e.message}`));
      return;
    }
    const items = page.items || [];
    if (!items.length) {
      mount(list, h('p', { class: 'empty' }, '没有符合条件的预警。'));
      return;
    }
    mount(list, h('p', { class: 'muted' }, `共 ${page.total ?? items.length} 条`), h('table', { class: 'grid', id: 'alerts-table' },
      h('thead', {}, h('tr', {}, ['级别', '类型', '任务 / 事项', '单位', '说明', '逾期', '状态', ''].map((c) => h('th', {}, c)))),
      h('tbody', {}, items.map((a) => h('tr', { 'data-alert': a.id },
        h('td', {}, level(a)),
        h('td', {}, a.kind_label || KINDS[a.kind] || a.kind),
        h('td', {}, a.task ? h('a', { href: '#', onclick: (e) => { e.preventDefault(); ctx.openTaskById(a.task); } }, a.task) : null, ' ', h('span', { class: 'muted' }, a.name || a.subject || '')),
        h('td', {}, a.unit_name || a.unit || ''),
        h('td', {}, a.reason || '', a.catch_up ? h('div', { class: 'muted' }, a.catch_up) : null),
        h('td', { class: 'num' }, a.since ? `${a.since} 起` : '', a.overdue_workdays ? h('div', {}, `${a.overdue_workdays} 个工作日`) : null),
        h('td', {}, a.state === 'resolved' ? '已解除' : '未解除',
          a.acknowledged_by ? h('div', { class: 'muted' }, `${a.acknowledged_by} 已确认 ${dateTime(a.acknowledged_at)}${a.ack_comment ? `:${a.ack_comment}` : ''}`) : null),
        h('td', {}, a.acknowledged_by || a.state === 'resolved' ? null : h('button', { type: 'button', class: 'btn', onclick: (e) => ack(a, e.currentTarget) }, '确认')))))));
  }

  async function ack(a, btn) {
    const comment = window.prompt(`确认预警:${a.reason || a.subject}\n备注(可空):`, '');
    if (comment === null) return;
    btn.disabled = true;
    try {
      await post(`/alerts/${encodeURIComponent(a.id)}/ack`, { comment });
      load();
    } catch (e) {
      btn.disabled = false;
      window.alert(`确认失败:${e.message}`);
    }
  }
  await load();
}
