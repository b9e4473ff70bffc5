// One home for "this, or an error after so many ms": the shared-store calls,
// the Redis commands and a caller's maxWait are all bounded with it.

/**
 * `work`'s outcome, or `onTimeout()`'s error after `ms`; the timer never outlives the race.
 * `unref`: the timer alone does not keep the process alive.
 */
export function withDeadline<T> (work: Promise<T>, ms: number, onTimeout: () => Error, unref = false): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(onTimeout()), ms)
    if (unref) timer.unref()
    work.then(
      (value) => { clearTimeout(timer); resolve(value) },
      (err: unknown) => { clearTimeout(timer); reject(err) }
    )
  })
}
