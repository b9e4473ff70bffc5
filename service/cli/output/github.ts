// GitHub Actions workflow commands (`::error file=…,line=…::message`), escaped as the runner
// expects: %, CR and LF in the message; also : and , in properties. Controls and invisible
// characters are shown as \uXXXX first (visible.ts).
import { visible } from './visible.js'

export function escapeData (s: string): string {
  return s.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A')
}

export function escapeProperty (s: string): string {
  return escapeData(s).replace(/:/g, '%3A').replace(/,/g, '%2C')
}

export interface Annotation {
  level: 'error' | 'warning' | 'notice'
  file?: string
  line?: number
  col?: number
  title?: string
  message: string
}

export function annotation (a: Annotation): string {
  const props: string[] = []
  if (a.file !== undefined) props.push(`file=${escapeProperty(visible(a.file))}`)
  if (a.line !== undefined) props.push(`line=${a.line}`)
  if (a.col !== undefined) props.push(`col=${a.col}`)
  if (a.title !== undefined) props.push(`title=${escapeProperty(visible(a.title))}`)
  return `::${a.level}${props.length > 0 ? ` ${props.join(',')}` : ''}::${escapeData(visible(a.message))}`
}
