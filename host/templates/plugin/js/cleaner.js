// {{name}}: a cleaner; the entry exports `kura:plugin/cleaner` (as the object `cleaner`) and wraps
// the pure rules of clean.js with the host's `log` and `settings` imports.
//
// WIT -> JS, as componentize-js 0.23 (StarlingMonkey) binds it:
//   import specifier   'kura:plugin/log@{{wit}}' (package version included)
//   enum level         a string: 'trace' | 'debug' | 'info' | 'warn' | 'error'
//   option<string>     the string, or undefined for none
//   result<string, error> export: return the string for ok; THROW the error variant
//                      for err, as a plain object { tag: 'invalid-input', val: '...' }
//                      (a thrown Error instance without a `payload` property traps instead)
import { log } from 'kura:plugin/log@{{wit}}';
import { get as setting } from 'kura:plugin/settings@{{wit}}';
import { cleanTitle, parseLabels } from './clean.js';

/** The error variant of types.wit, as the bindings lift it: { tag, val }. */
function kuraError(tag, detail) {
  return { tag, val: detail };
}

export const cleaner = {
  clean(raw) {
    const extraLabels = parseLabels(setting('extra_labels'));
    const { title, steps } = cleanTitle(raw, { extraLabels });
    if (!title) {
      log('debug', `nothing usable in ${raw.length} characters`);
      throw kuraError('invalid-input', 'no title left after cleaning');
    }
    if (steps.length) log('debug', `cleaned by ${[...new Set(steps)].join(', ')}`);
    return title;
  },
};
