// Reads the fenced code blocks of README.md and docs/*.md, and the shell examples in them,
// for test/docs/blocks.test.ts. The conventions (CONTRIBUTING.md, "Docs are tested"):
// - ```yaml with a top-level `app:` is a whole policy file; `# fragment` first marks a partial one;
// - ```ts is a whole module; `// fragment` first marks one that continues the file's last whole block;
// - ```sh / ```console: `$ command` lines, each followed by what it prints.
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'

export interface DocBlock {
  /** The doc's path from the repository root, e.g. `docs/cli.md`. */
  file: string
  /** 1-based line of the block's first content line (the one after the fence). */
  line: number
  lang: string
  lines: string[]
}

/** README.md and docs/*.md, in a stable order. */
export function docFiles (root: string): string[] {
  const docs = readdirSync(join(root, 'docs')).filter(name => name.endsWith('.md')).sort()
  return ['README.md', ...docs.map(name => `docs/${name}`)]
}

/** Every fenced block (``` or longer, at any indent) of one markdown file. */
export function fencedBlocks (root: string, file: string): DocBlock[] {
  const text = readFileSync(join(root, file), 'utf8').split('\n')
  const blocks: DocBlock[] = []
  let open: { fence: string, indent: number, block: DocBlock } | undefined
  text.forEach((raw, index) => {
    const fence = /^( *)(`{3,})\s*([\w-]*)/.exec(raw)
    if (open === undefined) {
      if (fence !== null) open = { fence: fence[2]!, indent: fence[1]!.length, block: { file, line: index + 2, lang: fence[3]!, lines: [] } }
      return
    }
    if (fence !== null && fence[2]!.length >= open.fence.length && fence[3] === '') {
      blocks.push(open.block)
      open = undefined
      return
    }
    open.block.lines.push(raw.slice(Math.min(open.indent, raw.length - raw.trimStart().length)))
  })
  return blocks
}

export function isFragment (block: DocBlock): boolean {
  const first = block.lines[0]?.trim() ?? ''
  return /^(#|\/\/) fragment\b/.test(first)
}

/** A yaml block with a top-level `app:` key, not marked `# fragment`. */
export function isPolicyFile (block: DocBlock): boolean {
  return block.lang === 'yaml' && !isFragment(block) && block.lines.some(line => /^app:\s/.test(line))
}

/** The file name a policy block names in its first comment (`# policies/x.yaml …`), else `<app>.yaml`. */
export function policyFileName (block: DocBlock): string {
  const named = /^#\s*(?:\S*\/)?([\w.-]+\.ya?ml)\b/.exec(block.lines[0] ?? '')
  if (named !== null) return named[1]!
  const app = block.lines.map(line => /^app:\s*["']?([\w.-]+)/.exec(line)).find(m => m !== null)
  return `${app?.[1] ?? 'policy'}.yaml`
}

export interface ShellExample {
  file: string
  /** Line of the `$ ` prompt. */
  line: number
  /** The command, continuation lines joined, without the prompt. */
  command: string
  /** What the doc shows it prints. */
  output: string[]
}

/**
 * The `$ command` lines of a sh/console block with the lines printed after each. A command
 * with a `# after …` comment shows another state than the repository's (and so does the rest
 * of its block): it and what follows are not returned.
 */
export function shellExamples (block: DocBlock): ShellExample[] {
  if (block.lang !== 'sh' && block.lang !== 'console') return []
  const examples: ShellExample[] = []
  let current: ShellExample | undefined
  for (let i = 0; i < block.lines.length; i++) {
    const raw = block.lines[i]!
    if (!raw.startsWith('$ ')) {
      current?.output.push(raw)
      continue
    }
    let command = raw.slice(2)
    const line = block.line + i
    while (command.endsWith('\\') && i + 1 < block.lines.length) command = `${command.slice(0, -1).trimEnd()} ${block.lines[++i]!.trim()}`
    if (/\s#\s*after\b/.test(command)) break
    current = { file: block.file, line, command: command.replace(/\s+#.*$/, '').trim(), output: [] }
    examples.push(current)
  }
  return examples
}

/** Splits a command line as sh would for the simple quoting docs use ('…', "…", \x). */
export function shellWords (command: string): string[] {
  const words: string[] = []
  let word: string | undefined
  for (let i = 0; i < command.length; i++) {
    const c = command[i]!
    if (c === ' ' || c === '\t') {
      if (word !== undefined) words.push(word)
      word = undefined
    } else if (c === "'") {
      const end = command.indexOf("'", i + 1)
      word = (word ?? '') + command.slice(i + 1, end)
      i = end
    } else if (c === '"') {
      let text = ''
      for (i++; i < command.length && command[i] !== '"'; i++) text += command[i] === '\\' ? command[++i] : command[i]
      word = (word ?? '') + text
    } else if (c === '\\') {
      word = (word ?? '') + (command[++i] ?? '')
    } else {
      word = (word ?? '') + c
    }
  }
  if (word !== undefined) words.push(word)
  return words
}
