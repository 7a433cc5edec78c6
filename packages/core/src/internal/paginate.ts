// The one paging helper. Internal: not exported from the package.
import * as Chunk from "effect/Chunk"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Stream from "effect/Stream"

export interface Page<A> {
  readonly items: ReadonlyArray<A>
  readonly nextToken?: string | undefined
}

/**
 * Turns a token-paged call into a stream of items, fetching a page only when the
 * consumer needs it. The first call gets `undefined`; paging stops at the first
 * page without a next token (empty or absent).
 * (Effect 4 renames `paginateChunkEffect` to `paginate`.)
 */
export const paginate = <A, E, R>(
  page: (token: string | undefined) => Effect.Effect<Page<A>, E, R>
): Stream.Stream<A, E, R> =>
  Stream.paginateChunkEffect(
    undefined as string | undefined,
    (token) =>
      Effect.map(page(token), ({ items, nextToken }) =>
        [
          Chunk.fromIterable(items),
          nextToken === undefined || nextToken === "" ? Option.none() : Option.some(nextToken)
        ] as const)
  )
