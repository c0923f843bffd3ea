// Picks a person for the library filter: a chip with their name when one is chosen,
// else a field that suggests people by name as you type (`GET /api/actors?search=`).

import { useState } from 'preact/hooks';
import { api } from '../lib/api.js';
import { html } from '../lib/html.js';
import { useDebounced } from '../lib/hooks.js';
import { t } from '../lib/i18n.js';
import { namesStore, rememberNames } from '../lib/state.js';
import { useStore } from '../lib/store.js';
import { encodeQuery } from '../lib/url.js';
import { toastError } from './toast.js';

export function PersonPicker({ value, onChange }) {
  const names = useStore(namesStore);
  const [text, setText] = useState('');
  const [found, setFound] = useState([]);
  const lookUp = useDebounced(async (query) => {
    if (!query.trim()) return setFound([]);
    try {
      const page = await api(`/api/actors?${encodeQuery({ search: query, sort: 'work_count', page_size: 8 })}`);
      rememberNames('person', page.items);
      setFound(page.items);
    } catch (error) {
      toastError(error);
    }
  }, 250);
  if (value) {
    const name = names.person[value] || t('library.person_id', { id: value });
    return html`<span class="chip" data-testid="person-filter">
      <span>${t('library.person')}: ${name}</span>
      <button type="button" class="icon-button" aria-label=${t('library.clear_person')} onClick=${() => onChange('')}>×</button>
    </span>`;
  }
  return html`<div class="picker">
    <input type="search" value=${text} aria-label=${t('library.person')} placeholder=${t('library.person_placeholder')}
      autocomplete="off" onInput=${(e) => {
        setText(e.currentTarget.value);
        lookUp(e.currentTarget.value);
      }} />
    ${found.length > 0 && text && html`<ul class="picker-list" role="list">
      ${found.map((person) => html`<li key=${person.id}>
        <button type="button" class="picker-option" onClick=${() => {
          setText('');
          setFound([]);
          onChange(String(person.id));
        }}>${person.name} <span class="muted">(${person.work_count})</span></button>
      </li>`)}
    </ul>`}
  </div>`;
}
