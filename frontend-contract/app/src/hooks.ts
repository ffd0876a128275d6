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
