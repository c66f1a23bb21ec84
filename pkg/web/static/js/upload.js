// The upload page (报送): download a unit's template, upload a filled one, and
// read a rejected file's errors cell by cell.
import { h, mount } from './dom.js';
import { get, upload, download } from './api.js';
import { dateTime } from './status.js';

// renderUpload draws the upload page into el; me is GET /me (a reporter's unit is fixed).
export async function renderUpload(el, me) {
  let units = [];
  try {
    const page = await get('/units', { limit: 1000 });
    units = (page.items || []).filter((u) => u.reports !== false && u.kind !== 'group');
  } catch {
    // the page still uploads; the server works out the unit from the file
  }
  const fixed = me && me.role === 'reporter' && me.unit;
  const unitSelect = h('select', { id: 'upload-unit', name: 'unit', disabled: !!fixed },
    fixed ? h('option', { value: me.unit.id }, me.unit.name)
      : [h('option', { value: '' }, '按文件自动识别'), units.map((u) => h('option', { value: u.id }, u.name))]);
  const tplSelect = h('select', { id: 'template-unit', 'aria-label': '模板单位' },
    fixed ? h('option', { value: me.unit.id }, me.unit.name) : units.map((u) => h('option', { value: u.id }, u.name)));
  const file = h('input', { type: 'file', id: 'upload-file', name: 'file', accept: '.xlsx,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet', required: true });
  const result = h('div', { id: 'upload-result', 'aria-live': 'polite' });
  const submit = h('button', { type: 'submit', class: 'btn primary', id: 'upload-submit' }, '上传');

  const form = h('form', {
    class: 'panel', id: 'upload-form',
    onsubmit: async (e) => {
      e.preventDefault();
      if (!file.files.length) {
        mount(result, h('p', { class: 'error' }, '请选择要上传的 Excel 文件。'));
        return;
      }
      const fd = new FormData();
      fd.append('file', file.files[0]);
      if (unitSelect.value) fd.append('unit', unitSelect.value);
      submit.disabled = true;
      mount(result, h('p', { class: 'loading' }, '正在上传并校验…'));
      try {
        const { status, body } = await upload('/submissions', fd);
        mount(result, outcome(status, body || {}));
      } catch (err) {
        mount(result, h('p', { class: 'error' }, `上传失败:${err.message}`));
      } finally {
        submit.disabled = false;
      }
    },
  },
  h('h2', {}, '上传报送文件'),
  h('div', { class: 'form-row' }, h('label', { for: 'upload-unit' }, '报送单位'), unitSelect),
  h('div', { class: 'form-row' }, h('label', { for: 'upload-file' }, '文件'), file, submit),
  result);

  mount(el,
    h('div', { class: 'panel' }, h('h2', {}, '下载填报模板'),
      h('div', { class: 'form-row' }, h('label', {}, '单位'), tplSelect,
        h('button', {
          type: 'button', class: 'btn', onclick: () => download(`/templates/${encodeURIComponent(tplSelect.value)}`, {}, `${tplSelect.selectedOptions[0]?.textContent || tplSelect.value}-报送模板.xlsx`).catch((e) => window.alert(`下载失败:${e.message}`)),
        }, '下载模板')),
      h('p', { class: 'muted' }, '模板已按单位列出应报指标和节点;填好后在下方上传。同一文件重复上传只记一次。')),
    form);
}

function outcome(status, s) {
  const errs = s.errors || [];
  const warns = s.warnings || [];
  const head = status === 422 || s.outcome === 'rejected'
    ? h('div', { class: 'outcome rejected', 'data-outcome': 'rejected' }, `文件未通过校验,共 ${errs.length} 处错误,请逐项改正后重新上传。`)
    : h('div', { class: 'outcome accepted', 'data-outcome': 'accepted' },
      status === 200 ? '该文件此前已上传过,以下为当时的结果。' : '已接收。',
      s.observations !== undefined ? ` 共入库 ${s.observations} 条数据。` : '');
  return h('div', {},
    head,
    h('p', { class: 'muted' }, [s.file_name, s.unit, s.period ? `期间 ${s.period}` : '', s.received_at ? `收到 ${dateTime(s.received_at)}` : '', s.id ? `编号 ${s.id}` : ''].filter(Boolean).join(' · ')),
    errs.length ? cellTable(errs, 'upload-errors') : null,
    warns.length ? [h('h3', {}, '提示'), cellTable(warns, 'upload-warnings')] : null);
}

function cellTable(list, id) {
  return h('table', { class: 'grid', id },
    h('thead', {}, h('tr', {}, ['工作表', '单元格', '填写的值', '应为', '说明'].map((c) => h('th', {}, c)))),
    h('tbody', {}, list.map((e) => h('tr', { 'data-code': e.code },
      h('td', {}, e.sheet || '—'),
      h('td', { class: 'cellref' }, e.cell || (e.row ? `第${e.row}行` : '—')),
      h('td', {}, e.value ?? ''),
      h('td', {}, e.expected ?? ''),
      h('td', {}, e.message)))));
}
