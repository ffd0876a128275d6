// The token is typed once and kept in sessionStorage for this tab.
import { useState } from 'react';

export function Login({ onLogin, error }: { onLogin: (token: string) => void; error: string | null }) {
  const [token, setToken] = useState('');
  return (
    <form
      className="login"
      onSubmit={(e) => {
        e.preventDefault();
        if (token.trim()) onLogin(token.trim());
      }}
    >
      <h1>Payout desk</h1>
      <p>Log in with an API token: the merchant's ADMIN token (printed by <code>payouts serve --demo</code>) or an affiliate's self-service token.</p>
      <label>
        API token
        <input name="token" type="password" autoComplete="off" value={token} onChange={(e) => setToken(e.target.value)} autoFocus />
      </label>
      <button type="submit">Log in</button>
      {error && <p className="error" role="alert">{error}</p>}
    </form>
  );
}
