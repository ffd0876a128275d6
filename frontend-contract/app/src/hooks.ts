// Reading a query into state: loading, error, data, and a reload after a change.
import { useCallback, useEffect, useState } from 'react';
import type { TypedDocumentString } from '../../generated/graphql';
import { request } from './api';

export type Loaded<R> = { data: R | null; error: string | null; loading: boolean; reload: () => Promise<void> };

/** Runs the query again whenever its variables change (compared as JSON). */
export function useQuery<R, V>(document: TypedDocumentString<R, V>, variables: V): Loaded<R> {
  const key = JSON.stringify(variables);
  const [data, setData] = useState<R | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [loading, setLoading] = useState(true);
  const reload = useCallback(async () => {
    setLoading(true);
    try {
      setData(await request(document, JSON.parse(key) as V));
      setError(null);
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setLoading(false);
    }
  }, [document, key]);
  useEffect(() => void reload(), [reload]);
  return { data, error, loading, reload };
}

type Page<N> = { totalCount: number; pageInfo: { hasNextPage: boolean; endCursor?: string | null }; edges: { node: N }[] };
export type Pages<N> = {
  nodes: N[]; total: number; error: string | null; loading: boolean; more: boolean;
  loadMore: () => Promise<void>; reload: () => Promise<void>;
};

/** A connection read page after page (keyset cursors): "show more" appends, a reload starts over. */
export function usePages<R, V extends { after?: string | null }, N>(
  document: TypedDocumentString<R, V>, variables: Omit<V, 'after'>, connection: (data: R) => Page<N>,
): Pages<N> {
  const key = JSON.stringify(variables);
  const [nodes, setNodes] = useState<N[]>([]);
  const [total, setTotal] = useState(0);
  const [next, setNext] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [loading, setLoading] = useState(true);
  const read = useCallback(
    async (after: string | null) => {
      setLoading(true);
      try {
        const page = connection(await request(document, { ...(JSON.parse(key) as object), after } as V));
        setNodes((old) => [...(after ? old : []), ...page.edges.map((e) => e.node)]);
        setTotal(page.totalCount);
        setNext(page.pageInfo.hasNextPage ? (page.pageInfo.endCursor ?? null) : null);
        setError(null);
      } catch (e) {
        setError((e as Error).message);
      } finally {
        setLoading(false);
      }
    },
    // `connection` only picks a field: the document and the variables decide what is read.
    [document, key],
  );
  useEffect(() => void read(null), [read]);
  return { nodes, total, error, loading, more: next !== null, loadMore: () => read(next), reload: () => read(null) };
}
