/**
 * Dot paths into an event's data, computed from its zod-inferred type, so that `s.data('plan_typ')`
 * is a type error in the editor. Depth is bounded to keep the checker fast on wide schemas.
 */
type Prev = [never, 0, 1, 2, 3, 4];

export type DataPath<T, Depth extends number = 4> = [Depth] extends [never]
  ? never
  : T extends readonly unknown[]
    ? never
    : T extends object
      ? {
          [K in keyof T & string]: K | (NonNullable<T[K]> extends object ? `${K}.${DataPath<NonNullable<T[K]>, Prev[Depth]>}` : never);
        }[keyof T & string]
      : never;

export type PathValue<T, P extends string> = P extends `${infer Head}.${infer Rest}`
  ? Head extends keyof T
    ? PathValue<NonNullable<T[Head]>, Rest>
    : unknown
  : P extends keyof T
    ? T[P]
    : unknown;
