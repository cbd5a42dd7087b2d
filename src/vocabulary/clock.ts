/** The simulated clock runs at most this many times real time (0 = frozen, 1 = real time). */
export const MAX_SPEED = 1000;
/** The longest single advance of the simulated clock, in ms (a day). */
export const MAX_ADVANCE_MS = 86_400_000;
