// An HTML template tag that escapes every interpolated value unless it is itself a
// fragment built by the tag, so no value reaches the page unescaped by accident.
import { servicePeers } from '../peers.js'

export class Html {
  constructor (readonly text: string) {}
  toString (): string {
    return this.text
  }
}

type Value = Html | string | number | null | undefined | false | readonly Value[]

function render (value: Value): string {
  if (value === null || value === undefined || value === false) return ''
  if (value instanceof Html) return value.text
  if (Array.isArray(value)) return value.map(render).join('')
  return servicePeers().escapeHtml(String(value))
}

export function html (strings: TemplateStringsArray, ...values: Value[]): Html {
  let text = strings[0] ?? ''
  values.forEach((value, i) => {
    text += render(value) + (strings[i + 1] ?? '')
  })
  return new Html(text)
}
