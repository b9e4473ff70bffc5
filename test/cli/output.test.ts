// The pure formatters behind --format github and markdown.
import t from 'tap'
import { annotation, escapeData, escapeProperty } from '../../service/cli/output/github.js'
import { cell, codeCell, renderMarkdown } from '../../service/cli/output/markdown.js'

t.test('workflow command escaping', async (t) => {
  t.equal(escapeData('100% done\r\nnext: a, b'), '100%25 done%0D%0Anext: a, b')
  t.equal(escapeProperty('dir/a,b:c%.yaml\n'), 'dir/a%2Cb%3Ac%25.yaml%0A')
  t.equal(
    annotation({ level: 'error', file: 'p/a:b.yaml', line: 3, col: 5, title: 'lint: x,y', message: 'line1\nline2 50%' }),
    '::error file=p/a%3Ab.yaml,line=3,col=5,title=lint%3A x%2Cy::line1%0Aline2 50%25'
  )
  t.equal(annotation({ level: 'notice', message: 'plain' }), '::notice::plain')
})

t.test('markdown cells stay on one line with | escaped', async (t) => {
  t.equal(cell('a | b\nc'), 'a \\| b c')
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
