// {{name}}: a source for the Kura fixture site's "alpha" pages. It reads {domain}/v/{CODE},
// where the page names its HLS playlist in a script (`var hlsUrl = "...";`). Replace the
// page rules with your site's.
//
// WIT -> JavaScript (componentize-js): import specifiers carry the WIT version; records
// are objects with camelCase keys; an `option` is a value or undefined; an error of a
// `result` is thrown as { tag: 'not-found', val: '...' } (a thrown Error traps instead);
// an import's error arrives as a thrown value whose `payload` is { tag, val }.
import { fetch } from 'kura:plugin/http@{{wit}}';
import { get as setting } from 'kura:plugin/settings@{{wit}}';
import { between } from './page.js';

function fail(tag, detail) {
  return { tag, val: detail };
}

export const source = {
  resolve(code) {
    const pageUrl = `${setting('domain')}/v/${code}`;
    let response;
    try {
      response = fetch({
        method: 'get', url: pageUrl, headers: [['Accept', 'text/html']],
        body: undefined, timeoutMs: undefined, followRedirects: undefined,
      });
    } catch (e) {
      throw fail('network', `${e.payload?.tag}: ${e.payload?.val ?? ''}`);
    }
    if (response.status === 404) throw fail('not-found', code);
    if (response.status >= 400) throw fail('network', `HTTP ${response.status} from ${pageUrl}`);
    const page = new TextDecoder().decode(response.body);
    const playlistUrl = between(page, 'var hlsUrl = "', '"');
    if (!playlistUrl) throw fail('parse', `no hlsUrl on ${pageUrl}`);
    const title = between(page, '<title>', '</title>')?.replace(/ - Alpha$/, '').trim();
    return {
      pageUrl, playlistUrl, title, coverUrl: undefined,
      // The site checks where its stream is played from.
      headers: [['Referer', pageUrl]],
    };
  },
  search(query) {
    throw fail('unsupported', `search (${query})`);
  },
};
