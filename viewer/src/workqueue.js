// The work queue of land officers and supervisors: the city's pending transactions and open disputes in the user's
// districts (/api/cities/{slug}/work-queue, then keyset pages through each list's next link), with the actions the
// service allows this user (approve / reject a transaction, resolve a dispute with its decision document); items the
// user may not decide (four eyes, role) are listed with the reason.
import { fromLonLat } from 'ol/proj.js';
import { addStrings } from './i18n.js';

addStrings({
  en: {
    workQueue: 'Work queue', pendingTransactions: 'Transactions waiting for approval', openDisputes: 'Open disputes',
    nothingPending: 'Nothing waiting.', more: 'More', zoomTo: 'Show on map', resolve: 'Resolve', decision: 'Decision',
    decisionDocument: 'Decision document', reasonForRejection: 'Reason for rejection', lodgedByYou: 'lodged by you',
    'whyNot.four-eyes': 'You lodged it: another supervisor decides (four eyes).', 'whyNot.role': 'A supervisor decides.',
    'whyNot.decided': 'Already decided.', approved: 'approved', rejected: 'rejected', resolved: 'resolved',
  },
  fa: {
    workQueue: 'کارهای در انتظار', pendingTransactions: 'معاملات در انتظار تأیید', openDisputes: 'منازعات باز',
    nothingPending: 'چیزی در انتظار نیست.', more: 'بیشتر', zoomTo: 'نمایش روی نقشه', resolve: 'حل', decision: 'تصمیم',
    decisionDocument: 'سند تصمیم', reasonForRejection: 'دلیل رد', lodgedByYou: 'ثبت شده توسط شما',
    'whyNot.four-eyes': 'شما آن را ثبت کرده‌اید: ناظر دیگری تصمیم می‌گیرد.', 'whyNot.role': 'ناظر تصمیم می‌گیرد.',
    'whyNot.decided': 'قبلاً تصمیم گرفته شده.', approved: 'تأیید شد', rejected: 'رد شد', resolved: 'حل شد',
  },
});

export function createWorkQueue({ api, el, t, view, stats, problemText, bothCalendars, city, token, onDecided }) {
  stats.decisions = [];

  const done = (li, item, status) => {
    li.querySelectorAll('button, form').forEach((b) => b.remove());
    li.dataset.status = status;
    li.append(el('strong', { class: 'decided' }, ` ✓ ${t(status)}`));
    stats.decisions.push({ id: item.id, status });
    onDecided?.(item);
  };

  const failed = (li, res) => li.append(el('div', { class: 'problem', role: 'alert' }, problemText(res)));

  // A dispute is resolved with a decision and its document: the file is uploaded first, then the decision sent.
  function resolveForm(li, item) {
    const form = el('form', { class: 'resolve-form' },
      el('label', {}, t('decision'), el('textarea', { name: 'decision', rows: 2, required: true })),
      el('label', {}, t('decisionDocument'), el('input', { type: 'file', name: 'file', accept: 'application/pdf,image/png,image/jpeg,image/tiff', required: true })),
      el('button', { type: 'submit' }, t('resolve')));
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      const file = form.file.files[0];
      const up = await fetch(`/api/documents?record=dispute:${item.id}&kind=decision&name=${encodeURIComponent(file.name)}`, {
        method: 'POST', body: file, headers: { Authorization: `Bearer ${token()}`, 'Content-Type': 'application/octet-stream', Accept: 'application/json' },
      });
      const doc = await up.json().catch(() => null);
      if (!up.ok) { failed(li, { status: up.status, json: doc }); return; }
      const r = await api(item.resolveUrl, { method: 'POST', body: { decision: form.decision.value.trim(), documentId: doc.id } });
      if (r.ok) done(li, item, 'resolved'); else failed(li, r);
    });
    return form;
  }

  function itemRow(item, kind) {
    const li = el('li', { class: 'queue-item', 'data-id': item.id, 'data-kind': kind, 'data-code': item.code },
      el('strong', {}, item.code), ` · ${item.kind} · ${t('district')} ${item.district}`,
      el('div', { class: 'muted' }, bothCalendars(item.lodgedAt), item.lodgedByMe ? ` · ${t('lodgedByYou')}` : ''),
      item.reason || item.statement ? el('div', {}, item.reason ?? item.statement) : null);
    const actions = el('div', { class: 'row' },
      el('button', { type: 'button', 'data-action': 'zoom', onclick: () => view.animate({ center: fromLonLat(item.at), zoom: Math.max(view.getZoom() ?? 0, 18), duration: 300 }) }, t('zoomTo')));
    if (item.canDecide && kind === 'transactions') {
      const reason = el('input', { placeholder: t('reasonForRejection'), 'aria-label': t('reasonForRejection') });
      actions.append(
        el('button', { type: 'button', 'data-action': 'approve', onclick: async () => {
          const r = await api(item.approveUrl, { method: 'POST' });
          if (r.ok) done(li, item, 'approved'); else failed(li, r);
        } }, t('approve')),
        reason,
        el('button', { type: 'button', 'data-action': 'reject', onclick: async () => {
          if (!reason.value.trim()) { reason.focus(); return; }
          const r = await api(item.rejectUrl, { method: 'POST', body: { reason: reason.value.trim() } });
          if (r.ok) done(li, item, 'rejected'); else failed(li, r);
        } }, t('reject')));
    } else if (item.canDecide && kind === 'disputes') {
      actions.append(el('button', { type: 'button', 'data-action': 'resolve', onclick: (e) => { e.currentTarget.remove(); li.append(resolveForm(li, item)); } }, t('resolve')));
    } else {
      actions.append(el('span', { class: 'muted why-not' }, t(`whyNot.${item.whyNot}`)));
    }
    li.append(actions);
    return li;
  }

  function list(kind, title, page) {
    const ul = el('ul', { class: 'queue', id: `queue-${kind}` });
    const section = el('section', {}, el('h4', {}, title), ul);
    const add = (p) => {
      for (const item of p.items ?? []) ul.append(itemRow(item, kind));
      section.querySelector('.more')?.remove();
      if (p.next) {
        section.append(el('button', { type: 'button', class: 'more', onclick: async () => {
          const r = await api(p.next);
          if (r.ok) add(r.json); else section.append(el('div', { class: 'problem' }, problemText(r)));
        } }, t('more')));
      }
      if (!ul.children.length) ul.append(el('li', { class: 'muted' }, t('nothingPending')));
    };
    add(page);
    return section;
  }

  async function render() {
    const box = document.getElementById('queue');
    const res = await api(`/api/cities/${encodeURIComponent(city())}/work-queue`);
    if (!res.ok) { box.replaceChildren(el('div', { class: 'problem', role: 'alert' }, problemText(res))); return; }
    box.replaceChildren(list('transactions', t('pendingTransactions'), res.json.transactions), list('disputes', t('openDisputes'), res.json.disputes));
    stats.queueLoaded = (stats.queueLoaded ?? 0) + 1;
  }

  return { render };
}
