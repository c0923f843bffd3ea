// `html` tagged templates bound to Preact's `h`: the JSX of a page without a build step.

import { h } from 'preact';
import htm from 'htm';

export const html = htm.bind(h);
