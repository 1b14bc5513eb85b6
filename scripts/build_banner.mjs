// Minifies static/consent/*.js with terser into *.min.js, the form the gateway serves.
// Run `npm run build:banner` after changing a source; a test checks the output is current.
import {readFileSync, writeFileSync} from 'node:fs';
import {minify} from 'terser';

const PREFIX = 'self.__hc=';
// Optional argument: another directory to write into (the test compares with the committed files).
const OUT = process.argv[2] || 'static/consent';
for (const name of ['banner', 'measure']) {
  const source = readFileSync(`static/consent/${name}.js`, 'utf8');
  // Each source is one function expression; it is minified as an assignment, then unwrapped.
  const out = await minify(PREFIX + source, {
    ecma: 2020,
    compress: {passes: 2},
    mangle: true,
    format: {comments: false},
  });
  const code = out.code.replace(/;$/, '');
  if (!code.startsWith(PREFIX)) throw new Error(`${name}.js: unexpected minifier output`);
  writeFileSync(`${OUT}/${name}.min.js`, '(' + code.slice(PREFIX.length) + ')\n');
}
