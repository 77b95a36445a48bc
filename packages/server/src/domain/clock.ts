/** The current time in Unix epoch milliseconds. Injected so tests can freeze or move it. */
export type Clock = () => number;

/** The real clock. */
export const systemClock: Clock = () => Date.now();
