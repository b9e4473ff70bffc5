// One style for the tree (CONTRIBUTING.md): neostandard, the Fastify ecosystem's
// choice, with its TypeScript rules. `npm run lint`; `npx eslint --fix .` mends
// most of what it finds.
import neostandard from 'neostandard'

export default [
  ...neostandard({
    ts: true,
    ignores: ['dist/**', 'coverage/**', '.tap/**', 'docs/api/**', '.doc-blocks-*/**']
  }),
  {
    rules: {
      // `void promise;` marks a promise left to run on purpose (its errors are
      // handled inside); the operator stays banned in expressions.
      // `() => void x`: an arrow whose result is dropped on purpose (a promise left to
      // run, a push used as a callback) says so instead of returning it.
      'no-void': 'off'
    }
  }
]
