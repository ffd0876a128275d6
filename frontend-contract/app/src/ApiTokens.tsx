// API tokens: role, label, affiliate, created, last used; "Revoke". (Self-service tokens are made on
// an affiliate's page; webhook endpoints have their own page, Webhooks.)
import { useState } from 'react';
import { ApiTokensDocument, RevokeTokenDocument } from '../../generated/graphql';
import { request, succeeded } from './api';
import { Scroll } from './Dialog';
import { date } from './format';
import { usePages } from './hooks';

export function ApiTokens() {
  const [includeRevoked, setIncludeRevoked] = useState(false);
  const tokens = usePages(ApiTokensDocument, { includeRevoked, first: 100 }, (d) => d.apiTokens);
  const { error, reload } = tokens;
  const [failure, setFailure] = useState<string | null>(null);
  const revoke = async (id: string) => {
    try {
      succeeded((await request(RevokeTokenDocument, { id })).revokeToken, 'RevokeTokenSuccess');
      setFailure(null);
      await reload();
    } catch (e) {
      setFailure((e as Error).message);
    }
  };
  return (
    <section>
      <h1>API tokens</h1>
      <p className="actions">
        <span className="count">{tokens.loading && !tokens.nodes.length ? 'Loading…' : `${tokens.total} token(s)`}</span>
        <label className="inline">
          <input type="checkbox" checked={includeRevoked} onChange={(e) => setIncludeRevoked(e.target.checked)} /> Show revoked tokens
        </label>
      </p>
      {(failure ?? error) && <p className="error" role="alert">{failure ?? error}</p>}
      <Scroll label="API tokens">
        <table className="grid">
          <thead>
            <tr><th>Role</th><th>Label</th><th>Affiliate</th><th>Created</th><th>Last used</th><th>Revoked</th><th></th></tr>
          </thead>
          <tbody>
            {tokens.nodes.map((t) => (
              <tr key={t.id} data-token={t.id}>
                <td>{t.role.toLowerCase()}</td>
                <td>{t.label || '—'}</td>
                <td>{t.affiliate ? <a href={`#/affiliates/${encodeURIComponent(t.affiliate.id)}`}>{t.affiliate.name}</a> : '—'}</td>
                <td>{date(t.createdAt)}</td>
                <td>{t.lastUsedAt ? date(t.lastUsedAt) : 'never'}</td>
                <td>{t.revokedAt ? date(t.revokedAt) : '—'}</td>
                <td>{!t.revokedAt && <button type="button" className="secondary" onClick={() => void revoke(t.id)}>Revoke</button>}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </Scroll>
      {tokens.more && (
        <button type="button" className="secondary" disabled={tokens.loading} onClick={() => void tokens.loadMore()}>Show more tokens</button>
      )}
      <p className="muted-strong">The bootstrap token from PAYOUTS_ADMIN_TOKEN is not listed: it lives in the server's environment.</p>
    </section>
  );
}
