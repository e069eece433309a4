/** The webhook state a job gets when it finishes with a callback_url: no attempt made yet (API.md §6). */
import type { WebhookOutcome } from './store.js';

export const PENDING_OUTCOME: WebhookOutcome = Object.freeze({ state: 'pending', attempts: 0, last_status: null, last_attempt_at: null });

/** The same, as both stores write it. */
export const PENDING_WEBHOOK = JSON.stringify(PENDING_OUTCOME);
