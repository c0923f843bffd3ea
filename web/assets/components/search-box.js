// A search field that reports what is typed after a pause (~250 ms), follows its value
// from the URL (back button), and is the target of the `/` shortcut (data-search).

import { useEffect, useRef, useState } from 'preact/hooks';
import { html } from '../lib/html.js';
import { useDebounced } from '../lib/hooks.js';

export function SearchBox({ value, onSearch, label, placeholder, delay = 250 }) {
  const [text, setText] = useState(value);
  const typing = useRef(false);
  useEffect(() => {
    if (!typing.current) setText(value);
  }, [value]);
  const report = useDebounced((next) => {
    typing.current = false;
    onSearch(next);
  }, delay);
  return html`<input type="search" class="search-input" data-search="true" value=${text}
    aria-label=${label} placeholder=${placeholder || label} autocomplete="off" spellcheck="false"
    onInput=${(e) => {
      typing.current = true;
      setText(e.currentTarget.value);
      report(e.currentTarget.value);
    }}
    onKeyDown=${(e) => {
      if (e.key === 'Escape' && text) {
        setText('');
        typing.current = false;
        onSearch('');
      }
    }} />`;
}
