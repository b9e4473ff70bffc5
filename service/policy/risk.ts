// The risk scale of a policy change (docs/pr-review.md, "What the risk flags mean").

/** How much a policy change deserves review (docs/pr-review.md). */
export type Risk = 'critical' | 'high' | 'medium' | 'low' | 'info'

/** Highest first. */
export const RISKS: readonly Risk[] = ['critical', 'high', 'medium', 'low', 'info']

export function riskRank (risk: Risk): number {
  return RISKS.length - 1 - RISKS.indexOf(risk)
}

export function isRisk (value: string): value is Risk {
  return (RISKS as readonly string[]).includes(value)
}
