// GraphiQL built into the package: no CDN, so it works offline. The token is typed once (or passed as
// #token=... in the address), kept in sessionStorage, sent as a bearer header on HTTP and in
// connection_init on the WebSocket, so the schema loads at once and subscriptions can be tried.
import { createGraphiQLFetcher } from '@graphiql/toolkit';
import { GraphiQL } from 'graphiql';
import 'graphiql/setup-workers/vite';
import 'graphiql/style.css';
import { StrictMode, useMemo, useState } from 'react';
import { createRoot } from 'react-dom/client';
import './login.css';

const TOKEN_KEY = 'payouts.token';
const EXAMPLE = `# Payout desk: the affiliates with the most due first.
query AffiliatesDue {
  affiliates(sort: DUE_DESC, first: 5) {
    totalCount
    edges { node { name paymentStatus balances { currency due { amount } } } }
  }
}
`;

function tokenFromHash(): string | null {
  const token = new URLSearchParams(window.location.hash.slice(1)).get('token');
  if (token) {
    sessionStorage.setItem(TOKEN_KEY, token);
    history.replaceState(null, '', window.location.pathname + window.location.search);
  }
  return token;
}

function Login({ onToken }: { onToken: (token: string) => void }) {
  const [value, setValue] = useState('');
  return (
    <form
      className="payouts-login"
      onSubmit={(e) => {
        e.preventDefault();
        if (value.trim()) onToken(value.trim());
      }}
    >
      <h1>Payout desk · GraphiQL</h1>
      <p>Every request needs an API token (<code>payouts serve --demo</code> prints one). It is kept for this tab only.</p>
      <label>
        API token
        <input name="token" type="password" autoComplete="off" autoFocus value={value} onChange={(e) => setValue(e.target.value)} />
      </label>
      <button type="submit">Open GraphiQL</button>
    </form>
  );
}

function App() {
  const [token, setToken] = useState<string | null>(() => tokenFromHash() ?? sessionStorage.getItem(TOKEN_KEY));
  const fetcher = useMemo(() => {
    if (!token) return null;
    const origin = window.location.origin;
    return createGraphiQLFetcher({
      url: `${origin}/graphql`,
      subscriptionUrl: `${origin.replace(/^http/, 'ws')}/graphql`,
      headers: { Authorization: `Bearer ${token}` },
      wsConnectionParams: { authorization: `Bearer ${token}` },
    });
  }, [token]);
  if (!token || !fetcher) {
    return (
      <Login
        onToken={(t) => {
          sessionStorage.setItem(TOKEN_KEY, t);
          setToken(t);
        }}
      />
    );
  }
  return (
    <GraphiQL fetcher={fetcher} defaultQuery={EXAMPLE}>
      <GraphiQL.Logo>
        <span>
          Payout desk{' '}
          <button
            type="button"
            className="payouts-logout"
            onClick={() => {
              sessionStorage.removeItem(TOKEN_KEY);
              setToken(null);
            }}
          >
            forget token
          </button>
        </span>
      </GraphiQL.Logo>
    </GraphiQL>
  );
}

createRoot(document.getElementById('graphiql')!).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
