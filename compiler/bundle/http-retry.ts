/**
 * Which HTTP answers are worth another attempt, for every request Herald makes: a provider's (runtime/delivery/
 * providers/failure.ts) and a fetch step's (runtime/engine/fetch.ts, which may import only the bundle's modules).
 * Retryable: 408, 429 and 5xx (the server may serve the next attempt); any other status is permanent (another
 * attempt would be answered the same way).
 */
export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 429 || status >= 500;
}
