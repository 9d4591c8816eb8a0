/**
 * Deep copies of the engine's plain data (run states, user snapshots, event data), so that a turn never
 * changes what it was given. rfdc rather than structuredClone: the engine copies a run's state on every fact,
 * and for this JSON-shaped data rfdc is about five times faster (structuredClone serialises and deserialises).
 */
import rfdc from 'rfdc';

export const copy: <T>(value: T) => T = rfdc({ proto: false, circles: false });
