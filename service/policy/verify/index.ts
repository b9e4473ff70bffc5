// The drift audit (docs/verify.md): does the provider grant what the policy whitelists?
export { verifyPolicies, selectEntries, VERIFY_DEFAULTS, type VerifyOptions } from './verify.js'
export type { TokenFetcher, TokenFetchFailure, TokenGrant, TokenRequest } from './fetcher.js'
export { FAILING, FAIL_ON, STATUSES, type FailOn, type VerifyReport, type VerifyResult, type VerifyStatus, type VerifySummary } from './types.js'
