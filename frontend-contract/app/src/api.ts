// How the app talks to the server: GraphQL over HTTP with the bearer token, subscriptions over
// graphql-transport-ws with the token in connection_init, export files fetched with the token.
import { createClient, type Client } from 'graphql-ws';
import type { TypedDocumentString } from '../../generated/graphql';

/** Same origin by default; a dev server on another origin sets VITE_PAYOUTS_API (see PAYOUTS_CORS_ORIGINS). */
export const API_ORIGIN: string = import.meta.env.VITE_PAYOUTS_API ?? window.location.origin;
const TOKEN_KEY = 'payouts.token';

export const session = {
  get token(): string | null {
    return sessionStorage.getItem(TOKEN_KEY);
  },
  set token(value: string | null) {
    if (value) sessionStorage.setItem(TOKEN_KEY, value);
    else sessionStorage.removeItem(TOKEN_KEY);
  },
};

export class ApiError extends Error {}

export async function request<R, V>(document: TypedDocumentString<R, V>, variables: V): Promise<R> {
  const response = await fetch(`${API_ORIGIN}/graphql`, {
    method: 'POST',
    headers: {
      'Content-Type': 'application/json',
      Accept: 'application/graphql-response+json, application/json',
      Authorization: `Bearer ${session.token ?? ''}`,
    },
    body: JSON.stringify({ query: document.toString(), variables }),
  });
  const body = (await response.json().catch(() => null)) as { data?: R; errors?: { message: string }[] } | null;
  if (response.status === 401) throw new ApiError('The token was refused: log in again.');
  if (body?.errors?.length) throw new ApiError(body.errors.map((e) => e.message).join('; '));
  if (!response.ok || !body?.data) throw new ApiError(`The server answered ${response.status}.`);
  return body.data;
}

let ws: Client | null = null;

export function subscribe<R, V>(
  document: TypedDocumentString<R, V>, variables: V, onData: (data: R) => void,
): () => void {
  ws ??= createClient({
    url: `${API_ORIGIN.replace(/^http/, 'ws')}/graphql`,
    connectionParams: () => ({ authorization: `Bearer ${session.token ?? ''}` }),
    retryAttempts: 5,
  });
  return ws.subscribe<R>(
    { query: document.toString(), variables: variables as Record<string, unknown> },
    { next: (result) => result.data && onData(result.data as R), error: () => undefined, complete: () => undefined },
  );
}

export function closeSubscriptions(): void {
  void ws?.dispose();
  ws = null;
}

/** Saves an export file: the link works on its own when signed; the bearer header covers the rest. */
export async function download(url: string): Promise<void> {
  const response = await fetch(new URL(url, API_ORIGIN), { headers: { Authorization: `Bearer ${session.token ?? ''}` } });
  if (!response.ok) throw new ApiError(`Download refused (${response.status}).`);
  const name = /filename="([^"]+)"/.exec(response.headers.get('content-disposition') ?? '')?.[1] ?? 'export.csv';
  const link = document.createElement('a');
  link.href = URL.createObjectURL(await response.blob());
  link.download = name;
  link.click();
  setTimeout(() => URL.revokeObjectURL(link.href), 10_000);
}

/** A mutation payload's success member, or an ApiError with the refusal's message (a typed Error member). */
export function succeeded<P extends { __typename: string }, N extends P['__typename']>(
  payload: P, typename: N,
): Extract<P, { __typename: N }> {
  if (payload.__typename === typename) return payload as Extract<P, { __typename: N }>;
  throw new ApiError('message' in payload && typeof payload.message === 'string' ? payload.message : 'refused');
}

/** `/app/#token=<token>` (a self-service login link): the token is kept for this tab and dropped from the address. */
export function tokenFromLink(): void {
  const token = new URLSearchParams(window.location.hash.replace(/^#/, '')).get('token');
  if (token) {
    session.token = token;
    history.replaceState(null, '', `${window.location.pathname}#/`);
  }
}

/** The login link a self-service token comes with. */
export function loginLink(token: string): string {
  return `${window.location.origin}/app/#token=${encodeURIComponent(token)}`;
}
