// The pure formatters behind --format github and markdown.
import t from 'tap'
import { annotation, escapeData, escapeProperty } from '../../service/cli/output/github.js'
import { cell, codeCell, renderMarkdown } from '../../service/cli/output/markdown.js'
import { visible, visibleLines } from '../../service/cli/output/visible.js'

t.test('visible: C0/C1 controls, bidi and invisible characters as \\uXXXX; everything else as is', async (t) => {
  t.equal(visible('a\r\n::add-mask::b\t\u0000\u007F\u0085\u009F'), 'a\\u000D\\u000A::add-mask::b\\u0009\\u0000\\u007F\\u0085\\u009F')
  const hidden = ['\u200B', '\u200C', '\u200D', '\u200E', '\u200F', '\u202A', '\u202B', '\u202C', '\u202D', '\u202E', '\u2066', '\u2067', '\u2068', '\u2069', '\uFEFF']
  for (const c of hidden) t.equal(visible(`x${c}y`), `x\\u${c.charCodeAt(0).toString(16).toUpperCase()}y`)
  t.equal(visible('read:a é ü 日本 🙂 \u00A0 \u2010 \u2070'), 'read:a é ü 日本 🙂 \u00A0 \u2010 \u2070', 'printable text, other Unicode untouched')
  t.equal(visibleLines(['one\ntwo', 'three']), 'one\\u000Atwo\nthree\n', 'one output line per given line')
})

t.test('workflow command escaping', async (t) => {
  t.equal(escapeData('100% done\r\nnext: a, b'), '100%25 done%0D%0Anext: a, b')
  t.equal(escapeProperty('dir/a,b:c%.yaml\n'), 'dir/a%2Cb%3Ac%25.yaml%0A')
  t.equal(
    annotation({ level: 'error', file: 'p/a:b.yaml', line: 3, col: 5, title: 'lint: x,y', message: 'line1 50%' }),
    '::error file=p/a%3Ab.yaml,line=3,col=5,title=lint%3A x%2Cy::line1 50%25'
  )
  t.equal(
    annotation({ level: 'warning', file: 'p/\u202Eb\n.yaml', title: 't\r\n::add-mask::x', message: 'm\n::error::forged' }),
    '::warning file=p/\\u202Eb\\u000A.yaml,title=t\\u000D\\u000A%3A%3Aadd-mask%3A%3Ax::m\\u000A::error::forged',
    'a line break never ends the command: shown as \\u000A, in the file name too'
  )
  t.equal(annotation({ level: 'notice', message: 'plain' }), '::notice::plain')
})

t.test('markdown cells stay on one line with | escaped', async (t) => {
  t.equal(cell('a | b\nc'), 'a \\| b\\\\u000Ac', 'the line break shown (its backslash escaped for markdown)')
  t.equal(cell('\u202Eevil'), '\\\\u202Eevil')
  t.equal(cell('x'.repeat(500)).length, 201)
})

t.test('markdown cells cannot inject HTML: a reason of <!-- must not hide the rows after it', async (t) => {
  t.equal(cell('sync <!-- & <b>x</b>'), 'sync &lt;!-- &amp; &lt;b&gt;x&lt;/b&gt;')
  t.equal(codeCell('a<b>|c'), '`a<b>\\|c`', 'a code span shows HTML literally: only | is escaped')
  t.equal(codeCell('a`<!--'), 'a`&lt;!--', 'no code span around a backtick: escaped as text')
})

t.test('renderMarkdown keeps the most important rows within the limit', async (t) => {
  const rows = Array.from({ length: 100 }, (_, i) => ({ cells: [`row ${i}`, 'y'.repeat(50)], priority: i === 77 ? 5 : 0 }))
  const out = renderMarkdown({
    summary: 'summary',
    headers: ['A', 'B'],
    sections: [{ title: 'S', rows }],
    cutNote: (cut) => `${cut.length} cut`,
    limit: 2048,
  })
  t.ok(Buffer.byteLength(out) <= 2048)
  t.match(out, /^summary\n/)
  t.match(out, /\| row 77 \|/)
  const shown = out.match(/\| row \d+ \|/g)?.length ?? 0
  t.match(out, new RegExp(`\\n${100 - shown} cut\\n$`))
})
